import { Client, escapeIdentifier } from 'pg';
import { localProcess } from './rss.mjs';

/** @typedef {{ host: string, port: number, user: string, password: string }} PostgresServer */
/** @typedef {{ first: number, last: number, count: number }} IdRange */

/** Drops and creates the bench database: every run starts from an empty one. */
export async function resetDatabase(server, database) {
  await dropDatabase(server, database);
  await withClient(server, 'postgres', (client) =>
    client.query(`CREATE DATABASE ${escapeIdentifier(database)}`),
  );
}

export async function dropDatabase(server, database) {
  await withClient(server, 'postgres', (client) =>
    client.query(
      `DROP DATABASE IF EXISTS ${escapeIdentifier(database)} WITH (FORCE)`,
    ),
  );
}

/**
 * Appends `count` users in one server-side statement and returns their ids.
 * `label` keeps addresses unique across calls.
 * @returns {Promise<IdRange>}
 */
export async function seedUsers(server, database, count, label) {
  return withClient(server, database, async (client) => {
    const { rows } = await client.query(
      `WITH inserted AS (
         INSERT INTO users (name, email)
         SELECT 'Bench User ' || g, $2 || '-' || g || '@bench.example'
         FROM generate_series(1, $1::int) AS g
         RETURNING id
       )
       SELECT min(id)::int AS first, max(id)::int AS last, count(*)::int AS count
       FROM inserted`,
      [count, label],
    );
    // Fresh statistics and visibility map, as a table that has lived a while has.
    await client.query('VACUUM (ANALYZE) users');
    return rows[0];
  });
}

/**
 * The pid of the PostgreSQL server (its postmaster, whose children are the
 * backends), when it runs on this machine.
 */
export async function postgresServerPid(server) {
  // Read while the connection, and so its backend, is there.
  return withClient(server, 'postgres', async (client) => {
    const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
    return localProcess(rows[0].pid, 'postgres', { parent: true });
  });
}

/** How many users the table holds now. */
export async function countUsers(server, database) {
  return withClient(server, database, async (client) => {
    const { rows } = await client.query(
      'SELECT count(*)::int AS count FROM users',
    );
    return rows[0].count;
  });
}

/**
 * A copy of the users table (same identity column and unique index) for the
 * INSERT ceiling, so its rows do not change what the service's scenarios see.
 */
export async function createCeilingTable(server, database) {
  await withClient(server, database, (client) =>
    client.query(
      `CREATE TABLE IF NOT EXISTS ${CEILING_TABLE} (LIKE users INCLUDING ALL)`,
    ),
  );
}

export const CEILING_TABLE = 'bench_ceiling_users';

async function withClient(server, database, work) {
  const client = new Client({ ...server, database });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
