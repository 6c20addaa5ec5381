import { type INestApplication, Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AppConfig } from './config/app-config.js';
import { Readiness } from './health/readiness.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM or SIGINT: answer 503 on /health/ready at once but keep serving
 * for `shutdownDelayMs`, so that a load balancer polling readiness takes this
 * process out before its port closes (a closed port fails the requests it
 * still sends here); then stop accepting connections, let in-flight requests
 * finish, close PostgreSQL and Redis, and exit 0 — or exit 1 if that takes
 * longer than `shutdownTimeoutMs`. Nest's own shutdown hooks re-raise the
 * signal (exit code 143), which orchestrators read as a crash. A signal that
 * comes while shutting down (a second Ctrl-C; a cluster worker gets Ctrl-C's
 * SIGINT both from the terminal and from its primary) is only logged: its
 * default action would end the requests in flight.
 */
export function closeOnSignals(
  app: INestApplication,
  {
    shutdownDelayMs,
    shutdownTimeoutMs,
  }: Pick<AppConfig, 'shutdownDelayMs' | 'shutdownTimeoutMs'>,
): void {
  const logger = new Logger('Shutdown');
  let shuttingDown = false;
  const drain = () => {
    logger.log('draining');
    setTimeout(() => {
      logger.error(`still draining after ${shutdownTimeoutMs} ms: exiting`);
      process.exit(1);
    }, shutdownTimeoutMs).unref();
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
  const shutDown = (signal: string) => {
    if (shuttingDown) {
      logger.warn(`${signal} received: already shutting down`);
      return;
    }
    shuttingDown = true;
    app.get(Readiness).withdraw();
    if (shutdownDelayMs === 0) {
      logger.log(`${signal} received`);
      drain();
    } else {
      logger.log(
        `${signal} received: not ready, still serving for ${shutdownDelayMs} ms`,
      );
      setTimeout(drain, shutdownDelayMs);
    }
  };
  for (const signal of SIGNALS) process.on(signal, shutDown);
}
