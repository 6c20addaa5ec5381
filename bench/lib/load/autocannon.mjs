import autocannon from 'autocannon';
import { createRequire } from 'node:module';
import { drawId } from './zipf.mjs';

export const autocannonVersion = createRequire(import.meta.url)(
  'autocannon/package.json',
).version;

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * The fallback when wrk is not installed. It runs in this process on one
 * thread (`threads` is ignored), so it saturates sooner than wrk: compare
 * ratios only between runs made with the same driver.
 * @param {string} baseUrl
 * @param {import('./plans.mjs').RequestPlan} plan
 * @param {import('./plans.mjs').LoadSettings} settings
 * @returns {Promise<import('./plans.mjs').LoadResult>}
 */
export async function runAutocannon(baseUrl, plan, { duration, connections }) {
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration,
    requests: [requestFor(plan)],
  });
  return {
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    socketErrors: result.errors,
    // As wrk counts them: from 400 up (a 304 is a success).
    non2xx: Object.entries(result.statusCodeStats)
      .filter(([status]) => Number(status) >= 400)
      .reduce((sum, [, { count }]) => sum + count, 0),
  };
}

function requestFor(plan) {
  let n = 0;
  const nextId = () => plan.first + (n++ % plan.count);
  switch (plan.kind) {
    case 'fixed':
      return { method: 'GET', path: plan.path, headers: plan.headers };
    case 'get-ids':
      return {
        setupRequest: (request) => ({
          ...request,
          method: 'GET',
          path: plan.path + nextId(),
          headers: plan.headers,
        }),
      };
    case 'post-users':
      return {
        setupRequest: (request) => {
          n += 1;
          return {
            ...request,
            method: 'POST',
            path: '/users',
            headers: plan.idempotencyKeys
              ? { ...JSON_HEADERS, 'idempotency-key': `${plan.token}-${n}` }
              : JSON_HEADERS,
            body: JSON.stringify({
              name: `Bench User ${n}`,
              email: `${plan.token}-${n}@bench.example`,
            }),
          };
        },
      };
    case 'put-users':
      return {
        setupRequest: (request) => ({
          ...request,
          method: 'PUT',
          path: `/users/${nextId()}`,
          headers: JSON_HEADERS,
          body: JSON.stringify({ name: `Bench Rename ${n}` }),
        }),
      };
    case 'mix':
      return {
        setupRequest: (request) => ({ ...request, ...mixRequest(plan, ++n) }),
      };
  }
}

/** The n-th request of the mix, drawn as bench/wrk/mix.lua draws it. */
function mixRequest({ ids, token, pagePath, shares }, n) {
  const draw = Math.floor(Math.random() * 1000);
  if (draw < shares.getById) {
    return { method: 'GET', path: `/users/${drawId(ids)}`, headers: {} };
  }
  if (draw < shares.getById + shares.firstPage) {
    return { method: 'GET', path: pagePath, headers: {} };
  }
  const unique = `${token}-${n}`;
  if (draw < shares.getById + shares.firstPage + shares.put) {
    return {
      method: 'PUT',
      path: `/users/${drawId(ids)}`,
      headers: JSON_HEADERS,
      body: JSON.stringify({ name: `Bench Mix ${unique}` }),
    };
  }
  return {
    method: 'POST',
    path: '/users',
    headers: JSON_HEADERS,
    body: JSON.stringify({
      name: `Bench Mix ${n}`,
      email: `${unique}@bench.example`,
    }),
  };
}
