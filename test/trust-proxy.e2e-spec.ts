import { createClient } from '@redis/client';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { BuiltServer } from './support/built-server.js';
import { waitFor } from './support/gate.js';
import type { Api } from './support/http.js';
import { LoadBalancedStack } from './support/load-balanced-stack.js';
import { redisConfig } from './support/redis.js';
import { createTestDatabase } from './support/test-app.js';

const LIMIT = 3;
/** Documentation addresses (RFC 5737): clients that are not on this machine. */
const CLIENT = '203.0.113.7';
const OTHER_CLIENT = '203.0.113.8';

interface From {
  /** The address the request leaves this machine from (127.0.0.0/8). */
  readonly socket: string;
  readonly forwardedFor?: string;
}

/** One GET /users; the status, and the client address the server logged for it. */
async function request(
  api: Api,
  server: BuiltServer,
  { socket, forwardedFor }: From,
): Promise<{ status: number; clientIp: unknown }> {
  const reqId = `trust-${randomBytes(6).toString('hex')}`;
  const headers: Record<string, string> = { 'x-request-id': reqId };
  if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
  const { status } = await api.sendVerbatim('GET', '/users', {
    headers,
    localAddress: socket,
  });
  let line: Record<string, unknown> | undefined;
  await waitFor(
    () => {
      line = server.logLines().find((entry) => entry.reqId === reqId);
      return line !== undefined;
    },
    5000,
    'the request line',
  );
  return { status, clientIp: line!.clientIp };
}

/** LIMIT + 1 requests from one client (`from` gives the i-th): the last is over the limit. */
async function overTheLimit(
  api: Api,
  server: BuiltServer,
  from: (i: number) => From,
) {
  const replies = [];
  for (let i = 0; i < LIMIT + 1; i += 1) {
    replies.push(await request(api, server, from(i)));
  }
  return replies;
}

/** What overTheLimit must see when the server counts them all as `clientIp`. */
function limitedAs(clientIp: string) {
  return [
    ...Array.from({ length: LIMIT }, () => ({ status: 200, clientIp })),
    { status: 429, clientIp },
  ];
}

/** The clients the rate limiter counted, from its keys in Redis. */
async function countedClients(prefix: string): Promise<string[]> {
  const redis = createClient({ socket: redisConfig });
  await redis.connect();
  try {
    const keys = await redis.keys(`${prefix}:ratelimit:default:*`);
    return keys.map((key) => key.slice(key.lastIndexOf(':') + 1)).sort();
  } finally {
    redis.destroy();
  }
}

describe('the client address (TRUST_PROXY): request log and rate limit, over real HTTP and Redis', () => {
  let database: string;
  const servers: BuiltServer[] = [];

  /** A built server limiting each client to LIMIT requests a minute. */
  async function start(trustProxy?: string) {
    const prefix = `${inject('testRun').prefix}-trust-${randomBytes(3).toString('hex')}`;
    const server = await BuiltServer.start({
      POSTGRES_DB: database,
      LOG_LEVEL: 'info',
      CACHE_KEY_PREFIX: prefix,
      RATE_LIMIT_PER_MINUTE: String(LIMIT),
      ...(trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy }),
    });
    servers.push(server);
    return { server, prefix };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  it('without TRUST_PROXY, ignores X-Forwarded-For: the socket address is logged and limited, so spoofing evades nothing', async () => {
    const { server, prefix } = await start();
    const replies = await overTheLimit(server.api, server, (i) => ({
      socket: '127.0.0.1',
      forwardedFor: `203.0.113.${i}`,
    }));
    const other = await request(server.api, server, {
      socket: '127.0.0.2',
      forwardedFor: CLIENT,
    });

    expect(replies).toEqual(limitedAs('127.0.0.1'));
    expect(other).toEqual({ status: 200, clientIp: '127.0.0.2' });
    expect(await countedClients(prefix)).toEqual(['127.0.0.1', '127.0.0.2']);
  });

  it('with TRUST_PROXY naming the hops, takes the client from X-Forwarded-For: the last address before the trusted ones', async () => {
    const { server, prefix } = await start('127.0.0.1, 10.0.0.0/8');
    // The client claims 198.51.100.1; the proxies it went through appended
    // its real address, then their own.
    const throughProxies = {
      socket: '127.0.0.1',
      forwardedFor: `198.51.100.1, ${CLIENT}, 10.1.2.3`,
    };
    const replies = await overTheLimit(
      server.api,
      server,
      () => throughProxies,
    );
    const other = await request(server.api, server, {
      socket: '127.0.0.1',
      forwardedFor: OTHER_CLIENT,
    });

    expect(replies).toEqual(limitedAs(CLIENT));
    // Its own budget: behind the proxy, clients do not share one.
    expect(other).toEqual({ status: 200, clientIp: OTHER_CLIENT });
    expect(await countedClients(prefix)).toEqual([CLIENT, OTHER_CLIENT]);
  });

  it('with TRUST_PROXY, ignores X-Forwarded-For from a hop it does not trust', async () => {
    const { server, prefix } = await start('127.0.0.1');
    const reply = await request(server.api, server, {
      socket: '127.0.0.2',
      forwardedFor: CLIENT,
    });
    expect(reply).toEqual({ status: 200, clientIp: '127.0.0.2' });
    const without = await request(server.api, server, { socket: '127.0.0.1' });
    expect(without).toEqual({ status: 200, clientIp: '127.0.0.1' });
    expect(await countedClients(prefix)).toEqual(['127.0.0.1', '127.0.0.2']);
  });

  it('behind the Compose load balancer, sees each client by its own address, whatever X-Forwarded-For it sends', async () => {
    const prefix = `${inject('testRun').prefix}-trust-${randomBytes(3).toString('hex')}`;
    const stack = await LoadBalancedStack.start(
      {
        POSTGRES_DB: database,
        CACHE_KEY_PREFIX: prefix,
        RATE_LIMIT_PER_MINUTE: String(LIMIT),
        TRUST_PROXY: '127.0.0.1',
      },
      1,
    );
    try {
      const [replica] = stack.replicas;
      const spoofing = { socket: '127.0.0.2', forwardedFor: CLIENT };
      const replies = await overTheLimit(stack.api, replica, () => spoofing);
      const other = await request(stack.api, replica, { socket: '127.0.0.3' });

      expect(replies).toEqual(limitedAs('127.0.0.2'));
      expect(other).toEqual({ status: 200, clientIp: '127.0.0.3' });
      // The stack's own start-up requests came from 127.0.0.1.
      expect(await countedClients(prefix)).toEqual([
        '127.0.0.1',
        '127.0.0.2',
        '127.0.0.3',
      ]);
    } finally {
      await stack.close();
    }
  });
});
