import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './dockerfile.js';

/** The stack, and the override that publishes db and cache for development. */
export const COMPOSE_FILES = ['docker-compose.yml', 'docker-compose.dev.yml'];

type Env = Readonly<Record<string, string | undefined>>;

export interface ComposeService {
  readonly image?: string;
  readonly build?: { readonly context?: string; readonly dockerfile?: string };
  readonly environment?: Record<string, string | number | null> | string[];
  readonly ports?: readonly (string | number | Record<string, unknown>)[];
  readonly volumes?: readonly (string | Record<string, unknown>)[];
  readonly depends_on?:
    readonly string[] | Record<string, { readonly condition?: string }>;
  readonly healthcheck?: {
    readonly test?: string | readonly string[];
    readonly disable?: boolean;
  };
  readonly command?: string | readonly string[];
  readonly restart?: string;
  readonly tmpfs?: string | readonly string[];
  readonly stop_grace_period?: string;
  readonly deploy?: { readonly replicas?: string | number };
  readonly networks?:
    | readonly string[]
    | Record<string, { readonly ipv4_address?: string } | null>;
}

export interface ComposeFile {
  readonly services: Record<string, ComposeService>;
  readonly volumes?: Record<string, unknown>;
  readonly networks?: Record<
    string,
    {
      readonly ipam?: {
        readonly config?: readonly {
          readonly subnet?: string;
          readonly gateway?: string;
          readonly ip_range?: string;
        }[];
      };
    }
  >;
  readonly [key: string]: unknown;
}

/**
 * A Compose file of the repository (docker-compose.yml unless named) as
 * Compose sees it when `env` is what the shell and `.env` define: every
 * string interpolated.
 */
export function readComposeFile(
  env: Env = {},
  file = COMPOSE_FILES[0],
): ComposeFile {
  return interpolateAll(
    parse(readFileSync(join(REPO_ROOT, file), 'utf8')),
    env,
  );
}

/** Every variable the Compose files interpolate (`${NAME…}` or `$NAME`). */
export function variablesComposeReads(): Set<string> {
  const names = new Set<string>();
  for (const file of COMPOSE_FILES) {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8').replaceAll(
      '$$',
      '',
    );
    for (const [, braced, bare] of text.matchAll(
      /\$\{([A-Za-z_]\w*)|\$([A-Za-z_]\w*)/g,
    )) {
      names.add(braced ?? bare);
    }
  }
  return names;
}

function interpolateAll<T>(value: T, env: Env): T {
  if (typeof value === 'string') return interpolate(value, env) as T;
  if (Array.isArray(value)) {
    return value.map((item: unknown) => interpolateAll(item, env)) as T;
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        interpolateAll(item, env),
      ]),
    ) as T;
  }
  return value;
}

/**
 * Compose's `${NAME}`, `${NAME:-default}` (unset or empty), `${NAME-default}`
 * (unset) and `$$`. Any other form is refused rather than misread.
 */
function interpolate(text: string, env: Env): string {
  const result = text.replace(
    /\$\$|\$\{([A-Za-z_]\w*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_]\w*)/g,
    (
      match,
      braced?: string,
      operator?: string,
      fallback = '',
      bare?: string,
    ) => {
      if (match === '$$') return '\0';
      const value = env[(braced ?? bare)!];
      if (operator === ':-') return value ? value : fallback;
      if (operator === '-') return value ?? fallback;
      return value ?? '';
    },
  );
  if (result.includes('$')) throw new Error(`cannot interpolate: ${text}`);
  return result.replaceAll('\0', '$');
}

/** A service's environment as its container receives it. */
export function environmentOf(service: ComposeService): Record<string, string> {
  const environment = service.environment ?? {};
  const pairs = Array.isArray(environment)
    ? environment.map((entry) => entry.split(/=(.*)/s, 2))
    : Object.entries(environment);
  return Object.fromEntries(
    pairs.map(([name, value]) => [name, String(value ?? '')]),
  );
}

/** Published ports in the short syntax (`"host:container"`). */
export function portsOf(service: ComposeService): string[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'object') throw new Error('long port syntax');
    return String(port);
  });
}

/** The names of the services a service waits for, with the condition. */
export function dependenciesOf(
  service: ComposeService,
): Record<string, string> {
  const dependsOn = service.depends_on ?? {};
  return Array.isArray(dependsOn)
    ? Object.fromEntries(
        dependsOn.map((name: string) => [name, 'service_started']),
      )
    : Object.fromEntries(
        Object.entries(dependsOn).map(([name, { condition }]) => [
          name,
          condition ?? 'service_started',
        ]),
      );
}
