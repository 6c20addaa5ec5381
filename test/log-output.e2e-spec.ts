import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { BuiltServer } from './support/built-server.js';
import { createTestDatabase } from './support/test-app.js';

const run = promisify(execFile);
const CREATE_LOGGER = resolve('dist/src/logging/create-logger.js');

/** Runs `body` in a fresh Node process with `createLogger` of the built service in scope. */
async function runWithLogger(body: string) {
  const script = `import { createLogger } from ${JSON.stringify(CREATE_LOGGER)};\n${body}`;
  try {
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', script],
      { timeout: 10_000 },
    );
    return { stdout, code: 0 };
  } catch (error) {
    const { stdout, code } = error as { stdout: string; code: number };
    return { stdout, code };
  }
}

describe('log output of the built service', () => {
  it('writes the lines still pending when the process exits at once', async () => {
    const { stdout, code } = await runWithLogger(`
      const logger = createLogger('info');
      for (let n = 0; n < 100; n++) logger.info({ n }, 'pending');
      logger.error('last words');
      process.exit(3);
    `);

    expect(code).toBe(3);
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(101);
    expect(lines.map((l) => l.n).slice(0, 100)).toEqual(
      Array.from({ length: 100 }, (_, n) => n),
    );
    expect(lines[100]).toMatchObject({ level: 'error', msg: 'last words' });
  });

  it('writes nothing at level silent', async () => {
    const { stdout, code } = await runWithLogger(`
      createLogger('silent').error('not written');
    `);
    expect(code).toBe(0);
    expect(stdout).toBe('');
  });
});

describe('the built server at LOG_LEVEL=warn', () => {
  let server: BuiltServer;

  beforeAll(async () => {
    server = await BuiltServer.start({
      POSTGRES_DB: await createTestDatabase(),
      LOG_LEVEL: 'warn',
    });
  });

  afterAll(() => server?.stop());

  it('writes no request line, nor any other info line', async () => {
    expect((await server.api.get('/users/1')).status).toBe(404);
    expect((await server.api.get('/health/live')).status).toBe(200);
    // Stopping flushes whatever was pending.
    await server.stop();
    expect(
      server.logLines().filter((line) => line.msg === 'request completed'),
    ).toEqual([]);
    expect(server.logLines().every((line) => line.level !== 'info')).toBe(true);
  });
});
