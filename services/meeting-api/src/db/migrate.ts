import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { Database } from './database';

// Found through the package itself, so the same code works from src/ (tsx) and from the dist/ bundle.
export const MIGRATIONS_DIR = join(dirname(createRequire(import.meta.url).resolve('meeting-api/package.json')), 'migrations');
// Any constant will do; it only has to be the same for every instance.
const MIGRATION_LOCK_KEY = 727_001;

export interface Migration {
  version: string;
  sql: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d+_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({ version: file.replace(/\.sql$/, ''), sql: readFileSync(join(dir, file), 'utf8') }));
}

/**
 * Applies pending migrations forward-only, each in its own transaction, and
 * records them in `schema_migrations`. An advisory lock makes concurrent
 * start-ups of several instances apply each migration exactly once.
 */
export async function migrate(db: Database, migrations = readMigrations()): Promise<string[]> {
  // Under the lock too: two concurrent CREATE TABLE IF NOT EXISTS on a fresh
  // database can both try to create it (unique violation on pg_type).
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    VARCHAR(255) PRIMARY KEY,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
  });
  const applied: string[] = [];
  for (const migration of migrations) {
    const didApply = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (done.rowCount > 0) return false;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [migration.version]);
      return true;
    });
    if (didApply) applied.push(migration.version);
  }
  return applied;
}

/**
 * Splits a migration script on `;` at line ends so each statement runs through
 * the transaction's parameterized query path. A `;` at a line end inside a
 * dollar-quoted body (`$$ … $$`, a function) does not end the statement; one inside
 * an ordinary string still would, so migrations must not put one there.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  let inDollarQuote = false;
  for (const line of sql.split('\n')) {
    current.push(line);
    if ((line.match(/\$\$/g)?.length ?? 0) % 2 === 1) inDollarQuote = !inDollarQuote;
    if (!inDollarQuote && /;\s*$/.test(line)) {
      statements.push(current.join('\n').replace(/;\s*$/, ''));
      current = [];
    }
  }
  statements.push(current.join('\n'));
  return statements.map((statement) => statement.replace(/^\s*--.*$/gm, '').trim()).filter((statement) => statement.length > 0);
}
