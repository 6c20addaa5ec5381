import { ApiProperty } from '@nestjs/swagger';
import { UserResponseDto } from './user-response.dto.js';

export class PageMetaDto {
  @ApiProperty({ type: 'integer', example: 20 })
  readonly limit: number;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 42,
    description:
      'Pass as `after` to get the next page; null when there is no further page.',
  })
  readonly nextAfter: number | null;
}

export class UserPageDto {
  @ApiProperty({ type: [UserResponseDto] })
  readonly data: UserResponseDto[];

  @ApiProperty()
  readonly meta: PageMetaDto;
}
