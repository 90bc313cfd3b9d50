import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SECRET, connect, freePort, mintToken, until } from './helpers';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));

function run(env: Record<string, string>) {
  const child = spawn(TSX, [SERVER], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // A guard against a child left behind, not a timing assertion: the tests wait on conditions.
  const deadline = setTimeout(() => child.kill('SIGKILL'), 180_000);
  void exited.then(() => clearTimeout(deadline));
  return { child, exited, output: () => out };
}

test('a bad variable stops start-up with a message naming it', async () => {
  const p = run({ JWT_SECRET: SECRET, MEDIA_SERVER_PORT: 'eighty', MEDIA_HEARTBEAT_SECS: '0' });
  assert.equal(await p.exited, 1);
  assert.match(p.output(), /MEDIA_SERVER_PORT/);
  assert.match(p.output(), /MEDIA_HEARTBEAT_SECS/);
});

test('an unreachable NATS_URL stops start-up naming NATS_URL', async () => {
  const p = run({ JWT_SECRET: SECRET, MEDIA_SERVER_PORT: '0', NATS_URL: `nats://127.0.0.1:${await freePort()}` });
  assert.notEqual(await p.exited, 0);
  assert.match(p.output(), /NATS_URL=nats:\/\/127\.0\.0\.1/);
});

test('SIGTERM closes clients with 1001, logs no token, and exits 0', async () => {
  const port = await freePort();
  const p = run({ JWT_SECRET: SECRET, MEDIA_SERVER_PORT: String(port), LOG_LEVEL: 'info' });
  await until(() => p.output().includes('media server listening') || p.child.exitCode !== null, 'server start', 120_000);
  const token = await mintToken({ room: 'proc' });
  const c = await connect(`ws://127.0.0.1:${port}`, token);
  await until(() => p.output().includes('connection opened'), 'open logged', 30_000);
  p.child.kill('SIGTERM');
  assert.equal(await c.closed, 1001);
  assert.equal(await p.exited, 0);
  assert.ok(!p.output().includes(token), 'the token never appears in the logs');
  assert.ok(!p.output().includes(token.split('.')[2]!), 'not even its signature');
  assert.match(p.output(), /"room":"proc"/);
  assert.match(p.output(), /NATS_URL is unset: single-instance relay\. This Media Server cannot see other instances/, 'says why a second instance does not share rooms');
});
