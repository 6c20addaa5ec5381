import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config.js';
import { RateLimitStorageModule } from './rate-limit-storage.module.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

const ONE_MINUTE_MS = 60_000;

/** RATE_LIMIT_PER_MINUTE requests per client IP per minute; 0 turns it off. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [AppConfig, RedisThrottlerStorage],
      useFactory: (config: AppConfig, storage: RedisThrottlerStorage) => ({
        throttlers: [{ limit: config.rateLimitPerMinute, ttl: ONE_MINUTE_MS }],
        storage,
        skipIf: () => config.rateLimitPerMinute === 0,
        // One budget per client IP for the whole API, not one per route.
        generateKey: (_context, tracker, throttlerName) =>
          `${throttlerName}:${tracker}`,
        errorMessage:
          'rate limit exceeded, retry after the time in Retry-After',
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
})
export class RateLimitModule {}
