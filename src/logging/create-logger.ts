import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/app-config.js';
import { TurnBatchedStdout } from './turn-batched-stdout.js';

export const SERVICE_NAME = 'users-api';

/**
 * JSON lines, on stdout (see TurnBatchedStdout) unless told otherwise. A
 * silent logger gets no batcher, hence no exit listener: tests start many.
 */
export function createLogger(
  level: LogLevel,
  destination: DestinationStream | undefined = level === 'silent'
    ? undefined
    : new TurnBatchedStdout(),
): Logger {
  return pino(
    {
      level,
      base: { service: SERVICE_NAME },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label: string) => ({ level: label }) },
    },
    destination,
  );
}
