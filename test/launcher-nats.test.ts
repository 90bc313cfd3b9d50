import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_NATS_URL, tcpAnswers } from 'service-runtime';
import { bundle } from '../scripts/bundle';
import { freePort } from '../services/media-server/test/helpers';
import { createTestDatabase, type TestDatabase } from '../services/meeting-api/test/helpers';

/** Which relay `npm start` gives the Media Server, and that it says so. */
const dataDir = mkdtempSync(join(tmpdir(), 'launcher-nats-'));
const natsAtDefault = await tcpAnswers(DEFAULT_NATS_URL, 4222);

let database: TestDatabase;
before(async () => {
  await bundle();
  database = await createTestDatabase();
});
after(async () => {
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts `npm start`'s launcher and returns its output once the Media Server listens. */
async function launch(natsUrl: string | undefined, extra: NodeJS.ProcessEnv = {}): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, JWT_SECRET: 'launcher-nats-test-secret-0123456789-abcdefgh', LOG_LEVEL: 'info', ...extra };
  delete env.NATS_URL;
  if (natsUrl !== undefined) env.NATS_URL = natsUrl;
  env.MEETING_API_PORT = String(await freePort());
  env.MEDIA_SERVER_PORT = String(await freePort());
  // The API on PostgreSQL when there is one (cheaper than creating an embedded database).
  if (database.url !== undefined) env.DATABASE_URL = database.url;
  const launcher = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  launcher.stdout.on('data', (d) => (out += d));
  launcher.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => launcher.once('exit', resolve));
  try {
    const deadline = Date.now() + 60_000;
    while (!/media server listening/.test(out)) {
      assert.equal(launcher.exitCode, null, out);
      assert.ok(Date.now() < deadline, `the Media Server did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return out;
  } finally {
    launcher.kill('SIGTERM');
    await exited;
  }
}

test('NATS_URL=off: the in-process relay, said by the launcher and by the Media Server', async () => {
  const out = await launch('off');
  assert.match(out, /NATS {10}off \(NATS_URL=off\): single-instance relay/);
  assert.match(out, /NATS_URL is unset: single-instance relay\. This Media Server cannot see other instances/);
  assert.match(out, /"relay":"local"/);
});

test('NATS_URL unset with a NATS at the default address: the Media Server uses it', { skip: natsAtDefault ? false : `nothing answers at ${DEFAULT_NATS_URL}` }, async () => {
  const out = await launch(undefined);
  assert.match(out, /NATS {10}nats:\/\/127\.0\.0\.1:4222 \(found at the default address/);
  assert.match(out, /"relay":"nats"/);
  assert.doesNotMatch(out, /cannot see other instances/);
});

test('NODE_ENV=production, NATS_URL unset, a NATS at the default address: not joined; the launcher and the Media Server say so', { skip: natsAtDefault ? false : `nothing answers at ${DEFAULT_NATS_URL}` }, async () => {
  const out = await launch(undefined, { NODE_ENV: 'production' });
  assert.match(out, /NATS {10}not looked for in production \(set NATS_URL to use one\): single-instance relay/);
  assert.match(out, /"relay":"local"/);
  assert.doesNotMatch(out, /"relay":"nats"/);
  assert.doesNotMatch(out, /connected to nats/);
});

test('NODE_ENV=production with an explicit NATS_URL without credentials: used, and the Media Server warns what that exposes', { skip: natsAtDefault ? false : `nothing answers at ${DEFAULT_NATS_URL}` }, async () => {
  const out = await launch(DEFAULT_NATS_URL, { NODE_ENV: 'production' });
  assert.match(out, /"relay":"nats"/);
  assert.match(out, /"level":40[^\n]*NATS_URL has no credentials: any client of that NATS can read this deployment's room subjects[^\n]*connecting because NATS_URL was set explicitly/);
});
