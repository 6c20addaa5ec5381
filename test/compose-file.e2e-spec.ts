import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load-config.js';
import {
  type ComposeService,
  dependenciesOf,
  environmentOf,
  portsOf,
  readComposeFile,
} from './support/compose-file.js';
import { variablesTheServiceReads } from './support/config-variables.js';
import { REPO_ROOT } from './support/dockerfile.js';

/** What Compose sets for api itself: where things are inside its network. */
const SET_BY_COMPOSE = new Set([
  'PORT',
  'POSTGRES_HOST',
  'POSTGRES_PORT',
  'REDIS_HOST',
  'REDIS_PORT',
]);

function dotEnvExampleNames(): string[] {
  return readFileSync(join(REPO_ROOT, '.env.example'), 'utf8')
    .split('\n')
    .flatMap((line) => /^([A-Za-z_]\w*)=/.exec(line)?.[1] ?? []);
}

function commandOf(service: ComposeService): string[] {
  const { command } = service;
  return typeof command === 'string'
    ? command.split(/\s+/)
    : [...(command ?? [])];
}

function optionValue(
  args: readonly string[],
  option: string,
): string | undefined {
  const index = args.indexOf(option);
  return index === -1 ? undefined : args[index + 1];
}

function healthcheckTest(service: ComposeService): string {
  const test = service.healthcheck?.test;
  return typeof test === 'string' ? test : (test ?? []).join(' ');
}

describe('docker-compose.yml', () => {
  const compose = readComposeFile();
  const { api, db, cache, adminer } = compose.services;

  it('follows the current Compose specification (no obsolete version key)', () => {
    expect(compose).not.toHaveProperty('version');
    expect(Object.keys(compose.services).sort()).toEqual([
      'adminer',
      'api',
      'cache',
      'db',
    ]);
  });

  it('builds api from docker/Dockerfile and publishes it on a port range from 3000', () => {
    expect(api.build?.context ?? '.').toBe('.');
    expect(api.build?.dockerfile).toBe('docker/Dockerfile');
    expect(existsSync(join(REPO_ROOT, api.build!.dockerfile!))).toBe(true);
    expect(portsOf(api)).toHaveLength(1);
    const [published, target] = portsOf(api)[0].split(':');
    expect(target).toBe('3000');
    // One host port per replica, so `--scale api=3` does not collide.
    const [first, last] = published.split('-').map(Number);
    expect(first).toBe(3000);
    expect(last - first + 1).toBeGreaterThanOrEqual(3);
  });

  it('uses the official images: postgres, redis 7, adminer', () => {
    expect(db.image).toMatch(/^postgres:\d+/);
    expect(cache.image).toMatch(/^redis:7(?:[.-]|$)/);
    expect(adminer.image).toMatch(/^adminer(?::|$)/);
  });

  it('starts api only once db and cache report healthy', () => {
    expect(dependenciesOf(api)).toEqual({
      db: 'service_healthy',
      cache: 'service_healthy',
    });
    expect(healthcheckTest(db)).toContain('pg_isready');
    expect(healthcheckTest(cache)).toMatch(/redis-cli\s+ping/);
    // api's own health check is the Dockerfile's HEALTHCHECK.
    expect(api.healthcheck?.disable ?? false).toBe(false);
  });

  it('restarts every service unless stopped by hand', () => {
    for (const service of Object.values(compose.services)) {
      expect(['always', 'unless-stopped']).toContain(service.restart);
    }
  });

  it('keeps PostgreSQL data in a named volume at the path of its major version', () => {
    const major = Number(/^postgres:(\d+)/.exec(db.image!)![1]);
    // From 18 the image stores data in /var/lib/postgresql/<major>/docker.
    const dataPath =
      major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
    const volumeNames = Object.keys(compose.volumes ?? {});
    expect(volumeNames).toHaveLength(1);
    expect(db.volumes).toEqual([`${volumeNames[0]}:${dataPath}`]);
  });

  it('publishes neither PostgreSQL nor Redis on the host', () => {
    expect(portsOf(db)).toEqual([]);
    expect(portsOf(cache)).toEqual([]);
  });

  it('runs Redis as a cache: no persistence, bounded memory, never evicting keys without a TTL', () => {
    const args = commandOf(cache);
    expect(args[0]).toBe('redis-server');
    expect(optionValue(args, '--save')).toBe('');
    expect(optionValue(args, '--appendonly')).toBe('no');
    expect(optionValue(args, '--maxmemory')).toMatch(/^\d+[kmg]b$/);
    // The cache's epoch counter has no TTL: evicting it could revive stale entries.
    expect(optionValue(args, '--maxmemory-policy')).toMatch(/^volatile-/);
    expect(cache.volumes ?? []).toEqual([]);
  });

  it('pre-sets Adminer to the db server and publishes it on 8080', () => {
    expect(environmentOf(adminer).ADMINER_DEFAULT_SERVER).toBe('db');
    expect(portsOf(adminer)).toEqual(['8080:8080']);
  });

  it('gives api only variables the service reads', () => {
    const known = variablesTheServiceReads();
    // Guards the check itself: the watcher must see the config's reads.
    expect(known).toContain('POSTGRES_HOST');
    const unknown = Object.keys(environmentOf(api)).filter(
      (name) => !known.has(name),
    );
    expect(unknown).toEqual([]);
  });

  it('passes every other variable the service reads from .env to api', () => {
    const passed = [...variablesTheServiceReads()].filter(
      (name) => !SET_BY_COMPOSE.has(name),
    );
    const dotEnv = Object.fromEntries(
      passed.map((name) => [name, `from-dot-env-${name}`]),
    );
    const environment = environmentOf(readComposeFile(dotEnv).services.api);
    expect(passed.filter((name) => environment[name] !== dotEnv[name])).toEqual(
      [],
    );
  });

  it('lists in .env.example exactly the variables the service reads', () => {
    expect(dotEnvExampleNames().sort()).toEqual(
      [...variablesTheServiceReads()].sort(),
    );
  });

  it('gives api values the service accepts, pointing it at db and cache', () => {
    const config = loadConfig(environmentOf(api));
    expect(config.port).toBe(3000);
    expect(config.postgres).toMatchObject({ host: 'db', port: 5432 });
    expect(config.redis).toMatchObject({ host: 'cache', port: 6379 });
    // docs/API.md: the Compose set-up turns rate limiting on.
    expect(config.rateLimitPerMinute).toBeGreaterThan(0);
  });

  it('works without a .env: the default credentials are the service defaults', () => {
    const defaults = loadConfig({}).postgres;
    const config = loadConfig(environmentOf(api)).postgres;
    expect(config).toMatchObject({
      user: defaults.user,
      password: defaults.password,
      database: defaults.database,
    });
    expect(environmentOf(db)).toEqual({
      POSTGRES_USER: defaults.user,
      POSTGRES_PASSWORD: defaults.password,
      POSTGRES_DB: defaults.database,
    });
  });

  it('takes credentials from .env for both api and db, but never hosts or ports', () => {
    const dotEnv = {
      POSTGRES_USER: 'alice',
      POSTGRES_PASSWORD: 's3cret',
      POSTGRES_DB: 'people',
      RATE_LIMIT_PER_MINUTE: '42',
      // A .env written for running the service outside Docker.
      POSTGRES_HOST: 'localhost',
      POSTGRES_PORT: '5433',
      REDIS_HOST: 'localhost',
      REDIS_PORT: '6380',
      PORT: '4000',
    };
    const { services } = readComposeFile(dotEnv);
    const config = loadConfig(environmentOf(services.api));
    expect(config.postgres).toMatchObject({
      host: 'db',
      port: 5432,
      user: 'alice',
      password: 's3cret',
      database: 'people',
    });
    expect(config.redis).toMatchObject({ host: 'cache', port: 6379 });
    expect(config.port).toBe(3000);
    expect(config.rateLimitPerMinute).toBe(42);
    expect(environmentOf(services.db)).toEqual({
      POSTGRES_USER: 'alice',
      POSTGRES_PASSWORD: 's3cret',
      POSTGRES_DB: 'people',
    });
  });
});
