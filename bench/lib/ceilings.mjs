import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.mjs';
import { fixedGet, getEachId, postNewUsers } from './load/plans.mjs';

/**
 * The four reference servers: the fastest a Node process can answer with the
 * same I/O a scenario needs. `plan` gets the ids seeded for the run.
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
