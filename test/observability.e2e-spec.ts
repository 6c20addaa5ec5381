import { connect } from 'node:net';
import { BuiltServer } from './support/built-server.js';
import {
  createTestDatabase,
  newUser,
  useAppWithDatabase,
} from './support/test-app.js';

describe('request ids', () => {
  const testApp = useAppWithDatabase();

  it.each([
    ['a UUID', '0b5f4c8e-7c39-4c83-9a43-3c9f2d9c2c11'],
    ['letters, digits and ._-', 'trace.ABC_123-x'],
    ['128 characters', 'a'.repeat(128)],
  ])("echoes the client's id when well-formed: %s", async (_what, id) => {
    const reply = await testApp.api.get('/users', { 'x-request-id': id });
    expect(reply.headers.get('x-request-id')).toBe(id);
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['with spaces', 'two words'],
    ['with a newline escape attempt', 'abc%0d%0aX-Injected: 1'],
    ['with unicode', 'idé'],
  ])('replaces an id that is %s with a fresh one', async (_what, id) => {
    const reply = await testApp.api.get('/users', { 'x-request-id': id });
    expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives every response its own id, errors and unknown routes included', async () => {
    const replies = await Promise.all([
      testApp.api.get('/users'),
      testApp.api.get('/users/abc'),
      testApp.api.get('/nope'),
      testApp.api.post('/users', { bad: true }),
    ]);
    const ids = replies.map((reply) => reply.headers.get('x-request-id'));
    expect(ids.every((id) => /^[0-9a-f-]{36}$/.test(id ?? ''))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

/** The value of one series in a Prometheus text exposition, 0 when absent. */
const sample = (text: string, series: string) =>
  Number(
    text
      .split('\n')
      .find((line) => line.startsWith(`${series} `))
      ?.split(' ')[1] ?? 0,
  );

describe('metrics', () => {
  const testApp = useAppWithDatabase();

  it('exposes request counts, latency, cache hits and misses, and pool usage', async () => {
    const { api } = testApp;
    const user = (await api.post('/users', newUser())).body;
    await api.get(`/users/${user.id}`);
    await api.get(`/users/${user.id}`);
    await api.get('/users/abc');

    const reply = await api.get('/metrics');

    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toContain('text/plain');
    const text = reply.text;
    expect(
      sample(
        text,
        'http_requests_total{method="POST",route="/users",status="201"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'http_requests_total{method="GET",route="/users/:id",status="200"}',
      ),
    ).toBe(2);
    expect(
      sample(
        text,
        'http_requests_total{method="GET",route="/users/:id",status="400"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'http_request_duration_seconds_count{method="GET",route="/users/:id",status="200"}',
      ),
    ).toBe(2);
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.005"');
    expect(
      sample(text, 'cache_lookups_total{result="hit"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'cache_lookups_total{result="miss"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'db_pool_connections{state="total"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('labels unknown URLs as one route, so labels stay bounded', async () => {
    await testApp.api.get('/random-1');
    await testApp.api.get('/random-2');
    const text = (await testApp.api.get('/metrics')).text;
    expect(
      sample(
        text,
        'http_requests_total{method="GET",route="unmatched",status="404"}',
      ),
    ).toBe(2);
    expect(text).not.toContain('random-1');
  });

  it('is left out of the OpenAPI document', async () => {
    const document = (await testApp.api.get('/docs-json')).body;
    expect(Object.keys(document.paths)).not.toContain('/metrics');
  });
});

/**
 * GET `path` over HTTP/1.0 and reset the connection as soon as the response
 * starts arriving, as HAProxy's health checks do; the status line.
 */
function getThenReset(
  port: number,
  path: string,
  reqId: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`GET ${path} HTTP/1.0\r\nX-Request-Id: ${reqId}\r\n\r\n`),
    );
    socket.once('data', (chunk: Buffer) => {
      socket.resetAndDestroy();
      resolve(chunk.toString('latin1').split('\r\n')[0]);
    });
    socket.once('error', reject);
  });
}

describe('logs of the built server', () => {
  const API_KEY = 'log-test-secret-key-42';
  let server: BuiltServer;

  beforeAll(async () => {
    server = await BuiltServer.start({
      POSTGRES_DB: await createTestDatabase(),
      LOG_LEVEL: 'info',
      API_KEY,
    });
  });

  afterAll(() => server?.stop());

  it('writes one JSON line per request with its id, method, client address, route, status and duration, and never an e-mail address, a body or the key', async () => {
    const { api } = server;
    const user = newUser('Secret Name');
    const created = await api.post('/users', user, { 'x-api-key': API_KEY });
    const lookup = await api.get(
      `/users?email=${encodeURIComponent(user.email)}`,
    );
    const refused = await api.post('/users', user, {
      authorization: 'Bearer not-the-key',
    });
    const requestIds = [created, lookup, refused].map((reply) =>
      reply.headers.get('x-request-id'),
    );

    let lines: Record<string, unknown>[] = [];
    await vi.waitFor(
      () => {
        lines = server
          .logLines()
          .filter((line) => requestIds.includes(line.reqId as string));
        expect(lines).toHaveLength(3);
      },
      { timeout: 5000 },
    );

    expect(
      lines.map(({ method, route, status }) => [method, route, status]),
    ).toEqual([
      ['POST', '/users', 201],
      ['GET', '/users', 200],
      ['POST', '/users', 401],
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({
        level: 'info',
        msg: 'request completed',
        clientIp: '127.0.0.1',
      });
      expect(typeof line.ms).toBe('number');
      expect(typeof line.time).toBe('string');
    }
    const everything = server.stdout.join('\n');
    expect(everything).not.toContain(user.email);
    expect(everything).not.toContain(encodeURIComponent(user.email));
    expect(everything).not.toContain('Secret Name');
    expect(everything).not.toContain(API_KEY);
    expect(everything).not.toContain('not-the-key');
  });

  it("logs the client's address when the client resets the connection as soon as it has the response, as a load balancer's health check does", async () => {
    const reqIds = ['reset-1', 'reset-2', 'reset-3'];
    for (const reqId of reqIds) {
      expect(await getThenReset(server.port, '/health/ready', reqId)).toBe(
        'HTTP/1.1 200 OK',
      );
    }

    let written: string[] = [];
    await vi.waitFor(
      () => {
        written = server.stdout.filter((line) =>
          reqIds.some((reqId) => line.includes(`"reqId":"${reqId}"`)),
        );
        expect(written).toHaveLength(reqIds.length);
      },
      { timeout: 5000 },
    );
    for (const line of written) {
      expect(JSON.parse(line)).toMatchObject({
        route: '/health/ready',
        status: 200,
        clientIp: '127.0.0.1',
      });
    }
  });
});
