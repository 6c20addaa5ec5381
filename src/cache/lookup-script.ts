import { type CommandParser, defineScript } from '@redis/client';

/**
 * A cache read in one round trip: the epoch, the target's generation and its
 * entry. An epoch or generation that is missing (never set, expired or
 * evicted) is first set to the fresh token given, so that no entry is ever
 * tagged with a missing one: if one were, a write followed by the eviction of
 * that generation would make the entry current again. Scripts run atomically,
 * so a write's bump lands before or after, never in between.
 * KEYS: epoch, generation, entry. ARGV: fresh token, generation TTL in ms,
 * and "tags" to leave the entry out (a read that will not use it).
 */
export const CACHE_LOOKUP = defineScript({
  NUMBER_OF_KEYS: 3,
  SCRIPT: `
    local function current(key, ttl)
      local value = redis.call('GET', key)
      if value then return value end
      if ttl then
        redis.call('SET', key, ARGV[1], 'PX', ttl)
      else
        redis.call('SET', key, ARGV[1])
      end
      return ARGV[1]
    end
    local entry = ARGV[3] ~= 'tags' and redis.call('GET', KEYS[3])
    return { current(KEYS[1]), current(KEYS[2], ARGV[2]), entry }
  `,
  parseCommand(
    parser: CommandParser,
    keys: readonly [epoch: string, generation: string, entry: string],
    freshToken: string,
    generationTtlMs: number,
    read: 'entry' | 'tags',
  ) {
    parser.pushKeys([...keys]);
    parser.push(freshToken, String(generationTtlMs), read);
  },
  // [epoch, generation, entry]: never null, never null, null when absent
  // or not asked for.
  transformReply: undefined as unknown as () => (string | null)[],
});
