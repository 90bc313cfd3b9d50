import { afterEach, describe, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { connect as natsConnect, headers as natsHeaders, nkeys, type NatsConnection } from '@nats-io/transport-node';
import WebSocket from 'ws';
import { decodeServerMessage, MEDIA_SUBPROTOCOL, type ServerMessage } from 'meeting-types';
import { DEFAULT_NATS_URL, findNats } from 'service-runtime';
import { loadConfig } from '../src/config';
import { natsNamespace, subjectPrefixOf } from '../src/relay/nats-namespace';
import { connectNatsRelay, H_CONN, H_IDENTITY, H_INSTANCE, H_SESSION, H_SIGNATURE, H_TYPE, natsSubjects, type NatsRelay } from '../src/relay/nats-relay';
import {
  Client,
  mintToken,
  NATS_SERVER_BINARY,
  SECRET,
  silentLogger,
  startNatsServer,
  startServer,
  testNamespace,
  until,
  type Running,
} from './helpers';

/** What keeps deployments sharing a NATS apart, and what a client of that NATS cannot do. */
const NATS_URL = (await findNats(process.env.NATS_URL))?.url;
const skip = NATS_URL === undefined ? `no NATS: NATS_URL is unset and nothing answers at ${DEFAULT_NATS_URL}` : false;
const test = (name: string, fn: () => Promise<void>) => void nodeTest(name, { skip }, fn);
const testOwnNats = (name: string, fn: () => Promise<void>) =>
  void nodeTest(name, { skip: NATS_SERVER_BINARY === undefined ? 'no nats-server binary' : false }, fn);

const OTHER_SECRET = 'another-deployment-secret-0123456789-abcdefghijkl';

const servers: Running[] = [];
const clients: Client[] = [];
const natsConns: NatsConnection[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.app.close()));
  await Promise.all(natsConns.splice(0).map((nc) => nc.close()));
});

const rid = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

/** A Media Server of the deployment whose secret is `secret`, on the NATS at `url` (its config read as server.ts does). */
async function instance(url: string, secret = SECRET, env: Record<string, string> = {}): Promise<Running & { relay: NatsRelay }> {
  const config = loadConfig({ JWT_SECRET: secret, MEDIA_SERVER_PORT: '0', LOG_LEVEL: 'silent', NATS_URL: url, ...env });
  const relay = await connectNatsRelay({
    url: config.natsUrl!,
    logger: silentLogger,
    namespace: natsNamespace(config.jwtSecret, config.natsSubjectPrefix),
    auth: config.natsAuth,
    connectTimeoutMs: 2000,
  });
  const s = await startServer({ jwtSecret: secret }, { relay });
  servers.push(s);
  return Object.assign(s, { relay });
}

/** A client of `room` (`videocall.v1` unless `opaque`), with a token of `secret`. */
async function join(srv: Running, room: string, name: string, opts: { secret?: string; opaque?: boolean } = {}): Promise<Client> {
  const token = await mintToken({ room, sub: `${name}@example.com`, secret: opts.secret });
  const ws = new WebSocket(`${srv.ws}/lobby?token=${encodeURIComponent(token)}`, opts.opaque ? [] : [MEDIA_SUBPROTOCOL]);
  const c = new Client(ws, name);
  clients.push(c);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return c;
}

const messages = (c: Client): ServerMessage[] => c.frames.map((f) => decodeServerMessage(new Uint8Array(f.data)));
/** Payloads of the media frames a `videocall.v1` client received, as text. */
const mediaTexts = (c: Client): string[] =>
  messages(c).flatMap((m) => (m.kind === 'media' ? [Buffer.from(m.payload).toString()] : []));

describe('deployments sharing one NATS', () => {
  nodeTest('the subject prefix is an HMAC of the shared secret (never the secret), or NATS_SUBJECT_PREFIX', () => {
    const prefix = subjectPrefixOf(SECRET);
    assert.match(prefix, /^vc-[0-9a-f]{12}$/);
    assert.notEqual(prefix, subjectPrefixOf(OTHER_SECRET));
    assert.equal(loadConfig({ JWT_SECRET: SECRET }).natsSubjectPrefix, prefix, 'derived from JWT_SECRET by default');
    assert.ok(!prefix.includes(SECRET.slice(0, 6)));
    assert.equal(loadConfig({ JWT_SECRET: SECRET, NATS_SUBJECT_PREFIX: 'acme.prod' }).natsSubjectPrefix, 'acme.prod');
    assert.throws(() => loadConfig({ JWT_SECRET: SECRET, NATS_SUBJECT_PREFIX: 'acme.>' }), /NATS_SUBJECT_PREFIX/);
  });

  test('two deployments with different secrets on one NATS never meet: a frame in room X on one never reaches room X on the other', async () => {
    const room = rid('X');
    const [a1, a2] = [await instance(NATS_URL!), await instance(NATS_URL!)];
    const b1 = await instance(NATS_URL!, OTHER_SECRET);
    const watcher = await natsConnect({ servers: NATS_URL! });
    natsConns.push(watcher);
    const subjects: string[] = [];
    watcher.subscribe('>', { callback: (_e, m) => void (m.subject.includes(room) && subjects.push(m.subject)) });
    await watcher.flush();

    const alice = await join(a1, room, 'alice');
    const bob = await join(a2, room, 'bob');
    const opaqueB = await join(b1, room, 'eve-opaque', { secret: OTHER_SECRET, opaque: true });
    const eve = await join(b1, room, 'eve', { secret: OTHER_SECRET });
    await until(() => messages(bob).some((m) => m.kind === 'join' && m.identity === 'alice@example.com'), 'bob learns alice (same deployment)');

    alice.send(Buffer.from('from deployment A'), true);
    eve.send(Buffer.from('from deployment B'), true);
    await until(() => mediaTexts(bob).includes('from deployment A'), 'the same deployment still shares the room');
    // Deployment B's own members still exchange frames among themselves.
    await until(() => opaqueB.frames.some((f) => f.data.toString() === 'from deployment B'), 'B relays within itself');
    // A marker after both: once bob has it, anything B leaked would have arrived before (NATS keeps order per publisher).
    alice.send(Buffer.from('marker'), true);
    await until(() => mediaTexts(bob).includes('marker'), 'marker');

    assert.ok(!mediaTexts(bob).includes('from deployment B'), 'nothing of deployment B reaches A');
    assert.ok(!messages(bob).some((m) => m.kind === 'join' && m.identity.startsWith('eve')), 'B\'s members are not in A\'s presence');
    assert.ok(!messages(eve).some((m) => m.kind === 'join' && m.identity === 'alice@example.com'), 'A\'s members are not in B\'s presence');
    assert.ok(!mediaTexts(eve).includes('from deployment A') && !opaqueB.frames.some((f) => f.data.toString().includes('deployment A')), 'nothing of A reaches B');
    assert.deepEqual(a1.relay.remoteInstances(room), [a2.relay.instanceId], 'A\'s instances see only each other');
    assert.deepEqual(b1.relay.remoteInstances(room), []);
    const prefixes = new Set(subjects.map((s) => s.split('.')[0]));
    assert.deepEqual([...prefixes].sort(), [subjectPrefixOf(SECRET), subjectPrefixOf(OTHER_SECRET)].sort(), 'every subject under one of the two prefixes');
    assert.ok(!subjects.some((s) => s.includes(SECRET) || s.includes(OTHER_SECRET)), 'no secret on the wire');
  });
});

describe('frames from NATS whose sender is not a member of the room', () => {
  /** Publishes one well-formed frame on the room's (correctly prefixed) subject, stamped as `identity`. */
  function forge(nc: NatsConnection, room: string, session: string, identity: string, text: string): void {
    const h = natsHeaders();
    h.set(H_INSTANCE, 'forger');
    h.set(H_CONN, '1');
    h.set(H_TYPE, 'b');
    h.set(H_SESSION, encodeURIComponent(session));
    h.set(H_IDENTITY, encodeURIComponent(identity));
    nc.publish(natsSubjects(testNamespace.subjectPrefix).room(room), Buffer.from(text), { headers: h });
  }

  test('a bare NATS client stamping frames as someone never in the room reaches no client, even after forging an unsigned join; a member\'s frame still arrives; both are counted', async () => {
    const [i1, i2] = [await instance(NATS_URL!), await instance(NATS_URL!)];
    const room = rid('forged');
    const victim = await join(i1, room, 'victim');
    const opaque = await join(i1, room, 'opaque', { opaque: true });
    const member = await join(i2, room, 'member');
    await until(() => messages(victim).some((m) => m.kind === 'join' && m.identity === 'member@example.com'), 'victim learns the member');
    const memberSession = messages(victim).find((m) => m.kind === 'join' && m.identity === 'member@example.com');
    assert.ok(memberSession?.kind === 'join');

    const forger = await natsConnect({ servers: NATS_URL! });
    natsConns.push(forger);
    // Never in the room; a made-up session under a real member's identity; a real session under another identity.
    forge(forger, room, 'forger.1', 'mallory@example.com', 'forged: stranger');
    forge(forger, room, 'forger.2', 'member@example.com', 'forged: borrowed identity');
    forge(forger, room, memberSession.session, 'mallory@example.com', 'forged: borrowed session');
    // A member join without the deployment's signature, then a frame as that "member".
    const h = natsHeaders();
    h.set(H_INSTANCE, 'forger');
    h.set(H_SIGNATURE, 'not-a-signature');
    const fake = { room, at: Date.now(), events: [{ type: 'join', member: { session: 'forger.9', identity: 'mallory@example.com', displayName: 'M', isHost: true } }] };
    forger.publish(natsSubjects(testNamespace.subjectPrefix).members(room), JSON.stringify(fake), { headers: h });
    forge(forger, room, 'forger.9', 'mallory@example.com', 'forged: after an unsigned join');
    await forger.flush();

    await until(() => i1.relay.counters.rejectedMemberMessages >= 1, 'the unsigned join is refused');
    member.send(Buffer.from('genuine'), true);
    await until(() => mediaTexts(victim).includes('genuine'), 'a real member\'s frame still arrives');
    await until(() => opaque.frames.some((f) => f.data.toString() === 'genuine'), 'also to the opaque client');

    assert.deepEqual(mediaTexts(victim), ['genuine'], 'nothing forged reached the videocall.v1 client');
    assert.deepEqual(opaque.frames.map((f) => f.data.toString()), ['genuine'], 'nothing forged reached the opaque client');
    assert.ok(!messages(victim).some((m) => m.kind === 'join' && m.identity === 'mallory@example.com'), 'the forged join shows nobody');
    const scrape = await (await fetch(`${i1.base}/metrics`)).text();
    assert.match(scrape, /^media_server_nats_non_member_frames_total 4$/m, 'the four forged frames are counted');
    assert.match(scrape, /^media_server_nats_rejected_member_messages_total 1$/m);
  });
});

describe('NATS that requires credentials', () => {
  testOwnNats('NATS_USER/NATS_PASSWORD, credentials in NATS_URL, NATS_TOKEN and NATS_NKEY_SEED_FILE: Media Servers relay through a NATS that requires them', async () => {
    const withUser = await startNatsServer('authorization { user: "media", password: "pw-0123456789" }');
    const withToken = await startNatsServer('authorization { token: "tok-0123456789" }');
    const user = nkeys.createUser();
    const withNkey = await startNatsServer(`authorization { users = [ { nkey: "${user.getPublicKey()}" } ] }`);
    const dir = mkdtempSync(joinPath(tmpdir(), 'nkey-'));
    const seedFile = joinPath(dir, 'media.nk');
    writeFileSync(seedFile, `${new TextDecoder().decode(user.getSeed())}\n`, { mode: 0o600 });
    try {
      const pairs: Array<[Running & { relay: NatsRelay }, Running & { relay: NatsRelay }]> = [
        [await instance(withUser.url, SECRET, { NATS_USER: 'media', NATS_PASSWORD: 'pw-0123456789' }), await instance(`nats://media:pw-0123456789@127.0.0.1:${withUser.port}`)],
        [await instance(withToken.url, SECRET, { NATS_TOKEN: 'tok-0123456789' }), await instance(withToken.url, SECRET, { NATS_TOKEN: 'tok-0123456789' })],
        [await instance(withNkey.url, SECRET, { NATS_NKEY_SEED_FILE: seedFile }), await instance(withNkey.url, SECRET, { NATS_NKEY_SEED_FILE: seedFile })],
      ];
      for (const [s1, s2] of pairs) {
        assert.ok(s1.relay.isConnected && s2.relay.isConnected, 'both connected with their credentials');
        const room = rid('auth');
        const a = await join(s1, room, 'a');
        const b = await join(s2, room, 'b');
        a.send(Buffer.from('through an authenticated NATS'), true);
        await until(() => mediaTexts(b).includes('through an authenticated NATS'), 'relayed');
      }
    } finally {
      for (const c of clients.splice(0)) c.ws.terminate();
      await Promise.all(servers.splice(0).map((s) => s.app.close()));
      await withUser.kill();
      await withToken.kill();
      await withNkey.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  nodeTest('credentials are parsed once: one kind at a time, a user needs a password, a missing file is named', () => {
    assert.deepEqual(loadConfig({ JWT_SECRET: SECRET, NATS_URL: 'nats://h:4222', NATS_TOKEN: 't' }).natsAuth, { kind: 'token', token: 't' });
    assert.deepEqual(loadConfig({ JWT_SECRET: SECRET, NATS_URL: 'nats://u:p%40ss@h:4222' }).natsAuth, { kind: 'user', user: 'u', pass: 'p@ss' });
    assert.deepEqual(loadConfig({ JWT_SECRET: SECRET, NATS_URL: 'nats://h:4222' }).natsAuth, { kind: 'none' });
    assert.throws(() => loadConfig({ JWT_SECRET: SECRET, NATS_URL: 'nats://h:4222', NATS_TOKEN: 't', NATS_USER: 'u', NATS_PASSWORD: 'p' }), /set only one of/);
    assert.throws(() => loadConfig({ JWT_SECRET: SECRET, NATS_URL: 'nats://h:4222', NATS_USER: 'u' }), /NATS_USER and NATS_PASSWORD go together/);
    assert.throws(() => loadConfig({ JWT_SECRET: SECRET, NATS_URL: 'nats://h:4222', NATS_CREDS_FILE: '/nonexistent/x.creds' }), /NATS_CREDS_FILE cannot be read/);
  });
});
