import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { errorCodes } from 'fastify';
import {
  API_KEY_REQUIRED,
  DATABASE_UNAVAILABLE,
  EMAIL_TAKEN,
  IDEMPOTENCY_KEY_REUSED,
  INVALID_EMAIL,
  PRECONDITION_FAILED,
  PRECONDITION_REQUIRED,
  RATE_LIMIT_EXCEEDED,
  UNSUPPORTED_MEDIA_TYPE,
  userNotFound,
} from './error-messages.js';
import { ErrorResponseDto } from './error-response.dto.js';
import { httpErrorBody } from './http-error.js';

const ERRORS: Readonly<
  Record<number, { description: string; message: string | string[] }>
> = {
  400: {
    description: 'Invalid input: `message` names the offending field(s).',
    message: [INVALID_EMAIL],
  },
  401: {
    description: 'Missing or wrong API key (only while `API_KEY` is set).',
    message: API_KEY_REQUIRED,
  },
  404: { description: 'No user with this id.', message: userNotFound(42) },
  409: {
    description:
      'The e-mail address is already used by another user; on POST also: a request ' +
      'with the same Idempotency-Key is still being processed (retry later).',
    message: EMAIL_TAKEN,
  },
  412: {
    description:
      'If-Match does not match the user’s current ETag: nothing was written.',
    message: PRECONDITION_FAILED,
  },
  413: {
    description: 'Request body larger than 100 kB.',
    // Fastify refuses the body itself, with its own message.
    message: new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE().message,
  },
  415: {
    description: 'Content type is not application/json.',
    message: UNSUPPORTED_MEDIA_TYPE,
  },
  422: {
    description:
      'The Idempotency-Key was already used with a different body: nothing was written.',
    message: IDEMPOTENCY_KEY_REUSED,
  },
  428: {
    description: 'If-Match is missing while `REQUIRE_IF_MATCH=true`.',
    message: PRECONDITION_REQUIRED,
  },
  429: {
    description: 'Rate limit exceeded; see `Retry-After`.',
    message: RATE_LIMIT_EXCEEDED,
  },
  503: {
    description: 'PostgreSQL is unreachable; retry later.',
    message: DATABASE_UNAVAILABLE,
  },
};

/** Documents error responses, all in the one error shape, each with its own example. */
export const ApiErrorResponses = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: ERRORS[status].description,
        type: ErrorResponseDto,
        example: httpErrorBody(status, ERRORS[status].message),
      }),
    ),
  );
