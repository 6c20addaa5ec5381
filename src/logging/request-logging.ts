import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import pino, { type DestinationStream, type Logger } from 'pino';
import { requestLogLine } from './request-log-line.js';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * Logs one line per request once it is sent (see requestLogLine), with the
 * request id that `X-Request-Id` carries (see requestIdOf).
 * The line names the route pattern, never the URL: paths and query strings
 * may carry e-mail addresses, which stay out of the logs, as do bodies and
 * headers (and with them the API key).
 */
@Injectable()
export class RequestLogging implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const fastify: FastifyInstance = this.adapterHost.httpAdapter.getInstance();
    if (!this.logger.isLevelEnabled('info')) return;
    // The logger's own stream: request lines interleave with its other lines.
    const destination = (
      this.logger as unknown as Record<symbol, DestinationStream>
    )[pino.symbols.streamSym];
    fastify.addHook('onResponse', (request, reply, done) => {
      destination.write(
        requestLogLine({
          reqId: request.id,
          method: request.method,
          route: request.routeOptions.url ?? null,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 100) / 100,
        }),
      );
      done();
    });
  }
}
