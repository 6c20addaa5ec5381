import { Agent } from 'node:http';
import { send, sleep } from './http-probe.mjs';
import { idOfRank } from './load/zipf.mjs';

// The hottest users of the mix: the ones the cache is most likely to hold
// when they are written.
const RESERVED_RANKS = 8;
// At most 20 checks (80 requests) a second: enough to catch a race many
// times over, few enough to leave the measured load what it was.
const CHECK_INTERVAL_MS = 50;
const REQUEST_TIMEOUT_MS = 5000;
const EXAMPLES_KEPT = 5;
const JSON_TYPE = { 'content-type': 'application/json' };

/**
 * @typedef {object} StaleReadResult
 * @property {number} checks writes whose reads were all judged
 * @property {number} seconds how long the checker ran
 * @property {number} stale reads older than a write already acknowledged,
 *   and 304s to the tag from before it
 * @property {number} errors requests that failed or answered another status
 * @property {string[]} examples the first stale reads and errors, described
 */

/**
 * While the mix runs, writes the hottest users one at a time and reads each
 * back at once, as a client would after its PATCH was acknowledged: a plain
 * GET (the cache may answer it) must show that write or a newer one (versions
 * come from one increasing sequence), and a GET with If-None-Match carrying
 * the tag from before the write must be a 200, not a 304.
 * @param {string} url the service
 * @param {import('./load/zipf.mjs').ZipfIds} ids the mix's ids
 * @returns {{ stop: () => Promise<StaleReadResult> }}
 */
export function startStaleReadChecker(url, ids) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const reserved = Array.from(
    { length: Math.min(RESERVED_RANKS, ids.count) },
    (_, rank) => idOfRank(ids, rank + 1),
  );
  const token = `${process.pid}-${Date.now()}`;
  const result = { checks: 0, seconds: 0, stale: 0, errors: 0, examples: [] };
  const startedAt = performance.now();
  const stopping = new AbortController();
  const loop = (async () => {
    for (let n = 0; !stopping.signal.aborted; n++) {
      const checkStartedAt = performance.now();
      const id = reserved[n % reserved.length];
      const problems = await checkOnce(
        `${url}/users/${id}`,
        `Stale Check ${token}-${n}`,
        agent,
      );
      if (!problems.some(({ kind }) => kind === 'errors')) result.checks += 1;
      for (const { kind, what } of problems) {
        result[kind] += 1;
        if (result.examples.length < EXAMPLES_KEPT) {
          result.examples.push(`user ${id}: ${what}`);
        }
      }
      await sleep(CHECK_INTERVAL_MS - (performance.now() - checkStartedAt));
    }
  })();
  return {
    stop: async () => {
      stopping.abort();
      await loop;
      result.seconds = (performance.now() - startedAt) / 1000;
      agent.destroy();
      return result;
    },
  };
}

/**
 * One write and its two reads.
 * @returns {Promise<{ kind: 'stale' | 'errors', what: string }[]>} none when
 *   both reads saw the write
 */
async function checkOnce(userUrl, name, agent) {
  const request = (options = {}) =>
    send(userUrl, { agent, timeoutMs: REQUEST_TIMEOUT_MS, ...options });
  const before = await request();
  if (before?.status !== 200 || !before.etag) {
    return [{ kind: 'errors', what: `GET answered ${describe(before)}` }];
  }
  const written = await request({
    method: 'PATCH',
    headers: JSON_TYPE,
    body: JSON.stringify({ name }),
  });
  const acknowledged = versionOf(written?.etag);
  if (written?.status !== 200 || acknowledged === null) {
    return [{ kind: 'errors', what: `PATCH answered ${describe(written)}` }];
  }
  const reads = [
    ['GET', await request()],
    [
      `GET with If-None-Match: ${before.etag}`,
      await request({ headers: { 'if-none-match': before.etag } }),
    ],
  ];
  return reads.flatMap(([label, reply]) => {
    const problem = judge(reply, acknowledged, name);
    if (!problem) return [];
    const what = `${label}, after the PATCH acknowledged version ${acknowledged}: ${problem.what}`;
    return [{ kind: problem.kind, what }];
  });
}

/** Whether a read after the write shows it, or a newer one. */
function judge(reply, acknowledged, name) {
  if (reply?.status === 304) {
    return {
      kind: 'stale',
      what: '304: the tag from before the write still matched',
    };
  }
  const version = versionOf(reply?.etag);
  if (reply?.status !== 200 || version === null) {
    return { kind: 'errors', what: `answered ${describe(reply)}` };
  }
  if (version < acknowledged) {
    return { kind: 'stale', what: `version ${version}, older` };
  }
  if (version === acknowledged && nameIn(reply.body) !== name) {
    return { kind: 'stale', what: `version ${version} with another name` };
  }
  return undefined;
}

function nameIn(body) {
  try {
    return JSON.parse(body).name;
  } catch {
    return undefined;
  }
}

/** A strong tag is the user's version: `"1042"`. */
function versionOf(etag) {
  const digits = /^"(\d+)"$/.exec(etag ?? '')?.[1];
  return digits === undefined ? null : BigInt(digits);
}

function describe(reply) {
  if (!reply) return 'nothing (no connection or timed out)';
  return `${reply.status}${reply.etag ? ` with ETag ${reply.etag}` : ' without an ETag'}`;
}
