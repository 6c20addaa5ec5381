import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they came. */
  readonly output: string;
  readonly elapsedMs: number;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long. */
  readonly timeoutMs?: number;
}

/** A child process whose output is kept, to explain a failure. */
export class Child {
  private collected = '';
  private readonly startedAt = performance.now();
  private readonly exited: Promise<Finished>;

  constructor(
    private readonly child: ChildProcess,
    timeoutMs?: number,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.collected += chunk));
    child.stderr?.on('data', (chunk: Buffer) => (this.collected += chunk));
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    this.exited = once(child, 'close').then(([code, signal]) => {
      clearTimeout(timer);
      return {
        code: code as number | null,
        signal: signal as NodeJS.Signals | null,
        output: this.collected,
        elapsedMs: performance.now() - this.startedAt,
      };
    });
  }

  static start(command: readonly string[], options: RunOptions): Child {
    const [file, ...args] = command;
    return new Child(
      spawn(file, args, {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      options.timeoutMs,
    );
  }

  get output(): string {
    return this.collected;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  finished(): Promise<Finished> {
    return this.exited;
  }
}

/** Runs a command to its end. */
export function run(
  command: readonly string[],
  options: RunOptions,
): Promise<Finished> {
  return Child.start(command, options).finished();
}
