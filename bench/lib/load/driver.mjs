import { autocannonVersion, runAutocannon } from './autocannon.mjs';
import { runWrk, wrkVersion } from './wrk.mjs';

/**
 * @typedef {object} LoadDriver
 * @property {string} name
 * @property {string} version
 * @property {(baseUrl: string, plan: import('./plans.mjs').RequestPlan,
 *   settings: import('./plans.mjs').LoadSettings) =>
 *   Promise<import('./plans.mjs').LoadResult>} run
 */

/**
 * wrk when installed (it is multi-threaded C, and leaves more CPU to the
 * service), else autocannon.
 * @param {'wrk' | 'autocannon' | undefined} requested
 * @returns {LoadDriver}
 */
export function pickDriver(requested) {
  const wrk = requested === 'autocannon' ? null : wrkVersion();
  if (wrk) return { name: 'wrk', version: wrk, run: runWrk };
  if (requested === 'wrk')
    throw new Error('--driver wrk: wrk is not installed');
  return { name: 'autocannon', version: autocannonVersion, run: runAutocannon };
}
