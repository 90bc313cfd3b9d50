import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../src/config';
import { call, startTestApp, type TestApp } from './helpers';

/**
 * The API serves the built web app at `/` and its client routes, and nothing
 * else: API paths keep their JSON envelopes, unknown paths stay JSON 404s.
 */
let dir: string;
let app: TestApp;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'web-app-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Meetings</title><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'index-abc123.js.map'), '{"version":3,"sources":["src/main.tsx"]}');
  app = await startTestApp({ config: { webAppDir: dir, mediaServerPort: 8090, security: { allowedHosts: ['meet.example.org'] } } });
});

after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the app is served at / with a content security policy, revalidated on every load', async () => {
  const res = await app.app.inject({ method: 'GET', url: '/' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  assert.match(res.body, /<div id="root">/);
  assert.equal(res.headers['cache-control'], 'no-cache');
  assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
});

test('hashed assets are served as immutable', async () => {
  const res = await app.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /javascript/);
  assert.match(String(res.headers['cache-control']), /immutable/);
});

test('a meeting link /m/{id} loads the app (client-side route)', async () => {
  const res = await app.app.inject({ method: 'GET', url: '/m/standup-2024' });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /<div id="root">/);
});

test('API and unknown paths are not shadowed by the app: JSON 404 envelopes', async () => {
  for (const url of ['/api/v1/nope', '/docs-not-here', '/m', '/m/a/b', '/assets/missing.js']) {
    const res = await app.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
    assert.equal(res.statusCode, 404, url);
    assert.match(String(res.headers['content-type']), /^application\/json/, url);
    assert.equal(res.json().result.code, 'NOT_FOUND', url);
  }
  const meeting = await call(app.app, 'GET', '/api/v1/meetings/unknown-one', { as: 'a@example.com' });
  assert.equal(meeting.body.result.code, 'MEETING_NOT_FOUND');
});

test('in development client-config needs no sign-in and defaults the Media Server to the (allowed) request host on MEDIA_SERVER_PORT', async () => {
  const res = await app.app.inject({ method: 'GET', url: '/api/v1/client-config', headers: { host: 'meet.example.org:8081' } });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { success: true, result: { media_server_url: 'ws://meet.example.org:8090' } });
  const v6 = await app.app.inject({ method: 'GET', url: '/api/v1/client-config', headers: { host: '[::1]:8081' } });
  assert.equal(v6.json().result.media_server_url, 'ws://[::1]:8090');
});

test('in production client-config builds the Media Server address from PUBLIC_URL, never from the Host sent; source maps are not served', async () => {
  const prod = await startTestApp({
    config: { production: true, webAppDir: dir, mediaServerPort: 8090, publicUrl: 'https://meet.example.org', security: { allowedHosts: ['alias.example.org'] } },
  });
  try {
    for (const host of ['meet.example.org', 'alias.example.org:8081']) {
      const res = await prod.app.inject({ method: 'GET', url: '/api/v1/client-config', headers: { host } });
      assert.equal(res.json().result.media_server_url, 'wss://meet.example.org:8090', host);
    }
    const map = await prod.app.inject({ method: 'GET', url: '/assets/index-abc123.js.map', headers: { host: 'meet.example.org' } });
    assert.equal(map.statusCode, 404);
    assert.equal(map.json().result.code, 'NOT_FOUND');
    const js = await prod.app.inject({ method: 'GET', url: '/assets/index-abc123.js', headers: { host: 'meet.example.org' } });
    assert.equal(js.statusCode, 200);
  } finally {
    await prod.close();
  }
  // A development API still serves a map a development build made (WEB_SOURCEMAP=true).
  assert.equal((await app.app.inject({ method: 'GET', url: '/assets/index-abc123.js.map' })).statusCode, 200);
});

test('MEDIA_SERVER_PUBLIC_URL is returned as configured', async () => {
  const configured = await startTestApp({ config: { mediaServerPublicUrl: 'wss://media.example.org/' } });
  try {
    const res = await configured.app.inject({ method: 'GET', url: '/api/v1/client-config' });
    assert.equal(res.json().result.media_server_url, 'wss://media.example.org');
    // Without a web app directory nothing is served at /.
    const root = await configured.app.inject({ method: 'GET', url: '/' });
    assert.equal(root.statusCode, 404);
    assert.equal(root.json().result.code, 'NOT_FOUND');
  } finally {
    await configured.close();
  }
});

test('config: MEDIA_SERVER_PUBLIC_URL must be ws:// or wss://; WEB_APP_DIR defaults to apps/web/dist', () => {
  assert.throws(() => loadConfig({ JWT_SECRET: 'x'.repeat(40), MEDIA_SERVER_PUBLIC_URL: 'http://media.example.org' }), /MEDIA_SERVER_PUBLIC_URL/);
  const config = loadConfig({ JWT_SECRET: 'x'.repeat(40), MEDIA_SERVER_PUBLIC_URL: 'wss://media.example.org', MEDIA_SERVER_PORT: '9000' });
  assert.equal(config.mediaServerPublicUrl, 'wss://media.example.org');
  assert.equal(config.mediaServerPort, 9000);
  assert.match(config.webAppDir, /apps\/web\/dist$/);
});
