import { withClient } from '../lib/bench-db';
import { range } from '../lib/api-client';

/** Rows the pg-select and pg-write limits address; requests spread over all of them. */
export const LIMIT_ROWS = 1_000;

/**
 * Tables of the limit servers, in the bench database next to the API's own tables.
 * `payload` is about the size of a participant row, so the SELECT moves a similar amount.
 */
export async function seedLimitTables(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query(`
      CREATE TABLE bench_limit_rows (
        id         INTEGER PRIMARY KEY,
        email      VARCHAR(255) NOT NULL,
        status     VARCHAR(50)  NOT NULL,
        counter    INTEGER      NOT NULL DEFAULT 0,
        updated_at TIMESTAMPTZ  NOT NULL DEFAULT now()
      );
      CREATE TABLE bench_limit_events (
        id      BIGSERIAL PRIMARY KEY,
        row_id  INTEGER     NOT NULL,
        at      TIMESTAMPTZ NOT NULL DEFAULT now()
      );`);
    const ids = range(LIMIT_ROWS);
    await client.query(
      `INSERT INTO bench_limit_rows (id, email, status)
       SELECT id, 'row-' || id || '@bench.test', 'admitted' FROM unnest($1::int[]) AS id`,
      [ids],
    );
    await client.query('ANALYZE bench_limit_rows');
  });
}
