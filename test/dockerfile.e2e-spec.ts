import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildContext } from './support/dockerignore.js';
import {
  baseImage,
  chainOf,
  execForm,
  finalStage,
  healthcheckOf,
  inheritedInstructions,
  instructionsOf,
  parentStage,
  readDockerfile,
  REPO_ROOT,
  type Stage,
  stageEnv,
} from './support/dockerfile.js';

const NODE_24_SLIM_OR_ALPINE =
  /^node:24(?:\.\d+){0,2}-(?:(?:[a-z]+-)?slim|alpine[\d.]*)(?:@sha256:[0-9a-f]{64})?$/;

/** Sources a COPY takes from the build context (not from another stage). */
function contextSources(stages: readonly Stage[]): string[] {
  return stages.flatMap((stage) =>
    instructionsOf(stage, 'COPY')
      .filter(({ flags }) => flags.from === undefined)
      .flatMap(({ args }) => args.split(/\s+/).slice(0, -1)),
  );
}

function runLines(stages: readonly Stage[], stage: Stage): string {
  return inheritedInstructions(stages, stage, 'RUN')
    .map(({ args }) => args)
    .join('\n');
}

describe('docker/Dockerfile', () => {
  const stages = readDockerfile();
  const runtime = finalStage(stages);

  it('names no frontend image (no "# syntax=" directive): the build needs no registry but the base image\'s', () => {
    const text = readFileSync(join(REPO_ROOT, 'docker/Dockerfile'), 'utf8');
    // BuildKit reads parser directives, in any case and spacing, at the top.
    expect(text).not.toMatch(/^#\s*syntax\s*=/im);
  });

  it('installs, then builds, then assembles a runtime, in separate stages', () => {
    const installs = stages.findIndex((stage) =>
      instructionsOf(stage, 'RUN').some(({ args }) => /\bnpm ci\b/.test(args)),
    );
    const builds = stages.findIndex((stage) =>
      instructionsOf(stage, 'RUN').some(({ args }) =>
        /\bnpm run build\b/.test(args),
      ),
    );
    expect(installs).toBeGreaterThanOrEqual(0);
    expect(builds).toBeGreaterThan(installs);
    // The runtime neither installs nor compiles: it copies the results.
    expect(chainOf(stages, runtime)).not.toContain(stages[installs]);
    expect(chainOf(stages, runtime)).not.toContain(stages[builds]);
    expect(runLines(stages, runtime)).toBe('');
  });

  it('starts every stage from an official Node 24 slim or alpine image', () => {
    const images = stages
      .filter((stage) => !parentStage(stages, stage))
      .map((stage) => stage.from);
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toMatch(NODE_24_SLIM_OR_ALPINE);
    expect(baseImage(stages, runtime)).toMatch(NODE_24_SLIM_OR_ALPINE);
  });

  it('takes node_modules from a stage that dropped the dev dependencies', () => {
    const copies = instructionsOf(runtime, 'COPY').filter(({ args }) =>
      /\bnode_modules\b/.test(args),
    );
    expect(copies).toHaveLength(1);
    const source = stages.find(({ name }) => name === copies[0].flags.from)!;
    expect(source).toBeDefined();
    const lastInstall = runLines(stages, source)
      .split('&&')
      .filter((command) => /\bnpm (ci|install|prune)\b/.test(command))
      .at(-1);
    expect(lastInstall).toMatch(/--omit=dev|--production/);
  });

  it('runs as a user other than root, with NODE_ENV=production', () => {
    const user = inheritedInstructions(stages, runtime, 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
    expect(stageEnv(stages, runtime).NODE_ENV).toBe('production');
  });

  it('exposes 3000 and starts the compiled server directly (exec form), with the node flags of start:prod', () => {
    const exposed = inheritedInstructions(stages, runtime, 'EXPOSE').flatMap(
      ({ args }) => args.split(/\s+/),
    );
    expect(exposed).toContain('3000');
    const { scripts } = JSON.parse(
      readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'),
    ) as { scripts: Record<string, string> };
    const heapFlags = scripts['start:prod']
      .split(/\s+/)
      .filter((word) => word.startsWith('--max-'));
    expect(heapFlags.length).toBeGreaterThan(0);
    const cmd = inheritedInstructions(stages, runtime, 'CMD').at(-1);
    expect(execForm(cmd!.args)).toEqual([
      'node',
      ...heapFlags,
      'dist/src/main.js',
    ]);
  });

  it('checks health with its own node script, under a time limit', () => {
    const { command, timeoutMs } = healthcheckOf(stages, runtime);
    expect(command[0]).toBe('node');
    expect(command[1]).toMatch(/^docker\/healthcheck\.[cm]?js$/);
    expect(contextSources([runtime])).toContain(command[1]);
    const { flags } = inheritedInstructions(stages, runtime, 'HEALTHCHECK')[0];
    expect(flags.timeout).toBeDefined();
    expect(timeoutMs).toBeLessThanOrEqual(10_000);
  });
});

describe('.dockerignore', () => {
  const context = new BuildContext(REPO_ROOT);

  it.each([
    'node_modules/typeorm/package.json',
    'dist/src/main.js',
    'coverage/index.html',
    'test/users.e2e-spec.ts',
    'test/support/http.ts',
    'src/config/load-config.spec.ts',
    '.git/HEAD',
    '.env',
    '.env.local',
    '.npmrc',
    'secrets/server.key',
    'docker-compose.yml',
  ])('keeps %s out of the build context', (path) => {
    expect(context.includes(path)).toBe(false);
  });

  it('sends every file the Dockerfile copies from the context', () => {
    const files = context.files();
    const missing = contextSources(readDockerfile()).filter(
      (source) =>
        !files.some((file) => file === source || file.startsWith(`${source}/`)),
    );
    expect(missing).toEqual([]);
  });

  it('sends all the source and migrations the build compiles', () => {
    for (const dir of ['src', 'migrations']) {
      const sources = readdirSync(join(REPO_ROOT, dir), { recursive: true })
        .map((path) => `${dir}/${String(path)}`)
        .filter((path) => path.endsWith('.ts') && !path.endsWith('.spec.ts'));
      expect(sources.length).toBeGreaterThan(0);
      expect(sources.filter((path) => !context.includes(path))).toEqual([]);
    }
  });
});
