import type { DataSource } from 'typeorm';

// Any constant shared by every instance of this service; "users" in ASCII.
const MIGRATION_LOCK_ID = 0x7573657273;

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock, so
 * replicas that start together run them once, one after the other.
 */
export async function runMigrationsExclusively(
  dataSource: DataSource,
): Promise<void> {
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    await lockHolder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    // The pool keeps the session (and a session lock) alive after release.
    try {
      await lockHolder.query('SELECT pg_advisory_unlock($1)', [
        MIGRATION_LOCK_ID,
      ]);
    } finally {
      await lockHolder.release();
    }
  }
}
