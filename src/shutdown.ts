import { type INestApplication, Logger } from '@nestjs/common';
import type { Server } from 'node:http';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM or SIGINT: stop accepting connections, let in-flight requests
 * finish, close PostgreSQL and Redis, then exit 0 — or exit 1 if that takes
 * longer than `timeoutMs`. Nest's own shutdown hooks re-raise the signal
 * (exit code 143), which orchestrators read as a crash. A signal that comes
 * while draining (a second Ctrl-C; a cluster worker gets Ctrl-C's SIGINT both
 * from the terminal and from its primary) is only logged: its default action
 * would end the requests in flight.
 */
export function closeOnSignals(app: INestApplication, timeoutMs: number): void {
  const logger = new Logger('Shutdown');
  let draining = false;
  const shutDown = (signal: string) => {
    if (draining) {
      logger.warn(`${signal} received: already draining`);
      return;
    }
    draining = true;
    logger.log(`${signal} received: draining`);
    setTimeout(() => {
      logger.error(`still draining after ${timeoutMs} ms: exiting`);
      process.exit(1);
    }, timeoutMs).unref();
    // Node closes only the connections idle when close() starts; a keep-alive
    // connection that finishes a request during the drain would otherwise
    // stay open for its whole keep-alive timeout.
    (app.getHttpServer() as Server).keepAliveTimeout = 1;
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) process.on(signal, shutDown);
}
