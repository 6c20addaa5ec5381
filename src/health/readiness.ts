import { Injectable } from '@nestjs/common';

/**
 * Whether this process wants new requests. Shutdown withdraws it before the
 * port closes, so that a load balancer polling /health/ready stops sending
 * requests here while they are still served (SHUTDOWN_DELAY_MS).
 */
@Injectable()
export class Readiness {
  private withdrawn = false;

  withdraw(): void {
    this.withdrawn = true;
  }

  get isWithdrawn(): boolean {
    return this.withdrawn;
  }
}
