import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bundle } from '../scripts/bundle';
import { freePort } from '../services/media-server/test/helpers';
import { createTestDatabase, type TestDatabase } from '../services/meeting-api/test/helpers';

/** `npm start`'s launcher: both services up with one configuration, signals forwarded, and no orphan left behind. */
const SECRET = 'launcher-test-secret-0123456789-abcdefghijklmnop';
let database: TestDatabase;

before(async () => {
  await bundle();
  database = await createTestDatabase();
});
after(() => database.drop());

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function startLauncher(): Promise<{ launcher: ChildProcess; api: string; media: string; output: () => string; exited: Promise<number | null> }> {
  const [apiPort, mediaPort] = [await freePort(), await freePort()];
  let output = '';
  const launcher = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env: {
      ...process.env,
      // On the PGlite fallback the API embeds its own database in a fresh data directory.
      ...(database.url ? { DATABASE_URL: database.url } : { DATA_DIR: mkdtempSync(join(tmpdir(), 'launcher-')) }),
      JWT_SECRET: SECRET,
      MEETING_API_PORT: String(apiPort),
      MEDIA_SERVER_PORT: String(mediaPort),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launcher.stdout.on('data', (d) => (output += d));
  launcher.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)));
  const api = `http://127.0.0.1:${apiPort}`;
  const media = `http://127.0.0.1:${mediaPort}`;
  await waitFor('both services', async () => {
    const [a, m] = await Promise.all([fetch(`${api}/readyz`), fetch(`${media}/healthz`)]);
    return a.ok && m.ok ? true : undefined;
  });
  return { launcher, api, media, output: () => output, exited };
}

test('starts both services with the same secret, prints both URLs, and SIGTERM stops everything', async () => {
  const run = await startLauncher();
  assert.match(run.output(), new RegExp(`Meeting API\\s+${run.api.replace(/[.]/g, '\\.')}`));
  assert.match(run.output(), /Media Server\s+ws:\/\/127\.0\.0\.1:\d+\/lobby\?token=/);
  // NATS_URL, or a NATS found at the default address, or (said plainly) none.
  assert.match(run.output(), /NATS\s+(nats:\/\/\S+ \((NATS_URL|found at the default address)|none at nats:\/\/127\.0\.0\.1:4222: single-instance relay)/);
  const join = await fetch(`${run.api}/api/v1/meetings/launcher-room/join`, { method: 'POST', headers: { cookie: 'email=l@x.io' } });
  const token = ((await join.json()) as { result: { room_token: string } }).result.room_token;
  // The Media Server accepts the API's token: the same secret reached both. Without an upgrade it says so.
  const check = await fetch(`${run.media}/lobby?token=${token}`);
  assert.equal(((await check.json()) as { result: { code: string } }).result.code, 'INVALID_REQUEST');
  const children = childPids(run.launcher.pid!);
  assert.equal(children.length, 2);
  run.launcher.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  await waitFor('children to exit', async () => (children.every((pid) => !alive(pid)) ? true : undefined), 10_000);
});

test('when one service dies the launcher stops the other and exits non-zero', async () => {
  const run = await startLauncher();
  const children = childPids(run.launcher.pid!);
  assert.equal(children.length, 2);
  process.kill(children[1]!, 'SIGKILL');
  const code = await run.exited;
  assert.notEqual(code, 0);
  await waitFor('the other child to exit', async () => (children.every((pid) => !alive(pid)) ? true : undefined), 10_000);
  assert.match(run.output(), /exited .*stopping the other service/);
  // The last line names the cause.
  const lines = run.output().trim().split('\n');
  assert.match(lines[lines.length - 1]!, /^npm start stopped because media-server exited \(killed by SIGKILL\); it printed no error\./);
});

test('a service that fails is named on the last line with its exit code and the last error it printed', async () => {
  // The Media Server's port is taken: it logs why and exits 1; the API is stopped with it.
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const mediaPort = (blocker.address() as net.AddressInfo).port;
  try {
    let output = '';
    const launcher = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      env: {
        ...process.env,
        ...(database.url ? { DATABASE_URL: database.url } : { DATA_DIR: mkdtempSync(join(tmpdir(), 'launcher-')) }),
        JWT_SECRET: SECRET,
        MEETING_API_PORT: String(await freePort()),
        MEDIA_SERVER_PORT: String(mediaPort),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcher.stdout!.on('data', (d) => (output += d));
    launcher.stderr!.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => launcher.once('exit', (c) => resolve(c)));
    assert.equal(code, 1, output);
    const lines = output.trim().split('\n');
    assert.match(lines[lines.length - 1]!, /^npm start stopped because media-server exited \(exit code 1\); its last error: cannot listen \(MEDIA_SERVER_PORT \/ HOST\): .*EADDRINUSE/, output);
    assert.match(lines[lines.length - 1]!, /docs\/operations\.md/);
  } finally {
    blocker.close();
  }
});
