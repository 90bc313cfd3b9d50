import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { acquireDataLock, DataLockedError } from './data-lock';

const dirs: string[] = [];
function lockPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'data-lock-test-'));
  dirs.push(dir);
  return join(dir, 'pgdata.lock');
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const MODULE = fileURLToPath(new URL('./data-lock.ts', import.meta.url));

/** Runs a real second process that tries to take the lock; resolves with its exit code and output. */
function secondProcess(path: string): Promise<{ code: number | null; output: string }> {
  const script = `
    const { acquireDataLock } = await import(${JSON.stringify(MODULE)});
    try { acquireDataLock(${JSON.stringify(path)}, 'The test data'); console.log('ACQUIRED'); }
    catch (err) { console.log(err.name + ': ' + err.message); process.exitCode = 3; }`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** The pid of a process that has certainly exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', '0']);
    child.on('exit', () => resolve(child.pid!));
  });
}

describe('acquireDataLock', () => {
  test('records this process (pid, command) and release removes the file', () => {
    const path = lockPath();
    const lock = acquireDataLock(path);
    const owner = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(owner.pid, process.pid);
    assert.match(owner.command, /node/);
    assert.equal(lock.tookOver, undefined);
    lock.release();
    assert.equal(existsSync(path), false);
    lock.release(); // twice is harmless
  });

  test('a second process is refused with a message naming the holder (pid and command)', async () => {
    const path = lockPath();
    const lock = acquireDataLock(path);
    try {
      const second = await secondProcess(path);
      assert.equal(second.code, 3, second.output);
      assert.match(second.output, /^DataLockedError: The test data is already in use by process (\d+) \((.+)\)/m);
      assert.ok(second.output.includes(`process ${process.pid} (`), second.output);
      assert.ok(second.output.includes(JSON.parse(readFileSync(path, 'utf8')).command), 'the command line is named');
      assert.ok(second.output.includes(path), 'the lock file is named');
      assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid, 'the holder keeps its lock');
    } finally {
      lock.release();
    }
    const third = await secondProcess(path);
    assert.equal(third.code, 0, third.output);
    assert.match(third.output, /ACQUIRED/, 'once released, another process may take it');
  });

  test('the same process taking a lock it holds is refused too', () => {
    const path = lockPath();
    const lock = acquireDataLock(path);
    try {
      assert.throws(() => acquireDataLock(path), (err: unknown) => err instanceof DataLockedError && err.owner.pid === process.pid);
    } finally {
      lock.release();
    }
  });

  test('a stale lock whose process has exited is taken over', async () => {
    const path = lockPath();
    const pid = await deadPid();
    writeFileSync(path, JSON.stringify({ pid, command: 'node old-server.mjs', hostname: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const lock = acquireDataLock(path);
    try {
      assert.equal(lock.tookOver?.pid, pid);
      assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
    } finally {
      lock.release();
    }
  });

  test('a lock naming a live pid that now runs another program (pid reuse) is stale', () => {
    const path = lockPath();
    // Our parent runs, but not with this command line.
    writeFileSync(path, JSON.stringify({ pid: process.ppid, command: 'node some-other-program.mjs', hostname: hostname(), since: 'x' }));
    const lock = acquireDataLock(path);
    try {
      assert.equal(lock.tookOver?.pid, process.ppid);
    } finally {
      lock.release();
    }
  });

  test('a lock left by an earlier process with our own pid (a restarted container) is stale', () => {
    const path = lockPath();
    writeFileSync(path, JSON.stringify({ pid: process.pid, command: 'node server.mjs', hostname: hostname(), since: 'x' }));
    const lock = acquireDataLock(path);
    lock.release();
    assert.equal(lock.tookOver?.pid, process.pid);
  });

  test('an unreadable lock file is replaced', () => {
    const path = lockPath();
    writeFileSync(path, 'not json');
    const lock = acquireDataLock(path);
    lock.release();
    assert.equal(existsSync(path), false);
  });
});
