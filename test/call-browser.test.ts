import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import { pino } from 'pino';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { MEDIA_SUBPROTOCOL } from 'meeting-types';
import { buildMediaServer, connectNatsRelay, type MediaServer } from '../services/media-server/src/app';
import { loadConfig as loadMediaConfig } from '../services/media-server/src/config';
import { createFeedEnforcement } from '../services/media-server/src/enforcement/feed-enforcement';
import { call as apiCall, startTestApp, TEST_SECRET, type TestApp } from '../services/meeting-api/test/helpers';
import { testNamespace } from '../services/media-server/test/helpers';
import type { Browser as PuppeteerBrowser } from 'puppeteer-core';
import { CHROMIUM, CHROMIUM_FLAGS, FAKE_MEDIA_FLAGS, launchFirefox, until } from './browser';

/**
 * A real call in Chromium with its fake camera (a moving pattern) and fake microphone (a tone):
 * three pages (host and two attendees admitted through the waiting room) send VP8 and Opus
 * through the Media Server with `videocall.v1`, on one instance and on two joined by NATS; each
 * picture reaches the others in the colours of its sender's own camera.
 * Deadlines below only stop a hang; nothing asserts on timing. Low resolution and frame rate
 * keep it light on a shared machine.
 */
/** The harness page's globals, as seen from code evaluated in the page (this file has no DOM types). */
 
declare const window: { call?: any; MediaSocket?: any; getToken?: () => Promise<string | null> };

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const HARNESS = join(import.meta.dirname, '../packages/media-client/harness');
const logger = pino({ level: 'silent' });

let api: TestApp;
let apiBase: string;
/** One persistent context on a fresh profile (the guide's `--user-data-dir`); pages share nothing but it. */
let browser: BrowserContext;
/** Firefox (firefox-esr through puppeteer-core): the middle page of each call. */
let firefox: PuppeteerBrowser;
let userDataDir: string;
let page_server: Server;
let harnessBase: string;
const mediaServers: MediaServer[] = [];

async function startMedia(nats: boolean): Promise<string> {
  const relay = nats ? await connectNatsRelay({ url: NATS_URL, logger, namespace: testNamespace }) : undefined;
  // Following the API's decision feed, as in production: host decisions close connections (4000/4001/4003).
  const enforcement = createFeedEnforcement({ apiUrl: apiBase, jwtSecret: TEST_SECRET, logger });
  const media = buildMediaServer(loadMediaConfig({ JWT_SECRET: TEST_SECRET, MEDIA_SERVER_PORT: '0', LOG_LEVEL: 'silent' }), {
    logger,
    enforcement,
    ...(relay ? { relay } : {}),
  });
  mediaServers.push(media);
  const { port } = await media.listen();
  return `ws://127.0.0.1:${port}`;
}

before(async () => {
  api = await startTestApp({ config: { jwtSecret: TEST_SECRET } });
  apiBase = await api.app.listen({ port: 0, host: '127.0.0.1' });
  const bundle = await build({
    entryPoints: [join(HARNESS, 'harness.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome110',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.text;
  const html = await readFile(join(HARNESS, 'index.html'), 'utf8');
  page_server = createServer((req, res) => {
    if (req.url?.startsWith('/harness.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    }
  });
  await new Promise<void>((r) => page_server.listen(0, '127.0.0.1', () => r()));
  harnessBase = `http://127.0.0.1:${(page_server.address() as AddressInfo).port}`;
  userDataDir = await mkdtemp(join(tmpdir(), 'call-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: ['--headless', ...CHROMIUM_FLAGS, ...FAKE_MEDIA_FLAGS],
  });
  firefox = await launchFirefox({ fakeMedia: true });
});

after(async () => {
  await browser?.close();
  await firefox?.close();
  await Promise.all(mediaServers.map((m) => m.close()));
  await new Promise<void>((r) => page_server?.close(() => r()));
  await api?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

const meetings = '/api/v1/meetings';

/** Host joins; attendees knock, the host admits them through the waiting room. */
async function admitThree(room: string): Promise<string[]> {
  const people = ['host', 'alice', 'bob'].map((n) => `${n}-${room}@example.com`);
  const host = await apiCall(api.app, 'POST', `${meetings}/${room}/join`, { as: people[0], body: { display_name: 'Host' } });
  assert.equal(host.body.result.status, 'admitted');
  for (const [i, email] of people.slice(1).entries()) {
    const r = await apiCall(api.app, 'POST', `${meetings}/${room}/join`, { as: email, body: { display_name: i === 0 ? 'Alice' : 'Bob' } });
    assert.equal(r.body.result.status, 'waiting');
  }
  const waiting = await apiCall(api.app, 'GET', `${meetings}/${room}/waiting`, { as: people[0] });
  assert.equal(waiting.body.result.waiting.length, 2);
  for (const email of people.slice(1)) {
    const r = await apiCall(api.app, 'POST', `${meetings}/${room}/admit`, { as: people[0], body: { email } });
    assert.equal(r.body.result.status, 'admitted');
  }
  return people;
}

type Engine = 'chromium' | 'firefox';

/** A call page in either browser: Playwright's and Puppeteer's pages share what is used here. */
interface Opened {
  page: Pick<Page, 'evaluate' | 'close'>;
  name: string;
  engine: Engine;
  tokenCalls: () => number;
  /** Uncaught exceptions of the page. */
  problems: string[];
}

/** Opens the call page for `email` in `engine`; its tokens come from `/status`, as in the app. */
async function openCall(room: string, email: string, name: string, mediaUrl: string, engine: Engine = 'chromium', query = ''): Promise<Opened> {
  const page = engine === 'firefox' ? await firefox.newPage() : await browser.newPage();
  let calls = 0;
  const problems: string[] = [];
  const onError = (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    problems.push(message);
    console.error(`[${name}] page error: ${message}`);
  };
  if (engine === 'firefox') (page as Awaited<ReturnType<PuppeteerBrowser['newPage']>>).on('pageerror', onError);
  else (page as Page).on('pageerror', onError);
  await page.exposeFunction('getToken', async () => {
    calls++;
    const r = await apiCall(api.app, 'GET', `${meetings}/${room}/status`, { as: email });
    return r.body.success ? (r.body.result.room_token as string | null) : null;
  });
  await page.goto(`${harnessBase}/?media=${encodeURIComponent(mediaUrl)}&w=320&h=180&fps=8&vbr=150000${query}`);
  return { page: page as unknown as Opened['page'], name, engine, tokenCalls: () => calls, problems };
}

/** Text of an element of the harness page. */
function textOf(o: Opened, selector: string): Promise<string> {
  return o.page.evaluate(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? ''`) as Promise<string>;
}

function countOf(o: Opened, selector: string): Promise<number> {
  return o.page.evaluate(`document.querySelectorAll(${JSON.stringify(selector)}).length`) as Promise<number>;
}

type RemoteInfo = {
  name: string;
  session: string;
  audioOn: boolean;
  videoOn: boolean;
  videoChunks: number;
  audioChunks: number;
  videoDecoded: number;
  audioDecoded: number;
  pixels: string;
};

/** What the page shows: per remote tile its name, state, counters and a hash of the canvas pixels. */
function remotes(o: Opened): Promise<RemoteInfo[]> {
  return o.page.evaluate(() => {
    const call = window.call!;
    return [...call.remotes.values()].map((r) => {
      const ctx = r.canvas.getContext('2d')!;
      const data = ctx.getImageData(0, 0, r.canvas.width, r.canvas.height).data as Uint8ClampedArray;
      let h = 2166136261;
      for (let i = 0; i < data.length; i += 7) h = Math.imul(h ^ data[i]!, 16777619);
      return {
        name: r.member.displayName,
        session: r.session,
        audioOn: r.audioOn,
        videoOn: r.videoOn,
        videoChunks: r.stats.videoChunksReceived,
        audioChunks: r.stats.audioChunksReceived,
        videoDecoded: r.stats.videoFramesDecoded,
        audioDecoded: r.stats.audioFramesDecoded,
        pixels: `${r.canvas.width}x${r.canvas.height}:${h >>> 0}`,
      };
    });
  });
}

const byName = (list: RemoteInfo[], name: string) => list.find((r) => r.name === name);

/**
 * Average colours [r, g, b] of what the page shows: `self` is its own camera as a `<video>` plays it,
 * and each remote tile by name; all drawn scaled onto a small canvas.
 */
function pictureColours(o: Opened): Promise<Record<string, number[]>> {
  return o.page.evaluate(`(async () => {
    const average = (el) => {
      const c = document.createElement('canvas');
      c.width = 64;
      c.height = 36;
      const g = c.getContext('2d');
      g.drawImage(el, 0, 0, c.width, c.height);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      const sum = [0, 0, 0];
      for (let i = 0; i < d.length; i += 4) for (let k = 0; k < 3; k++) sum[k] += d[i + k];
      return sum.map((v) => v / (d.length / 4));
    };
    if (window.selfView === undefined) {
      const v = document.createElement('video');
      v.muted = true;
      v.srcObject = window.local.stream;
      await v.play();
      window.selfView = v;
    }
    while (window.selfView.videoWidth === 0) await new Promise((r) => setTimeout(r, 50));
    const out = { self: average(window.selfView) };
    for (const r of window.call.remotes.values()) out[r.member.displayName] = average(r.canvas);
    return out;
  })()`) as Promise<Record<string, number[]>>;
}

async function latencySamples(pages: Opened[]): Promise<{ video: number[]; audio: number[] }> {
  const all = { video: [] as number[], audio: [] as number[] };
  for (const o of pages) {
    const l = await o.page.evaluate(() => {
      const s = window.call!.latency();
      return { video: s.videoSamples, audio: s.audioSamples };
    });
    all.video.push(...l.video);
    all.audio.push(...l.audio);
  }
  return all;
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}

/** The scenario of the issue, on whatever Media Servers the three pages are given. */
async function threePageCall(label: string, mediaUrls: [string, string, string], diag: (msg: string) => void): Promise<void> {
  const room = `call-${label}-${randomBytes(3).toString('hex')}`;
  const [hostEmail, aliceEmail, bobEmail] = await admitThree(room);
  // Chromium, Firefox, Chromium: every pair of engines sees and hears each other.
  const host = await openCall(room, hostEmail!, 'Host', mediaUrls[0], 'chromium');
  const alice = await openCall(room, aliceEmail!, 'Alice', mediaUrls[1], 'firefox');
  const bob = await openCall(room, bobEmail!, 'Bob', mediaUrls[2], 'chromium');
  const pages = [host, alice, bob];
  try {
    // Each page: two remote tiles, named, whose pixels change, and audio decoded from both.
    for (const o of pages) {
      const others = pages.filter((p) => p !== o).map((p) => p.name);
      const first = await until(
        `${o.name} decodes video and audio from ${others.join(' and ')}`,
        () => remotes(o),
        (list) =>
          list.length === 2 &&
          others.every((n) => (byName(list, n)?.videoDecoded ?? 0) > 0 && (byName(list, n)?.audioDecoded ?? 0) > 0),
      );
      assert.deepEqual(first.map((r) => r.name).sort(), [...others].sort());
      await until(
        `${o.name}'s tiles change over time`,
        () => remotes(o),
        (list) => others.every((n) => byName(list, n)!.pixels !== byName(first, n)!.pixels && !byName(list, n)!.pixels.endsWith(`:${0}`)),
      );
    }

    // Each sender's picture at the others has the colours of its own camera: Chromium's fake camera
    // (a light-green disc turning on dark green) and Firefox's (flat bright green). Read with the wrong
    // YUV matrix, the greens lose a fifth (Firefox's) to a third (Chromium's). Samples of all pages
    // alternate and are averaged, so the motion evens out.
    const sums = new Map<string, number[]>();
    const rounds = 4;
    for (let i = 0; i < rounds; i++) {
      for (const o of pages) {
        for (const [seen, c] of Object.entries(await pictureColours(o))) {
          const key = seen === 'self' ? `${o.name}:self` : `${o.name}:${seen}`;
          const sum = sums.get(key) ?? [0, 0, 0];
          sums.set(key, sum.map((v, k) => v + c[k]! / rounds));
        }
      }
    }
    const shown = (c: number[]) => `rgb(${c.map((v) => v.toFixed(1)).join(', ')})`;
    for (const viewer of pages) {
      for (const sender of pages.filter((p) => p !== viewer)) {
        const own = sums.get(`${sender.name}:self`)!;
        const seen = sums.get(`${viewer.name}:${sender.name}`)!;
        diag(`${sender.name} (${sender.engine}) own camera ${shown(own)}, at ${viewer.name} (${viewer.engine}) ${shown(seen)}`);
        assert.ok(
          own.every((v, k) => Math.abs(v - seen[k]!) <= 0.1 * 255),
          `${sender.name}'s picture at ${viewer.name} ${shown(seen)} has the colours of ${sender.name}'s camera ${shown(own)}`,
        );
      }
    }

    // The speaking indicator follows each fake microphone's tone (Chromium's beeps, Firefox's steady
    // tone through its capture worklet): every page sees each of the others speak at some moment.
    for (const o of pages) {
      const heard = new Set<string>();
      await until(
        `${o.name} shows each of the others speaking`,
        () =>
          o.page.evaluate(() =>
            [...window.call!.remotes.values()].map((r: { member: { displayName: string }; audioLevel: number }) => [r.member.displayName, r.audioLevel] as const),
          ),
        (levels) => {
          for (const [name, level] of levels) if (level > 0.02) heard.add(name);
          return pages.every((p) => p === o || heard.has(p.name));
        },
      );
    }

    // Alice mutes: once the others see her state, no more audio of hers arrives, while her video goes on.
    await alice.page.evaluate(() => window.call!.setAudioEnabled(false));
    for (const o of [host, bob]) {
      const muted = await until(`${o.name} sees Alice muted`, () => remotes(o), (l) => byName(l, 'Alice')?.audioOn === false);
      const a0 = byName(muted, 'Alice')!;
      const later = await until(`${o.name} keeps getting Alice's video`, () => remotes(o), (l) => byName(l, 'Alice')!.videoChunks >= a0.videoChunks + 8);
      assert.equal(byName(later, 'Alice')!.audioChunks, a0.audioChunks, `${o.name}: no audio from Alice after she muted`);
    }

    // Bob turns his camera off: no more video of his, while his audio goes on.
    await bob.page.evaluate(() => window.call!.setVideoEnabled(false));
    for (const o of [host, alice]) {
      const off = await until(`${o.name} sees Bob's camera off`, () => remotes(o), (l) => byName(l, 'Bob')?.videoOn === false);
      const b0 = byName(off, 'Bob')!;
      const later = await until(`${o.name} keeps getting Bob's audio`, () => remotes(o), (l) => byName(l, 'Bob')!.audioChunks >= b0.audioChunks + 25);
      assert.equal(byName(later, 'Bob')!.videoChunks, b0.videoChunks, `${o.name}: no video from Bob after his camera went off`);
    }

    const samples = await latencySamples(pages);
    diag(
      `${label}: encode→decode latency video p50 ${pct(samples.video, 50).toFixed(1)} ms p99 ${pct(samples.video, 99).toFixed(1)} ms (n=${samples.video.length}); ` +
        `audio p50 ${pct(samples.audio, 50).toFixed(1)} ms p99 ${pct(samples.audio, 99).toFixed(1)} ms (n=${samples.audio.length})`,
    );
    assert.ok(samples.video.length > 0 && samples.audio.length > 0, 'latency was measured');

    // Bob leaves: his tile goes from the others' pages.
    await bob.page.evaluate(() => window.call!.leave());
    for (const o of [host, alice]) {
      const left = await until(`${o.name} drops Bob's tile`, () => remotes(o), (l) => l.length === 1);
      assert.equal(left[0]!.name, o === host ? 'Alice' : 'Host');
      assert.equal(await countOf(o, '#tiles .tile'), 1, `${o.name}: one tile in the DOM`);
    }
    assert.match(await textOf(bob, '#status'), /You left the call/);

    // The host leaves, which ends the meeting: the Media Server closes Alice with 4001; her page
    // says why and does not reconnect (no new token is asked for).
    const aliceTokens = alice.tokenCalls();
    const left = await apiCall(api.app, 'POST', `${meetings}/${room}/leave`, { as: hostEmail });
    assert.equal(left.status, 200);
    await until('Alice is told the meeting ended', () => textOf(alice, '#status'), (t) => t.includes('The meeting has ended.'));
    const state = await alice.page.evaluate(() => window.call!.getSnapshot().connection);
    assert.equal(state.status, 'closed');
    assert.equal(state.code, 4001);
    assert.equal(alice.tokenCalls(), aliceTokens, 'no reconnect after the meeting ended');
    assert.equal(await countOf(alice, '#tiles .tile'), 0, 'the call is torn down');
    for (const o of pages) assert.deepEqual(o.problems, [], `${o.name} (${o.engine}): no uncaught exceptions`);
  } finally {
    for (const o of pages) await o.page.close();
  }
}

describe('a call in Chromium and Firefox through the Media Server', () => {
  test('three pages on one Media Server see and hear each other; mute, camera off and leave reach the others; the end of the meeting stops the call', async (t) => {
    const media = await startMedia(false);
    await threePageCall('one-server', [media, media, media], (m) => t.diagnostic(m));
  });

  test('the same with the pages on two Media Servers joined by NATS', async (t) => {
    const [m1, m2] = [await startMedia(true), await startMedia(true)];
    await threePageCall('two-servers-nats', [m1, m2, m1], (m) => t.diagnostic(m));
  });

  test('a newly joined receiver gets a keyframe on request: with no periodic keyframe, it decodes the sender at once', async () => {
    const media = await startMedia(false);
    const room = `call-keyframe-${randomBytes(3).toString('hex')}`;
    const [hostEmail, aliceEmail] = await admitThree(room);
    // A keyframe every hour: any keyframe after the first is one a receiver asked for.
    const host = await openCall(room, hostEmail!, 'Host', media, 'chromium', '&kfi=3600000');
    let alice: Opened | undefined;
    try {
      const sent = () => host.page.evaluate(() => ({ video: window.call!.sender.stats.videoSent as number, keyframes: window.call!.sender.stats.keyframes as number }));
      const before = await until('the host sends video alone in the room', sent, (s) => s.video > 20);
      alice = await openCall(room, aliceEmail!, 'Alice', media, 'chromium');
      await until("Alice decodes the host's video", () => remotes(alice!), (l) => (byName(l, 'Host')?.videoDecoded ?? 0) > 0);
      const after = await sent();
      assert.ok(after.keyframes > before.keyframes, `a keyframe was sent for Alice (keyframes ${before.keyframes} → ${after.keyframes})`);
      const requests = await alice.page.evaluate(() => [...window.call!.remotes.values()].map((r) => r.stats.keyframeRequests as number));
      assert.ok(requests.some((n) => n > 0), 'Alice asked for it');
    } finally {
      await host.page.close();
      await alice?.page.close();
    }
  });

  test('the socket reconnects with a fresh token after a drop, and stops for good on an enforcement close code', async () => {
    // A stand-in server that closes each connection with the code the test picks.
    let closeWith = 1011;
    let connections = 0;
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => MEDIA_SUBPROTOCOL });
    wss.on('connection', (ws) => {
      connections++;
      setTimeout(() => ws.close(closeWith, 'test'), 50);
    });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const page = await browser.newPage();
    let tokens = 0;
    await page.exposeFunction('getToken', async () => `token-${++tokens}`);
    await page.goto(`${harnessBase}/?autostart=0`);
    try {
      // A string, not a function: tsx would wrap the named arrow in a helper the page does not have.
      await page.evaluate(`(() => {
        const s = new window.MediaSocket({ url: ${JSON.stringify(url)}, getToken: () => window.getToken(), backoffMs: [50] });
        window.s = s;
        s.start();
      })()`);
      await until('three connections after drops', async () => connections, (n) => n >= 3, 30_000);
      assert.ok(tokens >= 3, 'a fresh token for every attempt');
      closeWith = 4001;
      const state = await until(
        'the socket stops on 4001',
        () => page.evaluate(() => (window as unknown as { s: { state: { status: string; reason?: string; code?: number } } }).s.state),
        (s) => s.status === 'closed',
        30_000,
      );
      assert.equal(state.code, 4001);
      assert.equal(state.reason, 'The meeting has ended.');
      const after = connections;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(connections, after, 'no reconnect after an enforcement close code');
    } finally {
      await page.close();
      wss.close();
    }
  });
});
