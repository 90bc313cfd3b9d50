/**
 * `npm run api-key -- create --name <name> | list | revoke <id>`: API keys for an operator,
 * on the database the API uses (the same configuration: DATABASE_URL, or the embedded one
 * under DATA_DIR, which only one process may open at a time).
 */
import { mkdirSync } from 'node:fs';
import { ConfigError } from 'service-runtime';
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { openDatabase } from '../db/open';
import { createApiKeyStore } from './db/apps-repo';
import { createApiKeyService } from './domain/api-keys';

const USAGE = 'usage: npm run api-key -- create --name <name> | list | revoke <id>';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'create' && command !== 'list' && command !== 'revoke') {
    console.error(USAGE);
    return 2;
  }
  let name: string | undefined;
  let id: string | undefined;
  if (command === 'create') {
    const at = rest.indexOf('--name');
    name = at === -1 ? undefined : rest[at + 1];
    if (!name) {
      console.error(USAGE);
      return 2;
    }
  }
  if (command === 'revoke') {
    id = rest[0];
    if (!id) {
      console.error(USAGE);
      return 2;
    }
  }
  const config = loadConfig(process.env);
  if (config.databaseUrl === undefined) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 });
  try {
    await migrate(db);
    const keys = createApiKeyService(createApiKeyStore(db));
    if (command === 'create') {
      const created = await keys.create(name!, null);
      console.log(`id:     ${created.id}`);
      console.log(`name:   ${created.name}`);
      console.log(`secret: ${created.secret}`);
      console.error('The secret is shown only now: keep it in your backend\'s secret store.');
    } else if (command === 'list') {
      const all = await keys.list();
      if (all.length === 0) console.log('(no API keys)');
      for (const k of all) {
        const used = k.last_used_at === null ? 'never used' : `last used ${new Date(k.last_used_at * 1000).toISOString()}`;
        console.log(`${k.id}  ${k.name}  created ${new Date(k.created_at * 1000).toISOString()}  ${used}`);
      }
    } else {
      await keys.revoke(id!);
      console.log(`API key '${id}' is revoked (every API instance refuses it within seconds)`);
    }
    return 0;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`api-key: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
