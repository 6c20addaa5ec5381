import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency-Key for POST /users: a key is remembered, with a fingerprint of
 * the body and the user it created, in the same transaction as the user row.
 * The whole create is one function, so that it costs one round trip.
 */
export class CreateIdempotencyKeys1796400000001 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1796400000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "idempotency_keys" (
        "key"         character varying(255) NOT NULL,
        "fingerprint" character varying(64) NOT NULL,
        "response"    jsonb NOT NULL,
        "created_at"  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("key")
      )
    `);
    await queryRunner.query(`
      CREATE INDEX "idempotency_keys_created_at_idx"
        ON "idempotency_keys" ("created_at")
    `);
    // Outcomes: created, replayed (same key and body: the remembered user),
    // mismatch (same key, another body) and in-progress (another request
    // holds the key). The key's lock is transaction-scoped: whatever happens,
    // it is released when the create commits or rolls back. Each statement of
    // a function sees what committed before it ran, so a request that takes
    // the lock just after another committed finds that one's key.
    await queryRunner.query(`
      CREATE FUNCTION "users_create_idempotently"(
        p_key text, p_fingerprint text, p_name text, p_email text, p_ttl interval,
        OUT outcome text, OUT "user" jsonb)
      LANGUAGE plpgsql AS $$
      DECLARE
        remembered idempotency_keys%ROWTYPE;
      BEGIN
        IF NOT pg_try_advisory_xact_lock(hashtextextended(p_key, 0)) THEN
          outcome := 'in-progress';
          RETURN;
        END IF;
        SELECT * INTO remembered FROM idempotency_keys
         WHERE key = p_key AND created_at > now() - p_ttl;
        IF FOUND THEN
          IF remembered.fingerprint = p_fingerprint THEN
            outcome := 'replayed';
            "user" := remembered.response;
          ELSE
            outcome := 'mismatch';
          END IF;
          RETURN;
        END IF;
        INSERT INTO users (name, email) VALUES (p_name, p_email)
        RETURNING jsonb_build_object(
          'id', id, 'name', name, 'email', email,
          'createdAt', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'updatedAt', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'version', version::text)
        INTO "user";
        -- A row still there for this key has expired (a live one was found above).
        INSERT INTO idempotency_keys (key, fingerprint, response)
        VALUES (p_key, p_fingerprint, "user")
        ON CONFLICT (key) DO UPDATE
          SET fingerprint = EXCLUDED.fingerprint,
              response = EXCLUDED.response,
              created_at = EXCLUDED.created_at;
        outcome := 'created';
      END
      $$
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP FUNCTION "users_create_idempotently"(text, text, text, text, interval)`,
    );
    await queryRunner.query(`DROP TABLE "idempotency_keys"`);
  }
}
