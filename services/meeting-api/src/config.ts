import { resolve } from 'node:path';
import { DEFAULT_TOKEN_TTL_SECS } from 'meeting-types';
import { EnvReader, resolveJwtSecret, type Env, type JwtSecretSource } from 'service-runtime';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

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
  logLevel: (typeof LOG_LEVELS)[number];
  /** `undefined` → CORS off; `true` → any origin; else the allowed origins. */
  corsOrigins: true | string[] | undefined;
  dbPoolSize: number;
  bodyLimitBytes: number;
}

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

  const secret = resolveJwtSecret({ jwtSecret: read.optionalString('JWT_SECRET'), production, dataDir });
  if ('error' in secret) read.errors.push(secret.error);
  read.done();
  if ('error' in secret) throw new Error('unreachable');

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
  };
}
