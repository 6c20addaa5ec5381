import {
  bodyFingerprint,
  parseIdempotencyKey,
} from './idempotency-key.param.js';

describe('parseIdempotencyKey', () => {
  it.each([
    ['abc', 'abc'],
    ['"abc"', 'abc'],
    ['a'.repeat(255), 'a'.repeat(255)],
    ['!~', '!~'],
    ['a"b', 'a"b'],
    [
      '550e8400-e29b-41d4-a716-446655440000',
      '550e8400-e29b-41d4-a716-446655440000',
    ],
    // The draft's structured-field string, with its escapes.
    ['"a\\"b"', 'a"b'],
    ['"a\\\\b"', 'a\\b'],
    // Not a quoted string, but visible ASCII all the same: a key as it is.
    ['"a\\b"', '"a\\b"'],
    ['"unterminated', '"unterminated'],
  ])('reads %j as the key %j', (value, key) => {
    expect(parseIdempotencyKey(value)).toBe(key);
  });

  it.each([
    '',
    '""',
    'a b',
    '"a b"',
    'a'.repeat(256),
    `"${'a'.repeat(256)}"`,
    'é',
    'a\tb',
    'a, b',
  ])('rejects %j', (value) => {
    expect(parseIdempotencyKey(value)).toBeUndefined();
  });
});

describe('bodyFingerprint', () => {
  it('is the same for the same JSON value, whatever the key order', () => {
    expect(bodyFingerprint({ name: 'A', email: 'a@b.c' })).toBe(
      bodyFingerprint({ email: 'a@b.c', name: 'A' }),
    );
    expect(
      bodyFingerprint(
        JSON.parse('{"a": {"y": 1, "x": [1, {"q": 2, "p": 3}]}}'),
      ),
    ).toBe(
      bodyFingerprint(JSON.parse('{"a":{"x":[1,{"p":3,"q":2}],"y":1.0}}')),
    );
  });

  it('tells values apart as sent: case, spaces, types, array order, extra keys', () => {
    const base = bodyFingerprint({ name: 'A', email: 'a@b.c' });
    for (const other of [
      { name: 'a', email: 'a@b.c' },
      { name: ' A', email: 'a@b.c' },
      { name: 'A', email: 'A@b.c' },
      { name: 'A' },
      { name: 'A', email: 'a@b.c', admin: true },
      { name: ['A'], email: 'a@b.c' },
    ]) {
      expect(bodyFingerprint(other)).not.toBe(base);
    }
    expect(bodyFingerprint({ a: [1, 2] })).not.toBe(
      bodyFingerprint({ a: [2, 1] }),
    );
    expect(bodyFingerprint({ a: '1' })).not.toBe(bodyFingerprint({ a: 1 }));
    expect(bodyFingerprint({ a: null })).not.toBe(bodyFingerprint({}));
  });
});
