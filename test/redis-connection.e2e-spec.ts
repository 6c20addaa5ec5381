import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  FAIL_FAST_MS,
  RedisConnection,
  RedisTimeoutError,
  RedisUnavailableError,
} from '../src/cache/redis-connection.js';
import { loadConfig } from '../src/config/load-config.js';
import { waitFor } from './support/gate.js';
import { RedisServer } from './support/redis-server.js';

// Above REDIS_COMMAND_TIMEOUT_MS's maximum (250), for room on a shared machine.
const TIMEOUT_MS = 400;
// Timers fire late on a busy machine, never early; less than TIMEOUT_MS, so
// that a command failing only at twice its deadline is still caught.
const LATE_MS = 300;

describe('RedisConnection time box (real redis-server)', () => {
  let redis: RedisServer;
  let connection: RedisConnection;

  beforeEach(async () => {
    redis = await RedisServer.start();
    const config = loadConfig({
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
    });
    connection = new RedisConnection(
      Object.assign(config, {
        redis: { ...config.redis, commandTimeoutMs: TIMEOUT_MS },
      }),
    );
    connection.onModuleInit();
    await waitFor(() => connection.isReady);
  });

  afterEach(async () => {
    redis.resume();
    await connection.onApplicationShutdown();
    await redis.kill();
  });

  it('passes replies through and counts no failure', async () => {
    await expect(connection.run((client) => client.ping())).resolves.toBe(
      'PONG',
    );
    expect(connection.failureCount).toBe(0);
  });

  it('fails each command of a hung server at its own deadline, once', async () => {
    redis.hang();
    const started: number[] = [];
    const settled: Promise<{ error: unknown; afterMs: number }>[] = [];
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      started.push(start);
      settled.push(
        connection
          .run((client) => client.ping())
          .then(
            () => ({ error: undefined, afterMs: performance.now() - start }),
            (error: unknown) => ({ error, afterMs: performance.now() - start }),
          ),
      );
      await sleep(60);
    }
    for (const { error, afterMs } of await Promise.all(settled)) {
      expect(error).toBeInstanceOf(RedisTimeoutError);
      expect(afterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 1);
      expect(afterMs).toBeLessThan(TIMEOUT_MS + LATE_MS);
    }
    expect(connection.failureCount).toBe(3);

    // The late replies of the timed-out commands are not failures again.
    redis.resume();
    await sleep(FAIL_FAST_MS);
    await expect(connection.run((client) => client.ping())).resolves.toBe(
      'PONG',
    );
    await sleep(50);
    expect(connection.failureCount).toBe(3);
  });

  it('after a failure, refuses commands unsent for FAIL_FAST_MS without counting them, then tries Redis again', async () => {
    redis.hang();
    await expect(connection.run((client) => client.ping())).rejects.toThrow(
      RedisTimeoutError,
    );
    const failedAt = performance.now();
    redis.resume();

    let sent = false;
    const start = performance.now();
    await expect(
      connection.run((client) => {
        sent = true;
        return client.ping();
      }),
    ).rejects.toThrow(RedisUnavailableError);
    expect(performance.now() - start).toBeLessThan(50);
    expect(sent).toBe(false);
    expect(connection.failureCount).toBe(1);

    await sleep(FAIL_FAST_MS - (performance.now() - failedAt) + 10);
    await expect(connection.run((client) => client.ping())).resolves.toBe(
      'PONG',
    );
    expect(connection.failureCount).toBe(1);
  });

  it('counts and rethrows a command that throws before it is sent', async () => {
    const broken = new Error('bad arguments');
    await expect(
      connection.run(() => {
        throw broken;
      }),
    ).rejects.toBe(broken);
    expect(connection.failureCount).toBe(1);
  });

  it('counts and rethrows a command Redis rejects', async () => {
    await expect(
      connection.run((client) => client.sendCommand(['NO-SUCH-COMMAND'])),
    ).rejects.toThrow(/unknown command/i);
    expect(connection.failureCount).toBe(1);
  });
});
