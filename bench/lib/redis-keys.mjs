import { createClient } from '@redis/client';

/**
 * Deletes the keys a run left under its own prefix (never FLUSHALL: the
 * server is shared).
 */
export async function deleteKeysWithPrefix({ host, port }, prefix) {
  const client = createClient({ socket: { host, port } });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({
      MATCH: `${prefix}*`,
      COUNT: 1000,
    })) {
      if (keys.length > 0) await client.unlink(keys);
    }
  } finally {
    client.destroy();
  }
}
