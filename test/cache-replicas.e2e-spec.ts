import type { Api } from './support/http.js';
import { waitFor } from './support/gate.js';
import { redisConfig } from './support/redis.js';
import { TcpProxy } from './support/tcp-proxy.js';
import {
  createTestDatabase,
  newUser,
  startApp,
  type TestApp,
} from './support/test-app.js';

const version = (name: string) => Number(name.replace('v', ''));

/** Two instances of the service on one PostgreSQL and one Redis, as replicas run. */
describe('response cache across replicas', () => {
  let database: string;
  let prefix: string;
  const apps: TestApp[] = [];

  async function replica(env: Record<string, string> = {}): Promise<TestApp> {
    const testApp = await startApp({
      POSTGRES_DB: database,
      CACHE_KEY_PREFIX: prefix,
      ...env,
    });
    apps.push(testApp);
    return testApp;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  beforeEach(() => {
    prefix = `replicas-${Math.random().toString(36).slice(2)}`;
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((testApp) => testApp.close()));
  });

  it('never serves a read older than an acknowledged write, from either replica', async () => {
    const [a, b] = [(await replica()).api, (await replica()).api];
    const user = (await a.post('/users', newUser('v0'))).body;
    const item = `/users/${user.id}`;
    const page = `/users?after=${user.id - 1}&limit=1`;
    let acknowledged = 0;
    const writesDone = new AbortController();
    let reads = 0;
    const stale: string[] = [];

    async function readContinuously(
      api: Api,
      path: string,
      pick: (body: any) => string,
    ) {
      while (!writesDone.signal.aborted) {
        const floor = acknowledged;
        const reply = await api.get(path);
        reads += 1;
        const seen = version(pick(reply.body));
        if (seen < floor)
          stale.push(`${path}: saw v${seen} after v${floor} was acknowledged`);
      }
    }
    const readers = [a, b].flatMap((api) => [
      readContinuously(api, item, (body) => body.name),
      readContinuously(api, page, (body) => body.data[0].name),
    ]);

    const writes = 120;
    let previousTag = (await a.get(item)).headers.get('etag')!;
    for (let k = 1; k <= writes; k += 1) {
      const writer = k % 3 === 0 ? b : a;
      const other = writer === a ? b : a;
      const reply = await writer.patch(item, { name: `v${k}` });
      expect(reply.status).toBe(200);
      acknowledged = k;
      const tag = reply.headers.get('etag')!;
      const [onOther, pageOnOther, onWriter, revalidatedOld, revalidated] =
        await Promise.all([
          other.get(item),
          other.get(page),
          writer.get(item),
          // Read-your-writes holds for tags too: never a 304 for the old one.
          other.get(item, { 'if-none-match': previousTag }),
          other.get(item, { 'if-none-match': tag }),
        ]);
      expect(onOther.body.name).toBe(`v${k}`);
      expect(pageOnOther.body.data[0].name).toBe(`v${k}`);
      expect(onWriter.body.name).toBe(`v${k}`);
      expect([revalidatedOld.status, revalidatedOld.body?.name]).toEqual([
        200,
        `v${k}`,
      ]);
      expect(revalidated.status).toBe(304);
      previousTag = tag;
    }
    writesDone.abort();
    await Promise.all(readers);

    expect(stale).toEqual([]);
    expect(reads).toBeGreaterThan(writes);
    // The cache was really in use between writes.
    const hits = await Promise.all([a.get(item), a.get(item), b.get(item)]);
    expect(hits.map((reply) => reply.headers.get('x-cache'))).toContain('HIT');
  });

  it('relays a write that could not reach Redis through PostgreSQL: other replicas stop serving the old entry within 1 s', async () => {
    const proxy = await TcpProxy.start(redisConfig.host, redisConfig.port);
    try {
      const cutOff = (
        await replica({
          REDIS_HOST: '127.0.0.1',
          REDIS_PORT: String(proxy.port),
        })
      ).api;
      const connected = (await replica()).api;
      const user = (await connected.post('/users', newUser('Before'))).body;
      const item = `/users/${user.id}`;
      const oldTag = (await connected.get(item)).headers.get('etag')!;
      expect((await connected.get(item)).headers.get('x-cache')).toBe('HIT');

      proxy.refuse();
      const write = await cutOff.patch(item, { name: 'After' });
      expect(write.status).toBe(200);
      const acknowledgedAt = Date.now();

      await waitFor(
        async () => (await connected.get(item)).body.name === 'After',
        1000,
        'the connected replica to serve the write',
      );
      await waitFor(
        async () =>
          (await connected.get(item, { 'if-none-match': oldTag })).status ===
          200,
        1000,
        'the connected replica to stop answering 304 for the old tag',
      );
      expect(Date.now() - acknowledgedAt).toBeLessThan(1000);
      expect((await connected.get(item)).body.name).toBe('After');
      const revalidated = await connected.get(item, {
        'if-none-match': oldTag,
      });
      expect(revalidated.status).toBe(200);
      expect(revalidated.headers.get('etag')).toBe(write.headers.get('etag'));
    } finally {
      await proxy.close();
    }
  });

  it('after losing Redis, invalidates what it may have missed before serving from the cache again', async () => {
    const proxy = await TcpProxy.start(redisConfig.host, redisConfig.port);
    try {
      const api = (
        await replica({
          REDIS_HOST: '127.0.0.1',
          REDIS_PORT: String(proxy.port),
        })
      ).api;
      const user = (await api.post('/users', newUser('Before'))).body;
      const item = `/users/${user.id}`;
      await api.get(item);
      expect((await api.get(item)).headers.get('x-cache')).toBe('HIT');

      // The write's invalidation cannot reach Redis, and no replica can relay it.
      proxy.refuse();
      const write = await api.patch(item, { name: 'After' });
      expect(write.status).toBe(200);
      // Long enough for the relay of that invalidation (heard back by this
      // same instance through LISTEN) to fail too: it is lost for good.
      await new Promise((resolve) => setTimeout(resolve, 300));
      proxy.restore();

      // Every read is fresh, including the first hits once Redis is back.
      await waitFor(
        async () => {
          const reply = await api.get(item);
          expect(reply.body.name).toBe('After');
          return reply.headers.get('x-cache') === 'HIT';
        },
        5000,
        'the cache to be used again',
      );
    } finally {
      await proxy.close();
    }
  });
});
