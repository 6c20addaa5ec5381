import { Pool } from 'pg';
import { serve, settings, USER_COLUMNS, userBody } from './serve.mjs';

const pool = new Pool(settings.postgres);
const findById = `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`;

// GET /users/{id}, as the service reads a user on a cache miss.
serve(
  async (request) => {
    const url = request.url ?? '';
    const id = Number(url.slice(url.lastIndexOf('/') + 1));
    const { rows } = await pool.query({
      name: 'find_by_id',
      text: findById,
      values: [id],
    });
    return rows.length > 0
      ? { body: JSON.stringify(userBody(rows[0])) }
      : { status: 404, body: '{}' };
  },
  () => pool.end(),
);
