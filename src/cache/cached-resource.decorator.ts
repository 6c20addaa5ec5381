import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import {
  CACHED_RESOURCE,
  ResponseCacheInterceptor,
} from './response-cache.interceptor.js';

/**
 * Serves the controller's GET routes through the Redis cache and invalidates
 * it after each write. Routes with an `:id` parameter are items of the
 * collection `resource`; the others are pages of it. Its GET handlers set the
 * `ETag` of what they return: it is cached with the body and answers
 * `If-None-Match`.
 */
export const CachedResource = (resource: string): ClassDecorator =>
  applyDecorators(
    SetMetadata(CACHED_RESOURCE, resource),
    UseInterceptors(ResponseCacheInterceptor),
  );
