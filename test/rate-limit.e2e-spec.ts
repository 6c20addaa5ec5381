import { createClient } from '@redis/client';
import { randomBytes } from 'node:crypto';
import { redisConfig } from './support/redis.js';
import { RedisServer } from './support/redis-server.js';
import {
  createTestDatabase,
  newUser,
  startApp,
  type TestApp,
} from './support/test-app.js';

const LIMIT = 5;
/** REDIS_COMMAND_TIMEOUT_MS's default: what one Redis call may cost a request. */
const TIME_BOX_MS = 200;
// Timers fire late and requests queue on a busy machine, never early.
const LATE_MS = 200;

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

    const redis = createClient({ socket: redisConfig });
    await redis.connect();
    try {
      const counters = await redis.keys(`${prefix}:ratelimit:*`);
      expect(counters).toEqual([`${prefix}:ratelimit:default:127.0.0.1`]);
      expect(Number(await redis.get(counters[0]))).toBe(LIMIT + 2);
    } finally {
      redis.destroy();
    }
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

  it('costs a request at most one time box while Redis hangs (SIGSTOP), and most requests none', async () => {
    const redis = await RedisServer.start();
    try {
      const { api } = await start({
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: String(redis.port),
        // As in Compose: high enough that this test never reaches it.
        RATE_LIMIT_PER_MINUTE: '600',
      });
      const user = (await api.post('/users', newUser())).body;
      const path = `/users/${user.id}`;
      redis.hang();

      const replies = [];
      for (let i = 0; i < 12; i += 1) {
        replies.push(
          await (i % 3 === 2
            ? api.patch(path, { name: `Hung ${i}` })
            : api.get(i % 3 ? path : '/users?limit=5')),
        );
      }
      replies.push(
        ...(await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            i % 4 === 3
              ? api.patch(path, { name: `Burst ${i}` })
              : api.get(path),
          ),
        )),
      );

      expect(replies.map((reply) => reply.status)).toEqual(
        Array(replies.length).fill(200),
      );
      // Never two time boxes in a row (the limiter's, then the cache's)...
      const times = replies.map((reply) => Math.round(reply.ms));
      expect(Math.max(...times)).toBeLessThan(TIME_BOX_MS + LATE_MS);
      // ...and once a command has failed, no time box at all for a while.
      const quick = times.filter((ms) => ms < TIME_BOX_MS - 50);
      expect(quick.length, `times: ${times.join(', ')}`).toBeGreaterThanOrEqual(
        replies.length / 2,
      );
    } finally {
      redis.resume();
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
