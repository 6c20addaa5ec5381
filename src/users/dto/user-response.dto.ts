import { ApiProperty } from '@nestjs/swagger';
import type { UserRecord } from '../users.repository.js';

export class UserResponseDto {
  @ApiProperty({ type: 'integer', example: 42, minimum: 1 })
  readonly id: number;

  @ApiProperty({ example: 'Alice' })
  readonly name: string;

  @ApiProperty({ example: 'alice@mail.com', format: 'email' })
  readonly email: string;

  @ApiProperty({ example: '2026-11-24T10:00:00.000Z', format: 'date-time' })
  readonly createdAt: string;

  @ApiProperty({ example: '2026-11-24T10:00:00.000Z', format: 'date-time' })
  readonly updatedAt: string;
}

/** The only shape in which a user leaves the service: these fields, no others. */
export function toUserResponse(user: UserRecord): UserResponseDto {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}
