import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { Client } from 'pg';
import { inject } from 'vitest';
import { migrations } from '../src/database/migrations.js';
import { BuiltServer } from './support/built-server.js';
import { accepts, freePort } from './support/free-port.js';
import { waitFor } from './support/gate.js';
import { Api, type Reply } from './support/http.js';
import {
  connectToDatabase,
  createEmptyDatabase,
  createTestDatabase,
  newUser,
} from './support/test-app.js';

// The same constant as src/database/run-migrations.ts: holding it keeps a
// starting server in its migration step.
const MIGRATION_LOCK_ID = 0x7573657273;
/** docs/API.md: SIGTERM drains and exits 0; the brief gives it 10 s. */
const EXIT_WITHIN_MS = 10_000;

/** Resolves with `promise`, or fails once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms: number, what: string) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: over ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * SIGTERM, then once the port has closed (the first signal was handled, so
 * the next ones are not merged into it) `again`: the process must still be
 * draining 300 ms later.
 */
async function signalAgainWhileDraining(
  server: BuiltServer,
  port: number,
  again: NodeJS.Signals[],
): Promise<void> {
  let exited = false;
  void server.exited.then(() => (exited = true));
  server.signal('SIGTERM');
  await waitFor(async () => !(await accepts(port)), 3000, 'the port to close');
  for (const signal of again) server.signal(signal);
  await delay(300);
  expect(exited).toBe(false);
}

async function migrationNames(db: Client): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    'SELECT name FROM migrations ORDER BY id',
  );
  return rows.map((row) => row.name);
}

async function hasUsersTable(db: Client): Promise<boolean> {
  const { rows } = await db.query(`SELECT to_regclass('users') AS name`);
  return rows[0].name !== null;
}

/**
 * How many sessions on `database` wait for a lock of this kind: `relation`
 * (a table) or `advisory` (the migration lock). Poll it from a session outside
 * any transaction: inside one, pg_stat_activity does not change.
 */
async function sessionsWaitingFor(
  db: Client,
  database: string,
  lock: 'relation' | 'advisory',
): Promise<number> {
  const { rows } = await db.query<{ waiting: number }>(
    `SELECT count(*)::int AS waiting FROM pg_stat_activity
     WHERE datname = $1 AND wait_event_type = 'Lock' AND wait_event = $2`,
    [database, lock],
  );
  return rows[0].waiting;
}

/** Every statement on `users` waits behind this until ROLLBACK: requests stay in flight. */
async function lockUsersTable(db: Client): Promise<void> {
  await db.query('BEGIN');
  await db.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
}

/** Environment of one server: its own cache key prefix on the shared Redis. */
function envFor(database: string, more: Record<string, string> = {}) {
  return {
    POSTGRES_DB: database,
    LOG_LEVEL: 'warn',
    CACHE_KEY_PREFIX: `${inject('testRun').prefix}-life-${randomBytes(3).toString('hex')}`,
    ...more,
  };
}

/** What a server logged at level error or fatal. */
function errorLines(server: BuiltServer): unknown[] {
  return server
    .logLines()
    .filter((line) => line.level === 'error' || line.level === 'fatal');
}

/** The compiled server (`dist/`, built by the e2e global setup), as users run it. */
describe('the built server', () => {
  const servers: BuiltServer[] = [];
  const clients: Client[] = [];

  async function start(database: string): Promise<BuiltServer> {
    const server = await BuiltServer.start(envFor(database));
    servers.push(server);
    return server;
  }

  async function client(database: string): Promise<Client> {
    const db = await connectToDatabase(database);
    clients.push(db);
    return db;
  }

  async function startCluster(database: string): Promise<BuiltServer> {
    const server = await BuiltServer.start(
      envFor(database, { CLUSTER_WORKERS: '2' }),
    );
    servers.push(server);
    await waitFor(
      () => workersOf(server.pid).length === 2,
      15_000,
      'two workers',
    );
    return server;
  }

  /**
   * Six creations in flight at once, on as many connections (so a cluster
   * spreads them over its workers), held until ROLLBACK on `blocker`.
   */
  /** Until `count` requests wait on the users table lock. */
  async function untilWaitingOnLock(database: string, count: number) {
    const monitor = await client(database);
    await waitFor(
      async () =>
        (await sessionsWaitingFor(monitor, database, 'relation')) === count,
      5000,
      `${count} requests to wait on the lock`,
    );
  }

  async function holdCreations(server: BuiltServer, database: string) {
    const blocker = await client(database);
    await lockUsersTable(blocker);
    const inFlight = Array.from({ length: 6 }, () =>
      server.api.post('/users', newUser('Drained')),
    );
    await untilWaitingOnLock(database, inFlight.length);
    return { blocker, inFlight };
  }

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    await Promise.all(clients.splice(0).map((db) => db.end()));
  });

  it('applies the migrations to an empty database before its port opens', async () => {
    const database = await createEmptyDatabase();
    const lock = await client(database);
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const port = await freePort();
    const server = BuiltServer.launch(envFor(database, { PORT: String(port) }));
    servers.push(server);

    let exited = false;
    void server.exited.then(() => (exited = true));

    // Held in its migration step: running, but no port and no table yet.
    await waitFor(
      async () => (await sessionsWaitingFor(lock, database, 'advisory')) === 1,
      15_000,
      'the server to wait for the migration lock',
    );
    expect(exited).toBe(false);
    expect(await accepts(port)).toBe(false);
    expect(await hasUsersTable(lock)).toBe(false);

    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    await waitFor(() => accepts(port), 15_000, 'the port to open');
    const db = await client(database);
    expect(await hasUsersTable(db)).toBe(true);
    expect(await migrationNames(db)).toEqual(migrations.map((m) => m.name));
    expect((await server.api.get('/health/live')).status).toBe(200);
    expect((await server.api.post('/users', newUser())).status).toBe(201);
  });

  it('starts with `npm run start:prod`, as docs/API.md documents, and stops when npm gets SIGTERM', async () => {
    const port = await freePort();
    // Its own process group, so that nothing it started can outlive the test.
    const npm = spawn('npm', ['run', '--silent', 'start:prod'], {
      env: {
        ...process.env,
        ...envFor(await createTestDatabase(), { PORT: String(port) }),
      },
      detached: true,
      stdio: 'ignore',
    });
    const npmExited = once(npm, 'exit');
    try {
      const api = new Api(`http://127.0.0.1:${port}`);
      await waitFor(
        async () =>
          (await api.get('/health/live').catch(() => undefined))?.status ===
          200,
        15_000,
        'npm run start:prod to answer',
      );
      expect((await api.post('/users', newUser())).status).toBe(201);

      // What a supervisor does: signal the process it started.
      npm.kill('SIGTERM');
      await within(npmExited, EXIT_WITHIN_MS, 'npm to exit');
      await waitFor(
        async () => !(await accepts(port)),
        EXIT_WITHIN_MS,
        'the server started by npm to stop',
      );
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    }
  });

  it('serves create, read, list, update and delete', async () => {
    const { api } = await start(await createTestDatabase());

    const created = await api.post('/users', newUser('Built'));
    expect(created.status).toBe(201);
    const path = `/users/${created.body.id}`;
    expect((await api.get(path)).body).toEqual(created.body);
    expect((await api.get('/users')).body.data).toEqual([created.body]);
    const updated = await api.patch(path, { name: 'Rebuilt' });
    expect(updated).toMatchObject({ status: 200, body: { name: 'Rebuilt' } });
    expect((await api.delete(path)).status).toBe(204);
    expect((await api.get(path)).status).toBe(404);
  });

  it('keeps the data across a restart (SIGTERM, then start again on the same database)', async () => {
    const database = await createTestDatabase();
    const first = await start(database);
    const user = (await first.api.post('/users', newUser('Kept'))).body;

    first.signal('SIGTERM');
    expect(await within(first.exited, EXIT_WITHIN_MS, 'exit')).toBe(0);

    const second = await start(database);
    expect((await second.api.get(`/users/${user.id}`)).body).toEqual(user);
    expect(await migrationNames(await client(database))).toEqual(
      migrations.map((m) => m.name),
    );
  });

  it.each([
    ['PORT=abc', { PORT: 'abc' }, ['PORT=abc']],
    [
      'several bad variables',
      {
        PORT: '70000',
        POSTGRES_PORT: 'five',
        REDIS_PORT: '0',
        LOG_LEVEL: 'loud',
        CACHE_TTL_SECONDS: '-5',
        CORS_ORIGINS: 'not an origin',
        CLUSTER_WORKERS: 'many',
        TRUST_PROXY: '*',
        SHUTDOWN_DELAY_MS: '-1',
      },
      [
        'PORT=70000',
        'POSTGRES_PORT=five',
        'REDIS_PORT=0',
        'LOG_LEVEL=loud',
        'CACHE_TTL_SECONDS=-5',
        'CORS_ORIGINS=not an origin',
        'CLUSTER_WORKERS=many',
        'TRUST_PROXY=*',
        'SHUTDOWN_DELAY_MS=-1',
      ],
    ],
  ])(
    'refuses to start with %s: exits non-zero naming every bad variable, without a stack trace',
    async (_, env, named) => {
      const server = BuiltServer.launch({ POSTGRES_DB: 'unused', ...env });
      servers.push(server);

      const code = await within(server.exited, EXIT_WITHIN_MS, 'exit');

      expect(code).not.toBe(0);
      const stderr = server.stderr.join('');
      for (const problem of named) expect(stderr).toContain(problem);
      expect(stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('on SIGTERM, refuses new connections, finishes the requests in flight, then exits 0', async () => {
    const database = await createTestDatabase();
    const server = await start(database);
    const { api } = server;
    const port = Number(new URL(api.baseUrl).port);
    const users = [];
    for (let i = 0; i < 3; i += 1) {
      users.push((await api.post('/users', newUser())).body);
    }
    const blocker = await client(database);
    await lockUsersTable(blocker);
    const inFlight: [string, Promise<Reply>, number][] = [
      ['POST', api.post('/users', newUser('Drained')), 201],
      ['GET', api.get(`/users/${users[0].id}`), 200],
      ['LIST', api.get(`/users?after=${users[0].id}`), 200],
      ['PATCH', api.patch(`/users/${users[1].id}`, { name: 'Drained' }), 200],
      ['DELETE', api.delete(`/users/${users[2].id}`), 204],
    ];
    await untilWaitingOnLock(database, inFlight.length);

    const answered = inFlight.map(() => false);
    inFlight.forEach(([, reply], i) => {
      void reply.finally(() => (answered[i] = true));
    });
    let exited = false;
    void server.exited.then(() => (exited = true));

    const signalledAt = performance.now();
    server.signal('SIGTERM');
    await waitFor(
      async () => !(await accepts(port)),
      3000,
      'the port to close',
    );
    // Draining: nothing answered yet, and the process waits for them.
    await delay(300);
    expect({ answered, exited }).toEqual({
      answered: inFlight.map(() => false),
      exited: false,
    });
    await blocker.query('ROLLBACK');

    const replies = await within(
      Promise.all(inFlight.map(([, reply]) => reply)),
      EXIT_WITHIN_MS,
      'the requests in flight',
    );
    expect(replies.map((reply, i) => [inFlight[i][0], reply.status])).toEqual(
      inFlight.map(([name, , status]) => [name, status]),
    );
    // fetch keeps connections alive, as most clients and proxies do.
    const code = await within(server.exited, EXIT_WITHIN_MS, 'exit');
    expect({ code, errors: errorLines(server) }).toEqual({
      code: 0,
      errors: [],
    });
    expect(performance.now() - signalledAt).toBeLessThan(EXIT_WITHIN_MS);
    const { rows } = await blocker.query('SELECT name FROM users ORDER BY id');
    expect(rows.map((row) => row.name)).toEqual([
      'Test User',
      'Drained',
      'Drained',
    ]);
  });

  it('with SHUTDOWN_DELAY_MS, on SIGTERM answers 503 "shutting_down" on /health/ready at once, serves every other request for the delay, then drains and exits 0', async () => {
    const delayMs = 1500;
    const server = await BuiltServer.start(
      envFor(await createTestDatabase(), {
        SHUTDOWN_DELAY_MS: String(delayMs),
      }),
    );
    servers.push(server);
    const { api, port } = server;
    expect((await api.get('/health/ready')).status).toBe(200);

    const signalledAt = performance.now();
    server.signal('SIGTERM');
    await waitFor(
      async () => (await api.get('/health/ready')).status === 503,
      1000,
      'readiness to drop',
    );
    for (const path of ['/health', '/health/ready']) {
      expect(await api.get(path)).toMatchObject({
        status: 503,
        body: { status: 'shutting_down', info: {}, error: {}, details: {} },
      });
    }
    expect((await api.get('/health/live')).status).toBe(200);
    const created = await api.post('/users', newUser('During the delay'));
    expect(created.status).toBe(201);
    expect((await api.get(`/users/${created.body.id}`)).status).toBe(200);

    await waitFor(
      async () => !(await accepts(port)),
      delayMs + 3000,
      'the port to close',
    );
    // Timers never fire early: the port stayed open for the whole delay.
    expect(performance.now() - signalledAt).toBeGreaterThanOrEqual(delayMs);
    expect(await within(server.exited, EXIT_WITHIN_MS, 'exit')).toBe(0);
    expect(errorLines(server)).toEqual([]);
  });

  it('starts and serves while its Redis host does not even resolve, as when the Compose cache service is stopped', async () => {
    const server = await BuiltServer.start(
      envFor(await createTestDatabase(), { REDIS_HOST: 'cache.invalid' }),
    );
    servers.push(server);
    const { api } = server;

    const created = await api.post('/users', newUser('No cache'));
    expect(created.status).toBe(201);
    expect(await api.get(`/users/${created.body.id}`)).toMatchObject({
      status: 200,
      body: created.body,
    });
    expect(await api.get('/health/ready')).toMatchObject({
      status: 503,
      body: { status: 'error', error: { redis: { status: 'down' } } },
    });
  });

  it('keeps draining through a second SIGTERM and a SIGINT: the request in flight completes, then exit 0', async () => {
    const database = await createTestDatabase();
    const server = await start(database);
    const port = Number(new URL(server.api.baseUrl).port);
    const blocker = await client(database);
    await lockUsersTable(blocker);
    const reply = server.api.post('/users', newUser('Drained'));
    await untilWaitingOnLock(database, 1);
    await signalAgainWhileDraining(server, port, ['SIGTERM', 'SIGINT']);
    await blocker.query('ROLLBACK');

    expect(
      (await within(reply, EXIT_WITHIN_MS, 'the request in flight')).status,
    ).toBe(201);
    expect(await within(server.exited, EXIT_WITHIN_MS, 'exit')).toBe(0);
    expect(errorLines(server)).toEqual([]);
  });

  it('starts two servers at once on one empty database: both migrate under the lock and serve', async () => {
    const database = await createEmptyDatabase();
    // Both reach the migration step before either may run it.
    const lock = await client(database);
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const [a, b] = await Promise.all(
      [1, 2].map(async () => {
        const port = String(await freePort());
        const server = BuiltServer.launch(envFor(database, { PORT: port }));
        servers.push(server);
        return server;
      }),
    );
    await waitFor(
      async () => (await sessionsWaitingFor(lock, database, 'advisory')) === 2,
      15_000,
      'both servers to wait for the migration lock',
    );
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    for (const server of [a, b]) {
      const port = Number(new URL(server.api.baseUrl).port);
      await waitFor(() => accepts(port), 15_000, 'both ports to open');
    }

    const db = await client(database);
    expect(await migrationNames(db)).toEqual(migrations.map((m) => m.name));
    const created = await a.api.post('/users', newUser('Twin'));
    expect(created.status).toBe(201);
    expect((await b.api.get(`/users/${created.body.id}`)).body).toEqual(
      created.body,
    );
    for (const server of [a, b]) {
      expect(server.stderr.join('')).toBe('');
      expect(errorLines(server)).toEqual([]);
    }
  });

  it('with CLUSTER_WORKERS=2, serves from two workers, replaces one that dies, and on SIGTERM (sent twice) finishes the requests in flight, then exits 0', async () => {
    const database = await createTestDatabase();
    const server = await startCluster(database);
    const port = Number(new URL(server.api.baseUrl).port);
    const [first] = workersOf(server.pid);
    expect((await server.api.post('/users', newUser())).status).toBe(201);

    process.kill(first, 'SIGKILL');
    await waitFor(
      async () =>
        workersOf(server.pid).length === 2 &&
        !workersOf(server.pid).includes(first) &&
        (await server.api.get('/users').catch(() => undefined))?.status === 200,
      15_000,
      'a replacement worker',
    );

    const { blocker, inFlight } = await holdCreations(server, database);
    const workers = workersOf(server.pid);
    await signalAgainWhileDraining(server, port, ['SIGTERM']);
    await blocker.query('ROLLBACK');

    const replies = await within(
      Promise.all(inFlight),
      EXIT_WITHIN_MS,
      'the requests in flight',
    );
    expect(replies.map((reply) => reply.status)).toEqual(
      inFlight.map(() => 201),
    );
    expect(await within(server.exited, EXIT_WITHIN_MS, 'exit')).toBe(0);
    expect(workers.filter(isAlive)).toEqual([]);
  });

  it('with CLUSTER_WORKERS=2, replaces no worker that dies once SIGTERM has come', async () => {
    const database = await createTestDatabase();
    const server = await startCluster(database);
    const held = await holdCreations(server, database);
    // The dead worker's requests fail with their connections.
    const inFlight = held.inFlight.map((reply) => reply.catch(() => undefined));
    // The survivor must hold a request, to keep the primary draining.
    const holders = await workersHoldingWaiters(
      server.pid,
      await client(database),
      database,
    );
    const survivor = holders[0];
    const dead = workersOf(server.pid).find((pid) => pid !== survivor)!;
    expect(survivor).toBeDefined();

    process.kill(dead, 'SIGKILL');
    await waitFor(
      () =>
        server
          .logLines()
          .some((line) => line.msg === 'worker died: replacing it'),
      5000,
      'the primary to see the worker die',
    );
    server.signal('SIGTERM');
    // Longer than the primary's delay before it replaces a worker.
    await delay(1500);
    expect(workersOf(server.pid)).toEqual([survivor]);
    await held.blocker.query('ROLLBACK');

    expect(await within(server.exited, EXIT_WITHIN_MS, 'exit')).toBe(0);
    const statuses = (await Promise.all(inFlight)).map(
      (reply) => reply?.status,
    );
    // The survivor held some: it kept the primary draining past the delay.
    expect(statuses).toContain(201);
  });
});

/** The worker processes a cluster primary has forked. */
function workersOf(primary: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // Fields after the command: state, then the parent's pid.
        const parent = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
        return Number(parent) === primary;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Workers of `primary` whose database connections wait on a lock. */
async function workersHoldingWaiters(
  primary: number,
  db: Client,
  database: string,
): Promise<number[]> {
  const { rows } = await db.query<{ port: number }>(
    `SELECT client_port AS port FROM pg_stat_activity
     WHERE datname = $1 AND wait_event_type = 'Lock'`,
    [database],
  );
  const waiting = new Set(rows.map((row) => row.port));
  return workersOf(primary).filter((pid) =>
    [...tcpPortsOf(pid)].some((port) => waiting.has(port)),
  );
}

/** Local ports of the TCP sockets `pid` holds, from /proc. */
function tcpPortsOf(pid: number): Set<number> {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return /^socket:\[(\d+)\]$/.exec(
          readlinkSync(`/proc/${pid}/fd/${fd}`),
        )?.[1];
      } catch {
        return undefined;
      }
    }),
  );
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const row of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const [, local, , , , , , , , inode] = row.trim().split(/\s+/);
      if (inodes.has(inode)) ports.add(parseInt(local.split(':')[1], 16));
    }
  }
  return ports;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
