export const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface PostgresConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
}

export interface RedisConfig {
  readonly host: string;
  readonly port: number;
  readonly commandTimeoutMs: number;
}

export interface PreconditionConfig {
  /** PUT, PATCH and DELETE without If-Match get 428. */
  readonly requireIfMatch: boolean;
  /** How long an Idempotency-Key and the create it made are honoured. */
  readonly idempotencyTtlHours: number;
}

export interface CacheConfig {
  readonly ttlSeconds: number;
  readonly keyPrefix: string;
}

/**
 * The service's whole configuration, validated once at start-up.
 * It is also the injection token: code asks for `AppConfig`, never `process.env`.
 */
export class AppConfig {
  readonly port: number;
  readonly postgres: PostgresConfig;
  readonly redis: RedisConfig;
  readonly cache: CacheConfig;
  readonly preconditions: PreconditionConfig;
  readonly logLevel: LogLevel;
  readonly apiKey: string | undefined;
  readonly rateLimitPerMinute: number;
  readonly corsOrigins: readonly string[];
  /**
   * Addresses and networks of the reverse proxies whose X-Forwarded-For is
   * believed (IPs, CIDRs, or `loopback`, `linklocal`, `uniquelocal`); empty: none.
   */
  readonly trustProxy: readonly string[];
  readonly clusterWorkers: number;
  /** After SIGTERM, how long readiness answers 503 while requests are still served. */
  readonly shutdownDelayMs: number;
  readonly shutdownTimeoutMs: number;

  constructor(values: AppConfig) {
    Object.assign(this, values);
  }
}
