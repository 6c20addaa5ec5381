import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from './error-response.dto.js';

const DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Invalid input: `message` names the offending field(s).',
  401: 'Missing or wrong API key (only while `API_KEY` is set).',
  404: 'No user with this id.',
  409: 'The e-mail address is already used by another user.',
  413: 'Request body larger than 100 kB.',
  415: 'Content type is not application/json.',
  429: 'Rate limit exceeded; see `Retry-After`.',
  503: 'PostgreSQL is unreachable; retry later.',
};

/** Documents error responses, all in the one error shape. */
export const ApiErrorResponses = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status],
        type: ErrorResponseDto,
      }),
    ),
  );
