import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TOKEN_TTL_SECS } from 'meeting-types';
import { readAuthConfig, type AuthConfig } from './auth/auth-config';
import { EnvReader, LOG_LEVELS, type Env, type JwtSecretSource, type LogLevel } from 'service-runtime';


/** Everything the Meeting API reads from its environment, validated once at start-up. */
export interface MeetingApiConfig {
  port: number;
  host: string;
  /** Unset → embedded PGlite under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  jwtSecret: string;
  jwtSecretSource: JwtSecretSource;
  jwtSecretPath: string | undefined;
  tokenTtlSecs: number;
  production: boolean;
  logLevel: LogLevel;
  /** `undefined` → CORS off; `true` → any origin; else the allowed origins. */
  corsOrigins: true | string[] | undefined;
  dbPoolSize: number;
  bodyLimitBytes: number;
  /** `MEDIA_SERVER_PUBLIC_URL`: the Media Server's address as browsers reach it (`ws://` or `wss://`). */
  mediaServerPublicUrl: string | undefined;
  /** `MEDIA_SERVER_PORT`: used for the default public address (the request's host name on this port). */
  mediaServerPort: number;
  /** `WEB_APP_DIR`: the built web app served at `/`; nothing is served when it holds no `index.html`. */
  webAppDir: string;
  /** Open event streams one caller may hold on one instance (`EVENT_STREAMS_PER_CALLER`). */
  eventStreamsPerCaller: number;
  /** Open event streams on one instance, all callers (`EVENT_STREAMS_MAX`). */
  eventStreamsMax: number;
  /** Events are kept this long after their meeting ends or is deleted (`EVENT_RETENTION_SECS`, ≥ 24 h). */
  eventRetentionSecs: number;
  /** Sign-in: sessions, OIDC, cookies, the email cookie's switch (EXTENSIONS.md §A). */
  auth: AuthConfig;
  /** `REQUEST_TIMEOUT_SECS` (30) × 1000: a request must arrive whole within this (408), and a socket idle this long is closed. */
  requestTimeoutMs: number;
  /** `KEEP_ALIVE_TIMEOUT_SECS` (5) × 1000: an idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** `MAX_CONNECTIONS` (4096): open HTTP connections; more are refused by the server. */
  maxConnections: number;
  /** `SHUTDOWN_TIMEOUT_SECS` (10) × 1000: after SIGTERM, connections still open after this are closed. */
  shutdownTimeoutMs: number;
  /** `MAX_WAITING_PER_MEETING` (1000): people in one waiting room; more joins → 409 WAITING_ROOM_FULL. */
  maxWaitingPerMeeting: number;
  /** `PASSWORD_FAILURES_PER_MINUTE` (10): wrong meeting passwords per meeting and caller a minute before 429. */
  passwordFailuresPerMinute: number;
  /** `MAX_CONCURRENT_PASSWORD_HASHES` (4): Argon2 computations at once; more wait, and beyond a queue 503. */
  maxConcurrentPasswordHashes: number;
}

/** Defaults of the limits, also used by `buildApp` when a caller's config predates them. */
export const LIMIT_DEFAULTS = {
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 4096,
  maxWaitingPerMeeting: 1000,
  passwordFailuresPerMinute: 10,
  maxConcurrentPasswordHashes: 4,
} as const;

/** `apps/web/dist` of this repository, from `src/` (tsx) or `dist/` (the bundle) alike. */
const DEFAULT_WEB_APP_DIR = fileURLToPath(new URL('../../../apps/web/dist', import.meta.url));

/** Parses and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Env): MeetingApiConfig {
  const read = new EnvReader(env);
  const production = env.NODE_ENV === 'production';
  const dataDir = resolve(read.string('DATA_DIR', '.data'));
  const port = read.port('MEETING_API_PORT', 8081);
  const host = read.string('HOST', '127.0.0.1');
  const databaseUrl = read.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const tokenTtlSecs = read.integer('TOKEN_TTL_SECS', DEFAULT_TOKEN_TTL_SECS, 10, 86_400);
  const logLevel = read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info');
  const dbPoolSize = read.integer('DB_POOL_SIZE', 10, 1, 200);
  const bodyLimitBytes = read.integer('BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024);
  const eventStreamsPerCaller = read.integer('EVENT_STREAMS_PER_CALLER', 20, 1, 100_000);
  const eventStreamsMax = read.integer('EVENT_STREAMS_MAX', 20_000, 1, 1_000_000);
  const eventRetentionSecs = read.integer('EVENT_RETENTION_SECS', 86_400, 86_400, 365 * 86_400);
  const requestTimeoutSecs = read.integer('REQUEST_TIMEOUT_SECS', LIMIT_DEFAULTS.requestTimeoutMs / 1000, 1, 3600);
  const keepAliveTimeoutSecs = read.integer('KEEP_ALIVE_TIMEOUT_SECS', LIMIT_DEFAULTS.keepAliveTimeoutMs / 1000, 1, 600);
  const maxConnections = read.integer('MAX_CONNECTIONS', LIMIT_DEFAULTS.maxConnections, 1, 1_000_000);
  const shutdownTimeoutSecs = read.integer('SHUTDOWN_TIMEOUT_SECS', 10, 1, 3600);
  const maxWaitingPerMeeting = read.integer('MAX_WAITING_PER_MEETING', LIMIT_DEFAULTS.maxWaitingPerMeeting, 1, 100_000);
  const passwordFailuresPerMinute = read.integer('PASSWORD_FAILURES_PER_MINUTE', LIMIT_DEFAULTS.passwordFailuresPerMinute, 1, 10_000);
  const maxConcurrentPasswordHashes = read.integer('MAX_CONCURRENT_PASSWORD_HASHES', LIMIT_DEFAULTS.maxConcurrentPasswordHashes, 1, 256);
  const corsRaw = read.optionalString('CORS_ORIGINS');
  const corsOrigins =
    corsRaw === undefined ? undefined : corsRaw.trim() === '*' ? true : corsRaw.split(',').map((o) => o.trim()).filter(Boolean);

  const mediaServerPublicUrl = read.url('MEDIA_SERVER_PUBLIC_URL', ['ws:', 'wss:']);
  const mediaServerPort = read.port('MEDIA_SERVER_PORT', 8080);
  const webAppDir = resolve(read.string('WEB_APP_DIR', DEFAULT_WEB_APP_DIR));

  const secret = read.jwtSecret(production, dataDir);
  const auth = readAuthConfig(read, env, production, secret.secret);
  read.done();

  return {
    port,
    host,
    databaseUrl,
    dataDir,
    jwtSecret: secret.secret,
    jwtSecretSource: secret.source,
    jwtSecretPath: secret.path,
    tokenTtlSecs,
    production,
    logLevel,
    corsOrigins,
    dbPoolSize,
    bodyLimitBytes,
    mediaServerPublicUrl,
    mediaServerPort,
    webAppDir,
    eventStreamsPerCaller,
    eventStreamsMax,
    eventRetentionSecs,
    auth,
    requestTimeoutMs: requestTimeoutSecs * 1000,
    keepAliveTimeoutMs: keepAliveTimeoutSecs * 1000,
    maxConnections,
    shutdownTimeoutMs: shutdownTimeoutSecs * 1000,
    maxWaitingPerMeeting,
    passwordFailuresPerMinute,
    maxConcurrentPasswordHashes,
  };
}
