import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/app-config.js';

export const SERVICE_NAME = 'users-api';

/** JSON lines, on stdout unless told otherwise (see TurnBatchedStdout). */
export function createLogger(
  level: LogLevel,
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base: { service: SERVICE_NAME },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  // Silent writes nothing: no stdout stream to open, nothing to flush.
  if (level === 'silent') return pino(options);
  return pino(options, destination ?? new TurnBatchedStdout());
}

/**
 * Stdout, written once per turn of the event loop with every line logged in
 * that turn. A write per line, even an asynchronous one, cost more than the
 * line itself under load (a request line each). Writes are synchronous, as
 * Node's own stdout is for files and pipes: a line is never lost on exit and
 * never held in memory while the reader is slow.
 */
class TurnBatchedStdout implements DestinationStream {
  private readonly stdout = pino.destination({ dest: 1, sync: true });
  private pending = '';

  constructor() {
    process.once('exit', this.flush);
  }

  write(line: string): void {
    if (this.pending === '') setImmediate(this.flush);
    this.pending += line;
  }

  private readonly flush = (): void => {
    const lines = this.pending;
    this.pending = '';
    if (lines !== '') this.stdout.write(lines);
  };
}
