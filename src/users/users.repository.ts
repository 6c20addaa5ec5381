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
}

export interface NewUser {
  readonly name: string;
  readonly email: string;
}

export type UserChanges = Partial<NewUser>;

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
// a page's CPU). Statements are named so each connection prepares them once.
const ISO_UTC = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const COLUMNS = `id, name, email,
  to_char(created_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "createdAt",
  to_char(updated_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "updatedAt"`;

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
   * Changes only the given fields.
   * @returns the updated user, or undefined when there is no such user.
   * @throws EmailTakenError when the new address belongs to another user.
   */
  async updatePartial(
    id: number,
    { name, email }: UserChanges,
  ): Promise<UserRecord | undefined> {
    const rows = await this.run<UserRecord>(
      'users.update_partial',
      `UPDATE users
       SET name = COALESCE($2, name), email = COALESCE($3, email), updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, name ?? null, email ?? null],
    );
    return rows[0];
  }

  /** @returns whether a user was deleted. */
  async deleteById(id: number): Promise<boolean> {
    const rows = await this.run(
      'users.delete_by_id',
      'DELETE FROM users WHERE id = $1 RETURNING id',
      [id],
    );
    return rows.length > 0;
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
