import { probe, sleep } from './http-probe.mjs';
import {
  FIRST_PAGE,
  fixedGet,
  getEachId,
  MIX_SHARES,
  mixOf,
  postNewUsers,
  putEachId,
} from './load/plans.mjs';
import { ZIPF_EXPONENT, zipfIds } from './load/zipf.mjs';
import { LIVENESS_PATH } from './service.mjs';
import { startStaleReadChecker } from './stale-reads.mjs';

/**
 * What a scenario gets to prepare its load.
 * @typedef {object} ScenarioContext
 * @property {string} url the service
 * @property {{ first: number, count: number }} seeded the users seeded for the run
 * @property {import('./load/plans.mjs').LoadSettings & { warmup: number }} settings
 * @property {(ceiling: string) => number | undefined} ceilingRps
 * @property {(count: number) => Promise<{ first: number, count: number }>} seedMore
 */

/**
 * How to load one scenario. `check` looks at the measured totals for what
 * would make them meaningless; `staleReads` starts the checker that runs
 * beside the measured load (not the warm-up).
 * @typedef {object} Preparation
 * @property {import('./load/plans.mjs').RequestPlan} [plan]
 * @property {import('./load/plans.mjs').RequestPlan} [warmupPlan] defaults to `plan`
 * @property {string} [failure] a precondition that does not hold
 * @property {(result: import('./load/plans.mjs').LoadResult) => string | undefined} [check]
 * @property {() => { stop: () => Promise<import('./stale-reads.mjs').StaleReadResult> }} [staleReads]
 */

/**
 * @typedef {object} Scenario
 * @property {string} name
 * @property {string} title
 * @property {string} [ceiling] name in CEILINGS; none for the mix
 * @property {number} [minRatio] target: req/s at least this share of the ceiling's
 * @property {(context: ScenarioContext) => Promise<Preparation>} prepare
 */

// Seeding is cheap (a million rows in about 3 s) and running out of never-read
// ids spoils the scenario, so the range is sized for far more than the PK
// SELECT ceiling's rate, which is low when measured cold (no warm-up).
const MIN_MISS_RPS = 20_000;
const ID_RANGE_HEADROOM = 3;

/**
 * In the order they run, on the `--rows` users seeded (POST adds its own).
 * The cache miss comes last: the never-read ids it seeds for itself, hundreds
 * of thousands at the default duration, would otherwise grow the table under
 * PUT and POST. Each result records the table size it ran on.
 */
export const SCENARIOS = /** @type {Scenario[]} */ ([
  {
    name: 'health-live',
    title: `GET ${LIVENESS_PATH}`,
    ceiling: 'fixed-body',
    prepare: async () => ({ plan: fixedGet(LIVENESS_PATH) }),
  },
  {
    name: 'get-hit',
    title: 'GET /users/{id}, cache hit',
    ceiling: 'redis-get',
    minRatio: 0.5,
    prepare: async ({ url, seeded }) => {
      const path = `/users/${middleOf(seeded)}`;
      return {
        plan: fixedGet(path),
        ...expectCache('HIT', (await warmCache(url + path)).cache),
      };
    },
  },
  {
    name: 'get-hit-304',
    title: 'GET /users/{id}, cache hit, If-None-Match → 304',
    ceiling: 'redis-get',
    prepare: async ({ url, seeded }) => {
      const path = `/users/${middleOf(seeded)}`;
      const headers = { 'if-none-match': (await warmCache(url + path)).etag };
      const reply = await probe(url + path, headers);
      return {
        plan: fixedGet(path, headers),
        ...(reply?.status === 304
          ? expectCache('HIT', reply.cache)
          : { failure: `expected 304, got ${reply?.status ?? 'nothing'}` }),
      };
    },
  },
  {
    name: 'get-no-cache',
    title: 'GET /users/{id}, no-cache (from PostgreSQL)',
    ceiling: 'pk-select',
    prepare: prepareNoCacheReads,
  },
  {
    name: 'page-first',
    title: 'GET /users?limit=20, first page (no-cache)',
    ceiling: 'page-select',
    prepare: ({ url }) => preparePage(url, FIRST_PAGE),
  },
  {
    name: 'page-deep',
    title: 'GET /users?after=…&limit=20, near the end (no-cache)',
    ceiling: 'page-select',
    prepare: ({ url, seeded }) => {
      const after = Math.max(0, seeded.first + seeded.count - 41);
      return preparePage(url, `/users?after=${after}&limit=20`);
    },
  },
  {
    name: 'put',
    title: 'PUT /users/{id}',
    ceiling: 'insert',
    prepare: async ({ seeded }) => ({ plan: putEachId(seeded) }),
  },
  {
    name: 'post',
    title: 'POST /users',
    ceiling: 'insert',
    minRatio: 0.6,
    prepare: async () => ({ plan: postNewUsers(), warmupPlan: postNewUsers() }),
  },
  {
    name: 'post-idempotent',
    title: 'POST /users with an Idempotency-Key',
    ceiling: 'insert',
    prepare: async () => {
      const keyed = () => postNewUsers({ idempotencyKeys: true });
      return { plan: keyed(), warmupPlan: keyed() };
    },
  },
  {
    name: 'mix',
    title: mixTitle(),
    prepare: async ({ url, seeded }) => {
      const ids = zipfIds(seeded);
      return {
        plan: mixOf(ids),
        warmupPlan: mixOf(ids),
        staleReads: () => startStaleReadChecker(url, ids),
      };
    },
  },
  {
    name: 'get-miss',
    title: 'GET /users/{id}, cache miss',
    ceiling: 'pk-select',
    minRatio: 0.6,
    prepare: prepareMiss,
  },
]);

function middleOf({ first, count }) {
  return first + Math.floor(count / 2);
}

/**
 * Reads `url` until the cache answers HIT: the store after a miss may land
 * just after the response.
 * @returns {Promise<{ cache: string | null, etag: string | null }>} the last reply
 */
async function warmCache(url) {
  let reply;
  for (let attempt = 0; attempt < 10; attempt++) {
    reply = await probe(url);
    if (reply?.status !== 200) {
      throw new Error(`GET ${url} answered ${reply?.status ?? 'nothing'}`);
    }
    if (reply.cache !== 'MISS') break;
    await sleep(20);
  }
  return reply;
}

/** @returns {Pick<Preparation, 'failure'>} */
function expectCache(expected, cache) {
  return cache === expected
    ? {}
    : { failure: `expected X-Cache: ${expected}, got ${cache ?? 'none'}` };
}

// Pages bypass the cache, so each request runs the keyset query: what the
// 1,000 vs 1,000,000-row comparison is about.
const FRESH = { 'cache-control': 'no-cache' };

/** Every seeded user in turn, each read from PostgreSQL: a page's cost is compared with it. */
function prepareNoCacheReads({ url, seeded }) {
  const plan = getEachId('/users/', seeded, FRESH);
  return prepareFresh(url, `/users/${seeded.first}`, plan);
}

function preparePage(url, path) {
  return prepareFresh(url, path, fixedGet(path, FRESH));
}

/** @returns {Promise<Preparation>} `plan`, once `path` answers from PostgreSQL */
async function prepareFresh(url, path, plan) {
  const reply = await probe(url + path, FRESH);
  if (reply?.status !== 200) {
    return { failure: `GET ${path} answered ${reply?.status ?? 'nothing'}` };
  }
  return { plan, ...expectCache('MISS', reply.cache) };
}

/**
 * Reads ids nobody has read before, one per request, from a range seeded
 * now and sized from the PK SELECT ceiling's rate.
 * @param {ScenarioContext} context
 * @returns {Promise<Preparation>}
 */
async function prepareMiss({ url, settings, ceilingRps, seedMore }) {
  const rate = Math.max(ceilingRps('pk-select') ?? 0, MIN_MISS_RPS);
  const idsFor = (seconds) =>
    Math.ceil(rate * seconds * ID_RANGE_HEADROOM) + settings.connections;
  const measuredCount = idsFor(settings.duration);
  const range = await seedMore(1 + measuredCount + idsFor(settings.warmup));
  const sample = await probe(`${url}/users/${range.first}`);
  if (sample?.status !== 200) {
    throw new Error(`GET /users/${range.first} answered ${sample?.status}`);
  }
  const measured = { first: range.first + 1, count: measuredCount };
  const warmup = {
    first: measured.first + measuredCount,
    count: range.count - 1 - measuredCount,
  };
  return {
    plan: getEachId('/users/', measured),
    warmupPlan: getEachId('/users/', warmup),
    ...expectCache('MISS', sample.cache),
    check: ({ requests }) =>
      requests + settings.connections > measuredCount
        ? `ran out of never-read ids after ${measuredCount}: later requests could hit`
        : undefined,
  };
}

function mixTitle() {
  const { getById, firstPage, put, post } = MIX_SHARES;
  return (
    `mix: ${percent(getById)} GET /users/{id} (Zipf, s = ${ZIPF_EXPONENT}), ` +
    `${percent(firstPage)} first page, ${percent(put)} PUT, ${percent(post)} POST`
  );
}

function percent(perThousand) {
  return `${perThousand / 10}%`;
}
