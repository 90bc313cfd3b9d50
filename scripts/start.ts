/**
 * `npm start`: the Meeting API and the Media Server as two processes with the
 * same configuration. Forwards SIGINT/SIGTERM and exits when either child dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { DEFAULT_NATS_URL, EnvReader, findNats, LOG_FORMATS, prettyLogs, resolveJwtSecret } from 'service-runtime';
import { apiNodeFlags, SERVICE_NODE_FLAGS } from './service-flags';

/** A URL without its credentials, for printing. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '<invalid url>';
  }
}

const env = process.env;
const read = new EnvReader(env);
const host = read.string('HOST', '127.0.0.1');
const apiPort = read.port('MEETING_API_PORT', 8081);
const mediaPort = read.port('MEDIA_SERVER_PORT', 8080);
const dataDir = resolve(read.string('DATA_DIR', '.data'));
const logFormat = read.oneOf('LOG_FORMAT', LOG_FORMATS, 'auto');
try {
  read.done();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

// The services' own test of production (their config.ts): NODE_ENV=production.
const production = env.NODE_ENV === 'production';
// Settle the development secret before either service starts, so both read the same one.
const secret = resolveJwtSecret({ jwtSecret: read.optionalString('JWT_SECRET'), production, dataDir });
if ('error' in secret) {
  console.error(`Invalid configuration: ${secret.error}`);
  process.exit(1);
}

// NATS: NATS_URL when set, else (in development) a NATS answering at the default local address,
// so that a second Media Server started with NATS_URL shares rooms with this one. Without NATS:
// the in-process relay. NATS_URL=off keeps the in-process relay even when a NATS is running.
// In production nothing is guessed: joining a NATS that happens to answer (anyone's, without
// credentials) takes an explicit NATS_URL.
const natsOff = read.optionalString('NATS_URL')?.trim() === 'off';
const explicitNats = natsOff ? undefined : read.optionalString('NATS_URL');
const nats = natsOff ? undefined : production ? (explicitNats === undefined ? undefined : { url: explicitNats, found: 'env' as const }) : await findNats(explicitNats);

const services: Array<{ name: string; entry: string; colour: number; flags: readonly string[] }> = [
  { name: 'meeting-api', entry: 'services/meeting-api/dist/server.mjs', colour: 36, flags: apiNodeFlags(!env.DATABASE_URL) },
  { name: 'media-server', entry: 'services/media-server/dist/server.mjs', colour: 35, flags: SERVICE_NODE_FLAGS['media-server'] },
];

// The Media Server follows this API's decision feed (meeting ended, participant removed, …).
const apiHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
const meetingApiUrl = env.MEETING_API_URL ?? `http://${apiHost}:${apiPort}`;

// In a terminal (or with LOG_FORMAT=pretty) both services print pretty lines, each prefixed with
// its service; otherwise their JSON lines pass through untouched (each carries "service").
const pretty = prettyLogs(logFormat);
const colour = pretty && process.stdout.isTTY === true && env.NO_COLOR === undefined;
const childEnv: NodeJS.ProcessEnv = {
  ...env,
  DATA_DIR: dataDir,
  MEETING_API_URL: meetingApiUrl,
  ...(pretty ? { LOG_FORMAT: 'pretty' } : {}),
  ...(colour ? { FORCE_COLOR: '1' } : {}),
};
if (nats === undefined) delete childEnv.NATS_URL;
else childEnv.NATS_URL = nats.url;
const width = Math.max(...services.map((s) => s.name.length));

/**
 * The last line a service printed that says what went wrong: a log line at level error or
 * fatal (its message, and its error's), or a stderr line naming an error (`Error: …`, as Node
 * prints an uncaught exception). Kept per service for the launcher's closing line.
 */
const lastErrorLine = new Map<string, string>();

function errorLineOf(line: string): string | undefined {
  const text = line.trim();
  if (text.startsWith('{')) {
    try {
      const entry = JSON.parse(text) as { level?: unknown; msg?: unknown; err?: { message?: unknown } };
      if (typeof entry.level === 'number' && entry.level >= 50) {
        const cause = typeof entry.err?.message === 'string' && entry.err.message !== entry.msg ? `: ${entry.err.message}` : '';
        return `${String(entry.msg ?? '')}${cause}`;
      }
    } catch {
      // Not a JSON log line.
    }
    return undefined;
  }
  // Pretty log lines carry their level's name; Node's own crash output an `XxxError: message` line.
  const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
  if (/\b(ERROR|FATAL)\b/.test(plain) || /^([A-Z]\w*)?Error\b.*:/.test(plain) || /^Error\b/.test(plain)) return plain;
  return undefined;
}

function forwardLines(from: Readable, to: Writable, label: string, service: string): void {
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => {
    to.write(`${label}${line}\n`);
    const error = errorLineOf(line);
    if (error !== undefined && error !== '') lastErrorLine.set(service, error.length > 300 ? `${error.slice(0, 300)}…` : error);
  });
}

const children: ChildProcess[] = services.map(({ name, entry, colour: code, flags }) => {
  // Piped even when not pretty (lines pass through unchanged), so the launcher can name the cause when one dies.
  const child = spawn(process.execPath, [...flags, entry], { env: childEnv, stdio: ['inherit', 'pipe', 'pipe'] });
  const label = !pretty ? '' : colour ? `\x1b[${code}m${name.padEnd(width)} │\x1b[0m ` : `${name.padEnd(width)} │ `;
  forwardLines(child.stdout!, process.stdout, label, name);
  forwardLines(child.stderr!, process.stderr, label, name);
  return child;
});

console.log(
  [
    '',
    `  Web app       http://${host}:${apiPort}/`,
    `  Meeting API   http://${host}:${apiPort}/api/v1/meetings   (OpenAPI: http://${host}:${apiPort}/openapi.json)`,
    `  Sign in       http://${host}:${apiPort}/login   (development form unless OIDC_ISSUER is set)`,
    `  Media Server  ws://${host}:${mediaPort}/lobby?token=<room_token>`,
    `  Database      ${env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : `embedded PGlite in ${dataDir}/pgdata`}`,
    `  NATS          ${
      nats === undefined
        ? `${
            natsOff ? 'off (NATS_URL=off)' : production ? 'not looked for in production (set NATS_URL to use one)' : `none at ${DEFAULT_NATS_URL}`
          }: single-instance relay (other Media Servers do not share rooms with this one)`
        : nats.found === 'env'
          ? `${redact(nats.url)} (NATS_URL)`
          : `${nats.url} (found at the default address; a second Media Server with NATS_URL=${nats.url} shares rooms)`
    }`,
    `  JWT secret    ${
      secret.source === 'env'
        ? 'JWT_SECRET'
        : secret.source === 'generated'
          ? `generated a new development secret in ${secret.path}`
          : `development secret in ${secret.path}`
    }`,
    `  Docs          http://${host}:${apiPort}/docs   (metrics: /metrics, version: /version on both)`,
    '',
  ].join('\n'),
);

let exiting = false;
/** Why the launcher is stopping: the first service that exited on its own. */
let cause: { name: string; how: string } | undefined;
function stopAll(signal: NodeJS.Signals) {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

const closed = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

children.forEach((child, i) => {
  // 'close', not 'exit': the child's output has been read to its end, so its last error line is known.
  child.on('close', (code, signal) => {
    const name = services[i]!.name;
    if (!exiting) {
      exiting = true;
      cause = { name, how: signal ? `killed by ${signal}` : `exit code ${code}` };
      console.error(`${name} exited (${signal ?? `code ${code}`}); stopping the other service`);
      process.exitCode = code ?? 1;
      stopAll('SIGTERM');
    }
    if (children.every(closed)) {
      if (cause !== undefined) {
        // The very last line: which service stopped everything, how, and the last error it printed.
        const last = lastErrorLine.get(cause.name);
        console.error(
          `npm start stopped because ${cause.name} exited (${cause.how})${last ? `; its last error: ${last}` : '; it printed no error'}. ` +
            `In production run each service under its own supervisor (see docs/operations.md).`,
        );
      }
      process.exit();
    }
  });
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    exiting = true;
    process.exitCode = 0;
    stopAll(signal);
  });
}
