import { STATUS_CODES } from 'node:http';
import type { Reply } from './http.js';

/**
 * Asserts the one error body of docs/API.md, exactly `{statusCode, error, message}`
 * with the reason phrase of `status`, sent as JSON; returns its messages.
 */
export function expectErrorReply(reply: Reply, status: number): string[] {
  // Compared with the text so that a failure shows what came back instead.
  expect({ status: reply.status, text: reply.text }).toEqual({
    status,
    text: expect.any(String),
  });
  expect(reply.headers.get('content-type')).toBe(
    'application/json; charset=utf-8',
  );
  expect(reply.body).toEqual({
    statusCode: status,
    error: STATUS_CODES[status],
    message: expect.anything(),
  });
  const { message } = reply.body as { message: unknown };
  const messages = Array.isArray(message) ? message : [message];
  expect(messages.length).toBeGreaterThan(0);
  for (const text of messages) {
    expect(typeof text).toBe('string');
    expect(text).not.toBe('');
  }
  return messages as string[];
}

const word = (name: string) =>
  new RegExp(`(^|[^\\w])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);

/** Asserts a 400 whose message names each of `fields`, and none of `others`. */
export function expectBadRequestNaming(
  reply: Reply,
  fields: readonly string[],
  others: readonly string[] = [],
): void {
  const message = expectErrorReply(reply, 400).join('\n');
  for (const field of fields) expect(message).toMatch(word(field));
  for (const field of others) expect(message).not.toMatch(word(field));
}

/**
 * What must never reach a client: driver, socket and SQL text, health check
 * internals (timeouts, response times), stack frames and file names.
 */
const INTERNALS =
  /ECONN|EPIPE|ETIMEDOUT|Connection terminated|timeout|Socket|responseTime|relation|SELECT|INSERT|UPDATE|DELETE FROM|syntax|violates|constraint|pg_|postgres|typeorm|\bat \S+ \(|\.[jt]s:/i;

export function expectNoInternals(text: string): void {
  expect(text).not.toMatch(INTERNALS);
}
