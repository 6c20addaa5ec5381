import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import {
  containerOf,
  podTemplates,
  readManifest,
} from './support/kubernetes.js';
import { run as runToEnd } from './support/processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const execute = promisify(execFile);

/** A module of the harness (plain JavaScript, no type declarations). */
const benchLib = (file: string): Promise<any> =>
  import(new URL(`../bench/lib/${file}`, import.meta.url).href);

interface BenchRun {
  readonly out: string;
  readonly stdout: string;
  readonly markdown: string;
  readonly report: any;
}

/** `npm run bench` as the smoke test runs it: the harness, writing to a directory of its own. */
async function runBench(args: string[]): Promise<BenchRun> {
  const out = await mkdtemp(join(tmpdir(), 'users-api-bench-'));
  const { stdout } = await execute(
    process.execPath,
    [
      'bench/run.mjs',
      ...args,
      `--database=users_api_bench_smoke_${randomBytes(4).toString('hex')}`,
      `--out=${out}`,
    ],
    { cwd: root, timeout: 120_000 },
  );
  const files = await readdir(out);
  const read = (extension: string) =>
    readFile(
      join(
        out,
        files.find((file) => file.endsWith(extension))!,
      ),
      'utf8',
    );
  return {
    out,
    stdout,
    markdown: await read('.md'),
    report: JSON.parse(await read('.json')),
  };
}

// Only that the harness works end to end: a busy machine makes any
// throughput figure meaningless here, so none is asserted.
describe('npm run bench, smoke run', () => {
  let bench: BenchRun;

  beforeAll(async () => {
    bench = await runBench([
      '--quick',
      '--only=get-hit,get-no-cache,page-first,post,mix',
    ]);
  }, 150_000);

  afterAll(() => rm(bench.out, { recursive: true, force: true }));

  it('prints the table it writes, with the machine it ran on', () => {
    const { stdout } = bench;
    expect(stdout).toContain(bench.markdown);
    expect(stdout).toMatch(/^Machine: .+ cores, .+ Node v\d+/m);
    expect(stdout).toMatch(/^\| GET \/users\/\{id\}, cache hit \| [\d,]+ \|/m);
    expect(stdout).toMatch(
      /^\| GET \/users\/\{id\}, no-cache \(from PostgreSQL\) \| [\d,]+ \|/m,
    );
    expect(stdout).toMatch(/^\| POST \/users \| [\d,]+ \|/m);
    expect(stdout).toMatch(
      /^\| mix: 90% GET \/users\/\{id\} \(Zipf, s = 1\), 5% first page, 2\.5% PUT, 2\.5% POST \| [\d,]+ \|/m,
    );
    expect(stdout).toMatch(/^\| node:http \+ 1 Redis GET \| [\d,]+ \|/m);
    expect(stdout).toMatch(/^\| node:http \+ 1 PK SELECT \| [\d,]+ \|/m);
    expect(stdout).toMatch(
      /^\| node:http \+ 1 page SELECT \(20 rows\) \| [\d,]+ \|/m,
    );
    expect(stdout).toMatch(
      /^\| node:http \+ 1 INSERT … RETURNING \| [\d,]+ \|/m,
    );
    expect(stdout).toMatch(
      /^\| start to ready, migrations already applied \(median\) \| \d+ ms of /m,
    );
  });

  it('measures the chosen scenarios and their ceilings without an error', () => {
    const [tableSize] = bench.report.runs;
    expect(tableSize.rows).toBe(200);
    expect(tableSize.scenarios.map((s: any) => s.name)).toEqual([
      'get-hit',
      'get-no-cache',
      'page-first',
      'post',
      'mix',
    ]);
    expect(Object.keys(tableSize.ceilings).sort()).toEqual([
      'insert',
      'page-select',
      'pk-select',
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
    }
    const ratios = Object.fromEntries(
      tableSize.scenarios.map((s: any) => [s.name, s.ratio]),
    );
    expect(ratios).toEqual({
      'get-hit': expect.any(Number),
      'get-no-cache': expect.any(Number),
      'page-first': expect.any(Number),
      post: expect.any(Number),
      mix: null,
    });
    expect(tableSize.startup.exit).toEqual({ code: 0, signal: null });
  });

  it('records the CPU time per request of the service, PostgreSQL and Redis in every scenario', () => {
    for (const scenario of bench.report.runs[0].scenarios) {
      const cpu = scenario.load.cpuUsPerRequest;
      // The servers run on this machine (provision.sh), so each is measured.
      expect({ scenario: scenario.name, cpu }).toEqual({
        scenario: scenario.name,
        cpu: {
          service: expect.any(Number),
          postgres: expect.any(Number),
          redis: expect.any(Number),
          total: cpu.service + cpu.postgres + cpu.redis,
        },
      });
      expect(cpu.service).toBeGreaterThan(0);
    }
  });

  it('pairs the uncached page with its own ceiling and with the uncached read by id', () => {
    const [tableSize] = bench.report.runs;
    const ceilingOf = (name: string) =>
      tableSize.scenarios.find((s: any) => s.name === name).ceiling;
    expect(ceilingOf('page-first')).toBe('page-select');
    expect(ceilingOf('get-no-cache')).toBe('pk-select');
    expect(bench.stdout).toMatch(
      /^\| cost of an uncached page vs an uncached read by id \| \d+\.\d\d× \(CPU \d+\.\d vs \d+\.\d µs\/req; req\/s \d+ vs \d+: \d+\.\d\d×\) \| ≤ 1\.50× \| (PASS|FAIL) \|$/m,
    );
  });

  it('checks that the ceilings with a query answer the JSON the service answers', () => {
    const { ceilings } = bench.report.runs[0];
    expect(ceilings['page-select'].differs).toBeNull();
    expect(ceilings['pk-select'].differs).toBeNull();
    expect(bench.stdout).toMatch(
      /^\| ceiling answers the service's JSON: node:http \+ 1 page SELECT \(20 rows\) \| same JSON \| same JSON \| PASS \|$/m,
    );
  });

  it('judges tails only on a table of a million rows', () => {
    for (const name of [
      'get-hit',
      'get-no-cache',
      'page-first',
      'post',
      'mix',
    ]) {
      expect(bench.stdout).toMatch(
        new RegExp(
          `^\\| ${name}: p99 vs p50 \\| \\d+\\.\\d\\d× \\(.+ ms\\) \\| ≤ 3× from 1,000,000 rows \\| INFO \\|$`,
          'm',
        ),
      );
    }
  });

  it('finds no client reading older data than its own acknowledged write under the mix', () => {
    const mix = bench.report.runs[0].scenarios.find(
      (s: any) => s.name === 'mix',
    );
    expect(mix.staleReads).toMatchObject({ stale: 0, errors: 0, examples: [] });
    expect(mix.staleReads.checks).toBeGreaterThan(0);
    expect(bench.stdout).toMatch(
      /^\| mix: reads see the client's own acknowledged write \| 0 stale, 0 errors in \d+ checks/m,
    );
  });
});

describe('npm run bench -- --soak, a short one', () => {
  let bench: BenchRun;

  beforeAll(async () => {
    bench = await runBench(['--quick', '--soak', '2']);
  }, 150_000);

  afterAll(() => rm(bench.out, { recursive: true, force: true }));

  it('runs the mix alone, minute by minute, sampling the RSS', () => {
    const [tableSize] = bench.report.runs;
    expect(tableSize.scenarios).toEqual([]);
    const { soak } = tableSize;
    expect(soak.seconds).toBe(2);
    expect(soak.minutes).toHaveLength(1);
    expect(soak.minutes[0]).toMatchObject({
      minute: 1,
      seconds: 2,
      socketErrors: 0,
      non2xx: 0,
    });
    expect(soak.minutes[0].requests).toBeGreaterThan(0);
    expect(soak.minutes[0].rssMb).toBeGreaterThan(0);
    // One sample at the start, one at the end: the 10 s ones fall in between.
    expect(soak.rss.length).toBeGreaterThanOrEqual(2);
    expect(soak.staleReads).toMatchObject({ stale: 0, errors: 0 });
    expect(tableSize.startup.exit).toEqual({ code: 0, signal: null });
  });

  it('holds the peak RSS to the memory limit the Deployment sets', () => {
    const { soak } = bench.report.runs[0];
    const [{ template }] = podTemplates([readManifest('base/deployment.yaml')]);
    const limit = String(
      containerOf(template, 'api').resources!.limits!.memory,
    );
    expect(soak.memoryLimit).toMatchObject({
      text: limit,
      source: 'deploy/kubernetes/base/deployment.yaml',
    });
    expect(bench.stdout).toMatch(
      new RegExp(
        `^\\| soak: peak RSS, all service processes, vs the memory limit \\| \\d+ vs \\d+ MB \\(${limit}, deploy/kubernetes/base/deployment\\.yaml\\) \\| < limit \\| (PASS|FAIL) \\|$`,
        'm',
      ),
    );
  });

  it('prints a row a minute and skips the RSS drift a soak this short cannot show', () => {
    expect(bench.stdout).toMatch(/^## 200 rows: soak, 2 s of the mix$/m);
    expect(bench.stdout).toMatch(
      /^\| 1 \(2 s\) \| [\d,]+ \| [\d.]+ \| [\d.]+ \| 0 \/ 0 \| \d+ \|$/m,
    );
    expect(bench.stdout).toMatch(
      /^\| soak: RSS at the end vs minute 2 \| the soak ends before minute 3 \| within ±10% \| SKIP \|$/m,
    );
    expect(bench.stdout).toMatch(
      /^\| soak: errors and non-2xx \| 0 of [\d,]+ requests \| 0 \| PASS \|$/m,
    );
  });
});

/** The harness to its end, output kept: for runs that stop before any load. */
const benchCommand = (...args: string[]) =>
  runToEnd([process.execPath, 'bench/run.mjs', ...args], {
    cwd: root,
    env: process.env,
    timeoutMs: 30_000,
  });

describe('npm run bench options', () => {
  it('--help lists every scenario, ceiling and option', async () => {
    const { code, output } = await benchCommand('--help');
    expect(code).toBe(0);
    for (const name of [
      'get-no-cache',
      'page-first',
      'page-deep',
      'mix',
      'get-miss',
    ]) {
      expect(output).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    expect(output).toMatch(
      /^  page-select +node:http \+ 1 page SELECT \(20 rows\)$/m,
    );
    expect(output).toMatch(/^  pk-select +node:http \+ 1 PK SELECT$/m);
    expect(output).toMatch(/^  --soak S /m);
    expect(output).toMatch(/^  --repeat N /m);
  });

  it.each([
    [
      ['--soak', '60', '--only', 'mix'],
      '--soak runs the mix alone: leave out --only',
    ],
    [['--soak', '0'], '--soak=0: must be an integer ≥ 1'],
    [['--soak', '1.5'], '--soak=1.5: must be an integer ≥ 1'],
    [['--repeat', '0'], '--repeat=0: must be an integer ≥ 1'],
  ])('refuses %j, saying why', async (args, why) => {
    const { code, output } = await benchCommand(...args);
    expect(code).toBe(2);
    expect(output.split('\n')[0]).toBe(why);
    expect(output).toContain('Usage: npm run bench');
  });
});

/** A user as the service sends it, with its version as a strong ETag. */
function sendUser(response: ServerResponse, version: number, name: string) {
  response.writeHead(200, {
    'content-type': 'application/json',
    etag: `"${version}"`,
  });
  response.end(JSON.stringify({ id: 1, name, email: 'a@bench.example' }));
}

describe('the stale-read checker', () => {
  const ONE_USER = { first: 1, count: 1, scatter: 1 };
  let server: Server;
  let url: string;
  let answer: (
    request: IncomingMessage,
    body: string,
    response: ServerResponse,
  ) => void;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => answer(request, body, response));
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function checkFor(ms: number) {
    const { startStaleReadChecker } = await benchLib('stale-reads.mjs');
    const checker = startStaleReadChecker(url, ONE_USER);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return checker.stop();
  }

  it('counts reads older than the acknowledged write, and 304s to the tag from before it', async () => {
    // A cache that is never invalidated: writes land, reads show version 100.
    let version = 100;
    answer = (request, body, response) => {
      if (request.method === 'PATCH') {
        version += 1;
        return sendUser(response, version, JSON.parse(body).name);
      }
      if (request.headers['if-none-match'] === '"100"') {
        response.writeHead(304, { etag: '"100"' });
        return response.end();
      }
      sendUser(response, 100, 'Before');
    };
    const result = await checkFor(300);
    expect(result.checks).toBeGreaterThan(0);
    expect(result.errors).toBe(0);
    // Both reads of every check are stale.
    expect(result.stale).toBe(2 * result.checks);
    expect(result.examples).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^user 1: GET, after the PATCH acknowledged version 101: version 100, older$/,
        ),
        expect.stringMatching(
          /^user 1: GET with If-None-Match: "100", after the PATCH acknowledged version 101: 304: the tag from before the write still matched$/,
        ),
      ]),
    );
  });

  it('counts a read of the acknowledged version with an older body', async () => {
    let version = 100;
    answer = (request, body, response) => {
      if (request.method === 'PATCH') version += 1;
      sendUser(response, version, 'Never renamed');
    };
    const result = await checkFor(200);
    expect(result.checks).toBeGreaterThan(0);
    expect(result.stale).toBe(2 * result.checks);
    expect(result.examples[0]).toMatch(/version \d+ with another name$/);
  });

  it('accepts a newer write than its own, as another client may have made', async () => {
    // Every read finds that someone else has written since.
    let version = 100;
    answer = (request, body, response) => {
      version += 1;
      sendUser(
        response,
        version,
        request.method === 'PATCH' ? JSON.parse(body).name : 'Someone else',
      );
    };
    const result = await checkFor(200);
    expect(result.checks).toBeGreaterThan(0);
    expect(result).toMatchObject({ stale: 0, errors: 0, examples: [] });
  });

  it('counts errors, not checks, when the service fails', async () => {
    answer = (_request, _body, response) => {
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end('{}');
    };
    const result = await checkFor(200);
    expect(result.checks).toBe(0);
    expect(result.stale).toBe(0);
    expect(result.errors).toBeGreaterThan(0);
    expect(result.examples[0]).toBe('user 1: GET answered 503 without an ETag');
  });
});

describe('the Zipf-like ids of the mix', () => {
  it('gives every id one rank, the hottest ones scattered over the table', async () => {
    const { zipfIds, idOfRank } = await benchLib('load/zipf.mjs');
    const ids = zipfIds({ first: 1001, count: 1000 });
    const byRank = Array.from({ length: 1000 }, (_, rank) =>
      idOfRank(ids, rank + 1),
    );
    expect(new Set(byRank).size).toBe(1000);
    expect(Math.min(...byRank)).toBe(1001);
    expect(Math.max(...byRank)).toBe(2000);
    const hottest = byRank.slice(0, 10).sort((a, b) => a - b);
    expect(hottest.at(-1)! - hottest[0]).toBeGreaterThan(500);
  });

  it('draws low ranks most, within the ids', async () => {
    const { zipfIds, idOfRank, drawId } = await benchLib('load/zipf.mjs');
    const ids = zipfIds({ first: 1, count: 1000 });
    expect(drawId(ids, 0)).toBe(idOfRank(ids, 1));
    expect(drawId(ids, 0.999_999_999)).toBe(idOfRank(ids, 1000));
    const draws = Array.from({ length: 20_000 }, (_, n) =>
      drawId(ids, n / 20_000),
    );
    const share = (id: number) =>
      draws.filter((drawn) => drawn === id).length / draws.length;
    // ln(2) / ln(1001) for rank 1, ln(1001/1000) / ln(1001) for rank 1000.
    expect(share(idOfRank(ids, 1))).toBeCloseTo(
      Math.log(2) / Math.log(1001),
      2,
    );
    expect(share(idOfRank(ids, 1000))).toBeLessThan(0.001);
  });

  it('refuses more ids than its arithmetic stays exact for', async () => {
    const { zipfIds } = await benchLib('load/zipf.mjs');
    expect(() => zipfIds({ first: 1, count: 100_000_000 })).toThrow(
      'Zipf ids: at most 94906265 ids, not 100000000',
    );
  });
});

describe("the soak's memory limit", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'users-api-bench-limit-'));
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['384Mi', 384 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['400M', 400e6],
    ['402653184', 402_653_184],
    ['384mi', null],
    ['lots', null],
  ])('reads the quantity %s as %s bytes', async (quantity, bytes) => {
    const { quantityBytes } = await benchLib('memory-limit.mjs');
    expect(quantityBytes(quantity)).toBe(bytes);
  });

  /** A Deployment whose api container has these limits, where the soak looks. */
  async function writeDeployment(limits: Record<string, string>) {
    const manifestDir = join(dir, 'deploy/kubernetes/base');
    await mkdir(manifestDir, { recursive: true });
    const container = { name: 'api', resources: { limits } };
    await writeFile(
      join(manifestDir, 'deployment.yaml'),
      stringify({
        kind: 'Deployment',
        spec: { template: { spec: { containers: [container] } } },
      }),
    );
  }

  it('reads the limit of the api container', async () => {
    const { deploymentMemoryLimit } = await benchLib('memory-limit.mjs');
    await writeDeployment({ cpu: '1', memory: '512Mi' });
    expect(deploymentMemoryLimit(dir)).toEqual({
      text: '512Mi',
      bytes: 512 * 2 ** 20,
      source: 'deploy/kubernetes/base/deployment.yaml',
    });
  });

  it.each([
    [undefined, 'deploy/kubernetes/base/deployment.yaml not found'],
    [
      { cpu: '1500m' },
      'deploy/kubernetes/base/deployment.yaml sets no memory limit for the api container',
    ],
    [
      { memory: '384mb' },
      'deploy/kubernetes/base/deployment.yaml sets 384mb, which this does not read',
    ],
  ])(
    'falls back to 384Mi when the limits are %j, saying why',
    async (limits, why) => {
      const { deploymentMemoryLimit } = await benchLib('memory-limit.mjs');
      await rm(join(dir, 'deploy'), { recursive: true, force: true });
      if (limits) await writeDeployment(limits);
      expect(deploymentMemoryLimit(dir)).toEqual({
        text: '384Mi',
        bytes: 384 * 2 ** 20,
        source: `assumed: ${why}`,
      });
    },
  );
});
