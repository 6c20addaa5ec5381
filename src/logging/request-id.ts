import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const WELL_FORMED = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The request's id: the client's `X-Request-Id` when it is well-formed
 * (1-128 characters of A-Za-z0-9._-), so a trace can span services;
 * otherwise a fresh UUID, so nothing a client sends reaches a log unchecked.
 */
export function requestIdOf(request: { headers: IncomingHttpHeaders }): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && WELL_FORMED.test(given)
    ? given
    : randomUUID();
}
