import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Database } from './database';
import { createPgliteDatabase } from './pglite';
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
  return createPgliteDatabase(join(options.dataDir, 'pgdata'));
}
