import { ApiSchema, PartialType } from '@nestjs/swagger';
import { CreateUserDto } from './create-user.dto.js';

/**
 * Any non-empty subset of a user's fields: PUT and PATCH are both partial.
 * An absent field is left alone; an explicit null is rejected.
 */
@ApiSchema({ description: 'At least one of `name` and `email`.' })
export class UpdateUserDto extends PartialType(CreateUserDto, {
  skipNullProperties: false,
}) {}
