import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import { inject } from 'vitest';
import type { BuiltServer } from './support/built-server.js';
import { environmentOf, readComposeFile } from './support/compose-file.js';
import { waitFor } from './support/gate.js';
import { checkConfig, HAPROXY_CONFIG } from './support/haproxy.js';
import type { Api, Reply } from './support/http.js';
import {
  LoadBalancedStack,
  servedRequests,
} from './support/load-balanced-stack.js';
import { RedisServer } from './support/redis-server.js';
import {
  connectToDatabase,
  createTestDatabase,
  newUser,
} from './support/test-app.js';

/** Starting, draining and replacing replicas on two loaded cores. */
const ROLLING_TEST_MS = 180_000;

/** What the Compose stack sets for every replica, where it matters here. */
const composeApi = environmentOf(readComposeFile().services.api);

interface Acknowledged {
  readonly email: string;
  /** The last name a write was acknowledged with; null once deleted. */
  name: string | null;
}

/**
 * Clients that each, until stopped, live a user's life through the proxy:
 * create, read back, rename, read back, find by e-mail, and every third time
 * delete and read back. Every answer must be the expected status; every read
 * must show the last acknowledged write (a read that does not is stale).
 */
class Traffic {
  readonly failures: string[] = [];
  readonly staleReads: string[] = [];
  readonly users = new Map<number, Acknowledged>();
  requests = 0;
  private running = true;
  private readonly clients: Promise<void>[];

  constructor(
    private readonly api: Api,
    clients: number,
  ) {
    this.clients = Array.from({ length: clients }, (_, n) => this.client(n));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.clients);
  }

  /** Until `count` more requests have been answered, failed or not. */
  async untilMore(count: number): Promise<void> {
    const target = this.requests + count;
    await waitFor(() => this.requests >= target, 30_000, `${count} requests`);
  }

  private async client(n: number): Promise<void> {
    for (let round = 0; this.running; round += 1) {
      await this.lifeOfOneUser(`Client ${n}`, round);
    }
  }

  private async lifeOfOneUser(client: string, round: number): Promise<void> {
    const created = await this.expect(201, 'POST /users', () =>
      this.api.post('/users', newUser(client)),
    );
    if (!created) return;
    const { id, email } = created.body as { id: number; email: string };
    const user: Acknowledged = { email, name: client };
    this.users.set(id, user);
    const path = `/users/${id}`;
    if (!(await this.expectRead(path, user))) return;

    const name = `${client} round ${round}`;
    if (
      !(await this.expect(200, `PATCH ${path}`, () =>
        this.api.patch(path, { name }),
      ))
    ) {
      return;
    }
    user.name = name;
    if (!(await this.expectRead(path, user))) return;
    const byEmail = `/users?email=${encodeURIComponent(email)}`;
    const listed = await this.expect(200, `GET ${byEmail}`, () =>
      this.api.get(byEmail),
    );
    if (listed && listed.body.data[0]?.name !== name) {
      this.staleReads.push(`GET ${byEmail}: ${listed.text}, wrote ${name}`);
    }

    if (round % 3 !== 0) return;
    if (await this.expect(204, `DELETE ${path}`, () => this.api.delete(path))) {
      user.name = null;
      await this.expectRead(path, user);
    }
  }

  private async expectRead(path: string, user: Acknowledged) {
    const reply = await this.send(`GET ${path}`, () => this.api.get(path));
    if (!reply) return false;
    const expected = user.name === null ? 404 : 200;
    if (reply.status === 404 && user.name !== null) {
      this.staleReads.push(`GET ${path}: 404 after an acknowledged create`);
    } else if (reply.status === 200 && reply.body.name !== user.name) {
      this.staleReads.push(
        `GET ${path}: ${reply.text}, wrote ${String(user.name)}`,
      );
    } else if (reply.status !== expected) {
      this.failures.push(`GET ${path}: ${reply.status} ${reply.text}`);
    }
    return reply.status === expected;
  }

  private async expect(
    status: number,
    what: string,
    request: () => Promise<Reply>,
  ): Promise<Reply | undefined> {
    const reply = await this.send(what, request);
    if (reply && reply.status !== status) {
      this.failures.push(
        `${what}: ${reply.status} ${reply.text.slice(0, 200)}`,
      );
      return undefined;
    }
    return reply;
  }

  private async send(
    what: string,
    request: () => Promise<Reply>,
  ): Promise<Reply | undefined> {
    try {
      return await request();
    } catch (error) {
      const { cause } = error as { cause?: unknown };
      this.failures.push(`${what}: ${String(error)} (${String(cause)})`);
      return undefined;
    } finally {
      this.requests += 1;
    }
  }
}

/** What went wrong for `traffic`, and then what the proxy logged. */
function problemsOf(traffic: Traffic, stack: LoadBalancedStack): string[] {
  const problems = [
    ...traffic.failures,
    ...traffic.staleReads.map((read) => `stale read: ${read}`),
  ];
  return problems.length === 0
    ? []
    : [...problems, `haproxy said:\n${stack.proxyOutput}`];
}

/** Every row of the users table, by id. */
async function usersInDatabase(db: Client) {
  const { rows } = await db.query<{ id: number; name: string; email: string }>(
    'SELECT id, name, email FROM users',
  );
  return new Map(rows.map(({ id, name, email }) => [id, { email, name }]));
}

/** What the table must hold after `traffic`: every user not deleted, as last written. */
function expectedRows(traffic: Traffic) {
  return new Map(
    [...traffic.users]
      .filter(([, user]) => user.name !== null)
      .map(([id, user]) => [id, { email: user.email, name: user.name }]),
  );
}

describe('the Compose load balancer (docker/haproxy/haproxy.cfg) in front of built servers', () => {
  let stack: LoadBalancedStack | undefined;
  let redis: RedisServer | undefined;
  let db: Client | undefined;

  /** Replicas as Compose runs them, on a database and a cache prefix of their own. */
  async function replicaEnv(more: Record<string, string> = {}) {
    const database = await createTestDatabase();
    db = await connectToDatabase(database);
    return {
      POSTGRES_DB: database,
      CACHE_KEY_PREFIX: `${inject('testRun').prefix}-lb-${randomBytes(3).toString('hex')}`,
      SHUTDOWN_DELAY_MS: composeApi.SHUTDOWN_DELAY_MS,
      // The proxy runs on this machine: its address is loopback.
      TRUST_PROXY: '127.0.0.1',
      ...more,
    };
  }

  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    await redis?.kill();
    redis = undefined;
    await db?.end();
    db = undefined;
  });

  it('is a configuration this HAProxy accepts without a warning', async () => {
    const result = await checkConfig();
    expect(result.output).not.toMatch(/WARNING|ALERT/);
    expect(result.code).toBe(0);
    expect(HAPROXY_CONFIG).toMatch(/docker\/haproxy\/haproxy\.cfg$/);
  });

  it("keeps the replicas' Keep-Alive hint to itself: a client would hold connections past the proxy's own idle timeout", async () => {
    stack = await LoadBalancedStack.start(
      await replicaEnv({ SHUTDOWN_DELAY_MS: '0' }),
      1,
    );
    const [replica] = stack.replicas;
    expect(
      (await replica.api.get('/health/live')).headers.get('keep-alive'),
    ).toMatch(/timeout=\d+/);
    const reply = await stack.api.get('/health/live');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('keep-alive')).toBeNull();
  });

  it(
    'replaces three replicas one at a time under reads and writes: no failed request, no stale read, every acknowledged write kept',
    async () => {
      stack = await LoadBalancedStack.start(await replicaEnv(), 3);
      const first = [...stack.replicas];
      const traffic = new Traffic(stack.api, 6);
      await traffic.untilMore(100);

      const exitCodes: (number | null)[] = [];
      const servedDuringShutdown: number[] = [];
      const replacements: BuiltServer[] = [];
      for (const old of first) {
        const before = traffic.requests;
        exitCodes.push(await stack.stopReplica(old));
        servedDuringShutdown.push(traffic.requests - before);
        const replacement = await stack.addReplica();
        replacements.push(replacement);
        await stack.untilRouted(replacement);
      }
      await traffic.untilMore(100);
      await traffic.stop();

      expect(problemsOf(traffic, stack)).toEqual([]);
      expect(exitCodes).toEqual([0, 0, 0]);
      // The load really ran while each replica left, and reached the new ones.
      for (const count of servedDuringShutdown) {
        expect(count).toBeGreaterThan(20);
      }
      for (const replica of replacements) {
        expect(servedRequests(replica)).toBeGreaterThan(0);
      }
      expect(traffic.users.size).toBeGreaterThan(30);
      expect(await usersInDatabase(db!)).toEqual(expectedRows(traffic));
    },
    ROLLING_TEST_MS,
  );

  it(
    'keeps serving while Redis is down for every replica, takes a stopping one out all the same, and caches again once Redis is back',
    async () => {
      redis = await RedisServer.start();
      await redis.kill();
      stack = await LoadBalancedStack.start(
        await replicaEnv({
          REDIS_HOST: '127.0.0.1',
          REDIS_PORT: String(redis.port),
        }),
        2,
      );
      const [leaving, staying] = [...stack.replicas];
      // Served by a replica (not the proxy's own 503 page): none is ready.
      const readiness = await stack.api.get('/health/ready');
      expect(readiness).toMatchObject({
        status: 503,
        body: { status: 'error', error: { redis: { status: 'down' } } },
      });

      const traffic = new Traffic(stack.api, 4);
      await traffic.untilMore(50);
      expect(await stack.stopReplica(leaving)).toBe(0);
      await traffic.untilMore(50);
      await traffic.stop();
      expect(problemsOf(traffic, stack)).toEqual([]);
      expect(servedRequests(staying)).toBeGreaterThan(0);
      expect(await usersInDatabase(db!)).toEqual(expectedRows(traffic));

      await redis.ensureRunning();
      await waitFor(
        async () => (await stack!.api.get('/health/ready')).status === 200,
        15_000,
        'a ready replica to take the requests again',
      );
      const user = (await stack.api.post('/users', newUser())).body;
      await waitFor(
        async () =>
          (await stack!.api.get(`/users/${user.id}`)).headers.get('x-cache') ===
          'HIT',
        10_000,
        'cache hits through the proxy',
      );
    },
    ROLLING_TEST_MS,
  );
});
