import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Database } from './database';
import { createPostgresDatabase } from './postgres';

/** PostgreSQL when `databaseUrl` is set, else the embedded PGlite under `<dataDir>/pgdata`. */
export async function openDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize: number;
  logger?: Logger;
}): Promise<Database> {
  if (options.databaseUrl !== undefined) {
    return createPostgresDatabase({ connectionString: options.databaseUrl, poolSize: options.poolSize, logger: options.logger });
  }
  // Loaded only when used: the PGlite module alone costs ~45 MB of RSS.
  const { createPgliteDatabase } = await import('./pglite');
  return createPgliteDatabase(join(options.dataDir, 'pgdata'));
}
