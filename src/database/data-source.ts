import { DataSource } from 'typeorm';
import { loadConfig } from '../config/load-config.js';
import { postgresOptions } from './postgres-options.js';

/** The data source the TypeORM CLI uses (`npm run migration:*`). */
export default new DataSource(
  postgresOptions(loadConfig(process.env).postgres),
);
