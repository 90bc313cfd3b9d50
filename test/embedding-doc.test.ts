import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { MeetingApiError, MeetingClient } from 'meeting-client';
import { call, startTestApp, type TestApp } from '../services/meeting-api/test/helpers';

/** The "your backend" example of docs/embedding.md runs as written, with an API key, against a real API. */
const REPO = new URL('..', import.meta.url).pathname;
const ADMIN = 'ops@example.com';
let t: TestApp;
let base: string;

before(async () => {
  t = await startTestApp({ config: { adminEmails: [ADMIN], publicUrl: 'https://meet.example.com' } });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
after(async () => {
  await t?.close();
});

test('the backend example of docs/embedding.md creates a meeting, mints both links, lists and deletes, as written', async () => {
  const doc = readFileSync(join(REPO, 'docs/embedding.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## 2.'), doc.indexOf('## 3.'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, 'the example is in the doc');
  assert.ok(code.trim().split('\n').length <= 15, 'fifteen lines at most');

  const key = await call(t.app, 'POST', '/api/v1/api-keys', { as: ADMIN, body: { name: 'doc' } });
  // Inside the repository, as the doc says, so `meeting-client` resolves from the workspace.
  mkdirSync(join(REPO, 'test-results'), { recursive: true });
  const dir = mkdtempSync(join(REPO, 'test-results', 'backend-'));
  try {
    writeFileSync(join(dir, 'backend.ts'), code);
    const { stdout } = await promisify(execFile)(join(REPO, 'node_modules/.bin/tsx'), [join(dir, 'backend.ts')], {
      env: { ...process.env, MEETING_API_URL: base, MEETING_API_KEY: key.body.result.secret },
      timeout: 300_000,
    });
    const doctor = /doctor opens: (\S+)/.exec(stdout)?.[1];
    const patient = /patient opens: (\S+)/.exec(stdout)?.[1];
    assert.match(doctor ?? '', /^https:\/\/meet\.example\.com\/j\/[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(patient ?? '', /^https:\/\/meet\.example\.com\/j\//);
    const listed = /meetings of this key: (\S+)/.exec(stdout)?.[1];
    assert.ok(listed, stdout);
    // Deleted at the end: the key has no meeting left.
    const after = await call(t.app, 'GET', '/api/v1/meetings', { headers: { authorization: `Bearer ${key.body.result.secret}` } });
    assert.equal(after.body.result.total, 0);
    // The doctor's link opens the meeting as its host would.
    const redeemed = await call(t.app, 'POST', '/api/v1/join-links/redeem', { body: { token: doctor!.split('/j/')[1] } });
    assert.equal(redeemed.status, 401, 'the meeting was deleted, so its links are void');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('meeting-client in Node with an API key: create, mint, the person joins by link, end, list, revoke', async () => {
  const admin = new MeetingClient({ baseUrl: base, headers: { cookie: `email=${ADMIN}` } });
  const key = await admin.createApiKey('node backend');
  assert.ok((await admin.listApiKeys()).keys.some((k) => k.id === key.id));
  const app = new MeetingClient({ baseUrl: base, apiKey: key.secret });
  const created = await app.createMeeting({ meeting_id: 'node-visit' });
  assert.equal(created.host, `app:${key.id}`);
  const hostLink = await app.createJoinLink('node-visit', { identity: 'dr@clinic.example', display_name: 'Dr', role: 'host' });
  const session = await new MeetingClient({ baseUrl: base }).redeemJoinLink(hostLink.token);
  const doctor = new MeetingClient({ baseUrl: base, headers: { authorization: `Bearer ${session.session_token}` } });
  const joined = await doctor.join('node-visit');
  assert.equal(joined.role, 'host');
  const ended = await app.endMeeting('node-visit');
  assert.equal(ended.state, 'ended');
  assert.deepEqual((await app.listMeetings()).meetings.map((m) => m.meeting_id), ['node-visit']);
  await app.revokeJoinLink('node-visit', hostLink.id);
  await assert.rejects(doctor.getMeeting('node-visit'), (err) => err instanceof MeetingApiError && err.code === 'UNAUTHORIZED');
  await assert.rejects(app.join('node-visit'), (err) => err instanceof MeetingApiError && err.code === 'APPS_CANNOT_JOIN');
  await admin.revokeApiKey(key.id);
  await assert.rejects(app.listMeetings(), (err) => err instanceof MeetingApiError && err.status === 401);
});
