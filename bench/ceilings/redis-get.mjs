import { createClient } from '@redis/client';
import { SAMPLE_USER_JSON, serve, settings } from './serve.mjs';

const redis = createClient({ socket: settings.redis });
await redis.connect();
await redis.set(settings.redisKey, SAMPLE_USER_JSON);

serve(
  async () => ({ body: String(await redis.get(settings.redisKey)) }),
  () => redis.close(),
);
