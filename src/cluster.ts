import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

const RESTART_DELAY_MS = 1000;

/**
 * The primary of a CLUSTER_WORKERS > 1 deployment: forks the HTTP workers
 * (they share the listening port; each applies pending migrations under the
 * advisory lock, so only the first does work), replaces a worker that dies,
 * and on SIGTERM/SIGINT stops replacing them, lets every worker drain, then
 * exits 0 — or 1 if a worker failed to shut down cleanly. A worker still
 * starting up when the signal comes is ended by it, which is clean: it served
 * nothing yet.
 */
export function runClusterPrimary(workers: number, logger: Logger): void {
  let shuttingDown: NodeJS.Signals | undefined;
  let failedShutdown = false;

  cluster.on(
    'exit',
    (worker: Worker, code: number | null, signal: string | null) => {
      if (shuttingDown) {
        // Ended by the forwarded signal itself: still starting, nothing in flight.
        if (code !== 0 && signal !== shuttingDown) failedShutdown = true;
        if (Object.keys(cluster.workers ?? {}).length === 0) {
          process.exit(failedShutdown ? 1 : 0);
        }
        return;
      }
      logger.error(
        { pid: worker.process.pid, code, signal },
        'worker died: replacing it',
      );
      setTimeout(() => {
        // A worker forked now would not get the signal and never exit.
        if (!shuttingDown) cluster.fork();
      }, RESTART_DELAY_MS);
    },
  );

  const shutDown = (signal: NodeJS.Signals) => {
    if (shuttingDown) return;
    shuttingDown = signal;
    logger.info({ signal }, 'draining workers');
    for (const worker of Object.values(cluster.workers ?? {})) {
      worker?.process.kill(signal);
    }
  };
  // Not once: a second signal's default action would end the primary, and
  // with it every worker, while they drain.
  process.on('SIGTERM', () => shutDown('SIGTERM'));
  process.on('SIGINT', () => shutDown('SIGINT'));

  logger.info({ workers }, 'starting workers');
  for (let i = 0; i < workers; i += 1) cluster.fork();
}
