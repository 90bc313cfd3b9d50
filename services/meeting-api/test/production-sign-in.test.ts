import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from './helpers';

/** The real server process with NODE_ENV=production: the email cookie is off unless asked for, with a warning. */

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SECRET = 'production-secret-that-is-long-enough-0123456789';

let database: TestDatabase;
const children: ChildProcess[] = [];
const dirs: string[] = [];

before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await database.drop();
});

async function startServer(env: Record<string, string>): Promise<{ base: string; output: () => string; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'meeting-api-prod-auth-'));
  dirs.push(dataDir);
  const inherited: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('NODE_TEST') && !/^(DATABASE_URL|JWT_SECRET|NODE_ENV|EMAIL_COOKIE_AUTH|OIDC_|SESSION_|COOKIE_|TRUSTED_)/.test(k)) inherited[k] = v;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/meeting-api/src/server.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...inherited,
      HOST: '127.0.0.1',
      MEETING_API_PORT: '0',
      DATA_DIR: dataDir,
      JWT_SECRET: SECRET,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const match = /Meeting API listening on (http:\/\/[^\s"]+)/.exec(out);
    if (match) {
      return {
        base: match[1]!,
        output: () => out,
        stop: async () => {
          child.kill('SIGTERM');
          await new Promise((r) => child.once('exit', r));
        },
      };
    }
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${out}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('NODE_ENV=production without EMAIL_COOKIE_AUTH: Cookie: email=… is 401, no development sign-in; a guest session works', async () => {
  const server = await startServer({});
  try {
    const res = await fetch(`${server.base}/api/v1/meetings`, { headers: { cookie: 'email=owner@corp.com' } });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { result: { code: string } }).result.code, 'UNAUTHORIZED');
    assert.equal((await fetch(`${server.base}/login`)).status, 404);
    const guest = await fetch(`${server.base}/api/v1/guest-session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ display_name: 'Visitor' }),
    });
    assert.equal(guest.status, 200);
    assert.match(guest.headers.get('set-cookie') ?? '', /; Secure/);
    assert.doesNotMatch(server.output(), /EMAIL_COOKIE_AUTH is on in production/);
  } finally {
    await server.stop();
  }
});

test('EMAIL_COOKIE_AUTH=on in production works and logs a start-up warning', async () => {
  const server = await startServer({ EMAIL_COOKIE_AUTH: 'on' });
  try {
    const res = await fetch(`${server.base}/api/v1/meetings`, { headers: { cookie: 'email=owner@corp.com' } });
    assert.equal(res.status, 200);
    assert.match(server.output(), /EMAIL_COOKIE_AUTH is on in production/);
  } finally {
    await server.stop();
  }
});
