import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NATS_SERVER_BINARY, SECRET, connect, freePort, mintToken, startNatsServer, until } from './helpers';

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

test('an unreachable NATS_URL does not stop the process: logged naming NATS_URL (no password), and local rooms work', async () => {
  const port = await freePort();
  const p = run({ JWT_SECRET: SECRET, MEDIA_SERVER_PORT: String(port), NATS_URL: `nats://media:hunter2-password@127.0.0.1:${await freePort()}`, LOG_LEVEL: 'info' });
  try {
    await until(() => p.output().includes('media server listening') || p.child.exitCode !== null, 'server start', 120_000);
    assert.equal(p.child.exitCode, null, p.output());
    assert.match(p.output(), /Cannot connect to NATS at NATS_URL=nats:\/\/127\.0\.0\.1:\d+/);
    assert.ok(!p.output().includes('hunter2'), 'the password is never logged');
    const a = await connect(`ws://127.0.0.1:${port}`, await mintToken({ room: 'down', sub: 'a@example.com' }));
    const b = await connect(`ws://127.0.0.1:${port}`, await mintToken({ room: 'down', sub: 'b@example.com' }));
    a.send('hello', false);
    await until(() => b.frames.length === 1, 'local delivery');
    a.ws.terminate();
    b.ws.terminate();
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
  }
});

test(
  'a NATS refusing our credentials: logged naming the variables to check (no password), the process stays up and local rooms work',
  { skip: NATS_SERVER_BINARY === undefined ? 'no nats-server binary' : false },
  async () => {
    const nats = await startNatsServer('authorization { user: "media", password: "right-password-0123" }');
    const port = await freePort();
    const p = run({ JWT_SECRET: SECRET, MEDIA_SERVER_PORT: String(port), NATS_URL: nats.url, NATS_USER: 'media', NATS_PASSWORD: 'wrong-password-4567', LOG_LEVEL: 'info' });
    try {
      await until(() => p.output().includes('media server listening') || p.child.exitCode !== null, 'server start', 120_000);
      assert.equal(p.child.exitCode, null, p.output());
      assert.match(p.output(), /"level":50[^\n]*NATS at NATS_URL=nats:\/\/127\.0\.0\.1:\d+ refused our credentials[^\n]*check NATS_USER\/NATS_PASSWORD/);
      assert.ok(!p.output().includes('wrong-password') && !p.output().includes('right-password'), 'no password is logged');
      const a = await connect(`ws://127.0.0.1:${port}`, await mintToken({ room: 'refused', sub: 'a@example.com' }));
      const b = await connect(`ws://127.0.0.1:${port}`, await mintToken({ room: 'refused', sub: 'b@example.com' }));
      a.send('hello', false);
      await until(() => b.frames.length === 1, 'local delivery');
      a.ws.terminate();
      b.ws.terminate();
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /^media_server_nats_connected 0$/m, 'the state is visible');
      assert.equal(p.child.exitCode, null, 'still running');
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
      await nats.kill();
    }
  },
);

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
