import { Module } from '@nestjs/common';
import { CacheModule } from '../cache/cache.module.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

/** Lets ThrottlerModule's async factory inject the Redis-backed storage. */
@Module({
  imports: [CacheModule],
  providers: [RedisThrottlerStorage],
  exports: [RedisThrottlerStorage],
})
export class RateLimitStorageModule {}
