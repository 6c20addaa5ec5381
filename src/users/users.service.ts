import {
  ConflictException,
  HttpException,
  HttpStatus,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import {
  IDEMPOTENCY_KEY_IN_PROGRESS,
  IDEMPOTENCY_KEY_REUSED,
  PRECONDITION_FAILED,
  userNotFound,
} from '../common/error-messages.js';
import { AppConfig } from '../config/app-config.js';
import type { CreateUserDto } from './dto/create-user.dto.js';
import type { ListUsersQueryDto } from './dto/list-users-query.dto.js';
import type { UpdateUserDto } from './dto/update-user.dto.js';
import type { UserPageDto } from './dto/user-page.dto.js';
import {
  toUserResponse,
  type UserResponseDto,
} from './dto/user-response.dto.js';
import { EmailTakenError } from './email-taken.error.js';
import { pageEtag, userEtag } from './user-etags.js';
import {
  type ExpectedVersions,
  type IdempotentRequest,
  type Unchanged,
  type UserRecord,
  UsersRepository,
} from './users.repository.js';

/** A response body and the ETag of what it shows. */
export interface Tagged<Body> {
  readonly body: Body;
  readonly etag: string;
}

export interface CreatedUser extends Tagged<UserResponseDto> {
  /** The answer remembered for an Idempotency-Key, not a new user. */
  readonly replayed: boolean;
}

@Injectable()
export class UsersService {
  private readonly idempotencyTtlHours: number;

  constructor(
    private readonly users: UsersRepository,
    config: AppConfig,
  ) {
    this.idempotencyTtlHours = config.preconditions.idempotencyTtlHours;
  }

  /** With an Idempotency-Key, a retry of a create that succeeded answers it again. */
  async create(
    input: CreateUserDto,
    idempotency?: IdempotentRequest,
  ): Promise<CreatedUser> {
    if (idempotency === undefined) {
      const user = await this.users.insert(input).catch(rethrowConflict);
      return { ...tagged(user), replayed: false };
    }
    const result = await this.users
      .insertOnce(input, idempotency, this.idempotencyTtlHours)
      .catch(rethrowConflict);
    switch (result.outcome) {
      case 'mismatch':
        throw new UnprocessableEntityException(IDEMPOTENCY_KEY_REUSED);
      case 'in-progress':
        throw new ConflictException(IDEMPOTENCY_KEY_IN_PROGRESS);
      default:
        return {
          ...tagged(result.user),
          replayed: result.outcome === 'replayed',
        };
    }
  }

  async list({
    limit,
    after,
    email,
  }: ListUsersQueryDto): Promise<Tagged<UserPageDto>> {
    const { users, hasMore } = await this.users.findPage({
      limit,
      after,
      email,
    });
    const nextAfter = hasMore ? users[users.length - 1].id : null;
    return {
      body: { data: users.map(toUserResponse), meta: { limit, nextAfter } },
      etag: pageEtag(users, nextAfter),
    };
  }

  async findOne(id: number): Promise<Tagged<UserResponseDto>> {
    const user = await this.users.findById(id);
    if (!user) throw notFound(id);
    return tagged(user);
  }

  /** `expected`: the versions If-Match allows; undefined for any. */
  async update(
    id: number,
    changes: UpdateUserDto,
    expected?: ExpectedVersions,
  ): Promise<Tagged<UserResponseDto>> {
    const result = await this.users
      .updatePartial(id, changes, expected)
      .catch(rethrowConflict);
    if (typeof result === 'string') throw unchanged(id, result);
    return tagged(result);
  }

  async remove(id: number, expected?: ExpectedVersions): Promise<void> {
    const result = await this.users.deleteById(id, expected);
    if (result !== 'deleted') throw unchanged(id, result);
  }
}

function tagged(user: UserRecord): Tagged<UserResponseDto> {
  return { body: toUserResponse(user), etag: userEtag(user.version) };
}

function notFound(id: number): NotFoundException {
  return new NotFoundException(userNotFound(id));
}

function unchanged(id: number, why: Unchanged): HttpException {
  return why === 'not-found'
    ? notFound(id)
    : new HttpException(PRECONDITION_FAILED, HttpStatus.PRECONDITION_FAILED);
}

function rethrowConflict(error: unknown): never {
  throw error instanceof EmailTakenError
    ? new ConflictException(error.message)
    : error;
}
