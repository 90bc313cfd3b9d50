/**
 * `npm start`: the Meeting API and the Media Server as two processes with the
 * same configuration. Forwards SIGINT/SIGTERM and exits when either child dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { EnvReader, resolveJwtSecret } from 'service-runtime';

const env = process.env;
const read = new EnvReader(env);
const host = read.string('HOST', '127.0.0.1');
const apiPort = read.port('MEETING_API_PORT', 8081);
const mediaPort = read.port('MEDIA_SERVER_PORT', 8080);
const dataDir = resolve(read.string('DATA_DIR', '.data'));
try {
  read.done();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

// Settle the development secret before either service starts, so both read the same one.
const secret = resolveJwtSecret({ jwtSecret: read.optionalString('JWT_SECRET'), production: env.NODE_ENV === 'production', dataDir });
if ('error' in secret) {
  console.error(`Invalid configuration: ${secret.error}`);
  process.exit(1);
}

const services: Array<{ name: string; entry: string }> = [
  { name: 'meeting-api', entry: 'services/meeting-api/dist/server.mjs' },
  { name: 'media-server', entry: 'services/media-server/dist/server.mjs' },
];

// The Media Server follows this API's decision feed (meeting ended, participant removed, …).
const apiHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
const meetingApiUrl = env.MEETING_API_URL ?? `http://${apiHost}:${apiPort}`;

const children: ChildProcess[] = services.map(({ entry }) =>
  spawn(process.execPath, [entry], { env: { ...env, DATA_DIR: dataDir, MEETING_API_URL: meetingApiUrl }, stdio: 'inherit' }),
);

console.log(
  [
    '',
    `  Web app       http://${host}:${apiPort}/`,
    `  Meeting API   http://${host}:${apiPort}/api/v1/meetings   (OpenAPI: http://${host}:${apiPort}/openapi.json)`,
    `  Sign in       http://${host}:${apiPort}/login   (development form unless OIDC_ISSUER is set)`,
    `  Media Server  ws://${host}:${mediaPort}/lobby?token=<room_token>`,
    `  Database      ${env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : `embedded PGlite in ${dataDir}/pgdata`}`,
    `  JWT secret    ${secret.source === 'env' ? 'JWT_SECRET' : `development secret in ${secret.path}`}`,
    '',
  ].join('\n'),
);

let exiting = false;
function stopAll(signal: NodeJS.Signals) {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

children.forEach((child, i) => {
  child.on('exit', (code, signal) => {
    if (!exiting) {
      exiting = true;
      console.error(`${services[i]!.name} exited (${signal ?? `code ${code}`}); stopping the other service`);
      process.exitCode = code ?? 1;
      stopAll('SIGTERM');
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit();
  });
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    exiting = true;
    process.exitCode = 0;
    stopAll(signal);
  });
}
