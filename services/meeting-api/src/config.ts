import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TOKEN_TTL_SECS } from 'meeting-types';
import { readAuthConfig, type AuthConfig } from './auth/auth-config';
import { EnvReader, LOG_FORMATS, LOG_LEVELS, metricsTokenProblem, type Env, type JwtSecretSource, type LogFormat, type LogLevel } from 'service-runtime';


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
  /** `LOG_FORMAT` (auto): `json`, `pretty`, or `auto` (pretty when stdout is a terminal). */
  logFormat: LogFormat;
  /** `METRICS` (true): serve Prometheus metrics at `GET /metrics`. */
  metrics: boolean;
  /** `GIT_COMMIT`: the commit `GET /version` reports, overriding the one recorded at bundle time. */
  gitCommit: string | undefined;
  /** `undefined` → CORS off; `true` → any origin; else the allowed origins. */
  corsOrigins: true | string[] | undefined;
  dbPoolSize: number;
  bodyLimitBytes: number;
  /**
   * `PUBLIC_URL`: the address people and clients open (http or https, no trailing slash): links,
   * and the `servers` of the OpenAPI document. Default `http://<HOST>:<MEETING_API_PORT>`.
   */
  publicUrl: string;
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
  /**
   * `AUTO_LEAVE_AFTER_SECS` (60; 0 = off): an admitted participant who connected to a Media Server
   * since their latest admission and has had no media connection for this long leaves, as with `/leave`.
   */
  autoLeaveAfterSecs: number;
  /**
   * `TRUST_PROXY`: which hops may set X-Forwarded-For/-Proto/-Host (client address for rate
   * limits, own origin for the CSRF check and the OIDC callback). `false` (unset): none; a
   * number: that many hops in front of the API; else a list of proxy addresses/CIDRs. Never `true`.
   */
  trustProxy: false | number | string[];
  /** Sign-in: sessions, OIDC, cookies, the email cookie's switch (the sign-in extension). */
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
  /** `ADMIN_EMAILS`: identities that manage API keys (comma-separated; empty: nobody, only the command line). */
  adminEmails: string[];
  /** `EMBED_ORIGINS`: origins that may frame the meeting pages (`frame-ancestors`); empty: none. */
  embedOrigins: string[];
  /** `API_KEY_RATE_LIMIT_PER_MINUTE` (600): requests one API key may make a minute on one instance. */
  apiKeyRateLimitPerMinute: number;
  /** `WEBHOOK_ALLOW_PRIVATE` (false): webhooks may target `http://`, private, loopback and link-local addresses. */
  webhookAllowPrivate: boolean;
  /** Limits against one caller harming others (docs/security.md). */
  security: SecurityConfig;
}

/** Limits against one participant, guest or app harming others (docs/security.md). */
export interface SecurityConfig {
  /** `MEETING_CREATES_PER_MINUTE` (120): meetings one identity may create a minute on one instance (POST /meetings and creating joins); more → 429. */
  meetingCreatesPerMinute: number;
  /** `MEETING_ID_MISSES_PER_MINUTE` (60): meeting-id lookups answered 404 per caller a minute; beyond, id routes answer 429. */
  meetingIdMissesPerMinute: number;
  /** `MEETING_ID_MISSES_PER_ADDRESS_PER_MINUTE` (300): the same per client address. */
  meetingIdMissesPerAddressPerMinute: number;
  /** `PASSWORD_FAILURES_PER_ADDRESS_PER_MINUTE` (30): wrong meeting passwords from one client address a minute, any meeting or caller; more → 429. */
  passwordFailuresPerAddressPerMinute: number;
  /** `PASSWORD_FAILURES_PER_MEETING_PER_MINUTE` (60): wrong passwords for one meeting a minute, all callers; more → 429. */
  passwordFailuresPerMeetingPerMinute: number;
  /** `MAX_MEETINGS_PER_OWNER` (1000; 0 = no cap): meetings (not deleted) one identity may own; more → 403 MEETING_QUOTA_EXCEEDED. */
  maxMeetingsPerOwner: number;
  /**
   * `MAX_CONNECTIONS_PER_ADDRESS` (512; 0 = no cap): open HTTP connections from one client address;
   * more are closed unanswered. Peers named by `TRUST_PROXY` (every peer with a hop count) are not capped.
   */
  maxConnectionsPerAddress: number;
  /** `HEADERS_TIMEOUT_SECS` (10) × 1000, at most the request timeout: a request's headers must arrive within this (408). */
  headersTimeoutMs: number;
  /** `LONG_POLLS_PER_CALLER` (20): `status?wait=` requests one caller may hold open on one instance; more → 429 RATE_LIMITED. */
  longPollsPerCaller: number;
  /** `METRICS_TOKEN`: `GET /metrics` and the full `GET /version` need `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /**
   * `ALLOWED_HOSTS`: host names besides `PUBLIC_URL`'s that requests may name in `Host` (in
   * development also localhost, 127.0.0.1 and [::1]); others → 421 MISDIRECTED_REQUEST.
   */
  allowedHosts: string[];
}

export const SECURITY_DEFAULTS: SecurityConfig = {
  meetingCreatesPerMinute: 120,
  meetingIdMissesPerMinute: 60,
  meetingIdMissesPerAddressPerMinute: 300,
  passwordFailuresPerAddressPerMinute: 30,
  passwordFailuresPerMeetingPerMinute: 60,
  maxMeetingsPerOwner: 1000,
  maxConnectionsPerAddress: 512,
  headersTimeoutMs: 10_000,
  longPollsPerCaller: 20,
  metricsToken: undefined,
  allowedHosts: [],
};

/** Defaults of the limits. */
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
  const logFormat = read.oneOf('LOG_FORMAT', LOG_FORMATS, 'auto');
  const metrics = read.boolean('METRICS', true);
  const gitCommit = read.optionalString('GIT_COMMIT');
  const dbPoolSize = read.integer('DB_POOL_SIZE', 10, 1, 200);
  const bodyLimitBytes = read.integer('BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024);
  const eventStreamsPerCaller = read.integer('EVENT_STREAMS_PER_CALLER', 20, 1, 100_000);
  const eventStreamsMax = read.integer('EVENT_STREAMS_MAX', 20_000, 1, 1_000_000);
  const eventRetentionSecs = read.integer('EVENT_RETENTION_SECS', 86_400, 86_400, 365 * 86_400);
  const autoLeaveAfterSecs = read.integer('AUTO_LEAVE_AFTER_SECS', 60, 0, 365 * 86_400);
  const requestTimeoutSecs = read.integer('REQUEST_TIMEOUT_SECS', LIMIT_DEFAULTS.requestTimeoutMs / 1000, 1, 3600);
  const keepAliveTimeoutSecs = read.integer('KEEP_ALIVE_TIMEOUT_SECS', LIMIT_DEFAULTS.keepAliveTimeoutMs / 1000, 1, 600);
  const maxConnections = read.integer('MAX_CONNECTIONS', LIMIT_DEFAULTS.maxConnections, 1, 1_000_000);
  const shutdownTimeoutSecs = read.integer('SHUTDOWN_TIMEOUT_SECS', 10, 1, 3600);
  const maxWaitingPerMeeting = read.integer('MAX_WAITING_PER_MEETING', LIMIT_DEFAULTS.maxWaitingPerMeeting, 1, 100_000);
  const passwordFailuresPerMinute = read.integer('PASSWORD_FAILURES_PER_MINUTE', LIMIT_DEFAULTS.passwordFailuresPerMinute, 1, 10_000);
  const maxConcurrentPasswordHashes = read.integer('MAX_CONCURRENT_PASSWORD_HASHES', LIMIT_DEFAULTS.maxConcurrentPasswordHashes, 1, 256);
  const security: SecurityConfig = {
    meetingCreatesPerMinute: read.integer('MEETING_CREATES_PER_MINUTE', SECURITY_DEFAULTS.meetingCreatesPerMinute, 1, 1_000_000),
    meetingIdMissesPerMinute: read.integer('MEETING_ID_MISSES_PER_MINUTE', SECURITY_DEFAULTS.meetingIdMissesPerMinute, 1, 1_000_000),
    meetingIdMissesPerAddressPerMinute: read.integer(
      'MEETING_ID_MISSES_PER_ADDRESS_PER_MINUTE',
      SECURITY_DEFAULTS.meetingIdMissesPerAddressPerMinute,
      1,
      1_000_000,
    ),
    passwordFailuresPerAddressPerMinute: read.integer(
      'PASSWORD_FAILURES_PER_ADDRESS_PER_MINUTE',
      SECURITY_DEFAULTS.passwordFailuresPerAddressPerMinute,
      1,
      1_000_000,
    ),
    passwordFailuresPerMeetingPerMinute: read.integer(
      'PASSWORD_FAILURES_PER_MEETING_PER_MINUTE',
      SECURITY_DEFAULTS.passwordFailuresPerMeetingPerMinute,
      1,
      1_000_000,
    ),
    maxMeetingsPerOwner: read.integer('MAX_MEETINGS_PER_OWNER', SECURITY_DEFAULTS.maxMeetingsPerOwner, 0, 100_000_000),
    maxConnectionsPerAddress: read.integer('MAX_CONNECTIONS_PER_ADDRESS', SECURITY_DEFAULTS.maxConnectionsPerAddress, 0, 1_000_000),
    // Never longer than the whole request may take.
    headersTimeoutMs: Math.min(requestTimeoutSecs, read.integer('HEADERS_TIMEOUT_SECS', SECURITY_DEFAULTS.headersTimeoutMs / 1000, 1, 3600)) * 1000,
    longPollsPerCaller: read.integer('LONG_POLLS_PER_CALLER', SECURITY_DEFAULTS.longPollsPerCaller, 1, 100_000),
    metricsToken: readMetricsToken(read.optionalString('METRICS_TOKEN'), read.errors),
    allowedHosts: readAllowedHosts(read.optionalString('ALLOWED_HOSTS'), read.errors),
  };
  const corsRaw = read.optionalString('CORS_ORIGINS');
  const corsOrigins =
    corsRaw === undefined ? undefined : corsRaw.trim() === '*' ? true : corsRaw.split(',').map((o) => o.trim()).filter(Boolean);

  const trustProxy = readTrustProxy(read.optionalString('TRUST_PROXY'), read.errors);
  const publicUrl = readPublicUrl(read.optionalString('PUBLIC_URL'), host, port, read.errors);
  const mediaServerPublicUrl = read.url('MEDIA_SERVER_PUBLIC_URL', ['ws:', 'wss:']);
  const mediaServerPort = read.port('MEDIA_SERVER_PORT', 8080);
  const webAppDir = resolve(read.string('WEB_APP_DIR', DEFAULT_WEB_APP_DIR));

  const adminEmails = (read.optionalString('ADMIN_EMAILS') ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  const embedOrigins = readOrigins('EMBED_ORIGINS', read.optionalString('EMBED_ORIGINS'), read.errors);
  const apiKeyRateLimitPerMinute = read.integer('API_KEY_RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000);
  const webhookAllowPrivate = read.boolean('WEBHOOK_ALLOW_PRIVATE', false);

  const secret = read.jwtSecret(production, dataDir);
  const auth = readAuthConfig(read, env, production, secret.secret);
  read.done();
  // Outside development no URL is built from a request's Host: the sign-in callback is PUBLIC_URL's.
  if (production && auth.oidc !== undefined && auth.oidc.redirectUrl === undefined) auth.oidc.redirectUrl = `${publicUrl}/login/callback`;

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
    logFormat,
    metrics,
    gitCommit,
    corsOrigins,
    dbPoolSize,
    bodyLimitBytes,
    publicUrl,
    mediaServerPublicUrl,
    mediaServerPort,
    webAppDir,
    eventStreamsPerCaller,
    eventStreamsMax,
    eventRetentionSecs,
    autoLeaveAfterSecs,
    trustProxy,
    auth,
    requestTimeoutMs: requestTimeoutSecs * 1000,
    keepAliveTimeoutMs: keepAliveTimeoutSecs * 1000,
    maxConnections,
    shutdownTimeoutMs: shutdownTimeoutSecs * 1000,
    maxWaitingPerMeeting,
    passwordFailuresPerMinute,
    maxConcurrentPasswordHashes,
    adminEmails,
    embedOrigins,
    apiKeyRateLimitPerMinute,
    webhookAllowPrivate,
    security,
  };
}

/** `http://<host>:<port>`, an unspecified host (`0.0.0.0`, `::`) written as `127.0.0.1`. */
export function defaultPublicUrl(host: string, port: number): string {
  const unspecified = host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
  const name = unspecified ? '127.0.0.1' : isIP(host) === 6 ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

/**
 * `PUBLIC_URL`: an absolute http(s) URL (a path prefix allowed; no credentials, query or
 * fragment), returned without a trailing slash. Unset → `defaultPublicUrl(host, port)`.
 */
export function readPublicUrl(raw: string | undefined, host: string, port: number, problems: string[]): string {
  if (raw === undefined) return defaultPublicUrl(host, port);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    problems.push(`PUBLIC_URL must be an absolute http or https URL (got "${raw}")`);
    return defaultPublicUrl(host, port);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`PUBLIC_URL must be an http or https URL (got "${raw}")`);
  } else if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    problems.push(`PUBLIC_URL must not carry credentials, a query or a fragment (got "${raw}")`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** `METRICS_TOKEN`: at least 16 characters (a bearer secret, compared in constant time). */
function readMetricsToken(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined) return undefined;
  const token = raw.trim();
  const problem = metricsTokenProblem(token);
  if (problem !== undefined) problems.push(problem);
  return token;
}

/** `ALLOWED_HOSTS`: comma-separated host names or addresses (a port is ignored), lower-cased; `[::1]` for IPv6. */
export function readAllowedHosts(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [];
  const hosts: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    let hostname: string | undefined;
    try {
      const url = new URL(`http://${item}`);
      hostname = url.pathname === '/' && url.username === '' && url.search === '' ? url.hostname : undefined;
    } catch {
      hostname = undefined;
    }
    if (hostname === undefined || hostname === '') {
      problems.push(`ALLOWED_HOSTS must be comma-separated host names such as meet.example.com or 10.0.0.5 (got "${item}")`);
      continue;
    }
    hosts.push(hostname);
  }
  return hosts;
}

/** A comma-separated list of http(s) origins (`scheme://host[:port]`, nothing more). */
export function readOrigins(name: string, raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [];
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const origins: string[] = [];
  for (const item of items) {
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== item.replace(/\/$/, '')) {
      problems.push(`${name} must be comma-separated http or https origins such as https://app.example.com (got "${item}")`);
      continue;
    }
    origins.push(url.origin);
  }
  return origins;
}

/**
 * `TRUST_PROXY`: unset → false; `1`…`10` → hop count; else a comma-separated list of IP
 * addresses or CIDRs. `true`/`*` are refused: trusting every hop lets any client choose its
 * own address (one rate-limit bucket each) and its own scheme and host.
 */
export function readTrustProxy(raw: string | undefined, problems: string[]): false | number | string[] {
  if (raw === undefined) return false;
  const value = raw.trim();
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops >= 1 && hops <= 10) return hops;
    problems.push(`TRUST_PROXY must be a hop count from 1 to 10, or a list of proxy addresses/CIDRs (got ${value})`);
    return false;
  }
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((item) => !isAddressOrCidr(item));
  if (items.length === 0 || bad.length > 0) {
    problems.push(
      `TRUST_PROXY must be a hop count (1–10) or a comma-separated list of proxy IP addresses/CIDRs, never true or * (got "${raw}")`,
    );
    return false;
  }
  return items;
}

function isAddressOrCidr(item: string): boolean {
  const slash = item.indexOf('/');
  const address = slash === -1 ? item : item.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return false;
  if (slash === -1) return true;
  const prefix = item.slice(slash + 1);
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Settings that work but weaken security: logged as warnings at start-up. */
export function startupWarnings(
  config: Pick<MeetingApiConfig, 'production' | 'auth'> & Partial<Pick<MeetingApiConfig, 'webhookAllowPrivate' | 'metrics' | 'security' | 'publicUrl'>>,
): { message: string; fields?: Record<string, unknown> }[] {
  const { auth, production } = config;
  const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
  if (config.webhookAllowPrivate) {
    warnings.push({ message: 'WEBHOOK_ALLOW_PRIVATE=true: webhooks may target http://, private and loopback addresses (for tests and closed networks only)' });
  }
  if (production && auth.emailCookieAuth) {
    warnings.push({ message: 'EMAIL_COOKIE_AUTH is on in production: anyone can claim any identity with an email cookie. Turn it off once sign-in works.' });
  }
  if (production && !auth.cookieSecure) warnings.push({ message: 'COOKIE_SECURE=false in production: session cookies travel over plain HTTP' });
  if (auth.trustedIdentityHeader !== undefined) {
    warnings.push({
      fields: { header: auth.trustedIdentityHeader },
      message: 'TRUSTED_IDENTITY_HEADER is set: only safe when every request comes through a proxy that strips this header from clients',
    });
  }
  if (production && auth.oidc === undefined) {
    warnings.push({ message: 'OIDC_ISSUER is unset in production: nobody can sign in (only guests and Bearer sessions)' });
  }
  if (auth.oidc?.allowUnverifiedEmail) {
    warnings.push({
      message:
        'OIDC_ALLOW_UNVERIFIED_EMAIL=true: anyone who can register an unverified address at the identity provider signs in as that email (and may own or host its meetings)',
    });
  }
  if (production && config.metrics === true && config.security?.metricsToken === undefined) {
    warnings.push({ message: 'METRICS_TOKEN is unset in production: GET /metrics answers 401 to everyone (set METRICS_TOKEN for the scraper, or METRICS=false)' });
  }
  if (production && config.publicUrl !== undefined && (config.security?.allowedHosts.length ?? 0) === 0 && isLocalUrl(config.publicUrl)) {
    warnings.push({
      fields: { publicUrl: config.publicUrl },
      message: 'PUBLIC_URL is unset or local in production: requests naming any other host are refused (421). Set PUBLIC_URL to the address people open, or list more names in ALLOWED_HOSTS',
    });
  }
  return warnings;
}

/** A URL only this machine reaches (the default PUBLIC_URL is built from HOST and the port). */
function isLocalUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '0.0.0.0' || host === '::' || host === '::1' || host.startsWith('127.');
}
