import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { probe, sleep } from './http-probe.mjs';

// docs/API.md's liveness route: it touches neither PostgreSQL nor Redis.
export const LIVENESS_PATH = '/health/live';

const POLL_INTERVAL_MS = 5;
const STOP_TIMEOUT_MS = 10_000;

/**
 * The node flags `npm run start:prod` passes (V8 heap sizes), so the bench
 * measures the service as users start it.
 * @param {string} root
 * @returns {string[]}
 */
export function startProdNodeFlags(root) {
  const { scripts } = JSON.parse(
    readFileSync(join(root, 'package.json'), 'utf8'),
  );
  const words = scripts['start:prod'].split(/\s+/);
  return words
    .slice(words.indexOf('node') + 1)
    .filter((word) => /^--max-[a-z-]+-size=\d+$/.test(word));
}

/** The built service running in a process of its own, as in production. */
export class Service {
  /**
   * Spawns `node <entry>` and waits for the first 200 from the liveness route.
   * @param {{ root: string, entry: string, env: NodeJS.ProcessEnv, port: number, logFile: string, timeoutMs?: number }} options
   */
  static async start({ root, entry, env, port, logFile, timeoutMs = 60_000 }) {
    const log = openSync(logFile, 'a');
    const startedAt = performance.now();
    const child = spawn(
      process.execPath,
      [...startProdNodeFlags(root), entry],
      {
        cwd: root,
        env,
        stdio: ['ignore', log, log],
      },
    );
    closeSync(log);
    const service = new Service(child, `http://127.0.0.1:${port}`, logFile);
    try {
      await service.#waitUntilLive(timeoutMs);
    } catch (error) {
      await service.stop();
      throw error;
    }
    service.readyMs = performance.now() - startedAt;
    return service;
  }

  /** Milliseconds from spawn to the first 200. */
  readyMs = 0;
  #exit;

  constructor(child, url, logFile) {
    this.child = child;
    this.url = url;
    this.logFile = logFile;
    this.#exit = once(child, 'exit').then(([code, signal]) => ({
      code,
      signal,
    }));
  }

  get pid() {
    return this.child.pid;
  }

  /** SIGTERM, as an orchestrator would; SIGKILL if draining hangs. */
  async stop() {
    if (this.#isRunning()) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const exit = await this.#exit;
    clearTimeout(timer);
    return exit;
  }

  #isRunning() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async #waitUntilLive(timeoutMs) {
    const deadline = performance.now() + timeoutMs;
    while (this.#isRunning() && performance.now() < deadline) {
      const reply = await probe(this.url + LIVENESS_PATH);
      if (reply?.status === 200) return;
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(
      `the service ${this.#isRunning() ? 'was not live' : 'exited'} before answering 200; ` +
        `last lines of ${this.logFile}:\n${tail(this.logFile)}`,
    );
  }
}

function tail(file, lines = 20) {
  return readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .join('\n');
}
