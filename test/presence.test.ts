import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { connectNatsRelay } from '../services/media-server/src/relay/nats-relay';
import { createFeedEnforcement } from '../services/media-server/src/enforcement/feed-enforcement';
import { createPresenceReporter } from '../services/media-server/src/presence/presence-reporter';
import { connect, freePort, refusedHandshake, silentLogger, startServer, testNamespace, until, type Client, type Running } from '../services/media-server/test/helpers';
import { startTestApp, TEST_SECRET, type TestApp } from '../services/meeting-api/test/helpers';
import { openSse, type SseStream } from '../services/meeting-api/test/sse-client';

/**
 * Presence (real Meeting API over HTTP on PostgreSQL, real Media Servers reporting to it, real
 * WebSocket clients, a real Media Server process killed with SIGKILL): who holds a media
 * connection reaches the meeting log, and people gone for AUTO_LEAVE_AFTER_SECS leave.
 */
const AUTO_LEAVE_SECS = 2;
const LEASE_SECS = 2;
const HOST = 'host@x.io';

let api: TestApp;
let apiBase: string;
const media: Running[] = [];
const clients: Client[] = [];
const streams: SseStream[] = [];
const children: ChildProcess[] = [];
/** Figures measured, printed at the end (the report quotes them). */
const figures: Record<string, number[]> = { 'disconnect → participant.disconnected (ms)': [], 'disconnect → left (ms)': [] };

async function startMedia(relay?: Awaited<ReturnType<typeof connectNatsRelay>>): Promise<Running> {
  const enforcement = createFeedEnforcement({ apiUrl: apiBase, jwtSecret: TEST_SECRET, logger: silentLogger });
  const instanceId = `t${Math.random().toString(36).slice(2, 10)}`;
  const presence = createPresenceReporter({ apiUrl: apiBase, jwtSecret: TEST_SECRET, instanceId, leaseSecs: LEASE_SECS, logger: silentLogger });
  const s = await startServer({ jwtSecret: TEST_SECRET }, { enforcement, presence, instanceId, ...(relay ? { relay } : {}) });
  media.push(s);
  return s;
}

before(async () => {
  api = await startTestApp({ config: { jwtSecret: TEST_SECRET, autoLeaveAfterSecs: AUTO_LEAVE_SECS } });
  apiBase = await api.app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  for (const c of clients) c.ws.terminate();
  for (const s of streams) s.close();
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(media.map((m) => m.app.close()));
  await api.close();
  for (const [name, values] of Object.entries(figures)) {
    if (values.length > 0) console.log(`# ${name}: ${values.map((v) => Math.round(v)).join(', ')} (max ${Math.round(Math.max(...values))})`);
  }
});

async function apiCall(method: string, path: string, email: string, body?: unknown) {
  const res = await fetch(`${apiBase}/api/v1/meetings${path}`, {
    method,
    headers: { cookie: `email=${email}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { success: boolean; result: any } };
}

/** Host (who never connects to media) plus admitted attendees; their tokens and the host's event stream. */
async function meetingWith(id: string, attendees: string[]): Promise<{ tokens: Record<string, string>; events: SseStream }> {
  const host = await apiCall('POST', `/${id}/join`, HOST, {});
  const tokens: Record<string, string> = { [HOST]: host.body.result.room_token };
  for (const a of attendees) {
    await apiCall('POST', `/${id}/join`, a, {});
    await apiCall('POST', `/${id}/admit`, HOST, { email: a });
    tokens[a] = (await apiCall('GET', `/${id}/status`, a)).body.result.room_token;
    assert.equal(typeof tokens[a], 'string');
  }
  const events = await openSse(apiBase, `/api/v1/meetings/${id}/events`, { as: HOST });
  assert.equal(events.status, 200);
  streams.push(events);
  return { tokens, events };
}

async function join(s: Running, token: string, name: string): Promise<Client> {
  const c = await connect(s.ws, token, name);
  clients.push(c);
  return c;
}

/** Index of the first event of `type` about `who` from position `from`, once it has arrived. */
async function eventOf(stream: SseStream, type: string, who: string, from = 0, ms = 35_000): Promise<number> {
  const find = () => stream.events.findIndex((e, i) => i >= from && e.event === type && e.data.participant?.email === who);
  await until(() => find() >= 0, `${type} for ${who}`, ms);
  return find();
}

async function statusOf(id: string, who: string): Promise<string> {
  return (await apiCall('GET', `/${id}/status`, who)).body.result.status;
}

async function connectedIn(id: string): Promise<Record<string, boolean>> {
  const list = await apiCall('GET', `/${id}/participants`, HOST);
  return Object.fromEntries((list.body.result as Array<{ email: string; connected: boolean }>).map((p) => [p.email, p.connected]));
}

describe('one Media Server, no NATS', () => {
  let s: Running;
  before(async () => {
    s = await startMedia();
  });

  test('a client that closes without /leave: participant.disconnected at once, left after the window (actor null, reason disconnected), token revoked', async () => {
    const { tokens, events } = await meetingWith('pr-close', ['a@x.io']);
    assert.equal((await connectedIn('pr-close'))['a@x.io'], false, 'nobody connected yet');
    const a = await join(s, tokens['a@x.io']!, 'a');
    const at = await eventOf(events, 'participant.connected', 'a@x.io');
    assert.equal(events.events[at]!.data.actor, null);
    assert.equal(events.events[at]!.data.participant.connected, true);
    assert.equal(events.events[at]!.data.participant.room_token, null);
    assert.deepEqual(await connectedIn('pr-close'), { [HOST]: false, 'a@x.io': true });

    const closedAt = performance.now();
    a.ws.terminate(); // no close handshake, no /leave: a tab killed
    const dis = await eventOf(events, 'participant.disconnected', 'a@x.io', at);
    figures['disconnect → participant.disconnected (ms)']!.push(performance.now() - closedAt);
    assert.equal(events.events[dis]!.data.participant.connected, false);
    assert.equal(events.events[dis]!.data.participant.status, 'admitted');

    const left = await eventOf(events, 'participant.left', 'a@x.io', dis);
    const elapsed = performance.now() - closedAt;
    figures['disconnect → left (ms)']!.push(elapsed);
    assert.ok(elapsed >= AUTO_LEAVE_SECS * 1000, `not before the window (${elapsed} ms)`);
    assert.equal(events.events[left]!.data.actor, null);
    assert.equal(events.events[left]!.data.reason, 'disconnected');
    assert.equal(await statusOf('pr-close', 'a@x.io'), 'left');
    // Exactly /leave: the old token is revoked on the Media Server, the meeting goes on (the host is in).
    // (The decision reaches the Media Server through its feed, a moment after the commit.)
    let refusal: Awaited<ReturnType<typeof refusedHandshake>> | undefined;
    for (let i = 0; i < 100 && refusal === undefined; i++) {
      refusal = await refusedHandshake(`${s.ws}/lobby?token=${encodeURIComponent(tokens['a@x.io']!)}`).catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    assert.equal(refusal?.status, 403);
    assert.equal((refusal?.body as any).result.code, 'TOKEN_REVOKED');
    assert.equal((await apiCall('GET', '/pr-close', HOST)).body.result.state, 'active');
  });

  test('a reload inside the window changes nothing; someone admitted who never connected is never auto-left', async () => {
    const { tokens, events } = await meetingWith('pr-reload', ['r@x.io', 'b@x.io', 'never@x.io']);
    const r = await join(s, tokens['r@x.io']!, 'r');
    const b = await join(s, tokens['b@x.io']!, 'b');
    await eventOf(events, 'participant.connected', 'r@x.io');
    await eventOf(events, 'participant.connected', 'b@x.io');
    r.ws.terminate();
    const rGone = await eventOf(events, 'participant.disconnected', 'r@x.io');
    // The reload: a new connection with a fresh token, well inside the window.
    const fresh = (await apiCall('GET', '/pr-reload/status', 'r@x.io')).body.result.room_token as string;
    await join(s, fresh, 'r2');
    await eventOf(events, 'participant.connected', 'r@x.io', rGone);
    // b goes for good after r's disconnection: once b is auto-left, a sweep has passed r's window too.
    b.ws.terminate();
    await eventOf(events, 'participant.left', 'b@x.io');
    assert.equal(await statusOf('pr-reload', 'r@x.io'), 'admitted', 'the reload changed nothing');
    assert.equal(await statusOf('pr-reload', 'never@x.io'), 'admitted', 'never connected: never auto-left');
    assert.equal(events.events.some((e) => e.event === 'participant.left' && e.data.participant.email !== 'b@x.io'), false);
    assert.deepEqual(await connectedIn('pr-reload'), { [HOST]: false, 'r@x.io': true, 'never@x.io': false });
  });

  test('the host gone for the window ends the meeting as /leave does', async () => {
    const { tokens, events } = await meetingWith('pr-host', ['c@x.io']);
    const h = await join(s, tokens[HOST]!, 'h');
    await eventOf(events, 'participant.connected', HOST);
    h.ws.terminate();
    const left = await eventOf(events, 'participant.left', HOST);
    const ended = events.events.findIndex((e, i) => i > left && e.event === 'meeting.ended');
    assert.ok(ended > left, 'meeting.ended follows');
    assert.equal(events.events[ended]!.data.actor, null);
    assert.equal(events.events[ended]!.data.reason, 'disconnected');
    assert.equal((await apiCall('GET', '/pr-host', 'c@x.io')).body.result.state, 'ended');
  });

  test('a Media Server the API forgot (its lease and rows lost) announces everyone again with its next report', async () => {
    const { tokens, events } = await meetingWith('pr-resync', ['d@x.io']);
    await join(s, tokens['d@x.io']!, 'd');
    const first = await eventOf(events, 'participant.connected', 'd@x.io');
    await api.db.transaction(async (tx) => {
      await tx.query('DELETE FROM media_instances');
      await tx.query('DELETE FROM media_presence');
      await tx.query("UPDATE meeting_participants SET connected = false, disconnected_at = NULL WHERE email = 'd@x.io'");
    });
    // Its next report (a lease renewal) is answered "unknown": it sends everyone present.
    await eventOf(events, 'participant.connected', 'd@x.io', first + 1);
    assert.equal((await connectedIn('pr-resync'))['d@x.io'], true);
  });
});

function twoServers(label: string, makeRelay: () => Promise<Awaited<ReturnType<typeof connectNatsRelay>> | undefined>) {
  describe(`two Media Servers, ${label}`, () => {
    let s1: Running;
    let s2: Running;
    before(async () => {
      s1 = await startMedia(await makeRelay());
      s2 = await startMedia(await makeRelay());
    });

    test('connected while either instance holds a connection; disconnected when the last one closes', async () => {
      const id = `pr-two-${label.replace(/\W+/g, '')}`;
      const { tokens, events } = await meetingWith(id, ['e@x.io', 'f@x.io']);
      const e1 = await join(s1, tokens['e@x.io']!, 'e1');
      const connectedAt = await eventOf(events, 'participant.connected', 'e@x.io');
      const e2 = await join(s2, tokens['e@x.io']!, 'e2');
      const f1 = await join(s1, tokens['f@x.io']!, 'f1');
      await eventOf(events, 'participant.connected', 'f@x.io');
      e1.ws.terminate();
      // s1 reports in order: once f's disconnection is in, e's closing on s1 was applied before it.
      f1.ws.terminate();
      await eventOf(events, 'participant.disconnected', 'f@x.io');
      assert.equal(events.events.filter((e) => e.data.participant?.email === 'e@x.io' && e.event === 'participant.connected').length, 1);
      assert.equal(events.events.findIndex((e, i) => i > connectedAt && e.event === 'participant.disconnected' && e.data.participant.email === 'e@x.io'), -1);
      assert.equal((await connectedIn(id))['e@x.io'], true, 'still connected through s2');
      const closedAt = performance.now();
      e2.ws.terminate();
      await eventOf(events, 'participant.disconnected', 'e@x.io', connectedAt);
      figures['disconnect → participant.disconnected (ms)']!.push(performance.now() - closedAt);
    });
  });
}

twoServers('no NATS', async () => undefined);

describe('with NATS', () => {
  let nats: ChildProcess | undefined;
  let natsUrl = '';
  before(async () => {
    const port = await freePort();
    natsUrl = `nats://127.0.0.1:${port}`;
    nats = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    children.push(nats);
    for (let i = 0; i < 100; i++) {
      try {
        const probe = await connectNatsRelay({ url: natsUrl, logger: silentLogger, namespace: testNamespace });
        await probe.close();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  twoServers('over NATS', () => connectNatsRelay({ url: natsUrl, logger: silentLogger, namespace: testNamespace }));
});

describe('a Media Server process killed with SIGKILL', () => {
  test('its people are disconnected once its lease runs out, then auto-left', async () => {
    const SERVER = fileURLToPath(new URL('../services/media-server/src/server.ts', import.meta.url));
    const run = async () => {
      const port = await freePort();
      // One process (node with the tsx loader, no tsx wrapper), so SIGKILL kills the server itself.
      const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
        env: {
          PATH: process.env.PATH ?? '',
          JWT_SECRET: TEST_SECRET,
          MEDIA_SERVER_PORT: String(port),
          MEETING_API_URL: apiBase,
          MEDIA_PRESENCE_LEASE_SECS: String(LEASE_SECS),
          LOG_LEVEL: 'info',
          LOG_FORMAT: 'json',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      await until(() => out.includes('media server listening') || child.exitCode !== null, 'media server start', 60_000);
      assert.equal(child.exitCode, null, out);
      return { child, ws: `ws://127.0.0.1:${port}` };
    };
    const { tokens, events } = await meetingWith('pr-kill', ['k@x.io']);
    const first = await run();
    const k = await connect(first.ws, tokens['k@x.io']!, 'k');
    clients.push(k);
    const connectedAt = await eventOf(events, 'participant.connected', 'k@x.io');
    const killedAt = performance.now();
    first.child.kill('SIGKILL');
    const dis = await eventOf(events, 'participant.disconnected', 'k@x.io', connectedAt, 30_000);
    const detection = performance.now() - killedAt;
    figures['SIGKILL → participant.disconnected (ms)'] = [detection];
    assert.ok(detection < 30_000);
    // Connected once since admission, gone for the window: auto-left like anyone else.
    const left = await eventOf(events, 'participant.left', 'k@x.io', dis);
    assert.equal(events.events[left]!.data.reason, 'disconnected');
  });
});
