import type { KubernetesObject } from './kubernetes.js';

/** A class of kubernetes-models: the API's OpenAPI schema, compiled. */
interface Model {
  readonly apiVersion: string;
  readonly kind: string;
  readonly prototype: { validate(this: unknown): void };
}

interface SchemaError {
  readonly instancePath: string;
  readonly message?: string;
}

async function modelOf({ apiVersion, kind }: KubernetesObject) {
  // kubernetes-models has a module per API group and version: v1, apps/v1, …
  const module = `kubernetes-models/${apiVersion}`;
  const group = (await import(/* @vite-ignore */ module).catch(
    () => ({}),
  )) as Record<string, Model | undefined>;
  const model = group[kind];
  if (model?.apiVersion !== apiVersion || model.kind !== kind) {
    throw new Error(`no Kubernetes schema for ${apiVersion} ${kind}`);
  }
  return model;
}

/**
 * Copies a value so that every object in it records the properties read.
 * A compiled schema reads each property it defines, and enumerates the keys
 * of maps (labels, ConfigMap data) only: any other key of an object it
 * reached is a field the API does not know. The API server would drop it
 * silently; `kubectl --validate=strict` refuses it, and so do these tests.
 */
class ReadWatcher {
  private readonly unread: (() => string[])[] = [];

  watch(value: unknown, path = ''): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      return value.map((item, index) => this.watch(item, `${path}/${index}`));
    }
    const copy = Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        this.watch(item, `${path}/${key}`),
      ]),
    );
    const read = new Set<string>();
    let reached = false;
    let enumerated = false;
    const reading = (key: string | symbol) => {
      reached = true;
      if (typeof key === 'string') read.add(key);
    };
    this.unread.push(() =>
      reached && !enumerated
        ? Object.keys(copy)
            .filter((key) => !read.has(key))
            .map((key) => `${path}/${key}`)
        : [],
    );
    return new Proxy(copy, {
      get: (target, key, receiver) => {
        reading(key);
        return Reflect.get(target, key, receiver) as unknown;
      },
      has: (target, key) => {
        reading(key);
        return Reflect.has(target, key);
      },
      ownKeys: (target) => {
        reached = enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
  }

  /** Paths of the keys of reached objects that were never read. */
  unknownFields(): string[] {
    return this.unread.flatMap((check) => check());
  }
}

/**
 * What is wrong with an object by the Kubernetes API's schemas (from the
 * kubernetes-models package): wrong types, missing required fields, values
 * outside an enum, and fields the API does not know. Empty when valid.
 */
export async function schemaProblems(
  object: KubernetesObject,
): Promise<string[]> {
  const model = await modelOf(object);
  const watcher = new ReadWatcher();
  const watched = watcher.watch(object);
  const problems: string[] = [];
  try {
    model.prototype.validate.call(watched);
  } catch (error) {
    const { errors } = error as { errors?: SchemaError[] };
    if (!errors) throw error;
    problems.push(
      ...errors.map(
        ({ instancePath, message }) => `${instancePath} ${message}`,
      ),
    );
  }
  problems.push(
    ...watcher.unknownFields().map((path) => `${path} is not a known field`),
  );
  return problems;
}
