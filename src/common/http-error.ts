import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { isDatabaseUnavailable } from '../database/database-errors.js';

export interface HttpErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly message: string | string[];
}

function body(statusCode: number, message: string | string[]): HttpErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/**
 * Turns anything thrown while serving a request into the one error body.
 * Only HTTP exceptions carry their message to the client (Nest maps Fastify's
 * own 4xx errors, such as a malformed or oversized body, to those); everything
 * else gets a fixed message, so no stack trace, SQL or driver text leaks.
 */
export function toHttpError(exception: unknown): HttpErrorBody {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : ((response as { message?: string | string[] }).message ??
          exception.message);
    return body(
      status,
      status === 415 ? 'content type must be application/json' : message,
    );
  }
  if (isDatabaseUnavailable(exception)) {
    return body(503, 'database unavailable, retry later');
  }
  return body(500, 'internal server error');
}
