import { randomBytes } from 'node:crypto';
import { RedisServer } from './support/redis-server.js';
import {
  createTestDatabase,
  startApp,
  type TestApp,
} from './support/test-app.js';

const LIMIT = 5;

describe('rate limiting (RATE_LIMIT_PER_MINUTE)', () => {
  let database: string;
  const apps: TestApp[] = [];

  async function start(env: Record<string, string> = {}): Promise<TestApp> {
    const testApp = await startApp({
      POSTGRES_DB: database,
      RATE_LIMIT_PER_MINUTE: String(LIMIT),
      ...env,
    });
    apps.push(testApp);
    return testApp;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((testApp) => testApp.close()));
  });

  it('answers 429 with Retry-After once a client is over the limit', async () => {
    const { api } = await start();
    const allowed = await Promise.all(
      Array.from({ length: LIMIT }, () => api.get('/users')),
    );
    expect(allowed.map((reply) => reply.status)).toEqual(
      Array(LIMIT).fill(200),
    );
    expect(
      allowed.map((reply) => reply.headers.get('x-ratelimit-limit')),
    ).toContain(String(LIMIT));

    const refused = await api.post('/users', {
      name: 'x',
      email: 'x@example.com',
    });

    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.any(String),
    });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('holds the limit across replicas sharing Redis', async () => {
    const prefix = `ratelimit-${randomBytes(4).toString('hex')}`;
    const [a, b] = [
      (await start({ CACHE_KEY_PREFIX: prefix })).api,
      (await start({ CACHE_KEY_PREFIX: prefix })).api,
    ];
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i += 1) {
      statuses.push((await (i % 2 ? b : a).get('/users')).status);
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(200), 429, 429]);
  });

  it('never limits health checks or metrics', async () => {
    const { api } = await start();
    for (let i = 0; i < LIMIT; i += 1) await api.get('/users');
    expect((await api.get('/users')).status).toBe(429);
    for (const path of [
      '/health',
      '/health/ready',
      '/health/live',
      '/metrics',
    ]) {
      for (let i = 0; i < 3; i += 1) {
        expect((await api.get(path)).status).toBe(200);
      }
    }
  });

  it('fails open while Redis is down', async () => {
    const redis = await RedisServer.start();
    try {
      const { api } = await start({
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: String(redis.port),
      });
      await redis.kill();
      const replies = await Promise.all(
        Array.from({ length: LIMIT * 2 }, () => api.get('/users')),
      );
      expect(replies.map((reply) => reply.status)).toEqual(
        Array(LIMIT * 2).fill(200),
      );
    } finally {
      await redis.kill();
    }
  });

  it('is off with RATE_LIMIT_PER_MINUTE=0', async () => {
    const { api } = await start({ RATE_LIMIT_PER_MINUTE: '0' });
    const replies = await Promise.all(
      Array.from({ length: LIMIT * 3 }, () => api.get('/users')),
    );
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    expect(replies[0].headers.get('x-ratelimit-limit')).toBeNull();
  });
});
