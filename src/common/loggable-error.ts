/** What an error log line may say about a failure. */
export interface LoggableError {
  readonly type: string;
  readonly message?: string;
  readonly code?: string;
  readonly stack?: string;
}

/**
 * The fields of a thrown value that are safe to log. Driver errors carry
 * more, such as a pg error's `detail` ("Failing row contains (…, alice@…)"),
 * `where`, or TypeORM's `parameters`, which would put user data in the logs;
 * pino's error serializer would copy every one of them.
 */
export function loggableError(thrown: unknown): LoggableError {
  if (!(thrown instanceof Error)) return { type: typeof thrown };
  const { code } = thrown as { code?: unknown };
  return {
    type: thrown.name,
    message: thrown.message,
    ...(typeof code === 'string' && { code }),
    stack: thrown.stack,
  };
}
