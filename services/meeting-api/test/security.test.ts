import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppConfig } from '../src/app';
import { api, call, createTestDatabase, expectError, hostStarts, testConfig, type TestDatabase } from './helpers';
import { openSse, type SseStream } from './sse-client';

let database: TestDatabase;
const apps: FastifyInstance[] = [];
before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await database.drop();
});

async function appWith(config: Partial<AppConfig> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ ...testConfig, ...config }, { db: database.db, logger: false });
  await app.ready();
  apps.push(app);
  return app;
}

/** A listening app (real HTTP, for event streams). */
async function listening(config: Partial<AppConfig> = {}): Promise<{ app: FastifyInstance; base: string }> {
  const app = await buildApp({ ...testConfig, ...config }, { db: database.db, logger: false, eventKeepAliveMs: 200 });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  apps.push(app);
  return { app, base };
}
const streams: SseStream[] = [];
after(() => {
  for (const s of streams) s.close();
});
async function sse(base: string, path: string, as: string): Promise<SseStream> {
  const s = await openSse(base, path, { as });
  streams.push(s);
  return s;
}
const HOST = 'host@example.com';

describe('event streams follow the viewer', () => {
  test('after POST /end an attendee\'s open stream no longer shows the next session\'s waiting room', async () => {
    const { app, base } = await listening();
    await hostStarts(app, 'sec-end');
    await call(app, 'POST', api('sec-end', '/join'), { as: 'att@x.io', body: {} });
    await call(app, 'POST', api('sec-end', '/admit'), { as: HOST, body: { email: 'att@x.io' } });
    const stream = await sse(base, api('sec-end', '/events'), 'att@x.io');
    assert.equal(stream.status, 200);
    assert.equal((await call(app, 'POST', api('sec-end', '/end'), { as: HOST })).status, 200);
    // The next session: the host is back, a stranger knocks and is rejected.
    await hostStarts(app, 'sec-end');
    await call(app, 'POST', api('sec-end', '/join'), { as: 'next@x.io', body: {} });
    await call(app, 'POST', api('sec-end', '/reject'), { as: HOST, body: { email: 'next@x.io' } });
    // A last meeting event as a barrier: everything before it has been delivered or filtered.
    await call(app, 'POST', api('sec-end', '/end'), { as: HOST });
    await waitUntil(() => stream.events.filter((e) => e.event === 'meeting.ended').length === 2, 'the second meeting.ended');
    const seen = stream.events.map((e) => e.event);
    assert.deepEqual(
      seen.filter((e) => e.startsWith('participant.')),
      [],
      `the former attendee saw ${seen.join(', ')}`,
    );
  });

  test('a banned person cannot open an event stream (403 PARTICIPANT_BANNED); the owner and others still can', async () => {
    const { app, base } = await listening();
    await hostStarts(app, 'sec-ban');
    await call(app, 'POST', api('sec-ban', '/join'), { as: 'bad@x.io', body: {} });
    await call(app, 'POST', api('sec-ban', '/admit'), { as: HOST, body: { email: 'bad@x.io' } });
    const before = await sse(base, api('sec-ban', '/events'), 'bad@x.io');
    assert.equal(before.status, 200);
    assert.equal((await call(app, 'POST', api('sec-ban', '/remove'), { as: HOST, body: { email: 'bad@x.io', ban: true } })).status, 200);
    await before.ended;
    const after = await sse(base, api('sec-ban', '/events'), 'bad@x.io');
    assert.equal(after.status, 403);
    assert.equal(after.body.result.code, 'PARTICIPANT_BANNED');
    // Rejected with a ban from the waiting room: the same.
    await call(app, 'POST', api('sec-ban', '/join'), { as: 'knock@x.io', body: {} });
    await call(app, 'POST', api('sec-ban', '/reject'), { as: HOST, body: { email: 'knock@x.io', ban: true } });
    assert.equal((await sse(base, api('sec-ban', '/events'), 'knock@x.io')).status, 403);
    assert.equal((await sse(base, api('sec-ban', '/events'), HOST)).status, 200);
    // Unbanned: may follow the meeting again.
    await call(app, 'POST', api('sec-ban', '/unban'), { as: HOST, body: { email: 'bad@x.io' } });
    assert.equal((await sse(base, api('sec-ban', '/events'), 'bad@x.io')).status, 200);
  });
});

async function waitUntil(cond: () => boolean, label: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${label}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('meeting creation per identity', () => {
  test('one identity creating meetings in a loop gets 429 RATE_LIMITED past MEETING_CREATES_PER_MINUTE; creating joins count; others are unaffected', async () => {
    const app = await appWith({ security: { ...testConfig.security, meetingCreatesPerMinute: 30 } });
    let created = 0;
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 40 && refused === undefined; i++) {
      // Half through POST /meetings, half through a join that creates the meeting.
      const r =
        i % 2 === 0
          ? await call(app, 'POST', '/api/v1/meetings', { as: 'spammer@x.io', body: { meeting_id: `spam-${i}` } })
          : await call(app, 'POST', api(`spam-${i}`, '/join'), { as: 'spammer@x.io', body: {} });
      if (r.status === 201 || r.status === 200) created++;
      else refused = r;
    }
    assert.equal(created, 30);
    assert.ok(refused);
    expectError(refused, 429, 'RATE_LIMITED');
    assert.match(String(refused.raw.headers['retry-after']), /^\d+$/);
    // Joining existing meetings is not creating.
    assert.equal((await call(app, 'POST', api('spam-0', '/join'), { as: 'spammer@x.io', body: {} })).status, 200);
    assert.equal((await call(app, 'POST', '/api/v1/meetings', { as: 'someone-else@x.io', body: { meeting_id: 'other-1' } })).status, 201);
  });
});

describe('who may see who is in a meeting', () => {
  test('a guest and a stranger cannot list participants of a password-protected, guests-off meeting; the owner and admitted people can', async () => {
    const app = await appWith();
    await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'sec-list', password: 'pw' } });
    await hostStarts(app, 'sec-list', HOST, { display_name: 'Alice' });
    await call(app, 'POST', api('sec-list', '/join'), { as: 'bob@x.io', body: { password: 'pw' } });
    await call(app, 'POST', api('sec-list', '/admit'), { as: HOST, body: { email: 'bob@x.io' } });
    const guest = await call(app, 'POST', '/api/v1/guest-session', { body: { display_name: 'Gus' } });
    assert.equal(guest.status, 200);
    const asGuest = { authorization: `Bearer ${guest.body.result.session_token}` };
    const guestList = await call(app, 'GET', api('sec-list', '/participants'), { headers: asGuest });
    expectError(guestList, 404, 'NOT_IN_MEETING');
    assert.doesNotMatch(guestList.raw.body, /@x\.io|example\.com/);
    expectError(await call(app, 'GET', api('sec-list', '/participants'), { as: 'stranger@x.io' }), 404, 'NOT_IN_MEETING');
    // Waiting is not being in.
    await call(app, 'POST', api('sec-list', '/join'), { as: 'wait@x.io', body: { password: 'pw' } });
    expectError(await call(app, 'GET', api('sec-list', '/participants'), { as: 'wait@x.io' }), 404, 'NOT_IN_MEETING');
    for (const who of [HOST, 'bob@x.io']) {
      const list = await call(app, 'GET', api('sec-list', '/participants'), { as: who });
      assert.deepEqual(list.body.result.map((p: { email: string }) => p.email), [HOST, 'bob@x.io']);
    }
  });

  test("GET /meetings/{id} gives the owner's email only to the owner, those admitted and people waiting; strangers and guests get an empty host", async () => {
    const app = await appWith();
    await hostStarts(app, 'sec-info', HOST, { display_name: 'Alice' });
    const stranger = await call(app, 'GET', api('sec-info'), { as: 'stranger@x.io' });
    assert.equal(stranger.status, 200);
    assert.equal(stranger.body.result.host, '');
    assert.equal(stranger.body.result.host_display_name, 'Alice', 'the pre-join screen still names the host');
    const guest = await call(app, 'POST', '/api/v1/guest-session', { body: { display_name: 'Gus' } });
    const asGuest = { authorization: `Bearer ${guest.body.result.session_token}` };
    assert.equal((await call(app, 'GET', api('sec-info'), { headers: asGuest })).body.result.host, '');
    await call(app, 'POST', api('sec-info', '/join'), { as: 'bob@x.io', body: {} });
    assert.equal((await call(app, 'GET', api('sec-info'), { as: 'bob@x.io' })).body.result.host, HOST, 'waiting, as in the original contract');
    assert.equal((await call(app, 'GET', api('sec-info'), { as: HOST })).body.result.host, HOST);
  });

  test('probing meeting ids: past MEETING_ID_MISSES_PER_MINUTE misses a caller gets 429; per address too; meetings one is in still answer for others', async () => {
    const app = await appWith({ security: { ...testConfig.security, meetingIdMissesPerMinute: 20, meetingIdMissesPerAddressPerMinute: 50 } });
    await hostStarts(app, 'sec-real');
    const codes: number[] = [];
    for (let i = 0; i < 30; i++) codes.push((await call(app, 'GET', api(`probe-${i}`), { as: 'prober@x.io' })).status);
    assert.deepEqual(codes.slice(0, 20), Array(20).fill(404));
    assert.deepEqual(codes.slice(20), Array(10).fill(429));
    const limited = await call(app, 'GET', api('sec-real'), { as: 'prober@x.io' });
    expectError(limited, 429, 'RATE_LIMITED');
    assert.match(String(limited.raw.headers['retry-after']), /^\d+$/);
    // Another identity from the same address: its own budget until the address's is spent.
    assert.equal((await call(app, 'GET', api('sec-real'), { as: HOST })).status, 200);
    for (let i = 0; i < 30; i++) await call(app, 'GET', api(`probe2-${i}`), { as: `p${i}@x.io` });
    expectError(await call(app, 'GET', api('sec-real'), { as: HOST }), 429, 'RATE_LIMITED');
  });
});

describe('identities and display names are checked and normalised at the edge', () => {
  const cookie = (email: string) => ({ cookie: `email=${encodeURIComponent(email)}` });
  test('a banned identity cannot come back as Alice@Example.COM, with a zero-width space, or with a Cyrillic letter', async () => {
    const app = await appWith();
    await hostStarts(app, 'sec-ident');
    await call(app, 'POST', api('sec-ident', '/join'), { as: 'alice@example.com', body: {} });
    await call(app, 'POST', api('sec-ident', '/reject'), { as: HOST, body: { email: 'alice@example.com', ban: true } });
    const cased = await call(app, 'POST', api('sec-ident', '/join'), { headers: cookie('alice@Example.COM'), body: {} });
    expectError(cased, 403, 'PARTICIPANT_BANNED');
    const padded = await call(app, 'POST', api('sec-ident', '/join'), { headers: cookie(' alice@example.com'), body: {} });
    expectError(padded, 403, 'PARTICIPANT_BANNED');
    for (const variant of ['alice@example.com\u200b', '\u202ealice@example.com', 'alice@ex\u0430mple.com', '\u0430lice@example.com']) {
      expectError(await call(app, 'POST', api('sec-ident', '/join'), { headers: cookie(variant), body: {} }), 400, 'INVALID_REQUEST');
    }
    // NFC: a decomposed é is the same person as a composed one.
    await call(app, 'POST', api('sec-ident', '/join'), { headers: cookie('jose\u0301@example.com'), body: {} });
    const waiting = await call(app, 'GET', api('sec-ident', '/waiting'), { as: HOST });
    assert.deepEqual(waiting.body.result.waiting.map((p: { email: string }) => p.email), ['jos\u00e9@example.com']);
    // A target is normalised the same way: banning BOB@EXAMPLE.ORG bans bob@example.org's spelling.
    await call(app, 'POST', api('sec-ident', '/join'), { as: 'BOB@example.org', body: {} });
    assert.equal((await call(app, 'POST', api('sec-ident', '/reject'), { as: HOST, body: { email: 'BOB@EXAMPLE.ORG', ban: true } })).status, 200);
    expectError(await call(app, 'POST', api('sec-ident', '/join'), { headers: cookie('BOB@Example.Org'), body: {} }), 403, 'PARTICIPANT_BANNED');
  });

  test('display_name with control, bidi or zero-width characters is refused on join, guest session and dev sign-in alike', async () => {
    const app = await appWith();
    await hostStarts(app, 'sec-name');
    for (const bad of ['Eve\u202eliam', 'Eve\u200b', 'Eve\u0007', 'Eve\u2066x\u2069']) {
      expectError(await call(app, 'POST', api('sec-name', '/join'), { as: 'eve@x.io', body: { display_name: bad } }), 400, 'INVALID_REQUEST');
      expectError(await call(app, 'POST', '/api/v1/guest-session', { body: { display_name: bad } }), 400, 'INVALID_REQUEST');
      expectError(await call(app, 'POST', '/login/dev', { body: { email: 'eve@x.io', display_name: bad } }), 400, 'INVALID_REQUEST');
    }
    // Emoji sequences (zero-width joiner) and accents stay fine.
    const ok = await call(app, 'POST', api('sec-name', '/join'), { as: 'eve@x.io', body: { display_name: 'Eve \u{1F469}\u200D\u{1F4BB} Jose\u0301' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.result.display_name, 'Eve \u{1F469}\u200D\u{1F4BB} Jos\u00e9');
  });
});

describe('logout', () => {
  test('GET /logout from another site (Sec-Fetch-Site: cross-site) revokes nothing: 403 CSRF_REJECTED; from the same origin or a non-browser client it still signs out', async () => {
    const app = await appWith();
    const signIn = async () => {
      const r = await call(app, 'POST', '/login/dev', { body: { email: 'victim@x.io' } });
      assert.equal(r.status, 200);
      const setCookie = String(r.raw.headers['set-cookie']);
      return setCookie.slice(0, setCookie.indexOf(';'));
    };
    const session = await signIn();
    const whoAmI = () => call(app, 'GET', '/profile', { headers: { cookie: session } });
    assert.equal((await whoAmI()).status, 200);
    const forged = await call(app, 'GET', '/logout', { headers: { cookie: session, 'sec-fetch-site': 'cross-site' } });
    expectError(forged, 403, 'CSRF_REJECTED');
    assert.equal((await whoAmI()).status, 200, 'the session survived the cross-site link');
    assert.equal((await call(app, 'GET', '/logout', { headers: { cookie: session, 'sec-fetch-site': 'same-origin' } })).status, 200);
    assert.equal((await whoAmI()).status, 401);
    const again = await signIn();
    assert.equal((await call(app, 'GET', '/logout', { headers: { cookie: again } })).status, 200, 'a client without Sec-Fetch-Site');
  });
});

describe('password guesses', () => {
  test('many identities from one address get 429 past PASSWORD_FAILURES_PER_ADDRESS_PER_MINUTE; many addresses on one meeting past the per-meeting budget', async () => {
    const app = await appWith({ security: { ...testConfig.security, passwordFailuresPerAddressPerMinute: 12, passwordFailuresPerMeetingPerMinute: 20 } });
    await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'sec-pw', password: 'right', allow_guests: true } });
    await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'sec-pw2', password: 'right' } });
    await hostStarts(app, 'sec-pw');
    await hostStarts(app, 'sec-pw2');
    // 10 guest sessions from one address, 2 guesses each (each under its own per-caller budget of 10).
    const statuses: number[] = [];
    for (let g = 0; g < 10; g++) {
      const guest = await call(app, 'POST', '/api/v1/guest-session', { body: { display_name: `G${g}` } });
      const headers = { authorization: `Bearer ${guest.body.result.session_token}` };
      for (let k = 0; k < 2; k++) statuses.push((await call(app, 'POST', api('sec-pw', '/join'), { headers, body: { password: `g${g}-${k}` } })).status);
    }
    assert.equal(statuses.filter((s) => s === 403).length, 12, `statuses ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 429).length, 8);
    // Spread over many addresses (X-Forwarded-For from a trusted proxy), one meeting: its own budget.
    const proxied = await appWith({ trustProxy: 1, security: { ...testConfig.security, passwordFailuresPerAddressPerMinute: 5, passwordFailuresPerMeetingPerMinute: 20 } });
    const codes: number[] = [];
    for (let i = 0; i < 25; i++) {
      codes.push((await call(proxied, 'POST', api('sec-pw2', '/join'), { as: `p${i}@x.io`, headers: { 'x-forwarded-for': `10.0.0.${i}` }, body: { password: 'nope' } })).status);
    }
    assert.deepEqual(codes.slice(0, 20), Array(20).fill(403));
    assert.deepEqual(codes.slice(20), Array(5).fill(429));
  });
});
