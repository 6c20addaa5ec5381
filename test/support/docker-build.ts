import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, posix } from 'node:path';
import {
  execForm,
  type Healthcheck,
  parentStage,
  parseEnv,
  type Instruction,
  type Stage,
} from './dockerfile.js';
import { type Finished, run } from './processes.js';

/** What a built stage left behind, as a directory on this machine. */
export interface BuiltStage {
  readonly stage: Stage;
  /** Stands for the stage's WORKDIR. */
  readonly dir: string;
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
}

// Instructions that describe the image without changing its files.
const METADATA = new Set(['USER', 'EXPOSE', 'HEALTHCHECK', 'CMD', 'LABEL']);

// Generous: on a fresh machine npm ci may download everything, beside the
// rest of the suite running on the same two cores.
const RUN_TIMEOUT_MS = 600_000;

// How this machine reaches the npm registry (CA bundles, proxies): passed to
// RUN so npm works here as it does for Docker; nothing else of the test's
// environment (NODE_ENV, npm_config_* from `npm test`…) may change the build.
const NETWORK_VARIABLES = [
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

/**
 * Builds a Dockerfile's target stage without Docker, so its own COPY and RUN
 * lines are what the tests exercise: each stage is a directory standing for
 * its WORKDIR, RUN goes through `sh -c` there with the stage's ENV, and the
 * machine's node and npm stand in for the base image's. Unchanged files are
 * shared between stages as hard links, which is enough while no RUN rewrites
 * a file in place that an earlier stage still needs. Anything it does not
 * understand (ADD, a second WORKDIR, wildcards…) is an error, not a guess.
 */
export async function buildWithoutDocker(
  stages: readonly Stage[],
  contextDir: string,
  workspace: string,
): Promise<BuiltStage> {
  const built = new Map<string, BuiltStage>();
  const build = async (stage: Stage): Promise<BuiltStage> => {
    const done = built.get(stage.name);
    if (done) return done;
    const parent = parentStage(stages, stage);
    const parentBuilt = parent ? await build(parent) : undefined;
    for (const { flags } of stage.instructions) {
      const source = stages.find(({ name }) => name === flags.from);
      if (source) await build(source);
    }
    const result = await buildStage(
      stage,
      parentBuilt,
      { contextDir, built },
      join(workspace, `stage-${stage.name}`),
    );
    built.set(stage.name, result);
    return result;
  };
  return build(stages.at(-1)!);
}

interface Sources {
  readonly contextDir: string;
  readonly built: ReadonlyMap<string, BuiltStage>;
}

async function buildStage(
  stage: Stage,
  parent: BuiltStage | undefined,
  sources: Sources,
  dir: string,
): Promise<BuiltStage> {
  if (parent) linkCopy(parent.dir, dir);
  else mkdirSync(dir, { recursive: true });
  let workdir = parent?.workdir ?? '/';
  const env: Record<string, string> = { ...parent?.env };
  // Files already placed stay where they are: the directory cannot move.
  let hasFiles = parent !== undefined;
  for (const instruction of stage.instructions) {
    const { keyword, args } = instruction;
    if (keyword === 'WORKDIR') {
      if ((hasFiles && args !== workdir) || !isAbsolute(args)) {
        throw new Error(`unsupported in stage ${stage.name}: WORKDIR ${args}`);
      }
      workdir = args;
    } else if (keyword === 'ENV') {
      Object.assign(env, parseEnv(args));
    } else if (keyword === 'COPY') {
      copy(instruction, { dir, workdir }, sources);
      hasFiles = true;
    } else if (keyword === 'RUN') {
      await runShell(args, dir, env);
      hasFiles = true;
    } else if (!METADATA.has(keyword)) {
      throw new Error(`unsupported in stage ${stage.name}: ${keyword}`);
    }
  }
  return { stage, dir, workdir, env };
}

function copy(
  { flags, args }: Instruction,
  target: { dir: string; workdir: string },
  { contextDir, built }: Sources,
): void {
  if (execForm(args) || /[*?[]/.test(args)) {
    throw new Error(`unsupported COPY ${args}`);
  }
  const paths = args.split(/\s+/);
  const destination = paths.pop()!;
  const destinationPath = inside(target, destination);
  const source = flags.from ? built.get(flags.from) : undefined;
  if (flags.from && !source) throw new Error(`no stage ${flags.from}`);
  for (const path of paths) {
    const from = source ? inside(source, path) : join(contextDir, path);
    const into =
      statSync(from).isFile() && (destination.endsWith('/') || paths.length > 1)
        ? join(destinationPath, basename(from))
        : destinationPath;
    linkCopy(from, into);
  }
}

/** Maps a path in the image to this machine; only the WORKDIR is mapped. */
function inside(stage: { dir: string; workdir: string }, path: string): string {
  const absolute = posix.resolve(stage.workdir, path);
  const relative = posix.relative(stage.workdir, absolute);
  if (relative.startsWith('..')) {
    throw new Error(`${path} is outside WORKDIR ${stage.workdir}`);
  }
  return join(stage.dir, relative);
}

/** A file, or a directory's contents, copied as hard links (fast, no space). */
function linkCopy(from: string, to: string): void {
  if (statSync(from).isDirectory()) {
    mkdirSync(to, { recursive: true });
    execFileSync('cp', ['-al', '--remove-destination', `${from}/.`, to]);
  } else {
    mkdirSync(join(to, '..'), { recursive: true });
    execFileSync('cp', ['-l', '--remove-destination', from, to]);
  }
}

async function runShell(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<void> {
  const result = await run(['sh', '-c', script], {
    cwd,
    env: {
      ...pick(process.env, NETWORK_VARIABLES),
      PATH: process.env.PATH,
      // Keeps npm's download cache warm.
      HOME: process.env.HOME,
      ...env,
    },
    timeoutMs: RUN_TIMEOUT_MS,
  });
  if (result.code !== 0) {
    throw new Error(
      `RUN ${script} failed (${result.code ?? result.signal}):\n${result.output}`,
    );
  }
}

/** Runs an image's HEALTHCHECK command once, as Docker would, in `cwd`. */
export function checkHealth(
  healthcheck: Healthcheck,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<Finished> {
  return run(healthcheck.command, {
    cwd,
    env,
    // Docker would kill it at its timeout; give it room to show it needs none.
    timeoutMs: healthcheck.timeoutMs + 5000,
  });
}

function pick(
  env: NodeJS.ProcessEnv,
  names: readonly string[],
): NodeJS.ProcessEnv {
  return Object.fromEntries(
    names
      .filter((name) => env[name] !== undefined)
      .map((name) => [name, env[name]]),
  );
}
