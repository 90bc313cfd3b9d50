/**
 * The Media Server's Prometheus metrics, all defined here with a small typed API. The per-frame
 * counters are plain numbers the hot path bumps (`metrics.frames.in++`), read by prom-client
 * only when `/metrics` is scraped; labelled events go through `inc({ reason })`. Label values
 * come from closed sets: never a room id, an identity or a token.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

const PREFIX = 'media_server_';

/** Why enforcement closed a live connection (close codes 4001, 4003, 4000 of EXTENSIONS the live-events extension). */
export type EnforcementCloseReason = 'meeting_ended' | 'removed' | 'left';
/** Why a `/lobby` upgrade was refused after its token was read. */
export type TokenRefusalReason =
  | 'missing'
  | 'expired'
  | 'bad_signature'
  | 'wrong_algorithm'
  | 'wrong_issuer'
  | 'malformed'
  | 'revoked';

/** What the metrics read at scrape time from the running server. */
export interface MediaMetricsSource {
  connections(): number;
  rooms(): number;
  disconnects(): { slowConsumer: number; heartbeat: number };
  /** Undefined on the local (single-instance) relay. */
  nats?(): { connected: boolean; reconnects: number; rejectedMemberMessages: number; nonMemberFrames: number } | undefined;
}

export interface MediaMetrics {
  readonly registry: Registry;
  /** Frames and bytes received from clients (`in`) and sent to clients (`out`). Hot path: plain fields. */
  readonly frames: { in: number; out: number };
  readonly bytes: { in: number; out: number };
  readonly enforcementCloses: { inc(labels: { reason: EnforcementCloseReason }): void };
  readonly tokenRefusals: { inc(labels: { reason: TokenRefusalReason }): void };
  /** Connects the gauges to the running server; until then they read 0. */
  bind(source: MediaMetricsSource): void;
  scrape(): Promise<string>;
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** A counter whose value lives in a plain number elsewhere (read when scraped). */
function mirroredCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let reported = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      if (now > reported) this.inc(now - reported);
      reported = now;
    },
  });
}

export function createMediaMetrics(opts: { defaultMetrics?: boolean } = {}): MediaMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  let source: MediaMetricsSource = { connections: () => 0, rooms: () => 0, disconnects: () => ({ slowConsumer: 0, heartbeat: 0 }) };
  const frames = { in: 0, out: 0 };
  const bytes = { in: 0, out: 0 };

  new Gauge({
    name: `${PREFIX}connections`,
    help: 'Open client WebSocket connections on this instance',
    registers: [registry],
    collect() {
      this.set(source.connections());
    },
  });
  new Gauge({
    name: `${PREFIX}rooms`,
    help: 'Rooms with at least one member on this instance',
    registers: [registry],
    collect() {
      this.set(source.rooms());
    },
  });
  mirroredCounter(registry, `${PREFIX}frames_received_total`, 'Frames received from clients', () => frames.in);
  mirroredCounter(registry, `${PREFIX}frames_sent_total`, 'Frames sent to clients (one per receiver)', () => frames.out);
  mirroredCounter(registry, `${PREFIX}received_bytes_total`, 'Payload bytes received from clients', () => bytes.in);
  mirroredCounter(registry, `${PREFIX}sent_bytes_total`, 'Payload bytes sent to clients (one copy per receiver)', () => bytes.out);
  mirroredCounter(
    registry,
    `${PREFIX}slow_consumer_disconnects_total`,
    'Receivers cut with close 1013 for lagging more than MEDIA_MAX_BUFFERED_BYTES',
    () => source.disconnects().slowConsumer,
  );
  mirroredCounter(
    registry,
    `${PREFIX}heartbeat_disconnects_total`,
    'Peers dropped for missing a pong',
    () => source.disconnects().heartbeat,
  );
  const enforcementCloses = new Counter({
    name: `${PREFIX}enforcement_closes_total`,
    help: 'Live connections closed by a meeting decision, by reason (meeting_ended, removed, left)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const tokenRefusals = new Counter({
    name: `${PREFIX}token_refusals_total`,
    help: 'Upgrades refused for their token, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: `${PREFIX}nats_connected`,
    help: '1 while connected to NATS, 0 while not; absent on the local relay',
    registers: [registry],
    collect() {
      const nats = source.nats?.();
      if (nats !== undefined) this.set(nats.connected ? 1 : 0);
    },
  });
  mirroredCounter(registry, `${PREFIX}nats_reconnects_total`, 'Reconnections to NATS after a disconnect', () => source.nats?.()?.reconnects ?? 0);
  mirroredCounter(
    registry,
    `${PREFIX}nats_non_member_frames_total`,
    'Frames from NATS dropped because their sender is not a member of the room (no instance announced it)',
    () => source.nats?.()?.nonMemberFrames ?? 0,
  );
  mirroredCounter(
    registry,
    `${PREFIX}nats_rejected_member_messages_total`,
    "Member presence messages from NATS refused: not signed with this deployment's key, misdirected or stale",
    () => source.nats?.()?.rejectedMemberMessages ?? 0,
  );

  return {
    registry,
    frames,
    bytes,
    enforcementCloses: { inc: (labels) => enforcementCloses.inc(labels) },
    tokenRefusals: { inc: (labels) => tokenRefusals.inc(labels) },
    bind(s) {
      source = s;
      if (s.nats === undefined) {
        // The local relay has no broker: no NATS series at all rather than a misleading 0.
        registry.removeSingleMetric(`${PREFIX}nats_connected`);
        registry.removeSingleMetric(`${PREFIX}nats_reconnects_total`);
        registry.removeSingleMetric(`${PREFIX}nats_non_member_frames_total`);
        registry.removeSingleMetric(`${PREFIX}nats_rejected_member_messages_total`);
      }
    },
    scrape: () => registry.metrics(),
  };
}
