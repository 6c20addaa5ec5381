import { Module } from '@nestjs/common';
import { InvalidationChannel } from './invalidation-channel.js';
import { RedisConnection } from './redis-connection.js';
import { ResponseCache } from './response-cache.js';

/** The Redis cache: the one connection to Redis, and the response cache on it. */
@Module({
  providers: [RedisConnection, InvalidationChannel, ResponseCache],
  // The interceptor is not a provider: UseInterceptors in CachedResource
  // instantiates it in the controller's module, injecting ResponseCache.
  exports: [RedisConnection, ResponseCache],
})
export class CacheModule {}
