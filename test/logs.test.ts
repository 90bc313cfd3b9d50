import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bundle } from '../scripts/bundle';
import { freePort } from '../services/media-server/test/helpers';
import { createTestDatabase, type TestDatabase } from '../services/meeting-api/test/helpers';

/** Both services' logs, as `npm start` shows them: one field set, one line per event, labelled. */
let database: TestDatabase;
before(async () => {
  await bundle();
  database = await createTestDatabase();
});
after(() => database.drop());

/** Runs `npm start`'s launcher until both services answer, makes one request, stops it; returns its output. */
async function launch(env: Record<string, string>): Promise<string> {
  const [apiPort, mediaPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'logs-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      DATA_DIR: dataDir,
      MEETING_API_PORT: String(apiPort),
      MEDIA_SERVER_PORT: String(mediaPort),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await Promise.all([fetch(`http://127.0.0.1:${apiPort}/readyz`), fetch(`http://127.0.0.1:${mediaPort}/healthz`)]).then(
      ([a, m]) => a.ok && m.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`services did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await fetch(`http://127.0.0.1:${apiPort}/api/v1/meetings/logs-room/join`, { method: 'POST', headers: { cookie: 'email=l@x.io' } });
  // Wait for the request line before stopping (pino writes it after the response is sent).
  for (let i = 0; i < 100 && !output.includes('request completed'); i++) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGTERM');
  await exited;
  return output;
}

test('JSON (not a terminal): both services log the same fields, one listening line each, one instance id', async () => {
  const output = await launch({});
  const lines = output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const api = lines.filter((l) => l.service === 'meeting-api');
  const media = lines.filter((l) => l.service === 'media-server');
  assert.ok(api.length >= 3 && media.length >= 2, output);
  for (const line of lines) {
    for (const key of ['level', 'time', 'service', 'pid', 'hostname', 'msg']) assert.ok(key in line, `${key} in ${JSON.stringify(line)}`);
  }
  assert.equal(api.filter((l) => /listening/.test(String(l.msg))).length, 1, 'one listening line from the API');
  assert.equal(media.filter((l) => /listening/.test(String(l.msg))).length, 1, 'one listening line from the Media Server');
  assert.equal(new Set(media.map((l) => l.instance)).size, 1, 'one instance id on every Media Server line');
  assert.match(String(media[0]!.instance), /^[0-9a-f]{12}$/);
  // The development secret: the launcher generated it and says so; both services then use it, at the same level.
  assert.match(output, /JWT secret\s+generated a new development secret/);
  const secretLines = lines.filter((l) => /JWT_SECRET is unset/.test(String(l.msg)));
  assert.deepEqual(secretLines.map((l) => [l.service, l.level, l.msg]).sort(), [
    ['media-server', 40, 'JWT_SECRET is unset: using the development secret from the data directory (set JWT_SECRET in production)'],
    ['meeting-api', 40, 'JWT_SECRET is unset: using the development secret from the data directory (set JWT_SECRET in production)'],
  ]);
  assert.ok(api.some((l) => l.msg === 'request completed' && l.status === 200 && typeof l.request_id === 'string'));
});

test('LOG_FORMAT=pretty: one readable line per event, each labelled with its service', async () => {
  const output = await launch({ LOG_FORMAT: 'pretty', NO_COLOR: '1' });
  const logLines = output.split('\n').filter((l) => / │ /.test(l));
  const api = logLines.filter((l) => l.startsWith('meeting-api  │ '));
  const media = logLines.filter((l) => l.startsWith('media-server │ '));
  assert.ok(api.length >= 3 && media.length >= 2, output);
  for (const line of logLines) {
    const text = line.slice(line.indexOf('│ ') + 2);
    assert.match(text, /^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR|DEBUG|FATAL|TRACE): /, `pretty line: ${line}`);
    assert.doesNotMatch(line, /\x1b\[/, 'NO_COLOR: no escape codes');
  }
  assert.ok(api.some((l) => /INFO: request completed \{.*"status":200/.test(l)), 'the request is one line with its fields');
  assert.ok(!output.split('\n').some((l) => l.startsWith('{"level"')), 'no raw JSON line');
});
