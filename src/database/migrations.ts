import { CreateUsers1764000000000 } from '../../migrations/1764000000000-create-users.js';

/**
 * Every migration, oldest first. Listed as classes rather than a glob so the
 * same list loads from `dist/`, from the TypeORM CLI and under Vitest.
 */
export const migrations = [CreateUsers1764000000000];
