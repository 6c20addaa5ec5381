import { createHash } from 'node:crypto';

/**
 * A user's strong ETag: its version, which the database renews on every
 * update (and only then) from one sequence, so no two versions of any users
 * share a tag.
 */
export function userEtag(version: string): string {
  return `"${version}"`;
}

/** Versions as the database holds them: PostgreSQL bigint, no sign or spaces. */
const VERSION_TAG = /^"(\d{1,18})"$/;

/**
 * The versions a list of strong tags (If-Match) names. A tag this service
 * never issued names none: it can match no user.
 */
export function versionsNamedBy(tags: readonly string[]): string[] {
  return tags.flatMap((tag) => VERSION_TAG.exec(tag)?.[1] ?? []);
}

/**
 * A page's weak ETag: versions are unique across users, so the ids and
 * versions on the page, and whether another page follows, decide its
 * content. Weak: the same page may be spelled by other queries.
 */
export function pageEtag(
  users: readonly { id: number; version: string }[],
  nextAfter: number | null,
): string {
  let content = `${nextAfter}`;
  for (const { id, version } of users) content += `,${id}:${version}`;
  const digest = createHash('sha256').update(content).digest('base64url');
  return `W/"${digest.slice(0, 27)}"`;
}
