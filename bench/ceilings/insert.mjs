import { escapeIdentifier, Pool } from 'pg';
import { readBody, serve, settings, USER_COLUMNS, userBody } from './serve.mjs';

const pool = new Pool(settings.postgres);
const insert = `INSERT INTO ${escapeIdentifier(settings.table)} (name, email)
  VALUES ($1, $2) RETURNING ${USER_COLUMNS}`;

// POST /users, as the service creates a user: parse, insert, answer.
serve(
  async (request) => {
    const { name, email } = JSON.parse(await readBody(request));
    const { rows } = await pool.query({
      name: 'insert',
      text: insert,
      values: [name, email],
    });
    return { status: 201, body: JSON.stringify(userBody(rows[0])) };
  },
  () => pool.end(),
);
