import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database';

/**
 * PostgreSQL settings sized for one embedded user rather than a server. PGlite's
 * defaults (128 MB of shared buffers) are most of the API process's memory, and
 * WebAssembly memory never shrinks once grown.
 */
const EMBEDDED_SETTINGS: Record<string, string> = {
  shared_buffers: '8MB',
  wal_buffers: '1MB',
  temp_buffers: '1MB',
  work_mem: '2MB',
  maintenance_work_mem: '8MB',
};

export const PGLITE_START_PARAMS: readonly string[] = [
  ...PGlite.defaultStartParams,
  ...Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
];

/**
 * `initdb` inside PGlite grows its WebAssembly memory to ~800 MB, which the
 * process would keep for its whole life. A new data folder is therefore
 * initialised by a short-lived child process; this one then opens it at ~170 MB.
 */
async function initialiseInChildProcess(dataDir: string): Promise<void> {
  const script = `
    const { PGlite } = await import(process.argv[1]);
    const db = await PGlite.create(process.argv[2], { startParams: JSON.parse(process.argv[3]) });
    await db.close();`;
  const moduleUrl = import.meta.resolve('@electric-sql/pglite');
  await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '--eval', script, moduleUrl, dataDir, JSON.stringify(PGLITE_START_PARAMS)],
    { timeout: 120_000 },
  );
}

/**
 * Embedded PostgreSQL (PGlite) behind the `Database` interface. `dataDir`
 * undefined means in-memory (tests). PGlite is one connection: it serializes
 * transactions itself, so the same SQL keeps its meaning.
 */
export async function createPgliteDatabase(dataDir: string | undefined): Promise<Database> {
  // V8 re-compiles PostgreSQL's hot functions with TurboFan, and keeps both copies:
  // ~40-60 MB more, for a development database whose speed is not the point.
  // Set before PGlite compiles its module; no other WebAssembly runs in this process.
  setFlagsFromString('--liftoff-only');
  if (dataDir !== undefined && !existsSync(join(dataDir, 'PG_VERSION'))) await initialiseInChildProcess(dataDir);
  const options = { startParams: [...PGLITE_START_PARAMS] };
  const db = dataDir === undefined ? new PGlite(options) : new PGlite(dataDir, options);
  await db.waitReady;

  const queryOn = (target: Pick<PGlite, 'query'>) =>
    async <R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
      const result = await target.query<R>(text, params as unknown[] | undefined);
      // PGlite reports affectedRows = 0 for a SELECT; pg's rowCount is the number of rows returned.
      return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
    };

  return {
    kind: 'pglite',
    query: queryOn(db),
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return db.transaction((tx) => fn({ query: queryOn(tx) }));
    },
    async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
      // One embedded connection: it never drops, so there is nothing to reconnect.
      return db.listen(channel, onNotify);
    },
    async exec(script: string): Promise<void> {
      await db.exec(script);
    },
    async close(): Promise<void> {
      await db.close();
    },
  };
}
