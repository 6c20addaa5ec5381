import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ErrorResponseDto } from './error-response.dto.js';

const ERRORS: Readonly<
  Record<number, { description: string; message: string | string[] }>
> = {
  400: {
    description: 'Invalid input: `message` names the offending field(s).',
    message: ['email must be a valid e-mail address'],
  },
  401: {
    description: 'Missing or wrong API key (only while `API_KEY` is set).',
    message:
      'a valid API key is required for writes (Authorization: Bearer <key> or X-API-Key)',
  },
  404: { description: 'No user with this id.', message: 'user 42 not found' },
  409: {
    description: 'The e-mail address is already used by another user.',
    message: 'email is already in use',
  },
  413: {
    description: 'Request body larger than 100 kB.',
    message: 'Request body is too large',
  },
  415: {
    description: 'Content type is not application/json.',
    message: 'content type must be application/json',
  },
  429: {
    description: 'Rate limit exceeded; see `Retry-After`.',
    message: 'rate limit exceeded, retry after the time in Retry-After',
  },
  503: {
    description: 'PostgreSQL is unreachable; retry later.',
    message: 'database unavailable, retry later',
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
        example: {
          statusCode: status,
          error: STATUS_CODES[status],
          message: ERRORS[status].message,
        },
      }),
    ),
  );
