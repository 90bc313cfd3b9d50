import { defaultAuthConfig } from './auth/auth-config';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { ConfigError } from 'service-runtime';
import { loadConfig, SECURITY_DEFAULTS, startupWarnings } from './config';

const SECRET = 'a-config-test-secret-of-at-least-32-bytes';
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meeting-config-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The ConfigError thrown by loadConfig(env); fails if it does not throw one. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe('loadConfig defaults', () => {
  test('an environment with only JWT_SECRET gives the documented defaults', () => {
    const { auth, security, ...config } = loadConfig({ JWT_SECRET: SECRET });
    // Sign-in settings: the development defaults (tested in auth/auth-config.test.ts).
    assert.deepEqual(auth, defaultAuthConfig(SECRET));
    assert.deepEqual(security, SECURITY_DEFAULTS);
    assert.deepEqual(config, {
      port: 8081,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: resolve('.data'),
      jwtSecret: SECRET,
      jwtSecretSource: 'env',
      jwtSecretPath: undefined,
      tokenTtlSecs: 600,
      production: false,
      logLevel: 'info',
      logFormat: 'auto',
      metrics: true,
      gitCommit: undefined,
      corsOrigins: undefined,
      dbPoolSize: 10,
      bodyLimitBytes: 64 * 1024,
      publicUrl: 'http://127.0.0.1:8081',
      mediaServerPublicUrl: undefined,
      mediaServerPort: 8080,
      webAppDir: fileURLToPath(new URL('../../../apps/web/dist', import.meta.url)),
      eventStreamsPerCaller: 20,
      eventStreamsMax: 20_000,
      eventRetentionSecs: 86_400,
      autoLeaveAfterSecs: 60,
      trustProxy: false,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 4096,
      shutdownTimeoutMs: 10_000,
      maxWaitingPerMeeting: 1000,
      passwordFailuresPerMinute: 10,
      maxConcurrentPasswordHashes: 4,
      adminEmails: [],
      embedOrigins: [],
      apiKeyRateLimitPerMinute: 600,
      webhookAllowPrivate: false,
    });
  });

  test('event stream limits and retention are read, and retention below 24 h is refused', () => {
    const config = loadConfig({ JWT_SECRET: SECRET, EVENT_STREAMS_PER_CALLER: '5', EVENT_STREAMS_MAX: '100', EVENT_RETENTION_SECS: '172800' });
    assert.equal(config.eventStreamsPerCaller, 5);
    assert.equal(config.eventStreamsMax, 100);
    assert.equal(config.eventRetentionSecs, 172_800);
    for (const [name, value] of [['EVENT_RETENTION_SECS', '3600'], ['EVENT_STREAMS_PER_CALLER', '0'], ['EVENT_STREAMS_MAX', 'many']]) {
      assert.match(configError({ JWT_SECRET: SECRET, [name!]: value! }).message, new RegExp(name!));
    }
  });

  test('blank values count as unset', () => {
    const config = loadConfig({ JWT_SECRET: SECRET, MEETING_API_PORT: '', TOKEN_TTL_SECS: '  ', LOG_LEVEL: '', HOST: ' ', DATABASE_URL: '' });
    assert.equal(config.port, 8081);
    assert.equal(config.tokenTtlSecs, 600);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, undefined);
  });

  test('every variable is read when set', () => {
    const dataDir = tempDir();
    const config = loadConfig({
      JWT_SECRET: SECRET,
      MEETING_API_PORT: '9090',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u@db.internal:5432/meetings',
      DATA_DIR: dataDir,
      TOKEN_TTL_SECS: ' 120 ',
      LOG_LEVEL: 'debug',
      DB_POOL_SIZE: '25',
      BODY_LIMIT_BYTES: '2048',
      CORS_ORIGINS: 'https://a.example',
      LOG_FORMAT: 'json',
      METRICS: 'off',
      GIT_COMMIT: 'abc123',
      MEDIA_SERVER_PUBLIC_URL: 'wss://media.example.org/rtc',
      MEDIA_SERVER_PORT: '9091',
      WEB_APP_DIR: dataDir,
      REQUEST_TIMEOUT_SECS: '12',
      KEEP_ALIVE_TIMEOUT_SECS: '7',
      MAX_CONNECTIONS: '500',
      SHUTDOWN_TIMEOUT_SECS: '3',
      MAX_WAITING_PER_MEETING: '50',
      PASSWORD_FAILURES_PER_MINUTE: '5',
      MAX_CONCURRENT_PASSWORD_HASHES: '2',
    });
    assert.equal(config.requestTimeoutMs, 12_000);
    assert.equal(config.keepAliveTimeoutMs, 7_000);
    assert.equal(config.maxConnections, 500);
    assert.equal(config.shutdownTimeoutMs, 3_000);
    assert.equal(config.maxWaitingPerMeeting, 50);
    assert.equal(config.passwordFailuresPerMinute, 5);
    assert.equal(config.maxConcurrentPasswordHashes, 2);
    assert.equal(config.mediaServerPublicUrl, 'wss://media.example.org/rtc');
    assert.equal(config.mediaServerPort, 9091);
    assert.equal(config.webAppDir, dataDir);
    assert.equal(config.port, 9090);
    assert.equal(config.logFormat, 'json');
    assert.equal(config.metrics, false);
    assert.equal(config.gitCommit, 'abc123');
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.databaseUrl, 'postgres://u@db.internal:5432/meetings');
    assert.equal(config.dataDir, dataDir);
    assert.equal(config.tokenTtlSecs, 120);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.dbPoolSize, 25);
    assert.equal(config.bodyLimitBytes, 2048);
    assert.deepEqual(config.corsOrigins, ['https://a.example']);
  });

  test('postgresql:// URLs and port 0 are accepted', () => {
    const config = loadConfig({ JWT_SECRET: SECRET, DATABASE_URL: 'postgresql://localhost/x', MEETING_API_PORT: '0' });
    assert.equal(config.databaseUrl, 'postgresql://localhost/x');
    assert.equal(config.port, 0);
  });

  test('without JWT_SECRET outside production a development secret is generated under DATA_DIR', () => {
    const dataDir = tempDir();
    const config = loadConfig({ DATA_DIR: dataDir });
    assert.equal(config.jwtSecretSource, 'generated');
    assert.equal(config.jwtSecretPath, join(dataDir, 'jwt-secret'));
    assert.ok(Buffer.byteLength(config.jwtSecret) >= 32);
    assert.equal(statSync(join(dataDir, 'jwt-secret')).mode & 0o777, 0o600);
    const again = loadConfig({ DATA_DIR: dataDir });
    assert.equal(again.jwtSecretSource, 'file');
    assert.equal(again.jwtSecret, config.jwtSecret);
  });
});

describe('start-up warnings', () => {
  test('OIDC_ALLOW_UNVERIFIED_EMAIL=true warns; the default does not', () => {
    const oidc = { JWT_SECRET: SECRET, OIDC_ISSUER: 'https://idp.example.com', OIDC_CLIENT_ID: 'c' };
    const messages = (env: Record<string, string>) => startupWarnings(loadConfig(env)).map((w) => w.message).join('\n');
    assert.match(messages({ ...oidc, OIDC_ALLOW_UNVERIFIED_EMAIL: 'true' }), /OIDC_ALLOW_UNVERIFIED_EMAIL=true/);
    assert.doesNotMatch(messages(oidc), /OIDC_ALLOW_UNVERIFIED_EMAIL/);
  });

  test('in production the sign-in callback defaults to PUBLIC_URL (never a request\'s Host); METRICS without METRICS_TOKEN warns', () => {
    const prod = { JWT_SECRET: SECRET, NODE_ENV: 'production', OIDC_ISSUER: 'https://idp.example.com', OIDC_CLIENT_ID: 'c', PUBLIC_URL: 'https://meet.example/app' };
    assert.equal(loadConfig(prod).auth.oidc?.redirectUrl, 'https://meet.example/app/login/callback');
    assert.equal(loadConfig({ ...prod, OIDC_REDIRECT_URL: 'https://meet.example/cb' }).auth.oidc?.redirectUrl, 'https://meet.example/cb');
    assert.equal(loadConfig({ ...prod, NODE_ENV: 'development' }).auth.oidc?.redirectUrl, undefined);
    const messages = (env: Record<string, string>) => startupWarnings(loadConfig(env)).map((w) => w.message).join('\n');
    assert.match(messages(prod), /METRICS_TOKEN is unset in production/);
    assert.doesNotMatch(messages({ ...prod, METRICS_TOKEN: 'x'.repeat(16) }), /METRICS_TOKEN/);
    assert.doesNotMatch(messages({ ...prod, METRICS: 'false' }), /METRICS_TOKEN/);
  });

  test('production without a public PUBLIC_URL warns that other hosts get 421; a public one or ALLOWED_HOSTS does not', () => {
    const prod = { JWT_SECRET: SECRET, NODE_ENV: 'production' };
    const messages = (env: Record<string, string>) => startupWarnings(loadConfig(env)).map((w) => w.message).join('\n');
    assert.match(messages(prod), /PUBLIC_URL is unset or local in production/);
    assert.match(messages({ ...prod, PUBLIC_URL: 'http://127.0.0.1:8081' }), /PUBLIC_URL is unset or local/);
    assert.doesNotMatch(messages({ ...prod, PUBLIC_URL: 'https://meet.example.org' }), /PUBLIC_URL/);
    assert.doesNotMatch(messages({ ...prod, ALLOWED_HOSTS: 'meet.example.org' }), /PUBLIC_URL/);
    assert.doesNotMatch(messages({ JWT_SECRET: SECRET }), /PUBLIC_URL/, 'development answers this machine by design');
  });
});

describe('the edge settings', () => {
  test('ALLOWED_HOSTS are host names (port dropped, lower case, IPv6 in brackets); a URL or junk is refused', () => {
    const security = (env: Record<string, string>) => loadConfig({ JWT_SECRET: SECRET, ...env }).security;
    assert.deepEqual(security({ ALLOWED_HOSTS: 'Meet.Example.com, 10.0.0.5:8081,[::1]' }).allowedHosts, ['meet.example.com', '10.0.0.5', '[::1]']);
    assert.throws(() => loadConfig({ JWT_SECRET: SECRET, ALLOWED_HOSTS: 'https://meet.example.com/x' }), /ALLOWED_HOSTS/);
    assert.throws(() => loadConfig({ JWT_SECRET: SECRET, ALLOWED_HOSTS: 'a b' }), /ALLOWED_HOSTS/);
  });

  test('HEADERS_TIMEOUT_SECS is at most REQUEST_TIMEOUT_SECS; METRICS_TOKEN needs 16 characters; the caps accept 0 = off', () => {
    const security = (env: Record<string, string>) => loadConfig({ JWT_SECRET: SECRET, ...env }).security;
    assert.equal(security({ HEADERS_TIMEOUT_SECS: '20', REQUEST_TIMEOUT_SECS: '5' }).headersTimeoutMs, 5000);
    assert.equal(security({ HEADERS_TIMEOUT_SECS: '3' }).headersTimeoutMs, 3000);
    assert.throws(() => loadConfig({ JWT_SECRET: SECRET, METRICS_TOKEN: 'short' }), /METRICS_TOKEN/);
    assert.equal(security({ METRICS_TOKEN: 'x'.repeat(16) }).metricsToken, 'x'.repeat(16));
    assert.equal(security({ MAX_CONNECTIONS_PER_ADDRESS: '0', MAX_MEETINGS_PER_OWNER: '0' }).maxConnectionsPerAddress, 0);
    assert.throws(() => loadConfig({ JWT_SECRET: SECRET, LONG_POLLS_PER_CALLER: '0' }), /LONG_POLLS_PER_CALLER/);
  });
});

describe('TRUST_PROXY', () => {
  test('a hop count or a list of proxy addresses/CIDRs; unset trusts nobody', () => {
    assert.equal(loadConfig({ JWT_SECRET: SECRET }).trustProxy, false);
    assert.equal(loadConfig({ JWT_SECRET: SECRET, TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ JWT_SECRET: SECRET, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1, fd00::/8' }).trustProxy, [
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
    ]);
  });

  test('true, *, 0, 11, a hostname or a bad CIDR are refused, naming TRUST_PROXY', () => {
    for (const bad of ['true', 'on', '*', '0', '11', 'proxy.example', '10.0.0.0/33', '::1/129', ',']) {
      const err = configError({ JWT_SECRET: SECRET, TRUST_PROXY: bad });
      assert.match(err.message, /TRUST_PROXY/, bad);
    }
  });
});

describe('loadConfig rejects bad values, naming the variable', () => {
  const cases: [string, string][] = [
    ['MEETING_API_PORT', 'abc'],
    ['MEETING_API_PORT', '70000'],
    ['MEETING_API_PORT', '-1'],
    ['MEETING_API_PORT', '80.5'],
    ['TOKEN_TTL_SECS', 'abc'],
    ['TOKEN_TTL_SECS', '0'],
    ['TOKEN_TTL_SECS', '9'],
    ['TOKEN_TTL_SECS', '86401'],
    ['TOKEN_TTL_SECS', '1e3'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_LEVEL', 'INFO'],
    ['LOG_FORMAT', 'fancy'],
    ['METRICS', 'maybe'],
    ['DB_POOL_SIZE', '0'],
    ['DB_POOL_SIZE', 'many'],
    ['BODY_LIMIT_BYTES', '10'],
    ['REQUEST_TIMEOUT_SECS', '0'],
    ['KEEP_ALIVE_TIMEOUT_SECS', 'long'],
    ['MAX_CONNECTIONS', '0'],
    ['SHUTDOWN_TIMEOUT_SECS', '-1'],
    ['MAX_WAITING_PER_MEETING', '0'],
    ['PASSWORD_FAILURES_PER_MINUTE', '0'],
    ['MAX_CONCURRENT_PASSWORD_HASHES', '1000'],
    ['BODY_LIMIT_BYTES', '99999999999'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['DATABASE_URL', 'http://localhost:5432/db'],
    ['JWT_SECRET', 'short'],
    ['JWT_SECRET', 'x'.repeat(31)],
  ];
  for (const [name, value] of cases) {
    test(`${name}=${JSON.stringify(value)} is a ConfigError naming ${name}`, () => {
      const env: Record<string, string> = { JWT_SECRET: SECRET, [name]: value };
      const err = configError(env);
      assert.equal(err.problems.length, 1, err.message);
      assert.match(err.problems[0]!, new RegExp(`^${name}\\b`));
      assert.match(err.message, new RegExp(name));
    });
  }

  test('several bad variables are all reported at once', () => {
    const err = configError({ MEETING_API_PORT: 'x', TOKEN_TTL_SECS: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'nope', JWT_SECRET: 'short' });
    const named = err.problems.map((p) => p.split(' ')[0]).sort();
    assert.deepEqual(named, ['DATABASE_URL', 'JWT_SECRET', 'LOG_LEVEL', 'MEETING_API_PORT', 'TOKEN_TTL_SECS']);
  });

  test('a bad value is reported with what was given', () => {
    const err = configError({ JWT_SECRET: SECRET, TOKEN_TTL_SECS: 'abc' });
    assert.match(err.message, /"abc"/);
  });
});

describe('production rules for JWT_SECRET', () => {
  test('NODE_ENV=production without JWT_SECRET is a ConfigError naming JWT_SECRET and writes no file', () => {
    const dataDir = tempDir();
    const err = configError({ NODE_ENV: 'production', DATA_DIR: dataDir });
    assert.match(err.message, /JWT_SECRET/);
    assert.throws(() => statSync(join(dataDir, 'jwt-secret')), /ENOENT/);
  });

  test('NODE_ENV=production ignores a development secret file', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'jwt-secret'), `${'d'.repeat(64)}\n`);
    assert.match(configError({ NODE_ENV: 'production', DATA_DIR: dataDir }).message, /JWT_SECRET/);
  });

  test('NODE_ENV=production refuses a JWT_SECRET under 32 bytes', () => {
    assert.match(configError({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31) }).message, /JWT_SECRET/);
  });

  test('NODE_ENV=production with a 32-byte JWT_SECRET loads', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) });
    assert.equal(config.production, true);
    assert.equal(config.jwtSecretSource, 'env');
    assert.equal(config.jwtSecret, 'x'.repeat(32));
  });
});

describe('CORS_ORIGINS parsing', () => {
  const cases: [string | undefined, true | string[] | undefined][] = [
    [undefined, undefined],
    ['', undefined],
    ['   ', undefined],
    ['*', true],
    [' * ', true],
    ['https://app.example', ['https://app.example']],
    ['https://a.example, https://b.example', ['https://a.example', 'https://b.example']],
    [' https://a.example ,,https://b.example, ', ['https://a.example', 'https://b.example']],
  ];
  for (const [raw, expected] of cases) {
    test(`CORS_ORIGINS=${JSON.stringify(raw)} gives ${JSON.stringify(expected)}`, () => {
      const env: Record<string, string> = { JWT_SECRET: SECRET };
      if (raw !== undefined) env.CORS_ORIGINS = raw;
      assert.deepEqual(loadConfig(env).corsOrigins, expected);
    });
  }
});

describe('PUBLIC_URL', () => {
  test('defaults to http://HOST:MEETING_API_PORT, an unspecified host written as 127.0.0.1', () => {
    assert.equal(loadConfig({ JWT_SECRET: SECRET, HOST: '0.0.0.0', MEETING_API_PORT: '9000' }).publicUrl, 'http://127.0.0.1:9000');
    assert.equal(loadConfig({ JWT_SECRET: SECRET, HOST: '::' }).publicUrl, 'http://127.0.0.1:8081');
    assert.equal(loadConfig({ JWT_SECRET: SECRET, HOST: 'meet.internal' }).publicUrl, 'http://meet.internal:8081');
    assert.equal(loadConfig({ JWT_SECRET: SECRET, HOST: '::1' }).publicUrl, 'http://[::1]:8081');
  });

  test('an http(s) URL is kept without its trailing slash; anything else is refused at start-up', () => {
    assert.equal(loadConfig({ JWT_SECRET: SECRET, PUBLIC_URL: 'https://meet.example.org/' }).publicUrl, 'https://meet.example.org');
    assert.equal(loadConfig({ JWT_SECRET: SECRET, PUBLIC_URL: 'https://example.org/meet/' }).publicUrl, 'https://example.org/meet');
    for (const bad of ['meet.example.org', 'ftp://example.org', 'https://user:pw@example.org', 'https://example.org/?a=1', 'https://example.org/#x']) {
      assert.match(configError({ JWT_SECRET: SECRET, PUBLIC_URL: bad }).message, /PUBLIC_URL/, bad);
    }
  });
});

describe('apps settings', () => {
  test('PUBLIC_URL defaults to HOST and MEETING_API_PORT, an unspecified host written as 127.0.0.1', () => {
    assert.equal(loadConfig({ JWT_SECRET: SECRET, HOST: '0.0.0.0', MEETING_API_PORT: '9181' }).publicUrl, 'http://127.0.0.1:9181');
    assert.equal(loadConfig({ JWT_SECRET: SECRET, HOST: '::' }).publicUrl, 'http://127.0.0.1:8081');
    assert.equal(loadConfig({ JWT_SECRET: SECRET, HOST: 'meet.local' }).publicUrl, 'http://meet.local:8081');
    assert.equal(loadConfig({ JWT_SECRET: SECRET, PUBLIC_URL: 'https://meet.example.com/' }).publicUrl, 'https://meet.example.com');
    assert.equal(loadConfig({ JWT_SECRET: SECRET, PUBLIC_URL: 'https://example.com/meet' }).publicUrl, 'https://example.com/meet');
  });

  test('bad PUBLIC_URL and EMBED_ORIGINS are named at start-up', () => {
    for (const bad of ['meet.example.com', 'ftp://x.example', 'https://x.example/?a=1', 'javascript:alert(1)']) {
      assert.throws(() => loadConfig({ JWT_SECRET: SECRET, PUBLIC_URL: bad }), /PUBLIC_URL/);
    }
    for (const bad of ['https://a.example/path', '*', 'a.example', 'file:///x']) {
      assert.throws(() => loadConfig({ JWT_SECRET: SECRET, EMBED_ORIGINS: bad }), /EMBED_ORIGINS/);
    }
  });

  test('ADMIN_EMAILS and EMBED_ORIGINS are comma-separated lists', () => {
    const config = loadConfig({ JWT_SECRET: SECRET, ADMIN_EMAILS: ' a@x.example , b@x.example,', EMBED_ORIGINS: 'https://app.example, http://127.0.0.1:9200' });
    assert.deepEqual(config.adminEmails, ['a@x.example', 'b@x.example']);
    assert.deepEqual(config.embedOrigins, ['https://app.example', 'http://127.0.0.1:9200']);
  });
});
