import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/app-config.js';

export const SERVICE_NAME = 'users-api';

/**
 * JSON lines, on stdout unless told otherwise. Writes are asynchronous, so a
 * request never waits for the terminal or the log collector; what is
 * buffered is flushed on exit.
 */
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
  return pino(options, destination ?? stdout());
}

function stdout(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false });
  process.once('exit', () => destination.flushSync());
  return destination;
}
