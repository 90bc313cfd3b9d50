import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { connectNatsRelay } from '../services/media-server/src/relay/nats-relay';
import { createFeedEnforcement } from '../services/media-server/src/enforcement/feed-enforcement';
import { connect, freePort, refusedHandshake, silentLogger, startServer, testNamespace, type Client, type Running } from '../services/media-server/test/helpers';
import { startTestApp, TEST_SECRET, type TestApp } from '../services/meeting-api/test/helpers';

/**
 * Decisions reach live media connections (the live-events extension): real Meeting API over HTTP,
 * real Media Servers following its decision feed, real WebSocket clients.
 */
let api: TestApp;
let apiBase: string;
const media: Running[] = [];
const clients: Client[] = [];

async function startMedia(relay?: Awaited<ReturnType<typeof connectNatsRelay>>): Promise<Running> {
  const enforcement = createFeedEnforcement({ apiUrl: apiBase, jwtSecret: TEST_SECRET, logger: silentLogger });
  const s = await startServer({ jwtSecret: TEST_SECRET }, { enforcement, ...(relay ? { relay } : {}) });
  media.push(s);
  return s;
}

before(async () => {
  api = await startTestApp({ config: { jwtSecret: TEST_SECRET } });
  apiBase = await api.app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  for (const c of clients) c.ws.terminate();
  await Promise.all(media.map((m) => m.app.close()));
  await api.close();
});

async function apiCall(method: string, path: string, email: string, body?: unknown) {
  const res = await fetch(`${apiBase}/api/v1/meetings${path}`, {
    method,
    headers: { cookie: `email=${email}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { success: boolean; result: any } };
}

async function tokenOf(id: string, email: string): Promise<string> {
  const status = await apiCall('GET', `/${id}/status`, email);
  assert.equal(typeof status.body.result.room_token, 'string', `${email} has a token`);
  return status.body.result.room_token;
}

async function join(s: Running, token: string, name: string): Promise<Client> {
  const c = await connect(s.ws, token, name);
  clients.push(c);
  return c;
}

async function expectRevoked(s: Running, token: string) {
  const refusal = await refusedHandshake(`${s.ws}/lobby?token=${encodeURIComponent(token)}`);
  assert.equal(refusal.status, 403);
  assert.equal((refusal.body as any).result.code, 'TOKEN_REVOKED');
}

/** Host plus admitted attendees; returns their tokens. */
async function meetingWith(id: string, attendees: string[]): Promise<Record<string, string>> {
  const host = await apiCall('POST', `/${id}/join`, 'host@x.io', {});
  const tokens: Record<string, string> = { 'host@x.io': host.body.result.room_token };
  for (const a of attendees) {
    await apiCall('POST', `/${id}/join`, a, {});
    await apiCall('POST', `/${id}/admit`, 'host@x.io', { email: a });
    tokens[a] = await tokenOf(id, a);
  }
  return tokens;
}

describe('one Media Server following the decision feed', () => {
  let s: Running;
  before(async () => {
    s = await startMedia();
  });

  test('leaving closes the leaver\'s connection with 4000 (others stay) and revokes the old token; a re-admission gets a working one', async () => {
    const tokens = await meetingWith('enf-leave', ['a@x.io', 'b@x.io']);
    const a = await join(s, tokens['a@x.io']!, 'a');
    const b = await join(s, tokens['b@x.io']!, 'b');
    await apiCall('POST', '/enf-leave/leave', 'a@x.io');
    assert.equal(await a.closed, 4000);
    await expectRevoked(s, tokens['a@x.io']!);
    assert.equal(b.closeCode, undefined, 'b is still connected');

    await apiCall('POST', '/enf-leave/join', 'a@x.io', {});
    await apiCall('POST', '/enf-leave/admit', 'host@x.io', { email: 'a@x.io' });
    const again = await join(s, await tokenOf('enf-leave', 'a@x.io'), 'a-again');
    assert.equal(again.closeCode, undefined);
    await expectRevoked(s, tokens['a@x.io']!);
  });

  test('the meeting ending (the host leaves) closes the other connections with 4001 and revokes every earlier token', async () => {
    const tokens = await meetingWith('enf-end', ['c@x.io']);
    const host = await join(s, tokens['host@x.io']!, 'host');
    const c = await join(s, tokens['c@x.io']!, 'c');
    await apiCall('POST', '/enf-end/leave', 'host@x.io');
    // The host's own leave comes first in the log (4000); everyone else sees the meeting end.
    assert.equal(await host.closed, 4000);
    assert.equal(await c.closed, 4001);
    await expectRevoked(s, tokens['c@x.io']!);
    await expectRevoked(s, tokens['host@x.io']!);
    // Reactivated: new tokens work, old ones stay refused.
    const back = await apiCall('POST', '/enf-end/join', 'host@x.io', {});
    await join(s, back.body.result.room_token, 'host-again');
    await expectRevoked(s, tokens['host@x.io']!);
  });

  test('a rejected knock revokes an earlier token of that person with 4003', async () => {
    const tokens = await meetingWith('enf-reject', ['d@x.io']);
    const d = await join(s, tokens['d@x.io']!, 'd');
    // Still connected in one tab, re-knocks from another after leaving, and is rejected.
    await apiCall('POST', '/enf-reject/leave', 'd@x.io');
    assert.equal(await d.closed, 4000);
    await apiCall('POST', '/enf-reject/join', 'd@x.io', {});
    await apiCall('POST', '/enf-reject/reject', 'host@x.io', { email: 'd@x.io' });
    await expectRevoked(s, tokens['d@x.io']!);
  });

  test('deleting the meeting closes with 4001; a meeting created again with the same id does not accept the old tokens', async () => {
    const tokens = await meetingWith('enf-del', ['e@x.io']);
    const e = await join(s, tokens['e@x.io']!, 'e');
    const del = await fetch(`${apiBase}/api/v1/meetings/enf-del`, { method: 'DELETE', headers: { cookie: 'email=host@x.io' } });
    assert.equal(del.status, 200);
    assert.equal(await e.closed, 4001);
    const fresh = await apiCall('POST', '/enf-del/join', 'host@x.io', {});
    assert.equal(fresh.status, 200);
    await expectRevoked(s, tokens['host@x.io']!);
    await expectRevoked(s, tokens['e@x.io']!);
    await join(s, fresh.body.result.room_token, 'host-new');
  });

  test('a Media Server started after a decision catches up before accepting: the old token is refused', async () => {
    const tokens = await meetingWith('enf-late', ['f@x.io']);
    await apiCall('POST', '/enf-late/leave', 'f@x.io');
    const late = await startMedia();
    await expectRevoked(late, tokens['f@x.io']!);
    await join(late, tokens['host@x.io']!, 'host-late');
  });

  test('the feed refuses requests without its credential, and a room token is not one', async () => {
    const none = await fetch(`${apiBase}/internal/v1/decisions`);
    assert.equal(none.status, 401);
    const tokens = await meetingWith('enf-auth', []);
    const withRoomToken = await fetch(`${apiBase}/internal/v1/decisions`, { headers: { authorization: `Bearer ${tokens['host@x.io']}` } });
    assert.equal(withRoomToken.status, 401);
    assert.equal(((await withRoomToken.json()) as any).result.code, 'UNAUTHORIZED');
  });
});

describe('two Media Servers over NATS', () => {
  let nats: ChildProcess | undefined;
  let natsUrl = '';
  before(async () => {
    const port = await freePort();
    natsUrl = `nats://127.0.0.1:${port}`;
    nats = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
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
  after(() => {
    nats?.kill();
  });

  test('a removal decided through the API closes connections on both instances and both refuse the old token, also after NATS restarts', async () => {
    const s1 = await startMedia(await connectNatsRelay({ url: natsUrl, logger: silentLogger, namespace: testNamespace }));
    const s2 = await startMedia(await connectNatsRelay({ url: natsUrl, logger: silentLogger, namespace: testNamespace }));
    const tokens = await meetingWith('enf-nats', ['g@x.io', 'h@x.io']);
    const g1 = await join(s1, tokens['g@x.io']!, 'g1');
    const g2 = await join(s2, tokens['g@x.io']!, 'g2');
    const h2 = await join(s2, tokens['h@x.io']!, 'h2');
    await apiCall('POST', '/enf-nats/leave', 'g@x.io');
    assert.equal(await g1.closed, 4000);
    assert.equal(await g2.closed, 4000);
    await expectRevoked(s1, tokens['g@x.io']!);
    await expectRevoked(s2, tokens['g@x.io']!);

    // NATS goes away and comes back: decisions do not travel over it, so they still apply.
    const port = new URL(natsUrl).port;
    nats!.kill();
    await new Promise((r) => nats!.once('exit', r));
    nats = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', port], { stdio: 'ignore' });
    await apiCall('POST', '/enf-nats/leave', 'host@x.io');
    assert.equal(await h2.closed, 4001);
    await expectRevoked(s1, tokens['h@x.io']!);
    await expectRevoked(s2, tokens['g@x.io']!);
  });
});
