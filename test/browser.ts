/**
 * Real-browser test helpers: Debian's Chromium driven by playwright-core, an
 * axe-core check per screen, screenshots under test-results/web/, and a record
 * of every console error and uncaught exception of the page.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { pino } from 'pino';
import puppeteer, { type Browser as PuppeteerBrowser } from 'puppeteer-core';
import { buildMediaServer, type MediaServer } from '../services/media-server/src/app';
import { loadConfig as loadMediaConfig } from '../services/media-server/src/config';
import { startTestApp, TEST_SECRET, type TestApp } from '../services/meeting-api/test/helpers';

export const REPO = new URL('..', import.meta.url).pathname;
export const WEB_DIST = join(REPO, 'apps/web/dist');
export const SHOTS = join(REPO, 'test-results/web');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags Chromium needs on this machine (closed network, root, no GPU). */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium's fake camera (a moving pattern) and microphone (a tone), granted without a prompt. */
export const FAKE_MEDIA_FLAGS = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** Firefox's fake camera (a colour-cycling picture) and microphone (a tone), granted without a prompt. */
export const FIREFOX_FAKE_MEDIA_PREFS: Record<string, unknown> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
  'media.autoplay.block-webaudio': false,
  // getDisplayMedia without the picker (the fake device answers it too).
  'media.getdisplaymedia.enabled': true,
};

/**
 * Headless Firefox (Debian's firefox-esr) through puppeteer-core over WebDriver BiDi. Playwright
 * drives only its own patched Firefox builds, so Firefox gets this second driver.
 */
export async function launchFirefox(options: { fakeMedia?: boolean } = {}): Promise<PuppeteerBrowser> {
  assert.ok(existsSync(FIREFOX), `Firefox not found at ${FIREFOX} (apt-get install firefox-esr, or set FIREFOX_PATH)`);
  if (options.fakeMedia) ensureSoundServer();
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    timeout: 120_000,
    extraPrefsFirefox: options.fakeMedia ? FIREFOX_FAKE_MEDIA_PREFS : {},
  });
}

/**
 * Firefox runs a Web Audio graph only while an audio output clocks it. On a machine without a sound
 * card its AudioContext stays suspended: the microphone's capture worklet gets no samples and the
 * page sends no sound. A PulseAudio server with its null sink is such an output (a real sound
 * server, nothing of ours): started here when none answers, shared by every Firefox of the run.
 */
export function ensureSoundServer(): void {
  if (soundServerAnswers()) return;
  try {
    // --daemonize returns once the server is ready; two test files starting it at once: one wins.
    execFileSync('pulseaudio', ['--daemonize=yes', '--exit-idle-time=-1', '--log-target=stderr'], { stdio: 'ignore', timeout: 15_000 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      assert.fail('Firefox needs a sound server on a machine without a sound card: apt-get install pulseaudio');
    }
  }
  assert.ok(soundServerAnswers(), 'PulseAudio did not start (pulseaudio --daemonize=yes --exit-idle-time=-1)');
}

function soundServerAnswers(): boolean {
  try {
    execFileSync('pactl', ['info'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** Builds the web app when `npm run build` has not (running this file alone). */
export function ensureWebAppBuilt(): void {
  if (existsSync(join(WEB_DIST, 'index.html'))) return;
  execFileSync(process.execPath, [join(REPO, 'node_modules/vite/bin/vite.js'), 'build', join(REPO, 'apps/web'), '--logLevel', 'warn'], {
    stdio: 'inherit',
  });
}

/** Headless Chromium; Playwright gives it a fresh temporary --user-data-dir. */
export async function launchChromium(options: { fakeMedia?: boolean } = {}): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const args = options.fakeMedia ? [...CHROMIUM_FLAGS, ...FAKE_MEDIA_FLAGS] : CHROMIUM_FLAGS;
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 120_000 });
}

/** A Media Server and a Meeting API serving the built web app, both on free loopback ports. */
export async function startWebStack(webAppDir = WEB_DIST): Promise<{ api: TestApp; media: MediaServer; base: string }> {
  if (webAppDir === WEB_DIST) ensureWebAppBuilt();
  const media = buildMediaServer(loadMediaConfig({ JWT_SECRET: TEST_SECRET, MEDIA_SERVER_PORT: '0', LOG_LEVEL: 'silent' }), {
    logger: pino({ level: 'silent' }),
  });
  const { port: mediaPort } = await media.listen();
  const api = await startTestApp({
    config: { jwtSecret: TEST_SECRET, webAppDir, mediaServerPublicUrl: `ws://127.0.0.1:${mediaPort}` },
  });
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const address = api.app.server.address();
  return { api, media, base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions, except the expected answers of feature probes. */
  problems: string[];
  /** A step that provokes an error answer on purpose declares it, so its browser log line is not a fault. */
  expectFailure(status: number, path: RegExp): void;
}

/**
 * Chromium logs every non-2xx fetch as a console error ("Failed to load resource").
 * The app asks a few questions whose "no" is a 401/404 on purpose: is anyone signed
 * in (`/session`), does this server have sign-in or live events. Those are not faults.
 */
const EXPECTED_PROBES = [/\/session$/, /\/login$/, /\/api\/v1\/meetings\/[^/]+\/events$/];

export async function openPage(browser: Browser, options: { phone?: boolean } = {}): Promise<WatchedPage> {
  const context = await browser.newContext(
    options.phone
      ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true }
      : { viewport: { width: 1280, height: 900 } },
  );
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const problems: string[] = [];
  const expected: Array<{ status: number; path: RegExp }> = [];
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location().url ?? '';
    const text = msg.text();
    const path = new URL(url || 'about:blank').pathname;
    // Chromium's MediaStreamTrackProcessor drops the frames still queued in its stream when the app
    // cancels the reader (camera switched, lost or retried) and reports them as garbage-collected;
    // every frame the app itself reads, encodes or decodes is closed (media-client).
    if (text.startsWith('A VideoFrame was garbage collected without being closed')) return;
    if (text.startsWith('Failed to load resource')) {
      if (EXPECTED_PROBES.some((re) => re.test(path))) return;
      if (expected.some((e) => e.path.test(path) && text.includes(`status of ${e.status} `))) return;
    }
    problems.push(`console: ${text} (${url})`);
  });
  page.on('dialog', (dialog) => void dialog.accept());
  return { page, context, problems, expectFailure: (status, path) => expected.push({ status, path }) };
}

/** axe-core on the current screen (WCAG 2.1 A/AA): no violations at all. */
export async function checkAccessibility(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const found = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`,
  );
  assert.deepEqual(found, [], `accessibility violations on "${screen}"`);
}

let shotNumber = 0;
let shotFolder = SHOTS;
/** Screenshots of this test file go to `test-results/web/<name>/`. */
export function screenshotsIn(name: string): void {
  shotFolder = join(SHOTS, name);
}

/** A full-page screenshot named after the step, and the axe check of that screen. */
export async function screen(page: Page, name: string): Promise<void> {
  mkdirSync(shotFolder, { recursive: true });
  shotNumber += 1;
  await page.screenshot({ path: join(shotFolder, `${String(shotNumber).padStart(2, '0')}-${name}.png`), fullPage: true });
  await checkAccessibility(page, name);
}

/** The development sign-in form: email and display name. */
export async function signIn(page: Page, email: string, name: string): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Display name (optional)').fill(name);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A hash of the pixels of the remote tile of `identity`, sampled in the page or frame. */
export function tilePixels(target: Page | Frame, identity: string): Promise<string | null> {
  // A string: this file has no DOM types.
  return target.evaluate<string | null>(`(() => {
    const canvas = document.querySelector('[data-testid="remote-tile"][data-identity="${identity}"] canvas');
    if (canvas === null) return null;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let h = 2166136261;
    for (let i = 0; i < data.length; i += 7) h = Math.imul(h ^ data[i], 16777619);
    return canvas.width + 'x' + canvas.height + ':' + (h >>> 0);
  })()`);
}

/**
 * The average colour [r, g, b] (0–255) of a `<video>` or `<canvas>` found by `selector`, drawn
 * scaled onto a small canvas the way the page itself would paint it; null when there is none.
 */
export function averageColour(target: Page | Frame, selector: string): Promise<[number, number, number] | null> {
  return target.evaluate<[number, number, number] | null>(`(() => {
    const el = document.querySelector(${JSON.stringify(selector)});
    if (el === null || (el.videoWidth ?? el.width) === 0) return null;
    const c = document.createElement('canvas');
    c.width = 64;
    c.height = 36;
    const g = c.getContext('2d');
    g.drawImage(el, 0, 0, c.width, c.height);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const sum = [0, 0, 0];
    for (let i = 0; i < d.length; i += 4) for (let k = 0; k < 3; k++) sum[k] += d[i + k];
    return sum.map((v) => v / (d.length / 4));
  })()`);
}

/** Polls `probe` until `ok` holds (every 250 ms, at most `ms`); the error names the last value seen. */
export async function until<T>(label: string, probe: () => Promise<T>, ok: (v: T) => boolean, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${label}; last seen ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A hash of the pixels of the canvas under `selector`, sampled in the page (a Playwright or a
 * Puppeteer page: both evaluate a string), or null while there is none.
 */
export function canvasPixels(target: { evaluate(js: string): Promise<unknown> }, selector: string): Promise<string | null> {
  return target.evaluate(`(() => {
    const canvas = document.querySelector(${JSON.stringify(selector)});
    if (canvas === null) return null;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let h = 2166136261;
    for (let i = 0; i < data.length; i += 7) h = Math.imul(h ^ data[i], 16777619);
    return canvas.width + 'x' + canvas.height + ':' + (h >>> 0);
  })()`) as Promise<string | null>;
}
