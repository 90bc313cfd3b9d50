import pg from 'pg';
import { onCleanup } from './cleanup';

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty `bench_<pid>` database next to the admin one; dropped on cleanup. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `bench_${process.pid}`;
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  onCleanup(`drop database ${name}`, drop);
  return { name, url: url.toString(), drop };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Runs a few statements on the bench database with a single short-lived connection. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The server's `autovacuum` setting, said aloud when it is off: figures taken without it drift
 * over a run (dead rows accumulate, statistics go stale) in ways a production server's do not.
 * Each caller says what it does about it.
 */
export async function checkAutovacuum(url: string): Promise<string> {
  const setting = await withClient(url, async (client) => String((await client.query<{ autovacuum: string }>('SHOW autovacuum')).rows[0]?.autovacuum));
  if (setting !== 'on') {
    console.log(`warning: this PostgreSQL runs with autovacuum = ${setting}`);
  }
  return setting;
}

/**
 * Does autovacuum's work on the bench database, for a server that runs without it: every
 * `intervalMs`, each table whose changes since its last analyse pass autovacuum's threshold
 * (50 rows + 10 % of the table) is analysed, and each whose dead rows pass its vacuum threshold
 * (50 + 20 %) is vacuumed. Without it, a scenario that grows a table from its fixture's few
 * hundred rows to thousands runs on statistics of the fixture: the statements' cached plans were
 * made for a table of a few pages (a sequential scan of the participants for every join, in
 * join-admit) and nothing ever replans them, which a production server's autovacuum does within
 * its naptime. The check runs more often than autovacuum's default minute because a run measures
 * the steady state of 15 seconds. Returns the stop function.
 */
export function autovacuumLikeMaintenance(url: string, intervalMs = 5_000): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const pass = async () => {
    await withClient(url, async (client) => {
      const { rows } = await client.query<{ name: string; analyze: boolean; vacuum: boolean }>(
        `SELECT format('%I.%I', s.schemaname, s.relname) AS name,
           s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0) AS analyze,
           s.n_dead_tup > 50 + 0.2 * GREATEST(c.reltuples, 0) AS vacuum
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid`,
      );
      for (const t of rows) {
        if (stopped) return;
        if (t.vacuum) await client.query(`VACUUM (ANALYZE) ${t.name}`);
        else if (t.analyze) await client.query(`ANALYZE ${t.name}`);
      }
    });
  };
  const timer = setInterval(() => {
    // A pass that fails (the database going away at the end, a chaos scenario's restart) is skipped.
    running = running.then(() => (stopped ? undefined : pass().catch(() => undefined)));
  }, intervalMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
