import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { expectErrorReply } from './support/errors.js';
import { waitFor } from './support/gate.js';
import type { Api } from './support/http.js';
import { postgresConfig } from './support/postgres.js';
import { TcpProxy } from './support/tcp-proxy.js';
import {
  connectToDatabase,
  createTestDatabase,
  startApp,
  type TestApp,
} from './support/test-app.js';

const POOL_SIZE = 2;
const SOCKET_PORT = 5432;

/**
 * Listens where pg looks for PostgreSQL's socket when POSTGRES_HOST is a
 * directory, and forwards each connection to `targetPort` on 127.0.0.1.
 */
async function forwardUnixSocket(
  directory: string,
  targetPort: number,
): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pipes: [Socket, Socket][] = [
      [client, upstream],
      [upstream, client],
    ];
    for (const [from, to] of pipes) {
      from.on('error', () => undefined);
      from.on('close', () => to.destroy());
      from.pipe(to);
    }
  });
  await new Promise<void>((resolve) =>
    server.listen(join(directory, `.s.PGSQL.${SOCKET_PORT}`), resolve),
  );
  return server;
}

/**
 * POSTGRES_HOST may name a socket directory. The app's connections are then
 * Unix sockets, which Node cannot reset as it resets TCP ones; a failure must
 * still answer 503 and give the pool slot back. The socket forwards into a
 * TcpProxy, so that PostgreSQL can hang on demand.
 */
describe('PostgreSQL over a Unix socket', () => {
  let directory: string;
  let postgres: TcpProxy;
  let socket: Server;
  let testApp: TestApp;
  let api: Api;
  let db: Client;
  let database: string;
  let pages = 0;

  /** A page URL no request has asked for yet, so never a cache hit. */
  const freshPage = () => `/users?limit=1&after=${(pages += 1)}`;

  async function waitUntilServing(): Promise<void> {
    await waitFor(
      async () => (await api.get(freshPage())).status === 200,
      10_000,
      'the service to serve from PostgreSQL again',
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    postgres = await TcpProxy.start(postgresConfig.host, postgresConfig.port);
    directory = await mkdtemp(join(tmpdir(), 'users-api-pg-socket-'));
    socket = await forwardUnixSocket(directory, postgres.port);
    testApp = await startApp({
      POSTGRES_DB: database,
      POSTGRES_HOST: directory,
      POSTGRES_PORT: String(SOCKET_PORT),
      POSTGRES_POOL_SIZE: String(POOL_SIZE),
      POSTGRES_STATEMENT_TIMEOUT_MS: '200',
      POSTGRES_CONNECT_TIMEOUT_MS: '500',
    });
    api = testApp.api;
    db = await connectToDatabase(database);
  });

  afterEach(async () => {
    postgres.restore();
    await waitUntilServing();
  });

  afterAll(async () => {
    await db?.end();
    await testApp?.close();
    await postgres?.close();
    await new Promise((resolve) => socket?.close(resolve));
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('answers 503 on every request while PostgreSQL hangs, then serves again with the pool whole', async () => {
    // Connections open and idle: the requests below send their statements
    // on them, and it is the driver's own timeout that gives up.
    const warm = await Promise.all(
      Array.from({ length: POOL_SIZE }, () => api.get(freshPage())),
    );
    expect(warm.map((reply) => reply.status)).toEqual(
      Array(POOL_SIZE).fill(200),
    );
    postgres.blackhole();

    for (let attempt = 0; attempt < POOL_SIZE + 2; attempt += 1) {
      expectErrorReply(await api.get(freshPage()), 503);
    }

    postgres.restore();
    // Only a pool that got every slot back can serve again.
    await waitUntilServing();
  });

  it('answers 503 when the server cancels a statement past its timeout, and serves again', async () => {
    await db.query('BEGIN');
    await db.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
    try {
      // Waits on the lock until PostgreSQL's statement_timeout cancels it.
      expectErrorReply(await api.get(freshPage()), 503);
    } finally {
      await db.query('ROLLBACK');
    }
  });
});
