import { mkdirSync } from 'node:fs';
import pino from 'pino';
import { ConfigError } from 'service-runtime';
import { buildApp, loggerOptions } from './app';
import { loadConfig, type MeetingApiConfig } from './config';
import { migrate } from './db/migrate';
import { openDatabase } from './db/open';

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
  const logger = pino(loggerOptions(config.logLevel) as pino.LoggerOptions);

  if (config.jwtSecretSource === 'generated') {
    logger.warn({ path: config.jwtSecretPath }, 'JWT_SECRET is unset: generated a development secret (set JWT_SECRET in production)');
  } else if (config.jwtSecretSource === 'file') {
    logger.info({ path: config.jwtSecretPath }, 'JWT_SECRET is unset: using the development secret from the data directory');
  }

  const auth = config.auth;
  if (config.production && auth.emailCookieAuth) {
    logger.warn('EMAIL_COOKIE_AUTH is on in production: anyone can claim any identity with an email cookie. Turn it off once sign-in works.');
  }
  if (config.production && !auth.cookieSecure) logger.warn('COOKIE_SECURE=false in production: session cookies travel over plain HTTP');
  if (auth.trustedIdentityHeader !== undefined) {
    logger.warn(
      { header: auth.trustedIdentityHeader },
      'TRUSTED_IDENTITY_HEADER is set: only safe when every request comes through a proxy that strips this header from clients',
    );
  }
  if (config.production && auth.oidc === undefined) logger.warn('OIDC_ISSUER is unset in production: nobody can sign in (only guests and Bearer sessions)');
  if (config.databaseUrl === undefined) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const db = await openDatabase({ ...config, poolSize: config.dbPoolSize, logger });
  try {
    const applied = await migrate(db);
    logger.info({ applied, database: db.kind }, 'migrations up to date');
  } catch (err) {
    logger.fatal({ err }, 'cannot prepare the database (is DATABASE_URL right and the server up?)');
    await db.close().catch(() => {});
    process.exit(1);
  }

  const app = await buildApp(config, { db });
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

  // The address actually bound: with MEETING_API_PORT=0 the OS picks the port.
  const url = await app.listen({ port: config.port, host: config.host });
  const where = config.databaseUrl === undefined ? `embedded PGlite in ${config.dataDir}/pgdata` : 'PostgreSQL (DATABASE_URL)';
  logger.info({ url, database: where }, `Meeting API listening on ${url} (${where})`);
}

main().catch((err) => {
  console.error('meeting-api failed to start:', err);
  process.exit(1);
});
