import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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
    writeFileSync(join(dataDir, DEV_SECRET_FILE), `  ${stored}\n\n`, { mode: 0o600 });
    assert.equal(ok(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir })).secret, stored);
    const env = 'e'.repeat(32);
    assert.equal(ok(resolveJwtSecret({ jwtSecret: env, production: false, dataDir })).secret, env);
  });

  test('a stored secret under 32 bytes is refused, not overwritten', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, DEV_SECRET_FILE), 'short\n', { mode: 0o600 });
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

describe('resolveJwtSecret refuses a planted or exposed secret', () => {
  test('the data directory it creates is 0700 and no staging file is left behind', () => {
    const dataDir = join(tempDir(), 'fresh');
    ok(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir }));
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(dataDir), [DEV_SECRET_FILE]);
  });

  test('a symlink planted at the old predictable staging name (or any .tmp name) redirects nothing', () => {
    const dataDir = tempDir();
    const victim = join(tempDir(), 'victim');
    writeFileSync(victim, 'precious\n');
    for (let pid = process.pid - 5; pid <= process.pid + 5; pid++) symlinkSync(victim, join(dataDir, `jwt-secret.${pid}.tmp`));
    const r = ok(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir }));
    assert.equal(r.source, 'generated');
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the link target is untouched');
    assert.ok(lstatSync(join(dataDir, DEV_SECRET_FILE)).isFile());
  });

  test('a symlink at jwt-secret is refused with a start-up error saying how to fix it', () => {
    const dataDir = tempDir();
    const elsewhere = join(tempDir(), 'attacker-known');
    writeFileSync(elsewhere, `${'a'.repeat(48)}\n`, { mode: 0o600 });
    symlinkSync(elsewhere, join(dataDir, DEV_SECRET_FILE));
    const error = failure(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir }));
    assert.match(error, /symbolic link/);
    assert.match(error, /regular file owned by the user .* mode 0600/);
    assert.match(error, /delete it|set JWT_SECRET/);
  });

  test('a secret readable by others (0644) is refused, naming its mode and chmod 600; after chmod it is used', () => {
    const dataDir = tempDir();
    const path = join(dataDir, DEV_SECRET_FILE);
    writeFileSync(path, `${'p'.repeat(48)}\n`);
    chmodSync(path, 0o644);
    const error = failure(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir }));
    assert.match(error, /mode is 0644/);
    assert.match(error, /chmod 600/);
    chmodSync(path, 0o600);
    assert.equal(ok(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir })).secret, 'p'.repeat(48));
  });

  test('a directory at jwt-secret is refused as not a regular file', () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, DEV_SECRET_FILE));
    assert.match(failure(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir })), /not a regular file/);
  });

  test('a secret owned by another user is refused (needs root to set up; otherwise the owner check is shown with a file we cannot chown)', () => {
    const dataDir = tempDir();
    const path = join(dataDir, DEV_SECRET_FILE);
    writeFileSync(path, `${'o'.repeat(48)}\n`, { mode: 0o600 });
    if (process.getuid?.() === 0) {
      chownSync(path, 65534, 65534);
      assert.match(failure(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir })), /owned by uid 65534, not by this user/);
    } else {
      // Not root: the file is ours, so it must be accepted (the owner check does not refuse our own file).
      assert.equal(ok(resolveJwtSecret({ jwtSecret: undefined, production: false, dataDir })).source, 'file');
    }
  });
});
