import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestLogLine } from './request-log-line.js';
import type { LineSink } from './turn-batched-stdout.js';

const CLIENT_IP = 'clientIpAtArrival';
type LoggedRequest = FastifyRequest & { [CLIENT_IP]: string | undefined };

/** Where request lines go (the logger's own stream), or null: not logged. */
export const REQUEST_LINES = Symbol('REQUEST_LINES');

/**
 * Logs one line per request once it is sent (see requestLogLine), with the
 * request id that `X-Request-Id` carries (see requestIdOf) and the client's
 * address as the rate limit counts it (request.ip: see TRUST_PROXY).
 * The line names the route pattern, never the URL: paths and query strings
 * may carry e-mail addresses, which stay out of the logs, as do bodies and
 * headers (and with them the API key).
 */
@Injectable()
export class RequestLogging implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(REQUEST_LINES) private readonly destination: LineSink | null,
  ) {}

  onModuleInit(): void {
    const { destination } = this;
    if (destination === null) return;
    const fastify: FastifyInstance = this.adapterHost.httpAdapter.getInstance();
    // Read as the request arrives: once the response has gone, a client that
    // reset the connection at once (a load balancer's health check does) has
    // taken the socket, and with it the address, away.
    // A declared property (not a WeakMap) keeps requests one shape, cheaply.
    fastify.decorateRequest(CLIENT_IP, undefined);
    fastify.addHook('onRequest', (request, _reply, done) => {
      (request as LoggedRequest)[CLIENT_IP] = request.ip;
      done();
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      destination.write(
        requestLogLine({
          reqId: request.id,
          method: request.method,
          clientIp: (request as LoggedRequest)[CLIENT_IP],
          route: request.routeOptions.url ?? null,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 100) / 100,
        }),
      );
      done();
    });
  }
}
