import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { acquireDataLock } from 'service-runtime';
import type { Database } from './database';
import { createPostgresDatabase } from './postgres';

/** The embedded database's files, and the lock that keeps a second process out of them. */
export function embeddedDatabasePaths(dataDir: string): { pgdata: string; lock: string } {
  return { pgdata: join(dataDir, 'pgdata'), lock: join(dataDir, 'pgdata.lock') };
}

/**
 * PostgreSQL when `databaseUrl` is set, else the embedded PGlite under `<dataDir>/pgdata`
 * (which must exist as a folder). The embedded database is locked for this process:
 * a second process on the same folder gets a DataLockedError naming the holder.
 */
export async function openDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize: number;
  logger?: Logger;
}): Promise<Database> {
  if (options.databaseUrl !== undefined) {
    return createPostgresDatabase({ connectionString: options.databaseUrl, poolSize: options.poolSize, logger: options.logger });
  }
  const paths = embeddedDatabasePaths(options.dataDir);
  const lock = acquireDataLock(paths.lock, `The embedded database in ${paths.pgdata}`);
  if (lock.tookOver !== undefined) {
    options.logger?.warn({ lock: paths.lock, previous_pid: lock.tookOver.pid }, 'took over a stale data folder lock (its process is gone)');
  }
  try {
    if (!existsSync(join(paths.pgdata, 'PG_VERSION'))) {
      options.logger?.info({ path: paths.pgdata }, 'creating the embedded database (first start only: this takes several seconds)');
    }
    // Loaded only when used: the PGlite module alone costs ~45 MB of RSS.
    const { createPgliteDatabase } = await import('./pglite');
    const db = await createPgliteDatabase(paths.pgdata);
    return {
      ...db,
      async close() {
        try {
          await db.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}
