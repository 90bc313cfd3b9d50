/**
 * Several Meeting API instances and several Media Servers behind one HAProxy, as separate
 * processes on this machine: what `npm run cluster` runs, and what the chaos test and the chaos
 * benchmark kill and restart. The HAProxy file (`deploy/haproxy/haproxy.cfg`) is the documented
 * production example; this module only fills in its addresses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_NODE_FLAGS } from './service-flags';

export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const HAPROXY_DIR = resolve(REPO_ROOT, 'deploy/haproxy');
export const HAPROXY_BINARY = process.env.HAPROXY_BINARY ?? '/usr/sbin/haproxy';

export type MemberKind = 'meeting-api' | 'media-server' | 'haproxy';

export interface ClusterOptions {
  /** Address the balancer listens on, e.g. 127.0.0.1. */
  host?: string;
  /** The one public port (0: a free one). */
  port?: number;
  databaseUrl: string;
  natsUrl: string;
  jwtSecret: string;
  /** Extra environment for every service (e.g. shorter limits in tests). */
  serviceEnv?: Record<string, string>;
  /** Called with every line a member prints. */
  onLine?: (member: string, line: string) => void;
  /** Called when a member exits without being asked to. */
  onUnexpectedExit?: (member: ClusterMember, code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface ClusterMember {
  name: string;
  kind: MemberKind;
  port: number;
  /** `http://host:port` of the member itself (not through the balancer). */
  url: string;
  pid(): number | undefined;
  running(): boolean;
  /** Sends a signal (SIGKILL for a crash) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and waits until it is ready. */
  start(): Promise<void>;
  /** Last lines it printed. */
  tail(): string;
}

export interface Cluster {
  /** The one address: `http://host:port` (web app, API, `/lobby` through the same port). */
  url: string;
  wsUrl: string;
  apis: ClusterMember[];
  medias: ClusterMember[];
  balancer: ClusterMember;
  stop(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

const TAIL_LINES = 60;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive()) throw new Error(`${what} exited before it was ready`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function answers200(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await res.body?.cancel();
  return res.status === 200;
}

function member(
  name: string,
  kind: MemberKind,
  host: string,
  port: number,
  command: () => { file: string; args: string[]; env: NodeJS.ProcessEnv; cwd: string },
  readyUrl: string,
  options: ClusterOptions,
): ClusterMember {
  let child: ChildProcess | undefined;
  let expectedExit = false;
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
      options.onLine?.(name, line);
    }
  };
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const self: ClusterMember = {
    name,
    kind,
    port,
    url: `http://${host}:${port}`,
    pid: () => (running() ? child?.pid : undefined),
    running,
    tail: () => lines.join('\n'),
    async kill(signal = 'SIGTERM') {
      if (!running()) return;
      expectedExit = true;
      const exited = once(child!, 'exit');
      child!.kill(signal);
      await exited;
    },
    async start() {
      if (running()) return;
      const { file, args, env, cwd } = command();
      expectedExit = false;
      const started = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      started.stdout?.on('data', keep);
      started.stderr?.on('data', keep);
      started.on('error', (err) => keep(Buffer.from(`spawn failed: ${err.message}`)));
      started.on('exit', (code, signal) => {
        if (!expectedExit && child === started) options.onUnexpectedExit?.(self, code, signal);
      });
      try {
        await waitFor(name, () => answers200(readyUrl), 60_000, running);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${self.tail()}`);
      }
    },
  };
  return self;
}

/** Starts the services (bundled: run `tsx scripts/bundle.ts` first), then HAProxy in front. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await freePort(host));
  const url = `http://${host}:${port}`;
  const wsUrl = `ws://${host}:${port}`;
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    LOG_FORMAT: 'json',
    HOST: host,
    JWT_SECRET: options.jwtSecret,
  };
  const node = (entry: string, flags: readonly string[], env: NodeJS.ProcessEnv) => () => ({
    file: process.execPath,
    args: [...flags, entry],
    env,
    cwd: REPO_ROOT,
  });

  const apis: ClusterMember[] = [];
  // Two of each: the HAProxy file names api1, api2, media1 and media2.
  for (let i = 1; i <= 2; i++) {
    const p = await freePort(host);
    const env = {
      ...baseEnv,
      DATABASE_URL: options.databaseUrl,
      MEETING_API_PORT: String(p),
      // Browsers reach the Media Servers through the balancer's one address.
      MEDIA_SERVER_PUBLIC_URL: wsUrl,
      // HAProxy is the one hop in front: its X-Forwarded-For names the client.
      TRUST_PROXY: '1',
      ...options.serviceEnv,
    };
    apis.push(member(`meeting-api-${i}`, 'meeting-api', host, p, node('services/meeting-api/dist/server.mjs', SERVICE_NODE_FLAGS['meeting-api'], env), `http://${host}:${p}/readyz`, options));
  }
  const medias: ClusterMember[] = [];
  for (let i = 1; i <= 2; i++) {
    const p = await freePort(host);
    const env = {
      ...baseEnv,
      MEDIA_SERVER_PORT: String(p),
      NATS_URL: options.natsUrl,
      // Follows the decision feed through the balancer: when the API instance it reads from
      // dies, it reconnects to another one and is resynchronised by the feed's snapshot.
      MEETING_API_URL: url,
      ...options.serviceEnv,
    };
    medias.push(member(`media-server-${i}`, 'media-server', host, p, node('services/media-server/dist/server.mjs', SERVICE_NODE_FLAGS['media-server'], env), `http://${host}:${p}/healthz`, options));
  }
  const balancerEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    CLUSTER_ERRORS_DIR: HAPROXY_DIR,
    CLUSTER_BIND: `${host}:${port}`,
    ...Object.fromEntries(apis.map((a, i) => [`CLUSTER_API${i + 1}`, `${host}:${a.port}`])),
    ...Object.fromEntries(medias.map((m, i) => [`CLUSTER_MEDIA${i + 1}`, `${host}:${m.port}`])),
  };
  const balancer = member(
    'haproxy',
    'haproxy',
    host,
    port,
    () => ({ file: HAPROXY_BINARY, args: ['-db', '-f', resolve(HAPROXY_DIR, 'haproxy.cfg')], env: balancerEnv, cwd: HAPROXY_DIR }),
    `${url}/readyz`,
    options,
  );

  const all = [...apis, ...medias, balancer];
  const stop = async () => {
    await Promise.all(all.map((m) => m.kill('SIGTERM')));
  };
  try {
    // The APIs first, one at a time (the first applies the migrations), then the balancer, then
    // the Media Servers (they follow the API's decision feed through the balancer).
    for (const api of apis) await api.start();
    await balancer.start();
    await Promise.all(medias.map((m) => m.start()));
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, wsUrl, apis, medias, balancer, stop };
}
