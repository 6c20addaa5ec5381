import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-errors.js';

const withCode = (code: string, message = 'failed') =>
  Object.assign(new Error(message), { code });

const wrap = (driverError: Error) =>
  new QueryFailedError('SELECT 1', [], driverError);

describe('isDatabaseUnavailable', () => {
  it.each([
    ['57P01', 'admin shutdown'],
    ['57P02', 'crash shutdown'],
    ['57P03', 'cannot connect now (starting up)'],
    ['53300', 'too many connections'],
    ['57014', 'statement timeout (query canceled)'],
    ['08000', 'connection exception'],
    ['08001', 'unable to establish a connection'],
    ['08003', 'connection does not exist'],
    ['08006', 'connection failure'],
  ])('is true for SQLSTATE %s (%s)', (code) => {
    expect(isDatabaseUnavailable(withCode(code))).toBe(true);
  });

  it.each([
    ['23505', 'unique violation'],
    ['23502', 'not-null violation'],
    ['22001', 'value too long'],
    ['22P02', 'invalid text representation'],
    ['42P01', 'undefined table'],
    ['42703', 'undefined column'],
    ['42501', 'insufficient privilege'],
    ['42601', 'syntax error'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock'],
    ['28P01', 'wrong password'],
    ['3D000', 'database does not exist'],
  ])('is false for SQLSTATE %s (%s): a retry would not help', (code) => {
    expect(isDatabaseUnavailable(withCode(code))).toBe(false);
  });

  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ENOTFOUND',
    'EAI_AGAIN',
  ])('is true for the network error %s', (code) => {
    expect(isDatabaseUnavailable(withCode(code, `connect ${code}`))).toBe(true);
  });

  it('is true for the AggregateError Node raises when every address refuses', () => {
    const error = Object.assign(
      new AggregateError(
        [withCode('ECONNREFUSED'), withCode('ECONNREFUSED')],
        '',
      ),
      { code: 'ECONNREFUSED' },
    );
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each(['ENOENT', 'EACCES', 'ERR_INVALID_ARG_TYPE'])(
    'is false for the unrelated code %s',
    (code) => {
      expect(isDatabaseUnavailable(withCode(code))).toBe(false);
    },
  );

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'Connection terminated',
    'timeout exceeded when trying to connect',
    'Query read timeout',
    'Client has encountered a connection error and is not queryable',
    'Client was closed and is not queryable',
    'timeout expired',
  ])('is true for the node-postgres error "%s" (no code)', (message) => {
    expect(isDatabaseUnavailable(new Error(message))).toBe(true);
  });

  it('trusts the code over the message', () => {
    expect(
      isDatabaseUnavailable(withCode('42P01', 'Connection terminated')),
    ).toBe(false);
  });

  it.each([
    'relation "users" does not exist',
    'Cannot read properties of undefined',
    '',
  ])('is false for an error without a code: "%s"', (message) => {
    expect(isDatabaseUnavailable(new Error(message))).toBe(false);
  });

  it('looks through TypeORM’s QueryFailedError to the driver error', () => {
    expect(isDatabaseUnavailable(wrap(withCode('57P01')))).toBe(true);
    expect(isDatabaseUnavailable(wrap(new Error('Query read timeout')))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(wrap(withCode('23505')))).toBe(false);
    expect(isDatabaseUnavailable(wrap(withCode('42P01')))).toBe(false);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'ECONNREFUSED'],
    ['a number', 57],
    ['a plain object with a code', { code: 'ECONNREFUSED' }],
    ['a plain object with a message', { message: 'Connection terminated' }],
  ])('is false for %s, which is not an Error', (_, value) => {
    expect(isDatabaseUnavailable(value)).toBe(false);
  });
});
