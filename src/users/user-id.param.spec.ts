import { MAX_USER_ID } from './user.entity.js';
import { parseUserId } from './user-id.param.js';

describe('parseUserId', () => {
  it.each([
    ['1', 1],
    ['42', 42],
    ['1000000000', 1_000_000_000],
    ['2147483647', MAX_USER_ID],
  ])('reads %s as %i', (raw, id) => {
    expect(parseUserId(raw)).toBe(id);
  });

  it.each([
    ['empty', ''],
    ['zero', '0'],
    ['negative', '-1'],
    ['signed', '+1'],
    ['leading zero', '01'],
    ['zeros only', '00'],
    ['a fraction', '1.5'],
    ['a trailing point', '1.'],
    ['an exponent', '1e3'],
    ['hexadecimal', '0x1'],
    ['a leading space', ' 1'],
    ['a trailing space', '1 '],
    ['a trailing newline', '1\n'],
    ['letters', 'abc'],
    ['digits then letters', '12abc'],
    ['beyond 2^31-1', '2147483648'],
    ['ten digits beyond the range', '9999999999'],
    ['eleven digits', '10000000000'],
    ['beyond a safe integer', '99999999999999999999'],
    ['fullwidth digits', '１２'],
    ['Arabic-Indic digits', '١٢'],
  ])('rejects %s (%j)', (_, raw) => {
    expect(parseUserId(raw)).toBeUndefined();
  });
});
