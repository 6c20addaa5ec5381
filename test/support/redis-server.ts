import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createClient } from '@redis/client';
import { freePort } from './free-port.js';

/**
 * A private redis-server that a test may stop, hang and restart without
 * disturbing anyone else's. No persistence: a restart starts empty, as the
 * Compose stack's cache does.
 */
export class RedisServer {
  private process?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.launch();
    return server;
  }

  /** SIGSTOP: the server keeps its connections but answers nothing. */
  hang(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.process = undefined;
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  /** Starts it again if it is not running; a running server is left alone. */
  async ensureRunning(): Promise<void> {
    const child = this.process;
    if (child && child.exitCode === null && child.signalCode === null) return;
    await this.launch();
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  private async launch(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    child.on('error', (error) => {
      throw new Error(
        `cannot start redis-server (${error.message}): install it (apt-get install redis-server) or run ./scripts/test.sh`,
      );
    });
    this.process = child;
    await this.waitUntilAnswering();
  }

  private async waitUntilAnswering(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const client = createClient({
        socket: {
          host: '127.0.0.1',
          port: this.port,
          reconnectStrategy: false,
        },
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.ping();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        if (client.isOpen) client.destroy();
      }
    }
    throw new Error(`redis-server on port ${this.port} did not start`);
  }
}
