import { createClient } from '@redis/client';
import type { Client } from 'pg';
import { UsersRepository } from '../src/users/users.repository.js';
import type { Api } from './support/http.js';
import { waitFor } from './support/gate.js';
import { postgresConfig } from './support/postgres.js';
import { redisConfig } from './support/redis.js';
import { TcpProxy } from './support/tcp-proxy.js';
import {
  connectToDatabase,
  createTestDatabase,
  newUser,
  startApp,
  type TestApp,
} from './support/test-app.js';

const CHANNEL = 'users_api_cache_invalidation';
const LISTENER = 'users-api-cache-listener';

/** The listener's PostgreSQL backend, once it is idle after LISTEN. */
async function listenerPidOf(db: Client, database: string) {
  const { rows } = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = $1 AND application_name = $2
        AND state = 'idle' AND query IN ($3, 'SELECT 1')`,
    [database, LISTENER, `LISTEN ${CHANNEL}`],
  );
  return rows[0]?.pid;
}

/** The failure paths of invalidation: errors after a commit, HEAD, the NOTIFY relay. */
describe('response cache invalidation on failure paths', () => {
  let testApp: TestApp;
  let api: Api;
  let db: Client;
  let database: string;
  const redis = createClient({ socket: redisConfig });

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startApp({ POSTGRES_DB: database });
    api = testApp.api;
    db = await connectToDatabase(database);
    await redis.connect();
  });

  afterAll(async () => {
    await db?.end();
    await testApp?.close();
    redis.destroy();
  });

  /** A user whose item response is cached: the last read was a HIT. */
  async function cachedUser(name = 'Cached') {
    const user = (await api.post('/users', newUser(name))).body;
    await api.get(`/users/${user.id}`);
    expect((await api.get(`/users/${user.id}`)).headers.get('x-cache')).toBe(
      'HIT',
    );
    return user;
  }

  /** Polls GET /users/{id} until it answers with `X-Cache: expected`. */
  const untilCache = (
    id: number,
    expected: 'HIT' | 'MISS',
    timeoutMs: number,
    what: string,
  ) =>
    waitFor(
      async () =>
        (await api.get(`/users/${id}`)).headers.get('x-cache') === expected,
      timeoutMs,
      what,
    );

  const relay = (message: string) =>
    db.query('SELECT pg_notify($1, $2)', [CHANNEL, message]);

  it('invalidates after a write that committed and then failed (5xx)', async () => {
    const user = await cachedUser('Before');
    const repository = testApp.app.get(UsersRepository);
    const updatePartial = repository.updatePartial.bind(repository);
    repository.updatePartial = async (...args) => {
      await updatePartial(...args);
      throw new Error('lost after commit');
    };
    try {
      const write = await api.patch(`/users/${user.id}`, { name: 'After' });
      expect(write.status).toBe(500);
    } finally {
      // The own property shadowed the prototype's method: remove it.
      Reflect.deleteProperty(repository, 'updatePartial');
    }
    const { rows } = await db.query('SELECT name FROM users WHERE id = $1', [
      user.id,
    ]);
    expect(rows[0].name).toBe('After');

    const read = await api.get(`/users/${user.id}`);
    expect(read.headers.get('x-cache')).toBe('MISS');
    expect(read.body.name).toBe('After');
  });

  it('treats HEAD as a read: it invalidates nothing', async () => {
    const user = await cachedUser();
    const page = `/users?after=${user.id - 1}&limit=1`;
    await api.get(page);

    for (const path of [`/users/${user.id}`, page]) {
      expect((await api.send('HEAD', path)).status).toBe(200);
    }

    expect((await api.get(`/users/${user.id}`)).headers.get('x-cache')).toBe(
      'HIT',
    );
    expect((await api.get(page)).headers.get('x-cache')).toBe('HIT');
  });

  it('ignores malformed relay messages and still applies the next one', async () => {
    const user = await cachedUser();
    const prefix = testApp.config.cache.keyPrefix;

    for (const message of ['', ':', ':7', `:${user.id}`]) await relay(message);
    // Give the listener time to handle them before checking nothing broke.
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect((await api.get(`/users/${user.id}`)).headers.get('x-cache')).toBe(
      'HIT',
    );
    expect(await redis.keys(`${prefix}::*`)).toEqual([]);
    expect((await api.get('/health/live')).status).toBe(200);

    // `users:` (no id: every page) is well formed; then the item itself.
    await relay('users:');
    expect((await api.get(`/users/${user.id}`)).headers.get('x-cache')).toBe(
      'HIT',
    );
    await relay(`users:${user.id}`);
    await untilCache(
      user.id,
      'MISS',
      1000,
      'the relayed invalidation to be applied',
    );
  });

  it('after losing its LISTEN connection, resyncs, listens again, and applies relayed invalidations', async () => {
    const listenerPid = () => listenerPidOf(db, database);
    await waitFor(async () => (await listenerPid()) !== undefined);
    const lost = await listenerPid();
    const user = await cachedUser();

    await db.query('SELECT pg_terminate_backend($1)', [lost]);
    // Sent while nobody listens: this instance can never hear it...
    await relay(`users:${user.id}`);
    // ...so it stops trusting its entries at once, well before it reconnects
    // (1 s later).
    await untilCache(
      user.id,
      'MISS',
      700,
      'a miss after the listener was lost',
    );

    await waitFor(
      async () => ![undefined, lost].includes(await listenerPid()),
      5000,
      'the listener to reconnect',
    );
    await untilCache(user.id, 'HIT', 2000, 'the cache to serve hits again');
    await relay(`users:${user.id}`);
    await untilCache(
      user.id,
      'MISS',
      1000,
      'the relayed invalidation to be applied',
    );
  });
});

describe('cache invalidation listener on a silently dropped connection', () => {
  // The listener's heartbeat: SELECT 1 every 10 s, failing after 5 s.
  const NOTICED_WITHIN_MS = 10_000 + 5_000 + 1_000;

  it(
    'notices that its connection no longer answers and listens on a new one',
    { timeout: 60_000 },
    async () => {
      const proxy = await TcpProxy.start(
        postgresConfig.host,
        postgresConfig.port,
      );
      const database = await createTestDatabase();
      const db = await connectToDatabase(database);
      const testApp = await startApp({
        POSTGRES_DB: database,
        POSTGRES_HOST: '127.0.0.1',
        POSTGRES_PORT: String(proxy.port),
      });
      try {
        await waitFor(
          async () => (await listenerPidOf(db, database)) !== undefined,
        );
        const dropped = await listenerPidOf(db, database);

        // No byte passes and no FIN or RST arrives: only a query can tell.
        proxy.blackhole();
        await new Promise((resolve) => setTimeout(resolve, NOTICED_WITHIN_MS));
        proxy.restore();

        await waitFor(
          async () =>
            ![undefined, dropped].includes(await listenerPidOf(db, database)),
          5000,
          'a new listener connection',
        );
      } finally {
        await testApp.close();
        await db.end();
        await proxy.close();
      }
    },
  );
});
