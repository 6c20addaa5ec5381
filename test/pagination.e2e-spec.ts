import type { PoolClient, QueryConfig } from 'pg';
import { DataSource } from 'typeorm';
import { poolOf } from '../src/database/pool-of.js';
import { EMAIL_UNIQUE_INDEX } from '../src/users/user.entity.js';
import { newUser, useAppWithDatabase } from './support/test-app.js';

interface Page {
  readonly data: { id: number; email: string }[];
  readonly meta: { limit: number; nextAfter: number | null };
}

/** 340 rows from SQL and 10 through the API: 350, a multiple of 1 and 7. */
const SEEDED_BY_SQL = 340;
const CREATED_BY_API = 10;
const TOTAL = SEEDED_BY_SQL + CREATED_BY_API;

describe('keyset pagination of GET /users', () => {
  const testApp = useAppWithDatabase();
  const apiUsers: { id: number; email: string }[] = [];

  beforeAll(async () => {
    await testApp.db.query(
      `INSERT INTO users (name, email)
       SELECT 'Seed ' || n, 'seed-' || n || '@example.com' FROM generate_series(1, $1) n`,
      [SEEDED_BY_SQL / 2],
    );
    for (let i = 0; i < CREATED_BY_API; i += 1) {
      const reply = await testApp.api.post('/users', newUser(`Api ${i}`));
      if (reply.status !== 201) throw new Error(`seeding: ${reply.text}`);
      apiUsers.push(reply.body);
    }
    await testApp.db.query(
      `INSERT INTO users (name, email)
       SELECT 'Seed ' || n, 'seed-' || n || '@example.com' FROM generate_series($1::int + 1, $1::int * 2) n`,
      [SEEDED_BY_SQL / 2],
    );
    await testApp.db.query('ANALYZE users');
  });

  async function idsInDatabase(): Promise<number[]> {
    const { rows } = await testApp.db.query<{ id: number }>(
      'SELECT id FROM users ORDER BY id',
    );
    return rows.map((row) => row.id);
  }

  async function remove(id: number, deleted: Set<number>): Promise<void> {
    expect((await testApp.api.delete(`/users/${id}`)).status).toBe(204);
    deleted.add(id);
  }

  async function page(query: string): Promise<Page> {
    const reply = await testApp.api.get(`/users?${query}`);
    expect(reply.status).toBe(200);
    return reply.body as Page;
  }

  /**
   * Follows `meta.nextAfter` from the start and checks each page on the way;
   * `between` runs after each page, before the next is asked for.
   */
  async function walk(
    limit: number | undefined,
    between: (page: Page) => Promise<void> = async () => {},
  ): Promise<{ ids: number[]; pages: Page[] }> {
    const expectedLimit = limit ?? 20;
    const ids: number[] = [];
    const pages: Page[] = [];
    let after: number | null = 0;
    while (after !== null) {
      expect(pages.length).toBeLessThanOrEqual(TOTAL);
      const query = [
        limit === undefined ? undefined : `limit=${limit}`,
        pages.length === 0 ? undefined : `after=${after}`,
      ].filter(Boolean);
      const current = await page(query.join('&'));
      pages.push(current);
      expect(current.meta.limit).toBe(expectedLimit);
      expect(current.data.length).toBeLessThanOrEqual(expectedLimit);
      for (const user of current.data) expect(user.id).toBeGreaterThan(after);
      const pageIds = current.data.map((user) => user.id);
      if (current.meta.nextAfter !== null) {
        expect(current.data).toHaveLength(expectedLimit);
        expect(current.meta.nextAfter).toBe(pageIds.at(-1));
      }
      ids.push(...pageIds);
      after = current.meta.nextAfter;
      await between(current);
    }
    return { ids, pages };
  }

  it.each([
    ['1', 1, TOTAL],
    ['7', 7, TOTAL / 7],
    ['20 (the default)', undefined, Math.ceil(TOTAL / 20)],
    ['100', 100, Math.ceil(TOTAL / 100)],
  ])(
    'with limit %s, returns every user once, in ascending id order',
    async (_, limit, pageCount) => {
      const expected = await idsInDatabase();
      expect(expected).toHaveLength(TOTAL);

      const { ids, pages } = await walk(limit);

      expect(ids).toEqual(expected);
      expect(pages).toHaveLength(pageCount);
      // With 1 and 7 the last page is exactly full, and still the last.
      const last = pages.at(-1)!;
      expect(last.meta.nextAfter).toBeNull();
      expect(last.data.length).toBe(TOTAL - (pageCount - 1) * (limit ?? 20));
    },
  );

  it('gives no next page when the last page is exactly full, and one more when a row is left', async () => {
    const ids = await idsInDatabase();

    const full = await page(`limit=20&after=${ids.at(-21)}`);
    expect(full.data.map((user) => user.id)).toEqual(ids.slice(-20));
    expect(full.meta).toEqual({ limit: 20, nextAfter: null });

    const first = await page(`limit=20&after=${ids.at(-22)}`);
    expect(first.data.map((user) => user.id)).toEqual(ids.slice(-21, -1));
    expect(first.meta).toEqual({ limit: 20, nextAfter: ids.at(-2) });
    const second = await page(`limit=20&after=${first.meta.nextAfter}`);
    expect(second.data.map((user) => user.id)).toEqual([ids.at(-1)]);
    expect(second.meta).toEqual({ limit: 20, nextAfter: null });
  });

  it('starts at the beginning with after=0, as without after', async () => {
    const ids = await idsInDatabase();
    const explicit = await page('after=0&limit=5');
    expect(explicit.data.map((user) => user.id)).toEqual(ids.slice(0, 5));
    expect(explicit).toEqual(await page('limit=5'));
  });

  it.each([
    ['just after the last id', async (ids: number[]) => ids.at(-1)!],
    ['far beyond it', async () => 2_000_000_000],
    ['at the largest id', async () => 2_147_483_647],
  ])('returns an empty last page for after %s', async (_, afterOf) => {
    const after = await afterOf(await idsInDatabase());
    expect(await page(`after=${after}`)).toEqual({
      data: [],
      meta: { limit: 20, nextAfter: null },
    });
  });

  it('returns full users in the response shape', async () => {
    const [first] = (await page(`limit=1&after=${apiUsers[0].id - 1}`)).data;
    expect(first).toEqual(apiUsers[0]);
  });

  describe('email filter', () => {
    it('finds the one user with that address, ignoring case, with no next page', async () => {
      const user = apiUsers[3];
      for (const email of [user.email, user.email.toUpperCase()]) {
        const found = await page(`email=${encodeURIComponent(email)}`);
        expect(found).toEqual({
          data: [user],
          meta: { limit: 20, nextAfter: null },
        });
      }
      const seeded = await page('email=SEED-7%40Example.com&limit=1');
      expect(seeded.data.map((u) => u.email)).toEqual(['seed-7@example.com']);
      expect(seeded.meta).toEqual({ limit: 1, nextAfter: null });
    });

    it('matches the whole address only', async () => {
      for (const email of ['seed-1@example.co', 'eed-1@example.com']) {
        expect(await page(`email=${email}`)).toEqual({
          data: [],
          meta: { limit: 20, nextAfter: null },
        });
      }
    });

    it('returns nothing for an unknown address, or with after at or past the user', async () => {
      const user = apiUsers[5];
      const email = encodeURIComponent(user.email);
      for (const query of [
        'email=nobody%40example.com',
        `email=${email}&after=${user.id}`,
        `email=${email}&after=${user.id + 1}`,
      ]) {
        expect(await page(query)).toEqual({
          data: [],
          meta: { limit: 20, nextAfter: null },
        });
      }
      expect(
        (await page(`email=${email}&after=${user.id - 1}`)).data,
      ).toHaveLength(1);
    });
  });

  it('runs one statement per page, without OFFSET or COUNT, on the primary key index', async () => {
    const pool = poolOf(testApp.app.get(DataSource));
    // The repository checks a client out of the pool for each statement.
    const statements: QueryConfig[] = [];
    const original = pool.connect.bind(pool) as () => Promise<PoolClient>;
    pool.connect = (async () => {
      const client = await original();
      const query = client.query.bind(client) as (
        ...args: unknown[]
      ) => unknown;
      const recording = Object.create(client) as PoolClient;
      recording.query = ((...args: unknown[]) => {
        statements.push(args[0] as QueryConfig);
        return query(...args);
      }) as typeof client.query;
      return recording;
    }) as typeof pool.connect;
    const ids = await idsInDatabase();
    try {
      for (const query of [
        `limit=20&after=${ids[300]}`,
        `email=${encodeURIComponent(apiUsers[0].email)}`,
      ]) {
        const reply = await testApp.api.get(`/users?${query}`);
        expect(reply.status).toBe(200);
        expect(reply.headers.get('x-cache')).toBe('MISS');
      }
    } finally {
      pool.connect = original as typeof pool.connect;
    }

    expect(statements).toHaveLength(2);
    for (const { text } of statements) {
      expect(text).not.toMatch(/\boffset\b|\bcount\s*\(/i);
    }
    const [byId, byEmail] = await Promise.all(
      statements.map(async ({ text, values }) => {
        const { rows } = await testApp.db.query(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
          values,
        );
        return rows[0]['QUERY PLAN'][0].Plan as PlanNode;
      }),
    );
    // However deep into the table the page is, only the page is read.
    const byIdScan = scans(byId);
    expect(byIdScan).toEqual([
      expect.objectContaining({
        'Node Type': 'Index Scan',
        'Index Name': 'users_pkey',
        'Actual Rows': 21,
      }),
    ]);
    expect(scans(byEmail)).toEqual([
      expect.objectContaining({
        'Index Name': EMAIL_UNIQUE_INDEX,
        'Actual Rows': 1,
      }),
    ]);
  });

  it('walks on without a gap or a repeat when users are deleted between pages', async () => {
    const before = await idsInDatabase();
    const deletedAhead = new Set<number>();
    const deletedSeen = new Set<number>();

    const { ids } = await walk(20, async (current) => {
      const last = current.meta.nextAfter;
      if (last === null || deletedSeen.size >= 6) return;
      const next = before.indexOf(last) + 1;
      await remove(last, deletedSeen); // the row the cursor points at
      await remove(current.data[0].id, deletedSeen);
      await remove(before[next], deletedAhead); // the next page's first row
      await remove(before[next + 25], deletedAhead);
    });

    const remaining = await idsInDatabase();
    expect(remaining).toHaveLength(
      before.length - deletedSeen.size - deletedAhead.size,
    );
    expect(deletedAhead.size).toBe(6);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // Every user still there was seen; none deleted before its page was.
    expect(ids).toEqual(before.filter((id) => !deletedAhead.has(id)));
    expect(remaining).toEqual(ids.filter((id) => !deletedSeen.has(id)));
  });
});

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Index Name'?: string;
  readonly 'Actual Rows': number;
  readonly Plans?: PlanNode[];
}

/** The nodes of a plan that read the table. */
function scans(plan: PlanNode): PlanNode[] {
  const children = (plan.Plans ?? []).flatMap(scans);
  return /Scan/.test(plan['Node Type']) ? [plan, ...children] : children;
}
