import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PRESENCE_LEASE_MAX_SECS, PRESENCE_LEASE_MIN_SECS } from 'meeting-types';
import { EnvReader, LOG_FORMATS, LOG_LEVELS, metricsTokenProblem, type Env, type JwtSecretSource, type LogFormat, type LogLevel } from 'service-runtime';
import { SUBJECT_PREFIX_PATTERN, subjectPrefixOf } from './relay/nats-namespace';


/** Largest frame a client may send (RFC 6455 close 1009 above it). Fixed: clients rely on it. */
export const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * How the Media Server proves itself to NATS: at most one kind. A user and password (or a
 * token alone) written in `NATS_URL` itself count as `user` (or `token`). The secrets stay out
 * of logs (`kind` is what is logged).
 */
export type NatsAuth =
  | { kind: 'none' }
  | { kind: 'user'; user: string; pass: string }
  | { kind: 'token'; token: string }
  | { kind: 'nkey'; seed: Uint8Array }
  | { kind: 'creds'; creds: Uint8Array };

/** Everything the Media Server reads from its environment, validated once at start-up. */
export interface MediaServerConfig {
  /** `MEDIA_SERVER_PORT` (8080); 0 picks a free port. */
  port: number;
  /** `HOST` (127.0.0.1): bind address. */
  host: string;
  /** HMAC key of room access tokens (`JWT_SECRET`, or the shared development secret). */
  jwtSecret: string;
  jwtSecretSource: JwtSecretSource;
  jwtSecretPath: string | undefined;
  /** `NATS_URL`: unset → single-instance in-process relay. */
  natsUrl: string | undefined;
  /** `NATS_USER` + `NATS_PASSWORD`, `NATS_TOKEN`, `NATS_NKEY_SEED_FILE` or `NATS_CREDS_FILE` (files read here, once). */
  natsAuth: NatsAuth;
  /**
   * `NATS_SUBJECT_PREFIX`, else `vc-` + 12 hex digits of an HMAC of the JWT secret: put before
   * every NATS subject, so deployments with different secrets sharing one NATS never meet.
   */
  natsSubjectPrefix: string;
  /** `DATA_DIR` (.data): where the development JWT secret lives. */
  dataDir: string;
  production: boolean;
  /** `LOG_LEVEL` (info). */
  logLevel: LogLevel;
  /** `LOG_FORMAT` (auto): `json`, `pretty`, or `auto` (pretty when stdout is a terminal). */
  logFormat: LogFormat;
  /** `METRICS` (true): serve Prometheus metrics at `GET /metrics`. */
  metrics: boolean;
  /**
   * `METRICS_TOKEN`: `GET /metrics` and the full `GET /version` need `Authorization: Bearer <token>`.
   * Unset: open in development; in production nobody reads metrics and `/version` names only the release.
   */
  metricsToken: string | undefined;
  /** `GIT_COMMIT`: the commit `GET /version` reports, overriding the one recorded at bundle time. */
  gitCommit: string | undefined;
  /** `MEDIA_MAX_CONNECTIONS` (10000): open WebSockets per instance; more → 503 before upgrade. */
  maxConnections: number;
  /** `MEDIA_MAX_BUFFERED_BYTES` (2 MiB): unsent bytes a receiver may lag behind before it is cut with 1013. */
  maxBufferedBytes: number;
  /** `MEDIA_MAX_TOTAL_BUFFERED_BYTES` (256 MiB): unsent bytes of all receivers together; beyond, the largest backlogs are cut with 1013. */
  maxTotalBufferedBytes: number;
  /** `MEDIA_MAX_CONNECTIONS_PER_IDENTITY` (4): open WebSockets per token subject and room; more → 429 before upgrade. */
  maxConnectionsPerIdentity: number;
  /** `MEDIA_MAX_CONNECTIONS_PER_IDENTITY_TOTAL` (32): open WebSockets per token subject across all rooms of the instance; more → 429. */
  maxConnectionsPerIdentityTotal: number;
  /** `MEDIA_HEADERS_TIMEOUT_SECS` (10) × 1000: a request's headers must arrive whole within this, else the socket is closed. */
  headersTimeoutMs: number;
  /** `MEDIA_UPGRADE_RATE_PER_MINUTE` (0 = off): upgrade attempts per client address and minute; more → 429. */
  upgradeRatePerMinute: number;
  /** `MEDIA_SENDER_BYTES_PER_SEC` (1 MiB, 0 = off): bytes a sender may relay per second; beyond, its socket is not read until the debt refills. */
  senderBytesPerSec: number;
  /** `MEDIA_SENDER_BURST_BYTES` (1 MiB): bytes a sender may send at once above its rate (at least one largest frame). */
  senderBurstBytes: number;
  /** `MEDIA_SENDER_FRAMES_PER_SEC` (1000, 0 = off): frames a sender may relay per second (burst: one second's worth). */
  senderFramesPerSec: number;
  /** `MEDIA_NATS_MAX_PENDING_BYTES` (16 MiB): bytes waiting to go to NATS above which frames for other instances are dropped. */
  natsMaxPendingBytes: number;
  /** `MEDIA_HEARTBEAT_SECS` (30) × 1000: ping interval; a peer that misses one pong is dropped. */
  heartbeatMs: number;
  /** Largest accepted frame, bytes. */
  maxFrameBytes: number;
  /**
   * `MEETING_API_URL`: a Meeting API whose decision feed this server follows (meeting ended or
   * deleted, participant left, rejected or removed close connections and revoke earlier tokens).
   * Unset → no enforcement beyond the token (`npm start` sets it).
   */
  meetingApiUrl: string | undefined;
  /**
   * `MEDIA_PRESENCE_LEASE_SECS` (15, 1–25): with MEETING_API_URL, this instance reports who is
   * connected and renews a lease this long every third of it; if it stops (killed), the API
   * counts its connections as gone when the lease runs out.
   */
  presenceLeaseSecs: number;
}

/** Parses and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Env): MediaServerConfig {
  const read = new EnvReader(env);
  const production = env.NODE_ENV === 'production';
  const dataDir = resolve(read.string('DATA_DIR', '.data'));
  const port = read.port('MEDIA_SERVER_PORT', 8080);
  const host = read.string('HOST', '127.0.0.1');
  const natsUrl = read.url('NATS_URL', ['nats:', 'tls:']);
  const logLevel = read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info');
  const logFormat = read.oneOf('LOG_FORMAT', LOG_FORMATS, 'auto');
  const metrics = read.boolean('METRICS', true);
  const gitCommit = read.optionalString('GIT_COMMIT');
  const metricsToken = read.optionalString('METRICS_TOKEN')?.trim();
  const metricsTokenIssue = metricsToken === undefined ? undefined : metricsTokenProblem(metricsToken);
  if (metricsTokenIssue !== undefined) read.errors.push(metricsTokenIssue);
  const maxConnections = read.integer('MEDIA_MAX_CONNECTIONS', 10_000, 1, 1_000_000);
  const maxBufferedBytes = read.integer('MEDIA_MAX_BUFFERED_BYTES', 2 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024);
  const maxTotalBufferedBytes = read.integer('MEDIA_MAX_TOTAL_BUFFERED_BYTES', 256 * 1024 * 1024, 1024 * 1024, 64 * 1024 * 1024 * 1024);
  const maxConnectionsPerIdentity = read.integer('MEDIA_MAX_CONNECTIONS_PER_IDENTITY', 4, 1, 1000);
  const maxConnectionsPerIdentityTotal = read.integer('MEDIA_MAX_CONNECTIONS_PER_IDENTITY_TOTAL', 32, 1, 1_000_000);
  const headersTimeoutSecs = read.integer('MEDIA_HEADERS_TIMEOUT_SECS', 10, 1, 600);
  const upgradeRatePerMinute = read.integer('MEDIA_UPGRADE_RATE_PER_MINUTE', 0, 0, 1_000_000);
  const senderBytesPerSec = read.integer('MEDIA_SENDER_BYTES_PER_SEC', 1024 * 1024, 0, 1024 * 1024 * 1024);
  const senderBurstBytes = read.integer('MEDIA_SENDER_BURST_BYTES', MAX_FRAME_BYTES, MAX_FRAME_BYTES, 1024 * 1024 * 1024);
  const senderFramesPerSec = read.integer('MEDIA_SENDER_FRAMES_PER_SEC', 1000, 0, 1_000_000);
  const natsMaxPendingBytes = read.integer('MEDIA_NATS_MAX_PENDING_BYTES', 16 * 1024 * 1024, 2 * 1024 * 1024, 4 * 1024 * 1024 * 1024);
  const heartbeatSecs = read.integer('MEDIA_HEARTBEAT_SECS', 30, 1, 3600);
  const meetingApiUrl = read.url('MEETING_API_URL', ['http:', 'https:']);
  const presenceLeaseSecs = read.integer('MEDIA_PRESENCE_LEASE_SECS', 15, PRESENCE_LEASE_MIN_SECS, PRESENCE_LEASE_MAX_SECS);

  const natsAuth = readNatsAuth(read, natsUrl);
  const explicitPrefix = read.optionalString('NATS_SUBJECT_PREFIX')?.trim();
  if (explicitPrefix !== undefined && !(SUBJECT_PREFIX_PATTERN.test(explicitPrefix) && explicitPrefix.length <= 64)) {
    read.errors.push('NATS_SUBJECT_PREFIX must be up to 64 characters of dot-separated [A-Za-z0-9_-] tokens (no wildcards)');
  }

  const secret = read.jwtSecret(production, dataDir);
  read.done();

  return {
    port,
    host,
    jwtSecret: secret.secret,
    jwtSecretSource: secret.source,
    jwtSecretPath: secret.path,
    natsUrl,
    natsAuth,
    natsSubjectPrefix: explicitPrefix ?? subjectPrefixOf(secret.secret),
    dataDir,
    production,
    logLevel,
    logFormat,
    metrics,
    metricsToken,
    gitCommit,
    maxConnections,
    maxBufferedBytes,
    maxTotalBufferedBytes,
    maxConnectionsPerIdentity,
    maxConnectionsPerIdentityTotal,
    headersTimeoutMs: headersTimeoutSecs * 1000,
    upgradeRatePerMinute,
    senderBytesPerSec,
    senderBurstBytes,
    senderFramesPerSec,
    natsMaxPendingBytes,
    heartbeatMs: heartbeatSecs * 1000,
    maxFrameBytes: MAX_FRAME_BYTES,
    meetingApiUrl,
    presenceLeaseSecs,
  };
}

/** Reads a credentials file once; a missing or unreadable one is a configuration error naming the variable. */
function readSecretFile(read: EnvReader, name: string, path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    read.errors.push(`${name} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}: ${path})`);
    return new Uint8Array();
  }
}

/** NATS credentials: at most one kind; `NATS_USER` needs `NATS_PASSWORD`. */
function readNatsAuth(read: EnvReader, natsUrl: string | undefined): NatsAuth {
  const user = read.optionalString('NATS_USER');
  const pass = read.optionalString('NATS_PASSWORD');
  const token = read.optionalString('NATS_TOKEN');
  const seedFile = read.optionalString('NATS_NKEY_SEED_FILE');
  const credsFile = read.optionalString('NATS_CREDS_FILE');
  const inUrl = natsUrl === undefined ? { kind: 'none' as const } : natsAuthInUrl(natsUrl);
  const given = [
    user !== undefined || pass !== undefined ? 'NATS_USER/NATS_PASSWORD' : undefined,
    token !== undefined ? 'NATS_TOKEN' : undefined,
    seedFile !== undefined ? 'NATS_NKEY_SEED_FILE' : undefined,
    credsFile !== undefined ? 'NATS_CREDS_FILE' : undefined,
    inUrl.kind !== 'none' ? 'credentials in NATS_URL' : undefined,
  ].filter((g) => g !== undefined);
  if (given.length > 1) {
    read.errors.push(`NATS credentials: set only one of ${given.join(', ')}`);
    return { kind: 'none' };
  }
  if (user !== undefined || pass !== undefined) {
    if (user === undefined || pass === undefined) {
      read.errors.push('NATS_USER and NATS_PASSWORD go together');
      return { kind: 'none' };
    }
    return { kind: 'user', user, pass };
  }
  if (token !== undefined) return { kind: 'token', token };
  if (seedFile !== undefined) return { kind: 'nkey', seed: readSecretFile(read, 'NATS_NKEY_SEED_FILE', seedFile) };
  if (credsFile !== undefined) return { kind: 'creds', creds: readSecretFile(read, 'NATS_CREDS_FILE', credsFile) };
  return inUrl;
}

/**
 * The user and password (or a token alone) written in a NATS URL. The NATS client does not read
 * credentials from the URL, so they are taken out here and the URL is used without them.
 */
export function natsAuthInUrl(url: string): NatsAuth {
  try {
    const u = new URL(url);
    if (u.username === '') return { kind: 'none' };
    return u.password === ''
      ? { kind: 'token', token: decodeURIComponent(u.username) }
      : { kind: 'user', user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) };
  } catch {
    return { kind: 'none' };
  }
}
