import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** Largest id PostgreSQL's `integer` holds; ids are never above it. */
export const MAX_USER_ID = 2_147_483_647;

/** The unique index on lower(email); a violation of it means "email taken". */
export const EMAIL_UNIQUE_INDEX = 'users_email_lower_key';

@Entity('users')
// Unique on lower(email): written by the migration, which TypeORM cannot express.
@Index(EMAIL_UNIQUE_INDEX, { synchronize: false })
export class User {
  @PrimaryGeneratedColumn('identity', {
    generatedIdentity: 'ALWAYS',
    primaryKeyConstraintName: 'users_pkey',
  })
  id: number;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 120 })
  email: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  /** Set by the database on every insert and update (see the migration): the ETag. */
  @Column({
    type: 'bigint',
    default: () => "nextval('users_version_seq')",
    insert: false,
    update: false,
  })
  version: string;
}
