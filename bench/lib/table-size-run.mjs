import { randomBytes } from 'node:crypto';
import { SERVICE_ENTRY } from './build.mjs';
import { CEILINGS, compareWithService, startCeiling } from './ceilings.mjs';
import {
  CEILING_TABLE,
  countUsers,
  createCeilingTable,
  dropDatabase,
  postgresServerPid,
  resetDatabase,
  seedUsers,
} from './database.mjs';
import { freePort } from './free-port.mjs';
import { deploymentMemoryLimit } from './memory-limit.mjs';
import { deleteKeysWithPrefix, redisServerPid } from './redis-keys.mjs';
import { cpuSeconds, highWaterMarkMb, RssSampler } from './rss.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { Service } from './service.mjs';
import { runSoak } from './soak.mjs';

// One start-up time is a noisy sample on a shared machine: take the median
// of a few starts, all with migrations already applied.
const TIMED_STARTS = 3;

/**
 * @typedef {import('./load/plans.mjs').LoadResult} LoadResult
 *
 * @typedef {object} ScenarioResult
 * @property {string} name
 * @property {string} title
 * @property {string} [ceiling]
 * @property {number} [minRatio]
 * @property {LoadResult | null} load null when its preparation failed
 * @property {number | null} ratio req/s over the ceiling's req/s, if it has one
 * @property {import('./stale-reads.mjs').StaleReadResult} [staleReads] the
 *   checks made while the load ran (the mix)
 * @property {{ processMb: number, totalMb: number } | null} peakRss during the
 *   load: the largest service process, and all of them (cluster workers)
 * @property {number} tableRows users in the table when its load began
 * @property {string[]} failures
 *
 * @typedef {object} TableSizeRun
 * @property {number} rows
 * @property {{ firstStartMs: number, readyMs: number, readyTimesMs: number[],
 *   exit: { code: number | null, signal: string | null } }} startup
 *   readyMs is the median of readyTimesMs
 * @property {{ processMb: number, totalMb: number, highWaterMarkMb: number,
 *   limit: ReturnType<typeof deploymentMemoryLimit> }} rss the peaks, and the
 *   deployment's memory limit they are held to
 *   peaks under load, and the kernel's peak over the whole life of a process
 * @property {ScenarioResult[]} scenarios none in a soak
 * @property {Record<string, CeilingResult>} ceilings none in a soak
 * @property {import('./soak.mjs').SoakResult} [soak] with --soak
 *
 * @typedef {object} CeilingResult
 * @property {string} title
 * @property {LoadResult} load
 * @property {string | null} [differs] how its answer differs from the
 *   service's; null when it does not; absent for a ceiling without a sample
 */

/**
 * Everything measured at one table size, from a fresh database: the service
 * starts once to apply migrations, `rows` users are seeded, then it starts
 * again a few times (the starts that are timed) and the last one takes each
 * scenario, each next to its ceiling, or with --soak the soak alone. The
 * database and the run's Redis keys are dropped at the end.
 * @param {number} rows
 * @param {{ options: import('./options.mjs').BenchOptions, config: any,
 *   driver: import('./load/driver.mjs').LoadDriver, root: string,
 *   logFile: string, progress: (line: string) => void }} run
 * @returns {Promise<TableSizeRun>}
 */
export async function runTableSize(rows, run) {
  const { options, config, root, logFile } = run;
  const server = postgresServer(config.postgres);
  const keyPrefix = `users-api-bench-${randomBytes(4).toString('hex')}`;
  const startService = async () => {
    const port = await freePort();
    return Service.start({
      root,
      entry: SERVICE_ENTRY,
      port,
      logFile,
      env: serviceEnv({ port, keyPrefix, ...options }),
    });
  };

  await resetDatabase(server, options.database);
  try {
    run.progress(`rows=${rows}: first start, applying migrations`);
    const migrating = await startService();
    await migrating.stop();
    run.progress(`rows=${rows}: seeding`);
    const seeded = await seedUsers(server, options.database, rows, 'main');
    await createCeilingTable(server, options.database);
    const readyTimesMs = [];
    let service;
    for (let start = 0; start < TIMED_STARTS; start++) {
      await service?.stop();
      service = await startService();
      readyTimesMs.push(service.readyMs);
    }
    let measured, highWaterMark, exit;
    try {
      measured = options.soak
        ? {
            scenarios: [],
            ceilings: {},
            soak: await runSoak(service, seeded, {
              seconds: options.soak,
              settings: loadSettings(options),
              driver: run.driver,
              root,
              progress: (line) => run.progress(`rows=${rows}: ${line}`),
            }),
          }
        : await runScenarios(service, seeded, {
            ...run,
            server,
            keyPrefix,
            rows,
          });
      highWaterMark = highWaterMarkMb(service.pid);
    } finally {
      exit = await service.stop();
    }
    return {
      rows,
      startup: {
        firstStartMs: migrating.readyMs,
        readyMs: median(readyTimesMs),
        readyTimesMs,
        exit,
      },
      rss: {
        ...(measured.soak?.peakRss ?? peakRss(measured.scenarios)),
        highWaterMarkMb: highWaterMark,
        limit: deploymentMemoryLimit(root),
      },
      ...measured,
    };
  } finally {
    await dropDatabase(server, options.database);
    await deleteKeysWithPrefix(config.redis, keyPrefix);
  }
}

async function runScenarios(service, seeded, run) {
  const { options, driver, config, server, keyPrefix, rows } = run;
  // Whose CPU time a request costs: the service's, and the servers' it uses
  // when they run here (the load generator's is left out).
  const processes = {
    service: service.pid,
    postgres: await postgresServerPid(server),
    redis: await redisServerPid(config.redis),
  };
  const settings = { ...loadSettings(options), warmup: options.warmup };
  /**
   * The warm-up, then the measured load with `checker` running beside it.
   * @returns {Promise<{ measured: LoadResult, checked?: any }>}
   */
  /** `measureCpu`: record the CPU time per request of `processes`. */
  const load = async (
    url,
    plan,
    warmupPlan = plan,
    checker = undefined,
    measureCpu = false,
  ) => {
    if (settings.warmup > 0) {
      await driver.run(url, warmupPlan, {
        ...settings,
        duration: settings.warmup,
      });
    }
    const running = checker?.();
    const cpuBefore = measureCpu ? cpuOf(processes) : undefined;
    const measured = await driver
      .run(url, plan, settings)
      .catch(async (error) => {
        await running?.stop();
        throw error;
      });
    if (cpuBefore && measured.requests > 0) {
      measured.cpuUsPerRequest = perRequest(
        cpuBefore,
        cpuOf(processes),
        measured.requests,
      );
    }
    return { measured, checked: await running?.stop() };
  };

  /** @type {Record<string, CeilingResult>} */
  const ceilings = {};
  const measureCeiling = async (name) => {
    if (!name || ceilings[name]) return;
    run.progress(`rows=${rows}: ceiling ${name}`);
    const ceiling = await startCeiling(name, {
      postgres: {
        ...server,
        database: options.database,
        max: config.postgres.poolSize,
      },
      redis: { host: config.redis.host, port: config.redis.port },
      redisKey: `${keyPrefix}:ceiling`,
      table: CEILING_TABLE,
    });
    try {
      const differs = await compareWithService(
        name,
        ceiling.url,
        service.url,
        seeded,
      );
      const plan = () => CEILINGS[name].plan(seeded);
      ceilings[name] = {
        title: CEILINGS[name].title,
        load: (await load(ceiling.url, plan(), plan())).measured,
        differs,
      };
    } finally {
      await ceiling.stop();
    }
  };

  const context = {
    url: service.url,
    seeded,
    settings,
    ceilingRps: (name) => ceilings[name]?.load.rps,
    seedMore: (count) =>
      seedUsers(server, options.database, count, `more${Date.now()}`),
  };
  const scenarios = [];
  for (const scenario of SCENARIOS.filter((s) =>
    options.only.includes(s.name),
  )) {
    await measureCeiling(scenario.ceiling);
    run.progress(`rows=${rows}: ${scenario.name}`);
    const prepared = await scenario.prepare(context);
    const result = {
      name: scenario.name,
      title: scenario.title,
      ceiling: scenario.ceiling,
      minRatio: scenario.minRatio,
      load: null,
      ratio: null,
      peakRss: null,
      tableRows: await countUsers(server, options.database),
      failures: [prepared.failure].filter(Boolean),
    };
    if (prepared.plan) {
      const sampler = new RssSampler(service.pid);
      sampler.start();
      const { measured, checked } = await load(
        service.url,
        prepared.plan,
        prepared.warmupPlan,
        prepared.staleReads,
        true,
      );
      result.load = measured;
      if (checked) result.staleReads = checked;
      result.peakRss = sampler.stop();
      result.ratio = scenario.ceiling
        ? result.load.rps / ceilings[scenario.ceiling].load.rps
        : null;
      const problem = prepared.check?.(result.load);
      if (problem) result.failures.push(problem);
    }
    scenarios.push(result);
  }
  return { scenarios, ceilings };
}

/** CPU seconds used so far by each process that runs here. */
function cpuOf(processes) {
  return Object.fromEntries(
    Object.entries(processes).map(([name, pid]) => [
      name,
      pid === undefined ? undefined : cpuSeconds(pid),
    ]),
  );
}

/**
 * @returns {import('./load/plans.mjs').CpuPerRequest} µs per request, each
 *   process's and their total (the servers' only when they run here)
 */
function perRequest(before, after, requests) {
  const us = (name) =>
    before[name] === undefined
      ? undefined
      : ((after[name] - before[name]) * 1e6) / requests;
  const cost = { service: us('service'), postgres: us('postgres'), redis: us('redis') };
  return {
    ...cost,
    total: Object.values(cost).reduce((sum, each) => sum + (each ?? 0), 0),
  };
}

/** @returns {import('./load/plans.mjs').LoadSettings} */
function loadSettings({ duration, connections, threads }) {
  return { duration, connections, threads };
}

function peakRss(scenarios) {
  const peak = (field) =>
    Math.max(0, ...scenarios.map((s) => s.peakRss?.[field] ?? 0));
  return { processMb: peak('processMb'), totalMb: peak('totalMb') };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function postgresServer({ host, port, user, password }) {
  return { host, port, user, password };
}

/** The service as deployed, pointed at the bench's database and Redis keys. */
function serviceEnv({ port, keyPrefix, database, workers, logLevel }) {
  return {
    ...process.env,
    PORT: String(port),
    POSTGRES_DB: database,
    CACHE_KEY_PREFIX: keyPrefix,
    CLUSTER_WORKERS: String(workers),
    LOG_LEVEL: logLevel,
    // Writes must meet neither 401 nor 429: the bench measures the service, not its guards.
    API_KEY: '',
    RATE_LIMIT_PER_MINUTE: '0',
  };
}
