import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { pino } from 'pino';
import { MeetingApiError, MeetingClient, parseEnvelope, type MeetingEvent } from 'meeting-client';
import { buildMediaServer, type MediaServer } from '../services/media-server/src/app';
import { loadConfig as loadMediaConfig } from '../services/media-server/src/config';
import { startTestApp, TEST_SECRET, type TestApp } from '../services/meeting-api/test/helpers';

/**
 * The whole system: a user joins through the Meeting API over real HTTP, gets a
 * room token and connects to the Media Server with it; a waiting attendee has no
 * token and cannot get in until admitted. Both services share one secret.
 */
let api: TestApp;
let media: MediaServer;
let apiBase: string;
let mediaBase: string;

before(async () => {
  api = await startTestApp({ config: { jwtSecret: TEST_SECRET } });
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const address = api.app.server.address();
  apiBase = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  media = buildMediaServer(
    loadMediaConfig({ JWT_SECRET: TEST_SECRET, MEDIA_SERVER_PORT: '0', LOG_LEVEL: 'silent' }),
    { logger: pino({ level: 'silent' }) },
  );
  const { port } = await media.listen();
  mediaBase = `ws://127.0.0.1:${port}`;
});

after(async () => {
  await media.close();
  await api.close();
});

/** The typed client, as a given user (the videocall-rs meeting API's email cookie). */
const as = (email: string) => new MeetingClient({ baseUrl: apiBase, headers: { cookie: `email=${email}` } });

/** Opens a lobby connection; resolves with the socket once open, or the HTTP status it was refused with. */
function connect(token: string | null | undefined): Promise<{ ws: WebSocket } | { refused: number; body: string }> {
  const url = token == null ? `${mediaBase}/lobby` : `${mediaBase}/lobby?token=${encodeURIComponent(token)}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ refused: res.statusCode ?? 0, body }));
    });
    ws.once('error', (err) => reject(err));
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no frame within 5 s')), 5_000);
    ws.once('message', (data, isBinary) => {
      clearTimeout(timer);
      resolve({ data: data as Buffer, isBinary });
    });
  });
}

test('host joins via the API and connects; a waiting attendee cannot; once admitted they exchange frames', async () => {
  const host = await as('host@example.com').join('e2e-room', { display_name: 'Host' });
  assert.equal(host.status, 'admitted');
  const hostConn = await connect(host.room_token);
  assert.ok('ws' in hostConn, 'the host token opens the lobby');

  const attendee = await as('alice@example.com').join('e2e-room', { display_name: 'Alice' });
  assert.equal(attendee.status, 'waiting');
  assert.equal(attendee.room_token, null);
  const noToken = await connect(null);
  assert.ok('refused' in noToken && noToken.refused === 400, 'no token: 400 before the upgrade');
  assert.equal(JSON.parse(noToken.body).result.code, 'MISSING_TOKEN');
  const forged = await connect('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSJ9.AAAA');
  assert.ok('refused' in forged && forged.refused === 401, 'a forged token: 401');

  await as('host@example.com').admit('e2e-room', 'alice@example.com');
  const polled = await as('alice@example.com').status('e2e-room');
  assert.equal(polled.status, 'admitted');
  const aliceConn = await connect(polled.room_token);
  assert.ok('ws' in aliceConn && 'ws' in hostConn);

  const toAlice = nextMessage(aliceConn.ws);
  hostConn.ws.send(Buffer.from([1, 2, 3, 4]), { binary: true });
  const received = await toAlice;
  assert.deepEqual([...received.data], [1, 2, 3, 4]);
  assert.equal(received.isBinary, true);

  const toHost = nextMessage(hostConn.ws);
  aliceConn.ws.send('hello host');
  const reply = await toHost;
  assert.equal(reply.data.toString(), 'hello host');
  assert.equal(reply.isBinary, false);

  hostConn.ws.close();
  aliceConn.ws.close();
  await Promise.all([once(hostConn.ws, 'close'), once(aliceConn.ws, 'close')]);
});

test('a token for one room does not reach another room', async () => {
  const a = await as('a@example.com').join('e2e-a');
  const b = await as('b@example.com').join('e2e-b');
  const a2 = await as('a2@example.com').join('e2e-a');
  await as('a@example.com').admit('e2e-a', 'a2@example.com');
  const a2Token = (await as('a2@example.com').status('e2e-a')).room_token;
  assert.equal(a2.status, 'waiting');
  const [ca, cb, ca2] = await Promise.all([connect(a.room_token), connect(b.room_token), connect(a2Token)]);
  assert.ok('ws' in ca && 'ws' in cb && 'ws' in ca2);
  let crossed = false;
  cb.ws.on('message', () => (crossed = true));
  const inRoom = nextMessage(ca2.ws);
  ca.ws.send('only for room a');
  assert.equal((await inRoom).data.toString(), 'only for room a');
  // Room b is watched while room a exchanges two frames; nothing may arrive there.
  const second = nextMessage(ca2.ws);
  ca.ws.send('second');
  await second;
  assert.equal(crossed, false);
  for (const c of [ca, cb, ca2]) c.ws.close();
});

test('the typed client turns every error envelope into a MeetingApiError with its code and status', async () => {
  const anonymous = new MeetingClient({ baseUrl: apiBase });
  await assert.rejects(anonymous.listMeetings(), (err: unknown) => err instanceof MeetingApiError && err.code === 'UNAUTHORIZED' && err.status === 401);
  const owner = as('owner@example.com');
  const created = await owner.createMeeting({ meeting_id: 'e2e-client', password: 'pw' });
  assert.equal(created.has_password, true);
  await assert.rejects(owner.createMeeting({ meeting_id: 'e2e-client' }), (err: unknown) => err instanceof MeetingApiError && err.code === 'MEETING_EXISTS' && err.status === 409);
  await assert.rejects(as('x@example.com').getMeeting('no-such-meeting'), (err: unknown) => err instanceof MeetingApiError && err.code === 'MEETING_NOT_FOUND' && !err.routeMissing);
  await owner.join('e2e-client');
  await assert.rejects(as('guest@example.com').join('e2e-client', { password: 'wrong' }), (err: unknown) => err instanceof MeetingApiError && err.code === 'INVALID_PASSWORD');
  const page = await owner.listMeetings({ limit: 1 });
  assert.equal(page.meetings[0]?.meeting_id, 'e2e-client');
  assert.equal(page.limit, 1);
  const waiter = await as('w@example.com').join('e2e-client', { password: 'pw', display_name: 'W' });
  assert.equal(waiter.status, 'waiting');
  assert.deepEqual((await owner.waiting('e2e-client')).waiting.map((p) => p.email), ['w@example.com']);
  assert.equal((await owner.admitAll('e2e-client')).admitted_count, 1);
  assert.deepEqual((await owner.participants('e2e-client')).map((p) => p.email).sort(), ['owner@example.com', 'w@example.com']);
  assert.deepEqual(await new MeetingClient({ baseUrl: apiBase }).clientConfig().then((c) => typeof c.media_server_url), 'string');
  // An API without a route answers the router's NOT_FOUND: the client calls that routeMissing.
  const missing = await fetch(`${apiBase}/api/v1/meetings/e2e-client/no-such-route`, { headers: { cookie: 'email=owner@example.com' } });
  await assert.rejects(parseEnvelope(missing), (err: unknown) => err instanceof MeetingApiError && err.routeMissing && err.status === 404);
  await assert.rejects(owner.deleteMeeting('e2e-client').then(() => owner.deleteMeeting('e2e-client')), (err: unknown) => err instanceof MeetingApiError && err.code === 'MEETING_NOT_FOUND');
});

test('a Meeting API session (from sign-in) is refused by the Media Server: only room tokens open the lobby', async () => {
  const login = await fetch(`${apiBase}/login/dev`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'session-user@example.com' }),
  });
  assert.equal(login.status, 200);
  const session = ((await login.json()) as { result: { session_token: string } }).result.session_token;
  const refused = await connect(session);
  assert.ok('refused' in refused, 'the session does not open the lobby');
  assert.equal(refused.refused, 401);
  assert.equal(JSON.parse(refused.body).result.code, 'INVALID_TOKEN');
  // The same session gets a room token from the API, and that one connects.
  const joined = await fetch(`${apiBase}/api/v1/meetings/e2e-session-room/join`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
    body: '{}',
  });
  const roomToken = ((await joined.json()) as { result: { room_token: string } }).result.room_token;
  const ok = await connect(roomToken);
  assert.ok('ws' in ok, 'the room token minted for the session opens the lobby');
  ok.ws.close();
});

test('the typed client signs in (development), uses the session as a Bearer token and signs out', async () => {
  const anonymous = new MeetingClient({ baseUrl: apiBase });
  const grant = await anonymous.loginDev({ email: 'client-user@example.com', display_name: 'Client User' });
  assert.equal(grant.kind, 'dev');
  const user = anonymous.with({ authorization: `Bearer ${grant.session_token}` });
  const session = await user.session();
  assert.deepEqual([session.email, session.name, session.kind], ['client-user@example.com', 'Client User', 'dev']);
  assert.equal((await user.profile()).email, 'client-user@example.com');
  assert.equal((await user.createMeeting({ meeting_id: 'e2e-bearer' })).host, 'client-user@example.com');
  await user.logout();
  await assert.rejects(user.session(), (err: unknown) => err instanceof MeetingApiError && err.code === 'UNAUTHORIZED');
  await assert.rejects(anonymous.guestSession({ display_name: '' }), (err: unknown) => err instanceof MeetingApiError && err.code === 'INVALID_REQUEST');
});

test('the client follows the real event stream and resumes after a gap with Last-Event-ID, each event once', async () => {
  const host = as('events-host@example.com');
  await host.join('e2e-events', { display_name: 'Host' });
  const seen: Array<[number, string, string | undefined]> = [];
  const waitFor = (predicate: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`events so far: ${JSON.stringify(seen)}`)), 15_000);
      const tick = setInterval(() => {
        if (predicate()) {
          clearTimeout(deadline);
          clearInterval(tick);
          resolve();
        }
      }, 20);
    });
  const record = { onEvent: (e: MeetingEvent) => seen.push([e.seq, e.type, 'participant' in e ? e.participant.email : undefined]) };
  let opened = false;
  const first = host.events('e2e-events', { ...record, onOpen: () => (opened = true) });
  await waitFor(() => opened);
  await as('ev-a@example.com').join('e2e-events', { display_name: 'A' });
  await waitFor(() => seen.some(([, type, who]) => type === 'participant.waiting' && who === 'ev-a@example.com'));
  const last = first.lastEventId;
  first.close();
  // While nobody listens: B knocks and A is admitted.
  await as('ev-b@example.com').join('e2e-events', { display_name: 'B' });
  await host.admit('e2e-events', 'ev-a@example.com');
  const resumed = host.events('e2e-events', record, { after: last });
  await waitFor(() => seen.some(([, type, who]) => type === 'participant.admitted' && who === 'ev-a@example.com'));
  resumed.close();
  const seqs = seen.map(([seq]) => seq);
  assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'in order, no duplicates');
  assert.ok(seen.some(([, type, who]) => type === 'participant.waiting' && who === 'ev-b@example.com'), 'the knock made during the gap is replayed');
});
