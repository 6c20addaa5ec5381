import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import {
  createServer as createTcpServer,
  type Server,
  type Socket,
} from 'node:net';
import {
  finalStage,
  healthcheckOf,
  readDockerfile,
  REPO_ROOT,
} from './support/dockerfile.js';
import { checkHealth } from './support/docker-build.js';
import { freePort } from './support/free-port.js';

const stages = readDockerfile();
const healthcheck = healthcheckOf(stages, finalStage(stages));

/** The image's HEALTHCHECK against `port`; the script sits at the same path in the repository. */
function checkHealthOn(port: number) {
  return checkHealth(healthcheck, REPO_ROOT, {
    PATH: process.env.PATH,
    PORT: String(port),
  });
}

function answering(status: number, body: string): Server {
  return createHttpServer((request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(request.url === '/health' ? body : '{}');
  });
}

describe('the container health check', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];

  async function listen(server: Server): Promise<number> {
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as { port: number }).port;
  }

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(
      servers.splice(0).map(async (server) => {
        server.close();
        await once(server, 'close');
      }),
    );
  });

  it('passes when /health answers 200', async () => {
    const paths: string[] = [];
    const server = answering(200, '{"status":"ok"}').on('request', (request) =>
      paths.push(request.url ?? ''),
    );
    const result = await checkHealthOn(await listen(server));
    expect(result).toMatchObject({ code: 0 });
    expect(paths).toEqual(['/health']);
  });

  it('fails, saying why, when /health answers 503', async () => {
    const body =
      '{"status":"error","info":{},"error":{"redis":{"status":"down"}},"details":{}}';
    const result = await checkHealthOn(await listen(answering(503, body)));
    expect(result.code).toBe(1);
    expect(result.output).toContain('503');
    expect(result.output).toContain('redis');
  });

  it('fails when nothing listens', async () => {
    const result = await checkHealthOn(await freePort());
    expect(result.code).toBe(1);
    expect(result.elapsedMs).toBeLessThan(healthcheck.timeoutMs);
  });

  it(
    'gives up on a server that never answers before Docker would kill it',
    async () => {
      const silent = createTcpServer((socket) => sockets.push(socket));
      const result = await checkHealthOn(await listen(silent));
      expect(result.signal).toBeNull();
      expect(result.code).toBe(1);
      expect(result.elapsedMs).toBeLessThan(healthcheck.timeoutMs);
      expect(result.output).toMatch(/timeout|aborted/i);
    },
    healthcheck.timeoutMs + 10_000,
  );
});
