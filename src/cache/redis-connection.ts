import {
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { createClient } from '@redis/client';
import { AppConfig } from '../config/app-config.js';
import { CACHE_LOOKUP } from './lookup-script.js';

export class RedisTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Redis did not answer within ${timeoutMs} ms`);
    this.name = 'RedisTimeoutError';
  }
}

/** A command refused without being sent: another one failed moments ago. */
export class RedisUnavailableError extends Error {
  constructor() {
    super('Redis failed a command moments ago; not sent');
    this.name = 'RedisUnavailableError';
  }
}

/**
 * After a failed or timed-out command, the next ones are refused at once for
 * this long instead of each waiting out its time box on a Redis that is most
 * likely still away; the first command after it probes Redis again.
 */
export const FAIL_FAST_MS = 500;

// While Redis is hung, commands wait in the client's queue until they time
// out here; past this many, new ones are refused at once instead of piling up.
const MAX_PENDING_COMMANDS = 1000;

function createRedisClient(config: AppConfig) {
  return createClient({
    socket: {
      host: config.redis.host,
      port: config.redis.port,
      connectTimeout: 1000,
      keepAlive: true,
      // Quick first retries, then at most every second, forever.
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000),
    },
    disableOfflineQueue: true,
    commandsQueueMaxLength: MAX_PENDING_COMMANDS,
    // Sent as EVALSHA, and once as EVAL when Redis does not know it yet.
    scripts: { cacheLookup: CACHE_LOOKUP },
  });
}

type RedisClient = ReturnType<typeof createRedisClient>;

/**
 * Owns the one Redis client of this process and runs every command through a
 * time box, so a stopped, refusing or hung Redis costs a request at most
 * `REDIS_COMMAND_TIMEOUT_MS`, and after a failure most requests nothing (see
 * FAIL_FAST_MS). Counts failures so that callers can tell whether anything
 * may have been missed since they last looked (see ResponseCache).
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnection.name);
  private readonly client: RedisClient;
  private readonly timeoutMs: number;
  private failures = 0;
  private wasReady = false;
  /** Date.now() until which commands are refused unsent; 0: not refusing. */
  private refusingUntil = 0;

  constructor(config: AppConfig) {
    this.timeoutMs = config.redis.commandTimeoutMs;
    this.client = createRedisClient(config);
    this.client.on('error', (error: Error) => this.onConnectionError(error));
    this.client.on('ready', () => {
      this.wasReady = true;
      this.logger.log('Redis connection ready');
    });
  }

  onModuleInit(): void {
    // Not awaited: the service starts, and serves from PostgreSQL, without Redis.
    this.client.connect().catch((error: unknown) => {
      this.logger.warn(`Redis connection failed: ${String(error)}`);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client.isReady) {
      await this.run((client) => client.close()).catch(() =>
        this.client.destroy(),
      );
    } else if (this.client.isOpen) {
      this.client.destroy();
    }
  }

  get isReady(): boolean {
    return this.client.isReady;
  }

  /**
   * Grows on every failed or timed-out command and every connection error.
   * A command refused unsent (RedisUnavailableError) is not counted: a counted
   * failure opened the window it falls in, and nothing is sent to Redis before
   * the window ends, so whoever resynchronises after that failure does so
   * after the refused command too.
   */
  get failureCount(): number {
    return this.failures;
  }

  /**
   * Runs a command with a time box; a failure or timeout is counted and
   * rethrown. Within FAIL_FAST_MS of the last one, rejects at once.
   */
  run<T>(command: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.refusingUntil !== 0) {
      if (Date.now() < this.refusingUntil) {
        return Promise.reject(new RedisUnavailableError());
      }
      this.refusingUntil = 0;
    }
    // One promise and one timer per command: Promise.race and a second
    // promise for the timeout were a measurable share of a cached read.
    return new Promise<T>((resolve, reject) => {
      let open = true;
      const fail = (error: Error) => {
        if (!open) return;
        open = false;
        clearTimeout(timer);
        this.failures += 1;
        this.refusingUntil = Date.now() + FAIL_FAST_MS;
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new RedisTimeoutError(this.timeoutMs)),
        this.timeoutMs,
      );
      let reply: Promise<T>;
      try {
        reply = command(this.client);
      } catch (error) {
        reply = Promise.reject(error);
      }
      reply.then((value) => {
        open = false;
        clearTimeout(timer);
        resolve(value);
      }, fail);
    });
  }

  private onConnectionError(error: Error): void {
    this.failures += 1;
    // Reconnection retries raise an error each; log the transition only.
    if (this.wasReady) {
      this.wasReady = false;
      this.logger.warn(`Redis connection lost: ${error.message}`);
    }
  }
}
