import { mkdirSync } from 'node:fs';
import { ConfigError, createLogger, DataLockedError } from 'service-runtime';
import { buildApp, SERVICE_NAME } from './app';
import { loadConfig, startupWarnings, type MeetingApiConfig } from './config';
import { migrate } from './db/migrate';
import type { Database } from './db/database';
import { openDatabase } from './db/open';

/** What to do about the commonest first-run mistake: a DATABASE_URL naming a database nobody created. */
function databaseHint(err: unknown, databaseUrl: string | undefined): string {
  if ((err as { code?: string }).code !== '3D000' || databaseUrl === undefined) return '';
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  const user = url.username ? ` -U ${decodeURIComponent(url.username)}` : '';
  return `\n  Create it first, for example: createdb -h ${url.hostname} -p ${url.port || 5432}${user} ${name}`;
}

async function main(): Promise<void> {
  let config: MeetingApiConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`meeting-api: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const logger = await createLogger({ service: SERVICE_NAME, level: config.logLevel, format: config.logFormat });

  // Same words and level on both services (the Media Server says the same).
  if (config.jwtSecretSource === 'generated') {
    logger.warn({ path: config.jwtSecretPath }, 'JWT_SECRET is unset: generated a new development secret (set JWT_SECRET in production)');
  } else if (config.jwtSecretSource === 'file') {
    logger.warn({ path: config.jwtSecretPath }, 'JWT_SECRET is unset: using the development secret from the data directory (set JWT_SECRET in production)');
  }

  for (const warning of startupWarnings(config)) logger.warn(warning.fields ?? {}, warning.message);
  if (config.databaseUrl === undefined) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  let db: Database;
  try {
    db = await openDatabase({ ...config, poolSize: config.dbPoolSize, logger });
  } catch (err) {
    if (!(err instanceof DataLockedError)) throw err;
    logger.fatal({ lock: err.lockPath, holder_pid: err.owner.pid }, 'the data folder is in use by another process');
    console.error(`meeting-api: ${err.message}`);
    process.exit(1);
  }
  try {
    const applied = await migrate(db);
    logger.info({ applied, database: db.kind }, 'migrations up to date');
  } catch (err) {
    logger.fatal({ err }, 'cannot prepare the database (is DATABASE_URL right and the server up?)');
    console.error(`meeting-api: cannot prepare the database: ${(err as Error).message}${databaseHint(err, config.databaseUrl)}`);
    await db.close().catch(() => {});
    process.exit(1);
  }

  const app = await buildApp(config, { db, loggerInstance: logger });
  app.addHook('onClose', async () => {
    await db.close();
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, deadlineSecs: config.shutdownTimeoutMs / 1000 }, 'shutting down: finishing in-flight requests');
    // Whatever is still open at the deadline (a stalled upload, a long poll) is closed, so the close below can finish.
    setTimeout(() => {
      logger.warn('shutdown deadline passed: closing the remaining connections');
      app.server.closeAllConnections();
    }, config.shutdownTimeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  // One "listening" line: Fastify's own, worded by us. With MEETING_API_PORT=0 it names the port the OS picked.
  const where = config.databaseUrl === undefined ? `embedded PGlite in ${config.dataDir}/pgdata` : 'PostgreSQL (DATABASE_URL)';
  await app.listen({
    port: config.port,
    host: config.host,
    listenTextResolver: (url) => `Meeting API listening on ${url} (${where}; docs ${url}/docs, metrics ${config.metrics ? `${url}/metrics` : 'off'})`,
  });
}

main().catch((err) => {
  console.error('meeting-api failed to start:', err);
  process.exit(1);
});
