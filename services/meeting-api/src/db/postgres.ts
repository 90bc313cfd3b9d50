import pg from 'pg';
import type { Logger } from 'pino';
import type { Database, Queryable, QueryResult } from './database';
import { translateDbError } from './errors';

export interface PostgresOptions {
  connectionString: string;
  poolSize: number;
  logger?: Logger;
}

function queryOn(client: pg.Pool | pg.PoolClient) {
  return async <R>(text: string, params?: readonly unknown[], name?: string): Promise<QueryResult<R>> => {
    try {
      const config: pg.QueryConfig = { text, values: params as unknown[] | undefined };
      if (name !== undefined) config.name = name;
      const result = await client.query(config);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    } catch (err) {
      throw translateDbError(err);
    }
  };
}

/** node-postgres pool behind the `Database` interface. */
export function createPostgresDatabase(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    // Fail fast while the database is down, so callers get a 503 instead of hanging.
    connectionTimeoutMillis: 5_000,
    // A connection that stops answering mid-query must not hold a request forever.
    query_timeout: 15_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (err) => options.logger?.warn({ err: { message: err.message } }, 'idle database connection lost'));

  return {
    kind: 'postgres',
    query: queryOn(pool),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw translateDbError(err);
      }
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn({ query: queryOn(client) });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw translateDbError(err);
      } finally {
        client.release(broken);
      }
    },
    async exec(script: string): Promise<void> {
      try {
        await pool.query(script);
      } catch (err) {
        throw translateDbError(err);
      }
    },
    async close(): Promise<void> {
      await pool.end();
    },
    poolStats() {
      return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
    },
  };
}
