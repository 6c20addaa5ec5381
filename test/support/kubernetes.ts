import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './dockerfile.js';

export const KUBERNETES_DIR = join(REPO_ROOT, 'deploy', 'kubernetes');

export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

export interface Rendered {
  readonly objects: KubernetesObject[];
  /** What the renderer printed besides the manifests: warnings. */
  readonly stderr: string;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && existsSync(join(dir, command)));
}

/** kubectl carries kustomize (v5 from kubectl 1.27); kustomize alone will do. */
function renderCommand(dir: string): [string, ...string[]] {
  if (onPath('kubectl')) return ['kubectl', 'kustomize', dir];
  if (onPath('kustomize')) return ['kustomize', 'build', dir];
  throw new Error(
    'neither kubectl nor kustomize is on PATH: install kubectl 1.27 or newer, or kustomize 5',
  );
}

/** `kubectl kustomize deploy/kubernetes/<dir>`, offline, parsed. */
export async function renderKustomization(dir: string): Promise<Rendered> {
  const [command, ...args] = renderCommand(join(KUBERNETES_DIR, dir));
  const { stdout, stderr } = await promisify(execFile)(command, args, {
    timeout: 30_000,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: Error & { stderr?: string }) => {
    // An older kustomize (in kubectl before 1.27) refuses fields these use.
    throw new Error(
      `${[command, ...args].join(' ')} failed (kustomize 5 or newer needed): ${error.stderr || error.message}`,
    );
  });
  const objects = parseAllDocuments(stdout).map(
    (document) => document.toJS() as KubernetesObject,
  );
  return { objects, stderr };
}

/** A manifest of deploy/kubernetes that no kustomization applies (an example). */
export function readManifest(path: string): KubernetesObject {
  return parse(
    readFileSync(join(KUBERNETES_DIR, path), 'utf8'),
  ) as KubernetesObject;
}

/** The types of the kinds these manifests use, by kind. */
interface Kinds {
  ConfigMap: IConfigMap;
  Deployment: IDeployment;
  HorizontalPodAutoscaler: IHorizontalPodAutoscaler;
  Namespace: INamespace;
  NetworkPolicy: INetworkPolicy;
  PodDisruptionBudget: IPodDisruptionBudget;
  Secret: ISecret;
  Service: IService;
  StatefulSet: IStatefulSet;
}

/** The one object of this kind (and name, if given); throws if not exactly one. */
export function theObject<Kind extends keyof Kinds>(
  objects: readonly KubernetesObject[],
  kind: Kind,
  name?: string,
): Kinds[Kind] & KubernetesObject {
  const found = objects.filter(
    (object) =>
      object.kind === kind &&
      (name === undefined || object.metadata.name === name),
  );
  if (found.length !== 1) {
    throw new Error(`${found.length} ${kind} objects named ${name ?? 'any'}`);
  }
  return found[0] as Kinds[Kind] & KubernetesObject;
}

export function objectsOf<Kind extends keyof Kinds>(
  objects: readonly KubernetesObject[],
  kind: Kind,
): (Kinds[Kind] & KubernetesObject)[] {
  return objects.filter((object) => object.kind === kind) as (Kinds[Kind] &
    KubernetesObject)[];
}

/** `Kind/name`, to name an object in a message. */
export const nameOf = (object: KubernetesObject): string =>
  `${object.kind}/${object.metadata.name}`;

/** The pod template of every workload (Deployment, StatefulSet, …). */
export function podTemplates(
  objects: readonly KubernetesObject[],
): { owner: string; template: IPodTemplateSpec }[] {
  return objects.flatMap((object) => {
    const template = (object.spec as { template?: IPodTemplateSpec })?.template;
    return template?.spec?.containers
      ? [{ owner: nameOf(object), template }]
      : [];
  });
}

export function containerOf(template: IPodTemplateSpec, name: string) {
  const container = template.spec!.containers.find(
    (candidate) => candidate.name === name,
  );
  if (!container) throw new Error(`no container named ${name}`);
  return container;
}

/** A port as the kubelet resolves it: a number, or a container port's name. */
export function portNumber(container: IContainer, port: number | string) {
  if (typeof port === 'number') return port;
  const named = container.ports?.find((candidate) => candidate.name === port);
  if (!named) throw new Error(`${container.name} has no port named ${port}`);
  return named.containerPort;
}

export interface EnvironmentVariable {
  readonly value: string;
  /** Where the kubelet takes it from. */
  readonly from: 'ConfigMap' | 'Secret' | 'value';
  /** The ConfigMap or Secret, if any. */
  readonly object?: string;
}

function dataOf(
  objects: readonly KubernetesObject[],
  kind: 'ConfigMap' | 'Secret',
  name: string,
): Record<string, string> {
  const object: { data?: Record<string, string>; stringData?: object } =
    theObject(objects, kind, name);
  const data = Object.entries(object.data ?? {}).map(([key, value]) => [
    key,
    kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value,
  ]);
  return { ...Object.fromEntries(data), ...object.stringData };
}

/**
 * The environment a container starts with, as the kubelet builds it from
 * `envFrom` then `env` (a later entry wins), with where each value comes
 * from. Throws where the kubelet would refuse to start the container: a
 * missing ConfigMap, Secret or key that is not optional.
 */
export function environmentOf(
  container: IContainer,
  objects: readonly KubernetesObject[],
): Map<string, EnvironmentVariable> {
  const environment = new Map<string, EnvironmentVariable>();
  for (const source of container.envFrom ?? []) {
    const [kind, name] = source.configMapRef
      ? (['ConfigMap', source.configMapRef.name!] as const)
      : (['Secret', source.secretRef!.name!] as const);
    for (const [key, value] of Object.entries(dataOf(objects, kind, name))) {
      environment.set(`${source.prefix ?? ''}${key}`, {
        value,
        from: kind,
        object: name,
      });
    }
  }
  for (const { name, value, valueFrom } of container.env ?? []) {
    if (!valueFrom) {
      environment.set(name, { value: value ?? '', from: 'value' });
      continue;
    }
    const [kind, ref] = valueFrom.configMapKeyRef
      ? (['ConfigMap', valueFrom.configMapKeyRef] as const)
      : valueFrom.secretKeyRef
        ? (['Secret', valueFrom.secretKeyRef] as const)
        : [];
    if (!kind) throw new Error(`${name}: only ConfigMap and Secret keys`);
    const data = dataOf(objects, kind, ref.name!);
    if (ref.key in data) {
      environment.set(name, {
        value: data[ref.key],
        from: kind,
        object: ref.name,
      });
    } else if (!ref.optional) {
      throw new Error(`${name}: ${kind} ${ref.name} has no key ${ref.key}`);
    }
  }
  return environment;
}

/** Name → value, as `process.env` would hold it in the container. */
export function valuesOf(
  environment: ReadonlyMap<string, EnvironmentVariable>,
): Record<string, string> {
  return Object.fromEntries(
    [...environment].map(([name, { value }]) => [name, value]),
  );
}
