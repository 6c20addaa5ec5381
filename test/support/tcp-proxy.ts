import { createServer, type Server, type Socket, connect } from 'node:net';

type Mode = 'pass' | 'refuse' | 'blackhole';

/**
 * A TCP proxy on 127.0.0.1 between the app and PostgreSQL or Redis, to make
 * partitions on demand: `refuse()` drops every connection and resets new
 * ones, `blackhole()` keeps connections open but lets no byte through (a hung
 * peer), `restore()` passes traffic again.
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

  /** Passes traffic for new connections; connections cut before stay cut. */
  restore(): void {
    this.mode = 'pass';
    for (const [client, upstream] of this.pairs) {
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
    if (this.mode === 'pass') {
      client.pipe(upstream);
      upstream.pipe(client);
    }
  }
}
