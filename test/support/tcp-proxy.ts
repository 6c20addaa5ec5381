import { createServer, type Server, type Socket, connect } from 'node:net';

type Mode = 'pass' | 'refuse' | 'blackhole' | 'drop-replies';

/**
 * A TCP proxy on 127.0.0.1 between the app and PostgreSQL or Redis, to make
 * partitions on demand: `refuse()` drops every connection and resets new
 * ones, `blackhole()` keeps connections open but lets no byte through (a hung
 * peer), `dropReplies()` lets new connections' requests through but none of
 * their replies (an answer lost on its way back), `restore()` passes traffic
 * again.
 */
export class TcpProxy {
  private mode: Mode = 'pass';
  private readonly pairs = new Set<[Socket, Socket]>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(
    targetHost: string,
    targetPort: number,
  ): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) =>
      proxy!.accept(client, targetHost, targetPort),
    );
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    const { port } = server.address() as { port: number };
    proxy = new TcpProxy(server, port);
    return proxy;
  }

  refuse(): void {
    this.mode = 'refuse';
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
  }

  blackhole(): void {
    this.mode = 'blackhole';
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
    }
  }

  /** For connections made from now on: requests reach the target, replies are lost. */
  dropReplies(): void {
    this.mode = 'drop-replies';
  }

  /**
   * Passes traffic again, also on connections held in the blackhole (what
   * they queued meanwhile goes through, as after a healed partition);
   * connections cut before stay cut. Idempotent: piping a pair twice would
   * send every byte twice.
   */
  restore(): void {
    this.mode = 'pass';
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pipe(upstream);
      upstream.pipe(client);
    }
  }

  async close(): Promise<void> {
    this.refuse();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket, host: string, port: number): void {
    client.on('error', () => undefined);
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(port, host);
    upstream.on('error', () => client.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const forget = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', forget);
    upstream.on('close', forget);
    if (this.mode === 'pass' || this.mode === 'drop-replies') {
      client.pipe(upstream);
    }
    if (this.mode === 'pass') upstream.pipe(client);
    // Dropped replies still have to be read, or the target would stall.
    if (this.mode === 'drop-replies') upstream.resume();
  }
}
