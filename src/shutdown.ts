import { type INestApplication, Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM or SIGINT: stop accepting connections, let in-flight requests
 * finish, close PostgreSQL and Redis, then exit 0 — or exit 1 if that takes
 * longer than `timeoutMs`. Nest's own shutdown hooks re-raise the signal
 * (exit code 143), which orchestrators read as a crash.
 */
export function closeOnSignals(app: INestApplication, timeoutMs: number): void {
  const logger = new Logger('Shutdown');
  const shutDown = (signal: string) => {
    logger.log(`${signal} received: draining`);
    setTimeout(() => {
      logger.error(`still draining after ${timeoutMs} ms: exiting`);
      process.exit(1);
    }, timeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) process.once(signal, shutDown);
}

/**
 * Once the server has stopped listening, every response asks its client to
 * close the connection: Node only closes connections that are idle when
 * shutdown starts, so a keep-alive connection finishing a request during the
 * drain would otherwise hold it open until its keep-alive timeout.
 */
export function closeConnectionsWhileDraining(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (!fastify.server.listening) void reply.header('connection', 'close');
    done(null, payload);
  });
}
