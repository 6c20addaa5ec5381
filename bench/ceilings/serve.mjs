import { createServer } from 'node:http';

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

/**
 * What the bench hands a ceiling server, as JSON in BENCH_CEILING:
 * `{ port, postgres: PoolConfig, redis: { host, port }, redisKey, table }`.
 */
export const settings = JSON.parse(process.env.BENCH_CEILING ?? '{}');

/**
 * A bare node:http server answering every request with `answer(request)`.
 * Tells the bench (IPC) when it listens; on SIGTERM stops and runs `close`.
 * @param {(request: import('node:http').IncomingMessage) =>
 *   Promise<{ status?: number, body: string }>} answer
 * @param {() => Promise<unknown>} close
 */
export function serve(answer, close = async () => {}) {
  const server = createServer((request, response) => {
    answer(request).then(
      ({ status = 200, body }) => {
        response.writeHead(status, JSON_TYPE);
        response.end(body);
      },
      (error) => {
        console.error(error);
        response.writeHead(500, JSON_TYPE);
        response.end('{}');
      },
    );
  });
  server.listen(settings.port, '127.0.0.1', () => process.send?.('ready'));
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void close().finally(() => process.exit(0));
  });
}

export async function readBody(request) {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

/**
 * The columns the service's own SELECTs return (src/users/users.repository.ts):
 * PostgreSQL formats the timestamps, so neither side parses them into Dates.
 */
const ISO_UTC = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
export const USER_COLUMNS = `id, name, email,
  to_char(created_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "createdAt",
  to_char(updated_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "updatedAt",
  version`;

/** A row as the service answers it: the version goes in the ETag, not the body. */
export function userBody({ id, name, email, createdAt, updatedAt }) {
  return { id, name, email, createdAt, updatedAt };
}

/** One user as the service serializes it: the fixed body the first two ceilings send. */
export const SAMPLE_USER_JSON = JSON.stringify({
  id: 500,
  name: 'Bench User 500',
  email: 'main-500@bench.example',
  createdAt: '2026-11-24T10:00:00.000Z',
  updatedAt: '2026-11-24T10:00:00.000Z',
});
