import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

// Only that the harness works end to end: a busy machine makes any
// throughput figure meaningless here, so none is asserted.
describe('npm run bench, smoke run', () => {
  let out: string;
  let stdout: string;
  let report: any;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'users-api-bench-'));
    ({ stdout } = await run(
      process.execPath,
      [
        'bench/run.mjs',
        '--quick',
        '--only=get-hit,post',
        `--database=users_api_bench_smoke_${randomBytes(4).toString('hex')}`,
        `--out=${out}`,
      ],
      { cwd: root, timeout: 90_000 },
    ));
    const json = (await readdir(out)).find((file) => file.endsWith('.json'));
    report = JSON.parse(await readFile(join(out, json!), 'utf8'));
  }, 120_000);

  afterAll(() => rm(out, { recursive: true, force: true }));

  it('prints the table it writes, with the machine it ran on', async () => {
    const markdown = (await readdir(out)).find((file) => file.endsWith('.md'));
    expect(stdout).toContain(await readFile(join(out, markdown!), 'utf8'));
    expect(stdout).toMatch(/^Machine: .+ cores, .+ Node v\d+/m);
    expect(stdout).toMatch(/^\| GET \/users\/\{id\}, cache hit \| [\d,]+ \|/m);
    expect(stdout).toMatch(/^\| POST \/users \| [\d,]+ \|/m);
    expect(stdout).toMatch(/^\| node:http \+ 1 Redis GET \| [\d,]+ \|/m);
    expect(stdout).toMatch(
      /^\| node:http \+ 1 INSERT … RETURNING \| [\d,]+ \|/m,
    );
    expect(stdout).toMatch(
      /^\| start to ready, migrations already applied \(median\) \| \d+ ms of /m,
    );
  });

  it('measures the chosen scenarios and their ceilings without an error', () => {
    const [tableSize] = report.runs;
    expect(tableSize.rows).toBe(200);
    expect(tableSize.scenarios.map((s: any) => s.name)).toEqual([
      'get-hit',
      'post',
    ]);
    expect(Object.keys(tableSize.ceilings).sort()).toEqual([
      'insert',
      'redis-get',
    ]);
    const loads = [
      ...tableSize.scenarios.map((s: any) => s.load),
      ...Object.values(tableSize.ceilings).map((c: any) => c.load),
    ];
    for (const load of loads) {
      expect(load.requests).toBeGreaterThan(0);
      expect(load).toMatchObject({ socketErrors: 0, non2xx: 0 });
    }
    for (const scenario of tableSize.scenarios) {
      expect(scenario.failures).toEqual([]);
      expect(scenario.ratio).toBeGreaterThan(0);
    }
    expect(tableSize.startup.exit).toEqual({ code: 0, signal: null });
  });
});
