import { Injectable, Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { RedisConnection } from '../cache/redis-connection.js';
import { AppConfig } from '../config/app-config.js';

// The package's index does not export the record type itself.
type ThrottlerStorageRecord = Awaited<
  ReturnType<ThrottlerStorage['increment']>
>;

const NOT_COUNTED: ThrottlerStorageRecord = {
  totalHits: 0,
  timeToExpire: 0,
  isBlocked: false,
  timeToBlockExpire: 0,
};

/**
 * Fixed-window request counters in Redis, shared by every replica, so the
 * limit holds per client whichever instance answers: one counter per client
 * and window, `{CACHE_KEY_PREFIX}:ratelimit:{throttler}:{client}`, and one
 * round trip per request. Fails open: while Redis is away, requests are not
 * limited; that is logged when it starts and when it ends, not per request.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly prefix: string;
  private failingOpen = false;

  constructor(
    private readonly redis: RedisConnection,
    config: AppConfig,
  ) {
    this.prefix = `${config.cache.keyPrefix}:ratelimit`;
  }

  async increment(
    key: string,
    ttlMs: number,
    limit: number,
    _blockDurationMs: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const counter = `${this.prefix}:${throttlerName}:${key}`;
    let replies: unknown[];
    try {
      replies = await this.redis.run((client) =>
        client
          .multi()
          .incr(counter)
          .pExpire(counter, ttlMs, 'NX')
          .pTTL(counter)
          .exec(),
      );
    } catch (error) {
      if (!this.failingOpen) {
        this.failingOpen = true;
        this.logger.warn(
          `rate limit not applied until Redis answers again: ${String(error)}`,
        );
      }
      return NOT_COUNTED;
    }
    if (this.failingOpen) {
      this.failingOpen = false;
      this.logger.log('rate limit applied again: Redis answers');
    }
    const [hits, , ttlLeftMs] = replies as [number, unknown, number];
    const secondsLeft = Math.max(1, Math.ceil(ttlLeftMs / 1000));
    const isBlocked = hits > limit;
    return {
      totalHits: hits,
      timeToExpire: secondsLeft,
      isBlocked,
      timeToBlockExpire: isBlocked ? secondsLeft : 0,
    };
  }
}
