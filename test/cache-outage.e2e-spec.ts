import type { Api } from './support/http.js';
import { waitFor } from './support/gate.js';
import { RedisServer } from './support/redis-server.js';
import {
  createTestDatabase,
  newUser,
  startApp,
  type TestApp,
} from './support/test-app.js';

/** docs/API.md: a cache call may add at most ~250 ms; the issue asks for 2xx within 1 s. */
const WITHIN_MS = 1000;

describe('response cache when Redis fails', () => {
  let redis: RedisServer;
  let testApp: TestApp;
  let api: Api;

  beforeEach(async () => {
    redis = await RedisServer.start();
    testApp = await startApp({
      POSTGRES_DB: await createTestDatabase(),
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
    });
    api = testApp.api;
  });

  afterEach(async () => {
    redis?.resume();
    await testApp?.close();
    await redis?.kill();
  });

  /** Creates, reads, updates and deletes: all must succeed from PostgreSQL. */
  async function expectServedWithoutRedis(): Promise<void> {
    const created = await api.post('/users', newUser('Outage'));
    expect(created.status).toBe(201);
    expect(created.ms).toBeLessThan(WITHIN_MS);
    const path = `/users/${created.body.id}`;
    for (const request of [
      () => api.get(path),
      () => api.get(path),
      () => api.get('/users?limit=5'),
      () => api.patch(path, { name: 'Still served' }),
      () => api.get(path),
    ]) {
      const reply = await request();
      expect(reply.status).toBe(200);
      expect(reply.ms).toBeLessThan(WITHIN_MS);
      if (reply.headers.has('x-cache')) {
        expect(reply.headers.get('x-cache')).toBe('MISS');
      }
    }
    expect((await api.get(path)).body.name).toBe('Still served');
    const deleted = await api.delete(path);
    expect(deleted.status).toBe(204);
    expect(deleted.ms).toBeLessThan(WITHIN_MS);
  }

  async function expectCachingAgain(): Promise<void> {
    const user = (await api.post('/users', newUser('Back'))).body;
    await waitFor(
      async () =>
        (await api.get(`/users/${user.id}`)).headers.get('x-cache') === 'HIT',
      5000,
      'the cache to serve hits again',
    );
    expect((await api.get(`/users/${user.id}`)).body).toEqual(user);
  }

  it('serves from PostgreSQL while Redis is killed, and caches again once it is back', async () => {
    const user = (await api.post('/users', newUser())).body;
    await api.get(`/users/${user.id}`);
    expect((await api.get(`/users/${user.id}`)).headers.get('x-cache')).toBe(
      'HIT',
    );

    await redis.kill();
    await expectServedWithoutRedis();

    await redis.restart();
    await expectCachingAgain();
  });

  it('serves from PostgreSQL within the time box while Redis hangs (SIGSTOP), and caches again after SIGCONT', async () => {
    const user = (await api.post('/users', newUser())).body;
    await api.get(`/users/${user.id}`);

    redis.hang();
    await expectServedWithoutRedis();
    // A burst of concurrent requests against the hung server is bounded too.
    const burst = await Promise.all(
      Array.from({ length: 30 }, () => api.get(`/users/${user.id}`)),
    );
    expect(burst.map((reply) => reply.status)).toEqual(Array(30).fill(200));
    expect(Math.max(...burst.map((reply) => reply.ms))).toBeLessThan(WITHIN_MS);

    redis.resume();
    await expectCachingAgain();
  });

  it('starts and serves while Redis is down, then uses it when it comes up', async () => {
    await redis.kill();
    const second = await startApp({
      POSTGRES_DB: testApp.config.postgres.database,
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
    });
    try {
      api = second.api;
      await expectServedWithoutRedis();
      await redis.restart();
      await expectCachingAgain();
    } finally {
      await second.close();
    }
  });
});
