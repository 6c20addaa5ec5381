import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const SCRIPTS_DIR = fileURLToPath(new URL('../../wrk/', import.meta.url));
const RESULT_MARKER = 'WRK_RESULT ';

/** @returns {string | null} wrk's version, or null when it is not installed. */
export function wrkVersion() {
  const run = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (run.error) return null;
  return /wrk (\S+)/.exec(run.stdout + run.stderr)?.[1] ?? 'unknown';
}

/**
 * @param {string} baseUrl
 * @param {import('./plans.mjs').RequestPlan} plan
 * @param {import('./plans.mjs').LoadSettings} settings
 * @returns {Promise<import('./plans.mjs').LoadResult>}
 */
export async function runWrk(
  baseUrl,
  plan,
  { duration, connections, threads },
) {
  const { script, path, options = [], args } = scriptFor(plan, threads);
  // Run from the scripts' folder so their require() finds report.lua.
  const wrk = spawn(
    'wrk',
    ['-t', threads, '-c', connections, '-d', `${duration}s`, '-s', script]
      .concat(options, baseUrl + path, '--', args)
      .map(String),
    { cwd: SCRIPTS_DIR },
  );
  let output = '';
  wrk.stdout.on('data', (chunk) => (output += chunk));
  wrk.stderr.on('data', (chunk) => (output += chunk));
  const [code] = await once(wrk, 'exit');
  const line = output.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (code !== 0 || !line) throw new Error(`wrk failed (${code}):\n${output}`);
  const result = JSON.parse(line.slice(RESULT_MARKER.length));
  const { connect, read, write, timeout, status } = result.errors;
  return {
    requests: result.requests,
    rps: result.requests / (result.durationUs / 1e6),
    p50Ms: result.latencyUs.p50 / 1000,
    p99Ms: result.latencyUs.p99 / 1000,
    socketErrors: connect + read + write + timeout,
    // wrk's "Non-2xx or 3xx responses" counts statuses from 400 up.
    non2xx: status,
  };
}

function scriptFor(plan, threads) {
  switch (plan.kind) {
    case 'fixed':
      return {
        script: 'fixed.lua',
        path: plan.path,
        options: headerOptions(plan.headers),
        args: [],
      };
    case 'get-ids':
      return {
        script: 'get-ids.lua',
        path: '/',
        options: headerOptions(plan.headers),
        args: [plan.path, plan.first, plan.count, threads],
      };
    case 'post-users':
      return {
        script: 'post-users.lua',
        path: '/',
        args: [plan.token, plan.idempotencyKeys ? 'keys' : 'no-keys'],
      };
    case 'put-users':
      return {
        script: 'put-users.lua',
        path: '/',
        args: [plan.first, plan.count, threads],
      };
    case 'mix': {
      const { first, count, scatter } = plan.ids;
      const { getById, firstPage, put } = plan.shares;
      return {
        script: 'mix.lua',
        path: '/',
        args: [
          first,
          count,
          scatter,
          plan.token,
          plan.pagePath,
          getById,
          firstPage,
          put,
        ],
      };
    }
  }
}

/** wrk's -H: the headers wrk.format() sends when a script passes none. */
function headerOptions(headers) {
  return Object.entries(headers).flatMap(([name, value]) => [
    '-H',
    `${name}: ${value}`,
  ]);
}
