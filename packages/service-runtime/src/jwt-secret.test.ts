import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { DEV_SECRET_FILE, MIN_JWT_SECRET_BYTES, resolveJwtSecret, type ResolvedJwtSecret } from './jwt-secret';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-secret-test-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function ok(result: ResolvedJwtSecret | { error: string }): ResolvedJwtSecret {
  assert.ok(!('error' in result), 'error' in result ? result.error : '');
  return result;
}
function failure(result: ResolvedJwtSecret | { error: string }): string {
  assert.ok('error' in result, `expected an error, got source ${(result as ResolvedJwtSecret).source}`);
  return result.error;
}

describe('resolveJwtSecret', () => {
  test('JWT_SECRET of at least 32 bytes is used as is and nothing is written', () => {
    const dataDir = tempDir();
    const secret = 's'.repeat(MIN_JWT_SECRET_BYTES);
    assert.deepEqual(ok(resolveJwtSecret({ jwtSecret: secret, production: false, dataDir })), { secret, source: 'env' });
    assert.throws(() => statSync(join(dataDir, DEV_SECRET_FILE)), /ENOENT/);
  });

  test('a JWT_SECRET under 32 bytes is refused, in production and outside it, counting bytes not characters', () => {
    for (const production of [false, true]) {
      assert.match(failure(resolveJwtSecret({ jwtSecret: 's'.repeat(31), production, dataDir: tempDir() })), /JWT_SECRET .*32 bytes/);
      // 10 × "€" is 10 characters but 30 bytes; 11 × is 33 bytes.
      assert.match(failure(resolveJwtSecret({ jwtSecret: '€'.repeat(10), production, dataDir: tempDir() })), /JWT_SECRET/);
      assert.equal(ok(resolveJwtSecret({ jwtSecret: '€'.repeat(11), production, dataDir: tempDir() })).source, 'env');
    }
  });

  test('production without JWT_SECRET is refused, even with a development secret on disk', () => {
    const dataDir = tempDir();
    assert.match(failure(resolveJwtSecret({ jwtSecret: undefined, production: true, dataDir })), /JWT_SECRET is required when NODE_ENV=production/);
    assert.throws(() => statSync(join(dataDir, DEV_SECRET_FILE)), /ENOENT/, 'nothing generated in production');
    writeFileSync(join(dataDir, DEV_SECRET_FILE), `${'d'.repeat(64)}\n`);
    assert.match(failure(resolveJwtSecret({ jwtSecret: undefined, production: true, dataDir })), /JWT_SECRET/);
  });

  test('outside production a secret is generated once (0600, at least 32 bytes) and reused afterwards', () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const first = ok(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir }));
    const path = join(dataDir, DEV_SECRET_FILE);
    assert.equal(first.source, 'generated');
    assert.equal(first.path, path);
    assert.ok(Buffer.byteLength(first.secret) >= MIN_JWT_SECRET_BYTES);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8'), `${first.secret}\n`);

    const second = ok(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir }));
    assert.deepEqual(second, { secret: first.secret, source: 'file', path });
  });

  test('two data directories get different generated secrets', () => {
    const a = ok(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir: tempDir() }));
    const b = ok(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir: tempDir() }));
    assert.notEqual(a.secret, b.secret);
  });

  test('a stored secret is read trimmed, and JWT_SECRET wins over it', () => {
    const dataDir = tempDir();
    const stored = 'k'.repeat(40);
    writeFileSync(join(dataDir, DEV_SECRET_FILE), `  ${stored}\n\n`);
    assert.equal(ok(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir })).secret, stored);
    const env = 'e'.repeat(32);
    assert.equal(ok(resolveJwtSecret({ jwtSecret: env, production: false, dataDir })).secret, env);
  });

  test('a stored secret under 32 bytes is refused, not overwritten', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, DEV_SECRET_FILE), 'short\n');
    assert.match(failure(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir })), /JWT_SECRET is unset and .* under 32 bytes/);
    assert.equal(readFileSync(join(dataDir, DEV_SECRET_FILE), 'utf8'), 'short\n');
  });

  test('an unusable data directory is an error naming JWT_SECRET, not an exception', () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    assert.match(failure(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir: file })), /JWT_SECRET is unset and .* cannot be/);
  });

  test('a data directory that cannot be used is an error naming JWT_SECRET', () => {
    // A path below a regular file can be neither read nor created, even by root.
    const blocker = join(tempDir(), 'not-a-directory');
    writeFileSync(blocker, 'x');
    const dataDir = join(blocker, 'data');
    assert.match(failure(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir })), /JWT_SECRET is unset and .* cannot be (read|written)/);
  });

  test('processes starting at the same instant on one data directory all end up with the same secret (wx)', async () => {
    const dataDir = tempDir();
    const moduleUrl = new URL('./jwt-secret.ts', import.meta.url).href;
    // Every child spins until the same wall-clock instant, then resolves: the writes collide.
    const startAt = Date.now() + 1_500;
    const script = `
      const { resolveJwtSecret } = await import(${JSON.stringify(moduleUrl)});
      while (Date.now() < ${startAt}) {}
      const r = resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir: ${JSON.stringify(dataDir)} });
      process.stdout.write(JSON.stringify(r));
    `;
    const run = () =>
      new Promise<ResolvedJwtSecret | { error: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          cwd: join(dirname(fileURLToPath(import.meta.url)), '..'),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('exit', (code) => {
          clearTimeout(deadline);
          if (code === 0) resolve(JSON.parse(out));
          else reject(new Error(`child exited ${code}: ${err}`));
        });
      });
    const results = (await Promise.all(Array.from({ length: 12 }, run))).map(ok);
    const onDisk = readFileSync(join(dataDir, DEV_SECRET_FILE), 'utf8').trim();
    for (const r of results) assert.equal(r.secret, onDisk);
    assert.equal(results.filter((r) => r.source === 'generated').length, 1, `sources: ${results.map((r) => r.source).join(', ')}`);
  });
});
