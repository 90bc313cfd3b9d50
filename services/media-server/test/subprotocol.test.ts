import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import {
  decodeServerMessage,
  encodeLeave,
  encodeMediaHeader,
  encodeMediaMessage,
  encodePresence,
  MEDIA_SUBPROTOCOL,
  type ServerMessage,
} from 'meeting-types';
import { Client, connect, mintToken, silentLogger, startServer, testNamespace, until, type Running } from './helpers';
import { LocalHub, createLocalRelay } from '../src/relay/local-relay';
import { connectNatsRelay } from '../src/relay/nats-relay';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const servers: Running[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.app.close()));
});
after(() => {});

const rid = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

async function server(deps = {}): Promise<Running> {
  const s = await startServer({}, deps);
  servers.push(s);
  return s;
}

/** A `videocall.v1` client (or an opaque one with `protocols: []`). */
async function join(srv: Running, room: string, name: string, protocols: string[] = [MEDIA_SUBPROTOCOL]): Promise<Client> {
  const token = await mintToken({ room, sub: `${name}@example.com`, extra: { display_name: `${name} name`, is_host: name === 'host' } });
  if (protocols.length === 0) {
    const c = await connect(srv.ws, token, name);
    clients.push(c);
    return c;
  }
  const ws = new WebSocket(`${srv.ws}/lobby?token=${encodeURIComponent(token)}`, protocols);
  const c = new Client(ws, name);
  clients.push(c);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return c;
}

const messages = (c: Client): ServerMessage[] => c.frames.map((f) => decodeServerMessage(new Uint8Array(f.data)));
const sessionOf = (c: Client): string => {
  const w = messages(c).find((m) => m.kind === 'welcome');
  assert.ok(w && w.kind === 'welcome', `${c.name} got a welcome`);
  return w.session;
};

describe('videocall.v1 on one instance', () => {
  test('the server accepts videocall.v1; an opaque client offering another protocol gets that one, as before', async () => {
    const s = await server();
    const room = rid('proto');
    const a = await join(s, room, 'a');
    assert.equal(a.ws.protocol, MEDIA_SUBPROTOCOL);
    const b = await join(s, room, 'b', ['something-else', MEDIA_SUBPROTOCOL]);
    assert.equal(b.ws.protocol, MEDIA_SUBPROTOCOL);
    const c = await join(s, room, 'c', ['something-else']);
    assert.equal(c.ws.protocol, 'something-else');
  });

  test('a newcomer gets WELCOME (its own session, identity and name from the token) then JOIN for each member; members get its JOIN', async () => {
    const s = await server();
    const room = rid('welcome');
    const host = await join(s, room, 'host');
    await until(() => host.frames.length >= 1, 'host welcome');
    const a = await join(s, room, 'a');
    await until(() => a.frames.length >= 2 && host.frames.length >= 2, 'presence');
    const [welcome, joinHost] = messages(a);
    assert.equal(welcome!.kind, 'welcome');
    assert.deepEqual({ ...welcome, session: undefined }, { kind: 'welcome', session: undefined, identity: 'a@example.com', displayName: 'a name', isHost: false });
    assert.deepEqual(joinHost, { kind: 'join', session: sessionOf(host), identity: 'host@example.com', displayName: 'host name', isHost: true });
    assert.deepEqual(messages(host)[1], { kind: 'join', session: sessionOf(a), identity: 'a@example.com', displayName: 'a name', isHost: false });
    // Exact bytes of the JOIN the host received.
    assert.ok(host.frames[1]!.data.equals(Buffer.from(encodePresence('join', { session: sessionOf(a), identity: 'a@example.com', displayName: 'a name', isHost: false }))));
    assert.notEqual(sessionOf(a), sessionOf(host));
  });

  test('frames are stamped with the sender session and identity for v1 receivers, byte-identical for opaque ones, both ways', async () => {
    const s = await server();
    const room = rid('stamp');
    const a = await join(s, room, 'a');
    const b = await join(s, room, 'b');
    const raw = await join(s, room, 'raw', []);
    // a: welcome, join b, join raw; b: welcome, join a, join raw.
    await until(() => a.frames.length >= 3 && b.frames.length >= 3, 'presence settles');
    const aSession = sessionOf(a);
    const payload = Buffer.from([1, 2, 3, 0, 255]);
    a.send(payload, true);
    await until(() => raw.frames.length >= 1 && b.frames.length >= 4, 'a frame arrives');
    assert.ok(raw.frames[0]!.data.equals(payload), 'opaque receiver: byte-identical');
    assert.equal(raw.frames[0]!.isBinary, true);
    const stamped = b.frames[3]!.data;
    assert.ok(stamped.equals(Buffer.concat([Buffer.from(encodeMediaHeader(aSession, 'a@example.com')), payload])), 'v1 receiver: header + payload');

    // The opaque client's frames (binary and text) are stamped with its identity for v1 receivers.
    const before = a.frames.length;
    raw.send(Buffer.from([9, 9]), true);
    raw.send('hello', false);
    await until(() => a.frames.length >= before + 2, 'raw frames reach a');
    const [m1, m2] = messages(a).slice(before);
    assert.equal(m1!.kind, 'media');
    assert.equal(m2!.kind, 'media');
    if (m1?.kind !== 'media' || m2?.kind !== 'media') return;
    assert.equal(m1.identity, 'raw@example.com');
    assert.deepEqual([...m1.payload], [9, 9]);
    assert.equal(Buffer.from(m2.payload).toString(), 'hello');
    assert.equal(a.frames[before + 1]!.isBinary, true, 'v1 clients get binary only');
  });

  test('a client cannot speak as another: a forged header inside the payload stays payload behind the real stamp', async () => {
    const s = await server();
    const room = rid('forge');
    const mallory = await join(s, room, 'mallory');
    const b = await join(s, room, 'b');
    await until(() => b.frames.length >= 2 && mallory.frames.length >= 2, 'presence');
    const forged = Buffer.from(encodeMediaMessage(sessionOf(b), 'ceo@example.com', new Uint8Array([7])));
    mallory.send(forged, true);
    await until(() => b.frames.length >= 3, 'frame');
    const m = messages(b)[2]!;
    assert.ok(m.kind === 'media');
    assert.equal(m.session, sessionOf(mallory));
    assert.equal(m.identity, 'mallory@example.com');
    assert.ok(Buffer.from(m.payload).equals(forged));
  });

  test('a leaving member is announced with LEAVE; a v1 client sending text is closed with 1003', async () => {
    const s = await server();
    const room = rid('leave');
    const a = await join(s, room, 'a');
    const b = await join(s, room, 'b');
    const raw = await join(s, room, 'raw', []);
    await until(() => a.frames.length >= 3, 'presence');
    const bSession = sessionOf(b);
    await b.close();
    await until(() => a.frames.length >= 4, 'leave');
    assert.ok(a.frames[3]!.data.equals(Buffer.from(encodeLeave(bSession))));
    a.send('text is not allowed', false);
    assert.equal(await a.closed, 1003);
    assert.equal(raw.frames.length, 0, 'opaque clients get no presence');
  });
});

describe('videocall.v1 across instances', () => {
  async function pair(kind: 'hub' | 'nats'): Promise<[Running, Running]> {
    if (kind === 'hub') {
      const hub = new LocalHub();
      return [await server({ relay: createLocalRelay(hub) }), await server({ relay: createLocalRelay(hub) })];
    }
    const r1 = await connectNatsRelay({ url: NATS_URL, logger: silentLogger, namespace: testNamespace });
    const r2 = await connectNatsRelay({ url: NATS_URL, logger: silentLogger, namespace: testNamespace });
    return [await server({ relay: r1 }), await server({ relay: r2 })];
  }

  for (const kind of ['hub', 'nats'] as const) {
    test(`${kind}: presence crosses instances both ways (including who was there first), frames arrive stamped, leave is announced`, async () => {
      const [s1, s2] = await pair(kind);
      const room = rid(`x-${kind}`);
      const a = await join(s1, room, 'a');
      const raw = await join(s1, room, 'raw', []);
      await until(() => a.frames.length >= 2, 'a sees raw');
      const b = await join(s2, room, 'b');
      // b learns a and raw (already on s1); a learns b.
      await until(() => messages(b).filter((m) => m.kind === 'join').length >= 2, 'b learns the room on s1');
      await until(() => messages(a).some((m) => m.kind === 'join' && m.identity === 'b@example.com'), 'a learns b');
      const bJoins = messages(b).filter((m) => m.kind === 'join');
      assert.deepEqual(bJoins.map((m) => (m.kind === 'join' ? m.identity : '')).sort(), ['a@example.com', 'raw@example.com']);
      assert.ok(bJoins.some((m) => m.kind === 'join' && m.session === sessionOf(a) && m.displayName === 'a name'));

      const payload = Buffer.from('cross-instance payload');
      const before = b.frames.length;
      a.send(payload, true);
      await until(() => b.frames.length > before, 'frame crosses');
      assert.ok(b.frames[before]!.data.equals(Buffer.concat([Buffer.from(encodeMediaHeader(sessionOf(a), 'a@example.com')), payload])), 'stamped on the far side, byte-exact');
      const rawBefore = raw.frames.length;
      b.send(Buffer.from([4, 2]), true);
      await until(() => raw.frames.length > rawBefore, 'b reaches the opaque client');
      assert.ok(raw.frames[rawBefore]!.data.equals(Buffer.from([4, 2])), 'opaque receiver on the other instance: byte-identical');

      const aSession = sessionOf(a);
      await a.close();
      await until(() => messages(b).some((m) => m.kind === 'leave' && m.session === aSession), 'b hears a left');
      // No duplicate announcements.
      const joinsOfA = messages(b).filter((m) => m.kind === 'join' && m.session === aSession);
      assert.equal(joinsOfA.length, 1);
    });
  }
});
