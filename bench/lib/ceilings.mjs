import { fork } from 'node:child_process';
import { once } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.mjs';
import { probe } from './http-probe.mjs';
import {
  FIRST_PAGE,
  fixedGet,
  getEachId,
  postNewUsers,
} from './load/plans.mjs';

/**
 * The reference servers: the fastest a Node process can answer with the
 * same I/O a scenario needs. `plan` gets the ids seeded for the run; `sample`,
 * when there is one, a path at which the ceiling must answer the same JSON as
 * the service (read with Cache-Control: no-cache), checked before its load.
 */
export const CEILINGS = {
  'fixed-body': {
    title: 'node:http, fixed body',
    file: 'fixed-body.mjs',
    plan: () => fixedGet('/'),
  },
  'redis-get': {
    title: 'node:http + 1 Redis GET',
    file: 'redis-get.mjs',
    plan: () => fixedGet('/'),
  },
  'pk-select': {
    title: 'node:http + 1 PK SELECT',
    file: 'pk-select.mjs',
    plan: (seeded) => getEachId('/users/', seeded),
    sample: (seeded) => `/users/${seeded.first}`,
  },
  'page-select': {
    title: 'node:http + 1 page SELECT (20 rows)',
    file: 'page-select.mjs',
    plan: () => fixedGet(FIRST_PAGE),
    sample: () => FIRST_PAGE,
  },
  insert: {
    title: 'node:http + 1 INSERT … RETURNING',
    file: 'insert.mjs',
    plan: () => postNewUsers(),
  },
};

/**
 * Starts one ceiling server in a process of its own.
 * @param {keyof typeof CEILINGS} name
 * @param {object} settings what the server reads from BENCH_CEILING, but the port
 */
export async function startCeiling(name, settings) {
  const port = await freePort();
  const file = fileURLToPath(
    new URL(`../ceilings/${CEILINGS[name].file}`, import.meta.url),
  );
  const child = fork(file, {
    env: {
      ...process.env,
      BENCH_CEILING: JSON.stringify({ ...settings, port }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const ready = await Promise.race([
    once(child, 'message').then(() => true),
    exited.then(() => false),
  ]);
  if (!ready) throw new Error(`ceiling server ${name} exited before listening`);
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Whether a ceiling still answers what the service answers (the service's
 * query may have changed since the ceiling copied it).
 * @returns {Promise<string | null | undefined>} what differs; null when
 *   nothing does, undefined for a ceiling without a sample path
 */
export async function compareWithService(name, ceilingUrl, serviceUrl, seeded) {
  const path = CEILINGS[name].sample?.(seeded);
  if (!path) return undefined;
  const [ours, theirs] = await Promise.all([
    probe(ceilingUrl + path),
    probe(serviceUrl + path, { 'cache-control': 'no-cache' }),
  ]);
  if (ours?.status !== 200 || theirs?.status !== 200) {
    return `GET ${path}: ceiling ${ours?.status ?? 'no answer'}, service ${theirs?.status ?? 'no answer'}`;
  }
  return isDeepStrictEqual(JSON.parse(ours.body), JSON.parse(theirs.body))
    ? null
    : `GET ${path} answers other JSON than the service's: the ceiling is stale`;
}
