import { newUser, useAppWithDatabase } from './support/test-app.js';

const API_KEY = 'test-key-0123456789';

describe('security headers', () => {
  const testApp = useAppWithDatabase();

  it.each([
    ['a read', '/users'],
    ['an error', '/users/abc'],
    ['an unknown route', '/nope'],
    ['the docs', '/docs'],
    ['health', '/health/live'],
  ])('are on %s', async (_what, path) => {
    const reply = await testApp.api.get(path);
    const csp = reply.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    expect(reply.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(reply.headers.get('referrer-policy')).toBe('no-referrer');
    expect(reply.headers.get('x-powered-by')).toBeNull();
  });

  it('keeps CORS off by default', async () => {
    const reply = await testApp.api.send('OPTIONS', '/users', {
      headers: {
        origin: 'https://example.com',
        'access-control-request-method': 'POST',
      },
    });
    expect(reply.headers.get('access-control-allow-origin')).toBeNull();
    const read = await testApp.api.get('/users', {
      origin: 'https://example.com',
    });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS_ORIGINS', () => {
  const testApp = useAppWithDatabase({
    CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
  });

  it('allows a configured origin, preflight included', async () => {
    const preflight = await testApp.api.send('OPTIONS', '/users', {
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'content-type, x-api-key',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(
      'http://localhost:5173',
    );
    expect(preflight.headers.get('access-control-allow-methods')).toContain(
      'PATCH',
    );
    expect(preflight.headers.get('access-control-allow-headers')).toContain(
      'x-api-key',
    );

    const read = await testApp.api.get('/users', {
      origin: 'https://app.example.com',
    });
    expect(read.headers.get('access-control-allow-origin')).toBe(
      'https://app.example.com',
    );
    expect(read.headers.get('access-control-expose-headers')).toContain(
      'x-cache',
    );
  });

  it('lets scripts send the precondition and idempotency headers and read ETag, X-Cache, X-Request-Id and Idempotent-Replayed', async () => {
    const preflight = await testApp.api.send('OPTIONS', '/users/1', {
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'PUT',
        'access-control-request-headers':
          'if-match, if-none-match, idempotency-key',
      },
    });
    expect(preflight.status).toBe(204);
    const allowed = preflight.headers
      .get('access-control-allow-headers')!
      .split(/\s*,\s*/);
    expect(allowed).toEqual(
      expect.arrayContaining(['if-match', 'if-none-match', 'idempotency-key']),
    );

    const read = await testApp.api.get('/users', {
      origin: 'http://localhost:5173',
    });
    const exposed = read.headers
      .get('access-control-expose-headers')!
      .split(/\s*,\s*/);
    expect(exposed).toEqual(
      expect.arrayContaining([
        'etag',
        'x-cache',
        'x-request-id',
        'idempotent-replayed',
      ]),
    );
  });

  it('does not allow any other origin', async () => {
    const read = await testApp.api.get('/users', {
      origin: 'https://evil.example.com',
    });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('API_KEY', () => {
  const testApp = useAppWithDatabase({ API_KEY });

  it.each([
    ['no key', {}],
    ['a wrong bearer key', { authorization: 'Bearer wrong' }],
    ['a wrong X-API-Key', { 'x-api-key': 'wrong' }],
    ['the key with another scheme', { authorization: `Basic ${API_KEY}` }],
    ['a prefix of the key', { 'x-api-key': API_KEY.slice(0, -1) }],
  ])(
    'refuses a write with %s: 401, and writes nothing',
    async (_what, headers) => {
      const user = newUser();
      const reply = await testApp.api.post('/users', user, headers);

      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.stringContaining('API key'),
      });
      expect(reply.headers.get('www-authenticate')).toContain('Bearer');
      const { rows } = await testApp.db.query(
        'SELECT id FROM users WHERE lower(email) = lower($1)',
        [user.email],
      );
      expect(rows).toEqual([]);
    },
  );

  it('accepts the key as a bearer token or as X-API-Key, for every write', async () => {
    const bearer = { authorization: `Bearer ${API_KEY}` };
    const created = await testApp.api.post('/users', newUser(), bearer);
    expect(created.status).toBe(201);
    const path = `/users/${created.body.id}`;

    expect(
      (await testApp.api.put(path, { name: 'Put' }, { 'x-api-key': API_KEY }))
        .status,
    ).toBe(200);
    expect(
      (await testApp.api.patch(path, { name: 'Patch' }, bearer)).status,
    ).toBe(200);
    expect((await testApp.api.patch(path, { name: 'No' })).status).toBe(401);
    expect((await testApp.api.delete(path)).status).toBe(401);
    expect(
      (await testApp.api.delete(path, { 'x-api-key': API_KEY })).status,
    ).toBe(204);
  });

  it('keeps reads open', async () => {
    const created = await testApp.api.post('/users', newUser(), {
      'x-api-key': API_KEY,
    });
    expect(created.status).toBe(201);
    expect((await testApp.api.get('/users')).status).toBe(200);
    const read = await testApp.api.get(`/users/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect((await testApp.api.get('/users/2147483647')).status).toBe(404);
    expect((await testApp.api.get('/health')).status).toBe(200);
  });

  it('documents both ways of sending the key on every write in the OpenAPI document', async () => {
    const document = (await testApp.api.get('/docs-json')).body;
    expect(document.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      'api-key': { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
    const writes = [
      document.paths['/users'].post,
      document.paths['/users/{id}'].put,
      document.paths['/users/{id}'].patch,
      document.paths['/users/{id}'].delete,
    ];
    for (const operation of writes) {
      expect(operation.security).toEqual([{ bearer: [] }, { 'api-key': [] }]);
      expect(operation.responses).toHaveProperty('401');
    }
    expect(document.paths['/users'].get.security).toBeUndefined();
  });
});

describe('without API_KEY', () => {
  const testApp = useAppWithDatabase();

  it('accepts writes without a key', async () => {
    const user = newUser();
    expect((await testApp.api.post('/users', user)).status).toBe(201);
    const { rows } = await testApp.db.query(
      'SELECT name FROM users WHERE lower(email) = lower($1)',
      [user.email],
    );
    expect(rows).toEqual([{ name: user.name }]);
  });
});
