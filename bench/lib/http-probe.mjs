import { request } from 'node:http';

/**
 * @typedef {{ status: number, cache: string | null, etag: string | null, body: string }} Reply
 */

/**
 * One request outside the measured load, to check what a scenario is about
 * to hit. node:http rather than fetch: fetch loads undici on first use, which
 * would show up in the start-to-ready time.
 * @returns {Promise<Reply | null>} null when nothing answers (yet).
 */
export function probe(url, headers = {}) {
  return send(url, { headers });
}

/**
 * @param {string} url
 * @param {{ method?: string, headers?: Record<string, string>, body?: string,
 *   agent?: import('node:http').Agent | false, timeoutMs?: number }} [options]
 *   no agent: a connection of its own, closed after the reply
 * @returns {Promise<Reply | null>} null when nothing answers in time.
 */
export function send(
  url,
  { method = 'GET', headers = {}, body, agent = false, timeoutMs = 2000 } = {},
) {
  return new Promise((resolve) => {
    const options = { method, agent, timeout: timeoutMs, headers };
    const outgoing = request(url, options, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('error', () => resolve(null));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          cache: headerValue(response.headers['x-cache']),
          etag: headerValue(response.headers.etag),
          body: text,
        }),
      );
    });
    outgoing.on('timeout', () => outgoing.destroy());
    outgoing.on('error', () => resolve(null));
    outgoing.end(body);
  });
}

function headerValue(value) {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
