import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisConnection } from '../cache/redis-connection.js';

/** Redis is up when the cache's own client answers PING within its time box. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisConnection,
  ) {}

  async isHealthy(key: string) {
    const indicator = this.indicators.check(key);
    try {
      await this.redis.run((client) => client.ping());
      return indicator.up();
    } catch {
      return indicator.down();
    }
  }
}
