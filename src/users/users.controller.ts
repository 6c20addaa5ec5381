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
import { NonEmptyBodyPipe } from './non-empty-body.pipe.js';
import { UserId } from './user-id.param.js';
import { UsersService } from './users.service.js';

const ApiUpdateUser = (note: string) =>
  applyDecorators(
    ApiOperation({
      summary: 'Update a user',
      description: `Send any non-empty subset of \`name\` and \`email\`. ${note}`,
    }),
    ApiKeyForWrites(),
    ApiOkResponse({ type: UserResponseDto }),
    ApiErrorResponses(400, 404, 409, 413, 415),
  );

/** Reads are cached (`X-Cache: HIT|MISS`); `no-cache` asks for a fresh one. */
const ApiCachedRead = (type: Type) =>
  applyDecorators(
    ApiHeader({
      name: 'Cache-Control',
      required: false,
      description:
        '`no-cache` answers from PostgreSQL, bypassing the Redis cache, and refreshes it.',
      // No example: Swagger UI would send it with every "Try it out".
      schema: { type: 'string', enum: ['no-cache'] },
    }),
    ApiOkResponse({
      type,
      headers: {
        'X-Cache': {
          description: 'HIT: served from Redis; MISS: from PostgreSQL.',
          schema: { type: 'string', enum: ['HIT', 'MISS'] },
        },
      },
    }),
  );

@ApiTags('users')
@ApiErrorResponses(429, 503)
@CachedResource('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiKeyForWrites()
  @ApiOperation({ summary: 'Create a user' })
  @ApiCreatedResponse({
    type: UserResponseDto,
    description: 'Created; `Location` is the new user’s URL.',
    headers: { Location: { schema: { type: 'string', example: '/users/42' } } },
  })
  @ApiErrorResponses(400, 409, 413, 415)
  async create(
    @Body() body: CreateUserDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponseDto> {
    const user = await this.users.create(body);
    void reply.header('location', `/users/${user.id}`);
    return user;
  }

  @Get()
  @ApiCachedRead(UserPageDto)
  @ApiOperation({
    summary: 'List users',
    description:
      'Keyset pagination in ascending id order: pass `meta.nextAfter` as `after` for the next page.',
  })
  @ApiErrorResponses(400)
  list(@Query() query: ListUsersQueryDto): Promise<UserPageDto> {
    return this.users.list(query);
  }

  @Get(':id')
  @ApiCachedRead(UserResponseDto)
  @ApiOperation({ summary: 'Get a user' })
  @ApiErrorResponses(400, 404)
  findOne(@UserId() id: number): Promise<UserResponseDto> {
    return this.users.findOne(id);
  }

  @Put(':id')
  @ApiUpdateUser('Same as PATCH: partial, as in the original API.')
  replace(
    @UserId() id: number,
    @Body(NonEmptyBodyPipe) body: UpdateUserDto,
  ): Promise<UserResponseDto> {
    return this.users.update(id, body);
  }

  @Patch(':id')
  @ApiUpdateUser('Same as PUT.')
  update(
    @UserId() id: number,
    @Body(NonEmptyBodyPipe) body: UpdateUserDto,
  ): Promise<UserResponseDto> {
    return this.users.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiKeyForWrites()
  @ApiOperation({ summary: 'Delete a user' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiErrorResponses(400, 404)
  async remove(@UserId() id: number): Promise<void> {
    await this.users.remove(id);
  }
}
