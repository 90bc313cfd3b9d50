/**
 * `npm run cluster`: the production topology on one machine — two Meeting API instances and two
 * Media Servers behind HAProxy, on the local PostgreSQL (a database of its own) and NATS — and
 * one address to open. A member that dies is restarted after a second, as a supervisor would.
 *
 *   CLUSTER_PORT            the one address's port (default 8000)
 *   CLUSTER_DATABASE_URL    PostgreSQL database (default: `meetings_cluster` on 127.0.0.1:5432, created if missing)
 *   NATS_URL                NATS (default: one answering at 127.0.0.1:4222, else a nats-server started here)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { DEFAULT_NATS_URL, EnvReader, findNats, resolveJwtSecret } from 'service-runtime';
import { freePort, HAPROXY_BINARY, REPO_ROOT, startCluster, type ClusterMember } from './cluster-topology';

const read = new EnvReader(process.env);
const host = read.string('HOST', '127.0.0.1');
const port = read.port('CLUSTER_PORT', 8000);
const databaseUrl = read.string('CLUSTER_DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/meetings_cluster');
const natsFromEnv = read.optionalString('NATS_URL');
try {
  read.done();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
if (!existsSync(HAPROXY_BINARY)) {
  console.error(`cluster: HAProxy is not installed (${HAPROXY_BINARY}). On Debian/Ubuntu: apt-get install haproxy`);
  process.exit(1);
}

/** Creates the cluster's database when it does not exist yet (the APIs create their tables). */
async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot reach PostgreSQL at ${target.host}: ${(err as Error).message}`);
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

let ownNats: ChildProcess | undefined;
async function natsUrl(): Promise<string> {
  const found = await findNats(natsFromEnv);
  if (found) return found.url;
  const natsPort = await freePort(host);
  ownNats = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(natsPort)], { stdio: 'ignore' });
  ownNats.on('error', () => console.error(`cluster: no NATS at ${DEFAULT_NATS_URL} and nats-server could not be started`));
  await new Promise((r) => setTimeout(r, 500));
  return `nats://127.0.0.1:${natsPort}`;
}

const secret = resolveJwtSecret({ jwtSecret: process.env.JWT_SECRET, production: false, dataDir: resolve(REPO_ROOT, '.data/cluster') });
if ('error' in secret) {
  console.error(`Invalid configuration: ${secret.error}`);
  process.exit(1);
}

const labelWidth = 'media-server-2'.length;
let stopping = false;
const restartLater = (m: ClusterMember, code: number | null, signal: NodeJS.Signals | null) => {
  if (stopping) return;
  console.error(`${m.name.padEnd(labelWidth)} │ exited (${signal ?? `code ${code}`}); restarting it in 1 s`);
  setTimeout(() => {
    if (!stopping) m.start().catch((err: Error) => console.error(`${m.name} could not be restarted: ${err.message}`));
  }, 1_000);
};

try {
  await ensureDatabase(databaseUrl);
  const nats = await natsUrl();
  const cluster = await startCluster({
    host,
    port,
    databaseUrl,
    natsUrl: nats,
    jwtSecret: secret.secret,
    onLine: (name, line) => process.stdout.write(`${name.padEnd(labelWidth)} │ ${line}\n`),
    onUnexpectedExit: restartLater,
  });
  console.log(
    [
      '',
      `  Cluster       ${cluster.url}/   (web app, API, and the Media Servers at ${cluster.wsUrl}/lobby)`,
      `  Behind it     ${cluster.apis.map((a) => `${a.name} ${a.url}`).join(', ')}`,
      `                ${cluster.medias.map((m) => `${m.name} ${m.url}`).join(', ')}`,
      `  Database      ${new URL(databaseUrl).host}${new URL(databaseUrl).pathname}   NATS ${nats}`,
      `  Demo          DEMO_API_URL=${cluster.url} DEMO_MEDIA_URL=${cluster.wsUrl} npm run demo`,
      '',
    ].join('\n'),
  );
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await cluster.stop();
    ownNats?.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
} catch (err) {
  console.error(`cluster: ${(err as Error).message}`);
  ownNats?.kill('SIGTERM');
  process.exit(1);
}
