/**
 * One logger set-up for both services: the same fields on every line (`service`, `pid`,
 * `hostname`, plus what the service adds once, like the Media Server's `instance`), the same
 * redaction, and one line per event. JSON for machines; pretty, coloured single lines for a
 * person at a terminal.
 */
import { hostname } from 'node:os';
import { pino, type Logger, type LoggerOptions } from 'pino';
import type { LogLevel } from './env';

/** `auto`: pretty when stdout is a terminal, JSON otherwise. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Never a cookie, password, token or secret in a log line. */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  '*.password',
  '*.room_token',
  '*.session_token',
  '*.token',
  '*.jwtSecret',
  '*.sessionKey',
  '*.clientSecret',
  '*.secret',
];

export interface LoggerSettings {
  service: string;
  level: LogLevel;
  format: LogFormat;
  /** Fields every line of this process carries besides service/pid/hostname. */
  base?: Record<string, unknown>;
}

/** Whether `format` means pretty output on this process's stdout. */
export function prettyLogs(format: LogFormat, stdoutIsTty: boolean = process.stdout.isTTY === true): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTty);
}

/** Pino options shared by both services (no destination: JSON to stdout unless a stream is given). */
export function loggerOptions(settings: Pick<LoggerSettings, 'service' | 'level' | 'base'>): LoggerOptions {
  return {
    level: settings.level,
    base: { service: settings.service, pid: process.pid, hostname: hostname(), ...settings.base },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
}

/**
 * The process logger. pino-pretty is loaded only when it is used (a terminal or
 * `LOG_FORMAT=pretty`), and runs in the main thread: a person reading it is the bottleneck.
 */
export async function createLogger(settings: LoggerSettings): Promise<Logger> {
  const options = loggerOptions(settings);
  if (!prettyLogs(settings.format)) return pino(options);
  const { default: pretty } = await import('pino-pretty');
  const stream = pretty({
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,instance',
    // Only pino's own error key (renamed below) is printed as a multi-line error; `error` is a field.
    errorLikeObjectKeys: ['err'],
    sync: true,
  });
  // pino-pretty prints an `err` field over many lines (its stack); under another name it stays
  // on the event's line like any other field.
  const formatters: LoggerOptions['formatters'] = {
    log: (object) => {
      if (!('err' in object)) return object;
      const { err, ...rest } = object;
      return { ...rest, error: err };
    },
  };
  return pino({ ...options, formatters }, stream);
}
