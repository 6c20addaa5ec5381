import {
  ConflictException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { userNotFound } from '../common/error-messages.js';
import type { CreateUserDto } from './dto/create-user.dto.js';
import type { ListUsersQueryDto } from './dto/list-users-query.dto.js';
import type { UpdateUserDto } from './dto/update-user.dto.js';
import type { UserPageDto } from './dto/user-page.dto.js';
import {
  toUserResponse,
  type UserResponseDto,
} from './dto/user-response.dto.js';
import { EmailTakenError } from './email-taken.error.js';
import { UsersRepository } from './users.repository.js';

@Injectable()
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

  async create(input: CreateUserDto): Promise<UserResponseDto> {
    const user = await this.users.insert(input).catch(rethrowConflict);
    return toUserResponse(user);
  }

  async list({ limit, after, email }: ListUsersQueryDto): Promise<UserPageDto> {
    const { users, hasMore } = await this.users.findPage({
      limit,
      after,
      email,
    });
    return {
      data: users.map(toUserResponse),
      meta: { limit, nextAfter: hasMore ? users[users.length - 1].id : null },
    };
  }

  async findOne(id: number): Promise<UserResponseDto> {
    const user = await this.users.findById(id);
    if (!user) throw notFound(id);
    return toUserResponse(user);
  }

  async update(id: number, changes: UpdateUserDto): Promise<UserResponseDto> {
    const user = await this.users
      .updatePartial(id, changes)
      .catch(rethrowConflict);
    if (!user) throw notFound(id);
    return toUserResponse(user);
  }

  async remove(id: number): Promise<void> {
    if (!(await this.users.deleteById(id))) throw notFound(id);
  }
}

function notFound(id: number): NotFoundException {
  return new NotFoundException(userNotFound(id));
}

function rethrowConflict(error: unknown): never {
  throw error instanceof EmailTakenError
    ? new ConflictException(error.message)
    : error;
}
