import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import { CacheKeys, type CacheTarget } from './cache-keys.js';
import { InvalidationChannel } from './invalidation-channel.js';
import { RedisConnection } from './redis-connection.js';

/** What is cached of a response. */
export interface StoredResponse {
  /** Serialized JSON. */
  readonly body: string;
  readonly etag: string;
}

interface CacheRead extends StoredResponse {
  readonly hit: boolean;
}

/**
 * A read-through cache of serialized responses that never serves data older
 * than an acknowledged write, and never fails a request because of Redis.
 *
 * Every entry is stored with the generations it was computed under
 * (`{epoch}|{generation}\n{etag}\n{body}`) and is a hit only while both are still
 * current, so invalidating is one O(1) generation bump per write whatever the
 * number of cached pages. The generations are read in the same MGET as the
 * entry, before the database is queried: a read that raced a write stores an
 * entry tagged with the old generation, which can never hit (see README,
 * "Cache design", for the full argument and the failure cases).
 */
@Injectable()
export class ResponseCache implements OnModuleInit {
  private readonly logger = new Logger(ResponseCache.name);
  private readonly keys: CacheKeys;
  private readonly entryTtlMs: number;
  private readonly generationTtlMs: number;
  private readonly inFlight = new Map<string, Promise<StoredResponse>>();
  private readonly tokenPrefix = randomBytes(6).toString('base64url');
  private tokenCount = 0;
  /** Listener reconnections: times invalidations may have been missed. */
  private gaps = 0;
  /** `disturbances` when the epoch was last bumped; -1: never. */
  private syncedAtDisturbances = -1;
  private resync?: Promise<boolean>;

  constructor(
    config: AppConfig,
    private readonly redis: RedisConnection,
    private readonly channel: InvalidationChannel,
  ) {
    this.keys = new CacheKeys(config.cache.keyPrefix);
    this.entryTtlMs = config.cache.ttlSeconds * 1000;
    // A generation must outlive every entry tagged with it, even one stored
    // by a read that was slow to query (bounded by the statement timeout).
    this.generationTtlMs =
      2 * this.entryTtlMs + config.postgres.statementTimeoutMs + 10_000;
  }

  /** Listens before serving, so the first gap is accounted for before any read. */
  onModuleInit(): Promise<void> {
    return this.channel.subscribe({
      onMessage: (message) => void this.applyRelayedInvalidation(message),
      onGap: () => (this.gaps += 1),
    });
  }

  /**
   * The cached response for `target`, or `load()`'s, stored for next time.
   * Concurrent misses on one entry under the same generations share one
   * load. `fresh` skips the cached entry (a client's `Cache-Control:
   * no-cache`): this request loads on its own and refreshes the entry.
   */
  async read(
    target: CacheTarget,
    load: () => Promise<StoredResponse>,
    { fresh = false } = {},
  ): Promise<CacheRead> {
    const lookup = await this.lookup(target, fresh ? 'tags' : 'entry');
    if (lookup === undefined) return { ...(await load()), hit: false };
    if (lookup.cached !== undefined && !fresh) {
      return { ...lookup.cached, hit: true };
    }
    const entryKey = this.keys.entry(target);
    const loadAndStore = async () => {
      const response = await load();
      this.store(entryKey, lookup.tags, response);
      return response;
    };
    const response = fresh
      ? await loadAndStore()
      : await this.shared(`${entryKey}\n${lookup.tags}`, loadAndStore);
    return { ...response, hit: false };
  }

  /**
   * Makes every cached response about this item, and every page of its
   * collection, unreachable. Never throws: when Redis cannot be reached the
   * invalidation is relayed through PostgreSQL for the instances that can.
   */
  async invalidate(resource: string, id: string | undefined): Promise<void> {
    if (await this.bumpGenerations(resource, id)) return;
    try {
      await this.channel.publish(`${resource}:${id ?? ''}`);
    } catch (error) {
      this.logger.error(
        `cache invalidation lost for ${resource}:${id}: ${String(error)}`,
      );
    }
  }

  /**
   * The tags a fresh entry must carry and (unless only the tags are asked
   * for) the cached response if it is still valid, in one round trip
   * (CACHE_LOOKUP); undefined when the cache cannot be used now (Redis away,
   * or not yet resynchronised).
   */
  private async lookup(
    target: CacheTarget,
    read: 'entry' | 'tags',
  ): Promise<{ tags: string; cached?: StoredResponse } | undefined> {
    if (!(await this.ensureSynced())) return undefined;
    let values: (string | null)[];
    try {
      values = await this.redis.run((client) =>
        client.cacheLookup(
          [
            this.keys.epoch(),
            this.keys.generation(target),
            this.keys.entry(target),
          ],
          this.newToken(),
          this.generationTtlMs,
          read,
        ),
      );
    } catch {
      return undefined;
    }
    // The script never answers a missing epoch or generation.
    const [epoch, generation, entry] = values;
    const tags = `${epoch}|${generation}`;
    return { tags, cached: entry === null ? undefined : parse(entry, tags) };
  }

  /** Runs `load` once for all concurrent callers with the same key. */
  private shared(
    key: string,
    load: () => Promise<StoredResponse>,
  ): Promise<StoredResponse> {
    let flight = this.inFlight.get(key);
    if (!flight) {
      flight = load().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, flight);
    }
    return flight;
  }

  private store(
    entryKey: string,
    tags: string,
    { etag, body }: StoredResponse,
  ): void {
    // Not awaited: a late or lost write of an entry is harmless (it is tagged).
    this.redis
      .run((client) =>
        client.set(entryKey, `${tags}\n${etag}\n${body}`, {
          PX: this.entryTtlMs,
        }),
      )
      .catch(() => undefined);
  }

  /** A generation no other write, instance or lookup ever uses. */
  private newToken(): string {
    return `${this.tokenPrefix}.${(this.tokenCount += 1)}`;
  }

  private async bumpGenerations(
    resource: string,
    id: string | undefined,
  ): Promise<boolean> {
    const token = this.newToken();
    const ttl = { PX: this.generationTtlMs };
    try {
      await this.redis.run((client) => {
        const transaction = client
          .multi()
          .set(this.keys.listGeneration(resource), token, ttl);
        if (id !== undefined) {
          transaction.set(this.keys.itemGeneration(resource, id), token, ttl);
        }
        // A pipeline, not MULTI: a partial failure is handled like a whole one.
        return transaction.execAsPipeline();
      });
      return true;
    } catch {
      return false;
    }
  }

  private async applyRelayedInvalidation(message: string): Promise<void> {
    const separator = message.indexOf(':');
    if (separator < 1) return;
    const id = message.slice(separator + 1);
    // A failure here is counted by RedisConnection: this instance resyncs before its next read.
    await this.bumpGenerations(
      message.slice(0, separator),
      id === '' ? undefined : id,
    );
  }

  /**
   * True when nothing disturbed the cache since the epoch was last bumped.
   * Otherwise bumps it first: an entry written before, perhaps around a write
   * whose invalidation this instance could not deliver, is then unreachable.
   */
  private ensureSynced(): Promise<boolean> | boolean {
    if (this.disturbances === this.syncedAtDisturbances) return true;
    // After a failure RedisConnection refuses commands for a while, so
    // retrying on every read costs nothing until Redis may be back.
    this.resync ??= this.bumpEpoch().finally(() => {
      this.resync = undefined;
    });
    return this.resync;
  }

  private async bumpEpoch(): Promise<boolean> {
    const before = this.disturbances;
    try {
      const token = this.newToken();
      await this.redis.run((client) => client.set(this.keys.epoch(), token));
    } catch {
      return false;
    }
    this.syncedAtDisturbances = before;
    return this.disturbances === before;
  }

  /** Redis failures and listener gaps: anything after which we must resync. */
  private get disturbances(): number {
    return this.redis.failureCount + this.gaps;
  }
}

const NEWLINE = 10;

/** The response in an entry, if the entry carries these tags. */
function parse(entry: string, tags: string): StoredResponse | undefined {
  if (!entry.startsWith(tags) || entry.charCodeAt(tags.length) !== NEWLINE) {
    return undefined;
  }
  const bodyStart = entry.indexOf('\n', tags.length + 1) + 1;
  if (bodyStart === 0) return undefined;
  return {
    etag: entry.slice(tags.length + 1, bodyStart - 1),
    body: entry.slice(bodyStart),
  };
}
