import { CacheKeys } from './cache-keys.js';

describe('CacheKeys', () => {
  const keys = new CacheKeys('p');
  const item = { resource: 'users', id: '7' };
  const page = { resource: 'users', url: '/users?limit=2' };

  it('keeps every key under its prefix', () => {
    for (const key of [
      keys.epoch(),
      keys.itemGeneration('users', '7'),
      keys.listGeneration('users'),
      keys.generation(item),
      keys.generation(page),
      keys.entry(item),
      keys.entry(page),
    ]) {
      expect(key.startsWith('p:')).toBe(true);
    }
  });

  it('ties an item to its own generation and a page to the collection’s', () => {
    expect(keys.generation(item)).toBe(keys.itemGeneration('users', '7'));
    expect(keys.generation(page)).toBe(keys.listGeneration('users'));
  });

  it('gives items, pages and generations distinct keys', () => {
    const all = [
      keys.epoch(),
      keys.itemGeneration('users', '7'),
      keys.itemGeneration('users', '8'),
      keys.listGeneration('users'),
      keys.entry(item),
      keys.entry({ resource: 'users', id: '8' }),
      keys.entry(page),
      keys.entry({ resource: 'users', url: '/users?limit=3' }),
      keys.entry({ resource: 'groups', id: '7' }),
    ];
    expect(new Set(all).size).toBe(all.length);
  });

  it('keeps instances with different prefixes apart', () => {
    expect(new CacheKeys('a').entry(item)).not.toBe(
      new CacheKeys('b').entry(item),
    );
  });
});
