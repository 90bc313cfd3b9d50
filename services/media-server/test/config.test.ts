import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from 'service-runtime';
import { loadConfig } from '../src/config';

const SECRET = 'x'.repeat(32);

test('defaults apply when only JWT_SECRET is set', () => {
  const c = loadConfig({ JWT_SECRET: SECRET });
  assert.equal(c.port, 8080);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.natsUrl, undefined);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.maxConnections, 10_000);
  assert.equal(c.maxBufferedBytes, 2 * 1024 * 1024);
  assert.equal(c.maxTotalBufferedBytes, 256 * 1024 * 1024);
  assert.equal(c.maxConnectionsPerIdentity, 4);
  assert.equal(c.upgradeRatePerMinute, 0, 'the per-address upgrade limit is off by default');
  assert.equal(c.natsMaxPendingBytes, 16 * 1024 * 1024);
  assert.equal(c.heartbeatMs, 30_000);
  assert.equal(c.maxFrameBytes, 1024 * 1024);
  assert.equal(c.jwtSecretSource, 'env');
  assert.equal(c.meetingApiUrl, undefined);
});

test('MEETING_API_URL is read as an http(s) URL; anything else is named', () => {
  assert.equal(loadConfig({ JWT_SECRET: SECRET, MEETING_API_URL: 'http://127.0.0.1:8081' }).meetingApiUrl, 'http://127.0.0.1:8081');
  assert.throws(() => loadConfig({ JWT_SECRET: SECRET, MEETING_API_URL: 'nats://x:4222' }), /MEETING_API_URL/);
});

test('every bad variable is named in one ConfigError', () => {
  assert.throws(
    () =>
      loadConfig({
        JWT_SECRET: SECRET,
        MEDIA_SERVER_PORT: '70000',
        NATS_URL: 'http://nats:4222',
        LOG_LEVEL: 'chatty',
        MEDIA_MAX_CONNECTIONS: '0',
        MEDIA_MAX_BUFFERED_BYTES: 'lots',
        MEDIA_HEARTBEAT_SECS: '-5',
        MEDIA_MAX_TOTAL_BUFFERED_BYTES: '1000',
        MEDIA_MAX_CONNECTIONS_PER_IDENTITY: '0',
        MEDIA_UPGRADE_RATE_PER_MINUTE: '-1',
        MEDIA_NATS_MAX_PENDING_BYTES: 'many',
      }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      for (const name of ['MEDIA_SERVER_PORT', 'NATS_URL', 'LOG_LEVEL', 'MEDIA_MAX_CONNECTIONS', 'MEDIA_MAX_BUFFERED_BYTES', 'MEDIA_HEARTBEAT_SECS', 'MEDIA_MAX_TOTAL_BUFFERED_BYTES', 'MEDIA_MAX_CONNECTIONS_PER_IDENTITY', 'MEDIA_UPGRADE_RATE_PER_MINUTE', 'MEDIA_NATS_MAX_PENDING_BYTES']) {
        assert.ok(err.problems.some((p) => p.startsWith(name)), `${name} named in ${err.message}`);
      }
      return true;
    },
  );
});

test('production refuses a missing or short JWT_SECRET', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /JWT_SECRET is required/);
  assert.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' }), /JWT_SECRET must be at least 32 bytes/);
});

test('in development without JWT_SECRET the shared secret under DATA_DIR is generated once and reused', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'media-config-'));
  const first = loadConfig({ DATA_DIR: dataDir });
  const second = loadConfig({ DATA_DIR: dataDir });
  assert.equal(first.jwtSecretSource, 'generated');
  assert.equal(second.jwtSecretSource, 'file');
  assert.equal(first.jwtSecret, second.jwtSecret);
  assert.equal(second.jwtSecretPath, join(dataDir, 'jwt-secret'));
});

test('NATS_URL and the tuning variables are read', () => {
  const c = loadConfig({
    JWT_SECRET: SECRET,
    NATS_URL: 'nats://127.0.0.1:4222',
    MEDIA_MAX_CONNECTIONS: '5',
    MEDIA_MAX_BUFFERED_BYTES: '1048576',
    MEDIA_HEARTBEAT_SECS: '2',
    MEDIA_MAX_TOTAL_BUFFERED_BYTES: '67108864',
    MEDIA_MAX_CONNECTIONS_PER_IDENTITY: '2',
    MEDIA_UPGRADE_RATE_PER_MINUTE: '120',
    MEDIA_NATS_MAX_PENDING_BYTES: '4194304',
  });
  assert.equal(c.maxTotalBufferedBytes, 67108864);
  assert.equal(c.maxConnectionsPerIdentity, 2);
  assert.equal(c.upgradeRatePerMinute, 120);
  assert.equal(c.natsMaxPendingBytes, 4194304);
  assert.equal(c.natsUrl, 'nats://127.0.0.1:4222');
  assert.equal(c.maxConnections, 5);
  assert.equal(c.maxBufferedBytes, 1048576);
  assert.equal(c.heartbeatMs, 2000);
});
