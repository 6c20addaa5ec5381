import { existsSync, readFileSync } from 'node:fs';
import { BlockList, isIPv4 } from 'node:net';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load-config.js';
import {
  type ComposeService,
  dependenciesOf,
  environmentOf,
  portsOf,
  readComposeFile,
  variablesComposeReads,
} from './support/compose-file.js';
import { variablesTheServiceReads } from './support/config-variables.js';
import { durationMs, REPO_ROOT } from './support/dockerfile.js';
import {
  haproxySections,
  settingOf,
  takenOutWithinMs,
} from './support/haproxy.js';

/**
 * What Compose sets for api itself: where things are inside its network, and
 * what must match its load balancer.
 */
const SET_BY_COMPOSE = new Set([
  'PORT',
  'POSTGRES_HOST',
  'POSTGRES_PORT',
  'REDIS_HOST',
  'REDIS_PORT',
  'TRUST_PROXY',
  'SHUTDOWN_DELAY_MS',
]);

/** Where .env.example starts listing what only docker-compose.yml reads. */
const COMPOSE_ONLY_MARK = '# Docker Compose only';

/** `NAME=value` lines of a part of an .env file. */
function assignments(text: string): [string, string][] {
  return text.split('\n').flatMap((line) => {
    const match = /^([A-Za-z_]\w*)=(.*)$/.exec(line);
    return match ? [[match[1], match[2]] as [string, string]] : [];
  });
}

/** What .env.example sets, before and after COMPOSE_ONLY_MARK. */
function dotEnvExample() {
  const text = readFileSync(join(REPO_ROOT, '.env.example'), 'utf8');
  const mark = text.indexOf(`\n${COMPOSE_ONLY_MARK}`);
  if (mark === -1) throw new Error(`no "${COMPOSE_ONLY_MARK}" part`);
  const service = assignments(text.slice(0, mark));
  const composeOnly = assignments(text.slice(mark));
  return {
    service: service.map(([name]) => name),
    composeOnly: composeOnly.map(([name]) => name),
    values: Object.fromEntries([...service, ...composeOnly]),
  };
}

/** The address a service has on the default network, if it is fixed. */
function fixedAddressOf(service: ComposeService): string | undefined {
  const { networks } = service;
  return Array.isArray(networks)
    ? undefined
    : (networks as Record<string, { ipv4_address?: string } | null>)?.default
        ?.ipv4_address;
}

function tmpfsOf(service: ComposeService): string[] {
  const { tmpfs } = service;
  return typeof tmpfs === 'string' ? [tmpfs] : [...(tmpfs ?? [])];
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
  const { api, db, cache, adminer, proxy } = compose.services;

  it('follows the current Compose specification (no obsolete version key)', () => {
    expect(compose).not.toHaveProperty('version');
    expect(Object.keys(compose.services).sort()).toEqual([
      'adminer',
      'api',
      'cache',
      'db',
      'proxy',
    ]);
  });

  it('builds api from docker/Dockerfile and publishes no port of it: requests come through the proxy', () => {
    expect(api.build?.context ?? '.').toBe('.');
    expect(api.build?.dockerfile).toBe('docker/Dockerfile');
    expect(existsSync(join(REPO_ROOT, api.build!.dockerfile!))).toBe(true);
    // A published port would make `--scale` pick host ports in rotation.
    expect(portsOf(api)).toEqual([]);
  });

  it('publishes the API at :3000 only through the proxy, which runs HAProxy with docker/haproxy/haproxy.cfg', () => {
    expect(portsOf(proxy)).toEqual(['127.0.0.1:3000:3000']);
    expect(proxy.volumes).toEqual([
      './docker/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro',
    ]);
    // The file's defaults are the Compose values: it listens on 3000 and
    // finds replicas of "api" on their port 3000 in Docker's DNS.
    const sections = haproxySections();
    const frontend = sections.get('frontend api')!;
    expect(settingOf(frontend, 'bind')).toBe('"${PROXY_BIND-:3000}"');
    expect(settingOf(sections.get('resolvers docker')!, 'nameserver')).toBe(
      'docker',
    );
    expect(sections.get('resolvers docker')![0]).toEqual([
      'nameserver',
      'docker',
      '"${PROXY_NAMESERVER-127.0.0.11:53}"',
    ]);
    for (const backend of ['backend ready', 'backend serving']) {
      const template = sections
        .get(backend)!
        .find(([word]) => word === 'server-template')!;
      expect(template.slice(2, 4)).toEqual([
        '10',
        '"${PROXY_REPLICAS-api:3000}"',
      ]);
    }
    // Starts without waiting for api to be healthy: a replica that is not
    // (Redis down) still serves, through the proxy's second backend.
    expect(dependenciesOf(proxy)).toEqual({ api: 'service_started' });
    expect(healthcheckTest(proxy)).toContain('/dev/tcp/127.0.0.1/3000');
  });

  it('binds host ports to 127.0.0.1 unless PUBLISH_ADDRESS opens them wider', () => {
    expect(portsOf(adminer)).toEqual(['127.0.0.1:8080:8080']);
    const open = readComposeFile({ PUBLISH_ADDRESS: '0.0.0.0' }).services;
    expect(portsOf(open.proxy)).toEqual(['0.0.0.0:3000:3000']);
    expect(portsOf(open.adminer)).toEqual(['0.0.0.0:8080:8080']);
    expect(dotEnvExample().values.PUBLISH_ADDRESS).toBe('127.0.0.1');
  });

  it('runs API_REPLICAS api replicas (1 by default), no more than the proxy has slots for', () => {
    expect(api.deploy?.replicas).toBe('1');
    expect(readComposeFile({ API_REPLICAS: '3' }).services.api.deploy).toEqual({
      replicas: '3',
    });
    expect(dotEnvExample().values.API_REPLICAS).toBe('1');
    const slots = Number(
      haproxySections()
        .get('backend ready')!
        .find(([word]) => word === 'server-template')![2],
    );
    expect(slots).toBeGreaterThanOrEqual(3);
  });

  it('trusts X-Forwarded-For from the proxy only: its address is fixed, in the network, out of the dynamic range', () => {
    const address = fixedAddressOf(proxy)!;
    expect(isIPv4(address)).toBe(true);
    expect(loadConfig(environmentOf(api)).trustProxy).toEqual([address]);

    const [{ subnet, gateway, ip_range: dynamic }] =
      compose.networks!.default.ipam!.config!;
    const within = (cidr: string) => {
      const [network, prefix] = cidr.split('/');
      const list = new BlockList();
      list.addSubnet(network, Number(prefix));
      return list.check(address);
    };
    expect(within(subnet!)).toBe(true);
    // The host's address on the network: connections from the host come from it.
    expect(gateway).not.toBe(address);
    // Docker would refuse to start the proxy if it had given it to another.
    expect(within(dynamic!)).toBe(false);
    for (const service of Object.values(compose.services)) {
      if (service !== proxy) expect(fixedAddressOf(service)).toBeUndefined();
    }
  });

  it('uses the official images: postgres, redis 7, adminer, haproxy', () => {
    expect(db.image).toMatch(/^postgres:\d+/);
    expect(cache.image).toMatch(/^redis:7(?:[.-]|$)/);
    expect(adminer.image).toMatch(/^adminer(?::|$)/);
    expect(proxy.image).toMatch(/^haproxy:\d/);
  });

  it('starts api once db reports healthy, and whether Redis is up or not', () => {
    expect(dependenciesOf(api)).toEqual({
      db: 'service_healthy',
      cache: 'service_started',
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

  it('gives api time to leave the proxy, then to drain, before Docker kills it', () => {
    const { shutdownDelayMs } = loadConfig(environmentOf(api));
    // The proxy must have taken the replica out before its port closes.
    expect(shutdownDelayMs).toBeGreaterThanOrEqual(takenOutWithinMs() + 1000);
    // Whatever SHUTDOWN_TIMEOUT_MS .env sets, up to the most it accepts.
    const longestDrainMs = 60_000;
    expect(
      loadConfig({ SHUTDOWN_TIMEOUT_MS: String(longestDrainMs) })
        .shutdownTimeoutMs,
    ).toBe(longestDrainMs);
    expect(() =>
      loadConfig({ SHUTDOWN_TIMEOUT_MS: String(longestDrainMs + 1) }),
    ).toThrow(/SHUTDOWN_TIMEOUT_MS/);
    expect(durationMs(api.stop_grace_period!)).toBeGreaterThan(
      shutdownDelayMs + longestDrainMs,
    );
    // The proxy's soft stop ends within its hard-stop-after.
    const hardStopAfter = settingOf(
      haproxySections().get('global')!,
      'hard-stop-after',
    )!;
    expect(durationMs(proxy.stop_grace_period!)).toBeGreaterThan(
      durationMs(hardStopAfter),
    );
  });

  it('publishes neither PostgreSQL nor Redis on the host', () => {
    expect(portsOf(db)).toEqual([]);
    expect(portsOf(cache)).toEqual([]);
  });

  it('publishes PostgreSQL and Redis on loopback with docker-compose.dev.yml, at the ports the service on the host uses', () => {
    const dev = readComposeFile({}, 'docker-compose.dev.yml').services;
    const defaults = loadConfig({});
    expect(Object.keys(dev).sort()).toEqual(['cache', 'db']);
    expect(portsOf(dev.db)).toEqual([
      `127.0.0.1:${defaults.postgres.port}:5432`,
    ]);
    expect(portsOf(dev.cache)).toEqual([
      `127.0.0.1:${defaults.redis.port}:6379`,
    ]);
    const moved = readComposeFile(
      { POSTGRES_PORT: '5433', REDIS_PORT: '6380' },
      'docker-compose.dev.yml',
    ).services;
    expect(portsOf(moved.db)).toEqual(['127.0.0.1:5433:5432']);
    expect(portsOf(moved.cache)).toEqual(['127.0.0.1:6380:6379']);
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
    // The image declares VOLUME /data: a mount there leaves no anonymous
    // volume behind each new container.
    expect(tmpfsOf(cache)).toEqual(['/data']);
  });

  it('pre-sets Adminer to PostgreSQL on the db server', () => {
    expect(environmentOf(adminer)).toEqual({
      ADMINER_DEFAULT_SERVER: 'db',
      ADMINER_DEFAULT_DRIVER: 'pgsql',
    });
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

  it('lists in .env.example exactly the variables the service reads, then, marked, those only Compose reads', () => {
    const serviceReads = variablesTheServiceReads();
    const { service, composeOnly } = dotEnvExample();
    expect(service.sort()).toEqual([...serviceReads].sort());
    expect(composeOnly.sort()).toEqual(
      [...variablesComposeReads()]
        .filter((name) => !serviceReads.has(name))
        .sort(),
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

  it('takes credentials from .env for both api and db, but never hosts, ports or what the proxy needs', () => {
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
      TRUST_PROXY: 'loopback',
      SHUTDOWN_DELAY_MS: '0',
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
    expect(config.trustProxy).toEqual([fixedAddressOf(services.proxy)]);
    expect(config.shutdownDelayMs).toBeGreaterThan(0);
    expect(config.rateLimitPerMinute).toBe(42);
    expect(environmentOf(services.db)).toEqual({
      POSTGRES_USER: 'alice',
      POSTGRES_PASSWORD: 's3cret',
      POSTGRES_DB: 'people',
    });
  });
});
