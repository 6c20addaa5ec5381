/** The targets, other than the per-scenario ratios in SCENARIOS. */
export const TARGETS = {
  readyMs: 1500,
  rssMb: 200,
  /** p99 of a page near the end over the first page's, and across table sizes. */
  pageP99Spread: 1.5,
  /** The table size at which the page spread is judged. */
  pageSpreadRows: 1_000_000,
  /** req/s of a 304 on the hit path over a hit's: it may cost no more. */
  revalidationVsHit: 1,
  /** req/s of POST with an Idempotency-Key over without: at most 25% more cost. */
  idempotentPostVsPost: 1 / 1.25,
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
      check: 'peak RSS under load, largest service process',
      value: `${rss.processMb.toFixed(0)} MB`,
      target: `≤ ${TARGETS.rssMb} MB`,
      result:
        rss.processMb > 0 ? verdict(rss.processMb <= TARGETS.rssMb) : 'SKIP',
    },
    {
      check: 'exit on SIGTERM after the load',
      value: `${startup.exit.code ?? startup.exit.signal}`,
      target: 'exit 0',
      result: verdict(startup.exit.code === 0),
    },
  ];
  checks.push(
    ...rateChecks(run, [
      [
        'get-hit-304',
        'get-hit',
        'revalidation (304) vs hit, req/s',
        TARGETS.revalidationVsHit,
      ],
      [
        'post-idempotent',
        'post',
        'POST with Idempotency-Key vs without, req/s',
        TARGETS.idempotentPostVsPost,
      ],
    ]),
  );
  const first = p99Of(run, 'page-first');
  const deep = p99Of(run, 'page-deep');
  if (first && deep) {
    const spread = Math.max(first, deep) / Math.min(first, deep);
    checks.push({
      check: 'page p99: near the end vs first page',
      value: `${spread.toFixed(2)}×`,
      target: `≤ ${TARGETS.pageP99Spread}× at ${TARGETS.pageSpreadRows.toLocaleString('en-US')} rows`,
      result:
        run.rows >= TARGETS.pageSpreadRows
          ? verdict(spread <= TARGETS.pageP99Spread)
          : 'INFO',
    });
  }
  return checks;
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
 * One scenario's req/s over another's, measured in the same run.
 * @param {import('./table-size-run.mjs').TableSizeRun} run
 * @param {[string, string, string, number][]} pairs scenario, baseline, check, minimum
 * @returns {Check[]}
 */
function rateChecks(run, pairs) {
  return pairs.flatMap(([name, baseline, check, minimum]) => {
    const rps = rpsOf(run, name);
    const baselineRps = rpsOf(run, baseline);
    if (!rps || !baselineRps) return [];
    const ratio = rps / baselineRps;
    return [
      {
        check,
        value: `${ratio.toFixed(2)}× (${Math.round(rps)} vs ${Math.round(baselineRps)})`,
        target: `≥ ${minimum.toFixed(2)}×`,
        result: verdict(ratio >= minimum),
      },
    ];
  });
}

function rpsOf(run, scenario) {
  return run.scenarios.find((s) => s.name === scenario)?.load?.rps;
}

function p99Of(run, scenario) {
  return run.scenarios.find((s) => s.name === scenario)?.load?.p99Ms;
}

const fmtRows = (rows) => rows.toLocaleString('en-US');

/** @returns {Verdict} */
const verdict = (passed) => (passed ? 'PASS' : 'FAIL');
