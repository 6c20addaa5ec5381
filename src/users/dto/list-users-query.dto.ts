import { MAX_USER_ID } from '../user.entity.js';
import { EmailField, IntegerQueryField } from './user-fields.js';

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

export class ListUsersQueryDto {
  @IntegerQueryField(1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, 'Page size.')
  readonly limit: number = DEFAULT_PAGE_SIZE;

  @IntegerQueryField(
    0,
    MAX_USER_ID,
    0,
    'Return users whose id is greater than this: the `nextAfter` of the previous page.',
  )
  readonly after: number = 0;

  @EmailField({ required: false })
  readonly email?: string;
}
