import { pageEtag, userEtag, versionsNamedBy } from './user-etags.js';

describe('user ETags', () => {
  it('quotes the version: a strong tag', () => {
    expect(userEtag('42')).toBe('"42"');
  });

  it('reads back the versions of the tags it issued, and nothing else', () => {
    expect(versionsNamedBy(['"42"', '"7"'])).toEqual(['42', '7']);
    expect(
      versionsNamedBy([
        '"abc"',
        '""',
        '"-1"',
        '"4 2"',
        // Beyond PostgreSQL's bigint: no version can be that large.
        '"12345678901234567890"',
      ]),
    ).toEqual([]);
  });
});

describe('page ETags', () => {
  const users = [
    { id: 1, version: '10' },
    { id: 2, version: '11' },
  ];

  it('is weak and the same for the same page', () => {
    const tag = pageEtag(users, 2);
    expect(tag).toMatch(/^W\/"[\w-]{27}"$/);
    expect(pageEtag([...users], 2)).toBe(tag);
  });

  it('changes with any version, any user or the next page', () => {
    const tag = pageEtag(users, 2);
    expect(pageEtag([users[0], { id: 2, version: '12' }], 2)).not.toBe(tag);
    expect(pageEtag([users[0], { id: 3, version: '11' }], 2)).not.toBe(tag);
    expect(pageEtag([users[0]], 2)).not.toBe(tag);
    expect(pageEtag(users, null)).not.toBe(tag);
    expect(pageEtag([], null)).not.toBe(pageEtag([], 5));
  });
});
