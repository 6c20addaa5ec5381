import { createClient } from '@redis/client';
import { localProcess } from './rss.mjs';

/** The pid of the Redis server, when it runs on this machine. */
export async function redisServerPid({ host, port }) {
  const client = createClient({ socket: { host, port } });
  await client.connect();
  try {
    const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
    return localProcess(pid, 'redis');
  } finally {
    client.destroy();
  }
}

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
