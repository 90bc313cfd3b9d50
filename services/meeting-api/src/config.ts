import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TOKEN_TTL_SECS } from 'meeting-types';
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
}

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
  const corsRaw = read.optionalString('CORS_ORIGINS');
  const corsOrigins =
    corsRaw === undefined ? undefined : corsRaw.trim() === '*' ? true : corsRaw.split(',').map((o) => o.trim()).filter(Boolean);

  const mediaServerPublicUrl = read.url('MEDIA_SERVER_PUBLIC_URL', ['ws:', 'wss:']);
  const mediaServerPort = read.port('MEDIA_SERVER_PORT', 8080);
  const webAppDir = resolve(read.string('WEB_APP_DIR', DEFAULT_WEB_APP_DIR));

  const secret = read.jwtSecret(production, dataDir);
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
  };
}
