import { randomBytes } from 'node:crypto';

/** What the global setup hands to every e2e test file. */
export interface TestRun {
  /** A migrated database that each test file copies into its own. */
  readonly templateDatabase: string;
  /** Prefix of every database and Redis key this run creates. */
  readonly prefix: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testRun: TestRun;
  }
}

export function newRunPrefix(): string {
  return `users_api_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Refuses any database that is not obviously a throwaway test database. */
export function assertTestDatabase(name: string): void {
  if (!/^users_api_test_[a-z0-9_]+$/.test(name)) {
    throw new Error(
      `refusing to touch database "${name}": test databases are named users_api_test_*`,
    );
  }
}
