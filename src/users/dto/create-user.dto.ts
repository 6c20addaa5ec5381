import { EmailField, NameField } from './user-fields.js';

export class CreateUserDto {
  @NameField()
  readonly name: string;

  @EmailField({ required: true })
  readonly email: string;
}
