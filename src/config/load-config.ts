import { isIP } from 'node:net';
import { AppConfig, LOG_LEVELS } from './app-config.js';

type Env = Readonly<Record<string, string | undefined>>;

export class InvalidConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'InvalidConfigError';
  }
}

/** Reads variables, collecting every problem so one start-up names them all. */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** An empty value counts as unset, so `KEY=` in an .env file means "default". */
  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  private reject(name: string, value: string, why: string): void {
    this.problems.push(`${name}=${value}: ${why}`);
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^-?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.reject(name, value, `must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.reject(name, value, `must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (value !== 'true' && value !== 'false') {
      this.reject(name, value, 'must be true or false');
      return fallback;
    }
    return value === 'true';
  }

  /**
   * A comma-separated list, each entry trimmed and passed to `accepts`;
   * `what` says what an entry must be, naming the ones refused.
   */
  list(
    name: string,
    accepts: (entry: string) => boolean,
    what: string,
  ): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const entries = value.split(',').map((entry) => entry.trim());
    const invalid = entries.filter((entry) => !accepts(entry));
    if (invalid.length > 0) {
      this.reject(
        name,
        value,
        `not ${what}: ${invalid.map((entry) => entry || '(empty)').join(', ')}`,
      );
    }
    return entries;
  }

  identifier(name: string, fallback: string): string {
    const value = this.string(name, fallback);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(value)) {
      this.reject(name, value, 'must be 1-64 characters of A-Za-z0-9._-');
    }
    return value;
  }
}

/** Ranges Fastify's trustProxy (@fastify/proxy-addr) knows by name. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * An address or network Fastify's trustProxy accepts. A /0 prefix is refused
 * (it would trust every client, which makes X-Forwarded-For worthless), as it
 * is there.
 */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGES.includes(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(/^\d{1,3}$/.test(prefix) ? prefix : NaN);
  return bits >= 1 && bits <= (version === 4 ? 32 : 128);
}

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

/**
 * Builds the typed configuration from the environment.
 * Defaults suit a developer machine; README "Configuration" lists them.
 * @throws InvalidConfigError naming every bad variable and why.
 */
export function loadConfig(env: Env): AppConfig {
  const read = new EnvReader(env);
  const config = new AppConfig({
    port: read.integer('PORT', 3000, 1, 65535),
    postgres: {
      host: read.string('POSTGRES_HOST', 'localhost'),
      port: read.integer('POSTGRES_PORT', 5432, 1, 65535),
      user: read.string('POSTGRES_USER', 'user'),
      password: read.string('POSTGRES_PASSWORD', 'password'),
      database: read.string('POSTGRES_DB', 'users_db'),
      poolSize: read.integer('POSTGRES_POOL_SIZE', 10, 1, 200),
      connectTimeoutMs: read.integer(
        'POSTGRES_CONNECT_TIMEOUT_MS',
        2000,
        100,
        60000,
      ),
      statementTimeoutMs: read.integer(
        'POSTGRES_STATEMENT_TIMEOUT_MS',
        5000,
        100,
        600000,
      ),
    },
    redis: {
      host: read.string('REDIS_HOST', 'localhost'),
      port: read.integer('REDIS_PORT', 6379, 1, 65535),
      commandTimeoutMs: read.integer('REDIS_COMMAND_TIMEOUT_MS', 200, 10, 250),
    },
    cache: {
      ttlSeconds: read.integer('CACHE_TTL_SECONDS', 60, 1, 86400),
      keyPrefix: read.identifier('CACHE_KEY_PREFIX', 'users-api'),
    },
    preconditions: {
      requireIfMatch: read.boolean('REQUIRE_IF_MATCH', false),
      idempotencyTtlHours: read.integer('IDEMPOTENCY_TTL_HOURS', 24, 1, 8760),
    },
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    apiKey: read.optionalString('API_KEY'),
    rateLimitPerMinute: read.integer('RATE_LIMIT_PER_MINUTE', 0, 0, 1_000_000),
    corsOrigins: read.list(
      'CORS_ORIGINS',
      isOrigin,
      'an origin (scheme://host[:port])',
    ),
    trustProxy: read.list(
      'TRUST_PROXY',
      isProxyAddress,
      `an IP address, CIDR block (address/prefix) or one of ${PROXY_RANGES.join(', ')}`,
    ),
    clusterWorkers: read.integer('CLUSTER_WORKERS', 1, 1, 64),
    shutdownDelayMs: read.integer('SHUTDOWN_DELAY_MS', 0, 0, 30000),
    shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 8000, 100, 60000),
  });
  if (read.problems.length > 0) throw new InvalidConfigError(read.problems);
  return config;
}
