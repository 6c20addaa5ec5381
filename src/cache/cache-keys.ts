/** What a cached response is about: one item, or a page of a collection. */
export interface CacheTarget {
  /** Collection name, e.g. "users". */
  readonly resource: string;
  /** The item's id in canonical decimal spelling, when the route names one. */
  readonly id?: string;
  /** For collection reads: the request URL (path and query). */
  readonly url?: string;
}

/**
 * Redis key layout, all under one prefix (`CACHE_KEY_PREFIX`):
 * - `{p}:epoch`                   global generation, bumped after an outage
 * - `{p}:{resource}:gen:{id}`     generation of one item
 * - `{p}:{resource}:listgen`      generation of every page of the collection
 * - `{p}:{resource}:item:{id}`    cached item response
 * - `{p}:{resource}:page:{url}`   cached collection response
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

  entry({ resource, id, url }: CacheTarget): string {
    return id === undefined
      ? `${this.prefix}:${resource}:page:${url}`
      : `${this.prefix}:${resource}:item:${id}`;
  }
}
