import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Api } from './http.js';
import { freePort } from './free-port.js';
import { waitFor } from './gate.js';

const MAIN = 'dist/src/main.js';

/**
 * The compiled server (`npm run start:prod`'s command) in a child process,
 * as users run it. The e2e global setup builds `dist/` once per run.
 */
export class BuiltServer {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly api: Api,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout.push(...chunk.split('\n').filter(Boolean));
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr.push(chunk);
    });
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
  }

  /** Starts the server with `env` over this process's environment. */
  static launch(env: Record<string, string>): BuiltServer {
    const port = env.PORT ?? '0';
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new BuiltServer(child, new Api(`http://127.0.0.1:${port}`));
  }

  /** Starts it on a free port and waits until it answers. */
  static async start(env: Record<string, string>): Promise<BuiltServer> {
    const server = BuiltServer.launch({
      PORT: String(await freePort()),
      ...env,
    });
    await server.untilAnswering();
    return server;
  }

  /** Waits until /health/live answers; fails if the process exits first. */
  async untilAnswering(): Promise<void> {
    await waitFor(
      async () => {
        if (this.child.exitCode !== null) {
          throw new Error(`server exited: ${this.stderr.join('')}`);
        }
        return (
          (await this.api.get('/health/live').catch(() => undefined))
            ?.status === 200
        );
      },
      15_000,
      'the built server to answer',
    );
  }

  get port(): number {
    return Number(new URL(this.api.baseUrl).port);
  }

  get pid(): number {
    return this.child.pid!;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** JSON log lines written so far. */
  logLines(): Record<string, unknown>[] {
    return this.stdout.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
  }
}
