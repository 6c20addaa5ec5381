import type { Client } from 'pg';
import { expectBadRequestNaming, expectErrorReply } from './support/errors.js';
import type { Api, Reply } from './support/http.js';
import { newUser, useAppWithDatabase } from './support/test-app.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const WRONG_TYPES: readonly unknown[] = [
  5,
  0,
  true,
  false,
  null,
  [],
  ['Alice'],
  {},
  { first: 'Alice' },
];
const UPDATE_METHODS = ['PUT', 'PATCH'] as const;
const BAD_IDS = [
  'abc',
  '-1',
  '1.5',
  '0',
  '01',
  '2147483648',
  '99999999999999999999',
  '1e3',
  '0x1',
  '+1',
  '%20%201',
  '1%20',
];
/** Over the 100 kB limit; the body is valid JSON apart from its size. */
const oversized = (bytes: number) => {
  const body = JSON.stringify({ ...newUser(), name: '' });
  return body.replace(
    '"name":""',
    `"name":"${'x'.repeat(bytes - body.length)}"`,
  );
};

describe('invalid requests: 4xx, the error body, and nothing written', () => {
  let api: Api;
  let db: Client;
  let user: { id: number; name: string; email: string };

  const app = useAppWithDatabase();

  beforeAll(async () => {
    ({ api, db } = app);
    user = (await api.post('/users', newUser('Target'))).body;
  });

  const tableState = async () =>
    (await db.query('SELECT * FROM users ORDER BY id')).rows;

  /** Sends a request and asserts the users table is exactly as before. */
  async function withoutWriting(request: () => Promise<Reply>): Promise<Reply> {
    const before = await tableState();
    const reply = await request();
    expect(await tableState()).toEqual(before);
    return reply;
  }

  const create = (json: unknown) =>
    withoutWriting(() => api.post('/users', json));
  const update = (method: string, json: unknown) =>
    withoutWriting(() => api.send(method, `/users/${user.id}`, { json }));

  /** Sends one raw body to every route that reads one, writing nothing. */
  async function sendToEveryWrite(
    body: string,
    headers: Record<string, string> | undefined,
  ): Promise<Reply[]> {
    const replies: Reply[] = [];
    for (const [method, path] of [
      ['POST', '/users'],
      ['PUT', `/users/${user.id}`],
      ['PATCH', `/users/${user.id}`],
    ]) {
      replies.push(
        await withoutWriting(() => api.send(method, path, { body, headers })),
      );
    }
    return replies;
  }

  describe('bodies that are not JSON', () => {
    it.each([
      ['not JSON at all', 'name=Alice'],
      ['malformed JSON', '{"name": "Alice", "email": '],
      ['a trailing comma', '{"name": "Alice",}'],
      ['an empty body', ''],
    ])('answers 400 for %s', async (_, body) => {
      for (const reply of await sendToEveryWrite(body, JSON_TYPE)) {
        expectErrorReply(reply, 400);
      }
    });

    it.each([
      ['text/plain', 'text/plain'],
      ['form-urlencoded', 'application/x-www-form-urlencoded'],
      ['multipart', 'multipart/form-data; boundary=x'],
      ['XML', 'application/xml'],
      ['no content type', undefined],
    ])('answers 400 or 415 for a JSON body sent as %s', async (_, type) => {
      const body = JSON.stringify(newUser());
      const headers = type === undefined ? undefined : { 'content-type': type };
      for (const reply of await sendToEveryWrite(body, headers)) {
        expect([400, 415]).toContain(reply.status);
        const message = expectErrorReply(reply, reply.status).join('\n');
        expect(message).toMatch(/content.?type|json/i);
      }
    });
  });

  describe('POST /users fields', () => {
    it('rejects unknown fields, naming them', async () => {
      const reply = await create({ ...newUser(), admin: true });
      expectBadRequestNaming(reply, ['admin'], ['name', 'email']);
    });

    it.each([
      ['name', { email: 'missing-name@example.com' }, ['name'], ['email']],
      ['email', { name: 'Missing Email' }, ['email'], ['name']],
      ['name and email', {}, ['name', 'email'], []],
    ])('names the missing %s', async (_, json, fields, others) => {
      expectBadRequestNaming(await create(json), fields, others);
    });

    it.each([
      ['empty', ''],
      ['whitespace only', '   '],
      ['tabs, newlines and no-break spaces only', '\t\n\u00a0 '],
      ['101 characters', 'x'.repeat(101)],
      ['101 emoji (101 code points)', '😀'.repeat(101)],
      ['a control character', 'Al\u0000ice'],
    ])('rejects a name that is %s', async (_, name) => {
      const reply = await create({ name, email: newUser().email });
      expectBadRequestNaming(reply, ['name'], ['email']);
    });

    it('accepts 100 emoji: 100 code points, and stores them as 100 characters', async () => {
      const name = '😀'.repeat(100);
      const reply = await api.post('/users', { ...newUser(), name });
      expect(reply.status).toBe(201);
      expect(reply.body.name).toBe(name);
      const { rows } = await db.query(
        'SELECT char_length(name) AS length FROM users WHERE id = $1',
        [reply.body.id],
      );
      expect(rows[0].length).toBe(100);
    });

    // validator.js counts "❤" + U+FE0F (variation selector) as one character;
    // PostgreSQL's varchar(100) counts both, so these reach the database.
    it('rejects a name of 101 code points made of emoji with variation selectors', async () => {
      const name = '\u2764\ufe0f'.repeat(51);
      expect(Array.from(name)).toHaveLength(102);
      const reply = await create({ name, email: newUser().email });
      expectBadRequestNaming(reply, ['name'], ['email']);
    });

    it('rejects an e-mail address of more than 120 code points that uses variation selectors', async () => {
      const email = `${'a\ufe0f'.repeat(16)}@${'b'.repeat(60)}.${'c'.repeat(35)}.com`;
      expect(Array.from(email)).toHaveLength(133);
      const reply = await create({ name: 'Long', email });
      expectBadRequestNaming(reply, ['email'], ['name']);
    });

    it.each([
      ['not an address', 'alice'],
      ['without a domain', 'alice@'],
      ['without a local part', '@mail.com'],
      ['with a space inside', 'ali ce@mail.com'],
      ['with two @', 'a@b@mail.com'],
      ['empty', ''],
      ['whitespace only', '   '],
      ['121 characters long', `${'a'.repeat(64)}@${'b'.repeat(52)}.com`],
    ])('rejects an e-mail address %s', async (_, email) => {
      const reply = await create({ name: 'Alice', email });
      expectBadRequestNaming(reply, ['email'], ['name']);
    });

    it.each(WRONG_TYPES.map((value) => [JSON.stringify(value), value]))(
      'rejects %s as name or as email, naming that field only',
      async (_, value) => {
        expectBadRequestNaming(
          await create({ name: value, email: newUser().email }),
          ['name'],
          ['email'],
        );
        expectBadRequestNaming(
          await create({ name: 'Alice', email: value }),
          ['email'],
          ['name'],
        );
      },
    );

    it.each([
      ['null', 'null'],
      ['an array', '[]'],
      ['an array of a user', JSON.stringify([newUser()])],
      ['a string', '"x"'],
      ['a number', '5'],
      ['true', 'true'],
    ])('rejects a JSON body that is %s', async (_, body) => {
      const reply = await withoutWriting(() =>
        api.send('POST', '/users', { body, headers: JSON_TYPE }),
      );
      expectErrorReply(reply, 400);
    });
  });

  describe.each(UPDATE_METHODS)('%s /users/:id fields', (method) => {
    it('rejects an empty object', async () => {
      expectBadRequestNaming(await update(method, {}), ['name', 'email']);
    });

    it('rejects a body with only unknown fields, naming them', async () => {
      const reply = await update(method, { admin: true, role: 'root' });
      expectBadRequestNaming(reply, ['admin', 'role'], ['name', 'email']);
    });

    it('rejects an unknown field next to a valid one, and changes nothing', async () => {
      const reply = await update(method, { name: 'Changed', admin: true });
      expectBadRequestNaming(reply, ['admin']);
    });

    it.each([
      ['an empty name', 'name', { name: '' }],
      ['a whitespace-only name', 'name', { name: '  ' }],
      ['a 101-character name', 'name', { name: 'x'.repeat(101) }],
      ['an invalid e-mail address', 'email', { email: 'not-an-address' }],
      [
        'a 121-character e-mail address',
        'email',
        { email: `${'a'.repeat(64)}@${'b'.repeat(52)}.com` },
      ],
    ])('rejects %s, naming it', async (_, field, json) => {
      expectBadRequestNaming(await update(method, json), [field]);
    });

    it('rejects an invalid field even when the other one is valid', async () => {
      const reply = await update(method, { name: 'Valid', email: 'invalid' });
      expectBadRequestNaming(reply, ['email'], ['name']);
    });

    it.each(WRONG_TYPES.map((value) => [JSON.stringify(value), value]))(
      'rejects %s as name or as email',
      async (_, value) => {
        expectBadRequestNaming(await update(method, { name: value }), ['name']);
        expectBadRequestNaming(await update(method, { email: value }), [
          'email',
        ]);
      },
    );

    it.each([
      ['null', 'null'],
      ['an array', '[]'],
      ['a string', '"x"'],
      ['a number', '5'],
    ])('rejects a JSON body that is %s', async (_, body) => {
      const reply = await withoutWriting(() =>
        api.send(method, `/users/${user.id}`, { body, headers: JSON_TYPE }),
      );
      expectErrorReply(reply, 400);
    });
  });

  describe('ids that are not a positive integer PostgreSQL can hold', () => {
    it.each(BAD_IDS)('answers 400 naming id for /users/%s', async (id) => {
      for (const [method, json] of [
        ['GET', undefined],
        ['PUT', { name: 'Changed' }],
        ['PATCH', { name: 'Changed' }],
        ['DELETE', undefined],
      ] as const) {
        const reply = await withoutWriting(() =>
          api.send(method, `/users/${id}`, { json }),
        );
        expectBadRequestNaming(reply, ['id']);
      }
    });
  });

  describe('GET /users query', () => {
    it.each([
      ['limit', '0'],
      ['limit', '101'],
      ['limit', '-1'],
      ['limit', '1.5'],
      ['limit', '1e1'],
      ['limit', 'abc'],
      ['limit', ''],
      ['limit', '%205'],
      ['after', '-1'],
      ['after', '1.5'],
      ['after', 'abc'],
      ['after', ''],
      ['after', '2147483648'],
      ['after', '99999999999999999999'],
      ['email', 'not-an-address'],
      ['email', ''],
    ])('answers 400 naming %s for %s=%j', async (name, value) => {
      const reply = await api.get(`/users?${name}=${value}`);
      const others = ['limit', 'after', 'email'].filter((n) => n !== name);
      expectBadRequestNaming(reply, [name], others);
    });

    it.each([
      'limit=5&limit=6',
      'after=1&after=2',
      'email=a@b.co&email=c@d.co',
    ])('answers 400 for a repeated parameter: %s', async (query) => {
      const reply = await api.get(`/users?${query}`);
      expectBadRequestNaming(reply, [query.slice(0, query.indexOf('='))]);
    });

    it.each(['offset=10', 'page=2', 'sort=name', 'limit[gt]=1'])(
      'answers 400 naming an unknown parameter: %s',
      async (query) => {
        const reply = await api.get(`/users?${query}`);
        const name = query.slice(0, query.indexOf('='));
        expect(expectErrorReply(reply, 400).join('\n')).toContain(name);
      },
    );
  });

  describe('body size', () => {
    it.each([
      ['just over 100,000 bytes', 100_001],
      ['1 MB', 1_000_000],
    ])('answers 413 for a body of %s', async (_, bytes) => {
      const body = oversized(bytes);
      expect(Buffer.byteLength(body)).toBe(bytes);
      for (const reply of await sendToEveryWrite(body, JSON_TYPE)) {
        expectErrorReply(reply, 413);
      }
    });

    it('reads a body of exactly 100,000 bytes (then validates it)', async () => {
      const body = oversized(100_000);
      const reply = await withoutWriting(() =>
        api.send('POST', '/users', { body, headers: JSON_TYPE }),
      );
      expectBadRequestNaming(reply, ['name'], ['email']);
    });

    it('answers 413 for a 1 MB body sent in chunks without a length', async () => {
      const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 1_000_000) return controller.close();
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      });
      const before = await tableState();
      const response = await fetch(`${api.baseUrl}/users`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: stream,
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: expect.any(String),
      });
      expect(await tableState()).toEqual(before);
    });
  });

  describe('prototype pollution', () => {
    it.each([
      [
        '__proto__',
        '{"name":"A","email":"proto@example.com","__proto__":{"admin":true}}',
      ],
      [
        'constructor.prototype',
        '{"name":"A","email":"ctor@example.com","constructor":{"prototype":{"admin":true}}}',
      ],
    ])(
      'answers 400 for a %s key, writes nothing and pollutes nothing',
      async (_, body) => {
        // The app runs in this process: a polluted prototype would show here,
        // which no response body can reveal.
        const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);
        for (const reply of await sendToEveryWrite(body, JSON_TYPE)) {
          expectErrorReply(reply, 400);
        }
        expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(
          prototypeKeys,
        );
        expect('admin' in {}).toBe(false);
        expect((await api.post('/users', newUser())).status).toBe(201);
      },
    );
  });

  describe('unknown routes', () => {
    it.each([
      ['GET', '/nope'],
      ['GET', '/users/1/friends'],
      ['GET', '/users/'],
      ['POST', '/users/1'],
      ['DELETE', '/users'],
      ['PUT', '/users'],
    ])('%s %s answers 404 with the error body', async (method, path) => {
      const json = method === 'GET' ? undefined : newUser();
      const reply = await withoutWriting(() =>
        api.send(method, path, { json }),
      );
      expectErrorReply(reply, 404);
    });
  });
});
