import { execFileSync } from 'node:child_process';
import { DataSource } from 'typeorm';
import type { TestProject } from 'vitest/node';
import { postgresOptions } from '../../src/database/postgres-options.js';
import { runMigrationsExclusively } from '../../src/database/run-migrations.js';
import {
  createDatabase,
  dropDatabasesStartingWith,
  postgresConfig,
} from './postgres.js';
import { assertRedisReachable } from './redis.js';
import { newRunPrefix } from './test-run.js';

/**
 * Once per run: checks both servers answer, builds `dist/` for the tests that
 * run the compiled server, then builds a template database with every
 * migration applied. Each test file copies it into a database of its own,
 * and every database of the run is dropped at the end.
 */
export default async function setup(project: TestProject) {
  await assertRedisReachable();
  execFileSync('npx', ['nest', 'build'], { stdio: 'inherit' });
  const prefix = newRunPrefix();
  const templateDatabase = `${prefix}_template`;
  await createDatabase(templateDatabase);
  const dataSource = new DataSource(
    postgresOptions({ ...postgresConfig, database: templateDatabase }),
  );
  await dataSource.initialize();
  try {
    await runMigrationsExclusively(dataSource);
  } finally {
    await dataSource.destroy();
  }
  project.provide('testRun', { templateDatabase, prefix });
  return () => dropDatabasesStartingWith(prefix);
}
