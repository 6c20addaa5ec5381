import { get } from 'node:http';

/**
 * One request outside the measured load, to check what a scenario is about
 * to hit. node:http rather than fetch: fetch loads undici on first use, which
 * would show up in the start-to-ready time.
 * @returns {Promise<{ status: number, cache: string | null, etag: string | null } | null>}
 *   null when nothing answers (yet).
 */
export function probe(url, headers = {}) {
  return new Promise((resolve) => {
    const options = { agent: false, timeout: 2000, headers };
    const request = get(url, options, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          cache: headerValue(response.headers['x-cache']),
          etag: headerValue(response.headers.etag),
        }),
      );
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(null));
  });
}

function headerValue(value) {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
