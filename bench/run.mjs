import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBuilt } from './lib/build.mjs';
import { pickDriver } from './lib/load/driver.mjs';
import { describeMachine } from './lib/machine.mjs';
import { parseOptions, USAGE, UsageError } from './lib/options.mjs';
import { renderMarkdown } from './lib/report.mjs';
import { runTableSize } from './lib/table-size-run.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const progress = (line) => console.error(`[bench] ${line}`);

const options = parseOrExit(process.argv.slice(2));
// Before the build, so the load average shows what else runs here.
const machine = describeMachine();
if (ensureBuilt(root)) progress('built the service');
// The service's own reader: the same POSTGRES_* / REDIS_* variables and defaults.
const { loadConfig } = await import(
  pathToFileURL(join(root, 'dist/src/config/load-config.js')).href
);
const config = loadConfig(process.env);
const driver = pickDriver(options.driver);

const outDir = resolve(root, options.out);
mkdirSync(outDir, { recursive: true });
const stamp = machine.date.replace(/[:.]/g, '-');
const logFile = join(outDir, `${stamp}-service.log`);

const runs = [];
for (let round = 1; round <= options.repeat; round++) {
  for (const rows of options.rows) {
    const roundProgress =
      options.repeat > 1
        ? (line) => progress(`run ${round}/${options.repeat}, ${line}`)
        : progress;
    const run = await runTableSize(rows, {
      options,
      config,
      driver,
      root,
      logFile,
      progress: roundProgress,
    });
    runs.push({ round, ...run });
  }
}
const report = {
  machine,
  settings: {
    driver: driver.name,
    driverVersion: driver.version,
    duration: options.duration,
    warmup: options.warmup,
    soak: options.soak,
    repeat: options.repeat,
    connections: options.connections,
    threads: driver.name === 'wrk' ? options.threads : 1,
    workers: options.workers,
    logLevel: options.logLevel,
  },
  runs,
};
const markdown = renderMarkdown(report);
writeFileSync(join(outDir, `${stamp}.md`), markdown);
writeFileSync(
  join(outDir, `${stamp}.json`),
  `${JSON.stringify(report, null, 2)}\n`,
);
process.stdout.write(markdown);
progress(
  `results: ${relative(root, join(outDir, stamp))}.{md,json}, service log: ${relative(root, logFile)}`,
);

function parseOrExit(argv) {
  try {
    const parsed = parseOptions(argv);
    if (parsed.help) {
      console.error(USAGE);
      process.exit(0);
    }
    return parsed;
  } catch (error) {
    if (
      error instanceof UsageError ||
      error.code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    throw error;
  }
}
