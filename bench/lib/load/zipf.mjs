/**
 * Zipf-like popularity over a range of ids, as bench/wrk/mix.lua draws it.
 *
 * A rank is drawn by inverting the continuous density 1/x on [1, count + 1):
 * rank = floor((count + 1) ** u) for u uniform in [0, 1), so
 * P(rank k) = ln((k + 1) / k) / ln(count + 1), about 1 / (k ln count): Zipf
 * with exponent 1 (at a million ids the top 1% of ranks take two thirds of
 * the draws, the hottest one 5%). One draw, no table, in Lua as here.
 *
 * Ranks are scattered over the ids (rank k is not the k-th id): rank k is
 * id first + ((k - 1) * scatter mod count), with scatter near count / φ and
 * coprime with it (Fibonacci hashing), so the hot users lie all over the
 * table, as real ones do, rather than on its first pages.
 */
export const ZIPF_EXPONENT = 1;

// (count - 1) * scatter must stay exact in doubles, as Lua computes it too.
const MAX_COUNT = Math.floor(Math.sqrt(Number.MAX_SAFE_INTEGER));

/**
 * @typedef {{ first: number, count: number, scatter: number }} ZipfIds
 * @param {{ first: number, count: number }} ids
 * @returns {ZipfIds}
 */
export function zipfIds({ first, count }) {
  if (count > MAX_COUNT) {
    throw new Error(`Zipf ids: at most ${MAX_COUNT} ids, not ${count}`);
  }
  let scatter = Math.max(1, Math.round(count / GOLDEN_RATIO));
  while (gcd(scatter, count) !== 1) scatter += 1;
  return { first, count, scatter };
}

const GOLDEN_RATIO = (1 + Math.sqrt(5)) / 2;

function gcd(a, b) {
  return b === 0 ? a : gcd(b, a % b);
}

/** @param {ZipfIds} ids @param {number} rank from 1, 1 the most read */
export function idOfRank({ first, count, scatter }, rank) {
  return first + (((rank - 1) * scatter) % count);
}

/** @param {ZipfIds} ids @param {number} uniform in [0, 1) */
export function drawId(ids, uniform = Math.random()) {
  return idOfRank(ids, Math.floor((ids.count + 1) ** uniform));
}
