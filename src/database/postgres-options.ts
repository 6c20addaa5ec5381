import type { DataSourceOptions } from 'typeorm';
import type { PostgresConfig } from '../config/app-config.js';
import { User } from '../users/user.entity.js';
import { migrations } from './migrations.js';

/** Connection options shared by the app and the TypeORM CLI. */
export function postgresOptions(config: PostgresConfig): DataSourceOptions {
  return {
    type: 'postgres',
    host: config.host,
    port: config.port,
    username: config.user,
    password: config.password,
    database: config.database,
    entities: [User],
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    applicationName: 'users-api',
    // pg Pool options: no request may wait forever on a hung or lost server.
    extra: {
      max: config.poolSize,
      connectionTimeoutMillis: config.connectTimeoutMs,
      statement_timeout: config.statementTimeoutMs,
      query_timeout: config.statementTimeoutMs + 1000,
      idle_in_transaction_session_timeout: config.statementTimeoutMs * 2,
      keepAlive: true,
    },
  };
}
