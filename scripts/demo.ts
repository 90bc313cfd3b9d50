/**
 * `npm run demo`: the walk-through as a program, against a running `npm start`.
 * A host creates a meeting and joins, an attendee knocks and is admitted, both
 * connect to the Media Server with their room tokens and exchange a frame each
 * way, then both leave. Every step is printed; any surprise stops it with the
 * reason and exit code 1.
 *
 * Where: `MEETING_API_PORT` (8081), `MEDIA_SERVER_PORT` (8080) and `HOST`
 * (127.0.0.1), read as `npm start` reads them; or `DEMO_API_URL` / `DEMO_MEDIA_URL`.
 * `DEMO_ATTENDEE_MEDIA_URL` connects the attendee to another Media Server (to see
 * two instances share a room through NATS).
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvReader } from 'service-runtime';
import WebSocket from 'ws';

export interface DemoOptions {
  apiUrl: string;
  mediaUrl: string;
  /** The attendee's Media Server; defaults to `mediaUrl`. */
  attendeeMediaUrl?: string;
  print?: (line: string) => void;
}

class DemoFailure extends Error {}

interface Answer {
  status: number;
  body: { success: boolean; result: any };
}

const short = (token: unknown) => (typeof token === 'string' ? `${token.slice(0, 16)}… (${token.length} chars)` : String(token));

export async function runDemo({ apiUrl, mediaUrl, attendeeMediaUrl = mediaUrl, print = console.log }: DemoOptions): Promise<void> {
  const host = 'host@example.com';
  const alice = 'alice@example.com';
  const meetingId = `demo-${randomBytes(3).toString('hex')}`;
  const base = `${apiUrl}/api/v1/meetings`;
  let n = 0;
  const step = (who: string, what: string, result: string) => print(`${String(++n).padStart(2)}. ${`${who} ${what}`.padEnd(44)} ${result}`);

  async function call(as: string, method: string, path: string, body?: unknown): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { cookie: `email=${as}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new DemoFailure(`cannot reach the Meeting API at ${apiUrl} (${(err as Error).cause ?? (err as Error).message}). Is \`npm start\` running, with the same MEETING_API_PORT?`);
    }
    const text = await res.text();
    let parsed: Answer['body'];
    try {
      parsed = JSON.parse(text) as Answer['body'];
    } catch {
      throw new DemoFailure(`${method} ${path}: ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    return { status: res.status, body: parsed };
  }
  function expect(answer: Answer, status: number, label: string): any {
    if (answer.status === status && answer.body.success) return answer.body.result;
    const err = answer.body.result as { code?: string; message?: string };
    const hint = answer.status === 401 ? ' (does this API accept the email cookie? It must run in development, or with EMAIL_COOKIE_AUTH=on)' : '';
    throw new DemoFailure(`${label}: expected ${status}, got ${answer.status} ${err?.code ?? ''} ${err?.message ?? ''}${hint}`);
  }

  const servers = attendeeMediaUrl === mediaUrl ? `Media Server ${mediaUrl}` : `Media Servers ${mediaUrl} (host) and ${attendeeMediaUrl} (Alice)`;
  print(`Meeting API ${apiUrl} · ${servers} · meeting ${meetingId}\n`);

  const created = expect(await call(host, 'POST', '', { meeting_id: meetingId }), 201, 'create');
  step(host, 'creates the meeting', `POST /api/v1/meetings → 201, state ${created.state}`);

  const hostJoin = expect(await call(host, 'POST', `/${meetingId}/join`), 200, 'host join');
  if (hostJoin.status !== 'admitted' || typeof hostJoin.room_token !== 'string') throw new DemoFailure(`host join: ${JSON.stringify(hostJoin)}`);
  step('host', 'joins (the meeting becomes active)', `POST …/${meetingId}/join → ${hostJoin.status}, room_token ${short(hostJoin.room_token)}`);

  const hostWs = await connect(mediaUrl, hostJoin.room_token, 'host');
  step('host', 'connects to the Media Server', `ws …/lobby?token=… → open`);

  const knock = expect(await call(alice, 'POST', `/${meetingId}/join`, { display_name: 'Alice' }), 200, 'attendee join');
  step(alice, 'knocks', `POST …/join → ${knock.status}, room_token ${knock.room_token === null ? 'null' : '?'}`);

  const waiting = expect(await call(host, 'GET', `/${meetingId}/waiting`), 200, 'waiting room');
  const names = (waiting.waiting as Array<{ email: string; display_name: string | null }>).map((p) => `${p.email} (${p.display_name})`);
  if (!names.some((e) => e.startsWith(alice))) throw new DemoFailure(`the waiting room does not list ${alice}: ${names.join(', ')}`);
  step('host', 'looks at the waiting room', `GET …/waiting → ${names.join(', ')}`);

  const admitted = expect(await call(host, 'POST', `/${meetingId}/admit`, { email: alice }), 200, 'admit');
  step('host', 'admits Alice', `POST …/admit → ${admitted.email} ${admitted.status}`);

  const status = expect(await call(alice, 'GET', `/${meetingId}/status`), 200, 'status');
  if (status.status !== 'admitted' || typeof status.room_token !== 'string') throw new DemoFailure(`status after admission: ${JSON.stringify(status)}`);
  step('Alice', 'polls her status', `GET …/status → ${status.status}, room_token ${short(status.room_token)}`);

  const aliceWs = await connect(attendeeMediaUrl, status.room_token, 'Alice');
  step('Alice', 'connects to the Media Server', `ws …/lobby?token=… → open`);

  const text = 'hello from the host';
  const toAlice = nextFrame(aliceWs, 'Alice');
  hostWs.send(text);
  const gotText = await toAlice;
  if (gotText.isBinary || gotText.data.toString() !== text) throw new DemoFailure(`Alice received ${JSON.stringify(gotText.data.toString())}, not the host's frame`);
  step('host', 'sends a text frame', `Alice receives "${gotText.data.toString()}"`);

  const payload = randomBytes(1024);
  const toHost = nextFrame(hostWs, 'host');
  aliceWs.send(payload);
  const gotBinary = await toHost;
  if (!gotBinary.isBinary || !gotBinary.data.equals(payload)) throw new DemoFailure('the host received a different frame from the one Alice sent');
  step('Alice', 'sends a binary frame (1 KiB)', `the host receives it, byte-identical`);

  const aliceLeft = expect(await call(alice, 'POST', `/${meetingId}/leave`), 200, 'attendee leave');
  aliceWs.close(1000);
  step('Alice', 'leaves', `POST …/leave → ${aliceLeft.status}`);

  const hostLeft = expect(await call(host, 'POST', `/${meetingId}/leave`), 200, 'host leave');
  hostWs.close(1000);
  const after = expect(await call(host, 'GET', `/${meetingId}`), 200, 'meeting info');
  if (after.state !== 'ended') throw new DemoFailure(`after the host left the meeting is ${after.state}, not ended`);
  step('host', 'leaves (the meeting ends)', `POST …/leave → ${hostLeft.status}; GET …/${meetingId} → state ${after.state}`);

  print('\nThe whole session worked.');
}

function connect(mediaUrl: string, token: string, who: string): Promise<WebSocket> {
  return new Promise((resolvePromise, reject) => {
    const ws = new WebSocket(`${mediaUrl}/lobby?token=${encodeURIComponent(token)}`);
    ws.once('open', () => resolvePromise(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => reject(new DemoFailure(`${who}: the Media Server refused the connection: ${res.statusCode} ${body}`)));
    });
    ws.once('error', (err) =>
      reject(new DemoFailure(`${who}: cannot connect to the Media Server at ${mediaUrl} (${err.message}). Is \`npm start\` running, with the same MEDIA_SERVER_PORT and JWT secret?`)),
    );
  });
}

function nextFrame(ws: WebSocket, who: string): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new DemoFailure(`${who} received no frame within 10 s`)), 10_000);
    ws.once('message', (data, isBinary) => {
      clearTimeout(timer);
      resolvePromise({ data: data as Buffer, isBinary });
    });
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const read = new EnvReader(process.env);
  const host = read.string('HOST', '127.0.0.1');
  const where = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const apiUrl = read.optionalString('DEMO_API_URL') ?? `http://${where}:${read.port('MEETING_API_PORT', 8081)}`;
  const mediaUrl = read.optionalString('DEMO_MEDIA_URL') ?? `ws://${where}:${read.port('MEDIA_SERVER_PORT', 8080)}`;
  const attendeeMediaUrl = read.optionalString('DEMO_ATTENDEE_MEDIA_URL') ?? mediaUrl;
  try {
    read.done();
    await runDemo({ apiUrl: apiUrl.replace(/\/$/, ''), mediaUrl: mediaUrl.replace(/\/$/, ''), attendeeMediaUrl: attendeeMediaUrl.replace(/\/$/, '') });
  } catch (err) {
    console.error(`\ndemo failed: ${(err as Error).message}`);
    process.exit(1);
  }
  process.exit(0);
}
