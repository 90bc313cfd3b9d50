import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { createTestDatabase, TEST_SECRET, type TestDatabase } from './helpers';
import { openSse } from './sse-client';

/**
 * Two real API processes on one PostgreSQL database: a client holds a stream on one, the
 * process is killed (SIGKILL: no goodbye), the client resumes on the other with Last-Event-ID.
 */
const SERVER_ENTRY = fileURLToPath(new URL('../src/server.ts', import.meta.url));
let database: TestDatabase;
const children: ChildProcess[] = [];

function startApi(url: string): Promise<{ child: ChildProcess; base: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], {
    env: { ...env, DATABASE_URL: url, JWT_SECRET: TEST_SECRET, MEETING_API_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DB_POOL_SIZE: '3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up within 90 s: ${out}`)), 90_000);
    const check = setInterval(() => {
      const match = /Meeting API listening on (http:\/\/[^\s"]+)/.exec(out);
      if (match) {
        clearInterval(check);
        clearTimeout(timer);
        resolve({ child, base: match[1]! });
      } else if (child.exitCode !== null) {
        clearInterval(check);
        clearTimeout(timer);
        reject(new Error(`exited ${child.exitCode}: ${out}`));
      }
    }, 50);
  });
}

async function post(base: string, path: string, email: string, body: unknown = {}) {
  const res = await fetch(`${base}/api/v1/meetings${path}`, {
    method: 'POST',
    headers: { cookie: `email=${email}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `${path} as ${email}: ${await res.clone().text()}`);
}

before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await database.drop();
});

test('an API process killed under a stream: resuming on the other process with Last-Event-ID yields every event once, in order', async (t) => {
  if (!database.url) {
    t.skip('PostgreSQL only: two processes cannot share an embedded PGlite');
    return;
  }
  const [a, b] = await Promise.all([startApi(database.url), startApi(database.url)]);
  await post(b.base, '/proc-kill/join', 'host@x.io');
  const s = await openSse(a.base, '/api/v1/meetings/proc-kill/events?after=0', { as: 'host@x.io' });
  // Committed through the other process: reaches the stream through NOTIFY.
  await post(b.base, '/proc-kill/join', 'p1@x.io');
  await s.waitFor(3);

  a.child.kill('SIGKILL');
  await s.ended;
  for (const p of ['p2', 'p3']) await post(b.base, '/proc-kill/join', `${p}@x.io`);
  const resumed = await openSse(b.base, '/api/v1/meetings/proc-kill/events', { as: 'host@x.io', lastEventId: s.events.at(-1)!.id! });
  await post(b.base, '/proc-kill/admit-all', 'host@x.io');
  await resumed.waitFor(5);
  resumed.close();
  const seen = [...s.events, ...resumed.events];
  assert.deepEqual(seen.map((e) => Number(e.id)), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(
    seen.map((e) => e.event),
    ['meeting.activated', 'participant.admitted', 'participant.waiting', 'participant.waiting', 'participant.waiting', 'participant.admitted', 'participant.admitted', 'participant.admitted'],
  );
});
