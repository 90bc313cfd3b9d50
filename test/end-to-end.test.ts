import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { pino } from 'pino';
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

async function apiCall(method: string, path: string, email: string, body?: unknown) {
  const res = await fetch(`${apiBase}/api/v1/meetings${path}`, {
    method,
    headers: { cookie: `email=${email}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { success: boolean; result: any } };
}

/** Opens a lobby connection; resolves with the socket once open, or the HTTP status it was refused with. */
function connect(token: string | null): Promise<{ ws: WebSocket } | { refused: number; body: string }> {
  const url = token === null ? `${mediaBase}/lobby` : `${mediaBase}/lobby?token=${encodeURIComponent(token)}`;
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
  const host = await apiCall('POST', '/e2e-room/join', 'host@example.com', { display_name: 'Host' });
  assert.equal(host.body.result.status, 'admitted');
  const hostConn = await connect(host.body.result.room_token);
  assert.ok('ws' in hostConn, 'the host token opens the lobby');

  const attendee = await apiCall('POST', '/e2e-room/join', 'alice@example.com', { display_name: 'Alice' });
  assert.equal(attendee.body.result.status, 'waiting');
  assert.equal(attendee.body.result.room_token, null);
  const noToken = await connect(null);
  assert.ok('refused' in noToken && noToken.refused === 400, 'no token: 400 before the upgrade');
  assert.equal(JSON.parse(noToken.body).result.code, 'MISSING_TOKEN');
  const forged = await connect('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSJ9.AAAA');
  assert.ok('refused' in forged && forged.refused === 401, 'a forged token: 401');

  await apiCall('POST', '/e2e-room/admit', 'host@example.com', { email: 'alice@example.com' });
  const polled = await apiCall('GET', '/e2e-room/status', 'alice@example.com');
  assert.equal(polled.body.result.status, 'admitted');
  const aliceConn = await connect(polled.body.result.room_token);
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
  const a = await apiCall('POST', '/e2e-a/join', 'a@example.com');
  const b = await apiCall('POST', '/e2e-b/join', 'b@example.com');
  const a2 = await apiCall('POST', '/e2e-a/join', 'a2@example.com');
  await apiCall('POST', '/e2e-a/admit', 'a@example.com', { email: 'a2@example.com' });
  const a2Token = (await apiCall('GET', '/e2e-a/status', 'a2@example.com')).body.result.room_token;
  assert.equal(a2.body.result.status, 'waiting');
  const [ca, cb, ca2] = await Promise.all([connect(a.body.result.room_token), connect(b.body.result.room_token), connect(a2Token)]);
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
