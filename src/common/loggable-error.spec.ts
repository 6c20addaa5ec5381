import { QueryFailedError } from 'typeorm';
import { loggableError } from './loggable-error.js';

const ADDRESS = 'alice@mail.com';

/** What node-postgres raises when a row breaks a constraint. */
function pgNotNullViolation(): Error {
  return Object.assign(
    new Error(
      'null value in column "name" of relation "users" violates not-null constraint',
    ),
    {
      name: 'error',
      code: '23502',
      severity: 'ERROR',
      detail: `Failing row contains (7, null, ${ADDRESS}, 2025-01-01).`,
      where: `SQL statement "INSERT INTO users VALUES (7, null, '${ADDRESS}')"`,
      schema: 'public',
      table: 'users',
      column: 'name',
    },
  );
}

describe('loggableError', () => {
  it('keeps the type, message, code and stack of a pg error', () => {
    const error = pgNotNullViolation();
    expect(loggableError(error)).toEqual({
      type: 'error',
      message: error.message,
      code: '23502',
      stack: error.stack,
    });
  });

  it.each([
    ['a pg error', pgNotNullViolation()],
    [
      'TypeORM’s wrapper, which copies the driver’s fields and adds the parameters',
      new QueryFailedError(
        'INSERT INTO users (name, email) VALUES ($1, $2)',
        [null, ADDRESS],
        pgNotNullViolation(),
      ),
    ],
  ])('leaves out the detail, context and parameters of %s', (_, error) => {
    const logged = JSON.stringify(loggableError(error));
    expect(logged).not.toContain(ADDRESS);
    expect(logged).not.toMatch(/Failing row|detail|where|parameters/);
  });

  it('names only the type of a thrown value that is not an Error', () => {
    expect(loggableError(`INSERT ${ADDRESS}`)).toEqual({ type: 'string' });
    expect(loggableError({ email: ADDRESS })).toEqual({ type: 'object' });
  });

  it('leaves out a code that is not a string', () => {
    expect(loggableError(Object.assign(new Error('x'), { code: 42 }))).toEqual({
      type: 'Error',
      message: 'x',
      stack: expect.any(String),
    });
  });
});
