import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app';
import { api, call, createTestDatabase, expectError, configWith, hostStarts, type TestConfigOverrides, type TestDatabase } from './helpers';

/**
 * The edge of the Meeting API against real sockets: connections per client address, the header
 * deadline, long polls per caller, meetings per owner, the Host allow-list and the operator
 * endpoints. Every client here is on 127.0.0.1; a second address (127.0.0.2, also this machine)
 * stands for "someone else", such as a load balancer's health check.
 */
let database: TestDatabase;
const apps: FastifyInstance[] = [];
const sockets: net.Socket[] = [];
before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(apps.map((a) => a.close()));
  await database.drop();
});

async function appWith(config: TestConfigOverrides = {}): Promise<FastifyInstance> {
  const app = await buildApp(configWith(config), { db: database.db, logger: false });
  await app.ready();
  apps.push(app);
  return app;
}

async function listening(config: TestConfigOverrides): Promise<{ app: FastifyInstance; port: number; base: string }> {
  const app = await appWith(config);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as net.AddressInfo).port, base };
}

/** A socket from `from` that sends half a request line and then nothing: a slow-header attacker. */
async function halfRequest(port: number, from = '127.0.0.1'): Promise<{ socket: net.Socket; closed: Promise<string> }> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
  sockets.push(socket);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(text)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.write('GET /healthz HTTP/1.1\r\n');
  return { socket, closed };
}

/** One whole request on a fresh socket from `from`; '' when the server closed it unanswered. */
function exchange(port: number, request: string, from = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    sockets.push(socket);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', () => {});
    socket.on('close', () => resolve(text));
    socket.once('connect', () => socket.write(request));
    // A guard against hangs, not a timing assertion.
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the socket open; got so far: ${text.slice(0, 200)}`));
    }, 30_000).unref();
  });
}

const HEALTH = 'GET /healthz HTTP/1.1\r\nHost: 10.0.0.9:8081\r\nConnection: close\r\n\r\n';

function envelopeOf(raw: string): { code: string; message: string } {
  return (JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { result: { code: string; message: string } }).result;
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 200));
}

describe('connections per client address (MAX_CONNECTIONS_PER_ADDRESS)', () => {
  test('beyond the cap a further socket from the same address is closed unanswered, so a health check from elsewhere still gets 200 with every other slot taken', async () => {
    const { port } = await listening({ maxConnections: 6, security: { maxConnectionsPerAddress: 3 } });
    const held = [];
    for (let i = 0; i < 6; i++) held.push(await halfRequest(port));
    await settle();
    const open = held.filter((h) => !h.socket.destroyed && h.socket.readyState === 'open');
    // The 4th to 6th were closed by the server, without a byte.
    const closedTexts = await Promise.all(held.slice(3).map((h) => h.closed));
    assert.deepEqual(closedTexts, ['', '', '']);
    assert.equal(open.length <= 3, true);
    const health = await exchange(port, HEALTH, '127.0.0.2');
    assert.match(health, /^HTTP\/1\.1 200 /, 'another address is served');
    // A slot the attacker frees is theirs again.
    held[0]!.socket.destroy();
    await settle();
    assert.match(await exchange(port, HEALTH), /^HTTP\/1\.1 200 /);
  });

  test('without the cap the same six sockets take every connection and the health check is refused', async () => {
    const { port } = await listening({ maxConnections: 6, security: { maxConnectionsPerAddress: 0 } });
    for (let i = 0; i < 6; i++) await halfRequest(port);
    await settle();
    assert.equal(await exchange(port, HEALTH, '127.0.0.2'), '', 'refused: this is what the cap prevents');
  });

  test('a proxy named by TRUST_PROXY carries everybody: its connections are not capped', async () => {
    const { port } = await listening({ trustProxy: ['127.0.0.1'], security: { maxConnectionsPerAddress: 2 } });
    const held = [];
    for (let i = 0; i < 4; i++) held.push(await halfRequest(port));
    await settle();
    assert.equal(held.filter((h) => h.socket.readyState === 'open').length, 4);
    const capped = await listening({ trustProxy: ['10.0.0.0/8'], security: { maxConnectionsPerAddress: 2 } });
    for (let i = 0; i < 2; i++) await halfRequest(capped.port);
    const third = await halfRequest(capped.port);
    assert.equal(await third.closed, '', 'an address outside the TRUST_PROXY list is capped');
  });
});

describe('the header deadline (HEADERS_TIMEOUT_SECS)', () => {
  test('headers still incomplete after HEADERS_TIMEOUT_SECS get 408 REQUEST_TIMEOUT though the request timeout is a minute', async () => {
    const { port } = await listening({ requestTimeoutMs: 60_000, security: { headersTimeoutMs: 1000 } });
    const text = await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: a');
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.equal(envelopeOf(text).code, 'REQUEST_TIMEOUT');
    assert.match(envelopeOf(text).message, /HEADERS_TIMEOUT_SECS/);
  });

  test('a long poll held longer than both deadlines still gets its answer', async () => {
    const { app, base } = await listening({ requestTimeoutMs: 1000, security: { headersTimeoutMs: 1000 } });
    await hostStarts(app, 'edge-poll');
    await call(app, 'POST', api('edge-poll', '/join'), { as: 'waiter@x.io', body: {} });
    const res = await fetch(`${base}${api('edge-poll', '/status?wait=3')}`, { headers: { cookie: 'email=waiter@x.io' } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { result: { status: string } }).result.status, 'waiting');
  });
});

describe('long polls per caller (LONG_POLLS_PER_CALLER)', () => {
  test('a caller holding LONG_POLLS_PER_CALLER waits gets 429 RATE_LIMITED for one more; others are unaffected; a finished wait frees its place', async () => {
    const { app, base } = await listening({ security: { longPollsPerCaller: 2 } });
    await hostStarts(app, 'edge-waits');
    for (const who of ['hog@x.io', 'other@x.io']) await call(app, 'POST', api('edge-waits', '/join'), { as: who, body: {} });
    const poll = (who: string, wait: number, signal?: AbortSignal) =>
      fetch(`${base}${api('edge-waits', `/status?wait=${wait}`)}`, { headers: { cookie: `email=${who}` }, signal });
    const held = [new AbortController(), new AbortController()];
    const pending = held.map((c) => poll('hog@x.io', 60, c.signal).catch(() => undefined));
    // Until both held polls have reached the server, a third (short) one may still get through.
    let refused: Response | undefined;
    for (let i = 0; i < 20 && refused === undefined; i++) {
      const r = await poll('hog@x.io', 1);
      if (r.status === 429) refused = r;
      else await r.arrayBuffer();
    }
    assert.ok(refused, 'the third concurrent wait was refused');
    const body = (await refused.json()) as { success: boolean; result: { code: string; message: string } };
    assert.equal(body.success, false);
    assert.equal(body.result.code, 'RATE_LIMITED');
    assert.match(body.result.message, /LONG_POLLS_PER_CALLER/);
    assert.equal(refused.headers.get('retry-after'), '1');
    // Someone else still waits normally; a plain status read of the hog is no wait.
    assert.equal((await poll('other@x.io', 1)).status, 200);
    assert.equal((await fetch(`${base}${api('edge-waits', '/status')}`, { headers: { cookie: 'email=hog@x.io' } })).status, 200);
    held[0]!.abort();
    let again = 429;
    for (let i = 0; i < 50 && again === 429; i++) {
      const r = await poll('hog@x.io', 1);
      again = r.status;
      await r.arrayBuffer();
      if (again === 429) await settle();
    }
    assert.equal(again, 200, 'the place of the abandoned wait was freed');
    held[1]!.abort();
    await Promise.all(pending);
  });
});

describe('meetings per owner (MAX_MEETINGS_PER_OWNER)', () => {
  test('an owner at the quota gets 403 MEETING_QUOTA_EXCEEDED from POST /meetings and from a creating join; deleting one frees a place; others are unaffected', async () => {
    const app = await appWith({ security: { maxMeetingsPerOwner: 3 } });
    for (let i = 0; i < 3; i++) assert.equal((await call(app, 'POST', '/api/v1/meetings', { as: 'hoarder@x.io', body: { meeting_id: `hoard-${i}` } })).status, 201);
    const refused = await call(app, 'POST', '/api/v1/meetings', { as: 'hoarder@x.io', body: { meeting_id: 'hoard-3' } });
    expectError(refused, 403, 'MEETING_QUOTA_EXCEEDED');
    assert.match(refused.body.result.message, /MAX_MEETINGS_PER_OWNER/);
    expectError(await call(app, 'POST', api('hoard-join', '/join'), { as: 'hoarder@x.io', body: {} }), 403, 'MEETING_QUOTA_EXCEEDED');
    // Joining one's own meeting creates nothing.
    assert.equal((await call(app, 'POST', api('hoard-0', '/join'), { as: 'hoarder@x.io', body: {} })).status, 200);
    assert.equal((await call(app, 'DELETE', api('hoard-1'), { as: 'hoarder@x.io' })).status, 200);
    assert.equal((await call(app, 'POST', '/api/v1/meetings', { as: 'hoarder@x.io', body: { meeting_id: 'hoard-3' } })).status, 201);
    assert.equal((await call(app, 'POST', '/api/v1/meetings', { as: 'someone@x.io', body: { meeting_id: 'not-hoarded' } })).status, 201);
  });
});

describe('the Host allow-list', () => {
  test('development answers localhost, 127.0.0.1, [::1], PUBLIC_URL\'s host and ALLOWED_HOSTS; another Host (DNS rebinding) gets 421 MISDIRECTED_REQUEST; probes pass with any Host or none', async () => {
    const { port } = await listening({ publicUrl: 'http://meet.example:8081', security: { allowedHosts: ['alias.example'] } });
    const get = (path: string, host: string | undefined, version = '1.1') =>
      exchange(port, `GET ${path} HTTP/${version}\r\n${host === undefined ? '' : `Host: ${host}\r\n`}Cookie: email=a@x.io\r\nConnection: close\r\n\r\n`);
    for (const host of ['localhost:8081', '127.0.0.1', '[::1]:8081', 'meet.example', 'MEET.example:443', 'alias.example']) {
      assert.match(await get('/api/v1/meetings', host), /^HTTP\/1\.1 200 /, host);
    }
    for (const host of ['evil.example', 'meet.example.evil.example', '10.0.0.9:8081']) {
      const text = await get('/api/v1/meetings', host);
      assert.match(text, /^HTTP\/1\.1 421 /, host);
      assert.equal(envelopeOf(text).code, 'MISDIRECTED_REQUEST');
    }
    assert.match(await get('/api/v1/client-config', 'evil.example'), /^HTTP\/1\.1 421 /);
    assert.match(await get('/nope', 'evil.example'), /^HTTP\/1\.1 421 /);
    // A load balancer names the instance's address, or over HTTP/1.0 nothing at all.
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      assert.match(await get(path, '10.0.0.9:8081'), /^HTTP\/1\.1 200 /, path);
      assert.match(await get(path, undefined, '1.0'), /^HTTP\/1\.1 200 /, `${path} without Host`);
    }
    // Media Servers follow the decision feed at an internal address: refused for its credential, not its Host.
    assert.match(await get('/internal/v1/decisions', '10.0.0.9:8081'), /^HTTP\/1\.1 401 /);
  });

  test('production answers only PUBLIC_URL\'s host and ALLOWED_HOSTS, not localhost', async () => {
    const app = await appWith({ production: true, publicUrl: 'https://meet.example', security: { allowedHosts: ['10.1.2.3'] } });
    const at = async (host: string) => (await app.inject({ method: 'GET', url: '/api/v1/client-config', headers: { host } })).statusCode;
    assert.deepEqual([await at('meet.example'), await at('10.1.2.3:8081'), await at('localhost'), await at('127.0.0.1:8081')], [200, 200, 421, 421]);
  });
});

describe('operator endpoints in production', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';
  const inject = (app: FastifyInstance, url: string, authorization?: string) =>
    app.inject({ method: 'GET', url, headers: { host: 'meet.example', ...(authorization ? { authorization } : {}) } });

  test('without METRICS_TOKEN nobody reads /metrics (401), and /version names neither the commit nor the Node version', async () => {
    const app = await appWith({ production: true, publicUrl: 'https://meet.example', gitCommit: 'abc1234' });
    const metrics = await inject(app, '/metrics');
    assert.equal(metrics.statusCode, 401);
    assert.equal(metrics.json().result.code, 'UNAUTHORIZED');
    assert.match(String(metrics.headers['www-authenticate']), /^Bearer/);
    const version = (await inject(app, '/version')).json().result;
    assert.deepEqual(version, { name: 'meeting-api', version: version.version, commit: null });
  });

  test('with METRICS_TOKEN the Bearer token reads /metrics and the full /version; a wrong or missing one does not', async () => {
    const app = await appWith({ production: true, publicUrl: 'https://meet.example', gitCommit: 'abc1234', security: { metricsToken: TOKEN } });
    assert.equal((await inject(app, '/metrics')).statusCode, 401);
    assert.equal((await inject(app, '/metrics', `Bearer ${TOKEN}x`)).statusCode, 401);
    assert.equal((await inject(app, '/metrics', `Basic ${TOKEN}`)).statusCode, 401);
    const ok = await inject(app, '/metrics', `Bearer ${TOKEN}`);
    assert.equal(ok.statusCode, 200);
    assert.match(ok.body, /meeting_api_/);
    const full = (await inject(app, '/version', `Bearer ${TOKEN}`)).json().result;
    assert.equal(full.commit, 'abc1234');
    assert.equal(full.node, process.version);
    assert.equal((await inject(app, '/version')).json().result.node, undefined);
  });

  test('/docs is served with a strict Content-Security-Policy: scripts only from this origin, nothing framed', async () => {
    const app = await appWith({ production: true, publicUrl: 'https://meet.example' });
    for (const url of ['/docs', '/docs/static/swagger-initializer.js']) {
      const res = await inject(app, url);
      assert.equal(res.statusCode, 200, url);
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/, url);
      assert.match(csp, /script-src 'self'(;|$)/, url);
      assert.match(csp, /frame-ancestors 'none'/, url);
    }
    // The API's own answers are not given the documentation's policy.
    assert.equal((await inject(app, '/api/v1/client-config')).headers['content-security-policy'], undefined);
  });
});
