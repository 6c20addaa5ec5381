import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Socket } from 'node:net';
import {
  DatabaseError,
  type Pool,
  type PoolClient,
  type QueryResultRow,
} from 'pg';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '../database/database-errors.js';
import { poolOf } from '../database/pool-of.js';
import { EmailTakenError } from './email-taken.error.js';
import { EMAIL_UNIQUE_INDEX } from './user.entity.js';

/** A user as stored, timestamps already in the API's ISO-8601 UTC form. */
export interface UserRecord {
  readonly id: number;
  readonly name: string;
  readonly email: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Renewed by the database on every update: the ETag (see user-etags). */
  readonly version: string;
}

export interface NewUser {
  readonly name: string;
  readonly email: string;
}

export type UserChanges = Partial<NewUser>;

/**
 * A write's precondition (If-Match): the versions it may apply to; undefined
 * for any version. An empty list matches nothing.
 */
export type ExpectedVersions = readonly string[] | undefined;

/** What became of an update or delete that changed nothing. */
export type Unchanged = 'not-found' | 'precondition-failed';

/** An Idempotency-Key and the fingerprint of the body it came with. */
export interface IdempotentRequest {
  readonly key: string;
  readonly fingerprint: string;
}

export type IdempotentCreate =
  | { readonly outcome: 'created' | 'replayed'; readonly user: UserRecord }
  | { readonly outcome: 'mismatch' | 'in-progress' };

export interface PageRequest {
  /** Only users with an id greater than this one. */
  readonly after: number;
  readonly limit: number;
  /** Lower-cased address to match exactly. */
  readonly email?: string;
}

export interface UserPage {
  readonly users: UserRecord[];
  readonly hasMore: boolean;
}

const UNIQUE_VIOLATION = '23505';

// Explicit SQL keeps every request to one statement and one round trip and
// the hot reads free of entity hydration. PostgreSQL formats the timestamps,
// which spares parsing them into Dates only to print them again (a tenth of
// a page's CPU), and sends the bigint version as text, which node-postgres
// would otherwise run a parser over. Statements are named so each connection
// prepares them once.
const ISO_UTC = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const COLUMNS = `id, name, email,
  to_char(created_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "createdAt",
  to_char(updated_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "updatedAt",
  version::text AS version`;

// Any constant shared by every instance: one purge at a time (see purgeExpiredIdempotencyKeys).
const PURGE_LOCK_ID = 0x6964656d70; // "idemp" in ASCII
const PURGE_BATCH = 1000;

/** Every line of SQL the service runs against the `users` table. */
@Injectable()
export class UsersRepository {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = poolOf(dataSource);
  }

  async findById(id: number): Promise<UserRecord | undefined> {
    const rows = await this.run<UserRecord>(
      'users.find_by_id',
      `SELECT ${COLUMNS} FROM users WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  /** Keyset pagination on the primary key: the cost of a page never depends on its position. */
  async findPage({ after, limit, email }: PageRequest): Promise<UserPage> {
    const rows =
      email === undefined
        ? await this.run<UserRecord>(
            'users.find_page',
            `SELECT ${COLUMNS} FROM users WHERE id > $1 ORDER BY id LIMIT $2`,
            [after, limit + 1],
          )
        : await this.run<UserRecord>(
            'users.find_page_by_email',
            `SELECT ${COLUMNS} FROM users
             WHERE lower(email) = $1 AND id > $2 ORDER BY id LIMIT $3`,
            [email, after, limit + 1],
          );
    const hasMore = rows.length > limit;
    return { users: hasMore ? rows.slice(0, limit) : rows, hasMore };
  }

  /** @throws EmailTakenError when the address is already used. */
  async insert({ name, email }: NewUser): Promise<UserRecord> {
    const rows = await this.run<UserRecord>(
      'users.insert',
      `INSERT INTO users (name, email) VALUES ($1, $2) RETURNING ${COLUMNS}`,
      [name, email],
    );
    return rows[0];
  }

  /**
   * Creates the user and remembers the key with it, in one transaction and
   * one round trip (the function is in the migrations); or answers the user
   * the key created within `ttlHours`; or tells why not: the key came with
   * another body, or another request holds it now.
   * @throws EmailTakenError when the address is already used (nothing is remembered).
   */
  async insertOnce(
    { name, email }: NewUser,
    { key, fingerprint }: IdempotentRequest,
    ttlHours: number,
  ): Promise<IdempotentCreate> {
    const [{ outcome, user }] = await this.run<{
      outcome: IdempotentCreate['outcome'];
      user: UserRecord | null;
    }>(
      'users.insert_once',
      `SELECT outcome, "user" FROM users_create_idempotently(
         $1, $2, $3, $4, make_interval(hours => $5))`,
      [key, fingerprint, name, email, ttlHours],
    );
    return outcome === 'created' || outcome === 'replayed'
      ? { outcome, user: user! }
      : { outcome };
  }

  /**
   * Changes only the given fields, if the user's version is one of
   * `expected`; the check and the write are one statement.
   * @returns the updated user, or why nothing changed.
   * @throws EmailTakenError when the new address belongs to another user.
   */
  async updatePartial(
    id: number,
    { name, email }: UserChanges,
    expected?: ExpectedVersions,
  ): Promise<UserRecord | Unchanged> {
    const rows = await this.run<UserRecord>(
      'users.update_partial',
      `UPDATE users SET name = COALESCE($2, name), email = COALESCE($3, email)
       WHERE id = $1 AND ($4::bigint[] IS NULL OR version = ANY($4))
       RETURNING ${COLUMNS}`,
      [id, name ?? null, email ?? null, expected ?? null],
    );
    return rows[0] ?? this.whyUnchanged(id, expected);
  }

  /** Deletes the user if its version is one of `expected`. */
  async deleteById(
    id: number,
    expected?: ExpectedVersions,
  ): Promise<'deleted' | Unchanged> {
    const rows = await this.run(
      'users.delete_by_id',
      `DELETE FROM users
       WHERE id = $1 AND ($2::bigint[] IS NULL OR version = ANY($2))
       RETURNING id`,
      [id, expected ?? null],
    );
    return rows.length > 0 ? 'deleted' : this.whyUnchanged(id, expected);
  }

  /**
   * Deletes Idempotency-Keys older than `ttlHours`, a batch at a time, unless
   * another instance is purging: one at a time is enough.
   * @returns how many keys were deleted.
   */
  async purgeExpiredIdempotencyKeys(ttlHours: number): Promise<number> {
    let purged = 0;
    for (;;) {
      const rows = await this.run(
        'idempotency_keys.purge',
        `WITH turn AS (SELECT pg_try_advisory_xact_lock($1) AS mine)
         DELETE FROM idempotency_keys WHERE (SELECT mine FROM turn) AND key IN (
           SELECT key FROM idempotency_keys
           WHERE created_at <= now() - make_interval(hours => $2)
           LIMIT $3)
         RETURNING 1`,
        [PURGE_LOCK_ID, ttlHours, PURGE_BATCH],
      );
      purged += rows.length;
      if (rows.length < PURGE_BATCH) return purged;
    }
  }

  /** A write matched no row: the user is gone, or its version did not match. */
  private async whyUnchanged(
    id: number,
    expected: ExpectedVersions,
  ): Promise<Unchanged> {
    // Without a precondition only a missing user changes nothing.
    if (expected === undefined) return 'not-found';
    const rows = await this.run(
      'users.exists',
      'SELECT 1 FROM users WHERE id = $1',
      [id],
    );
    return rows.length > 0 ? 'precondition-failed' : 'not-found';
  }

  private async run<Row extends QueryResultRow>(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<Row[]> {
    const client = await this.pool.connect();
    // A lost connection also emits 'error' on the client; unheard, that event
    // would crash the process (pool.query listens for it; a checkout must).
    // The failure itself reaches us through the query's promise.
    client.on('error', ignoreConnectionError);
    try {
      const { rows } = await client.query<Row>({ name, text, values });
      client.release();
      return rows;
    } catch (error) {
      releaseAfterFailure(client, error);
      throw isEmailConflict(error) ? new EmailTakenError() : error;
    } finally {
      client.off('error', ignoreConnectionError);
    }
  }
}

function ignoreConnectionError(): void {}

/** Gives the client back to the pool, which discards it when the database failed. */
function releaseAfterFailure(client: PoolClient, error: unknown): void {
  if (!isDatabaseUnavailable(error)) {
    client.release();
    return;
  }
  // The request is about to hear 503. When the server did not answer (a
  // client-side timeout, a lost socket), the statement may still sit in a
  // partition: a polite close would flush it once the partition heals,
  // committing a write reported as failed; a reset discards it. An answer
  // from the server (DatabaseError) means the statement is already over.
  if (!(error instanceof DatabaseError)) abortConnection(client);
  client.release(error as Error);
}

function abortConnection(client: PoolClient): void {
  const { stream } = (client as unknown as { connection: { stream: Socket } })
    .connection;
  try {
    stream.resetAndDestroy();
  } catch {
    // Only TCP sockets can be reset (ERR_INVALID_HANDLE_TYPE for a Unix
    // socket); closing one drops what was not sent just as well.
    stream.destroy();
  }
}

function isEmailConflict(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === UNIQUE_VIOLATION && constraint === EMAIL_UNIQUE_INDEX;
}
