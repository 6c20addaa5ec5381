import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { migrations } from '../src/database/migrations.js';
import { environmentOf, readComposeFile } from './support/compose-file.js';
import {
  type BuiltStage,
  buildWithoutDocker,
  checkHealth,
} from './support/docker-build.js';
import {
  execForm,
  finalStage,
  healthcheckOf,
  inheritedInstructions,
  readDockerfile,
  REPO_ROOT,
} from './support/dockerfile.js';
import { BuildContext } from './support/dockerignore.js';
import { Api } from './support/http.js';
import { postgresConfig, createDatabase } from './support/postgres.js';
import { freePort } from './support/free-port.js';
import { waitFor } from './support/gate.js';
import { Child } from './support/processes.js';
import { redisConfig } from './support/redis.js';
import { connectToDatabase, newUser } from './support/test-app.js';

// npm ci alone takes about 15 s on two cores; a cold npm cache takes longer.
const BUILD_TIMEOUT_MS = 900_000;
const START_TIMEOUT_MS = 45_000;

interface LockedPackage {
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly devOptional?: boolean;
}

describe('the image, built and run without Docker', () => {
  const stages = readDockerfile();
  const runtime = finalStage(stages);
  const healthcheck = healthcheckOf(stages, runtime);
  let workspace: string;
  let image: BuiltStage;
  let server: Child | undefined;

  beforeAll(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'users-api-image-'));
    const contextDir = join(workspace, 'context');
    new BuildContext(REPO_ROOT).copyTo(contextDir);
    image = await buildWithoutDocker(stages, contextDir, workspace);
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (server?.running) {
      server.kill('SIGKILL');
      await server.finished();
    }
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('holds the production dependencies and none of the dev ones', () => {
    const lock = JSON.parse(
      readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8'),
    ) as { packages: Record<string, LockedPackage> };
    const installed = Object.entries(lock.packages).filter(([path]) =>
      path.startsWith('node_modules/'),
    );
    const present = (path: string) => existsSync(join(image.dir, path));
    const devShipped = installed
      .filter(
        ([path, { dev, devOptional }]) => (dev || devOptional) && present(path),
      )
      .map(([path]) => path);
    const productionMissing = installed
      .filter(
        ([path, { dev, devOptional, optional }]) =>
          !dev && !devOptional && !optional && !present(path),
      )
      .map(([path]) => path);
    expect(devShipped).toEqual([]);
    expect(productionMissing).toEqual([]);
    expect(installed.length).toBeGreaterThan(0);
    expect(existsSync(join(image.dir, 'src'))).toBe(false);
  });

  it(
    'migrates an empty database, serves, passes its health check and stops cleanly',
    async () => {
      const port = await freePort();
      const { prefix } = inject('testRun');
      const database = `${prefix}_image`;
      await createDatabase(database);
      const env = {
        PATH: process.env.PATH,
        ...image.env,
        ...environmentOf(readComposeFile().services.api),
        // This machine's servers stand in for Compose's db and cache services.
        PORT: String(port),
        POSTGRES_HOST: postgresConfig.host,
        POSTGRES_PORT: String(postgresConfig.port),
        POSTGRES_USER: postgresConfig.user,
        POSTGRES_PASSWORD: postgresConfig.password,
        POSTGRES_DB: database,
        REDIS_HOST: redisConfig.host,
        REDIS_PORT: String(redisConfig.port),
        // Redis is shared: keep this server's keys apart from everyone else's.
        CACHE_KEY_PREFIX: `${prefix}-image`,
      };
      const command = execForm(
        inheritedInstructions(stages, runtime, 'CMD').at(-1)!.args,
      )!;
      const api = new Api(`http://127.0.0.1:${port}`);

      const started = Child.start(command, { cwd: image.dir, env });
      server = started;
      await waitFor(
        async () => {
          if (!started.running) throw new Error('the server exited');
          const health = await api.get('/health').catch(() => undefined);
          return health?.status === 200;
        },
        START_TIMEOUT_MS,
        '/health to answer 200',
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}; its output:\n${started.output}`);
      });

      const created = await api.post('/users', newUser());
      expect(created).toMatchObject({ status: 201 });
      expect((await api.get('/docs-json')).status).toBe(200);
      const client = await connectToDatabase(database);
      try {
        const { rows } = await client.query<{ name: string }>(
          'SELECT name FROM migrations',
        );
        expect(rows.map(({ name }) => name).sort()).toEqual(
          migrations.map(({ name }) => name).sort(),
        );
      } finally {
        await client.end();
      }

      const healthy = await checkHealth(healthcheck, image.dir, env);
      expect(healthy).toMatchObject({ code: 0 });

      started.kill('SIGTERM');
      const stopped = await started.finished();
      expect(stopped).toMatchObject({ code: 0 });

      const unhealthy = await checkHealth(healthcheck, image.dir, env);
      expect(unhealthy.code).not.toBe(0);
      expect(unhealthy.signal).toBeNull();
      expect(unhealthy.elapsedMs).toBeLessThan(healthcheck.timeoutMs);
    },
    START_TIMEOUT_MS + 30_000,
  );
});
