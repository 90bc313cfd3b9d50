import { randomBytes } from 'node:crypto';
import { ConfigError, createLogger } from 'service-runtime';
import { buildMediaServer, SERVICE_NAME } from './app';
import { loadConfig, type MediaServerConfig } from './config';
import { createFeedEnforcement } from './enforcement/feed-enforcement';
import { createPresenceReporter, type PresenceReporter } from './presence/presence-reporter';
import { createLocalRelay } from './relay/local-relay';
import { natsNamespace } from './relay/nats-namespace';
import { connectNatsRelay, redactUrl } from './relay/nats-relay';
import type { Relay } from './relay/relay';

let config: MediaServerConfig;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`media-server: ${err.message}`);
    process.exit(1);
  }
  throw err;
}

// One id for this process: on every log line (`instance`) and on every frame it relays over NATS.
const instanceId = randomBytes(6).toString('hex');
const logger = await createLogger({ service: SERVICE_NAME, level: config.logLevel, format: config.logFormat, base: { instance: instanceId } });
// Same words and level on both services (the Meeting API says the same).
if (config.jwtSecretSource === 'generated') {
  logger.warn({ path: config.jwtSecretPath }, 'JWT_SECRET is unset: generated a new development secret (set JWT_SECRET in production)');
} else if (config.jwtSecretSource === 'file') {
  logger.warn({ path: config.jwtSecretPath }, 'JWT_SECRET is unset: using the development secret from the data directory (set JWT_SECRET in production)');
}

let relay: Relay;
if (config.natsUrl !== undefined) {
  if (config.natsAuth.kind === 'none') {
    // NATS_URL was set explicitly (nothing here looks for a NATS by itself): that is the opt-in.
    const risk = 'NATS_URL has no credentials: any client of that NATS can read this deployment\'s room subjects and publish on them (set NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED_FILE or NATS_CREDS_FILE)';
    if (config.production) logger.warn({ nats: redactUrl(config.natsUrl) }, `${risk}; connecting because NATS_URL was set explicitly`);
    else logger.info({ nats: redactUrl(config.natsUrl) }, risk);
  }
  // Never fails: NATS down or refusing our credentials is logged and retried; local rooms work meanwhile.
  relay = await connectNatsRelay({
    url: config.natsUrl,
    logger,
    instanceId,
    namespace: natsNamespace(config.jwtSecret, config.natsSubjectPrefix),
    auth: config.natsAuth,
    options: { maxFrameBytes: config.maxFrameBytes, maxPendingBytes: config.natsMaxPendingBytes },
  });
} else {
  relay = createLocalRelay();
  logger.warn(
    'NATS_URL is unset: single-instance relay. This Media Server cannot see other instances: clients connected to another Media Server are not in its rooms (set NATS_URL on every instance to share rooms)',
  );
}

let enforcement;
let presence: PresenceReporter | undefined;
if (config.meetingApiUrl !== undefined) {
  enforcement = createFeedEnforcement({ apiUrl: config.meetingApiUrl, jwtSecret: config.jwtSecret, logger });
  presence = createPresenceReporter({
    apiUrl: config.meetingApiUrl,
    jwtSecret: config.jwtSecret,
    instanceId,
    leaseSecs: config.presenceLeaseSecs,
    logger,
  });
} else {
  logger.warn('MEETING_API_URL unset: meeting decisions (ended, left, removed) are not enforced on live connections');
}
const app = buildMediaServer(config, { logger, relay, enforcement, instanceId, presence });
try {
  await app.listen();
} catch (err) {
  logger.fatal({ err, port: config.port, host: config.host }, 'cannot listen (MEDIA_SERVER_PORT / HOST)');
  await relay.close();
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
