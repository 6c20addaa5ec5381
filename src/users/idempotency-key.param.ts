import {
  applyDecorators,
  BadRequestException,
  createParamDecorator,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { INVALID_IDEMPOTENCY_KEY } from '../common/error-messages.js';
import type { IdempotentRequest } from './users.repository.js';

// 1-255 characters from "!" to "~".
const KEY = /^[\x21-\x7e]{1,255}$/;
// A structured-field string (the IETF draft's form): printable ASCII with \" and \\ escaped.
const QUOTED = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;

/**
 * The key an Idempotency-Key header value names, or undefined when it is not
 * one: `abc` and `"abc"` both name `abc`.
 */
export function parseIdempotencyKey(value: string): string | undefined {
  const quoted = QUOTED.exec(value);
  const key = quoted ? quoted[1].replace(/\\(["\\])/g, '$1') : value;
  return KEY.test(key) ? key : undefined;
}

/**
 * The same JSON value gives the same fingerprint: object keys are sorted at
 * every depth and nothing else is normalised, so whitespace and key order do
 * not count, and values are compared as sent (before trimming or
 * lower-casing).
 */
export function bodyFingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.keys(value)
      .sort()
      .map(
        (key) =>
          `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
      );
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The request's Idempotency-Key with the fingerprint of its body; undefined
 * without the header; 400 for a value that is not a key.
 */
export const IdempotencyKey = createParamDecorator(
  (
    _data: unknown,
    context: ExecutionContext,
  ): IdempotentRequest | undefined => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers['idempotency-key'];
    if (header === undefined) return undefined;
    const key =
      typeof header === 'string' ? parseIdempotencyKey(header) : undefined;
    if (key === undefined)
      throw new BadRequestException(INVALID_IDEMPOTENCY_KEY);
    return { key, fingerprint: bodyFingerprint(request.body) };
  },
);

export const ApiIdempotencyKey = () =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Makes a retry safe: the same key with the same body answers the first ' +
        'request’s 201 again (`Idempotent-Replayed: true`), on any replica, for ' +
        '`IDEMPOTENCY_TTL_HOURS`. 1-255 visible ASCII characters; `"abc"` is the key `abc`.',
      schema: { type: 'string', example: 'create-alice-7f3c' },
    }),
  );
