import assert from 'node:assert/strict';
import { connect as natsConnect } from '@nats-io/transport-node';
import { after, before, describe, test } from 'node:test';
import { MediaCloseCode } from 'meeting-types';
import { connectNatsRelay } from '../src/app';
import type { Membership } from '../src/membership/membership';
import { barrier, connect, mintToken, refusedHandshake, silentLogger, startServer, testNamespace, until, type Running } from './helpers';

/** What an operator reaches for on the Media Server: /metrics and /version. */
let s: Running;
before(async () => {
  s = await startServer();
});
after(() => s.app.close());

async function scrape(base = s.base): Promise<Map<string, number>> {
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const series = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

describe('GET /metrics', () => {
  test('counters move by exactly what clients did; refusals are counted by reason', async () => {
    const before = await scrape();
    const delta = (after: Map<string, number>, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

    const room = 'metrics-room';
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(async (n) => connect(s.ws, await mintToken({ room, sub: `${n}@x.io` }), n)));
    const other = await connect(s.ws, await mintToken({ room: 'metrics-other', sub: 'd@x.io' }), 'd');
    const midway = await scrape();
    assert.equal(midway.get('media_server_connections'), 4);
    assert.equal(midway.get('media_server_rooms'), 2);

    a!.send(Buffer.alloc(100, 1));
    a!.send(Buffer.alloc(50, 2));
    b!.send('hello'); // 5 bytes
    await barrier([a!, b!, c!], 'm'); // 3 text frames to 2 receivers each, plus what came before
    const markers = [a!, b!, c!].map((x) => Buffer.byteLength(`__barrier__:m:${x.name}`));

    // Refused upgrades, one per reason.
    await refusedHandshake(`${s.ws}/lobby`);
    await refusedHandshake(`${s.ws}/lobby?token=${await mintToken({ expIn: -120 })}`);
    await refusedHandshake(`${s.ws}/lobby?token=${await mintToken({ secret: 'another-secret-0123456789-abcdefghijklmnop' })}`);
    await refusedHandshake(`${s.ws}/lobby?token=${await mintToken({ iss: 'someone-else' })}`);
    await refusedHandshake(`${s.ws}/lobby?token=not.a.jwt`);
    await refusedHandshake(`${s.ws}/lobby?token=${await mintToken({ omit: ['room'] })}`);

    const after = await scrape();
    const framesIn = 3 + 3; // a: 2, b: 1, plus one barrier marker each
    const bytesIn = 100 + 50 + 5 + markers.reduce((x, y) => x + y, 0);
    assert.equal(delta(after, 'media_server_frames_received_total'), framesIn);
    assert.equal(delta(after, 'media_server_received_bytes_total'), bytesIn);
    assert.equal(delta(after, 'media_server_frames_sent_total'), framesIn * 2, 'each frame reached the two others in its room');
    assert.equal(delta(after, 'media_server_sent_bytes_total'), bytesIn * 2);
    assert.equal(delta(after, 'media_server_token_refusals_total{reason="missing"}'), 1);
    assert.equal(delta(after, 'media_server_token_refusals_total{reason="expired"}'), 1);
    assert.equal(delta(after, 'media_server_token_refusals_total{reason="bad_signature"}'), 1);
    assert.equal(delta(after, 'media_server_token_refusals_total{reason="wrong_issuer"}'), 1);
    assert.equal(delta(after, 'media_server_token_refusals_total{reason="malformed"}'), 2);
    assert.ok(!after.has('media_server_nats_connected'), 'no NATS series on the local relay');

    await Promise.all([a!, b!, c!, other].map((x) => x.close()));
    await until(() => s.app.stats().connections === 0, 'all closed');
    const closed = await scrape();
    assert.equal(closed.get('media_server_connections'), 0);
    assert.equal(closed.get('media_server_rooms'), 0);
    assert.equal(closed.get('media_server_frames_received_total'), after.get('media_server_frames_received_total'), 'counters never go down');

    const text = [...closed.keys()].join('\n');
    for (const leaked of ['metrics-room', 'x.io']) assert.ok(!text.includes(leaked), `${leaked} is not a label`);
    assert.ok(closed.has('process_resident_memory_bytes'));
  });

  test('connections cut by a meeting decision are counted by reason (close codes 4003, 4001)', async () => {
    let membership: Membership | undefined;
    // An enforcement policy that only hands us the membership, so the test can take the decisions.
    const e = await startServer({}, { enforcement: { start: (m) => void (membership = m), admit: () => undefined, close: async () => {} } });
    try {
      const [x, y] = await Promise.all(['x', 'y'].map(async (n) => connect(e.ws, await mintToken({ room: 'cut-room', sub: `${n}@x.io` }), n)));
      const members = [...membership!.membersOf('cut-room')];
      membership!.cut(members.find((m) => m.identity === 'x@x.io')!, MediaCloseCode.Removed, 'removed');
      membership!.cut(members.find((m) => m.identity === 'y@x.io')!, MediaCloseCode.MeetingEnded, 'meeting ended');
      assert.equal(await x!.closed, MediaCloseCode.Removed);
      assert.equal(await y!.closed, MediaCloseCode.MeetingEnded);
      const series = await scrape(e.base);
      assert.equal(series.get('media_server_enforcement_closes_total{reason="removed"}'), 1);
      assert.equal(series.get('media_server_enforcement_closes_total{reason="meeting_ended"}'), 1);
    } finally {
      await e.app.close();
    }
  });

  test('METRICS=false: /metrics is 404 with the envelope; other routes answer', async () => {
    const off = await startServer({ metrics: false });
    try {
      const res = await fetch(`${off.base}/metrics`);
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { result: { code: string } }).result.code, 'NOT_FOUND');
      assert.equal((await fetch(`${off.base}/healthz`)).status, 200);
    } finally {
      await off.app.close();
    }
  });

  test('/metrics and /version only answer GET (405 envelope)', async () => {
    for (const path of ['/metrics', '/version']) {
      const res = await fetch(`${s.base}${path}`, { method: 'POST' });
      assert.equal(res.status, 405);
      assert.equal(((await res.json()) as { result: { code: string } }).result.code, 'METHOD_NOT_ALLOWED');
    }
  });
});

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
async function natsAnswers(): Promise<boolean> {
  try {
    const nc = await natsConnect({ servers: NATS_URL, timeout: 1000, reconnect: false });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

test('with NATS: the connection state is exported', async (t) => {
  if (!(await natsAnswers())) return t.skip(`no NATS at ${NATS_URL}`);
  const relay = await connectNatsRelay({ url: NATS_URL, logger: silentLogger, namespace: testNamespace });
  const n = await startServer({}, { relay });
  try {
    const series = await scrape(n.base);
    assert.equal(series.get('media_server_nats_connected'), 1);
    assert.equal(series.get('media_server_nats_reconnects_total'), 0);
    assert.equal(n.app.instanceId, relay.instanceId, 'one instance id for logs and relayed frames');
  } finally {
    await n.app.close();
  }
});

describe('GET /version', () => {
  test('answers name, package version, commit (string or null) and the Node version', async () => {
    const res = await fetch(`${s.base}/version`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { success: boolean; result: { name: string; version: string; commit: unknown; node: string } };
    assert.equal(body.success, true);
    assert.equal(body.result.name, 'media-server');
    assert.match(body.result.version, /^\d+\.\d+\.\d+/);
    assert.ok(body.result.commit === null || typeof body.result.commit === 'string');
    assert.equal(body.result.node, process.version);
  });

  test('production: without METRICS_TOKEN nobody reads /metrics (401 envelope) and /version names only the release; the Bearer token reads both', async () => {
    const token = 'operator-token-0123456789';
    const closed = await startServer({ production: true, metricsToken: undefined, gitCommit: 'abc123def' });
    const guarded = await startServer({ production: true, metricsToken: token, gitCommit: 'abc123def' });
    try {
      const refused = await fetch(`${closed.base}/metrics`);
      assert.equal(refused.status, 401);
      assert.equal(((await refused.json()) as { result: { code: string } }).result.code, 'UNAUTHORIZED');
      const brief = (await (await fetch(`${closed.base}/version`)).json()) as { result: Record<string, unknown> };
      assert.deepEqual(Object.keys(brief.result).sort(), ['commit', 'name', 'version']);
      assert.equal(brief.result.commit, null);

      assert.equal((await fetch(`${guarded.base}/metrics`)).status, 401);
      assert.equal((await fetch(`${guarded.base}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401);
      const scraped = await fetch(`${guarded.base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /media_server_/);
      const full = (await (await fetch(`${guarded.base}/version`, { headers: { authorization: `Bearer ${token}` } })).json()) as { result: Record<string, unknown> };
      assert.equal(full.result.commit, 'abc123def');
      assert.equal(full.result.node, process.version);
    } finally {
      await closed.app.close();
      await guarded.app.close();
    }
  });

  test('GIT_COMMIT wins over the bundled commit', async () => {
    const pinned = await startServer({ gitCommit: 'abc123def' });
    try {
      const body = (await (await fetch(`${pinned.base}/version`)).json()) as { result: { commit: string } };
      assert.equal(body.result.commit, 'abc123def');
    } finally {
      await pinned.app.close();
    }
  });
});
