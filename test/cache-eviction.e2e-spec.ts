import { createClient } from '@redis/client';
import { RedisServer } from './support/redis-server.js';
import {
  createTestDatabase,
  newUser,
  startApp,
  type TestApp,
} from './support/test-app.js';

/**
 * Redis under memory pressure, as Compose runs it (`maxmemory` with
 * `volatile-ttl`): keys with the nearest expiry are evicted first, and a
 * generation set long before an entry can expire before it.
 */
describe('response cache when Redis evicts keys', () => {
  let redisServer: RedisServer;
  let testApp: TestApp;
  const redis = () =>
    createClient({ socket: { host: '127.0.0.1', port: redisServer.port } });

  beforeAll(async () => {
    redisServer = await RedisServer.start();
    testApp = await startApp({
      POSTGRES_DB: await createTestDatabase(),
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redisServer.port),
      CACHE_TTL_SECONDS: '60',
    });
  });

  afterAll(async () => {
    await testApp?.close();
    await redisServer?.kill();
  });

  it('never revives a stale entry when the generation it was checked against is evicted', async () => {
    const { api, config } = testApp;
    const prefix = config.cache.keyPrefix;
    const created = await api.post('/users', newUser('Old'));
    const id = created.body.id;
    const generation = `${prefix}:users:gen:${id}`;
    const entry = `${prefix}:users:v2:item:${id}`;
    // The first read of a user that was never updated: it has no generation
    // yet when the entry is stored.
    expect((await api.get(`/users/${id}`)).headers.get('x-cache')).toBe('MISS');
    const write = await api.patch(`/users/${id}`, { name: 'New' });
    expect(write.status).toBe(200);

    const client = redis();
    await client.connect();
    try {
      expect(await client.exists(entry)).toBe(1);
      // The generation now expires well before the entry: the first to go.
      await client.pExpire(generation, 10_000);
      await client.configSet({
        'maxmemory-policy': 'volatile-ttl',
        'maxmemory-samples': '10',
      });
      const used = Number(
        /used_memory:(\d+)/.exec(await client.info('memory'))![1],
      );
      await client.configSet('maxmemory', String(used + 256 * 1024));
      const filler = 'x'.repeat(16 * 1024);
      // Expiring after the generation and before the entry: once the
      // generation is gone, fillers make room, not the entry.
      for (let i = 0; i < 1000 && (await client.exists(generation)); i += 1) {
        await client.set(`filler:${i}`, filler, { EX: 30 });
      }
      expect(await client.exists(generation)).toBe(0);
      expect(await client.exists(entry)).toBe(1);
      expect(
        Number((await client.info('stats')).match(/evicted_keys:(\d+)/)![1]),
      ).toBeGreaterThan(0);
      await client.configSet('maxmemory', '0');
    } finally {
      client.destroy();
    }

    const read = await api.get(`/users/${id}`);
    expect(read.body.name).toBe('New');
    expect(read.headers.get('x-cache')).toBe('MISS');
    expect(read.headers.get('etag')).toBe(write.headers.get('etag'));
    expect((await api.get(`/users/${id}`)).headers.get('x-cache')).toBe('HIT');
  });
});
