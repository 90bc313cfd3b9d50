import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildMediaServer, type MediaServer } from '../../services/media-server/src/app';
import { loadConfig as loadMediaConfig } from '../../services/media-server/src/config';
import { call as apiCall, startTestApp, TEST_SECRET, type TestApp } from '../../services/meeting-api/test/helpers';
import { CHROMIUM, CHROMIUM_FLAGS, FAKE_MEDIA_FLAGS, until } from '../browser';
import { serveHarness } from '../harness-server';
import { WebKit, type WebKitPage } from '../webkit';

/**
 * A call between WebKit (WebKitGTK's MiniBrowser with its mock camera and microphone) and Chromium
 * (its fake devices) through the Media Server, on media-client's bare call page: each decodes the
 * other's VP8 video and Opus audio, and each draws a moving picture of the other. WebKit takes the
 * paths Firefox takes (no `MediaStreamTrackProcessor`: frames from a `<video>`, microphone through an
 * `AudioWorklet`). Deadlines only stop a hang; nothing asserts on timing.
 */

const meetings = '/api/v1/meetings';
let api: TestApp;
let media: MediaServer;
let mediaUrl: string;
let harness: Awaited<ReturnType<typeof serveHarness>>;
let browser: Browser;
let webkit: WebKit;

before(async () => {
  api = await startTestApp({ config: { jwtSecret: TEST_SECRET } });
  media = buildMediaServer(loadMediaConfig({ JWT_SECRET: TEST_SECRET, MEDIA_SERVER_PORT: '0', LOG_LEVEL: 'silent' }), { logger: pino({ level: 'silent' }) });
  mediaUrl = `ws://127.0.0.1:${(await media.listen()).port}`;
  harness = await serveHarness();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS, ...FAKE_MEDIA_FLAGS], timeout: 120_000 });
  webkit = await WebKit.launch();
});

after(async () => {
  await browser?.close();
  webkit?.close();
  await harness?.close();
  await media?.close();
  await api?.close();
});

/** What a page's call shows of its one remote: decoded counts and a hash of the tile's pixels. */
const REMOTE = `(() => {
  const c = window.call;
  const r = c && [...c.remotes.values()][0];
  if (!r) return null;
  const d = r.canvas.getContext('2d').getImageData(0, 0, r.canvas.width, r.canvas.height).data;
  let h = 2166136261;
  for (let i = 0; i < d.length; i += 7) h = Math.imul(h ^ d[i], 16777619);
  return { name: r.member.displayName, video: r.stats.videoFramesDecoded, audio: r.stats.audioFramesDecoded, pixels: r.canvas.width + 'x' + r.canvas.height + ':' + (h >>> 0) };
})()`;

type Remote = { name: string; video: number; audio: number; pixels: string } | null;

test('WebKit and Chromium in one call each decode the other\'s video and sound and draw a moving picture', { timeout: 240_000 }, async () => {
  const room = 'webkit-call';
  const host = 'host-webkit@example.com';
  const guest = 'webkit@example.com';
  assert.equal((await apiCall(api.app, 'POST', `${meetings}/${room}/join`, { as: host, body: { display_name: 'Chromium' } })).body.result.status, 'admitted');
  assert.equal((await apiCall(api.app, 'POST', `${meetings}/${room}/join`, { as: guest, body: { display_name: 'WebKit' } })).body.result.status, 'waiting');
  assert.equal((await apiCall(api.app, 'POST', `${meetings}/${room}/admit`, { as: host, body: { email: guest } })).body.result.status, 'admitted');
  const token = async (email: string) => (await apiCall(api.app, 'GET', `${meetings}/${room}/status`, { as: email })).body.result.room_token as string;
  const page = `${harness.base}/?media=${encodeURIComponent(mediaUrl)}&w=320&h=180&fps=8&vbr=150000`;

  const chromiumPage: Page = await (await browser.newContext()).newPage();
  const problems: string[] = [];
  chromiumPage.on('pageerror', (err) => problems.push(err.message));
  await chromiumPage.exposeFunction('getToken', () => token(host));
  await chromiumPage.goto(page);
  // WebDriver classic cannot expose a function: the page gets its token in the address.
  const webkitPage: WebKitPage = await webkit.newPage();
  try {
    await webkitPage.goto(`${page}&token=${encodeURIComponent(await token(guest))}`);
    const seen = { chromium: new Set<string>(), webkit: new Set<string>() };
    const both = async () => {
      const atWebKit = await webkitPage.evaluate<Remote>(REMOTE);
      const atChromium = (await chromiumPage.evaluate(REMOTE)) as Remote;
      if (atWebKit && atWebKit.video > 0) seen.webkit.add(atWebKit.pixels);
      if (atChromium && atChromium.video > 0) seen.chromium.add(atChromium.pixels);
      return { atWebKit, atChromium, pictures: { webkit: seen.webkit.size, chromium: seen.chromium.size } };
    };
    const last = await until(
      'video and sound each way, and several different pictures on each side',
      both,
      (s) =>
        s.atWebKit !== null &&
        s.atChromium !== null &&
        s.atWebKit.video >= 20 &&
        s.atChromium.video >= 20 &&
        s.atWebKit.audio >= 50 &&
        s.atChromium.audio >= 50 &&
        s.pictures.webkit >= 3 &&
        s.pictures.chromium >= 3,
      180_000,
    );
    assert.equal(last.atWebKit?.name, 'Chromium');
    assert.equal(last.atChromium?.name, 'WebKit');
    assert.deepEqual(problems, []);
  } finally {
    await webkitPage.close();
    await chromiumPage.close();
  }
});
