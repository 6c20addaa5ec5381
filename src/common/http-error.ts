import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { isDatabaseUnavailable } from '../database/database-errors.js';
import {
  DATABASE_UNAVAILABLE,
  INTERNAL_ERROR,
  UNSUPPORTED_MEDIA_TYPE,
} from './error-messages.js';

export interface HttpErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly message: string | string[];
}

/** The error body for a status, with its reason phrase. */
export function httpErrorBody(
  statusCode: number,
  message: string | string[],
): HttpErrorBody {
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
    return httpErrorBody(
      status,
      status === 415 ? UNSUPPORTED_MEDIA_TYPE : message,
    );
  }
  if (isDatabaseUnavailable(exception)) {
    return httpErrorBody(503, DATABASE_UNAVAILABLE);
  }
  return httpErrorBody(500, INTERNAL_ERROR);
}
