import { CreateUsers1764000000000 } from '../../migrations/1764000000000-create-users.js';
import { AddUserVersions1796400000000 } from '../../migrations/1796400000000-add-user-versions.js';
import { CreateIdempotencyKeys1796400000001 } from '../../migrations/1796400000001-create-idempotency-keys.js';

/**
 * Every migration, oldest first. Listed as classes rather than a glob so the
 * same list loads from `dist/`, from the TypeORM CLI and under Vitest.
 */
export const migrations = [
  CreateUsers1764000000000,
  AddUserVersions1796400000000,
  CreateIdempotencyKeys1796400000001,
];
