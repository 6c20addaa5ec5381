import { parseArgs } from 'node:util';
import { CEILINGS } from './ceilings.mjs';
import { DEPLOYMENT_MANIFEST, FALLBACK_MEMORY_LIMIT } from './memory-limit.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { TARGETS } from './targets.mjs';

const rows = (count) => count.toLocaleString('en-US');

export const USAGE = `Usage: npm run bench -- [options]

  --rows N[,N...]     users seeded before the run (default 1000); several sizes
                      run one after the other and their page latencies are compared
  --repeat N          run everything N times in a row (default 1); the report
                      puts the page p99 checks of each run side by side
  --duration S        seconds measured per scenario and ceiling (default 10)
  --warmup S          seconds of unmeasured load before each (default 1)
  --connections C     open connections (default 32)
  --threads T         load generator threads (default 2)
  --only a,b          scenarios to run (default all, see below)
  --soak S            instead of the scenarios, the mix alone for S seconds
                      (e.g. 600), one load a minute, no warm-up; RSS sampled
                      every 10 s (default: no soak; not with --only)
  --workers N         CLUSTER_WORKERS for the service (default 1)
  --driver D          wrk or autocannon (default: wrk when installed)
  --log-level L       LOG_LEVEL for the service (default info, as the service's own default)
  --database NAME     database to create and drop (default users_api_bench)
  --out DIR           where results go (default bench/results)
  --quick             smoke run: 200 rows, 1 s, no warm-up, 8 connections, 1 thread
  --help

Scenarios, in the order they run [ceiling]:
${SCENARIOS.map(
  (s) =>
    `  ${s.name.padEnd(17)} ${s.title} [${s.ceiling ?? 'none'}]` +
    (s.minRatio === undefined ? '' : `, ≥ ${s.minRatio * 100}% of it`),
).join('\n')}

Ceilings, node:http doing only the I/O a scenario needs (bench/ceilings/):
${Object.entries(CEILINGS)
  .map(([name, { title }]) => `  ${name.padEnd(17)} ${title}`)
  .join('\n')}

Checks, per table size (INFO marks one judged only from ${rows(TARGETS.judgedFromRows)} rows):
  every scenario: 0 errors and non-2xx; p99 ≤ ${TARGETS.tailSpread}× p50 (INFO)
  start to ready ≤ ${TARGETS.readyMs} ms; peak RSS under the Kubernetes memory limit; exit 0 on SIGTERM
  page p99, near the end vs first page (INFO), and largest vs smallest --rows: ≤ ${TARGETS.pageP99Spread}×
  costs, by the service's CPU time per request (req/s when not measured):
    uncached page (page-first) vs uncached read by id (get-no-cache) ≤ ${TARGETS.uncachedPageCost}×
    304 vs hit ≤ ${TARGETS.revalidationVsHit}×; POST with Idempotency-Key vs without ≤ ${TARGETS.idempotentPostVsPost}×
  ceilings with a sample path answer the service's JSON
  mix: the stale-read checker (PATCH a hot user, then GET it and GET it with
    If-None-Match: <tag before the write>) finds 0 stale reads, 0 errors,
    ≥ ${TARGETS.staleChecksPerSecond} check/s
  soak: 0 errors; RSS at the end within ±${TARGETS.soakRssDrift * 100}% of minute ${TARGETS.soakReferenceMinute}; peak RSS
    under the memory limit of ${DEPLOYMENT_MANIFEST}
    (${FALLBACK_MEMORY_LIMIT} if it sets none);
    the stale-read checker as for the mix`;

const QUICK = {
  rows: '200',
  duration: '1',
  warmup: '0',
  connections: '8',
  threads: '1',
};

const DEFAULTS = {
  rows: '1000',
  repeat: '1',
  duration: '10',
  warmup: '1',
  connections: '32',
  threads: '2',
  workers: '1',
  'log-level': 'info',
  database: 'users_api_bench',
  out: 'bench/results',
};

export class UsageError extends Error {}

/**
 * @typedef {object} BenchOptions
 * @property {number[]} rows
 * @property {number} repeat rounds of the whole run
 * @property {number} duration seconds
 * @property {number} warmup seconds
 * @property {number} connections
 * @property {number} threads
 * @property {string[]} only scenario names
 * @property {number} workers
 * @property {'wrk' | 'autocannon' | undefined} driver
 * @property {string} logLevel
 * @property {string} database
 * @property {string} out
 * @property {number} soak seconds of the mix alone instead of the scenarios; 0: no soak
 * @property {boolean} quick
 * @property {boolean} help
 */

/** @returns {BenchOptions} */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      rows: { type: 'string' },
      repeat: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      only: { type: 'string' },
      workers: { type: 'string' },
      driver: { type: 'string' },
      'log-level': { type: 'string' },
      database: { type: 'string' },
      out: { type: 'string' },
      soak: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const given = { ...DEFAULTS, ...(values.quick ? QUICK : {}), ...values };
  /** @type {BenchOptions} */
  const options = {
    rows: given.rows.split(',').map((rows) => integer('rows', rows, 1)),
    repeat: integer('repeat', given.repeat, 1),
    duration: integer('duration', given.duration, 1),
    warmup: integer('warmup', given.warmup, 0),
    connections: integer('connections', given.connections, 1),
    threads: integer('threads', given.threads, 1),
    only: given.only ? given.only.split(',') : SCENARIOS.map((s) => s.name),
    workers: integer('workers', given.workers, 1),
    driver: /** @type {BenchOptions['driver']} */ (given.driver),
    logLevel: given['log-level'],
    database: given.database,
    out: given.out,
    soak: given.soak === undefined ? 0 : integer('soak', given.soak, 1),
    quick: values.quick,
    help: values.help,
  };
  const unknown = options.only.filter(
    (name) => !SCENARIOS.some((s) => s.name === name),
  );
  if (unknown.length > 0) {
    throw new UsageError(`--only: unknown scenario ${unknown.join(', ')}`);
  }
  if (options.soak > 0 && values.only !== undefined) {
    throw new UsageError('--soak runs the mix alone: leave out --only');
  }
  if (options.driver && !['wrk', 'autocannon'].includes(options.driver)) {
    throw new UsageError('--driver must be wrk or autocannon');
  }
  if (options.connections < options.threads) {
    throw new UsageError('--connections must be at least --threads');
  }
  // The bench drops this database: never let it point at real data.
  if (!/^users_api_bench[a-z0-9_]*$/.test(options.database)) {
    throw new UsageError('--database must start with users_api_bench');
  }
  return options;
}

function integer(name, value, min) {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    throw new UsageError(`--${name}=${value}: must be an integer ≥ ${min}`);
  }
  return parsed;
}
