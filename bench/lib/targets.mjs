/** The targets, other than the per-scenario ratios in SCENARIOS. */
export const TARGETS = {
  readyMs: 1500,
  /** p99 of a page near the end over the first page's, and across table sizes. */
  pageP99Spread: 1.5,
  /** Each scenario's p99 over its p50. */
  tailSpread: 3,
  /** The table size from which the page spread and the tails are judged. */
  judgedFromRows: 1_000_000,
  /** Cost of an uncached first page over an uncached read by id's (see costChecks). */
  uncachedPageCost: 1.5,
  /** The stale-read checker under the mix: at least this many checks a second. */
  staleChecksPerSecond: 1,
  /** A soak's RSS at its end against its RSS at this minute (after the warm-up)... */
  soakReferenceMinute: 2,
  /** ...may differ by at most this share, either way. */
  soakRssDrift: 0.1,
  /** Cost of a 304 on the hit path over a hit's: it may cost no more. */
  revalidationVsHit: 1,
  /** Cost of POST with an Idempotency-Key over without: at most 25% more. */
  idempotentPostVsPost: 1.25,
};

/**
 * @typedef {{ check: string, value: string, target: string, result: Verdict }} Check
 * @typedef {'PASS' | 'FAIL' | 'SKIP' | 'INFO'} Verdict
 */

/**
 * @param {import('./table-size-run.mjs').ScenarioResult} scenario
 * @returns {Verdict}
 */
export function scenarioVerdict(scenario) {
  if (!scenario.load || scenario.failures.length > 0) return 'FAIL';
  const { socketErrors, non2xx } = scenario.load;
  if (socketErrors > 0 || non2xx > 0) return 'FAIL';
  const ratioMet =
    scenario.minRatio === undefined || scenario.ratio >= scenario.minRatio;
  return verdict(ratioMet);
}

/**
 * @param {import('./table-size-run.mjs').TableSizeRun} run
 * @returns {Check[]}
 */
export function runChecks(run) {
  const { startup, rss } = run;
  /** @type {Check[]} */
  const checks = [
    {
      check: 'start to ready, migrations already applied (median)',
      value: `${Math.round(startup.readyMs)} ms of ${startup.readyTimesMs
        .map(Math.round)
        .join(', ')}`,
      target: `≤ ${TARGETS.readyMs} ms`,
      result: verdict(startup.readyMs <= TARGETS.readyMs),
    },
    {
      check: 'start to ready, first start (applies migrations)',
      value: `${Math.round(startup.firstStartMs)} ms`,
      target: '',
      result: 'INFO',
    },
    {
      check: 'peak RSS under load, all service processes, vs the memory limit',
      value: `${rss.totalMb.toFixed(0)} MB (largest process ${rss.processMb.toFixed(0)} MB)`,
      target: `< ${(rss.limit.bytes / 2 ** 20).toFixed(0)} MB (${rss.limit.text}, ${rss.limit.source})`,
      result:
        rss.totalMb > 0
          ? verdict(rss.totalMb * 2 ** 20 < rss.limit.bytes)
          : 'SKIP',
    },
    {
      check: 'exit on SIGTERM after the load',
      value: `${startup.exit.code ?? startup.exit.signal}`,
      target: 'exit 0',
      result: verdict(startup.exit.code === 0),
    },
  ];
  checks.push(
    ...costChecks(run, [
      {
        scenario: 'get-hit-304',
        baseline: 'get-hit',
        check: 'cost of a revalidation (304) on the hit path vs a hit',
        atMost: TARGETS.revalidationVsHit,
      },
      {
        scenario: 'post-idempotent',
        baseline: 'post',
        check: 'cost of POST with an Idempotency-Key vs without',
        atMost: TARGETS.idempotentPostVsPost,
      },
      {
        scenario: 'page-first',
        baseline: 'get-no-cache',
        check: 'cost of an uncached page vs an uncached read by id',
        atMost: TARGETS.uncachedPageCost,
      },
    ]),
  );
  checks.push(
    ...pagePositionChecks(run),
    ...tailChecks(run),
    ...staleReadChecks(run),
    ...ceilingChecks(run),
    ...(run.soak ? soakChecks(run.soak) : []),
  );
  return checks;
}

/**
 * @param {import('./soak.mjs').SoakResult} soak
 * @returns {Check[]}
 */
function soakChecks(soak) {
  const { minutes, memoryLimit } = soak;
  const requests = minutes.reduce((sum, m) => sum + m.requests, 0);
  const errors = minutes.reduce((sum, m) => sum + m.socketErrors + m.non2xx, 0);
  const reference = minutes[TARGETS.soakReferenceMinute - 1];
  const end = minutes.at(-1);
  const drift = reference ? end.rssMb / reference.rssMb - 1 : 0;
  const peakMb = Math.max(soak.peakRss.totalMb, soak.highWaterMarkMb);
  const limitMb = memoryLimit.bytes / 2 ** 20;
  return [
    {
      check: 'soak: errors and non-2xx',
      value: `${errors} of ${requests.toLocaleString('en-US')} requests`,
      target: '0',
      result: verdict(errors === 0),
    },
    {
      check: `soak: RSS at the end vs minute ${TARGETS.soakReferenceMinute}`,
      value:
        reference && end !== reference
          ? `minute ${end.minute}: ${end.rssMb.toFixed(0)} vs ${reference.rssMb.toFixed(0)} MB (${signedPercent(drift)})`
          : `the soak ends before minute ${TARGETS.soakReferenceMinute + 1}`,
      target: `within ±${TARGETS.soakRssDrift * 100}%`,
      result:
        reference && end !== reference
          ? verdict(Math.abs(drift) <= TARGETS.soakRssDrift)
          : 'SKIP',
    },
    {
      check: 'soak: peak RSS, all service processes, vs the memory limit',
      value: `${peakMb.toFixed(0)} vs ${limitMb.toFixed(0)} MB (${memoryLimit.text}, ${memoryLimit.source})`,
      target: '< limit',
      result: verdict(peakMb < limitMb),
    },
    staleReadCheck(
      "soak: reads see the client's own acknowledged write",
      soak.staleReads,
    ),
  ];
}

const signedPercent = (share) =>
  `${share >= 0 ? '+' : ''}${(share * 100).toFixed(1)}%`;

/** @returns {Check[]} the p99 of a page near the end against the first page's */
function pagePositionChecks(run) {
  const first = p99Of(run, 'page-first');
  const deep = p99Of(run, 'page-deep');
  if (!first || !deep) return [];
  const spread = Math.max(first, deep) / Math.min(first, deep);
  return [
    {
      check: 'page p99: near the end vs first page',
      value: `${spread.toFixed(2)}×`,
      target: `≤ ${TARGETS.pageP99Spread}× from ${fmtRows(TARGETS.judgedFromRows)} rows`,
      result: judgedAtSize(run, spread <= TARGETS.pageP99Spread),
    },
  ];
}

/**
 * The page p99 checks of every round of --repeat side by side, since they
 * must hold in consecutive runs: the position check at each table size, and
 * the comparison across sizes.
 * @param {import('./table-size-run.mjs').TableSizeRun[][]} rounds
 * @returns {{ check: string, target: string, results: (Check | undefined)[] }[]}
 *   one entry a check, with its result in each round
 */
export function pageChecksByRound(rounds) {
  const perRound = rounds.map((runs) => [
    ...runs.flatMap((run) =>
      pagePositionChecks(run).map((check) => ({
        ...check,
        check: `${fmtRows(run.rows)} rows, ${check.check}`,
      })),
    ),
    ...compareTableSizes(runs),
  ]);
  const labels = [...new Set(perRound.flat().map(({ check }) => check))];
  return labels.map((label) => {
    const results = perRound.map((checks) =>
      checks.find(({ check }) => check === label),
    );
    return {
      check: label,
      target: results.find(Boolean)?.target ?? '',
      results,
    };
  });
}

/** @returns {Check[]} p99 over p50, per scenario */
function tailChecks(run) {
  return run.scenarios.flatMap(({ name, load }) => {
    if (!load || !(load.p50Ms > 0)) return [];
    const spread = load.p99Ms / load.p50Ms;
    return [
      {
        check: `${name}: p99 vs p50`,
        value: `${spread.toFixed(2)}× (${load.p99Ms.toFixed(2)} vs ${load.p50Ms.toFixed(2)} ms)`,
        target: `≤ ${TARGETS.tailSpread}× from ${fmtRows(TARGETS.judgedFromRows)} rows`,
        result: judgedAtSize(run, spread <= TARGETS.tailSpread),
      },
    ];
  });
}

/** @returns {Check[]} reads of one's own writes under the load, where they were checked */
function staleReadChecks(run) {
  return run.scenarios.flatMap(({ name, staleReads }) =>
    staleReads
      ? [
          staleReadCheck(
            `${name}: reads see the client's own acknowledged write`,
            staleReads,
          ),
        ]
      : [],
  );
}

/**
 * @param {string} check
 * @param {import('./stale-reads.mjs').StaleReadResult} staleReads
 * @returns {Check}
 */
export function staleReadCheck(check, { checks, seconds, stale, errors }) {
  const perSecond = seconds > 0 ? checks / seconds : 0;
  return {
    check,
    value: `${stale} stale, ${errors} errors in ${checks} checks (${perSecond.toFixed(1)}/s)`,
    target: `0 stale, 0 errors, ≥ ${TARGETS.staleChecksPerSecond} check/s`,
    result: verdict(
      stale === 0 && errors === 0 && perSecond >= TARGETS.staleChecksPerSecond,
    ),
  };
}

/** @returns {Check[]} whether each ceiling with a sample answers as the service */
function ceilingChecks(run) {
  return Object.values(run.ceilings).flatMap(({ title, differs }) =>
    differs === undefined
      ? []
      : [
          {
            check: `ceiling answers the service's JSON: ${title}`,
            value: differs ?? 'same JSON',
            target: 'same JSON',
            result: verdict(differs === null),
          },
        ],
  );
}

/**
 * Each page's p99 at the largest table against the smallest.
 * @param {import('./table-size-run.mjs').TableSizeRun[]} runs
 * @returns {Check[]}
 */
export function compareTableSizes(runs) {
  if (runs.length < 2) return [];
  const bySize = [...runs].sort((a, b) => a.rows - b.rows);
  const small = bySize[0];
  const large = bySize[bySize.length - 1];
  return ['page-first', 'page-deep'].flatMap((name) => {
    const before = p99Of(small, name);
    const after = p99Of(large, name);
    if (!before || !after) return [];
    const spread = Math.max(before, after) / Math.min(before, after);
    return [
      {
        check: `${name} p99: ${fmtRows(large.rows)} rows vs ${fmtRows(small.rows)}`,
        value: `${after.toFixed(2)} ms vs ${before.toFixed(2)} ms (${spread.toFixed(2)}×)`,
        target: `≤ ${TARGETS.pageP99Spread}×`,
        result: verdict(spread <= TARGETS.pageP99Spread),
      },
    ];
  });
}

/**
 * What one scenario's request costs against another's, measured in the same
 * run: the CPU time per request of the service, PostgreSQL and Redis when it
 * was measured (steadier than throughput on a machine whose two cores also
 * run the load generator), else the inverse of req/s. Both ratios are shown.
 * @param {import('./table-size-run.mjs').TableSizeRun} run
 * @param {{ scenario: string, baseline: string, check: string, atMost: number }[]} pairs
 * @returns {Check[]}
 */
function costChecks(run, pairs) {
  return pairs.flatMap(({ scenario, baseline, check, atMost }) => {
    const load = loadOf(run, scenario);
    const base = loadOf(run, baseline);
    if (!load?.rps || !base?.rps) return [];
    const byRate = base.rps / load.rps;
    const cpu = load.cpuUsPerRequest?.total;
    const baseCpu = base.cpuUsPerRequest?.total;
    const byCpu = cpu && baseCpu ? cpu / baseCpu : undefined;
    const ratio = byCpu ?? byRate;
    const cpuText =
      byCpu === undefined
        ? ''
        : `CPU ${cpu.toFixed(1)} vs ${baseCpu.toFixed(1)} µs/req; `;
    return [
      {
        check,
        value: `${ratio.toFixed(2)}× (${cpuText}req/s ${Math.round(load.rps)} vs ${Math.round(base.rps)}: ${byRate.toFixed(2)}×)`,
        target: `≤ ${atMost.toFixed(2)}×`,
        result: verdict(ratio <= atMost),
      },
    ];
  });
}

function loadOf(run, scenario) {
  return run.scenarios.find((s) => s.name === scenario)?.load;
}

function p99Of(run, scenario) {
  return run.scenarios.find((s) => s.name === scenario)?.load?.p99Ms;
}

const fmtRows = (rows) => rows.toLocaleString('en-US');

/** @returns {Verdict} judged on a table of the size the target names, else shown */
const judgedAtSize = (run, passed) =>
  run.rows >= TARGETS.judgedFromRows ? verdict(passed) : 'INFO';

/** @returns {Verdict} */
const verdict = (passed) => (passed ? 'PASS' : 'FAIL');
