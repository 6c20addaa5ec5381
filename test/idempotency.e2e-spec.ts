import type { Client } from 'pg';
import { IdempotencyKeysPurger } from '../src/users/idempotency-keys-purger.js';
import { BuiltServer } from './support/built-server.js';
import { waitFor } from './support/gate.js';
import type { Api, Reply } from './support/http.js';
import { TcpProxy } from './support/tcp-proxy.js';
import {
  connectToDatabase,
  createTestDatabase,
  newUser,
  startApp,
  type TestApp,
  useAppWithDatabase,
} from './support/test-app.js';

const IN_PROGRESS = {
  statusCode: 409,
  error: 'Conflict',
  message:
    'a request with this Idempotency-Key is still being processed; retry later',
};
const REUSED = {
  statusCode: 422,
  error: 'Unprocessable Entity',
  message: 'Idempotency-Key was already used with a different body',
};
const INVALID_KEY = {
  statusCode: 400,
  error: 'Bad Request',
  message:
    'Idempotency-Key must be 1-255 visible ASCII characters, optionally in double quotes',
};

let keySequence = 0;
const newKey = () => `key-${process.pid}-${Date.now()}-${(keySequence += 1)}`;

const postWithKey = (api: Api, key: string, body: unknown) =>
  api.post('/users', body, { 'idempotency-key': key });

/** Everything a replay must give back as it was. */
const answerOf = (reply: Reply) => ({
  status: reply.status,
  text: reply.text,
  location: reply.headers.get('location'),
  etag: reply.headers.get('etag'),
});

async function usersWithEmail(db: Client, email: string): Promise<number> {
  const { rows } = await db.query<{ count: string }>(
    'SELECT count(*) FROM users WHERE lower(email) = lower($1)',
    [email],
  );
  return Number(rows[0].count);
}

async function rememberedKeys(db: Client, key: string): Promise<number> {
  const { rows } = await db.query<{ count: string }>(
    'SELECT count(*) FROM idempotency_keys WHERE key = $1',
    [key],
  );
  return Number(rows[0].count);
}

/** Makes a remembered key as old as `hours`. */
async function age(db: Client, key: string, hours: number): Promise<void> {
  await db.query(
    `UPDATE idempotency_keys SET created_at = now() - $2 * interval '1 hour'
     WHERE key = $1`,
    [key, hours],
  );
}

describe('Idempotency-Key on POST /users', () => {
  const context = useAppWithDatabase();

  it('creates once: the retry answers the first 201 as it was, marked Idempotent-Replayed', async () => {
    const key = newKey();
    const body = newUser('Once');

    const first = await postWithKey(context.api, key, body);
    const retry = await postWithKey(context.api, key, body);

    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(answerOf(retry)).toEqual(answerOf(first));
    expect(first.headers.get('location')).toBe(`/users/${first.body.id}`);
    expect(await usersWithEmail(context.db, body.email)).toBe(1);
    expect(await rememberedKeys(context.db, key)).toBe(1);
  });

  it('takes the same JSON value as the same body: whitespace and key order do not matter', async () => {
    const key = newKey();
    const { name, email } = newUser('Spelled');
    const first = await context.api.send('POST', '/users', {
      body: JSON.stringify({ name, email }),
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
    });
    const retry = await context.api.send('POST', '/users', {
      body: `{\n  "email" : ${JSON.stringify(email)},\n\t"name": ${JSON.stringify(name)} }`,
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
    });
    expect(first.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
  });

  it.each([
    [
      'another name',
      (body: { name: string; email: string }) => ({ ...body, name: 'Other' }),
    ],
    // Compared as sent: the same address once lower-cased is still another body.
    [
      'the address in other case',
      (body: { name: string; email: string }) => ({
        ...body,
        email: body.email.toUpperCase(),
      }),
    ],
    [
      'surrounding spaces',
      (body: { name: string; email: string }) => ({
        ...body,
        name: ` ${body.name} `,
      }),
    ],
  ])(
    'answers the same key with %s with 422, writing nothing',
    async (_, change) => {
      const key = newKey();
      const body = newUser('Original');
      const first = await postWithKey(context.api, key, body);
      expect(first.status).toBe(201);

      const other = change(body);
      const reply = await postWithKey(context.api, key, other);

      expect(reply.status).toBe(422);
      expect(reply.body).toEqual(REUSED);
      expect(await usersWithEmail(context.db, body.email)).toBe(1);
      const { rows } = await context.db.query(
        'SELECT count(*)::int AS n FROM users WHERE name = $1',
        [other.name],
      );
      expect(other.name === body.name || rows[0].n === 0).toBe(true);
    },
  );

  it('replays the answer as it was, even after the user changed or was deleted', async () => {
    const key = newKey();
    const body = newUser('As created');
    const first = await postWithKey(context.api, key, body);
    const id = first.body.id;

    const update = await context.api.patch(`/users/${id}`, { name: 'Changed' });
    expect(update.headers.get('etag')).not.toBe(first.headers.get('etag'));
    const afterUpdate = await postWithKey(context.api, key, body);
    await context.api.delete(`/users/${id}`);
    const afterDelete = await postWithKey(context.api, key, body);

    for (const retry of [afterUpdate, afterDelete]) {
      expect(answerOf(retry)).toEqual(answerOf(first));
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
    }
    expect(await usersWithEmail(context.db, body.email)).toBe(0);
  });

  it('reads a quoted key, the IETF draft form, as the key itself', async () => {
    const key = newKey();
    const body = newUser('Quoted');
    const first = await postWithKey(context.api, key, body);
    const retry = await postWithKey(context.api, `"${key}"`, body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
  });

  it('keeps keys apart: another key with another body creates another user', async () => {
    const [a, b] = [newUser(), newUser()];
    const first = await postWithKey(context.api, newKey(), a);
    const second = await postWithKey(context.api, newKey(), b);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body.id).not.toBe(first.body.id);
  });

  it.each([
    ['empty', ''],
    ['with a space', 'a b'],
    ['256 characters', 'k'.repeat(256)],
    ['quoted, 256 characters', `"${'k'.repeat(256)}"`],
    ['an empty quoted string', '""'],
    ['with a tab', 'a\tb'],
  ])('answers a key that is %s with 400, writing nothing', async (_, key) => {
    const body = newUser('Bad key');
    const reply = await context.api.send('POST', '/users', {
      json: body,
      headers: { 'idempotency-key': key },
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual(INVALID_KEY);
    expect(await usersWithEmail(context.db, body.email)).toBe(0);
  });

  it('accepts a key of 255 visible characters', async () => {
    const key = `${'~!'.repeat(127)}#`;
    const reply = await postWithKey(context.api, key, newUser());
    expect(reply.status).toBe(201);
    expect(await rememberedKeys(context.db, key)).toBe(1);
  });

  it('remembers nothing for a request that created nothing: a 409 or a 400 is run again on retry', async () => {
    const taken = newUser('Holder');
    const holder = await context.api.post('/users', taken);
    const key = newKey();
    const body = { name: 'Later', email: taken.email };

    const conflict = await postWithKey(context.api, key, body);
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toBe('email is already in use');
    expect(await rememberedKeys(context.db, key)).toBe(0);

    await context.api.delete(`/users/${holder.body.id}`);
    const retry = await postWithKey(context.api, key, body);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();

    const invalidKey = newKey();
    const invalid = await postWithKey(context.api, invalidKey, { name: '' });
    expect(invalid.status).toBe(400);
    // Not 422: the invalid request left nothing to compare with.
    const valid = await postWithKey(context.api, invalidKey, newUser());
    expect(valid.status).toBe(201);
  });

  it('answers 409 while the first request with the key is still being processed, and never makes a second row', async () => {
    const key = newKey();
    const body = newUser('Slow');
    // Hold the first create inside its transaction: it takes the key, then
    // waits for this lock on the table.
    const blocker = await connectToDatabase(await currentDatabase(context.db));
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE');
    let first: Promise<Reply> | undefined;
    try {
      first = postWithKey(context.api, key, body);
      await waitFor(
        async () => (await waitingOnLock(context.db)) > 0,
        5000,
        'the first create to wait inside its transaction',
      );
      const during = await Promise.all(
        Array.from({ length: 5 }, () => postWithKey(context.api, key, body)),
      );
      for (const reply of during) {
        expect(reply.status).toBe(409);
        expect(reply.body).toEqual(IN_PROGRESS);
      }
    } finally {
      await blocker.query('COMMIT');
      await blocker.end();
    }
    const created = await first;
    expect(created.status).toBe(201);
    const retry = await postWithKey(context.api, key, body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await usersWithEmail(context.db, body.email)).toBe(1);
  });

  it('honours a key for IDEMPOTENCY_TTL_HOURS only: an older one is not replayed, purged or not', async () => {
    const key = newKey();
    const body = newUser('Expiring');
    const first = await postWithKey(context.api, key, body);
    await age(context.db, key, 23.9);
    expect(
      (await postWithKey(context.api, key, body)).headers.get(
        'idempotent-replayed',
      ),
    ).toBe('true');

    await age(context.db, key, 24.01);
    // Run again: the address is taken by the first create.
    const sameBody = await postWithKey(context.api, key, body);
    expect(sameBody.status).toBe(409);
    expect(sameBody.body.message).toBe('email is already in use');
    // Another body under the expired key creates, and the key now names it.
    const other = newUser('After expiry');
    const created = await postWithKey(context.api, key, other);
    expect(created.status).toBe(201);
    expect(created.body.id).not.toBe(first.body.id);
    const replay = await postWithKey(context.api, key, other);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(created.body.id);
    expect(await rememberedKeys(context.db, key)).toBe(1);
  });

  it('purges expired keys, one instance at a time', async () => {
    const expired = [newKey(), newKey()];
    const live = newKey();
    for (const key of [...expired, live]) {
      expect((await postWithKey(context.api, key, newUser())).status).toBe(201);
    }
    for (const key of expired) await age(context.db, key, 25);
    const purger = context.app.get(IdempotencyKeysPurger);

    // While another instance purges (holds the purge lock), this one does not.
    const other = await connectToDatabase(await currentDatabase(context.db));
    await other.query('BEGIN');
    await other.query('SELECT pg_advisory_xact_lock($1)', [0x6964656d70]);
    try {
      expect(await purger.purge()).toBe(0);
      expect(await rememberedKeys(context.db, expired[0])).toBe(1);
    } finally {
      await other.query('COMMIT');
      await other.end();
    }

    expect(await purger.purge()).toBeGreaterThanOrEqual(2);
    expect(await rememberedKeys(context.db, expired[0])).toBe(0);
    expect(await rememberedKeys(context.db, expired[1])).toBe(0);
    expect(await rememberedKeys(context.db, live)).toBe(1);
  });
});

describe('Idempotency-Key across instances', () => {
  let database: string;
  let db: Client;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await connectToDatabase(database);
    apps.push(
      await startApp({ POSTGRES_DB: database }),
      await startApp({ POSTGRES_DB: database }),
    );
  });

  afterAll(async () => {
    await Promise.all(apps.map((testApp) => testApp.close()));
    await db?.end();
  });

  it('replays on any replica what another created', async () => {
    const [a, b] = apps.map((testApp) => testApp.api);
    const key = newKey();
    const body = newUser('Replicated');
    const first = await postWithKey(a, key, body);
    const retry = await postWithKey(b, key, body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(answerOf(retry)).toEqual(answerOf(first));
  });

  it('makes one user of 15 concurrent POSTs with one key on two replicas', async () => {
    const [a, b] = apps.map((testApp) => testApp.api);
    const key = newKey();
    const body = newUser('Concurrent');

    const replies = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        postWithKey(i % 2 ? b : a, key, body),
      ),
    );

    const created = replies.filter(
      (reply) =>
        reply.status === 201 && !reply.headers.has('idempotent-replayed'),
    );
    const replayed = replies.filter(
      (reply) => reply.headers.get('idempotent-replayed') === 'true',
    );
    const inProgress = replies.filter((reply) => reply.status === 409);
    expect(created).toHaveLength(1);
    expect(created.length + replayed.length + inProgress.length).toBe(15);
    for (const reply of replayed)
      expect(reply.body.id).toBe(created[0].body.id);
    for (const reply of inProgress) expect(reply.body).toEqual(IN_PROGRESS);
    expect(await usersWithEmail(db, body.email)).toBe(1);
    // Every client that retries now gets the one user.
    const retry = await postWithKey(b, key, body);
    expect(retry.body.id).toBe(created[0].body.id);
  });

  it('honours IDEMPOTENCY_TTL_HOURS as configured', async () => {
    const key = newKey();
    const body = newUser('Short-lived');
    await postWithKey(apps[0].api, key, body);
    await age(db, key, 1.5);
    // Within the default 24 hours: replayed.
    expect(
      (await postWithKey(apps[0].api, key, body)).headers.get(
        'idempotent-replayed',
      ),
    ).toBe('true');

    const shortLived = await startApp({
      POSTGRES_DB: database,
      IDEMPOTENCY_TTL_HOURS: '1',
    });
    apps.push(shortLived);
    const retry = await postWithKey(shortLived.api, key, body);
    // Run again, not replayed: the address is taken by the first create.
    expect(retry.status).toBe(409);
    expect(retry.body.message).toBe('email is already in use');
  });

  it('purges expired keys at start-up, in the background', async () => {
    const key = newKey();
    await postWithKey(apps[0].api, key, newUser());
    await age(db, key, 48);

    apps.push(await startApp({ POSTGRES_DB: database }));

    await waitFor(
      async () => (await rememberedKeys(db, key)) === 0,
      5000,
      'the start-up purge',
    );
  });
});

describe('Idempotency-Key when the answer is lost', () => {
  it('a server killed (SIGKILL) after its commit, before the client got the 201: the retry on another gets the remembered 201, not a second row', async () => {
    const database = await createTestDatabase();
    const db = await connectToDatabase(database);
    const env = { POSTGRES_DB: database, LOG_LEVEL: 'silent' };
    const [doomed, survivor] = await Promise.all([
      BuiltServer.start(env),
      BuiltServer.start(env),
    ]);
    const proxy = await TcpProxy.start(
      '127.0.0.1',
      Number(new URL(doomed.api.baseUrl).port),
    );
    try {
      const key = newKey();
      const body = newUser('Lost answer');
      proxy.dropReplies();
      const attempt = new AbortController();
      const lost = fetch(`http://127.0.0.1:${proxy.port}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
        signal: attempt.signal,
      }).catch((error: unknown) => error);

      await waitFor(
        async () => (await rememberedKeys(db, key)) === 1,
        10_000,
        'the first create to commit',
      );
      doomed.signal('SIGKILL');
      expect(await doomed.exited).toBeNull();
      attempt.abort();
      expect(await lost).toBeInstanceOf(Error);

      const retry = await postWithKey(survivor.api, key, body);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body).toMatchObject(body);
      expect(retry.headers.get('location')).toBe(`/users/${retry.body.id}`);
      expect(await usersWithEmail(db, body.email)).toBe(1);
    } finally {
      await proxy.close();
      await Promise.all([doomed.stop(), survivor.stop()]);
      await db.end();
    }
  });
});

async function currentDatabase(db: Client): Promise<string> {
  const { rows } = await db.query<{ name: string }>(
    'SELECT current_database() AS name',
  );
  return rows[0].name;
}

/** Backends of this database waiting for a lock: a create held inside its transaction. */
async function waitingOnLock(db: Client): Promise<number> {
  const { rows } = await db.query<{ count: string }>(
    `SELECT count(*) FROM pg_stat_activity
     WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return Number(rows[0].count);
}
