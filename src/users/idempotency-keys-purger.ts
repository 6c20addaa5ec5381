import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { UsersRepository } from './users.repository.js';

const PURGE_INTERVAL_MS = 60 * 60_000;

/**
 * Deletes expired Idempotency-Keys in the background: once at start-up, then
 * every hour, never on a request's path. Expired keys are ignored anyway
 * (see users_create_idempotently), so this only bounds the table's size.
 * Every instance runs it; the repository lets one purge at a time.
 */
@Injectable()
export class IdempotencyKeysPurger
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(IdempotencyKeysPurger.name);
  private readonly ttlHours: number;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly users: UsersRepository,
    config: AppConfig,
  ) {
    this.ttlHours = config.preconditions.idempotencyTtlHours;
  }

  onApplicationBootstrap(): void {
    void this.purge();
    this.timer = setInterval(() => void this.purge(), PURGE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Never throws: a failed purge is retried at the next turn. */
  async purge(): Promise<number> {
    try {
      const purged = await this.users.purgeExpiredIdempotencyKeys(
        this.ttlHours,
      );
      if (purged > 0)
        this.logger.log(`purged ${purged} expired idempotency keys`);
      return purged;
    } catch (error) {
      this.logger.warn(`idempotency key purge failed: ${String(error)}`);
      return 0;
    }
  }
}
