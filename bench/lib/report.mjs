import { CEILINGS } from './ceilings.mjs';
import {
  compareTableSizes,
  pageChecksByRound,
  runChecks,
  scenarioVerdict,
} from './targets.mjs';

// Past this 1-minute load per core, other work competes with the run.
const BUSY_LOAD_PER_CORE = 0.5;

/**
 * @typedef {object} BenchReport
 * @property {ReturnType<typeof import('./machine.mjs').describeMachine>} machine
 * @property {object} settings
 * @property {(import('./table-size-run.mjs').TableSizeRun & { round: number })[]} runs
 *   in the order they ran: each round (--repeat) runs every table size
 */

/** @param {BenchReport} report */
export function renderMarkdown({ machine, settings, runs }) {
  const lines = [
    '# users-api benchmark',
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ` +
      `Node ${machine.node}, load average ${machine.loadAverage.join(' ')} at start, ${machine.date}`,
    '',
    `Load: ${settings.driver} ${settings.driverVersion} on the same machine, ` +
      `${settings.threads} threads, ${settings.connections} connections, ` +
      (settings.soak
        ? `the mix for ${settings.soak} s without warm-up; `
        : `${settings.duration} s measured after ${settings.warmup} s of warm-up; `) +
      `service: CLUSTER_WORKERS=${settings.workers}, LOG_LEVEL=${settings.logLevel}`,
  ];
  if (machine.loadAverage[0] > BUSY_LOAD_PER_CORE * machine.cores) {
    lines.push(
      '',
      `**The machine was busy (load average ${machine.loadAverage[0]} on ` +
        `${machine.cores} cores): these figures are not comparable with a quiet run.**`,
    );
  }
  const rounds = Object.values(Object.groupBy(runs, ({ round }) => round));
  for (const [index, roundRuns] of rounds.entries()) {
    const ofRounds =
      rounds.length > 1 ? `, run ${index + 1} of ${rounds.length}` : '';
    for (const run of roundRuns) lines.push('', ...renderRun(run, ofRounds));
    const comparison = compareTableSizes(roundRuns);
    if (comparison.length > 0) {
      lines.push(
        '',
        `## Pages across table sizes${ofRounds}`,
        '',
        ...checkTable(comparison),
      );
    }
  }
  const byRound = rounds.length > 1 ? pageChecksByRound(rounds) : [];
  if (byRound.length > 0) lines.push('', ...roundsTable(byRound));
  return lines.join('\n') + '\n';
}

/**
 * @param {import('./table-size-run.mjs').TableSizeRun} run
 * @param {string} ofRounds which run of --repeat, if there are several
 */
function renderRun(run, ofRounds) {
  const rows = run.rows.toLocaleString('en-US');
  const lines = run.soak
    ? [
        `## ${rows} rows${ofRounds}: soak, ${run.soak.seconds} s of the mix`,
        '',
        ...soakTable(run.soak),
      ]
    : [
        `## ${rows} rows${ofRounds}`,
        '',
        ...scenarioTable(run),
        '',
        ...ceilingTable(run),
      ];
  lines.push('', ...checkTable(runChecks(run)));
  const notes = run.scenarios.flatMap((s) =>
    [
      ...s.failures,
      ...tableSize(s, run.rows),
      ...suspectRatio(s),
      ...(s.staleReads?.examples ?? []),
    ].map((note) => `- ${s.name}: ${note}`),
  );
  notes.push(
    ...(run.soak?.staleReads.examples ?? []).map((note) => `- soak: ${note}`),
  );
  if (notes.length > 0) lines.push('', 'Notes:', '', ...notes);
  return lines;
}

/** @param {import('./load/plans.mjs').CpuPerRequest} [cpu] */
function cpuCell(cpu) {
  if (!cpu) return '—';
  const part = (us) => (us === undefined ? '?' : us.toFixed(0));
  return `${cpu.total.toFixed(0)} = ${part(cpu.service)} + ${part(cpu.postgres)} + ${part(cpu.redis)}`;
}

/** @param {import('./table-size-run.mjs').TableSizeRun} run */
function scenarioTable(run) {
  const lines = [
    '| Scenario | req/s | p50 ms | p99 ms | CPU µs/req: service + PostgreSQL + Redis | errors / non-2xx | ceiling | ratio | target | result |',
    '|---|--:|--:|--:|--:|--:|---|--:|---|---|',
  ];
  for (const scenario of run.scenarios) {
    const load = scenario.load;
    lines.push(
      row([
        scenario.title,
        load ? rps(load.rps) : '—',
        load ? ms(load.p50Ms) : '—',
        load ? ms(load.p99Ms) : '—',
        cpuCell(load?.cpuUsPerRequest),
        load ? `${load.socketErrors} / ${load.non2xx}` : '—',
        scenario.ceiling ? CEILINGS[scenario.ceiling].title : '—',
        ratio(scenario),
        scenario.minRatio === undefined
          ? '0 errors'
          : `≥ ${scenario.minRatio * 100}% of ceiling, 0 errors`,
        scenarioVerdict(scenario),
      ]),
    );
  }
  return lines;
}

/** @param {import('./table-size-run.mjs').TableSizeRun} run */
function ceilingTable(run) {
  return [
    '| Ceiling | req/s | p50 ms | p99 ms | errors / non-2xx |',
    '|---|--:|--:|--:|--:|',
    ...Object.values(run.ceilings).map(({ title, load }) =>
      row([
        title,
        rps(load.rps),
        ms(load.p50Ms),
        ms(load.p99Ms),
        `${load.socketErrors} / ${load.non2xx}`,
      ]),
    ),
  ];
}

/** @param {import('./soak.mjs').SoakResult} soak */
function soakTable(soak) {
  return [
    '| Minute | req/s | p50 ms | p99 ms | errors / non-2xx | RSS MB at its end |',
    '|--:|--:|--:|--:|--:|--:|',
    ...soak.minutes.map((minute) =>
      row([
        minute.seconds === 60
          ? minute.minute
          : `${minute.minute} (${minute.seconds} s)`,
        rps(minute.rps),
        ms(minute.p50Ms),
        ms(minute.p99Ms),
        `${minute.socketErrors} / ${minute.non2xx}`,
        minute.rssMb.toFixed(0),
      ]),
    ),
  ];
}

/** The table a scenario ran on, when it is not the `--rows` seeded. */
function tableSize(scenario, rows) {
  return scenario.tableRows === rows
    ? []
    : [
        `ran on ${scenario.tableRows.toLocaleString('en-US')} rows: ` +
          `${rows.toLocaleString('en-US')} seeded, the rest added by earlier scenarios or for this one`,
      ];
}

/**
 * A scenario cannot really beat a server that does less of the same work:
 * when it seems to, the machine's load changed between the two.
 */
function suspectRatio(scenario) {
  return scenario.ratio > 1
    ? ['faster than its ceiling: the load on the machine varied; rerun']
    : [];
}

/** @param {ReturnType<typeof pageChecksByRound>} checks */
function roundsTable(checks) {
  const count = checks[0]?.results.length ?? 0;
  const runs = Array.from({ length: count }, (_, index) => `run ${index + 1}`);
  return [
    `## Page p99 checks over ${count} consecutive runs`,
    '',
    `| Check | target | ${runs.join(' | ')} | held |`,
    `|---|---|${runs.map(() => '---|').join('')}---|`,
    ...checks.map(({ check, target, results }) => {
      const judged = results.filter((r) => r && r.result !== 'INFO');
      const held = judged.filter((r) => r.result === 'PASS').length;
      return row([
        check,
        target,
        ...results.map((r) => (r ? `${r.value} ${r.result}` : '—')),
        judged.length > 0 ? `${held} of ${judged.length}` : 'INFO',
      ]);
    }),
  ];
}

/** @param {import('./targets.mjs').Check[]} checks */
function checkTable(checks) {
  return [
    '| Check | value | target | result |',
    '|---|--:|---|---|',
    ...checks.map(({ check, value, target, result }) =>
      row([check, value, target, result]),
    ),
  ];
}

/**
 * Only a ratio with a target is one: the others (a page of 20 rows against a
 * one-row SELECT, say) are shown for information.
 */
function ratio({ ratio, minRatio }) {
  if (ratio === null) return '—';
  const percent = `${Math.round(ratio * 100)}%`;
  return minRatio === undefined ? `${percent} (info)` : percent;
}

const row = (cells) => `| ${cells.join(' | ')} |`;
const rps = (value) => Math.round(value).toLocaleString('en-US');
const ms = (value) => value.toFixed(value < 10 ? 2 : 1);
