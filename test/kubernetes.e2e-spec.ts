import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { AppConfig } from '../src/config/app-config.js';
import { loadConfig } from '../src/config/load-config.js';
import { variablesTheServiceReads } from './support/config-variables.js';
import {
  containerOf,
  environmentOf,
  type KubernetesObject,
  nameOf,
  objectsOf,
  podTemplates,
  portNumber,
  readManifest,
  renderKustomization,
  theObject,
  valuesOf,
} from './support/kubernetes.js';
import { schemaProblems } from './support/kubernetes-schemas.js';
import { useAppWithDatabase } from './support/test-app.js';

/** README, Performance: peak RSS of one process under load (214 MB at 1,000 rows). */
const MEASURED_PEAK_RSS_BYTES = 214_000_000;

/** PostgreSQL's default max_connections, and what it keeps for superusers. */
const MAX_CONNECTIONS = 100;
const SUPERUSER_RESERVED_CONNECTIONS = 3;
/** Left at the HPA's maximum for psql, the migration CLI, monitoring. */
const CONNECTIONS_FOR_PEOPLE_AND_TOOLS = 5;

/** GA API versions that every Kubernetes from 1.30 on serves. */
const STABLE_API_VERSIONS = new Set([
  'v1',
  'apps/v1',
  'policy/v1',
  'autoscaling/v2',
  'networking.k8s.io/v1',
]);

/** Credentials and the API key: from the Secret only. */
const SECRET_VARIABLES = ['POSTGRES_USER', 'POSTGRES_PASSWORD', 'API_KEY'];

const API = 'users-api';
const DNS_PORT = 53;

const base = await renderKustomization('base');
const local = await renderKustomization('overlays/local');
const secretExample = readManifest('base/secret.example.yaml');

/** The base as a cluster runs it: with the Secret each cluster creates. */
const baseObjects = [...base.objects, secretExample];

function apiContainer(objects: readonly KubernetesObject[]): IContainer {
  const deployment = theObject(objects, 'Deployment', API);
  return containerOf(deployment.spec!.template, 'api');
}

function apiEnvironment(objects: readonly KubernetesObject[]) {
  return environmentOf(apiContainer(objects), objects);
}

function apiConfig(objects: readonly KubernetesObject[]): AppConfig {
  return loadConfig(valuesOf(apiEnvironment(objects)));
}

/** Names the API container is given that the configuration never reads. */
function unreadVariables(objects: readonly KubernetesObject[]): string[] {
  const read = variablesTheServiceReads();
  return [...apiEnvironment(objects).keys()].filter((name) => !read.has(name));
}

/** The API's variables that come from a Secret, sorted. */
function variablesFromSecrets(objects: readonly KubernetesObject[]): string[] {
  return [...apiEnvironment(objects)]
    .filter(([, { from }]) => from === 'Secret')
    .map(([name]) => name)
    .sort();
}

/** Every place that names the API's port, resolved to a number. */
function apiPorts(objects: readonly KubernetesObject[]) {
  const container = apiContainer(objects);
  const deployment = theObject(objects, 'Deployment', API);
  const service = theObject(objects, 'Service', API);
  const policy = theObject(objects, 'NetworkPolicy', API);
  const probe = (of: IProbe | undefined) =>
    portNumber(container, of!.httpGet!.port);
  return {
    PORT: apiConfig(objects).port,
    containerPort: portNumber(container, 'http'),
    startupProbe: probe(container.startupProbe),
    livenessProbe: probe(container.livenessProbe),
    readinessProbe: probe(container.readinessProbe),
    serviceTargetPort: portNumber(
      container,
      service.spec!.ports!.find(({ name }) => name === 'http')!.targetPort!,
    ),
    scrapeAnnotation: Number(
      deployment.spec!.template.metadata!.annotations!['prometheus.io/port'],
    ),
    networkPolicyIngress: portNumber(
      container,
      policy.spec!.ingress![0].ports![0].port!,
    ),
  };
}

/** PostgreSQL connections at the HPA's maximum, during a rollout. */
function connectionsAtPeak(objects: readonly KubernetesObject[]): number {
  const deployment = theObject(objects, 'Deployment', API);
  const hpa = theObject(objects, 'HorizontalPodAutoscaler', API);
  const { maxReplicas } = hpa.spec;
  const surge = deployment.spec!.strategy!.rollingUpdate!.maxSurge!;
  const surgePods =
    typeof surge === 'number'
      ? surge
      : Math.ceil((maxReplicas * parseInt(surge, 10)) / 100);
  const { clusterWorkers, postgres } = apiConfig(objects);
  // Each process: its pool, plus the cache invalidation LISTEN connection.
  return (maxReplicas + surgePods) * clusterWorkers * (postgres.poolSize + 1);
}

/** The workloads and container ports that host:port reaches through a Service. */
function reachedThrough(
  objects: readonly KubernetesObject[],
  { host, port }: { host: string; port: number },
) {
  const service = theObject(objects, 'Service', host).spec!;
  const { targetPort } = service.ports!.find((p) => p.port === port)!;
  return podTemplates(objects)
    .filter(({ template }) =>
      Object.entries(service.selector!).every(
        ([label, value]) => template.metadata!.labels![label] === value,
      ),
    )
    .map(({ owner, template }) => ({
      owner,
      port: portNumber(template.spec!.containers[0], targetPort!),
    }));
}

/** A Kubernetes quantity (`256Mi`, `500m`, `2`) as a number. */
function quantity(value: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(String(value));
  if (!match) throw new Error(`unexpected quantity ${value}`);
  const factor = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
  return Number(match[1]) * (match[2] ? factor[match[2] as 'm'] : 1);
}

/** The messages among `checks`: each is a message or false. */
const failed = (checks: (string | false | undefined)[]): string[] =>
  checks.filter((check): check is string => typeof check === 'string');

/**
 * What breaks the restricted Pod Security Standard or the hardening asked
 * for: root, privilege escalation, capabilities, no seccomp, a writable root
 * filesystem, an API token, service link variables, volumes other than
 * emptyDir. Empty when none.
 */
function securityProblems(objects: readonly KubernetesObject[]): string[] {
  return podTemplates(objects).flatMap(({ owner, template }) => {
    const pod = template.spec!;
    const context = pod.securityContext ?? {};
    return failed([
      context.runAsNonRoot !== true && 'runAsNonRoot is not true',
      !((context.runAsUser ?? 0) > 0) && 'runAsUser is not a non-root uid',
      context.seccompProfile?.type !== 'RuntimeDefault' &&
        'seccomp profile is not RuntimeDefault',
      pod.automountServiceAccountToken !== false && 'mounts an API token',
      // Service links would set POSTGRES_PORT=tcp://… for a Service postgres.
      pod.enableServiceLinks !== false && 'gets service link variables',
      pod.hostNetwork === true && 'uses the host network',
      ...(pod.volumes ?? []).map(
        ({ name, emptyDir }) => !emptyDir && `volume ${name} is not emptyDir`,
      ),
      ...pod.containers.flatMap(({ name, securityContext = {} }) => [
        securityContext.allowPrivilegeEscalation !== false &&
          `${name} may escalate privileges`,
        securityContext.readOnlyRootFilesystem !== true &&
          `${name} may write its root filesystem`,
        (!securityContext.capabilities?.drop?.includes('ALL') ||
          (securityContext.capabilities.add ?? []).length > 0) &&
          `${name} keeps capabilities`,
        securityContext.privileged === true && `${name} is privileged`,
      ]),
    ]).map((problem) => `${owner}: ${problem}`);
  });
}

/** Containers without a CPU request, or a memory request and limit. */
function resourceProblems(objects: readonly KubernetesObject[]): string[] {
  return podTemplates(objects).flatMap(({ owner, template }) =>
    template.spec!.containers.flatMap(({ name, resources }) => {
      const { requests = {}, limits = {} } = resources ?? {};
      return failed([
        !requests.cpu && 'no CPU request',
        !requests.memory && 'no memory request',
        !limits.memory && 'no memory limit',
        requests.memory !== undefined &&
          limits.memory !== undefined &&
          quantity(limits.memory) < quantity(requests.memory) &&
          'a memory limit under its request',
      ]).map((problem) => `${owner} ${name}: ${problem}`);
    }),
  );
}

describe.each([
  ['base', base, baseObjects],
  ['overlays/local', local, local.objects],
])('deploy/kubernetes/%s', (_, rendered, objects) => {
  it('renders with kustomize, without a warning', () => {
    expect(rendered.stderr).toBe('');
    expect(rendered.objects.length).toBeGreaterThan(0);
  });

  it('holds only objects valid by the Kubernetes API schemas, with no unknown field', async () => {
    const problems = Object.fromEntries(
      await Promise.all(
        objects.map(async (object) => [
          nameOf(object),
          await schemaProblems(object),
        ]),
      ),
    );
    expect(problems).toEqual(
      Object.fromEntries(objects.map((object) => [nameOf(object), []])),
    );
  });

  it('uses only GA API versions served from Kubernetes 1.30 on', () => {
    expect(
      objects.filter(({ apiVersion }) => !STABLE_API_VERSIONS.has(apiVersion)),
    ).toEqual([]);
  });

  it('runs every container non-root, read-only, with no capability or privilege escalation, under seccomp', () => {
    expect(podTemplates(objects).length).toBeGreaterThan(0);
    expect(securityProblems(objects)).toEqual([]);
  });

  it('gives every container a memory request and limit, and a CPU request', () => {
    expect(resourceProblems(objects)).toEqual([]);
  });

  it('gives the API only variables the service reads, with values it accepts', () => {
    expect(unreadVariables(objects)).toEqual([]);
    expect(() => apiConfig(objects)).not.toThrow();
  });

  it('takes credentials and the API key from the Secret, and only those', () => {
    expect(variablesFromSecrets(objects)).toEqual([...SECRET_VARIABLES].sort());
    for (const configMap of objectsOf(objects, 'ConfigMap')) {
      expect(
        Object.keys(configMap.data ?? {}).filter((key) =>
          SECRET_VARIABLES.includes(key),
        ),
      ).toEqual([]);
    }
  });

  it('names one port everywhere: PORT, the container, probes, Service, scraping, NetworkPolicy', () => {
    const ports = apiPorts(objects);
    expect(ports).toEqual(
      Object.fromEntries(
        Object.keys(ports).map((where) => [where, ports.PORT]),
      ),
    );
  });

  it('points the Service, PDB, NetworkPolicy, spread constraints and HPA at the API pods', () => {
    const deployment = theObject(objects, 'Deployment', API);
    const podLabels = deployment.spec!.template.metadata!.labels!;
    // An empty selector would select every pod of the namespace.
    const selects = (selector: Record<string, string> | undefined) => {
      expect(Object.keys(selector ?? {})).not.toEqual([]);
      expect(podLabels).toMatchObject(selector!);
    };
    selects(deployment.spec!.selector.matchLabels);
    selects(theObject(objects, 'Service', API).spec!.selector);
    selects(
      theObject(objects, 'PodDisruptionBudget', API).spec!.selector!
        .matchLabels,
    );
    selects(
      theObject(objects, 'NetworkPolicy', API).spec!.podSelector!.matchLabels,
    );
    const spread = deployment.spec!.template.spec!.topologySpreadConstraints!;
    expect(spread.map(({ topologyKey }) => topologyKey).sort()).toEqual([
      'kubernetes.io/hostname',
      'topology.kubernetes.io/zone',
    ]);
    for (const constraint of spread)
      selects(constraint.labelSelector!.matchLabels);
    expect(
      theObject(objects, 'HorizontalPodAutoscaler', API).spec.scaleTargetRef,
    ).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: API });
  });

  it('keeps PostgreSQL connections within max_connections at the HPA maximum, during a rollout', () => {
    expect(connectionsAtPeak(objects)).toBeLessThanOrEqual(
      MAX_CONNECTIONS -
        SUPERUSER_RESERVED_CONNECTIONS -
        CONNECTIONS_FOR_PEOPLE_AND_TOOLS,
    );
  });

  it('lets the API reach DNS, and PostgreSQL and Redis at the ports it is configured with', () => {
    const { postgres, redis } = apiConfig(objects);
    const policy = theObject(objects, 'NetworkPolicy', API);
    const egressPorts = policy.spec!.egress!.flatMap((rule) =>
      rule.ports!.map(({ port, protocol }) => `${protocol}/${port}`),
    );
    expect(egressPorts).toEqual(
      expect.arrayContaining([
        `UDP/${DNS_PORT}`,
        `TCP/${DNS_PORT}`,
        `TCP/${postgres.port}`,
        `TCP/${redis.port}`,
      ]),
    );
  });
});

describe('deploy/kubernetes/base', () => {
  const deployment = theObject(baseObjects, 'Deployment', API);
  const pod = deployment.spec!.template.spec!;
  const container = apiContainer(baseObjects);

  it('holds the API alone: no Secret, no PostgreSQL or Redis', () => {
    expect(base.objects.map(({ kind }) => kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
  });

  it('runs 3 replicas, the HPA minimum, and loses none to a rollout or more than one to a drain', () => {
    const hpa = theObject(baseObjects, 'HorizontalPodAutoscaler', API);
    expect(deployment.spec!.replicas).toBe(3);
    expect(hpa.spec.minReplicas).toBe(3);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(3);
    expect(deployment.spec!.strategy!.rollingUpdate!.maxUnavailable).toBe(0);
    expect(
      theObject(baseObjects, 'PodDisruptionBudget', API).spec!.maxUnavailable,
    ).toBe(1);
  });

  it('leaves the Service before SIGTERM and finishes draining within the grace period', () => {
    const preStopSeconds = container.lifecycle!.preStop!.sleep!.seconds;
    // Endpoint removal reaches kube-proxy and ingress controllers in seconds.
    expect(preStopSeconds).toBeGreaterThanOrEqual(5);
    const drainSeconds = apiConfig(baseObjects).shutdownTimeoutMs / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(
      preStopSeconds + drainSeconds,
    );
  });

  it('requests memory above the measured peak RSS, and limits it above that', () => {
    const { requests, limits } = container.resources!;
    expect(quantity(requests!.memory)).toBeGreaterThanOrEqual(
      1.2 * MEASURED_PEAK_RSS_BYTES,
    );
    expect(quantity(limits!.memory)).toBeGreaterThanOrEqual(
      1.5 * MEASURED_PEAK_RSS_BYTES,
    );
  });

  it('writes nowhere but an emptyDir /tmp', () => {
    expect(container.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
    ]);
  });

  it('ships a Secret example with the keys the API reads, and no real value', () => {
    const stringData = secretExample.stringData as Record<string, string>;
    expect(Object.keys(stringData).sort()).toEqual(
      [...SECRET_VARIABLES].sort(),
    );
    expect(new Set(Object.values(stringData))).toEqual(new Set(['CHANGE_ME']));
    expect(secretExample.metadata.name).toBe(
      container.env!.find(({ name }) => name === 'POSTGRES_PASSWORD')!
        .valueFrom!.secretKeyRef!.name,
    );
  });
});

describe('deploy/kubernetes/overlays/local', () => {
  const objects = local.objects;
  const config = apiConfig(objects);

  it('runs a PostgreSQL and a Redis where the API looks for them', () => {
    expect(reachedThrough(objects, config.postgres)).toEqual([
      { owner: 'StatefulSet/postgres', port: config.postgres.port },
    ]);
    expect(reachedThrough(objects, config.redis)).toEqual([
      { owner: 'Deployment/redis', port: config.redis.port },
    ]);
  });

  it('gives PostgreSQL the credentials and database the API uses', () => {
    const statefulSet = theObject(objects, 'StatefulSet', 'postgres');
    const server = containerOf(statefulSet.spec!.template, 'postgres');
    expect(valuesOf(environmentOf(server, objects))).toEqual({
      POSTGRES_USER: config.postgres.user,
      POSTGRES_PASSWORD: config.postgres.password,
      POSTGRES_DB: config.postgres.database,
    });
  });

  it('sets PostgreSQL max_connections to what the connection budget counts on', () => {
    const statefulSet = theObject(objects, 'StatefulSet', 'postgres');
    expect(containerOf(statefulSet.spec!.template, 'postgres').args).toEqual([
      '-c',
      `max_connections=${MAX_CONNECTIONS}`,
    ]);
  });

  it('runs the image loaded into the cluster, without pulling it', () => {
    const container = apiContainer(objects);
    expect(container.image).toBe('users-api:local');
    expect(container.imagePullPolicy).toBe('IfNotPresent');
  });

  it('puts everything in one namespace that enforces the restricted Pod Security Standard', () => {
    const namespace = theObject(objects, 'Namespace');
    expect(namespace.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    expect(
      objects
        .filter(({ kind }) => kind !== 'Namespace')
        .filter(
          ({ metadata }) => metadata.namespace !== namespace.metadata.name,
        ),
    ).toEqual([]);
  });
});

describe('the API configured by the base, running', () => {
  /** Where the servers are, and the test run's own isolation: not the manifest's. */
  const SET_BY_THE_TEST = new Set([
    'PORT',
    'POSTGRES_HOST',
    'POSTGRES_PORT',
    'POSTGRES_USER',
    'POSTGRES_PASSWORD',
    'POSTGRES_DB',
    'REDIS_HOST',
    'REDIS_PORT',
    'CACHE_KEY_PREFIX',
    'LOG_LEVEL',
  ]);
  const environment = Object.fromEntries(
    Object.entries(valuesOf(apiEnvironment(baseObjects))).filter(
      ([name]) => !SET_BY_THE_TEST.has(name),
    ),
  );
  const running = useAppWithDatabase(environment);
  const container = apiContainer(baseObjects);

  it.each(['startupProbe', 'livenessProbe', 'readinessProbe'] as const)(
    'answers its %s with 200 within the probe timeout',
    async (probe) => {
      const { httpGet, timeoutSeconds } = container[probe]!;
      const reply = await running.api.get(httpGet!.path!);
      expect(reply.status).toBe(200);
      expect(reply.ms).toBeLessThan(timeoutSeconds! * 1000);
    },
  );

  it('serves Prometheus metrics where the scrape annotations point', async () => {
    const annotations = theObject(baseObjects, 'Deployment', API).spec!.template
      .metadata!.annotations!;
    expect(annotations['prometheus.io/scrape']).toBe('true');
    const reply = await running.api.get(annotations['prometheus.io/path']);
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('http_requests_total');
  });

  it('answers 404 on a path it does not serve, so a wrong probe path fails the tests above', async () => {
    expect((await running.api.get('/healthz')).status).toBe(404);
  });
});

describe('the checks above, on broken manifests', () => {
  it('finds a misspelled field, a value of the wrong type and a value outside an enum', async () => {
    const deployment: any = structuredClone(
      theObject(baseObjects, 'Deployment', API),
    );
    const [container] = deployment.spec.template.spec.containers;
    container.livenesProbe = container.livenessProbe;
    delete container.livenessProbe;
    deployment.spec.replicas = '3';
    container.imagePullPolicy = 'Sometimes';
    expect(await schemaProblems(deployment)).toEqual(
      expect.arrayContaining([
        '/spec/template/spec/containers/0/livenesProbe is not a known field',
        '/spec/replicas must be integer',
        expect.stringMatching(
          /^\/spec\/template\/spec\/containers\/0\/imagePullPolicy /,
        ),
      ]),
    );
  });

  it('finds a variable the service does not read', () => {
    const objects = structuredClone(baseObjects);
    apiContainer(objects).env!.push({
      name: 'POSTGRES_POOL',
      value: '10',
    });
    expect(unreadVariables(objects)).toEqual(['POSTGRES_POOL']);
  });

  it('finds a Service that sends traffic to another port than PORT', () => {
    const objects = structuredClone(baseObjects);
    theObject(objects, 'Service', API).spec!.ports![0].targetPort = 8080;
    expect(apiPorts(objects)).toMatchObject({
      PORT: 3000,
      serviceTargetPort: 8080,
    });
  });

  it('finds a pool too large for max_connections at the HPA maximum', () => {
    const objects = structuredClone(baseObjects);
    theObject(objects, 'ConfigMap').data!.POSTGRES_POOL_SIZE = '20';
    expect(connectionsAtPeak(objects)).toBeGreaterThan(MAX_CONNECTIONS);
  });

  it('finds a password given in the manifest instead of the Secret', () => {
    const objects = structuredClone(baseObjects);
    const password = apiContainer(objects).env!.find(
      ({ name }) => name === 'POSTGRES_PASSWORD',
    )!;
    delete password.valueFrom;
    password.value = 'password';
    expect(variablesFromSecrets(objects)).toEqual(['API_KEY', 'POSTGRES_USER']);
  });

  it('finds a pod running as root and a container that may write its root filesystem', () => {
    const objects = structuredClone(local.objects);
    const pod = theObject(objects, 'StatefulSet', 'postgres').spec!.template
      .spec!;
    pod.securityContext!.runAsUser = 0;
    pod.containers[0].securityContext!.readOnlyRootFilesystem = false;
    expect(securityProblems(objects)).toEqual([
      'StatefulSet/postgres: runAsUser is not a non-root uid',
      'StatefulSet/postgres: postgres may write its root filesystem',
    ]);
  });
});
