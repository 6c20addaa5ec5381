import { DataSource } from 'typeorm';
import { postgresOptions } from '../src/database/postgres-options.js';
import { runMigrationsExclusively } from '../src/database/run-migrations.js';
import { Gate } from './support/gate.js';
import { postgresConfig } from './support/postgres.js';
import {
  createEmptyDatabase,
  newUser,
  useAppWithDatabase,
  type AppWithDatabase,
} from './support/test-app.js';
import { FindByIdSpy } from './support/users-repository-spy.js';

const STRONG_TAG = /^"\d+"$/;
const WEAK_TAG = /^W\/"[\w-]+"$/;
const PRECONDITION_FAILED = {
  statusCode: 412,
  error: 'Precondition Failed',
  message: 'If-Match does not match the current ETag of the user',
};

describe('ETags and conditional requests (RFC 9110, section 13)', () => {
  const context = useAppWithDatabase({ CACHE_TTL_SECONDS: '30' });

  async function created(name = 'Tagged') {
    const reply = await context.api.post('/users', newUser(name));
    expect(reply.status).toBe(201);
    return { user: reply.body, etag: reply.headers.get('etag')! };
  }

  async function nameInDatabase(id: number): Promise<string | undefined> {
    const { rows } = await context.db.query<{ name: string }>(
      'SELECT name FROM users WHERE id = $1',
      [id],
    );
    return rows[0]?.name;
  }

  describe('ETag', () => {
    it('tags a user strongly: the same tag from the create, PostgreSQL and Redis', async () => {
      const { user, etag } = await created();
      expect(etag).toMatch(STRONG_TAG);

      const miss = await context.api.get(`/users/${user.id}`);
      const hit = await context.api.get(`/users/${user.id}`);

      expect([miss.headers.get('x-cache'), hit.headers.get('x-cache')]).toEqual(
        ['MISS', 'HIT'],
      );
      expect(miss.headers.get('etag')).toBe(etag);
      expect(hit.headers.get('etag')).toBe(etag);
    });

    it('changes with every update and only then, PUT and PATCH alike', async () => {
      const { user, etag: first } = await created();
      await context.api.get(`/users/${user.id}`);
      expect(
        (await context.api.get(`/users/${user.id}`)).headers.get('etag'),
      ).toBe(first);

      const put = await context.api.put(`/users/${user.id}`, {
        name: 'Second',
      });
      // The same values again are still an update: a new version.
      const patch = await context.api.patch(`/users/${user.id}`, {
        name: 'Second',
      });

      const tags = [first, put.headers.get('etag'), patch.headers.get('etag')];
      expect(new Set(tags).size).toBe(3);
      for (const tag of tags) expect(tag).toMatch(STRONG_TAG);
      const read = await context.api.get(`/users/${user.id}`);
      expect(read.headers.get('etag')).toBe(patch.headers.get('etag'));
    });

    it('follows the row, whoever writes it: an update outside the API changes the tag too', async () => {
      const { user, etag } = await created();
      await context.db.query(
        `UPDATE users SET name = 'Admin edit' WHERE id = $1`,
        [user.id],
      );

      const read = await context.api.get(`/users/${user.id}`, {
        'cache-control': 'no-cache',
      });

      expect(read.body.name).toBe('Admin edit');
      expect(read.headers.get('etag')).not.toBe(etag);
      expect(read.body.updatedAt > user.updatedAt).toBe(true);
    });

    it('does not hand out the old tags again in a database created anew', async () => {
      const firstVersions = await Promise.all(
        [1, 2].map(async () => {
          const database = await createEmptyDatabase();
          const dataSource = new DataSource(
            postgresOptions({ ...postgresConfig, database }),
          );
          await dataSource.initialize();
          try {
            await runMigrationsExclusively(dataSource);
            const [row] = await dataSource.query<{ version: string }[]>(
              `INSERT INTO users (name, email) VALUES ('First', 'first@example.com')
               RETURNING version::text`,
            );
            return row.version;
          } finally {
            await dataSource.destroy();
          }
        }),
      );
      expect(new Set(firstVersions).size).toBe(2);
    });

    it('tags users apart: no two users share a tag', async () => {
      const tags = await Promise.all([created(), created(), created()]);
      expect(new Set(tags.map(({ etag }) => etag)).size).toBe(3);
    });

    it('tags a page weakly: the same from PostgreSQL and Redis, new when a user on it changes, comes or goes', async () => {
      const { user: a } = await created('A');
      const { user: b } = await created('B');
      const page = `/users?after=${a.id - 1}&limit=3`;
      const miss = await context.api.get(page);
      const hit = await context.api.get(page);
      const fresh = await context.api.get(page, {
        'cache-control': 'no-cache',
      });
      const tag = miss.headers.get('etag')!;
      expect(tag).toMatch(WEAK_TAG);
      expect(hit.headers.get('x-cache')).toBe('HIT');
      expect([hit.headers.get('etag'), fresh.headers.get('etag')]).toEqual([
        tag,
        tag,
      ]);

      await context.api.patch(`/users/${b.id}`, { name: 'B2' });
      const afterUpdate = (await context.api.get(page)).headers.get('etag');
      const { user: c } = await created('C');
      const afterCreate = (await context.api.get(page)).headers.get('etag');
      await context.api.delete(`/users/${c.id}`);
      const afterDelete = (await context.api.get(page)).headers.get('etag');

      expect(new Set([tag, afterUpdate, afterCreate]).size).toBe(3);
      // The same users at the same versions: the same page, the same tag.
      expect(afterDelete).toBe(afterUpdate);
    });
  });

  describe('If-None-Match', () => {
    it('answers 304 with no body, the ETag and X-Cache, from PostgreSQL and from Redis', async () => {
      const { user, etag } = await created();

      const miss = await context.api.get(`/users/${user.id}`, {
        'if-none-match': etag,
      });
      const hit = await context.api.get(`/users/${user.id}`, {
        'if-none-match': etag,
      });

      for (const [reply, xCache] of [
        [miss, 'MISS'],
        [hit, 'HIT'],
      ] as const) {
        expect(reply.status).toBe(304);
        expect(reply.text).toBe('');
        expect(reply.headers.get('etag')).toBe(etag);
        expect(reply.headers.get('x-cache')).toBe(xCache);
        expect(reply.headers.get('x-request-id')).not.toBeNull();
      }
    });

    it('revalidates a hit without touching PostgreSQL', async () => {
      const { user, etag } = await created();
      await context.api.get(`/users/${user.id}`);
      const spy = new FindByIdSpy(context);

      for (let i = 0; i < 5; i += 1) {
        const reply = await context.api.get(`/users/${user.id}`, {
          'if-none-match': etag,
        });
        expect(reply.status).toBe(304);
      }
      expect(spy.calls).toBe(0);
    });

    it.each([
      ['a weak form of the tag', (etag: string) => `W/${etag}`],
      ['a list holding it', (etag: string) => `"1", ${etag}, W/"x"`],
      ['*', () => '*'],
    ])('matches %s (weak comparison)', async (_, header) => {
      const { user, etag } = await created();
      const reply = await context.api.get(`/users/${user.id}`, {
        'if-none-match': header(etag),
      });
      expect(reply.status).toBe(304);
    });

    it.each([
      ['another tag', () => '"1"'],
      ['an unquoted tag', (etag: string) => etag.slice(1, -1)],
      ['garbage', () => 'not a tag'],
      ['an empty value', () => ''],
    ])('answers 200 with the body for %s', async (_, header) => {
      const { user, etag } = await created();
      const reply = await context.api.get(`/users/${user.id}`, {
        'if-none-match': header(etag),
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual(user);
      expect(reply.headers.get('etag')).toBe(etag);
    });

    it('revalidates pages, weakly', async () => {
      const { user } = await created();
      const page = `/users?after=${user.id - 1}&limit=1`;
      const first = await context.api.get(page);
      const tag = first.headers.get('etag')!;

      const miss = await context.api.get(page, {
        'if-none-match': tag,
        'cache-control': 'no-cache',
      });
      const hit = await context.api.get(page, {
        'if-none-match': tag.slice(2),
      });

      expect([miss.status, hit.status]).toEqual([304, 304]);
      expect([miss.headers.get('x-cache'), hit.headers.get('x-cache')]).toEqual(
        ['MISS', 'HIT'],
      );
      expect(miss.text + hit.text).toBe('');
    });

    it('answers 404 for a missing user, whatever the tag', async () => {
      const reply = await context.api.get('/users/2000000000', {
        'if-none-match': '*',
      });
      expect(reply.status).toBe(404);
    });

    it('never answers 304 for an older version once a write is acknowledged, even when a slow read of the old version races the write', async () => {
      const { user, etag: old } = await created('Old');
      await context.api.get(`/users/${user.id}`);
      const spy = new FindByIdSpy(context);
      const release = new Gate();
      const held = spy.holdUntil(release.opened);
      const slowRead = context.api.get(`/users/${user.id}`, {
        'cache-control': 'no-cache',
        'if-none-match': old,
      });
      await held;

      const write = await context.api.patch(`/users/${user.id}`, {
        name: 'New',
      });
      expect(write.status).toBe(200);
      const current = write.headers.get('etag')!;
      release.open();
      // Concurrent with the write, it may show the old version.
      expect((await slowRead).status).toBe(304);

      for (let i = 0; i < 3; i += 1) {
        const stale = await context.api.get(`/users/${user.id}`, {
          'if-none-match': old,
        });
        expect(stale.status).toBe(200);
        expect(stale.body.name).toBe('New');
        expect(stale.headers.get('etag')).toBe(current);
      }
      const revalidated = await context.api.get(`/users/${user.id}`, {
        'if-none-match': current,
      });
      expect(revalidated.status).toBe(304);
      expect(revalidated.headers.get('x-cache')).toBe('HIT');
    });
  });

  describe('If-Match', () => {
    it.each([
      ['PUT', 200],
      ['PATCH', 200],
      ['DELETE', 204],
    ])('lets %s go ahead when the tag is current', async (method, status) => {
      const { user, etag } = await created();
      const reply = await context.api.send(method, `/users/${user.id}`, {
        json: method === 'DELETE' ? undefined : { name: 'Changed' },
        headers: { 'if-match': etag },
      });
      expect(reply.status).toBe(status);
      expect(await nameInDatabase(user.id)).toBe(
        method === 'DELETE' ? undefined : 'Changed',
      );
    });

    it.each([
      ['an older tag', (_: string, older: string) => older],
      [
        'a weak form of the current tag (strong comparison)',
        (etag: string) => `W/${etag}`,
      ],
      ['an unquoted tag', (etag: string) => etag.slice(1, -1)],
      ['a tag this service never issued', () => '"abc"'],
      ['a tag beyond any version', () => '"99999999999999999999"'],
      ['garbage', () => 'garbage'],
    ])('answers 412 and writes nothing for %s', async (_, header) => {
      const { user, etag: older } = await created('Before');
      const current = (
        await context.api.patch(`/users/${user.id}`, { name: 'Current' })
      ).headers.get('etag')!;
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const reply = await context.api.send(method, `/users/${user.id}`, {
          json: method === 'DELETE' ? undefined : { name: 'Lost update' },
          headers: { 'if-match': header(current, older) },
        });
        expect({ method, status: reply.status, body: reply.body }).toEqual({
          method,
          status: 412,
          body: PRECONDITION_FAILED,
        });
      }
      expect(await nameInDatabase(user.id)).toBe('Current');
      expect(
        (await context.api.get(`/users/${user.id}`)).headers.get('etag'),
      ).toBe(current);
    });

    it('goes ahead when the current tag is anywhere in the list', async () => {
      const { user, etag } = await created();
      const reply = await context.api.patch(
        `/users/${user.id}`,
        { name: 'Listed' },
        { 'if-match': `"1", W/${etag}, ${etag}` },
      );
      expect(reply.status).toBe(200);
    });

    it('takes * as "it exists"', async () => {
      const { user } = await created();
      const reply = await context.api.patch(
        `/users/${user.id}`,
        { name: 'Star' },
        { 'if-match': '*' },
      );
      expect(reply.status).toBe(200);
      expect(await nameInDatabase(user.id)).toBe('Star');
    });

    it.each(['*', '"1"'])(
      'answers 404 for a missing user whatever the precondition (%s)',
      async (header) => {
        for (const method of ['PUT', 'PATCH', 'DELETE']) {
          const reply = await context.api.send(method, '/users/2000000000', {
            json: method === 'DELETE' ? undefined : { name: 'Nobody' },
            headers: { 'if-match': header },
          });
          expect({ method, status: reply.status }).toEqual({
            method,
            status: 404,
          });
        }
      },
    );

    it('still answers 409 for a taken address when the tag matches, and 412 when it does not', async () => {
      const { user: other } = await created();
      const { user, etag } = await created();
      const matching = await context.api.patch(
        `/users/${user.id}`,
        { email: other.email },
        { 'if-match': etag },
      );
      const stale = await context.api.patch(
        `/users/${user.id}`,
        { email: other.email },
        { 'if-match': '"1"' },
      );
      expect([matching.status, stale.status]).toEqual([409, 412]);
    });

    it('lets exactly one of 20 concurrent writers holding the same tag win; the others get 412', async () => {
      const { user, etag } = await created('Start');

      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, writer) =>
          context.api.patch(
            `/users/${user.id}`,
            { name: `Writer ${writer}` },
            { 'if-match': etag },
          ),
        ),
      );

      const statuses = replies.map((reply) => reply.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 412)).toHaveLength(19);
      const winner = replies.find((reply) => reply.status === 200)!;
      expect(await nameInDatabase(user.id)).toBe(winner.body.name);
      const read = await context.api.get(`/users/${user.id}`);
      expect(read.body.name).toBe(winner.body.name);
      expect(read.headers.get('etag')).toBe(winner.headers.get('etag'));
    });

    it('lets exactly one of two concurrent deletes holding the same tag win', async () => {
      const { user, etag } = await created();
      const replies = await Promise.all(
        [1, 2].map(() =>
          context.api.delete(`/users/${user.id}`, { 'if-match': etag }),
        ),
      );
      expect(
        replies.map((reply) => reply.status).sort((a, b) => a - b),
      ).toEqual([204, 404]);
    });

    it('needs no If-Match while REQUIRE_IF_MATCH is off', async () => {
      const { user } = await created();
      expect(
        (await context.api.patch(`/users/${user.id}`, { name: 'Free' })).status,
      ).toBe(200);
      expect((await context.api.delete(`/users/${user.id}`)).status).toBe(204);
    });
  });
});

describe('REQUIRE_IF_MATCH=true', () => {
  const API_KEY = 'precondition-test-key';
  const context: AppWithDatabase = useAppWithDatabase({
    REQUIRE_IF_MATCH: 'true',
    API_KEY,
  });
  const withKey = (headers: Record<string, string> = {}) => ({
    'x-api-key': API_KEY,
    ...headers,
  });
  const PRECONDITION_REQUIRED = {
    statusCode: 428,
    error: 'Precondition Required',
    message:
      'If-Match is required for this write: send the ETag of the user, or *',
  };

  async function created() {
    const reply = await context.api.post('/users', newUser(), withKey());
    expect(reply.status).toBe(201);
    return { user: reply.body, etag: reply.headers.get('etag')! };
  }

  it.each(['PUT', 'PATCH', 'DELETE'])(
    'answers %s without If-Match with 428, writing nothing',
    async (method) => {
      const { user } = await created();
      const reply = await context.api.send(method, `/users/${user.id}`, {
        json: method === 'DELETE' ? undefined : { name: 'Unconditional' },
        headers: withKey(),
      });
      expect(reply.status).toBe(428);
      expect(reply.body).toEqual(PRECONDITION_REQUIRED);
      expect((await context.api.get(`/users/${user.id}`)).body).toEqual(user);
    },
  );

  it('checks it after the API key and before the body or the user', async () => {
    const noKey = await context.api.patch('/users/1', { name: 'x' });
    const badBody = await context.api.patch(
      '/users/1',
      { admin: true },
      withKey(),
    );
    const badId = await context.api.send('DELETE', '/users/abc', {
      headers: withKey(),
    });
    const missingUser = await context.api.delete(
      '/users/2000000000',
      withKey(),
    );

    expect(noKey.status).toBe(401);
    expect([badBody.status, badId.status, missingUser.status]).toEqual([
      428, 428, 428,
    ]);
  });

  it('lets writes with If-Match through, and leaves reads and creates alone', async () => {
    const { user, etag } = await created();
    const read = await context.api.get(`/users/${user.id}`);
    const update = await context.api.patch(
      `/users/${user.id}`,
      { name: 'Conditional' },
      withKey({ 'if-match': etag }),
    );
    const remove = await context.api.delete(
      `/users/${user.id}`,
      withKey({ 'if-match': update.headers.get('etag')! }),
    );
    expect([read.status, update.status, remove.status]).toEqual([
      200, 200, 204,
    ]);
  });
});
