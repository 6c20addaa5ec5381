/** One entity tag of an If-Match or If-None-Match list (RFC 9110, 8.8.3). */
export interface EntityTag {
  readonly weak: boolean;
  /** The quoted part, quotes included: `"abc"` for both `"abc"` and `W/"abc"`. */
  readonly opaque: string;
}

/** `*`, or a list of entity tags; undefined when the value is not one. */
export type EntityTagCondition = '*' | readonly EntityTag[];

// One list member and the separator after it; etagc is %x21 / %x23-7E / obs-text.
const LIST_MEMBER = /[ \t]*(W\/)?("[\x21\x23-\x7e\x80-\xff]*")[ \t]*(?:,|$)/y;
const EMPTY_MEMBER = /[ \t]*,/y;

/**
 * Parses the value of If-Match or If-None-Match (`*` or `#entity-tag`).
 * Undefined for anything else: an unquoted tag, say, which then matches
 * nothing.
 */
export function parseEntityTags(value: string): EntityTagCondition | undefined {
  if (value.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  let at = 0;
  while (at < value.length) {
    EMPTY_MEMBER.lastIndex = at;
    if (EMPTY_MEMBER.test(value)) {
      at = EMPTY_MEMBER.lastIndex;
      continue;
    }
    LIST_MEMBER.lastIndex = at;
    const member = LIST_MEMBER.exec(value);
    if (member === null) return undefined;
    tags.push({ weak: member[1] !== undefined, opaque: member[2] });
    at = LIST_MEMBER.lastIndex;
  }
  return tags.length > 0 ? tags : undefined;
}

/**
 * If-None-Match: whether the current tag matches, by weak comparison (the
 * opaque parts are equal, weak or not). A malformed value matches nothing.
 */
export function noneMatchSatisfiedBy(
  header: string,
  currentTag: string,
): boolean {
  // What a client sends back most: the tag it was given, as it was given.
  if (header === currentTag) return true;
  const condition = parseEntityTags(header);
  if (condition === undefined) return false;
  if (condition === '*') return true;
  const current = opaquePart(currentTag);
  return condition.some((tag) => tag.opaque === current);
}

/**
 * If-Match: the strong tags it lists (weak ones can never match under
 * strong comparison); `*` for any current version; an empty list when the
 * value is malformed, which matches nothing.
 */
export function strongTagsOf(header: string): '*' | string[] {
  const condition = parseEntityTags(header);
  if (condition === '*') return '*';
  return (condition ?? []).filter((tag) => !tag.weak).map((tag) => tag.opaque);
}

function opaquePart(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}
