import { resolve } from 'node:path';
import { DEFAULT_TOKEN_TTL_SECS } from 'meeting-types';
import { EnvReader, LOG_FORMATS, LOG_LEVELS, type Env, type JwtSecretSource, type LogFormat, type LogLevel } from 'service-runtime';


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
  const logFormat = read.oneOf('LOG_FORMAT', LOG_FORMATS, 'auto');
  const metrics = read.boolean('METRICS', true);
  const gitCommit = read.optionalString('GIT_COMMIT');
  const dbPoolSize = read.integer('DB_POOL_SIZE', 10, 1, 200);
  const bodyLimitBytes = read.integer('BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024);
  const corsRaw = read.optionalString('CORS_ORIGINS');
  const corsOrigins =
    corsRaw === undefined ? undefined : corsRaw.trim() === '*' ? true : corsRaw.split(',').map((o) => o.trim()).filter(Boolean);

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
    logFormat,
    metrics,
    gitCommit,
    corsOrigins,
    dbPoolSize,
    bodyLimitBytes,
  };
}
