import { pino } from 'pino';
import { ConfigError } from 'service-runtime';
import { buildMediaServer } from './app';
import { loadConfig, type MediaServerConfig } from './config';
import { createFeedEnforcement } from './enforcement/feed-enforcement';
import { createLocalRelay } from './relay/local-relay';
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

const logger = pino({ level: config.logLevel, base: { service: 'media-server' } });
if (config.jwtSecretSource !== 'env') {
  logger.warn({ path: config.jwtSecretPath }, 'JWT_SECRET unset: using the shared development secret');
}

let relay: Relay;
if (config.natsUrl !== undefined) {
  try {
    relay = await connectNatsRelay({
      url: config.natsUrl,
      logger,
      options: { maxFrameBytes: config.maxFrameBytes, maxPendingBytes: config.natsMaxPendingBytes },
    });
  } catch (err) {
    logger.fatal({ nats: redactUrl(config.natsUrl) }, (err as Error).message);
    console.error(`media-server: ${(err as Error).message}`);
    process.exit(1);
  }
} else {
  relay = createLocalRelay();
}

let enforcement;
if (config.meetingApiUrl !== undefined) {
  enforcement = createFeedEnforcement({ apiUrl: config.meetingApiUrl, jwtSecret: config.jwtSecret, logger });
} else {
  logger.warn('MEETING_API_URL unset: meeting decisions (ended, left, removed) are not enforced on live connections');
}
const app = buildMediaServer(config, { logger, relay, enforcement });
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
