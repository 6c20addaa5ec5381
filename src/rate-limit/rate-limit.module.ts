import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { RATE_LIMIT_EXCEEDED } from '../common/error-messages.js';
import type { AppConfig } from '../config/app-config.js';
import { RateLimitStorageModule } from './rate-limit-storage.module.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

const ONE_MINUTE_MS = 60_000;

/**
 * RATE_LIMIT_PER_MINUTE requests per client IP per minute. With 0 the guard
 * is not registered at all, so requests pay nothing for a limit that is off.
 */
@Module({})
export class RateLimitModule {
  static forRoot({ rateLimitPerMinute }: AppConfig): DynamicModule {
    if (rateLimitPerMinute === 0) return { module: RateLimitModule };
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRootAsync({
          imports: [RateLimitStorageModule],
          inject: [RedisThrottlerStorage],
          useFactory: (storage: RedisThrottlerStorage) => ({
            throttlers: [{ limit: rateLimitPerMinute, ttl: ONE_MINUTE_MS }],
            storage,
            // One budget per client IP for the whole API, not one per route;
            // the storage adds the throttler's name.
            generateKey: (_context, tracker) => tracker,
            errorMessage: RATE_LIMIT_EXCEEDED,
          }),
        }),
      ],
      providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
    };
  }
}
