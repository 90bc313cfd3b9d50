import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import { jwtVerify } from 'jose';
import pg from 'pg';
import { buildApp } from '../src/app';
import type { Database } from '../src/db/database';
import { migrate, readMigrations } from '../src/db/migrate';
import { createPgliteDatabase } from '../src/db/pglite';
import { createPostgresDatabase } from '../src/db/postgres';
import { api, call, createTestDatabase, DEFAULT_ADMIN_URL, expectError, startTestApp, testConfig, type TestApp, type TestDatabase } from './helpers';

const ON_PGLITE = process.env.TEST_DB === 'pglite';
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL;
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SERVER_ENTRY = 'services/meeting-api/src/server.ts';

/** Rejects when `promise` has not settled within `ms`: a guard against hangs, not a timing assertion. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `meeting-api-${prefix}-`));
}

describe('health endpoints', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t.close();
  });

  test('GET /healthz is 200 {status: ok} without a cookie', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { success: true, result: { status: 'ok' } });
    assert.match(String(res.headers['content-type']), /^application\/json/);
  });

  test('GET /readyz is 200 {status: ready} while the database answers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { success: true, result: { status: 'ready' } });
  });
});

/**
 * A TCP proxy in front of PostgreSQL that can be cut (every socket destroyed,
 * nothing listening), black-holed (accepts, never answers) and restored on the same port.
 */
class PgProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {}

  async start(mode: 'forward' | 'blackhole' = 'forward'): Promise<void> {
    const server = net.createServer((client) => {
      this.track(client);
      if (mode === 'blackhole') return;
      const upstream = net.connect(this.upstreamPort, this.upstreamHost);
      this.track(upstream);
      client.pipe(upstream).pipe(client);
      const destroyBoth = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', destroyBoth);
      upstream.on('error', destroyBoth);
      client.on('close', destroyBoth);
      upstream.on('close', destroyBoth);
    });
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolveListen());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
  }

  /** Stops listening and destroys every open connection, as a database crash would. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

// PGlite has no network connection to cut: its suite checks the closed-database case below instead.
describe(ON_PGLITE ? 'embedded database closed under the service' : 'database outage through a TCP proxy', () => {
  if (ON_PGLITE) {
    test('with the embedded database closed, /readyz and the API answer 503 SERVICE_UNAVAILABLE envelopes', async () => {
      const database = await createTestDatabase();
      const app = await buildApp(testConfig, { db: database.db, logger: false });
      await app.ready();
      try {
        assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
        await database.db.close();
        const ready = await app.inject({ method: 'GET', url: '/readyz' });
        expectError({ status: ready.statusCode, body: ready.json(), raw: ready }, 503, 'SERVICE_UNAVAILABLE');
        expectError(await call(app, 'GET', '/api/v1/meetings', { as: 'ops@x.io' }), 503, 'SERVICE_UNAVAILABLE');
        expectError(await call(app, 'POST', api('closed', '/join'), { as: 'ops@x.io' }), 503, 'SERVICE_UNAVAILABLE');
      } finally {
        await app.close();
      }
    });
    return;
  }
  let database: TestDatabase;
  let proxy: PgProxy;
  let proxiedDb: Database;
  let app: Awaited<ReturnType<typeof buildApp>>;

  before(async () => {
    database = await createTestDatabase();
    assert.ok(database.url, 'a PostgreSQL test database (no PostgreSQL answered?)');
    const upstream = new URL(database.url);
    proxy = new PgProxy(upstream.hostname, Number(upstream.port || 5432));
    await proxy.start();
    const proxied = new URL(database.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    proxiedDb = createPostgresDatabase({ connectionString: proxied.toString(), poolSize: 4 });
    app = await buildApp(testConfig, { db: proxiedDb, logger: false });
    await app.ready();
  });
  after(async () => {
    await app?.close();
    await proxy?.stop();
    await proxiedDb?.close().catch(() => {});
    await database?.drop();
  });

  async function readyz() {
    const res = await within(15_000, 'GET /readyz', app.inject({ method: 'GET', url: '/readyz' }));
    return { status: res.statusCode, body: res.json(), raw: res };
  }

  test('the proxied service is ready and serves the API', async () => {
    assert.equal((await readyz()).status, 200);
    const created = await call(app, 'POST', '/api/v1/meetings', { as: 'ops@x.io', body: { meeting_id: 'before-outage' } });
    assert.equal(created.status, 201);
  });

  test('with the database cut, /readyz and the API answer 503 SERVICE_UNAVAILABLE envelopes', async () => {
    await proxy.stop();
    expectError(await readyz(), 503, 'SERVICE_UNAVAILABLE');
    const [status, list, join] = await within(
      15_000,
      'API calls during the outage',
      Promise.all([
        call(app, 'GET', api('before-outage', '/status'), { as: 'ops@x.io' }),
        call(app, 'GET', '/api/v1/meetings', { as: 'ops@x.io' }),
        call(app, 'POST', api('during-outage', '/join'), { as: 'ops@x.io' }),
      ]),
    );
    for (const res of [status, list, join]) {
      expectError(res, 503, 'SERVICE_UNAVAILABLE');
      assert.equal(res.body.result.engineering_error, undefined);
    }
  });

  test('with the database accepting connections but never answering, calls give 503 after the connect timeout, not a hang', async () => {
    await proxy.start('blackhole');
    try {
      const [ready, list] = await within(
        15_000,
        'calls against a black-holed database',
        Promise.all([readyz(), call(app, 'GET', '/api/v1/meetings', { as: 'ops@x.io' })]),
      );
      expectError(ready, 503, 'SERVICE_UNAVAILABLE');
      expectError(list, 503, 'SERVICE_UNAVAILABLE');
    } finally {
      await proxy.stop();
    }
  });

  test('when the database comes back on the same port the service recovers by itself', async () => {
    const port = proxy.port;
    await proxy.start();
    assert.equal(proxy.port, port);
    let last: Awaited<ReturnType<typeof readyz>> | undefined;
    await within(
      20_000,
      'recovery after the outage',
      (async () => {
        for (;;) {
          last = await readyz();
          if (last.status === 200) return;
          await sleep(200);
        }
      })(),
    ).catch((err) => {
      throw new Error(`${(err as Error).message}; last /readyz: ${last?.status} ${JSON.stringify(last?.body)}`);
    });
    const status = await call(app, 'GET', api('before-outage'), { as: 'ops@x.io' });
    assert.equal(status.status, 200, JSON.stringify(status.body));
    const created = await call(app, 'POST', '/api/v1/meetings', { as: 'ops@x.io', body: { meeting_id: 'after-outage' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const joined = await call(app, 'POST', api('after-outage', '/join'), { as: 'ops@x.io' });
    assert.equal(joined.status, 200);
  });
});

/** A database with nothing in it yet (not migrated): PostgreSQL or in-memory PGlite. */
async function createEmptyDatabase(): Promise<{ open(): Promise<Database>; drop(): Promise<void> }> {
  if (ON_PGLITE) {
    const db = await createPgliteDatabase(undefined);
    return { open: async () => db, drop: () => db.close() };
  }
  const name = `meeting_ops_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const opened: Database[] = [];
  return {
    async open() {
      const db = createPostgresDatabase({ connectionString: url.toString(), poolSize: 2 });
      opened.push(db);
      return db;
    },
    async drop() {
      await Promise.all(opened.map((db) => db.close().catch(() => {})));
      const cleanup = new pg.Client({ connectionString: ADMIN_URL });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

describe('migrations', () => {
  const versions = readMigrations().map((m) => m.version);

  test('there is at least one numbered migration file', () => {
    assert.ok(versions.length >= 1);
    for (const v of versions) assert.match(v, /^\d+_[\w-]+$/);
  });

  test('migrate() on a fresh database applies every file; a second run applies nothing; one schema_migrations row per file', async () => {
    const empty = await createEmptyDatabase();
    try {
      const db = await empty.open();
      assert.deepEqual(await migrate(db), versions);
      assert.deepEqual(await migrate(db), []);
      const { rows } = await db.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((r) => r.version),
        versions,
      );
    } finally {
      await empty.drop();
    }
  });

  test('two concurrent migrate() calls on a fresh database both succeed and apply each file exactly once', async () => {
    const empty = await createEmptyDatabase();
    try {
      const [a, b] = await Promise.all([empty.open(), empty.open()]);
      const [appliedA, appliedB] = await within(30_000, 'concurrent migrations', Promise.all([migrate(a), migrate(b)]));
      assert.deepEqual([...appliedA, ...appliedB].sort(), versions);
      const { rows } = await a.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((r) => r.version),
        versions,
      );
      const tables = await a.query<{ t: string | null }>(`SELECT to_regclass('meetings')::text AS t`);
      assert.equal(tables.rows[0]?.t, 'meetings');
    } finally {
      await empty.drop();
    }
  });
});

describe('embedded persistence', () => {
  test('a meeting created on PGlite in a directory is still there after closing and reopening it', async () => {
    const dir = tempDir('pglite');
    try {
      const first = await createPgliteDatabase(dir);
      await migrate(first);
      const app1 = await buildApp(testConfig, { db: first, logger: false });
      const created = await call(app1, 'POST', '/api/v1/meetings', { as: 'keeper@x.io', body: { meeting_id: 'persisted', attendees: ['a@x.io'] } });
      assert.equal(created.status, 201);
      await app1.close();
      await first.close();

      const second = await createPgliteDatabase(dir);
      try {
        assert.deepEqual(await migrate(second), [], 'nothing to apply on reopen');
        const app2 = await buildApp(testConfig, { db: second, logger: false });
        const got = await call(app2, 'GET', api('persisted'), { as: 'keeper@x.io' });
        assert.equal(got.status, 200);
        assert.equal(got.body.result.host, 'keeper@x.io');
        const list = await call(app2, 'GET', '/api/v1/meetings', { as: 'keeper@x.io' });
        assert.deepEqual(
          list.body.result.meetings.map((m: { meeting_id: string }) => m.meeting_id),
          ['persisted'],
        );
        await app2.close();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The real `server.ts` in a child process, with its output captured. */
class ServerProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(env: Record<string, string>) {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !['DATABASE_URL', 'JWT_SECRET', 'NODE_ENV', 'TOKEN_TTL_SECS', 'MEETING_API_PORT', 'DATA_DIR', 'LOG_LEVEL', 'CORS_ORIGINS', 'NODE_TEST_CONTEXT'].includes(k)) {
        base[k] = v;
      }
    }
    this.child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], {
      cwd: REPO_ROOT,
      env: { ...base, HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => r({ code, signal })));
  }

  /** Resolves with the URL the server logs once it listens. */
  async url(): Promise<string> {
    // A guard against a hang, not a timing assertion: a first start on PGlite creates the
    // database (initdb), which takes minutes on a loaded machine.
    return within(
      240_000,
      'server start-up',
      (async () => {
        for (;;) {
          const match = /Meeting API listening on (http:\/\/[^\s"]+)/.exec(this.stdout);
          if (match) return match[1]!;
          if (this.child.exitCode !== null) throw new Error(`server exited ${this.child.exitCode}: ${this.stderr}${this.stdout}`);
          await sleep(50);
        }
      })(),
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return within(20_000, `exit after ${signal}`, this.exited);
  }

  /** Last resort in `after`: never leave a child behind. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

async function httpJson(url: string, init: { method?: string; cookie?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.cookie) headers.cookie = init.cookie;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json()) as { success: boolean; result: any } };
}

describe('the real server process', () => {
  const dataDir = tempDir('server');
  const children: ServerProcess[] = [];
  const start = (env: Record<string, string>) => {
    const s = new ServerProcess(env);
    children.push(s);
    return s;
  };
  after(() => {
    for (const c of children) c.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let firstSecret = '';
  let firstToken = '';

  test('starts on PGlite in DATA_DIR with port 0, writes a 0600 jwt-secret, keeps secrets out of debug logs, exits 0 on SIGTERM', async () => {
    const server = start({ MEETING_API_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'debug' });
    const base = await server.url();
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(base).port, '0');

    const secretPath = join(dataDir, 'jwt-secret');
    assert.equal(statSync(secretPath).mode & 0o777, 0o600);
    firstSecret = readFileSync(secretPath, 'utf8').trim();
    assert.ok(Buffer.byteLength(firstSecret) >= 32, 'secret of at least 32 bytes');

    const hostEmail = `host-${randomBytes(6).toString('hex')}@cookie.example`;
    const guestEmail = `guest-${randomBytes(6).toString('hex')}@cookie.example`;
    const password = `pw-${randomBytes(12).toString('hex')}`;
    assert.equal((await httpJson(`${base}/healthz`)).status, 200);
    assert.equal((await httpJson(`${base}/readyz`)).status, 200);
    const created = await httpJson(`${base}/api/v1/meetings`, {
      method: 'POST',
      cookie: `email=${hostEmail}`,
      body: { meeting_id: 'logged', password },
    });
    assert.equal(created.status, 201);
    const hostJoin = await httpJson(`${base}/api/v1/meetings/logged/join`, { method: 'POST', cookie: `email=${hostEmail}`, body: {} });
    assert.equal(hostJoin.status, 200);
    firstToken = hostJoin.body.result.room_token;
    assert.equal(typeof firstToken, 'string');
    const guestJoin = await httpJson(`${base}/api/v1/meetings/logged/join`, {
      method: 'POST',
      cookie: `email=${guestEmail}`,
      body: { password, display_name: 'Guest' },
    });
    assert.equal(guestJoin.status, 200);
    assert.equal(
      (await httpJson(`${base}/api/v1/meetings/logged/admit`, { method: 'POST', cookie: `email=${hostEmail}`, body: { email: guestEmail } })).status,
      200,
    );
    const guestStatus = await httpJson(`${base}/api/v1/meetings/logged/status`, { cookie: `email=${guestEmail}` });
    const guestToken = guestStatus.body.result.room_token as string;
    assert.equal(typeof guestToken, 'string');
    // A request that fails validation is logged too.
    assert.equal((await httpJson(`${base}/api/v1/meetings/logged/join`, { method: 'POST', cookie: `email=${guestEmail}`, body: { password: 5 } })).status, 400);

    // The token is signed with the secret from DATA_DIR.
    const { payload } = await jwtVerify(firstToken, new TextEncoder().encode(firstSecret), { algorithms: ['HS256'] });
    assert.equal(payload.sub, hostEmail);

    const exit = await server.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr);

    const logs = server.stdout + server.stderr;
    assert.match(logs, /request completed/, 'debug logs were captured');
    assert.match(logs, /"level":20|shutting down/, 'debug-level or shutdown lines present');
    for (const [what, secret] of [
      ['host cookie value', hostEmail],
      ['guest cookie value', guestEmail],
      ['password', password],
      ['host room token', firstToken],
      ['guest room token', guestToken],
      ['token signature', firstToken.split('.')[2]!],
      ['JWT secret', firstSecret],
    ] as const) {
      assert.ok(!logs.includes(secret), `logs contain the ${what}`);
    }
  });

  test('a second start reuses the stored jwt-secret and keeps the data', async () => {
    assert.ok(firstSecret, 'needs the first start');
    const server = start({ MEETING_API_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    const base = await server.url();
    assert.equal(readFileSync(join(dataDir, 'jwt-secret'), 'utf8').trim(), firstSecret);
    const meeting = await httpJson(`${base}/api/v1/meetings/logged`, { cookie: 'email=anyone@x.io' });
    assert.equal(meeting.status, 200);
    assert.equal(meeting.body.result.has_password, true);
    const exit = await server.stop('SIGTERM');
    assert.equal(exit.code, 0, server.stderr);
    assert.match(server.stdout, /using the development secret from the data directory/);
  });

  test('NODE_ENV=production without JWT_SECRET exits non-zero naming JWT_SECRET', async () => {
    const dir = tempDir('prod');
    try {
      const server = start({ NODE_ENV: 'production', MEETING_API_PORT: '0', DATA_DIR: dir });
      const exit = await within(30_000, 'production start-up failure', server.exited);
      assert.notEqual(exit.code, 0);
      assert.match(server.stderr, /JWT_SECRET/);
      assert.doesNotMatch(server.stdout, /listening/);
      assert.throws(() => statSync(join(dir, 'jwt-secret')), /ENOENT/, 'no secret generated in production');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('TOKEN_TTL_SECS=abc exits non-zero naming TOKEN_TTL_SECS', async () => {
    const dir = tempDir('ttl');
    try {
      const server = start({ TOKEN_TTL_SECS: 'abc', MEETING_API_PORT: '0', DATA_DIR: dir });
      const exit = await within(30_000, 'bad TOKEN_TTL_SECS start-up failure', server.exited);
      assert.notEqual(exit.code, 0);
      assert.match(server.stderr, /TOKEN_TTL_SECS/);
      assert.doesNotMatch(server.stdout, /listening/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('CORS', () => {
  test('with corsOrigins a preflight from an allowed origin gets the allow-origin header, others do not', async () => {
    const t = await startTestApp({ config: { corsOrigins: ['https://app.example'] } });
    try {
      const preflight = await t.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/meetings',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      assert.ok(preflight.statusCode >= 200 && preflight.statusCode < 300, `preflight ${preflight.statusCode} ${preflight.body}`);
      assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
      assert.equal(preflight.headers['access-control-allow-credentials'], 'true');

      const actual = await t.app.inject({ method: 'GET', url: '/api/v1/meetings', headers: { origin: 'https://app.example', cookie: 'email=c@x.io' } });
      assert.equal(actual.statusCode, 200);
      assert.equal(actual.headers['access-control-allow-origin'], 'https://app.example');

      const foreign = await t.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/meetings',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      assert.notEqual(foreign.headers['access-control-allow-origin'], 'https://evil.example');
      assert.notEqual(foreign.headers['access-control-allow-origin'], '*');
    } finally {
      await t.close();
    }
  });

  test('without CORS config no allow-origin header is sent, on preflight or on requests', async () => {
    const t = await startTestApp();
    try {
      const preflight = await t.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/meetings',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.headers['access-control-allow-origin'], undefined);
      assert.ok(preflight.statusCode >= 400 && preflight.statusCode < 500);
      const actual = await t.app.inject({ method: 'GET', url: '/api/v1/meetings', headers: { origin: 'https://app.example', cookie: 'email=c@x.io' } });
      assert.equal(actual.statusCode, 200);
      assert.equal(actual.headers['access-control-allow-origin'], undefined);
    } finally {
      await t.close();
    }
  });
});

describe('shutdown under a stalled client (real process)', () => {
  const dir = tempDir('shutdown');
  const children: ServerProcess[] = [];
  // A test that fails (e.g. a slow first start under load) must not leave its server holding the
  // data folder for the next test: the embedded database is locked to one process.
  afterEach(async () => {
    await Promise.all(
      children.splice(0).map(async (c) => {
        if (c.child.exitCode !== null || c.child.signalCode !== null) return;
        const exited = new Promise((resolve) => c.child.once('exit', resolve));
        c.kill();
        await exited;
      }),
    );
  });
  after(() => {
    for (const c of children) c.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A POST that announces 60,000 bytes and sends one: the attack that used to keep the API from stopping. */
  /**
   * An upload whose body never comes, returned once the server is handling it: the request asks
   * `Expect: 100-continue`, and the server's `100 Continue` says it has parsed the headers. (A
   * request whose headers are still unread is an idle connection to the server, which a shutdown
   * closes at once: the tests below would depend on who is faster.)
   */
  async function stallUpload(base: string): Promise<net.Socket> {
    const { port } = new URL(base);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(
      'POST /api/v1/meetings HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: email=s@x.io\r\nContent-Type: application/json\r\nContent-Length: 60000\r\nExpect: 100-continue\r\n\r\n',
    );
    let head = '';
    await within(
      30_000,
      'the server to take the upload (100 Continue)',
      new Promise<void>((resolve, reject) => {
        const onData = (d: Buffer) => {
          head += d.toString('latin1');
          if (!head.includes('\r\n\r\n')) return;
          socket.off('data', onData);
          if (/^HTTP\/1\.1 100 /.test(head)) resolve();
          else reject(new Error(`expected 100 Continue, got ${JSON.stringify(head.slice(0, 200))}`));
        };
        socket.on('data', onData);
      }),
    );
    socket.write('{');
    return socket;
  }

  test('SIGTERM stops the API once SHUTDOWN_TIMEOUT_SECS pass, closing a stalled upload', async () => {
    const server = new ServerProcess({ MEETING_API_PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'info', REQUEST_TIMEOUT_SECS: '600', SHUTDOWN_TIMEOUT_SECS: '1' });
    children.push(server);
    const socket = await stallUpload(await server.url());
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    // Read whatever comes: a paused socket never sees the server's FIN (no 'end', so no 'close');
    // only a reset would close it, and which of the two the kernel sends is a race.
    socket.resume();
    const exit = await server.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr);
    await within(10_000, 'stalled socket closed', closed);
    assert.match(server.stdout, /shutdown deadline passed/);
  });

  test('a second signal exits at once, whatever is still open', async () => {
    const server = new ServerProcess({ MEETING_API_PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'info', REQUEST_TIMEOUT_SECS: '600', SHUTDOWN_TIMEOUT_SECS: '600' });
    children.push(server);
    const socket = await stallUpload(await server.url());
    server.child.kill('SIGTERM');
    await within(30_000, 'first signal logged', (async () => {
      while (!server.stdout.includes('shutting down')) await sleep(20);
    })());
    const exit = await server.stop('SIGINT');
    assert.equal(exit.code, 1, server.stderr);
    assert.match(server.stdout, /second signal: exiting now/);
    socket.destroy();
  });

  test('the stalled upload itself is cut with 408 after REQUEST_TIMEOUT_SECS, and SIGTERM then stops the process at once', async () => {
    const server = new ServerProcess({ MEETING_API_PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'info', REQUEST_TIMEOUT_SECS: '1', SHUTDOWN_TIMEOUT_SECS: '600' });
    children.push(server);
    const socket = await stallUpload(await server.url());
    let text = '';
    socket.setEncoding('utf8').on('data', (d: string) => (text += d));
    await within(15_000, 'stalled upload cut', new Promise<void>((r) => socket.once('close', () => r())));
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /"code":"REQUEST_TIMEOUT"/);
    const exit = await server.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr);
    assert.doesNotMatch(server.stdout, /shutdown deadline passed/, 'nothing was left to force-close');
  });
});
