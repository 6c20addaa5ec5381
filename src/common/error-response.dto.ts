import { ApiProperty } from '@nestjs/swagger';

/** The one error body the service sends. */
export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 400 })
  readonly statusCode: number;

  @ApiProperty({ example: 'Bad Request', description: 'HTTP reason phrase.' })
  readonly error: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['email must be a valid e-mail address'],
  })
  readonly message: string | string[];
}
