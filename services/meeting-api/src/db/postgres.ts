import pg from 'pg';
import type { Logger } from 'pino';
import type { Database, Queryable, QueryResult } from './database';
import { isUnavailableError, translateDbError } from './errors';

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
  // An idle client losing its connection must not crash the process; the pool replaces it
  // (the client's own listener below has logged it).
  pool.on('error', () => {});
  // A checked-out client has no listener of the pool's (pg-pool removes it while the client is
  // lent out), and a connection that dies then emits 'error' with nobody listening: an uncaught
  // exception. Every client the pool creates gets its own listener for its whole life; the query
  // in flight still fails (and the caller answers 503), and the client is marked broken so it
  // is discarded when released instead of going back to the pool.
  const brokenClients = new WeakSet<pg.PoolClient>();
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      brokenClients.add(client);
      options.logger?.warn({ err: { message: err.message } }, 'database connection lost');
    });
  });

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
        if (brokenClients.has(client) || isUnavailableError(err)) {
          // The connection is gone (or going): nothing to roll back on it; the server already did.
          broken = true;
        } else {
          try {
            await client.query('ROLLBACK');
          } catch {
            broken = true;
          }
        }
        throw translateDbError(err);
      } finally {
        // A broken client is destroyed, never handed to the next caller.
        client.release(broken || brokenClients.has(client) ? true : undefined);
      }
    },
    listen(channel, onNotify, onReconnect) {
      return listenWithReconnect(options, channel, onNotify, onReconnect);
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

const LISTEN_RETRY_MIN_MS = 250;
const LISTEN_RETRY_MAX_MS = 5_000;

/**
 * LISTEN on a dedicated connection (a pooled one would be handed to others). When it
 * drops, it reconnects with backoff and reports it, since notifications were missed.
 * Never rejects: if the database is down at first, it keeps trying in the background.
 */
async function listenWithReconnect(
  options: PostgresOptions,
  channel: string,
  onNotify: (payload: string) => void,
  onReconnect: () => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retryMs = LISTEN_RETRY_MIN_MS;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: options.connectionString, connectionTimeoutMillis: 5_000, keepAlive: true });
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      next.removeAllListeners('notification');
      next.end().catch(() => {});
      if (stopped) return;
      options.logger?.warn({ err: err ? { message: err.message } : undefined }, 'event notifications connection lost; reconnecting');
      schedule();
    };
    next.on('error', onLost);
    next.on('end', () => onLost());
    next.on('notification', (msg) => {
      if (msg.channel === channel && msg.payload !== undefined) onNotify(msg.payload);
    });
    await next.connect();
    await next.query(`LISTEN "${channel.replace(/"/g, '')}"`);
    client = next;
    retryMs = LISTEN_RETRY_MIN_MS;
  };

  const schedule = () => {
    if (stopped || timer) return;
    const reconnect = async () => {
      timer = undefined;
      try {
        await connect();
        onReconnect();
      } catch {
        retryMs = Math.min(LISTEN_RETRY_MAX_MS, retryMs * 2);
        schedule();
      }
    };
    timer = setTimeout(() => void reconnect(), retryMs);
    timer.unref();
  };

  try {
    await connect();
  } catch (err) {
    options.logger?.warn({ err: { message: (err as Error).message } }, 'event notifications not available yet; retrying');
    schedule();
  }
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await client?.end().catch(() => {});
  };
}
