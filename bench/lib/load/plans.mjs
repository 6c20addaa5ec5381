import { randomBytes } from 'node:crypto';

/**
 * What a load run sends, in terms both drivers (wrk, autocannon) implement.
 * @typedef {{ kind: 'fixed', path: string, headers: Record<string, string> }
 *   | { kind: 'get-ids', path: string, first: number, count: number }
 *   | { kind: 'post-users', token: string, idempotencyKeys: boolean }
 *   | { kind: 'put-users', first: number, count: number }} RequestPlan
 */

/** @returns {RequestPlan} the same GET, with the same headers, every time. */
export const fixedGet = (path, headers = {}) => ({
  kind: 'fixed',
  path,
  headers,
});

/**
 * @param {string} path
 * @param {{ first: number, count: number }} ids
 * @returns {RequestPlan} GET `${path}${id}`, walking the ids once each.
 */
export const getEachId = (path, ids) => ({
  kind: 'get-ids',
  path,
  first: ids.first,
  count: ids.count,
});

/**
 * @param {{ idempotencyKeys?: boolean }} [options] with a new
 *   `Idempotency-Key` on each request too
 * @returns {RequestPlan} POST /users with a new address every time.
 */
export const postNewUsers = ({ idempotencyKeys = false } = {}) => ({
  kind: 'post-users',
  token: `b${randomBytes(4).toString('hex')}`,
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
 * The totals every driver reports.
 * @typedef {object} LoadResult
 * @property {number} requests completed
 * @property {number} rps
 * @property {number} p50Ms
 * @property {number} p99Ms
 * @property {number} socketErrors connect, read, write errors and timeouts
 * @property {number} non2xx responses with an error status (400 and up; a
 *   304 is a success)
 */

/**
 * @typedef {object} LoadSettings
 * @property {number} duration seconds
 * @property {number} connections
 * @property {number} threads
 */
