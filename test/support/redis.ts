import { createClient } from '@redis/client';
import { loadConfig } from '../../src/config/load-config.js';

export const redisConfig = loadConfig(process.env).redis;

export async function assertRedisReachable(): Promise<void> {
  const { host, port } = redisConfig;
  const client = createClient({
    socket: { host, port, connectTimeout: 3000, reconnectStrategy: false },
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${host}:${port} (${String(error)}).\n` +
        'Run ./scripts/test.sh, which installs and starts PostgreSQL and Redis, ' +
        'or set REDIS_HOST and REDIS_PORT.',
      { cause: error },
    );
  } finally {
    if (client.isOpen) client.destroy();
  }
}
