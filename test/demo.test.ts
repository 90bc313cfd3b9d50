import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bundle } from '../scripts/bundle';
import { freePort } from '../services/media-server/test/helpers';
import { createTestDatabase, type TestDatabase } from '../services/meeting-api/test/helpers';

/** `npm run demo` against `npm start`'s launcher, both on free ports, as a user runs them. */
let database: TestDatabase;
const dataDir = mkdtempSync(join(tmpdir(), 'demo-test-'));

before(async () => {
  await bundle();
  database = await createTestDatabase();
});
after(async () => {
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

test('npm run demo runs the whole session against npm start and prints every step', async () => {
  const ports = { MEETING_API_PORT: String(await freePort()), MEDIA_SERVER_PORT: String(await freePort()) };
  // The launcher settles the development secret in DATA_DIR, as a plain `npm start` does.
  const launcher = run(['scripts/start.ts'], {
    ...ports,
    DATA_DIR: dataDir,
    JWT_SECRET: '',
    LOG_LEVEL: 'warn',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  });
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const up = await Promise.all([
        fetch(`http://127.0.0.1:${ports.MEETING_API_PORT}/readyz`).then((r) => r.ok, () => false),
        fetch(`http://127.0.0.1:${ports.MEDIA_SERVER_PORT}/healthz`).then((r) => r.ok, () => false),
      ]);
      if (up.every(Boolean)) break;
      assert.equal(launcher.child.exitCode, null, `npm start exited: ${launcher.output()}`);
      assert.ok(Date.now() < deadline, `services did not start: ${launcher.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const demo = run(['scripts/demo.ts'], ports);
    assert.equal(await demo.exited, 0, demo.output());
    const out = demo.output();
    for (const step of [
      /^ 1\. host@example\.com creates the meeting .*→ 201, state idle$/m,
      /^ 2\. host joins .*→ admitted, room_token eyJ/m,
      /^ 3\. host connects to the Media Server .*→ open$/m,
      /^ 4\. alice@example\.com knocks .*→ waiting, room_token null$/m,
      /^ 5\. host looks at the waiting room .*alice@example\.com \(Alice\)$/m,
      /^ 6\. host admits Alice .*→ alice@example\.com admitted$/m,
      /^ 7\. Alice polls her status .*→ admitted, room_token eyJ/m,
      /^ 8\. Alice connects to the Media Server .*→ open$/m,
      /^ 9\. host sends a text frame .*Alice receives "hello from the host"$/m,
      /^10\. Alice sends a binary frame \(1 KiB\) .*byte-identical$/m,
      /^11\. Alice leaves .*→ left$/m,
      /^12\. host leaves \(the meeting ends\) .*state ended$/m,
      /^The whole session worked\.$/m,
    ]) {
      assert.match(out, step);
    }
  } finally {
    launcher.child.kill('SIGTERM');
    await launcher.exited;
  }
});

test('npm run demo without running services fails with a hint, not a stack trace', async () => {
  const demo = run(['scripts/demo.ts'], { MEETING_API_PORT: String(await freePort()), MEDIA_SERVER_PORT: String(await freePort()) });
  assert.equal(await demo.exited, 1);
  assert.match(demo.output(), /demo failed: cannot reach the Meeting API at http:\/\/127\.0\.0\.1:\d+ .*Is `npm start` running/);
  assert.doesNotMatch(demo.output(), /\n\s+at /, 'no stack trace');
});
