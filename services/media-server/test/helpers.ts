import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import WebSocket from 'ws';
import type { Socket } from 'node:net';
import { ROOM_TOKEN_ISSUER } from 'meeting-types';
import { buildMediaServer, type MediaServer, type MediaServerDeps } from '../src/app';
import { loadConfig, type MediaServerConfig } from '../src/config';
import { natsNamespace } from '../src/relay/nats-namespace';

export const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
export const silentLogger = pino({ level: 'silent' });
/** The NATS namespace of servers using SECRET (what server.ts derives from it). */
export const testNamespace = natsNamespace(SECRET);

export interface TokenOptions {
  room?: string;
  sub?: string;
  secret?: string;
  alg?: string;
  /** Seconds from now. */
  expIn?: number;
  iss?: string;
  extra?: Record<string, unknown>;
  omit?: string[];
}

export async function mintToken(opts: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    sub: opts.sub ?? 'alice@example.com',
    room: opts.room ?? 'room-1',
    room_join: true,
    is_host: false,
    display_name: 'Alice',
    iat: now,
    exp: now + (opts.expIn ?? 600),
    iss: opts.iss ?? ROOM_TOKEN_ISSUER,
    ...opts.extra,
  };
  for (const k of opts.omit ?? []) delete claims[k];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

export function testConfig(overrides: Partial<MediaServerConfig> = {}): MediaServerConfig {
  return {
    ...loadConfig({ JWT_SECRET: SECRET, MEDIA_SERVER_PORT: '0', LOG_LEVEL: 'silent' }),
    ...overrides,
  };
}

export interface Running {
  app: MediaServer;
  port: number;
  base: string;
  ws: string;
}

export async function startServer(overrides: Partial<MediaServerConfig> = {}, deps: MediaServerDeps = {}): Promise<Running> {
  const app = buildMediaServer(testConfig(overrides), { logger: silentLogger, ...deps });
  const { port } = await app.listen();
  return { app, port, base: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}` };
}

export interface Frame {
  data: Buffer;
  isBinary: boolean;
}

/** A real WebSocket client that records every frame it receives. */
export class Client {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket, readonly name: string) {
    ws.on('message', (data, isBinary) => this.frames.push({ data: data as Buffer, isBinary }));
    this.closed = new Promise((resolve) => {
      ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      });
    });
    ws.on('error', () => {});
  }

  get socket(): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket;
  }

  send(data: Buffer | string, binary = typeof data !== 'string'): void {
    this.ws.send(data, { binary });
  }

  /** Frames received so far, without the barrier markers. */
  payloads(): Frame[] {
    return this.frames.filter((f) => f.isBinary || !f.data.toString().startsWith(MARKER));
  }

  close(): Promise<number> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(this.closeCode ?? 1006);
    this.ws.close();
    return this.closed;
  }
}

export async function connect(base: string, token: string, name = 'client'): Promise<Client> {
  const ws = new WebSocket(`${base}/lobby?token=${encodeURIComponent(token)}`);
  const client = new Client(ws, name);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`${name}: handshake refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return client;
}

export interface Refusal {
  status: number;
  contentType: string | undefined;
  retryAfter: string | undefined;
  body: unknown;
}

/** Attempts a WebSocket handshake expected to be refused; returns the HTTP answer. */
export function refusedHandshake(url: string): Promise<Refusal> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`handshake to ${url.replace(/token=[^&]*/, 'token=…')} unexpectedly succeeded`));
    });
    ws.on('error', (err) => reject(err));
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // leave as text so the assertion shows it
        }
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], retryAfter: res.headers['retry-after'], body });
        ws.terminate();
      });
    });
  });
}

/** Polls `cond` until true; throws after `ms` (a deadline against hangs, not a timing assertion). */
export async function until(cond: () => boolean, label: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${label}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const MARKER = '__barrier__:';

/**
 * Every client sends a marker and waits for everyone else's. Relaying keeps each
 * sender's order, so once the markers are in, any stray frame (echo, duplicate,
 * leak) caused earlier would already have arrived: counts checked after this are final.
 */
export async function barrier(clients: Client[], tag: string): Promise<void> {
  for (const c of clients) c.send(`${MARKER}${tag}:${c.name}`, false);
  for (const c of clients) {
    const expected = clients.filter((o) => o !== c).map((o) => `${MARKER}${tag}:${o.name}`);
    await until(
      () => expected.every((m) => c.frames.some((f) => !f.isBinary && f.data.toString() === m)),
      `${c.name} to see barrier ${tag}`,
    );
  }
}

export function randomFrame(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 17) & 0xff;
  return b;
}

/** A loopback port that was free a moment ago (for servers that must be told their port up front). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The nats-server binary, for tests that need a NATS of their own (with its own configuration). */
export const NATS_SERVER_BINARY = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));

/** A nats-server of the test's own on a free port, with `config` (nats-server syntax) as its configuration. */
export async function startNatsServer(config = ''): Promise<{ url: string; port: number; kill(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nats-test-'));
  const file = join(dir, 'nats.conf');
  writeFileSync(file, `listen: "127.0.0.1:${port}"\n${config}\n`);
  const child = spawn(NATS_SERVER_BINARY!, ['-c', file], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const listening = () =>
    new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  const deadline = Date.now() + 20_000;
  while (!(await listening())) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nats-server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    async kill() {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
