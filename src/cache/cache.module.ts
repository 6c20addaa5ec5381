import { Module } from '@nestjs/common';
import { InvalidationChannel } from './invalidation-channel.js';
import { RedisConnection } from './redis-connection.js';
import { ResponseCache } from './response-cache.js';
import { ResponseCacheInterceptor } from './response-cache.interceptor.js';

/** The Redis cache: the one connection to Redis, and the response cache on it. */
@Module({
  providers: [
    RedisConnection,
    InvalidationChannel,
    ResponseCache,
    ResponseCacheInterceptor,
  ],
  exports: [RedisConnection, ResponseCache, ResponseCacheInterceptor],
})
export class CacheModule {}
