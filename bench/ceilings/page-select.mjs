import { Pool } from 'pg';
import { serve, settings, USER_COLUMNS, userBody } from './serve.mjs';

const pool = new Pool(settings.postgres);
const PAGE_SIZE = 20;
const findPage = `SELECT ${USER_COLUMNS} FROM users WHERE id > $1 ORDER BY id LIMIT $2`;

// GET /users?after=…&limit=20 with Cache-Control: no-cache, as the service
// reads a page: one more row than the page tells whether another follows.
serve(
  async (request) => {
    const after = Number(/[?&]after=(\d+)/.exec(request.url ?? '')?.[1] ?? 0);
    const { rows } = await pool.query({
      name: 'find_page',
      text: findPage,
      values: [after, PAGE_SIZE + 1],
    });
    const users = rows.slice(0, PAGE_SIZE);
    const nextAfter = rows.length > PAGE_SIZE ? users[PAGE_SIZE - 1].id : null;
    return {
      body: JSON.stringify({
        data: users.map(userBody),
        meta: { limit: PAGE_SIZE, nextAfter },
      }),
    };
  },
  () => pool.end(),
);
