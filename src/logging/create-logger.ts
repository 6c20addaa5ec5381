import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/app-config.js';

/**
 * JSON lines on stdout. Writes are asynchronous, so a request never waits
 * for the terminal or the log collector; what is buffered is flushed on exit.
 */
export function createLogger(level: LogLevel): Logger {
  if (level === 'silent') return pino({ level });
  const destination = pino.destination({ dest: 1, sync: false });
  process.once('exit', () => destination.flushSync());
  return pino(
    {
      level,
      base: { service: 'users-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
