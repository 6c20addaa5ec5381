import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPENAPI_FILE, openApiFileText } from '../src/openapi-document.js';
import { REPO_ROOT } from './support/dockerfile.js';
import type { Api } from './support/http.js';
import { run } from './support/processes.js';
import {
  createTestDatabase,
  startApp,
  type TestApp,
} from './support/test-app.js';

interface Schema {
  readonly $ref?: string;
  readonly type?: string;
  readonly properties?: Record<string, Schema>;
  readonly items?: Schema;
  readonly required?: string[];
  readonly [keyword: string]: unknown;
}

interface Operation {
  readonly parameters?: {
    name: string;
    in: string;
    required?: boolean;
    schema: Schema;
  }[];
  readonly requestBody?: {
    required?: boolean;
    content: Record<string, { schema: Schema }>;
  };
  readonly responses: Record<
    string,
    { description?: string; content?: Record<string, { schema: Schema }> }
  >;
  readonly summary?: string;
}

interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { schemas: Record<string, Schema> };
}

const MAX_ID = 2_147_483_647;
const ERROR_SCHEMA = '#/components/schemas/ErrorResponseDto';
/** Served but not documented: Swagger's own routes, and /metrics (docs/API.md). */
const NOT_DOCUMENTED = /^\/(docs|metrics)(\/|-|$)/;

/** Turns Fastify's route tree (printRoutes) into "METHOD /path" entries. */
function registeredRoutes(tree: string): string[] {
  const routes: string[] = [];
  const prefixes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^(.*?)(?:└──|├──) (.*) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    prefixes.length = depth;
    const path = (prefixes[depth - 1] ?? '') + match[2];
    prefixes[depth] = path;
    for (const method of match[3].split(', ')) {
      if (method !== 'HEAD') routes.push(`${method} ${path}`);
    }
  }
  return routes;
}

const STALE = `${OPENAPI_FILE} is stale: run npm run openapi`;

/** Preloaded into the generator: opening any socket ends it with code 3. */
const NO_CONNECTIONS = `data:text/javascript,${encodeURIComponent(
  `import net from 'node:net';
  net.Socket.prototype.connect = function () {
    console.error('the generator opened a connection');
    process.exit(3);
  };`,
)}`;

/** The header parameters of an operation, by name. */
const headersOf = (operation: Operation) =>
  Object.fromEntries(
    (operation.parameters ?? [])
      .filter((parameter) => parameter.in === 'header')
      .map((parameter) => [parameter.name, parameter]),
  );

/** `/users/:id` in Fastify is `/users/{id}` in OpenAPI. */
const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

describe('OpenAPI document and Swagger UI', () => {
  let testApp: TestApp;
  let api: Api;
  let document: OpenApiDocument;

  beforeAll(async () => {
    testApp = await startApp({ POSTGRES_DB: await createTestDatabase() });
    api = testApp.api;
    const reply = await api.get('/docs-json');
    if (reply.status !== 200) throw new Error(`/docs-json: ${reply.status}`);
    document = reply.body as OpenApiDocument;
  });

  afterAll(async () => {
    await testApp?.close();
  });

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(
        ([method, operation]) =>
          [`${method.toUpperCase()} ${path}`, operation] as const,
      ),
    );

  /** Follows a $ref to its component. */
  function resolve(schema: Schema): Schema {
    if (schema.$ref === undefined) return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = document.components.schemas[name];
    expect({ [schema.$ref]: target }).toEqual({
      [schema.$ref]: expect.anything(),
    });
    return target;
  }

  /** An object schema whose every property says what it holds. */
  function expectDescribedObject(schema: Schema, what: string): Schema {
    const object = resolve(schema);
    expect({ what, type: object.type }).toEqual({ what, type: 'object' });
    expect({ what, properties: Object.keys(object.properties ?? {}) }).toEqual({
      what,
      properties: expect.arrayContaining([expect.any(String)]),
    });
    for (const [name, property] of Object.entries(object.properties!)) {
      // A $ref, a type or a oneOf says what the property holds.
      const described = property.$ref ?? property.type ?? property.oneOf;
      expect({ property: `${what}.${name}`, described }).toEqual({
        property: `${what}.${name}`,
        described: expect.anything(),
      });
    }
    return object;
  }

  it('serves Swagger UI as HTML at /docs, and its script', async () => {
    const page = await api.get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain('swagger-ui');
    const init = await api.get('/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.text).toContain('/users/{id}');
  });

  it('serves an OpenAPI 3 document at /docs-json', async () => {
    const reply = await api.get('/docs-json');
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(document.openapi).toMatch(/^3\./);
    expect(document).toMatchObject({ info: { title: expect.any(String) } });
  });

  it('documents exactly the routes the app serves', async () => {
    const fastify = testApp.app.getHttpAdapter().getInstance();
    const served = registeredRoutes(
      fastify.printRoutes({ commonPrefix: false }),
    )
      .filter((route) => !NOT_DOCUMENTED.test(route.split(' ')[1]))
      .map((route) => toOpenApiPath(route))
      .sort();
    const documented = operations()
      .map(([name]) => name)
      .sort();

    expect(served).toEqual(
      [
        'GET /',
        'GET /health',
        'GET /health/live',
        'GET /health/ready',
        'GET /users',
        'POST /users',
        'GET /users/{id}',
        'PUT /users/{id}',
        'PATCH /users/{id}',
        'DELETE /users/{id}',
      ].sort(),
    );
    expect(documented).toEqual(served);
    for (const route of documented) {
      const [method, path] = route.split(' ');
      const url = path.replace('{id}', ':id');
      expect({ route, served: fastify.hasRoute({ method, url }) }).toEqual({
        route,
        served: true,
      });
    }
  });

  it('gives every operation a summary and a documented success response', () => {
    for (const [name, operation] of operations()) {
      const success = Object.keys(operation.responses).filter((status) =>
        /^2\d\d$/.test(status),
      );
      expect({ name, summary: operation.summary, success }).toEqual({
        name,
        summary: expect.any(String),
        success: [expect.any(String)],
      });
    }
  });

  it.each(['get', 'put', 'patch', 'delete'])(
    'documents the id of %s /users/{id} as an integer from 1 to 2^31-1',
    (method) => {
      const operation = document.paths['/users/{id}'][method];
      const inPath = operation.parameters!.filter((p) => p.in === 'path');
      expect(inPath).toEqual([
        expect.objectContaining({
          name: 'id',
          in: 'path',
          required: true,
          schema: expect.objectContaining({
            type: 'integer',
            minimum: 1,
            maximum: MAX_ID,
          }),
        }),
      ]);
    },
  );

  it('documents the list query: limit, after and email with their bounds', () => {
    const parameters = Object.fromEntries(
      (document.paths['/users'].get.parameters ?? [])
        .filter((parameter) => parameter.in === 'query')
        .map((parameter) => [parameter.name, parameter]),
    );
    expect(Object.keys(parameters).sort()).toEqual(['after', 'email', 'limit']);
    for (const parameter of Object.values(parameters)) {
      expect(parameter).toMatchObject({ in: 'query', required: false });
    }
    expect(parameters.limit.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 100,
      default: 20,
    });
    expect(parameters.after.schema).toMatchObject({
      type: 'integer',
      minimum: 0,
      maximum: MAX_ID,
      default: 0,
    });
    expect(parameters.email.schema).toMatchObject({
      type: 'string',
      format: 'email',
      maxLength: 120,
    });
  });

  it.each([
    ['post', '/users', 'CreateUserDto', ['email', 'name']],
    ['put', '/users/{id}', 'UpdateUserDto', []],
    ['patch', '/users/{id}', 'UpdateUserDto', []],
  ])(
    'documents the body of %s %s as %s, with rules and examples',
    (method, path, dto, required) => {
      const body = document.paths[path][method].requestBody!;
      expect(body.required).toBe(true);
      const { schema } = body.content['application/json'];
      expect(schema.$ref).toBe(`#/components/schemas/${dto}`);
      const object = expectDescribedObject(schema, dto);
      expect(Object.keys(object.properties!).sort()).toEqual(['email', 'name']);
      expect([...(object.required ?? [])].sort()).toEqual(required);
      expect(object.properties!.name).toMatchObject({
        type: 'string',
        minLength: 1,
        maxLength: 100,
        example: expect.any(String),
      });
      expect(object.properties!.email).toMatchObject({
        type: 'string',
        format: 'email',
        maxLength: 120,
        example: expect.stringContaining('@'),
      });
    },
  );

  it('describes the user and the page in full', () => {
    const user = expectDescribedObject(
      { $ref: '#/components/schemas/UserResponseDto' },
      'UserResponseDto',
    );
    expect(Object.keys(user.properties!).sort()).toEqual([
      'createdAt',
      'email',
      'id',
      'name',
      'updatedAt',
    ]);
    expect(user.properties!.createdAt).toMatchObject({ format: 'date-time' });
    const page = expectDescribedObject(
      { $ref: '#/components/schemas/UserPageDto' },
      'UserPageDto',
    );
    expect(page.properties!.data).toMatchObject({
      type: 'array',
      items: { $ref: '#/components/schemas/UserResponseDto' },
    });
    const meta = expectDescribedObject(page.properties!.meta, 'meta');
    expect(meta.properties!.nextAfter).toMatchObject({
      type: 'integer',
      nullable: true,
    });
  });

  it.each([
    ['post', '/users', '201', 'UserResponseDto'],
    ['get', '/users', '200', 'UserPageDto'],
    ['get', '/users/{id}', '200', 'UserResponseDto'],
    ['put', '/users/{id}', '200', 'UserResponseDto'],
    ['patch', '/users/{id}', '200', 'UserResponseDto'],
  ])(
    'documents the %s %s success response with its schema',
    (method, path, status, dto) => {
      const response = document.paths[path][method].responses[status];
      expect(response.content!['application/json'].schema).toEqual({
        $ref: `#/components/schemas/${dto}`,
      });
    },
  );

  it('documents 204 with no body for DELETE', () => {
    const response = document.paths['/users/{id}'].delete.responses['204'];
    expect(response).toBeDefined();
    expect(response.content).toBeUndefined();
  });

  it.each([
    ['get', '/'],
    ['get', '/health'],
    ['get', '/health/ready'],
    ['get', '/health/live'],
  ])(
    'describes the shape of the %s %s response, not only an example',
    (method, path) => {
      const { content } = document.paths[path][method].responses['200'];
      expectDescribedObject(content!['application/json'].schema, path);
    },
  );

  it.each([
    [
      'post',
      '/users',
      ['400', '401', '409', '413', '415', '422', '429', '503'],
    ],
    ['get', '/users', ['400', '429', '503']],
    ['get', '/users/{id}', ['400', '404', '429', '503']],
    [
      'put',
      '/users/{id}',
      ['400', '401', '404', '409', '412', '413', '415', '428', '429', '503'],
    ],
    [
      'patch',
      '/users/{id}',
      ['400', '401', '404', '409', '412', '413', '415', '428', '429', '503'],
    ],
    [
      'delete',
      '/users/{id}',
      ['400', '401', '404', '412', '428', '429', '503'],
    ],
  ])(
    'documents the errors of %s %s in the one error schema',
    (method, path, statuses) => {
      const { responses } = document.paths[path][method];
      for (const status of statuses) {
        expect({ status, response: responses[status] }).toMatchObject({
          status,
          response: {
            description: expect.any(String),
            content: { 'application/json': { schema: { $ref: ERROR_SCHEMA } } },
          },
        });
        // Each with an example of its own: an error body of that status.
        expect(responses[status].content!['application/json']).toMatchObject({
          example: {
            statusCode: Number(status),
            error: STATUS_CODES[Number(status)],
            message: expect.anything(),
          },
        });
      }
    },
  );

  it('describes the error body: statusCode, error and message, all required', () => {
    const error = expectDescribedObject({ $ref: ERROR_SCHEMA }, 'error');
    expect(Object.keys(error.properties!).sort()).toEqual([
      'error',
      'message',
      'statusCode',
    ]);
    expect([...error.required!].sort()).toEqual([
      'error',
      'message',
      'statusCode',
    ]);
    expect(error.properties!.statusCode).toMatchObject({ type: 'integer' });
  });

  it.each([
    ['get', '/users'],
    ['get', '/users/{id}'],
  ])(
    'documents revalidation of %s %s: If-None-Match, the ETag and a 304 without body',
    (method, path) => {
      const operation = document.paths[path][method];
      expect(headersOf(operation)['If-None-Match']).toMatchObject({
        required: false,
        schema: { type: 'string' },
      });
      const ok = operation.responses['200'] as { headers?: object };
      const notModified = operation.responses['304'] as {
        description?: string;
        headers?: object;
        content?: unknown;
      };
      for (const response of [ok, notModified]) {
        expect(Object.keys(response.headers ?? {})).toEqual(
          expect.arrayContaining(['ETag', 'X-Cache']),
        );
      }
      expect(notModified.description).toEqual(expect.any(String));
      expect(notModified.content).toBeUndefined();
    },
  );

  it.each([
    ['put', '200'],
    ['patch', '200'],
    ['delete', '204'],
  ])(
    'documents If-Match on %s /users/{id}, which Swagger UI can send',
    (method) => {
      const operation = document.paths['/users/{id}'][method];
      expect(headersOf(operation)['If-Match']).toMatchObject({
        required: false,
        description: expect.stringContaining('412'),
        schema: { type: 'string' },
      });
    },
  );

  it.each([
    ['post', '/users', '201'],
    ['put', '/users/{id}', '200'],
    ['patch', '/users/{id}', '200'],
  ])(
    'documents the ETag of the user that %s %s answers',
    (method, path, status) => {
      const response = document.paths[path][method].responses[status] as {
        headers?: Record<string, unknown>;
      };
      expect(response.headers?.ETag).toMatchObject({
        schema: { type: 'string' },
      });
    },
  );

  it('documents Idempotency-Key on POST /users, and Idempotent-Replayed on its 201', () => {
    const operation = document.paths['/users'].post;
    expect(headersOf(operation)['Idempotency-Key']).toMatchObject({
      required: false,
      description: expect.stringContaining('Idempotent-Replayed'),
      schema: { type: 'string' },
    });
    const created = operation.responses['201'] as {
      headers?: Record<string, unknown>;
    };
    expect(Object.keys(created.headers ?? {})).toEqual(
      expect.arrayContaining(['Location', 'ETag', 'Idempotent-Replayed']),
    );
  });

  it.each(['/health', '/health/ready'])('documents the 503 of %s', (path) => {
    expect(document.paths[path].get.responses['503']).toBeDefined();
  });

  describe(`the committed ${OPENAPI_FILE}`, () => {
    it('is the document the server serves', () => {
      const path = join(REPO_ROOT, OPENAPI_FILE);
      const committed = existsSync(path)
        ? readFileSync(path, 'utf8')
        : '(missing)';
      assert.equal(openApiFileText(document), committed, STALE);
    });

    it('is what `npm run openapi` writes, without PostgreSQL or Redis', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'users-api-openapi-'));
      try {
        const written = join(dir, 'openapi.json');
        // The e2e global setup has just built dist/, as the npm script does.
        const finished = await run(
          [
            process.execPath,
            '--import',
            NO_CONNECTIONS,
            'dist/src/write-openapi.js',
            written,
          ],
          { cwd: REPO_ROOT, env: process.env, timeoutMs: 20_000 },
        );
        expect(finished).toMatchObject({
          code: 0,
          output: `wrote ${written}\n`,
        });
        expect(await readFile(written, 'utf8')).toBe(openApiFileText(document));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
