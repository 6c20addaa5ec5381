import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { durationMs, REPO_ROOT } from './dockerfile.js';
import { accepts, freePort } from './free-port.js';
import { waitFor } from './gate.js';
import { Api } from './http.js';
import { Child, type Finished } from './processes.js';

/** The load balancer's configuration, as the Compose stack mounts it. */
export const HAPROXY_CONFIG = join(REPO_ROOT, 'docker/haproxy/haproxy.cfg');

/**
 * haproxy.cfg as sections (`global`, `defaults`, `backend ready`, …) of
 * lines split into words, comments and blank lines dropped.
 */
export function haproxySections(): Map<string, string[][]> {
  const sections = new Map<string, string[][]>();
  let current: string[][] = [];
  for (const raw of readFileSync(HAPROXY_CONFIG, 'utf8').split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trimEnd();
    if (line.trim() === '') continue;
    const words = line.trim().split(/\s+/);
    if (/^\S/.test(line)) {
      current = [];
      sections.set(words.join(' '), current);
    } else {
      current.push(words);
    }
  }
  return sections;
}

/** The value after `keyword` on the first line of `lines` that has it. */
export function settingOf(
  lines: readonly string[][],
  keyword: string,
): string | undefined {
  for (const words of lines) {
    const at = words.indexOf(keyword);
    if (at !== -1) return words[at + 1];
  }
  return undefined;
}

/**
 * How long a replica whose /health/ready answers 503 may still get new
 * requests: `fall` failed checks `inter` apart, the last one taking up to
 * `timeout check`.
 */
export function takenOutWithinMs(): number {
  const defaults = haproxySections().get('defaults')!;
  const serverDefaults = defaults.filter(([word]) => word === 'default-server');
  const inter = durationMs(settingOf(serverDefaults, 'inter')!);
  const fall = Number(settingOf(serverDefaults, 'fall'));
  const timeoutCheck = durationMs(
    defaults.find(([a, b]) => a === 'timeout' && b === 'check')![2],
  );
  return fall * inter + timeoutCheck;
}

function haproxyBinary(): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin']) {
    const path = join(dir, 'haproxy');
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not there: try the next directory.
    }
  }
  throw new Error(
    'haproxy is not installed: apt-get install haproxy, or run ./scripts/test.sh',
  );
}

/** `haproxy -c` on the configuration: whether it parses, and what it said. */
export function checkConfig(env: Record<string, string> = {}) {
  return Child.start([haproxyBinary(), '-c', '-f', HAPROXY_CONFIG], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, ...env },
    timeoutMs: 10_000,
  }).finished();
}

export interface HaproxyTargets {
  /** `host:port` of the DNS server that lists the replicas. */
  readonly nameserver: string;
  /** The name it lists them under. */
  readonly replicas: string;
}

/**
 * Debian's haproxy running the Compose stack's own haproxy.cfg, with the
 * file's PROXY_* variables pointing it at local processes instead of
 * Docker's network: it listens on a free port of 127.0.0.1.
 */
export class Haproxy {
  private constructor(
    private readonly child: Child,
    readonly api: Api,
  ) {}

  static async start(targets: HaproxyTargets): Promise<Haproxy> {
    const port = await freePort();
    const child = Child.start([haproxyBinary(), '-db', '-f', HAPROXY_CONFIG], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        PROXY_BIND: `127.0.0.1:${port}`,
        PROXY_NAMESERVER: targets.nameserver,
        PROXY_REPLICAS: targets.replicas,
      },
    });
    await waitFor(
      async () => {
        if (!child.running) {
          throw new Error(`haproxy exited:\n${child.output}`);
        }
        return accepts(port);
      },
      10_000,
      'haproxy to listen',
    );
    return new Haproxy(child, new Api(`http://127.0.0.1:${port}`));
  }

  /** What haproxy wrote: state changes, and every request that went wrong. */
  get output(): string {
    return this.child.output;
  }

  async stop(): Promise<Finished> {
    if (this.child.running) this.child.kill('SIGTERM');
    return this.child.finished();
  }
}
