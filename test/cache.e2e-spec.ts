import { createClient } from '@redis/client';
import type { Api } from './support/http.js';
import { Gate, waitFor } from './support/gate.js';
import { redisConfig } from './support/redis.js';
import {
  createTestDatabase,
  newUser,
  startApp,
  type TestApp,
} from './support/test-app.js';
import { FindByIdSpy } from './support/users-repository-spy.js';

describe('response cache (one instance, real Redis)', () => {
  let testApp: TestApp;
  let api: Api;
  let prefix: string;
  const redis = createClient({ socket: redisConfig });

  beforeAll(async () => {
    testApp = await startApp({
      POSTGRES_DB: await createTestDatabase(),
      CACHE_TTL_SECONDS: '30',
    });
    api = testApp.api;
    prefix = testApp.config.cache.keyPrefix;
    await redis.connect();
  });

  afterAll(async () => {
    await testApp?.close();
    redis.destroy();
  });

  async function create(name = 'Cached') {
    const reply = await api.post('/users', newUser(name));
    expect(reply.status).toBe(201);
    return reply.body;
  }

  it('answers a repeated item read from the cache: MISS, then HIT with the same body', async () => {
    const user = await create();

    const first = await api.get(`/users/${user.id}`);
    const second = await api.get(`/users/${user.id}`);

    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.status).toBe(200);
    expect(second.headers.get('content-type')).toBe(
      'application/json; charset=utf-8',
    );
    expect(second.body).toEqual(user);
    expect(second.text).toBe(first.text);
  });

  it('caches each page by its query', async () => {
    await create();
    const query = `/users?limit=3&after=0`;

    const first = await api.get(query);
    const second = await api.get(query);
    const other = await api.get('/users?limit=2&after=0');

    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.body).toEqual(first.body);
    expect(other.headers.get('x-cache')).toBe('MISS');
  });

  it('keys a page by what it asks for, not by how the query is spelled', async () => {
    const user = await create();
    const after = user.id - 1;
    const first = await api.get(`/users?limit=1&after=${after}`);
    expect(first.headers.get('x-cache')).toBe('MISS');
    for (const query of [
      `after=${after}&limit=1`,
      `after=000${after}&limit=01`,
    ]) {
      const reply = await api.get(`/users?${query}`);
      expect(reply.headers.get('x-cache')).toBe('HIT');
      expect(reply.text).toBe(first.text);
    }

    const [local, domain] = user.email.split('@');
    expect((await api.get(`/users?email=${local}%40${domain}`)).status).toBe(
      200,
    );
    const shouted = await api.get(
      `/users?email=${local.toUpperCase()}%40${domain.toUpperCase()}`,
    );
    expect(shouted.headers.get('x-cache')).toBe('HIT');
    expect(shouted.body.data).toEqual([user]);
    // Key names hold no e-mail address.
    expect(await redis.keys(`${prefix}:*@*`)).toEqual([]);
    expect(await redis.keys(`${prefix}:*${local}*`)).toEqual([]);
  });

  it('does not cache a page query the handler rejects', async () => {
    for (const query of ['limit=1&sort=name', 'limit=1&limit=2']) {
      const reply = await api.get(`/users?${query}`);
      expect(reply.status).toBe(400);
      expect(reply.headers.get('x-cache')).toBeNull();
    }
  });

  it('stores plain data under its prefix: tagged with the current generations, the ETag, the body, with the configured TTL', async () => {
    const user = await create();
    const read = await api.get(`/users/${user.id}`);

    const key = `${prefix}:users:v2:item:${user.id}`;
    const value = await redis.get(key);
    const ttl = await redis.pTTL(key);
    const [epoch, generation] = await redis.mGet([
      `${prefix}:epoch`,
      `${prefix}:users:gen:${user.id}`,
    ]);

    expect(epoch).not.toBeNull();
    expect(generation).not.toBeNull();
    expect(value!.split('\n')).toEqual([
      `${epoch}|${generation}`,
      read.headers.get('etag'),
      read.text,
    ]);
    expect(JSON.parse(read.text)).toEqual(user);
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it('does not store errors: a 404 stays a 404 computed from the database', async () => {
    const missing = 2_000_000_000;
    const first = await api.get(`/users/${missing}`);
    const second = await api.get(`/users/${missing}`);

    expect([first.status, second.status]).toEqual([404, 404]);
    expect(second.headers.get('x-cache')).toBe('MISS');
    expect(await redis.exists(`${prefix}:users:v2:item:${missing}`)).toBe(0);
  });

  it('never caches ids in a non-canonical spelling', async () => {
    const user = await create();
    for (const spelling of [`0${user.id}`, `+${user.id}`, `${user.id}.0`]) {
      const reply = await api.get(`/users/${spelling}`);
      expect(reply.status).toBe(400);
    }
    expect(await redis.keys(`${prefix}:users:v2:item:*${user.id}.*`)).toEqual(
      [],
    );
  });

  it('never caches writes', async () => {
    const reply = await api.post('/users', newUser());
    expect(reply.headers.get('x-cache')).toBeNull();
    const keys = await redis.keys(`${prefix}:users:v2:item:${reply.body.id}`);
    expect(keys).toEqual([]);
  });

  it.each(['PUT', 'PATCH'])(
    'invalidates the item and every page after %s',
    async (method) => {
      const user = await create('Before');
      const page = `/users?after=${user.id - 1}&limit=1`;
      await api.get(`/users/${user.id}`);
      await api.get(page);
      expect((await api.get(`/users/${user.id}`)).headers.get('x-cache')).toBe(
        'HIT',
      );
      expect((await api.get(page)).headers.get('x-cache')).toBe('HIT');

      const updated = await api.send(method, `/users/${user.id}`, {
        json: { name: 'After' },
      });
      expect(updated.status).toBe(200);

      const item = await api.get(`/users/${user.id}`);
      const list = await api.get(page);
      expect(item.headers.get('x-cache')).toBe('MISS');
      expect(item.body.name).toBe('After');
      expect(list.headers.get('x-cache')).toBe('MISS');
      expect(list.body.data[0]).toEqual(updated.body);
    },
  );

  it('invalidates pages after a create', async () => {
    const first = await create();
    const page = `/users?after=${first.id}`;
    expect((await api.get(page)).body.data).toEqual([]);
    expect((await api.get(page)).headers.get('x-cache')).toBe('HIT');

    const second = await create();

    const list = await api.get(page);
    expect(list.headers.get('x-cache')).toBe('MISS');
    expect(list.body.data.map((user: { id: number }) => user.id)).toContain(
      second.id,
    );
  });

  it('invalidates the item and pages after a delete', async () => {
    const user = await create();
    const page = `/users?after=${user.id - 1}&limit=1`;
    await api.get(`/users/${user.id}`);
    await api.get(page);

    expect((await api.delete(`/users/${user.id}`)).status).toBe(204);

    expect((await api.get(`/users/${user.id}`)).status).toBe(404);
    const list = await api.get(page);
    expect(list.body.data.map((u: { id: number }) => u.id)).not.toContain(
      user.id,
    );
  });

  it('invalidates the email filter page when that address moves to another user', async () => {
    const user = await create();
    const page = `/users?email=${encodeURIComponent(user.email)}`;
    expect((await api.get(page)).body.data).toHaveLength(1);
    expect((await api.get(page)).headers.get('x-cache')).toBe('HIT');

    await api.patch(`/users/${user.id}`, { email: newUser().email });

    const list = await api.get(page);
    expect(list.headers.get('x-cache')).toBe('MISS');
    expect(list.body.data).toEqual([]);
  });

  it('answers a read with Cache-Control: no-cache from the database, each on its own, and refreshes the entry', async () => {
    const user = await create();
    await api.get(`/users/${user.id}`);
    const spy = new FindByIdSpy(testApp);

    const fresh = await Promise.all(
      Array.from({ length: 5 }, () =>
        api.get(`/users/${user.id}`, { 'cache-control': 'no-cache' }),
      ),
    );

    expect(fresh.map((reply) => reply.headers.get('x-cache'))).toEqual(
      Array(5).fill('MISS'),
    );
    expect(fresh.every((reply) => reply.text === JSON.stringify(user))).toBe(
      true,
    );
    expect(spy.calls).toBe(5);
    expect((await api.get(`/users/${user.id}`)).headers.get('x-cache')).toBe(
      'HIT',
    );
    expect(spy.calls).toBe(5);
  });

  it('lets 50 concurrent misses on one key make one database query', async () => {
    const user = await create();
    const spy = new FindByIdSpy(testApp);
    const release = new Gate();
    const held = spy.holdUntil(release.opened);

    const replies = Promise.all(
      Array.from({ length: 50 }, () => api.get(`/users/${user.id}`)),
    );
    await held;
    // Give the other 49 requests time to reach the cache and join the query.
    await new Promise((resolve) => setTimeout(resolve, 300));
    release.open();

    const results = await replies;
    expect(spy.calls).toBe(1);
    expect(results.map((reply) => reply.status)).toEqual(Array(50).fill(200));
    expect(new Set(results.map((reply) => reply.text)).size).toBe(1);
  });

  it('keeps no stale entry when a slow read races a write (read-miss/write race)', async () => {
    const user = await create('Old');
    const spy = new FindByIdSpy(testApp);
    const release = new Gate();
    const held = spy.holdUntil(release.opened);

    // The read has fetched the old row and is held before it is stored...
    const slowRead = api.get(`/users/${user.id}`);
    await held;
    // ...while a write commits, invalidates and is acknowledged.
    const write = await api.patch(`/users/${user.id}`, { name: 'New' });
    expect(write.status).toBe(200);
    release.open();
    expect((await slowRead).body.name).toBe('Old');

    // The old row did reach Redis, under the old generation: it can never be a hit.
    await waitFor(
      async () =>
        (await redis.get(`${prefix}:users:v2:item:${user.id}`))?.includes(
          '"Old"',
        ) ?? false,
      2000,
      'the stale entry to be stored',
    );
    for (let i = 0; i < 3; i += 1) {
      const reply = await api.get(`/users/${user.id}`);
      expect(reply.body.name).toBe('New');
    }
    expect((await api.get(`/users/${user.id}`)).headers.get('x-cache')).toBe(
      'HIT',
    );
  });
});
