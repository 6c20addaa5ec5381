// Network failures reported by Node's socket layer.
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// SQLSTATEs meaning "the server cannot serve you now", not "your query is wrong":
// admin/crash shutdown, starting up, too many connections, statement timeout.
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '57014',
]);

// node-postgres reports lost connections and its own timeouts without a code.
const DRIVER_UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'is not queryable',
  'timeout expired',
];

/**
 * Whether an error means PostgreSQL is unreachable, down or overloaded (a
 * retry later may succeed) rather than a bug or a rejected statement.
 * Accepts pg errors and TypeORM's wrappers (`driverError`).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const cause = (error as { driverError?: unknown }).driverError ?? error;
  const { code, message } = cause as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    return (
      NETWORK_ERROR_CODES.has(code) ||
      UNAVAILABLE_SQLSTATES.has(code) ||
      code.startsWith('08') // connection exception class
    );
  }
  return (
    typeof message === 'string' &&
    DRIVER_UNAVAILABLE_MESSAGES.some((text) => message.includes(text))
  );
}
