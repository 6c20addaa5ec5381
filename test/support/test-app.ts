import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import { expect, inject } from 'vitest';
import { createApp } from '../../src/app.factory.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { Api } from './http.js';
import { connectTo, createDatabase } from './postgres.js';

/** A database of this test file's own, migrated, copied from the run's template. */
export async function createTestDatabase(): Promise<string> {
  const { templateDatabase, prefix } = inject('testRun');
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await createDatabase(name, templateDatabase);
  return name;
}

/** A database of this test file's own with nothing in it: no table, no migration. */
export async function createEmptyDatabase(): Promise<string> {
  const name = `${inject('testRun').prefix}_empty_${randomBytes(4).toString('hex')}`;
  await createDatabase(name);
  return name;
}

/** A direct connection to a test database, to check what the API wrote. */
export async function connectToDatabase(database: string): Promise<Client> {
  const client = connectTo(database);
  await client.connect();
  return client;
}

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  readonly api: Api;
  close(): Promise<void>;
}

/**
 * Starts the real application (same factory as production) on a free port.
 * `env` overrides the environment, as the service would read it.
 */
export async function startApp(env: Record<string, string>): Promise<TestApp> {
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: 'silent',
    CACHE_KEY_PREFIX: `${inject('testRun').prefix}-${randomBytes(4).toString('hex')}`,
    ...env,
  });
  const app = await createApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    config,
    api: new Api(await app.getUrl()),
    close: () => app.close(),
  };
}

export interface AppWithDatabase {
  readonly app: NestFastifyApplication;
  readonly api: Api;
  /** A direct connection to the app's database, to check what it wrote. */
  readonly db: Client;
}

/**
 * For a describe block: the real app on a database of its own, started
 * before its tests and closed after; `env` overrides the environment as for
 * `startApp`. The fields are set once beforeAll ran.
 */
export function useAppWithDatabase(
  env: Record<string, string> = {},
): AppWithDatabase {
  const context = {} as {
    -readonly [K in keyof AppWithDatabase]: AppWithDatabase[K];
  };
  let testApp: TestApp | undefined;
  beforeAll(async () => {
    const database = await createTestDatabase();
    testApp = await startApp({ ...env, POSTGRES_DB: database });
    context.app = testApp.app;
    context.api = testApp.api;
    context.db = await connectToDatabase(database);
  });
  afterAll(async () => {
    await context.db?.end();
    await testApp?.close();
  });
  return context;
}

let emailSequence = 0;

/** A user body with an address no other test uses. */
export function newUser(name = 'Test User'): { name: string; email: string } {
  emailSequence += 1;
  return {
    name,
    email: `user-${randomBytes(4).toString('hex')}-${emailSequence}@example.com`,
  };
}

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Matches a user as the API sends it: exactly these keys, with `fields` as given. */
export function userLike(
  fields: Partial<{ id: number; name: string; email: string }> = {},
) {
  return {
    id: expect.any(Number),
    name: expect.any(String),
    email: expect.any(String),
    createdAt: expect.stringMatching(ISO_UTC),
    updatedAt: expect.stringMatching(ISO_UTC),
    ...fields,
  };
}
