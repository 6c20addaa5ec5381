import type { Client } from 'pg';
import type { Api } from './support/http.js';
import { ISO_UTC, newUser, useAppWithDatabase } from './support/test-app.js';

describe('users CRUD', () => {
  let api: Api;
  let db: Client;

  const app = useAppWithDatabase();

  beforeAll(() => {
    ({ api, db } = app);
  });

  async function rowOf(id: number) {
    const { rows } = await db.query('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0];
  }

  it('GET / welcomes and points at the docs', async () => {
    const reply = await api.get('/');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe(
      'application/json; charset=utf-8',
    );
    expect(reply.body).toEqual({ message: expect.any(String), docs: '/docs' });
  });

  describe('POST /users', () => {
    it('creates a user: 201, Location, trimmed name, trimmed lower-cased email', async () => {
      const { email } = newUser();
      const reply = await api.post('/users', {
        name: '  Alice  ',
        email: `  ${email.toUpperCase()} `,
      });

      expect(reply.status).toBe(201);
      expect(reply.body).toEqual({
        id: expect.any(Number),
        name: 'Alice',
        email,
        createdAt: expect.stringMatching(ISO_UTC),
        updatedAt: expect.stringMatching(ISO_UTC),
      });
      expect(reply.body.id).toBeGreaterThan(0);
      expect(reply.body.createdAt).toBe(reply.body.updatedAt);
      expect(reply.headers.get('location')).toBe(`/users/${reply.body.id}`);

      const row = await rowOf(reply.body.id);
      expect(row).toMatchObject({ name: 'Alice', email });
      expect(row.created_at.toISOString()).toBe(reply.body.createdAt);
    });

    it('answers 409 for an address already used, whatever its case, and writes nothing', async () => {
      const user = newUser();
      expect((await api.post('/users', user)).status).toBe(201);

      const reply = await api.post('/users', {
        name: 'Other',
        email: user.email.toUpperCase(),
      });

      expect(reply.status).toBe(409);
      expect(reply.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        message: 'email is already in use',
      });
      const { rows } = await db.query(
        'SELECT count(*)::int AS n FROM users WHERE lower(email) = $1',
        [user.email],
      );
      expect(rows[0].n).toBe(1);
    });

    it('accepts names and addresses at their maximum lengths', async () => {
      const name = 'é'.repeat(100);
      const email = `${'a'.repeat(64)}@${'b'.repeat(51)}.com`;
      expect(email).toHaveLength(120);

      const reply = await api.post('/users', { name, email });

      expect(reply.status).toBe(201);
      expect(reply.body).toMatchObject({ name, email });
    });
  });

  describe('GET /users/:id', () => {
    it('returns the user', async () => {
      const created = (await api.post('/users', newUser('Bob'))).body;

      const reply = await api.get(`/users/${created.id}`);

      expect(reply.status).toBe(200);
      expect(reply.body).toEqual(created);
    });

    it('answers 404 for an id no user has', async () => {
      const reply = await api.get('/users/2147483647');
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'user 2147483647 not found',
      });
    });
  });

  describe.each(['PUT', 'PATCH'])('%s /users/:id (partial)', (method) => {
    it('changes only the fields sent and moves updatedAt', async () => {
      const created = (await api.post('/users', newUser('Carol'))).body;

      const reply = await api.send(method, `/users/${created.id}`, {
        json: { name: ' Caroline ' },
      });

      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        ...created,
        name: 'Caroline',
        updatedAt: expect.stringMatching(ISO_UTC),
      });
      expect(Date.parse(reply.body.updatedAt)).toBeGreaterThan(
        Date.parse(created.updatedAt),
      );
      expect(await rowOf(created.id)).toMatchObject({
        name: 'Caroline',
        email: created.email,
      });
    });

    it('changes the address, normalized, and keeps the name', async () => {
      const created = (await api.post('/users', newUser('Dan'))).body;
      const { email } = newUser();

      const reply = await api.send(method, `/users/${created.id}`, {
        json: { email: ` ${email.toUpperCase()}` },
      });

      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ id: created.id, name: 'Dan', email });
      expect((await rowOf(created.id)).email).toBe(email);
    });

    it('lets a user keep its own address, in another case', async () => {
      const created = (await api.post('/users', newUser())).body;

      const reply = await api.send(method, `/users/${created.id}`, {
        json: { email: created.email.toUpperCase(), name: 'Same' },
      });

      expect(reply.status).toBe(200);
      expect(reply.body.email).toBe(created.email);
    });

    it("answers 409 when taking another user's address, and changes nothing", async () => {
      const first = (await api.post('/users', newUser())).body;
      const second = (await api.post('/users', newUser())).body;

      const reply = await api.send(method, `/users/${second.id}`, {
        json: { name: 'Changed', email: first.email.toUpperCase() },
      });

      expect(reply.status).toBe(409);
      expect(reply.body.error).toBe('Conflict');
      expect(await rowOf(second.id)).toMatchObject({
        name: second.name,
        email: second.email,
      });
    });

    it('answers 404 for an id no user has', async () => {
      const reply = await api.send(method, '/users/2147483647', {
        json: { name: 'Nobody' },
      });
      expect(reply.status).toBe(404);
      expect(reply.body.error).toBe('Not Found');
    });
  });

  describe('DELETE /users/:id', () => {
    it('deletes: 204 with an empty body, then 404 on read and on a second delete', async () => {
      const created = (await api.post('/users', newUser())).body;

      const reply = await api.delete(`/users/${created.id}`);

      expect(reply.status).toBe(204);
      expect(reply.text).toBe('');
      expect(await rowOf(created.id)).toBeUndefined();
      expect((await api.get(`/users/${created.id}`)).status).toBe(404);
      expect((await api.delete(`/users/${created.id}`)).status).toBe(404);
    });

    it('frees the address for a new user', async () => {
      const user = newUser();
      const created = (await api.post('/users', user)).body;
      await api.delete(`/users/${created.id}`);

      const again = await api.post('/users', user);

      expect(again.status).toBe(201);
      expect(again.body.id).toBeGreaterThan(created.id);
    });
  });

  it('makes exactly one of many concurrent creates of one address win', async () => {
    const { email } = newUser();
    const attempts = 25;

    const replies = await Promise.all(
      Array.from({ length: attempts }, (_, i) =>
        api.post('/users', {
          name: `Racer ${i}`,
          email: i % 2 ? email : email.toUpperCase(),
        }),
      ),
    );

    const statuses = replies.map((reply) => reply.status).sort((a, b) => a - b);
    expect(statuses).toEqual([201, ...Array<number>(attempts - 1).fill(409)]);
    const { rows } = await db.query('SELECT id FROM users WHERE email = $1', [
      email,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(
      replies.find((reply) => reply.status === 201)!.body.id,
    );
  });

  it('makes exactly one of concurrent updates to one address win', async () => {
    const users = await Promise.all(
      Array.from(
        { length: 10 },
        async () => (await api.post('/users', newUser())).body,
      ),
    );
    const { email } = newUser();

    const replies = await Promise.all(
      users.map((user) => api.patch(`/users/${user.id}`, { email })),
    );

    expect(replies.filter((reply) => reply.status === 200)).toHaveLength(1);
    expect(replies.filter((reply) => reply.status === 409)).toHaveLength(9);
    const { rows } = await db.query('SELECT id FROM users WHERE email = $1', [
      email,
    ]);
    expect(rows).toHaveLength(1);
  });
});
