import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';

const CHANNEL = 'users_api_cache_invalidation';
const RECONNECT_DELAY_MS = 1000;
// TCP keep-alive alone notices a silently dropped connection only after the
// OS defaults (hours); a query every so often, with a deadline, in seconds.
const HEARTBEAT_MS = 10_000;
const HEARTBEAT_TIMEOUT_MS = 5_000;

interface InvalidationSubscriber {
  onMessage(message: string): void;
  /** Messages may have been missed: the listening connection was (re)made. */
  onGap(): void;
}

/**
 * Cache invalidations that could not reach Redis, relayed through PostgreSQL
 * LISTEN/NOTIFY: an instance cut off from Redis publishes here, and every
 * instance that still reaches Redis applies the invalidation for it.
 */
@Injectable()
export class InvalidationChannel implements OnApplicationShutdown {
  private readonly logger = new Logger(InvalidationChannel.name);
  private subscriber?: InvalidationSubscriber;
  private listener?: Client;
  private reconnect?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async publish(message: string): Promise<void> {
    await this.dataSource.query('SELECT pg_notify($1, $2)', [CHANNEL, message]);
  }

  /** Resolves once the first attempt to listen has succeeded or failed. */
  subscribe(subscriber: InvalidationSubscriber): Promise<void> {
    this.subscriber = subscriber;
    return this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnect);
    await this.listener?.end().catch(() => undefined);
  }

  /** Keeps one dedicated connection LISTENing, reconnecting while the app runs. */
  private listen(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const { host, port, user, password, database, connectTimeoutMs } =
      this.config.postgres;
    const client = new Client({
      host,
      port,
      user,
      password,
      database,
      connectionTimeoutMillis: connectTimeoutMs,
      query_timeout: HEARTBEAT_TIMEOUT_MS,
      keepAlive: true,
      application_name: 'users-api-cache-listener',
    });
    let lost = false;
    let heartbeat: NodeJS.Timeout | undefined;
    const onLost = (error?: Error) => {
      clearInterval(heartbeat);
      if (lost || this.closed) return;
      lost = true;
      this.listener = undefined;
      this.logger.warn(
        `cache invalidation listener lost: ${error?.message ?? 'closed'}`,
      );
      client.end().catch(() => undefined);
      this.subscriber?.onGap();
      this.reconnect = setTimeout(() => void this.listen(), RECONNECT_DELAY_MS);
      this.reconnect.unref();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', ({ payload }) => {
      if (payload) this.subscriber?.onMessage(payload);
    });
    return client
      .connect()
      .then(() => client.query(`LISTEN ${CHANNEL}`))
      .then(async () => {
        if (this.closed) {
          await client.end();
          return;
        }
        this.listener = client;
        this.subscriber?.onGap();
        heartbeat = setInterval(() => {
          client.query('SELECT 1').catch(onLost);
        }, HEARTBEAT_MS);
        heartbeat.unref();
      })
      .catch(onLost);
  }
}
