import { randomBytes } from 'node:crypto';

/**
 * What a load run sends, in terms both drivers (wrk, autocannon) implement.
 * @typedef {{ kind: 'fixed', path: string, headers: Record<string, string> }
 *   | { kind: 'get-ids', path: string, first: number, count: number, headers: Record<string, string> }
 *   | { kind: 'post-users', token: string, idempotencyKeys: boolean }
 *   | { kind: 'put-users', first: number, count: number }
 *   | { kind: 'mix', ids: import('./zipf.mjs').ZipfIds, token: string,
 *       pagePath: string, shares: typeof MIX_SHARES }} RequestPlan
 */

/** The first page, as the page scenarios, the page ceiling and the mix read it. */
export const FIRST_PAGE = '/users?limit=20';

/**
 * The realistic mix's requests, per thousand: reads by id, first pages (both
 * plain GETs, which the cache may answer), and writes, half PUT, half POST.
 * The drivers give POST what the others leave of the thousand.
 */
export const MIX_SHARES = { getById: 900, firstPage: 50, put: 25, post: 25 };

/** @returns {RequestPlan} the same GET, with the same headers, every time. */
export const fixedGet = (path, headers = {}) => ({
  kind: 'fixed',
  path,
  headers,
});

/**
 * @param {string} path
 * @param {{ first: number, count: number }} ids
 * @param {Record<string, string>} [headers]
 * @returns {RequestPlan} GET `${path}${id}`, walking the ids once each.
 */
export const getEachId = (path, ids, headers = {}) => ({
  kind: 'get-ids',
  path,
  first: ids.first,
  count: ids.count,
  headers,
});

/**
 * @param {{ idempotencyKeys?: boolean }} [options] with a new
 *   `Idempotency-Key` on each request too
 * @returns {RequestPlan} POST /users with a new address every time.
 */
export const postNewUsers = ({ idempotencyKeys = false } = {}) => ({
  kind: 'post-users',
  token: newToken(),
  idempotencyKeys,
});

/**
 * @param {{ first: number, count: number }} ids
 * @returns {RequestPlan} PUT /users/{id} renaming, walking the ids once each.
 */
export const putEachId = (ids) => ({
  kind: 'put-users',
  first: ids.first,
  count: ids.count,
});

/**
 * @param {import('./zipf.mjs').ZipfIds} ids
 * @returns {RequestPlan} MIX_SHARES of requests, ids drawn Zipf-like from
 *   `ids`; POSTs use addresses no other plan uses.
 */
export const mixOf = (ids) => ({
  kind: 'mix',
  ids,
  token: newToken(),
  pagePath: FIRST_PAGE,
  shares: MIX_SHARES,
});

/**
 * The totals every driver reports.
 * @typedef {object} LoadResult
 * @property {number} requests completed
 * @property {number} rps
 * @property {number} p50Ms
 * @property {number} p99Ms
 * @property {number} socketErrors connect, read, write errors and timeouts
 * @property {number} non2xx responses with an error status (400 and up; a
 *   304 is a success)
 * @property {CpuPerRequest} [cpuUsPerRequest] CPU time (user and system)
 *   per request, when measured
 */

/**
 * CPU µs per request: the service's (all its processes), PostgreSQL's and
 * Redis's (undefined when they run on another machine), and their total.
 * @typedef {{ service: number, postgres?: number, redis?: number, total: number }} CpuPerRequest
 */

/**
 * @typedef {object} LoadSettings
 * @property {number} duration seconds
 * @property {number} connections
 * @property {number} threads
 */

/** Unique per plan: POSTed addresses begin with it. */
const newToken = () => `b${randomBytes(4).toString('hex')}`;
