import type { Client } from 'pg';
import { expectErrorReply, expectNoInternals } from './support/errors.js';
import { waitFor } from './support/gate.js';
import type { Api, Reply } from './support/http.js';
import { postgresConfig } from './support/postgres.js';
import { TcpProxy } from './support/tcp-proxy.js';
import {
  connectToDatabase,
  createTestDatabase,
  newUser,
  startApp,
  type TestApp,
} from './support/test-app.js';

/** docs/API.md: a failing dependency yields 503 promptly (under ~3 s). */
const PROMPTLY_MS = 3000;

interface UserRow {
  readonly id: number;
}

/** The app reaches PostgreSQL through a proxy that can refuse or hang. */
describe('PostgreSQL outages', () => {
  let postgres: TcpProxy;
  let testApp: TestApp;
  let api: Api;
  let db: Client;
  /** Users created for this file; each test takes ones no request has read. */
  const unread: number[] = [];
  let listQueries = 0;

  beforeAll(async () => {
    const database = await createTestDatabase();
    postgres = await TcpProxy.start(postgresConfig.host, postgresConfig.port);
    testApp = await startApp({
      POSTGRES_DB: database,
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(postgres.port),
      POSTGRES_STATEMENT_TIMEOUT_MS: '1000',
      POSTGRES_CONNECT_TIMEOUT_MS: '500',
    });
    api = testApp.api;
    db = await connectToDatabase(database);
    const { rows } = await db.query<UserRow>(
      `INSERT INTO users (name, email)
       SELECT 'Before ' || n, 'before-' || n || '@example.com' FROM generate_series(1, 60) n
       RETURNING id`,
    );
    unread.push(...rows.map((row) => row.id));
  });

  afterEach(async () => {
    postgres.restore();
    await waitUntilServing();
  });

  afterAll(async () => {
    await db?.end();
    await testApp?.close();
    await postgres?.close();
  });

  const table = async () =>
    (await db.query('SELECT * FROM users ORDER BY id')).rows as UserRow[];

  /** A page URL no request has asked for yet, so never a cache hit. */
  const freshPage = () => `/users?limit=3&after=${(listQueries += 1)}`;

  async function waitUntilServing(): Promise<void> {
    await waitFor(
      async () => (await api.get(freshPage())).status === 200,
      10_000,
      'the service to serve from PostgreSQL again',
    );
  }

  /** One request of each kind that needs PostgreSQL, on rows nobody read yet. */
  function requestsNeedingTheDatabase(): [string, () => Promise<Reply>][] {
    const [read, put, patch, remove] = unread.splice(0, 4);
    return [
      ['POST /users', () => api.post('/users', newUser('During'))],
      ['GET /users/:id', () => api.get(`/users/${read}`)],
      ['GET /users', () => api.get(freshPage())],
      ['PUT /users/:id', () => api.put(`/users/${put}`, { name: 'During' })],
      ['PATCH /users/:id', () => api.patch(`/users/${patch}`, { name: 'X' })],
      ['DELETE /users/:id', () => api.delete(`/users/${remove}`)],
    ];
  }

  /** Several concurrent reads, so that the pool holds idle connections. */
  async function warmPool(): Promise<void> {
    const replies = await Promise.all(
      Array.from({ length: 4 }, () => api.get(freshPage())),
    );
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 200]);
  }

  it('answers 503, and keeps running, when the connection drops under a statement in flight', async () => {
    const id = unread.shift()!;
    // The statement waits on a lock, so it is surely in flight when the
    // connection under it is cut.
    await db.query('BEGIN');
    await db.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
    try {
      const reply = api.get(`/users/${id}`);
      await waitFor(
        async () => {
          // Statistics are a snapshot per transaction, and this one holds the lock.
          await db.query('SELECT pg_stat_clear_snapshot()');
          const waiting = await db.query(
            `SELECT 1 FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND query LIKE '%FROM users WHERE id%'`,
          );
          return waiting.rowCount === 1;
        },
        5000,
        'the read to wait on the lock',
      );
      postgres.refuse();

      expectErrorReply(await reply, 503);
    } finally {
      await db.query('ROLLBACK');
    }
    postgres.restore();
    await waitUntilServing();
    expect((await api.get(`/users/${id}`)).status).toBe(200);
  });

  describe.each([
    ['refuses connections', (proxy: TcpProxy) => proxy.refuse()],
    ['hangs', (proxy: TcpProxy) => proxy.blackhole()],
  ])('while PostgreSQL %s', (_, fail) => {
    it('answers 503 promptly, with the error body and no driver text', async () => {
      await warmPool();
      fail(postgres);

      // All at once: a hung server must not make requests queue behind each other.
      const replies = await Promise.all(
        requestsNeedingTheDatabase().map(
          async ([name, request]) => [name, await request()] as const,
        ),
      );
      for (const [name, reply] of replies) {
        expect({ name, status: reply.status }).toEqual({ name, status: 503 });
        expectErrorReply(reply, 503);
        expectNoInternals(reply.text);
        expect(reply.ms).toBeLessThan(PROMPTLY_MS);
      }
    });

    it('recovers by itself once PostgreSQL is back, with the data written before intact', async () => {
      const before = (await api.post('/users', newUser('Before'))).body;
      const rows = await table();
      fail(postgres);
      expect((await api.get(`/users/${unread.shift()}`)).status).toBe(503);

      postgres.restore();
      await waitUntilServing();

      const [read, put, patch, remove] = unread.splice(0, 4);
      const created = await api.post('/users', newUser('After'));
      expect(created.status).toBe(201);
      expect((await api.get(`/users/${read}`)).status).toBe(200);
      expect((await api.get(freshPage())).status).toBe(200);
      expect((await api.put(`/users/${put}`, { name: 'P' })).status).toBe(200);
      expect((await api.patch(`/users/${patch}`, { name: 'Q' })).status).toBe(
        200,
      );
      expect((await api.delete(`/users/${remove}`)).status).toBe(204);
      expect((await api.get(`/users/${before.id}`)).body).toEqual(before);
      const changed = new Set([put, patch, remove]);
      const now = new Map((await table()).map((row) => [row.id, row]));
      for (const row of rows) {
        if (!changed.has(row.id)) expect(now.get(row.id)).toEqual(row);
      }
    });

    // A write answered 503 ("retry later") must not be applied afterwards:
    // a client that retries would otherwise find its own user already there
    // (409), or see a change it was told had failed.
    it('applies no write it answered 503 to, once PostgreSQL is back', async () => {
      await warmPool();
      const rows = await table();
      const [patch] = unread.splice(0, 1);
      fail(postgres);

      const attempts = [
        await api.post('/users', newUser('Ghost')),
        await api.patch(`/users/${patch}`, { name: 'Ghost' }),
      ];
      expect(attempts.map((reply) => reply.status)).toEqual([503, 503]);

      postgres.restore();
      await waitUntilServing();
      // Long enough for anything queued on a stale connection to reach the server.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await table()).toEqual(rows);
    });
  });

  describe('anything else unexpected', () => {
    it.each([
      [
        'the users table is renamed',
        'ALTER TABLE users RENAME TO users_elsewhere',
        'ALTER TABLE users_elsewhere RENAME TO users',
      ],
      [
        'a column is renamed',
        'ALTER TABLE users RENAME COLUMN email TO mail',
        'ALTER TABLE users RENAME COLUMN mail TO email',
        // DELETE … RETURNING id does not name the column.
        'DELETE /users/:id',
      ],
      [
        'the service may not use the table',
        'REVOKE ALL ON users FROM CURRENT_USER',
        'GRANT ALL ON users TO CURRENT_USER',
      ],
    ])(
      'answers 500 with a generic message when %s, and serves again once repaired',
      async (_, breakIt, repair, unaffected?: string) => {
        await db.query(breakIt);
        try {
          for (const [name, request] of requestsNeedingTheDatabase()) {
            if (name === unaffected) continue;
            const reply = await request();
            expect({ name, body: reply.body }).toEqual({
              name,
              body: {
                statusCode: 500,
                error: 'Internal Server Error',
                message: 'internal server error',
              },
            });
            expect(reply.headers.get('content-type')).toBe(
              'application/json; charset=utf-8',
            );
            expectNoInternals(reply.text);
          }
        } finally {
          await db.query(repair);
        }
        expect((await api.post('/users', newUser())).status).toBe(201);
        expect((await api.get(freshPage())).status).toBe(200);
      },
    );
  });
});
