import {
  BadRequestException,
  createParamDecorator,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { MAX_USER_ID } from './user.entity.js';

/**
 * The id in the canonical spelling of an integer PostgreSQL can hold
 * (1 to 2^31-1, no sign, no leading zero, no spaces), else undefined.
 * One spelling per user keeps cache keys and invalidation in step.
 */
export function parseUserId(raw: string): number | undefined {
  if (!/^[1-9]\d{0,9}$/.test(raw)) return undefined;
  const id = Number(raw);
  return id <= MAX_USER_ID ? id : undefined;
}

/**
 * The `:id` route parameter as a user id, or 400.
 * Reads the raw parameter: the global ValidationPipe would otherwise turn
 * "01" or "1 " into 1 before any check could see them.
 */
export const UserId = createParamDecorator(
  (_data: unknown, context: ExecutionContext): number => {
    const { id } = context
      .switchToHttp()
      .getRequest<FastifyRequest<{ Params: { id: string } }>>().params;
    const userId = parseUserId(id);
    if (userId === undefined) {
      throw new BadRequestException(
        `id must be an integer from 1 to ${MAX_USER_ID}`,
      );
    }
    return userId;
  },
  [
    (target: object, key: string | symbol | undefined) =>
      ApiParam({
        name: 'id',
        schema: { type: 'integer', minimum: 1, maximum: MAX_USER_ID },
        example: 1,
      })(target, key!, Object.getOwnPropertyDescriptor(target, key!)!),
  ],
);
