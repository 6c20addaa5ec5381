import {
  applyDecorators,
  type Type,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Patch,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CachedResource } from '../cache/cached-resource.decorator.js';
import { ApiKeyForWrites } from '../security/api-key-for-writes.decorator.js';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { ListUsersQueryDto } from './dto/list-users-query.dto.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import { UserPageDto } from './dto/user-page.dto.js';
import { UserResponseDto } from './dto/user-response.dto.js';
import { ApiIdempotencyKey, IdempotencyKey } from './idempotency-key.param.js';
import { ConditionalWrite, IfMatch } from './if-match.param.js';
import { NonEmptyBodyPipe } from './non-empty-body.pipe.js';
import { UserId } from './user-id.param.js';
import type {
  ExpectedVersions,
  IdempotentRequest,
} from './users.repository.js';
import { type Tagged, UsersService } from './users.service.js';

const ETAG_HEADER = {
  ETag: {
    description: 'Strong tag of this version of the user.',
    schema: { type: 'string', example: '"42"' },
  },
};

const ApiUpdateUser = (note: string) =>
  applyDecorators(
    ApiOperation({
      summary: 'Update a user',
      description: `Send any non-empty subset of \`name\` and \`email\`. ${note}`,
    }),
    ApiKeyForWrites(),
    ConditionalWrite(),
    ApiOkResponse({ type: UserResponseDto, headers: ETAG_HEADER }),
    ApiErrorResponses(400, 404, 409, 413, 415),
  );

/**
 * Reads are cached (`X-Cache: HIT|MISS`); `no-cache` asks for a fresh one;
 * `If-None-Match` revalidates.
 */
const ApiCachedRead = (type: Type, etag: string) => {
  const headers = {
    ETag: { description: etag, schema: { type: 'string' } },
    'X-Cache': {
      description: 'HIT: served from Redis; MISS: from PostgreSQL.',
      schema: { type: 'string', enum: ['HIT', 'MISS'] },
    },
  };
  return applyDecorators(
    ApiHeader({
      name: 'Cache-Control',
      required: false,
      description:
        '`no-cache` answers from PostgreSQL, bypassing the Redis cache, and refreshes it.',
      // No example: Swagger UI would send it with every "Try it out".
      schema: { type: 'string', enum: ['no-cache'] },
    }),
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description:
        'ETags the client holds (or `*`): 304 with no body when the current one ' +
        'matches (weak comparison).',
      schema: { type: 'string' },
    }),
    ApiOkResponse({ type, headers }),
    ApiNotModifiedResponse({
      description: 'The current ETag matches If-None-Match: no body.',
      headers,
    }),
  );
};

/** Sends the ETag of what the body shows, and the body. */
function withEtag<Body>(
  reply: FastifyReply,
  { body, etag }: Tagged<Body>,
): Body {
  void reply.header('etag', etag);
  return body;
}

@ApiTags('users')
@ApiErrorResponses(429, 503)
@CachedResource('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiKeyForWrites()
  @ApiIdempotencyKey()
  @ApiOperation({ summary: 'Create a user' })
  @ApiCreatedResponse({
    type: UserResponseDto,
    description:
      'Created; `Location` is the new user’s URL. With `Idempotent-Replayed: true`: ' +
      'the answer to an earlier request with the same Idempotency-Key and body.',
    headers: {
      Location: { schema: { type: 'string', example: '/users/42' } },
      ...ETAG_HEADER,
      'Idempotent-Replayed': {
        description: 'Present (`true`) only on a replayed answer.',
        schema: { type: 'string', enum: ['true'] },
      },
    },
  })
  @ApiErrorResponses(400, 409, 413, 415, 422)
  async create(
    @Body() body: CreateUserDto,
    @IdempotencyKey() idempotency: IdempotentRequest | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponseDto> {
    const created = await this.users.create(body, idempotency);
    void reply.header('location', `/users/${created.body.id}`);
    if (created.replayed) void reply.header('idempotent-replayed', 'true');
    return withEtag(reply, created);
  }

  @Get()
  @ApiCachedRead(
    UserPageDto,
    'Weak tag of this page: it changes when any user on it, or which users are on it, changes.',
  )
  @ApiOperation({
    summary: 'List users',
    description:
      'Keyset pagination in ascending id order: pass `meta.nextAfter` as `after` for the next page.',
  })
  @ApiErrorResponses(400)
  async list(
    @Query() query: ListUsersQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserPageDto> {
    return withEtag(reply, await this.users.list(query));
  }

  @Get(':id')
  @ApiCachedRead(UserResponseDto, 'Strong tag of this version of the user.')
  @ApiOperation({ summary: 'Get a user' })
  @ApiErrorResponses(400, 404)
  async findOne(
    @UserId() id: number,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponseDto> {
    return withEtag(reply, await this.users.findOne(id));
  }

  @Put(':id')
  @ApiUpdateUser('Same as PATCH: partial, as in the original API.')
  async replace(
    @UserId() id: number,
    @Body(NonEmptyBodyPipe) body: UpdateUserDto,
    @IfMatch() expected: ExpectedVersions,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponseDto> {
    return withEtag(reply, await this.users.update(id, body, expected));
  }

  @Patch(':id')
  @ApiUpdateUser('Same as PUT.')
  async update(
    @UserId() id: number,
    @Body(NonEmptyBodyPipe) body: UpdateUserDto,
    @IfMatch() expected: ExpectedVersions,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponseDto> {
    return withEtag(reply, await this.users.update(id, body, expected));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiKeyForWrites()
  @ConditionalWrite()
  @ApiOperation({ summary: 'Delete a user' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiErrorResponses(400, 404)
  async remove(
    @UserId() id: number,
    @IfMatch() expected: ExpectedVersions,
  ): Promise<void> {
    await this.users.remove(id, expected);
  }
}
