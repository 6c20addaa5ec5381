import * as fc from 'fast-check';

/** The limits docs/API.md sets; generators aim at both sides of them. */
export const NAME_MAX_CODE_POINTS = 100;
export const EMAIL_MAX_LENGTH = 120;
export const BODY_LIMIT_BYTES = 100_000;
export const MAX_USER_ID = 2 ** 31 - 1;

/** Characters that trip up text handling, one code point or sequence each. */
const oddCharacter = fc.constantFrom(
  '\0',
  '\x01',
  '\x07',
  '\b',
  '\t',
  '\n',
  '\r',
  '\x1b',
  '\x7f',
  '\x85',
  '\x9f',
  '\u00a0',
  '\u1680',
  '\u2028',
  '\u2029',
  '\u3000',
  // Lone surrogates: valid in a JS string and in escaped JSON, not in UTF-8.
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  // Direction marks and overrides, zero-width characters, byte-order mark.
  '\u200e',
  '\u200f',
  '\u202a',
  '\u202e',
  '\u2066',
  '\u2069',
  '\u061c',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff',
  // Variation selectors, combining marks, noncharacters, the last code point.
  '\ufe0e',
  '\ufe0f',
  '\u0301',
  '\u20dd',
  '\ufffd',
  '\uffff',
  '\u{10ffff}',
  '😀',
  '👩‍👩‍👧',
  '🇫🇷',
  '❤️',
  '\u{e0001}',
  '\u{1d400}',
  // Letters whose case mapping changes their length or meets another's.
  'İ',
  'ı',
  'ß',
  'ẞ',
  'Σ',
  'ς',
  'ǅ',
  '\u212a',
  'ﬀ',
);

const injectionString = fc.constantFrom(
  "'; DROP TABLE users; --",
  "' OR '1'='1",
  '" OR ""="',
  '1; SELECT pg_sleep(5); --',
  "x' UNION SELECT version(), current_user --",
  "admin'--",
  "E'\\x00'",
  '$1',
  '%s%n%x',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../../etc/passwd',
  '{"$gt": ""}',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  '[object Object]',
  '\\u0000',
);

/** Strings whose length lands just below, on or past `limit` code points. */
function aroundLength(limit: number) {
  return fc
    .record({
      unit: fc.constantFrom('a', 'é', '😀', ' ', 'e\u0301'),
      count: fc.integer({ min: limit - 3, max: limit + 3 }),
      tail: fc.array(oddCharacter, { maxLength: 3 }),
    })
    .map(
      ({ unit, count, tail }) =>
        Array.from(unit.repeat(count)).slice(0, count).join('') + tail.join(''),
    );
}

/** E-mail-shaped strings of about EMAIL_MAX_LENGTH, odd characters in the domain. */
const emailAroundLimit = fc
  .record({
    localLength: fc.integer({ min: 1, max: 64 }),
    overshoot: fc.integer({ min: -2, max: 2 }),
    odd: fc.array(oddCharacter, { maxLength: 2 }),
  })
  .map(({ localLength, overshoot, odd }) => {
    const labelLength = Math.min(
      63,
      EMAIL_MAX_LENGTH - localLength - '@.com'.length + overshoot,
    );
    return `${'a'.repeat(localLength)}@${'b'.repeat(labelLength)}${odd.join('')}.com`;
  });

const veryLongString = fc
  .record({
    unit: fc.constantFrom('a', 'é', '😀', "'", '\0', '\ud800'),
    count: fc.integer({ min: 1_000, max: 40_000 }),
  })
  .map(({ unit, count }) => unit.repeat(count));

const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.oneof(oddCharacter, fc.string({ minLength: 1, maxLength: 1 })),
    maxLength: 40,
  }),
  injectionString,
  aroundLength(NAME_MAX_CODE_POINTS),
  emailAroundLimit,
  veryLongString,
);

const padding = fc.string({
  unit: fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u3000', '\ufeff'),
  maxLength: 3,
});

/** Not a control character, nor half of a surrogate pair. */
function isNameCharacter(character: string): boolean {
  return !/[\p{Cc}\p{Cs}]/u.test(character);
}

/**
 * A name the contract accepts, and what the API must store for it: any
 * characters but controls, 1 to 100 code points once trimmed.
 */
export const validName = fc
  .record({
    text: fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 100 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }),
      aroundLength(NAME_MAX_CODE_POINTS),
    ),
    before: padding,
    after: padding,
  })
  .map(({ text, before, after }) => {
    const stored = Array.from(text)
      .filter(isNameCharacter)
      .slice(0, NAME_MAX_CODE_POINTS)
      .join('')
      .trim();
    return { sent: before + stored + after, stored };
  })
  .filter(({ stored }) => stored !== '');

/** An address the contract accepts, sent in mixed case and padded. */
export const validEmail = fc
  .record({
    address: fc.mixedCase(fc.emailAddress({ size: 'small' })),
    before: padding,
    after: padding,
  })
  .filter(({ address }) => address.length <= EMAIL_MAX_LENGTH)
  .map(({ address, before, after }) => before + address + after);

const pollutionKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '__defineGetter__',
);

const jsonValue = fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' });

/**
 * Objects that look like user bodies: valid, odd and wrongly typed fields
 * mixed, sometimes with extra keys.
 */
const userLikeBody = fc
  .record(
    {
      name: fc.oneof(
        { weight: 3, arbitrary: validName.map(({ sent }) => sent) },
        { weight: 2, arbitrary: oddString },
        { weight: 1, arbitrary: jsonValue },
      ),
      email: fc.oneof(
        { weight: 3, arbitrary: validEmail },
        // The same address again, in other spellings: 409 once it is taken.
        {
          weight: 1,
          arbitrary: fc.constantFrom('dup@example.com', ' DUP@Example.COM'),
        },
        { weight: 2, arbitrary: oddString },
        { weight: 1, arbitrary: jsonValue },
      ),
      extras: fc.array(
        fc.tuple(
          fc.oneof(
            pollutionKey,
            injectionString,
            fc.constantFrom('id', 'createdAt', 'admin', 'Name', 'email '),
            fc.string({ maxLength: 8 }),
          ),
          jsonValue,
        ),
        { maxLength: 2 },
      ),
    },
    { requiredKeys: [] },
  )
  .map(({ extras = [], ...fields }) =>
    // fromEntries makes `__proto__` an own key, as JSON.parse would.
    Object.fromEntries([...extras, ...Object.entries(fields)]),
  );

/** Any JSON text a client might send as a body, most of it user-shaped. */
export const jsonBodyText = fc.oneof(
  { weight: 5, arbitrary: userLikeBody.map((body) => JSON.stringify(body)) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 4, stringUnit: 'binary' }) },
  {
    weight: 1,
    arbitrary: fc
      .anything({
        maxDepth: 3,
        withBoxedValues: true,
        withMap: true,
        withSet: true,
        withNullPrototype: true,
        withDate: true,
        withTypedArray: true,
        withSparseArray: true,
        withUnicodeString: true,
      })
      // JSON.stringify gives undefined for undefined: send that as text.
      .map((value) => JSON.stringify(value) ?? String(value)),
  },
);

/** Bodies that are not JSON text, or not only. */
export const nonJsonBodyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '',
    ' ',
    '{',
    '{"name": "a", "email": "a@b.co"',
    "{'name': 'a', 'email': 'a@b.co'}",
    '{name: "a", email: "a@b.co"}',
    '{"name": "a",}',
    '\ufeff{"name": "a", "email": "a@b.co"}',
    'name=a&email=a%40b.co',
    '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\na\r\n--x--',
    '<user><name>a</name></user>',
    'undefined',
    'NaN',
    '01',
    '"\\ud800"',
    '[1,]',
    '{"a":1}{"a":2}',
  ),
  fc
    .tuple(jsonBodyText, fc.constantFrom('}', ',', ' x', '\0'))
    .map(([json, junk]) => json + junk),
);

export const contentType = fc.constantFrom(
  undefined,
  '',
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'application/json;;',
  'application/json-patch+json',
  'application/vnd.api+json',
  'application/jsonx',
  'text/json',
  'text/plain',
  'text/html',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '*/*',
  'garbage',
  ';',
);

const headerCharacters = (min: number, max: number, maxLength: number) =>
  fc.string({
    unit: fc.integer({ min, max }).map((code) => String.fromCharCode(code)),
    maxLength,
  });

/**
 * What may arrive in If-Match, If-None-Match or Idempotency-Key: tag lists
 * well and badly formed, and any text a header can carry (visible ASCII,
 * spaces, tabs and Latin-1).
 */
export const headerValue = fc.oneof(
  fc.constantFrom(
    '*',
    '""',
    '"',
    'W/',
    'W/"1"',
    '"1", W/"2"',
    ',',
    ', ,',
    '"a" "b"',
    '*, "1"',
    '"99999999999999999999"',
    '"-1"',
    '"1.5"',
    'k'.repeat(256),
    `"${'k'.repeat(255)}"`,
  ),
  fc
    .array(fc.tuple(fc.boolean(), headerCharacters(0x21, 0x7e, 20)), {
      maxLength: 5,
    })
    .map((tags) =>
      tags.map(([weak, tag]) => `${weak ? 'W/' : ''}"${tag}"`).join(', '),
    ),
  headerCharacters(0x20, 0x7e, 300),
  // Tab, then everything from space up but DEL: what a header value may hold.
  headerCharacters(0x20, 0xff, 40).map((value) =>
    value.replaceAll('\x7f', '\t'),
  ),
);

/** What may stand where a path wants a user id. */
export const oddIdSegment = fc.oneof(
  fc.constantFrom(
    '%00',
    '..',
    '.',
    '%2e%2e',
    '%2E',
    '-0',
    '0',
    '00',
    '01',
    '+1',
    '1e3',
    '1.5',
    '1.0',
    '-1',
    ' 1',
    '1 ',
    '%201',
    '1%20',
    '%09',
    '0x1',
    '1_0',
    '2147483647',
    '2147483648',
    '4294967297',
    '9'.repeat(30),
    'NaN',
    'Infinity',
    'null',
    'undefined',
    'true',
    '%',
    '%zz',
    '%E0%A4%A',
    '%FF',
    '%C0%AE',
    ';',
    '1;',
    '%3B',
    '%2F',
    '1%2F2',
    '%3F',
    '%23',
    '\u202e1',
    '١',
    '１',
    '¹',
    'ⅰ',
    '😀',
    '%F0%9F%98%80',
    "1'",
    '1,2',
    "1' OR '1'='1",
    '1 OR 1=1',
    '1--',
    '$1',
    '*',
    '~1',
    '[1]',
    '{}',
  ),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 }).map(String),
  fc.double().map(String),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
  oddCharacter,
  fc.string({
    unit: fc.constantFrom('1', '0', 'a', '%', '.'),
    minLength: 90,
    maxLength: 4_000,
  }),
);

/** Paths near /users/{id} that name no route. */
export const oddRoute = fc.constantFrom(
  '/users/1/',
  '/users//1',
  '/USERS/1',
  '/Users',
  '/users/1/2',
  '/users/1/..',
  '/./users/1',
  '//users',
  '/users/',
  '/users%2F1',
  '/users/1/%2e%2e',
  '/users/*',
  '/%00',
  '/users/1/extra?limit=1',
);

const integerLikeText = fc.oneof(
  fc.integer({ min: -5, max: 105 }).map(String),
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt().map(String),
  fc.constantFrom(
    '-0',
    '+1',
    '00',
    '007',
    ' 1',
    '1 ',
    '1e2',
    '1E2',
    '0x10',
    '0b1',
    '1_0',
    '1.',
    '.5',
    'Infinity',
    '-Infinity',
    'NaN',
    '',
    '１',
    '١',
    '2147483647',
    '2147483648',
    '9007199254740993',
    '9'.repeat(40),
  ),
);

/** One `key=value` of a query string, encoded or sent raw. */
const queryPair = fc
  .record({
    key: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('limit', 'after', 'email') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'limit[]',
          'after[0]',
          'email[x]',
          'LIMIT',
          'offset',
          'page',
          '__proto__',
          'constructor',
          'toString',
          '',
          'limit ',
        ),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
    ),
    value: fc.oneof(
      { weight: 3, arbitrary: integerLikeText },
      { weight: 2, arbitrary: validEmail },
      { weight: 2, arbitrary: oddString },
    ),
    raw: fc.boolean(),
    withoutValue: fc.boolean(),
  })
  .map(({ key, value, raw, withoutValue }) => {
    const encode = raw ? percentEncodeForRequestLine : percentEncodeReserved;
    return withoutValue ? encode(key) : `${encode(key)}=${encode(value)}`;
  });

export const queryString = fc
  .array(queryPair, { maxLength: 5 })
  .map((pairs) => pairs.join('&'));

/**
 * Keeps visible ASCII as it is (so `%zz`, `..` and `&` reach the server raw)
 * and percent-encodes the rest as UTF-8 bytes, a lone surrogate as U+FFFD.
 * `/`, `?` and `#` are encoded too, so the text stays one path segment.
 */
export function percentEncodeForRequestLine(text: string): string {
  return percentEncode(
    text,
    (character) => /^[!-~]$/.test(character) && !'/?#'.includes(character),
  );
}

/** encodeURIComponent, but total: a lone surrogate becomes U+FFFD. */
function percentEncodeReserved(text: string): string {
  return percentEncode(text, (character) => /^[\w.!~*'()-]$/.test(character));
}

function percentEncode(
  text: string,
  keep: (character: string) => boolean,
): string {
  const utf8 = new TextEncoder();
  return Array.from(text)
    .map((character) =>
      keep(character)
        ? character
        : [...utf8.encode(character)]
            .map(
              (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
            )
            .join(''),
    )
    .join('');
}
