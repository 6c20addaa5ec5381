import { AppConfig } from './app-config.js';
import { InvalidConfigError, loadConfig } from './load-config.js';

/** What `loadConfig` throws for `env`, or undefined when it accepts it. */
function errorOf(env: Record<string, string>): InvalidConfigError | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    return error;
  }
}

const problemsOf = (env: Record<string, string>) =>
  errorOf(env)?.problems ?? [];

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig({});

    expect(config).toBeInstanceOf(AppConfig);
    expect(config).toMatchObject({
      port: 3000,
      postgres: {
        host: 'localhost',
        port: 5432,
        user: 'user',
        password: 'password',
        database: 'users_db',
      },
      redis: { host: 'localhost', port: 6379 },
      cache: { ttlSeconds: 60 },
      logLevel: 'info',
      apiKey: undefined,
      rateLimitPerMinute: 0,
      corsOrigins: [],
      trustProxy: [],
      clusterWorkers: 1,
      preconditions: { requireIfMatch: false, idempotencyTtlHours: 24 },
      shutdownDelayMs: 0,
    });
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      PORT: '8080',
      POSTGRES_HOST: 'db',
      POSTGRES_PORT: '6543',
      POSTGRES_USER: 'app',
      POSTGRES_PASSWORD: 's3cret',
      POSTGRES_DB: 'users',
      REDIS_HOST: 'cache',
      REDIS_PORT: '6380',
      CACHE_TTL_SECONDS: '5',
      LOG_LEVEL: 'debug',
      API_KEY: 'key',
      RATE_LIMIT_PER_MINUTE: '120',
      CORS_ORIGINS: 'https://a.example, http://b.example:8080',
      TRUST_PROXY: '10.201.0.2, 192.168.0.0/16,::1, fd00::/8, loopback',
      CLUSTER_WORKERS: '4',
      REQUIRE_IF_MATCH: 'true',
      IDEMPOTENCY_TTL_HOURS: '48',
      SHUTDOWN_DELAY_MS: '5000',
    });

    expect(config).toMatchObject({
      port: 8080,
      postgres: {
        host: 'db',
        port: 6543,
        user: 'app',
        password: 's3cret',
        database: 'users',
      },
      redis: { host: 'cache', port: 6380 },
      cache: { ttlSeconds: 5 },
      logLevel: 'debug',
      apiKey: 'key',
      rateLimitPerMinute: 120,
      corsOrigins: ['https://a.example', 'http://b.example:8080'],
      trustProxy: [
        '10.201.0.2',
        '192.168.0.0/16',
        '::1',
        'fd00::/8',
        'loopback',
      ],
      clusterWorkers: 4,
      preconditions: { requireIfMatch: true, idempotencyTtlHours: 48 },
      shutdownDelayMs: 5000,
    });
  });

  it.each([
    'PORT',
    'POSTGRES_HOST',
    'POSTGRES_DB',
    'REDIS_PORT',
    'CACHE_TTL_SECONDS',
    'LOG_LEVEL',
    'API_KEY',
    'RATE_LIMIT_PER_MINUTE',
    'CORS_ORIGINS',
    'TRUST_PROXY',
    'CLUSTER_WORKERS',
    'REQUIRE_IF_MATCH',
    'IDEMPOTENCY_TTL_HOURS',
    'SHUTDOWN_DELAY_MS',
  ])('treats %s= (empty or blank) as unset', (name) => {
    expect(loadConfig({ [name]: '' })).toEqual(loadConfig({}));
    expect(loadConfig({ [name]: '   ' })).toEqual(loadConfig({}));
  });

  it('trims values', () => {
    expect(loadConfig({ PORT: ' 8080 ', LOG_LEVEL: ' warn ' })).toMatchObject({
      port: 8080,
      logLevel: 'warn',
    });
  });

  it.each([
    ['PORT', ['abc', '80a', '1.5', '1e3', '0x50', '+80', '0', '-1', '65536']],
    ['POSTGRES_PORT', ['abc', '0', '65536']],
    ['REDIS_PORT', ['abc', '0', '70000']],
    ['CACHE_TTL_SECONDS', ['0', '-5', 'sixty', '86401']],
    ['RATE_LIMIT_PER_MINUTE', ['-1', 'lots', '1.5']],
    ['CLUSTER_WORKERS', ['0', '65', 'many']],
    ['POSTGRES_POOL_SIZE', ['0', 'ten']],
    ['POSTGRES_STATEMENT_TIMEOUT_MS', ['10', 'long']],
    ['POSTGRES_CONNECT_TIMEOUT_MS', ['0', 'soon']],
    ['REDIS_COMMAND_TIMEOUT_MS', ['5', '251']],
    ['SHUTDOWN_TIMEOUT_MS', ['0', 'never']],
    ['SHUTDOWN_DELAY_MS', ['-1', '30001', 'soon']],
    [
      'TRUST_PROXY',
      [
        'true',
        '*',
        '1',
        'localhost',
        'proxy.example',
        '10.0.0.300',
        '[::1]',
        '10.0.0.0/0',
        '::/0',
        '10.0.0.0/33',
        '::1/129',
        '10.0.0.0/8/8',
        '10.0.0.0/255.0.0.0',
        '10.0.0.1,,10.0.0.2',
        '10.0.0.1,',
      ],
    ],
    ['LOG_LEVEL', ['loud', 'verbose', 'information']],
    ['CORS_ORIGINS', ['not an origin', 'https://a.example/path', 'a.example']],
    ['CACHE_KEY_PREFIX', ['with space', 'a:b', 'x'.repeat(65)]],
    ['REQUIRE_IF_MATCH', ['yes', '1', 'TRUE', 'False', 'on']],
    ['IDEMPOTENCY_TTL_HOURS', ['0', '8761', '1.5', 'day']],
  ])('rejects bad values of %s as "NAME=value: why"', (name, values) => {
    for (const value of values) {
      const problems = problemsOf({ [name]: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^${name}=`));
      expect(problems[0].startsWith(`${name}=${value}: `)).toBe(true);
      expect(problems[0].length).toBeGreaterThan(`${name}=${value}: `.length);
    }
  });

  it('names each entry of TRUST_PROXY it refuses', () => {
    expect(
      problemsOf({ TRUST_PROXY: '10.0.0.1, proxy, 10.0.0.0/8, ::/0,' }),
    ).toEqual([
      'TRUST_PROXY=10.0.0.1, proxy, 10.0.0.0/8, ::/0,: not an IP address, ' +
        'CIDR block (address/prefix) or one of loopback, linklocal, ' +
        'uniquelocal: proxy, ::/0, (empty)',
    ]);
  });

  it('accepts the bounds', () => {
    expect(loadConfig({ PORT: '1' }).port).toBe(1);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: '0' }).rateLimitPerMinute).toBe(
      0,
    );
    expect(loadConfig({ REQUIRE_IF_MATCH: 'false' }).preconditions).toEqual({
      requireIfMatch: false,
      idempotencyTtlHours: 24,
    });
    for (const hours of [1, 8760]) {
      expect(
        loadConfig({ IDEMPOTENCY_TTL_HOURS: String(hours) }).preconditions
          .idempotencyTtlHours,
      ).toBe(hours);
    }
    for (const delay of [0, 30000]) {
      expect(
        loadConfig({ SHUTDOWN_DELAY_MS: String(delay) }).shutdownDelayMs,
      ).toBe(delay);
    }
    expect(
      loadConfig({ TRUST_PROXY: '0.0.0.0/1,128.0.0.0/32,::/1,::1/128' })
        .trustProxy,
    ).toHaveLength(4);
    for (const level of [
      'fatal',
      'error',
      'warn',
      'debug',
      'trace',
      'silent',
    ]) {
      expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
    }
  });

  it('reports every problem at once, in one error naming them all', () => {
    const env = {
      PORT: 'abc',
      REDIS_PORT: '0',
      LOG_LEVEL: 'loud',
      CORS_ORIGINS: 'nope',
      POSTGRES_HOST: 'fine',
    };

    const error = errorOf(env);
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(error!.problems.map((problem) => problem.split('=')[0])).toEqual([
      'PORT',
      'REDIS_PORT',
      'LOG_LEVEL',
      'CORS_ORIGINS',
    ]);
    for (const problem of error!.problems) {
      expect(error!.message).toContain(problem);
    }
  });

  it('reads only the environment it is given, not process.env', () => {
    vi.stubEnv('PORT', '9999');
    try {
      expect(loadConfig({}).port).toBe(3000);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
