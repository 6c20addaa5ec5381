import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CacheModule } from '../cache/cache.module.js';
import { HealthController } from './health.controller.js';
import { Readiness } from './readiness.js';
import { RedisHealthIndicator } from './redis.health.js';

@Module({
  imports: [TerminusModule, CacheModule],
  controllers: [HealthController],
  providers: [RedisHealthIndicator, Readiness],
})
export class HealthModule {}
