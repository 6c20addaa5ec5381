import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every user gets a version, maintained by the database: a fresh value from
 * one sequence on insert and on every update, whoever writes the row. It is
 * the user's ETag, so tags differ across users too, and a page's tag can be
 * derived from the versions on it.
 */
export class AddUserVersions1796400000000 implements MigrationInterface {
  name = 'AddUserVersions1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE "users_version_seq" AS bigint`);
    // From a random point below 2^40: a database created anew (Compose's
    // `down -v`, a restore elsewhere) does not hand out the versions, and so
    // the ETags, that clients may still hold from the old one.
    await queryRunner.query(
      `SELECT setval('users_version_seq', 1 + floor(random() * 2^40)::bigint, false)`,
    );
    await queryRunner.query(`
      ALTER TABLE "users"
        ADD COLUMN "version" bigint NOT NULL DEFAULT nextval('users_version_seq')
    `);
    await queryRunner.query(
      `ALTER SEQUENCE "users_version_seq" OWNED BY "users"."version"`,
    );
    // updated_at moves here too, so that no UPDATE can forget either.
    await queryRunner.query(`
      CREATE FUNCTION "users_next_version"() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        NEW.version := nextval('users_version_seq');
        NEW.updated_at := now();
        RETURN NEW;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER "users_next_version" BEFORE UPDATE ON "users"
      FOR EACH ROW EXECUTE FUNCTION "users_next_version"()
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "users_next_version" ON "users"`);
    await queryRunner.query(`DROP FUNCTION "users_next_version"()`);
    // Drops the sequence it owns too.
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "version"`);
  }
}
