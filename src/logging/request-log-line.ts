import { SERVICE_NAME } from './create-logger.js';

export interface RequestLogEntry {
  /** A request id: a UUID or a well-formed client id (A-Za-z0-9._-). */
  readonly reqId: string;
  /** An HTTP method token, as Node's parser accepted it. */
  readonly method: string;
  /**
   * The client's address: the socket's, or the forwarded one when the socket
   * belongs to a trusted proxy (TRUST_PROXY), which may hold any text.
   * Undefined when the connection was gone before it could be read: written
   * as null, never as the bare word that would break the line's JSON.
   */
  readonly clientIp: string | undefined;
  /** The route pattern, or null for an unknown route. */
  readonly route: string | null;
  readonly status: number;
  readonly ms: number;
}

/**
 * One request's log line, in exactly the shape the pino logger writes (level
 * label, ISO time, service), built directly: pino's generic serializer cost
 * about 4 µs per line, a tenth of a cached read. Only the client address and
 * the route need escaping; every other value is a number or a token checked
 * upstream.
 */
export function requestLogLine(
  entry: RequestLogEntry,
  now = Date.now(),
): string {
  return (
    `{"level":"info","time":"${isoTime(now)}","service":"${SERVICE_NAME}",` +
    `"reqId":"${entry.reqId}","method":"${entry.method}",` +
    `"clientIp":${JSON.stringify(entry.clientIp ?? null)},` +
    `"route":${JSON.stringify(entry.route)},"status":${entry.status},` +
    `"ms":${entry.ms},"msg":"request completed"}\n`
  );
}

let lastMs = Number.NaN;
let lastIso = '';

/** Formats a time at most once per millisecond: busy requests share it. */
function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
