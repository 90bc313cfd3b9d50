import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database';

/**
 * Embedded PostgreSQL (PGlite) behind the `Database` interface. `dataDir`
 * undefined means in-memory (tests). PGlite is one connection: it serializes
 * transactions itself, so the same SQL keeps its meaning.
 */
export async function createPgliteDatabase(dataDir: string | undefined): Promise<Database> {
  const db = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
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
