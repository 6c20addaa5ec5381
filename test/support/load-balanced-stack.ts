import { BuiltServer } from './built-server.js';
import { freePort } from './free-port.js';
import { waitFor } from './gate.js';
import { Haproxy } from './haproxy.js';
import { ServiceDns } from './service-dns.js';

/**
 * The Compose stack's shape on one machine: built server processes as the api
 * replicas, listed by a DNS server as Docker lists a service's containers,
 * behind HAProxy running docker/haproxy/haproxy.cfg. `api` goes through the
 * proxy. Replicas log at info (unless `env` says otherwise): their request
 * lines show which of them served what.
 */
export class LoadBalancedStack {
  private readonly launched: BuiltServer[] = [];
  private readonly stopped = new Set<BuiltServer>();

  private constructor(
    private readonly dns: ServiceDns,
    private readonly proxy: Haproxy,
    private readonly env: Record<string, string>,
  ) {}

  static async start(
    env: Record<string, string>,
    replicas: number,
  ): Promise<LoadBalancedStack> {
    const dns = await ServiceDns.start();
    const proxy = await Haproxy.start({
      nameserver: dns.address,
      replicas: dns.name,
    });
    const stack = new LoadBalancedStack(dns, proxy, {
      LOG_LEVEL: 'info',
      ...env,
    });
    try {
      const started = await Promise.all(
        Array.from({ length: replicas }, () => stack.addReplica()),
      );
      for (const replica of started) await stack.untilRouted(replica);
      return stack;
    } catch (error) {
      await stack.close();
      throw error;
    }
  }

  get api() {
    return this.proxy.api;
  }

  /** The replicas started and not stopped, oldest first. */
  get replicas(): BuiltServer[] {
    return this.launched.filter((replica) => !this.stopped.has(replica));
  }

  /** What HAProxy wrote, to explain a failure. */
  get proxyOutput(): string {
    return this.proxy.output;
  }

  /**
   * Starts a replica on a free port. As with Docker, DNS lists it as soon as
   * its process runs, before it listens: the proxy must cope.
   */
  async addReplica(): Promise<BuiltServer> {
    const port = await freePort();
    const replica = BuiltServer.launch({ ...this.env, PORT: String(port) });
    this.launched.push(replica);
    this.dns.add(port);
    await replica.untilAnswering();
    return replica;
  }

  /**
   * SIGTERM, as `docker stop` sends; DNS stops listing the replica once its
   * process has exited. Resolves with the exit code.
   */
  async stopReplica(replica: BuiltServer): Promise<number | null> {
    this.stopped.add(replica);
    replica.signal('SIGTERM');
    const code = await replica.exited;
    this.dns.remove(replica.port);
    return code;
  }

  /** Until the proxy has sent `replica` a request other than a health check. */
  async untilRouted(replica: BuiltServer): Promise<void> {
    await waitFor(
      async () => {
        await this.api.get('/').catch(() => undefined);
        return servedRequests(replica) > 0;
      },
      20_000,
      `the proxy to send requests to the replica on port ${replica.port}`,
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.launched.map((replica) => replica.stop()));
    await this.proxy.stop();
    this.dns.close();
  }
}

/** How many requests a replica logged, health checks aside. */
export function servedRequests(replica: BuiltServer): number {
  return replica
    .logLines()
    .filter(
      (line) =>
        line.msg === 'request completed' &&
        !String(line.route).startsWith('/health'),
    ).length;
}
