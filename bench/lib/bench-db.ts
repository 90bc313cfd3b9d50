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
 */
export async function checkAutovacuum(url: string): Promise<string> {
  const setting = await withClient(url, async (client) => String((await client.query<{ autovacuum: string }>('SHOW autovacuum')).rows[0]?.autovacuum));
  if (setting !== 'on') {
    console.log(`warning: this PostgreSQL runs with autovacuum = ${setting}; dead rows and planner statistics are left as they are for the whole run (long scenarios and the soak drift for it)`);
  }
  return setting;
}
