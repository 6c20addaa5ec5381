import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
const DOCKERFILE_PATH = join(REPO_ROOT, 'docker', 'Dockerfile');

export interface Instruction {
  /** Upper-cased: `RUN`, `COPY`, … */
  readonly keyword: string;
  /** Leading `--name=value` options (`--from`, `--mount`, `--timeout`, …). */
  readonly flags: Readonly<Record<string, string>>;
  /** What follows the keyword and its options. */
  readonly args: string;
}

export interface Stage {
  /** The image or earlier stage it starts from. */
  readonly from: string;
  /** The `AS` name, or the stage's index when it has none. */
  readonly name: string;
  readonly instructions: readonly Instruction[];
}

/** Parses a Dockerfile into its stages: continuations joined, comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const stages: { from: string; name: string; instructions: Instruction[] }[] =
    [];
  for (const line of logicalLines(text)) {
    const [, keyword, rest] = /^(\S+)\s*(.*)$/s.exec(line)!;
    const instruction = { keyword: keyword.toUpperCase(), ...takeFlags(rest) };
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.args.split(/\s+/);
      stages.push({
        from,
        name: as?.toUpperCase() === 'AS' ? name : String(stages.length),
        instructions: [],
      });
    } else if (stages.length === 0) {
      throw new Error(`${instruction.keyword} before the first FROM`);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

export function readDockerfile(): Stage[] {
  return parseDockerfile(readFileSync(DOCKERFILE_PATH, 'utf8'));
}

function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    if (whole !== '') lines.push(whole);
  }
  if (pending.trim() !== '') lines.push(pending.trim());
  return lines;
}

function takeFlags(text: string): Pick<Instruction, 'flags' | 'args'> {
  const flags: Record<string, string> = {};
  let rest = text;
  for (
    let match = /^--([a-z-]+)=(\S+)\s*/.exec(rest);
    match;
    match = /^--([a-z-]+)=(\S+)\s*/.exec(rest)
  ) {
    flags[match[1]] = match[2];
    rest = rest.slice(match[0].length);
  }
  return { flags, args: rest };
}

/** The argument vector of an exec-form (JSON array) command, else undefined. */
export function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) &&
      parsed.every((part) => typeof part === 'string')
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter(
    (instruction) => instruction.keyword === keyword,
  );
}

/** The stage a stage starts from, when it starts from another stage. */
export function parentStage(
  stages: readonly Stage[],
  stage: Stage,
): Stage | undefined {
  return stages.find((candidate) => candidate.name === stage.from);
}

/** A stage and the stages it starts from, the first base first. */
export function chainOf(stages: readonly Stage[], stage: Stage): Stage[] {
  const parent = parentStage(stages, stage);
  return parent ? [...chainOf(stages, parent), stage] : [stage];
}

/** Instructions of a stage, including those it inherits, of one kind. */
export function inheritedInstructions(
  stages: readonly Stage[],
  stage: Stage,
  keyword: string,
): Instruction[] {
  return chainOf(stages, stage).flatMap((link) =>
    instructionsOf(link, keyword),
  );
}

/** `ENV` values a stage sets or inherits. */
export function stageEnv(
  stages: readonly Stage[],
  stage: Stage,
): Record<string, string> {
  return Object.assign(
    {},
    ...inheritedInstructions(stages, stage, 'ENV').map(({ args }) =>
      parseEnv(args),
    ),
  );
}

/** `ENV NAME=value …`; quoting and the old `ENV NAME value` form are refused. */
export function parseEnv(args: string): Record<string, string> {
  if (!/^(?:[A-Za-z_]\w*=[^\s"'\\$]*\s*)+$/.test(args)) {
    throw new Error(`ENV ${args}: only plain NAME=value pairs are understood`);
  }
  return Object.fromEntries(
    args.split(/\s+/).map((pair) => pair.split(/=(.*)/s, 2)),
  );
}

/** The image a stage is ultimately built on, following stage references. */
export function baseImage(stages: readonly Stage[], stage: Stage): string {
  return chainOf(stages, stage)[0].from;
}

/**
 * Go durations as Docker and Compose write them (`5s`, `1m30s`, `500ms`), in
 * ms; HAProxy's with a unit too.
 */
export function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3.6e6 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.map(([part]) => part).join('') !== text) {
    throw new Error(`not a duration: ${text}`);
  }
  return parts.reduce(
    (sum, [, value, unit]) => sum + Number(value) * units[unit],
    0,
  );
}

export interface Healthcheck {
  readonly command: readonly string[];
  /** How long Docker lets one check run (`--timeout`, 30 s by default). */
  readonly timeoutMs: number;
}

/** The HEALTHCHECK a stage's image has, in exec form. */
export function healthcheckOf(
  stages: readonly Stage[],
  stage: Stage,
): Healthcheck {
  const healthcheck = inheritedInstructions(stages, stage, 'HEALTHCHECK').at(
    -1,
  );
  const command = execForm(healthcheck?.args.replace(/^CMD\s+/, '') ?? '');
  if (!healthcheck || !command) {
    throw new Error('no HEALTHCHECK CMD in exec form');
  }
  return {
    command,
    timeoutMs: durationMs(healthcheck.flags.timeout ?? '30s'),
  };
}

/** The final stage: the image `docker build` produces by default. */
export function finalStage(stages: readonly Stage[]): Stage {
  return stages.at(-1)!;
}
