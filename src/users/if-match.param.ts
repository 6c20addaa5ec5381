import {
  applyDecorators,
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { strongTagsOf } from '../common/entity-tags.js';
import { PRECONDITION_REQUIRED } from '../common/error-messages.js';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { AppConfig } from '../config/app-config.js';
import { versionsNamedBy } from './user-etags.js';
import type { ExpectedVersions } from './users.repository.js';

const ifMatchOf = (context: ExecutionContext) =>
  context.switchToHttp().getRequest<FastifyRequest>().headers['if-match'];

/**
 * The versions a write's If-Match allows: undefined without the header or
 * for `*` (any version: the user must exist, as for any write); otherwise
 * the versions its strong tags name, none if it names none.
 */
export const IfMatch = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ExpectedVersions => {
    const header = ifMatchOf(context);
    if (header === undefined) return undefined;
    const tags = strongTagsOf(header);
    return tags === '*' ? undefined : versionsNamedBy(tags);
  },
);

/**
 * 428 for a write without If-Match while `REQUIRE_IF_MATCH=true`. A guard,
 * so it runs after the rate limit and the API key and before the body is
 * read or the user looked up.
 */
@Injectable()
export class IfMatchRequiredGuard implements CanActivate {
  private readonly required: boolean;

  constructor(config: AppConfig) {
    this.required = config.preconditions.requireIfMatch;
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.required && ifMatchOf(context) === undefined) {
      throw new HttpException(
        PRECONDITION_REQUIRED,
        HttpStatus.PRECONDITION_REQUIRED,
      );
    }
    return true;
  }
}

/** A write that takes If-Match: the guard and its documentation. */
export const ConditionalWrite = () =>
  applyDecorators(
    UseGuards(IfMatchRequiredGuard),
    ApiHeader({
      name: 'If-Match',
      required: false,
      description:
        'Write only if the user’s current ETag is one of these (strong comparison), ' +
        'or `*` for any; else 412 and nothing is written. Required (else 428) while ' +
        '`REQUIRE_IF_MATCH=true`.',
      schema: { type: 'string', example: '"42"' },
    }),
    ApiErrorResponses(412, 428),
  );
