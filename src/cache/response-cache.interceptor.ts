import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { noneMatchSatisfiedBy } from '../common/entity-tags.js';
import { type CacheTarget, pageQuery } from './cache-keys.js';
import { ResponseCache, type StoredResponse } from './response-cache.js';

type Request = FastifyRequest<{ Params: { id?: string } }>;

/** Metadata key: the collection a controller's routes serve (see CachedResource). */
export const CACHED_RESOURCE = 'cache:resource';

// Only the canonical spelling of an id is cached: the handler rejects the rest.
const CANONICAL_ID = /^[1-9]\d*$/;

/**
 * The one place that decides what is cached: successful GET responses of a
 * `@CachedResource` controller, keyed by item id or by canonical query
 * (pageQuery); every other method invalidates the item it names, if any,
 * and the collection's pages before its response leaves. Adds `X-Cache: HIT|MISS` to reads; a
 * read with `Cache-Control: no-cache` is answered from PostgreSQL.
 *
 * Reads answer `If-None-Match` too, hits included, so a revalidation that
 * hits never reaches PostgreSQL. The handler sets the ETag of what it
 * returns; it is cached with the body, and a tag read back is as current as
 * the body beside it.
 */
@Injectable()
export class ResponseCacheInterceptor implements NestInterceptor {
  constructor(
    private readonly cache: ResponseCache,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // Set on the class by CachedResource, the only way this interceptor is applied.
    const resource = this.reflector.get<string>(
      CACHED_RESOURCE,
      context.getClass(),
    );
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const id = request.params.id;
    if (id !== undefined && !CANONICAL_ID.test(id)) return next.handle();
    if (request.method === 'GET' || request.method === 'HEAD') {
      const query = id === undefined ? pageQuery(request.query) : undefined;
      if (id === undefined && query === undefined) return next.handle();
      const fresh = /\bno-cache\b/i.test(
        request.headers['cache-control'] ?? '',
      );
      return from(
        this.read(
          { resource, id, query },
          fresh,
          next,
          request,
          http.getResponse<FastifyReply>(),
        ),
      );
    }
    return this.invalidateAfterWrite(resource, id, next);
  }

  /** The body to send; undefined for a 304, which has none. */
  private async read(
    target: CacheTarget,
    fresh: boolean,
    next: CallHandler,
    request: Request,
    reply: FastifyReply,
  ): Promise<string | undefined> {
    void reply.header('x-cache', 'MISS');
    const { body, etag, hit } = await this.cache.read(
      target,
      async (): Promise<StoredResponse> => ({
        body: JSON.stringify(await lastValueFrom(next.handle())),
        etag: reply.getHeader('etag') as string,
      }),
      { fresh },
    );
    // Concurrent misses share one handler run: each sets its own headers.
    void reply.header('etag', etag);
    if (hit) void reply.header('x-cache', 'HIT');
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch !== undefined && noneMatchSatisfiedBy(ifNoneMatch, etag)) {
      void reply.status(304);
      return undefined;
    }
    void reply.type('application/json; charset=utf-8');
    return body;
  }

  private invalidateAfterWrite(
    resource: string,
    id: string | undefined,
    next: CallHandler,
  ): Observable<unknown> {
    return from(
      lastValueFrom(next.handle()).then(
        // A create needs no item generation of its own: only 200s are
        // cached, so nothing is cached under an id before it exists, and
        // identity ids are never reused.
        async (body: unknown) => {
          await this.cache.invalidate(resource, id);
          return body;
        },
        async (error: unknown) => {
          // A 4xx changed nothing; anything else may have committed.
          if (!(error instanceof HttpException && error.getStatus() < 500)) {
            await this.cache.invalidate(resource, id);
          }
          throw error;
        },
      ),
    );
  }
}
