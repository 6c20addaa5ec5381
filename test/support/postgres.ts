import { Client, escapeIdentifier } from 'pg';
import { loadConfig } from '../../src/config/load-config.js';
import { assertTestDatabase } from './test-run.js';

/** The server the tests use: the service's own POSTGRES_* variables. */
export const postgresConfig = loadConfig(process.env).postgres;

export function connectTo(database: string): Client {
  return new Client({
    host: postgresConfig.host,
    port: postgresConfig.port,
    user: postgresConfig.user,
    password: postgresConfig.password,
    database,
    connectionTimeoutMillis: 5000,
  });
}

/** Runs statements on the maintenance database `postgres`. */
async function withAdminClient<T>(
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = connectTo('postgres');
  try {
    await client.connect();
  } catch (error) {
    const { host, port, user } = postgresConfig;
    throw new Error(
      `PostgreSQL is not reachable at ${host}:${port} as "${user}" (${String(error)}).\n` +
        'Run ./scripts/test.sh, which installs and starts PostgreSQL and Redis, or set ' +
        'POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER and POSTGRES_PASSWORD to a server ' +
        'where that user may CREATE DATABASE.',
      { cause: error },
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(
  name: string,
  template?: string,
): Promise<void> {
  assertTestDatabase(name);
  const from = template ? ` TEMPLATE ${escapeIdentifier(template)}` : '';
  await withAdminClient((client) =>
    client.query(`CREATE DATABASE ${escapeIdentifier(name)}${from}`),
  );
}

export async function dropDatabase(name: string): Promise<void> {
  assertTestDatabase(name);
  await withAdminClient((client) =>
    client.query(
      `DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`,
    ),
  );
}

export async function dropDatabasesStartingWith(prefix: string): Promise<void> {
  const { rows } = await withAdminClient((client) =>
    client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`,
      [prefix],
    ),
  );
  for (const { datname } of rows) await dropDatabase(datname);
}
