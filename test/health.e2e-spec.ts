import { expectNoInternals } from './support/errors.js';
import { waitFor } from './support/gate.js';
import type { Api } from './support/http.js';
import { postgresConfig } from './support/postgres.js';
import { RedisServer } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';
import {
  createTestDatabase,
  startApp,
  type TestApp,
} from './support/test-app.js';

/** docs/API.md: a failing dependency yields 503 promptly (under ~3 s). */
const PROMPTLY_MS = 3000;

/**
 * Under the database check's 1000 ms timeout, which a liveness route that
 * touched a blackholed PostgreSQL would wait out, with room for a busy machine.
 */
const UNTOUCHED_MS = 700;

describe('health', () => {
  let redis: RedisServer;
  let postgres: TcpProxy;
  let testApp: TestApp;
  let api: Api;

  beforeAll(async () => {
    redis = await RedisServer.start();
    postgres = await TcpProxy.start(postgresConfig.host, postgresConfig.port);
    testApp = await startApp({
      POSTGRES_DB: await createTestDatabase(),
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(postgres.port),
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
    });
    api = testApp.api;
  });

  // Whatever a test did or failed to undo, the next one starts with both up.
  afterEach(async () => {
    redis.resume();
    await redis.ensureRunning();
    postgres.restore();
    await waitFor(
      async () => (await api.get('/health')).status === 200,
      10_000,
      'health to recover',
    );
  });

  afterAll(async () => {
    await testApp?.close();
    await redis?.kill();
    await postgres?.close();
  });

  it.each(['/health', '/health/ready'])(
    '%s answers 200 with the Terminus body when both are up',
    async (path) => {
      const reply = await api.get(path);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        status: 'ok',
        info: { database: { status: 'up' }, redis: { status: 'up' } },
        error: {},
        details: { database: { status: 'up' }, redis: { status: 'up' } },
      });
    },
  );

  it('/health/live answers 200 without touching either dependency', async () => {
    await redis.kill();
    postgres.blackhole();
    const reply = await api.get('/health/live');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok' });
    expect(reply.ms).toBeLessThan(UNTOUCHED_MS);
  });

  it('answers 503 naming redis when Redis is stopped', async () => {
    await redis.kill();
    for (const path of ['/health', '/health/ready']) {
      const reply = await api.get(path);
      expect(reply.status).toBe(503);
      expect(reply.ms).toBeLessThan(PROMPTLY_MS);
      expect(reply.body).toEqual({
        status: 'error',
        info: { database: { status: 'up' } },
        error: { redis: { status: 'down' } },
        details: { database: { status: 'up' }, redis: { status: 'down' } },
      });
      expectNoInternals(reply.text);
    }
  });

  it('answers 503 within 3 s when Redis hangs (SIGSTOP)', async () => {
    redis.hang();
    const reply = await api.get('/health');
    expect(reply.status).toBe(503);
    expect(reply.ms).toBeLessThan(PROMPTLY_MS);
    expect(reply.body.error).toEqual({ redis: { status: 'down' } });
    expectNoInternals(reply.text);
  });

  it('answers 503 naming database when PostgreSQL refuses connections', async () => {
    postgres.refuse();
    const reply = await api.get('/health');
    expect(reply.status).toBe(503);
    expect(reply.ms).toBeLessThan(PROMPTLY_MS);
    expect(reply.body).toEqual({
      status: 'error',
      info: { redis: { status: 'up' } },
      error: { database: { status: 'down' } },
      details: { database: { status: 'down' }, redis: { status: 'up' } },
    });
    expectNoInternals(reply.text);
  });

  it('answers 503 within 3 s when PostgreSQL hangs', async () => {
    postgres.blackhole();
    const reply = await api.get('/health');
    expect(reply.status).toBe(503);
    expect(reply.ms).toBeLessThan(PROMPTLY_MS);
    expect(reply.body.error).toEqual({ database: { status: 'down' } });
    expectNoInternals(reply.text);
  });

  it('answers 503 naming both when both are down, and 200 again once both are back, without a restart', async () => {
    await redis.kill();
    postgres.refuse();
    const down = await api.get('/health');
    expect(down.status).toBe(503);
    expect(Object.keys(down.body.error).sort()).toEqual(['database', 'redis']);

    await redis.restart();
    postgres.restore();
    await waitFor(
      async () => (await api.get('/health')).status === 200,
      10_000,
      'health to recover',
    );
    expect((await api.get('/health')).body.status).toBe('ok');
  });
});
