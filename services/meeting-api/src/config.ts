import { resolve } from 'node:path';
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
  /** Open event streams one caller may hold on one instance (`EVENT_STREAMS_PER_CALLER`). */
  eventStreamsPerCaller: number;
  /** Open event streams on one instance, all callers (`EVENT_STREAMS_MAX`). */
  eventStreamsMax: number;
  /** Events are kept this long after their meeting ends or is deleted (`EVENT_RETENTION_SECS`, ≥ 24 h). */
  eventRetentionSecs: number;
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
  const eventStreamsPerCaller = read.integer('EVENT_STREAMS_PER_CALLER', 20, 1, 100_000);
  const eventStreamsMax = read.integer('EVENT_STREAMS_MAX', 20_000, 1, 1_000_000);
  const eventRetentionSecs = read.integer('EVENT_RETENTION_SECS', 86_400, 86_400, 365 * 86_400);
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
    corsOrigins,
    dbPoolSize,
    bodyLimitBytes,
    eventStreamsPerCaller,
    eventStreamsMax,
    eventRetentionSecs,
  };
}
