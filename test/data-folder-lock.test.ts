import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bundle } from '../scripts/bundle';

/** Two Meeting API processes on one DATA_DIR: the embedded database is locked, a stale lock is taken over. */
const SECRET = 'data-lock-test-secret-0123456789-abcdefghijklmnop';
const dataDir = mkdtempSync(join(tmpdir(), 'data-folder-lock-'));
const children: ChildProcess[] = [];

before(() => bundle(['meeting-api']));
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Api {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startApi(): Api {
  const child = spawn(process.execPath, ['services/meeting-api/dist/server.mjs'], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, JWT_SECRET: SECRET, MEETING_API_PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function listening(api: Api): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const m = /Meeting API listening on (http:\/\/[^\s"]+)/.exec(api.output());
    if (m) return m[1]!;
    if (api.child.exitCode !== null) throw new Error(`the API exited: ${api.output()}`);
    if (Date.now() > deadline) throw new Error(`the API did not start: ${api.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a second API on the same DATA_DIR refuses, naming the holder; a stale lock is taken over', async () => {
  const first = startApi();
  const url = await listening(first);
  assert.match(first.output(), /creating the embedded database \(first start only/, 'the first start says why it is slow');
  const lockFile = join(dataDir, 'pgdata.lock');
  const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
  assert.equal(lock.pid, first.child.pid);

  const second = startApi();
  assert.equal(await second.exited, 1);
  assert.ok(second.output().includes(`already in use by process ${first.child.pid} (`), second.output());
  assert.match(second.output(), /server\.mjs\)/, 'the holder command is named');
  assert.match(second.output(), /Stop that process first, or use another DATA_DIR/);
  // The first one is untouched and still answers.
  assert.equal((await fetch(`${url}/readyz`)).status, 200);

  // A crash leaves the lock behind; the next start takes it over.
  first.child.kill('SIGKILL');
  await first.exited;
  assert.ok(existsSync(lockFile), 'SIGKILL leaves a stale lock');
  const third = startApi();
  await listening(third);
  assert.match(third.output(), /took over a stale data folder lock/);
  assert.doesNotMatch(third.output(), /creating the embedded database/, 'the data is already there');
  assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).pid, third.child.pid);

  third.child.kill('SIGTERM');
  assert.equal(await third.exited, 0);
  assert.equal(existsSync(lockFile), false, 'a clean stop removes the lock');
});
