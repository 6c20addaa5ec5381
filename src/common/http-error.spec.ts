import {
  BadRequestException,
  ConflictException,
  HttpException,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { toHttpError } from './http-error.js';

const GENERIC_500 = {
  statusCode: 500,
  error: 'Internal Server Error',
  message: 'internal server error',
};

describe('toHttpError', () => {
  it.each([
    [new BadRequestException('id must be an integer'), 400, 'Bad Request'],
    [new UnauthorizedException('key required'), 401, 'Unauthorized'],
    [new NotFoundException('user 7 not found'), 404, 'Not Found'],
    [new ConflictException('email is already in use'), 409, 'Conflict'],
    [new PayloadTooLargeException('too large'), 413, 'Payload Too Large'],
    [new HttpException('slow down', 429), 429, 'Too Many Requests'],
    [new ServiceUnavailableException('later'), 503, 'Service Unavailable'],
  ])(
    'keeps the status and message of %s, with the reason phrase',
    (exception, statusCode, error) => {
      expect(toHttpError(exception)).toEqual({
        statusCode,
        error,
        message: exception.message,
      });
    },
  );

  it('keeps the list of validation messages', () => {
    const messages = ['name must be a string', 'email must be a string'];
    expect(toHttpError(new BadRequestException(messages))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: messages,
    });
  });

  it('uses a string response as the message', () => {
    expect(toHttpError(new HttpException('I am a teapot', 418))).toEqual({
      statusCode: 418,
      error: "I'm a Teapot",
      message: 'I am a teapot',
    });
  });

  it('falls back to the exception message when the response has none', () => {
    expect(toHttpError(new HttpException({ reason: 'x' }, 400))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Http Exception',
    });
  });

  it('says "Error" for a status without a reason phrase', () => {
    expect(toHttpError(new HttpException('odd', 599))).toMatchObject({
      statusCode: 599,
      error: 'Error',
    });
  });

  it('answers 415 with a fixed message, whatever the exception said', () => {
    const exception = new UnsupportedMediaTypeException(
      'Unsupported Media Type: text/plain; charset=utf-8',
    );
    expect(toHttpError(exception)).toEqual({
      statusCode: 415,
      error: 'Unsupported Media Type',
      message: 'content type must be application/json',
    });
  });

  it.each([
    Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), {
      code: 'ECONNREFUSED',
    }),
    new Error('Connection terminated unexpectedly'),
    Object.assign(
      new Error('terminating connection due to administrator command'),
      { code: '57P01' },
    ),
    new QueryFailedError(
      'SELECT * FROM users',
      [],
      Object.assign(new Error('canceling statement due to statement timeout'), {
        code: '57014',
      }),
    ),
  ])('answers 503 when the database is unavailable: %s', (error) => {
    const body = toHttpError(error);
    expect(body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'database unavailable, retry later',
    });
    expect(body.message).not.toContain(error.message);
    expect(body.message).not.toMatch(/ECONN|5432|Connection terminated|SELECT/);
  });

  it.each([
    [
      'SQL text',
      new QueryFailedError(
        'INSERT INTO users (name, email) VALUES ($1, $2)',
        ['Alice', 'alice@mail.com'],
        Object.assign(
          new Error('value too long for type character varying(100)'),
          {
            code: '22001',
          },
        ),
      ),
    ],
    [
      'a relation name',
      Object.assign(new Error('relation "users" does not exist'), {
        code: '42P01',
      }),
    ],
    [
      'a stack',
      new TypeError("Cannot read properties of undefined (reading 'id')"),
    ],
    ['a thrown string', 'SELECT password FROM users'],
    ['a thrown object', { query: 'DROP TABLE users' }],
    ['undefined', undefined],
    ['null', null],
  ])(
    'answers 500 with a generic message for %s, leaking nothing',
    (_, error) => {
      const body = toHttpError(error);
      expect(body).toEqual(GENERIC_500);
      expect(JSON.stringify(body)).not.toMatch(
        /users|SELECT|INSERT|DROP|varying|undefined|alice/i,
      );
    },
  );
});
