import { mixOf } from './load/plans.mjs';
import { zipfIds } from './load/zipf.mjs';
import { deploymentMemoryLimit } from './memory-limit.mjs';
import { highWaterMarkMb, RssSampler, rssMb } from './rss.mjs';
import { startStaleReadChecker } from './stale-reads.mjs';

const MINUTE_S = 60;
const TIMELINE_INTERVAL_MS = 10_000;

/**
 * @typedef {import('./load/plans.mjs').LoadResult & { minute: number,
 *   seconds: number, rssMb: number }} SoakMinute one minute of load, and the
 *   service's RSS (all its processes) when it ended
 *
 * @typedef {object} SoakResult
 * @property {number} seconds
 * @property {SoakMinute[]} minutes
 * @property {{ atS: number, processMb: number, totalMb: number }[]} rss
 *   sampled every 10 s from the start
 * @property {{ processMb: number, totalMb: number }} peakRss sampled every 100 ms
 * @property {number} highWaterMarkMb the kernel's peak for the largest process
 * @property {ReturnType<typeof deploymentMemoryLimit>} memoryLimit what the
 *   peak is held to
 * @property {import('./stale-reads.mjs').StaleReadResult} staleReads
 */

/**
 * The mix for `seconds`, without warm-up (minute 1 is the warm-up; minute 2
 * the reference), as one load a minute so that each minute has its own
 * figures; the stale-read checker runs throughout.
 * @param {import('./service.mjs').Service} service
 * @param {{ first: number, count: number }} seeded
 * @param {{ seconds: number, settings: import('./load/plans.mjs').LoadSettings,
 *   driver: import('./load/driver.mjs').LoadDriver, root: string,
 *   progress: (line: string) => void }} soak
 * @returns {Promise<SoakResult>}
 */
export async function runSoak(
  service,
  seeded,
  { seconds, settings, driver, root, progress },
) {
  const ids = zipfIds(seeded);
  const startedAt = performance.now();
  const rss = [];
  const sample = () =>
    rss.push({
      atS: Math.round((performance.now() - startedAt) / 1000),
      ...rssMb(service.pid),
    });
  sample();
  const timeline = setInterval(sample, TIMELINE_INTERVAL_MS);
  const peaks = new RssSampler(service.pid);
  peaks.start();
  const checker = startStaleReadChecker(service.url, ids);
  const stop = async () => {
    clearInterval(timeline);
    const staleReads = await checker.stop();
    return { staleReads, peakRss: peaks.stop() };
  };
  const minutes = await loadByMinute(service, ids, {
    seconds,
    settings,
    driver,
    progress,
  }).catch(async (error) => {
    await stop();
    throw error;
  });
  const { staleReads, peakRss } = await stop();
  sample();
  return {
    seconds,
    minutes,
    rss,
    peakRss,
    highWaterMarkMb: highWaterMarkMb(service.pid),
    memoryLimit: deploymentMemoryLimit(root),
    staleReads,
  };
}

/** @returns {Promise<SoakMinute[]>} */
async function loadByMinute(
  service,
  ids,
  { seconds, settings, driver, progress },
) {
  const minutes = [];
  const count = Math.ceil(seconds / MINUTE_S);
  for (let minute = 1; minute <= count; minute++) {
    const duration = Math.min(MINUTE_S, seconds - (minute - 1) * MINUTE_S);
    // A plan a minute: its POSTs must not reuse the last one's addresses.
    const load = await driver.run(service.url, mixOf(ids), {
      ...settings,
      duration,
    });
    const { totalMb } = rssMb(service.pid);
    minutes.push({ minute, seconds: duration, ...load, rssMb: totalMb });
    progress(
      `soak minute ${minute}/${count}: ${Math.round(load.rps)} req/s, ` +
        `${load.socketErrors + load.non2xx} errors, RSS ${Math.round(totalMb)} MB`,
    );
  }
  return minutes;
}
