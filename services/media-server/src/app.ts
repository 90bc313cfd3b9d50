import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { loggerOptions, versionInfo } from 'service-runtime';
import packageJson from '../package.json' with { type: 'json' };
import { createTokenVerifier } from './auth';
import type { MediaServerConfig } from './config';
import { createNoEnforcement, type Enforcement } from './enforcement/enforcement';
import { Membership } from './membership/membership';
import { createMediaMetrics, type MediaMetrics } from './metrics';
import { createLocalRelay } from './relay/local-relay';
import type { Relay } from './relay/relay';
import { createTransport } from './transport/websocket';
import type { PresenceReporter } from './presence/presence-reporter';

export { loadConfig, type MediaServerConfig } from './config';
export type { Relay } from './relay/relay';
export type { Enforcement } from './enforcement/enforcement';
export { createFeedEnforcement } from './enforcement/feed-enforcement';
export { createPresenceReporter, type PresenceReporter } from './presence/presence-reporter';
export { createLocalRelay, LocalHub } from './relay/local-relay';
export { connectNatsRelay, NatsRelay } from './relay/nats-relay';
export { natsNamespace } from './relay/nats-namespace';
export { createMediaMetrics, type MediaMetrics } from './metrics';

export const SERVICE_NAME = 'media-server';

export interface MediaServerStats {
  connections: number;
  rooms: number;
  framesIn: number;
  slowConsumerDisconnects: number;
  heartbeatDisconnects: number;
  /** Receivers cut because the instance-wide unsent-bytes budget was exceeded (also counted as slow consumers). */
  budgetDisconnects: number;
  /** Upgrades refused by MEDIA_MAX_CONNECTIONS_PER_IDENTITY. */
  identityRefusals: number;
  /** Upgrades refused by MEDIA_UPGRADE_RATE_PER_MINUTE. */
  rateLimited: number;
  /** Times a sender went over its byte or frame budget and was paused (MEDIA_SENDER_*). */
  senderThrottles: number;
  /** Unsent bytes of all receivers now (O(connections) to compute). */
  bufferedBytes: number;
}

export interface MediaServer {
  readonly server: Server;
  readonly relay: Relay;
  /** Listens on `config.port` / `config.host`; resolves with the bound port. */
  listen(): Promise<AddressInfo>;
  /** Graceful: stop accepting, close every client with 1001, close the relay (drains NATS). */
  close(): Promise<void>;
  stats(): MediaServerStats;
  readonly metrics: MediaMetrics;
  /** This instance's id: in its log lines (`instance`) and on the frames it relays over NATS. */
  readonly instanceId: string;
}

export interface MediaServerDeps {
  logger?: Logger;
  /** Defaults to a single-instance in-process relay. */
  relay?: Relay;
  /** Defaults to none: every valid token is admitted, nobody is cut. */
  enforcement?: Enforcement;
  /** Defaults to a fresh registry per server. */
  metrics?: MediaMetrics;
  /** Defaults to the NATS relay's id, else a random one. */
  instanceId?: string;
  /** Defaults to none: the Meeting API is not told who is connected. */
  presence?: PresenceReporter;
}

/**
 * Builds the HTTP server and the WebSocket relay without listening. Frames a client sends
 * go, byte-identical and in order, to every other member of its room (on this instance and,
 * through the relay, on others); room and identity come only from the token.
 *
 * Four zones: transport (HTTP, upgrade, refusals, close codes), membership (rooms, members,
 * fan-out, slow consumers, heartbeat), enforcement (policy on top of the token), relay
 * (other instances). This function only wires them.
 */
export function buildMediaServer(config: MediaServerConfig, deps: MediaServerDeps = {}): MediaServer {
  const logger = deps.logger ?? pino(loggerOptions({ service: SERVICE_NAME, level: config.logLevel }));
  const relay: Relay = deps.relay ?? createLocalRelay();
  const enforcement = deps.enforcement ?? createNoEnforcement();
  const instanceId = deps.instanceId ?? (relay as { instanceId?: string }).instanceId ?? randomBytes(6).toString('hex');
  const metrics = deps.metrics ?? createMediaMetrics();

  const membership = new Membership(
    { maxBufferedBytes: config.maxBufferedBytes, maxTotalBufferedBytes: config.maxTotalBufferedBytes, heartbeatMs: config.heartbeatMs, instanceTag: instanceId },
    relay,
    logger,
    metrics,
  );
  metrics.bind({
    connections: () => membership.size,
    rooms: () => membership.roomCount,
    disconnects: () => ({ slowConsumer: membership.counters.slowConsumerDisconnects, heartbeat: membership.counters.heartbeatDisconnects }),
    nats: relay.health ? () => ({ ...relay.health!(), nonMemberFrames: membership.counters.nonMemberFrames }) : undefined,
  });
  relay.start(
    (room, data, isBinary, origin) => membership.deliverRemote(room, data, isBinary, origin),
    (room, event) => membership.onRemoteMember(room, event),
    (room) => membership.announcedMembers(room),
  );
  membership.startHeartbeat();
  membership.startPresence();
  membership.presence = deps.presence;
  enforcement.start(membership);

  const transport = createTransport({
    options: {
      maxConnections: config.maxConnections,
      maxFrameBytes: config.maxFrameBytes,
      maxConnectionsPerIdentity: config.maxConnectionsPerIdentity,
      maxConnectionsPerIdentityTotal: config.maxConnectionsPerIdentityTotal,
      headersTimeoutMs: config.headersTimeoutMs ?? 10_000,
      upgradeRatePerMinute: config.upgradeRatePerMinute,
      senderBudget: { bytesPerSec: config.senderBytesPerSec, burstBytes: config.senderBurstBytes, framesPerSec: config.senderFramesPerSec },
      metrics: config.metrics,
      versionBody: JSON.stringify({ success: true, result: versionInfo(SERVICE_NAME, packageJson.version, config.gitCommit) }),
      briefVersionBody: JSON.stringify({ success: true, result: { name: SERVICE_NAME, version: packageJson.version, commit: null } }),
      operatorAccess: { token: config.metricsToken, production: config.production },
    },
    logger,
    verifyToken: createTokenVerifier(config.jwtSecret),
    membership,
    relay,
    enforcement,
    metrics,
  });
  const { server } = transport;

  return {
    server,
    relay,
    listen() {
      return new Promise<AddressInfo>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          logger.info(
            { port: address.port, host: address.address, relay: relay.kind, metrics: config.metrics },
            `media server listening on ws://${address.address}:${address.port} (${
              relay.kind === 'nats' ? 'NATS relay: rooms shared with other instances' : 'local relay: rooms are not shared with other instances; set NATS_URL to share them'
            })`,
          );
          resolve(address);
        });
      });
    },
    async close() {
      await transport.close();
      await deps.presence?.close();
    },
    metrics,
    instanceId,
    stats() {
      return {
        connections: membership.size,
        rooms: membership.roomCount,
        framesIn: metrics.frames.in,
        ...transport.counters,
        ...membership.counters,
        bufferedBytes: membership.totalBufferedBytes(),
      };
    },
  };
}
