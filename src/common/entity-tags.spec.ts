import {
  noneMatchSatisfiedBy,
  parseEntityTags,
  strongTagsOf,
} from './entity-tags.js';

describe('parseEntityTags', () => {
  it.each([
    ['*', '*'],
    [' * ', '*'],
    ['"a"', [{ weak: false, opaque: '"a"' }]],
    ['W/"a"', [{ weak: true, opaque: '"a"' }]],
    [
      '"a", W/"b" ,"c"',
      [
        { weak: false, opaque: '"a"' },
        { weak: true, opaque: '"b"' },
        { weak: false, opaque: '"c"' },
      ],
    ],
    // Empty list members are allowed (RFC 9110, 5.6.1).
    [
      ', "a",, "b",',
      [
        { weak: false, opaque: '"a"' },
        { weak: false, opaque: '"b"' },
      ],
    ],
    ['""', [{ weak: false, opaque: '""' }]],
  ])('reads %j', (value, expected) => {
    expect(parseEntityTags(value)).toEqual(expected);
  });

  it.each([
    '',
    'a',
    '42',
    '"a" "b"',
    '"a',
    'w/"a"',
    'W/ "a"',
    '"a b"',
    '"a"b',
    '*, "a"',
    ',',
  ])('rejects %j', (value) => {
    expect(parseEntityTags(value)).toBeUndefined();
  });
});

describe('noneMatchSatisfiedBy (weak comparison)', () => {
  it.each([
    ['"1"', '"1"', true],
    ['W/"1"', '"1"', true],
    ['"1"', 'W/"1"', true],
    ['W/"1"', 'W/"1"', true],
    ['"2", "1"', '"1"', true],
    ['*', '"1"', true],
    ['"2"', '"1"', false],
    ['"11"', '"1"', false],
    ['1', '"1"', false],
    ['garbage', '"1"', false],
  ])('%s against %s: %s', (header, current, expected) => {
    expect(noneMatchSatisfiedBy(header, current)).toBe(expected);
  });
});

describe('strongTagsOf (If-Match)', () => {
  it('keeps strong tags only: a weak one never matches under strong comparison', () => {
    expect(strongTagsOf('"1", W/"2", "3"')).toEqual(['"1"', '"3"']);
  });

  it('answers * for any version', () => {
    expect(strongTagsOf('*')).toBe('*');
  });

  it('answers no tag for a malformed value, which then matches nothing', () => {
    expect(strongTagsOf('1')).toEqual([]);
    expect(strongTagsOf('W/"1"')).toEqual([]);
  });
});
