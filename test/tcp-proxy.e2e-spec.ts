import { once } from 'node:events';
import { createServer, type Server, connect, type Socket } from 'node:net';
import { waitFor } from './support/gate.js';
import { TcpProxy } from './support/tcp-proxy.js';

/** The fault-injecting proxy the outage tests rely on, against an echo server. */
describe('TcpProxy', () => {
  let echo: Server;
  let proxy: TcpProxy;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    const { port } = echo.address() as { port: number };
    proxy = await TcpProxy.start('127.0.0.1', port);
  });

  afterEach(() => {
    proxy.restore();
    for (const socket of sockets.splice(0)) socket.destroy();
  });

  afterAll(async () => {
    await proxy?.close();
    echo?.close();
  });

  async function connection(): Promise<{
    socket: Socket;
    received: () => string;
  }> {
    const socket = connect(proxy.port, '127.0.0.1');
    sockets.push(socket);
    let data = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (data += chunk));
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    return { socket, received: () => data };
  }

  it('passes bytes once, also after restore() on a passing connection', async () => {
    const { socket, received } = await connection();
    proxy.restore();
    proxy.restore();

    socket.write('abc');

    await waitFor(() => received().length >= 3, 2000, 'the echo');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received()).toBe('abc');
  });

  it('holds bytes in the blackhole and delivers them, once, after restore()', async () => {
    const { socket, received } = await connection();
    proxy.blackhole();

    socket.write('held');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received()).toBe('');

    proxy.restore();
    await waitFor(() => received().length >= 4, 2000, 'the held bytes');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received()).toBe('held');
  });

  it('cuts connections and refuses new ones, until restore()', async () => {
    const { socket } = await connection();
    const closed = once(socket, 'close');
    proxy.refuse();
    await closed;

    const refused = connect(proxy.port, '127.0.0.1');
    sockets.push(refused);
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNRESET');

    proxy.restore();
    const { socket: again, received } = await connection();
    again.write('back');
    await waitFor(() => received() === 'back', 2000, 'traffic to pass again');
  });
});
