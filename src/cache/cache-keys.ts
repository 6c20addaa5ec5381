import { createHash } from 'node:crypto';

/** What a cached response is about: one item, or a page of a collection. */
export interface CacheTarget {
  /** Collection name, e.g. "users". */
  readonly resource: string;
  /** The item's id in canonical decimal spelling, when the route names one. */
  readonly id?: string;
  /** For collection reads: the query in its canonical spelling (pageQuery). */
  readonly query?: string;
}

type Spelling = (value: string) => string | undefined;

// As the list handler reads them: plain decimal integers, and an address
// trimmed and lower-cased. The address is hashed, so that no e-mail address
// ends up in a key name.
const integer: Spelling = (value) =>
  /^\d{1,16}$/.test(value) ? String(Number(value)) : undefined;
const address: Spelling = (value) =>
  createHash('sha256')
    .update(value.trim().toLowerCase())
    .digest('base64url')
    .slice(0, 22);

/** The query parameters of a cached page, in key order. */
const PAGE_PARAMETERS: Readonly<Record<string, Spelling>> = {
  after: integer,
  email: address,
  limit: integer,
};

/**
 * One spelling for every query that asks for the same page: known parameters
 * only, in a fixed order, each value canonical. Undefined when the handler
 * will reject the query (an unknown or repeated parameter, a number that is
 * not a plain integer): that answer is a 400, never cached.
 */
export function pageQuery(query: unknown): string | undefined {
  const parts: string[] = [];
  const given = (query ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(PAGE_PARAMETERS, name)) return undefined;
  }
  for (const [name, spell] of Object.entries(PAGE_PARAMETERS)) {
    const value = given[name];
    if (value === undefined) continue;
    const spelled = typeof value === 'string' ? spell(value) : undefined;
    if (spelled === undefined) return undefined;
    parts.push(`${name}=${spelled}`);
  }
  return parts.join('&');
}

const ENTRY_FORMAT = 'v2';

/**
 * Redis key layout, all under one prefix (`CACHE_KEY_PREFIX`):
 * - `{p}:epoch`                   global generation, bumped after an outage
 * - `{p}:{resource}:gen:{id}`     generation of one item
 * - `{p}:{resource}:listgen`      generation of every page of the collection
 * - `{p}:{resource}:v2:item:{id}`    cached item response
 * - `{p}:{resource}:v2:page:{query}` cached collection response (see pageQuery)
 *
 * `v2` is the entry format (tags, ETag, body): a new format gets new keys,
 * so that instances of two releases running side by side during a rolling
 * update never read each other's entries.
 */
export class CacheKeys {
  constructor(private readonly prefix: string) {}

  epoch(): string {
    return `${this.prefix}:epoch`;
  }

  itemGeneration(resource: string, id: string): string {
    return `${this.prefix}:${resource}:gen:${id}`;
  }

  listGeneration(resource: string): string {
    return `${this.prefix}:${resource}:listgen`;
  }

  /** The generation a target's entry depends on. */
  generation({ resource, id }: CacheTarget): string {
    return id === undefined
      ? this.listGeneration(resource)
      : this.itemGeneration(resource, id);
  }

  entry({ resource, id, query }: CacheTarget): string {
    return id === undefined
      ? `${this.prefix}:${resource}:${ENTRY_FORMAT}:page:${query}`
      : `${this.prefix}:${resource}:${ENTRY_FORMAT}:item:${id}`;
  }
}
