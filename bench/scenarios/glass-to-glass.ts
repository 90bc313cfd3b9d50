import { chromium, type Browser } from 'playwright-core';
import type { Browser as PuppeteerBrowser } from 'puppeteer-core';
import { CHROMIUM, CHROMIUM_FLAGS, FAKE_MEDIA_FLAGS, launchFirefox } from '../../test/browser';
import { ApiClient } from '../lib/api-client';
import { GLASS_TO_GLASS_P99_TARGET_MS, GLASS_TO_GLASS_PAIRS } from '../lib/constants';
import { serveHarness } from '../../test/harness-server';
import { round1 } from '../lib/limit-measure';
import { percentile } from '../lib/stats';
import type { BenchContext } from './context';
import { email } from './fixtures';

/**
 * Glass-to-glass latency per browser pair: a sender page's fake camera to a receiver page's video
 * decoder, through the Media Server, in real Chromium and Firefox on this machine. Each frame is
 * stamped when the sender reads it from the camera track (just before the encoder) and when the
 * receiver's decoder gives it back (just before it is drawn); both pages read the same machine clock
 * (`performance.timeOrigin + performance.now()`), and a frame is matched by its timestamp, which the
 * encoder, the wire and the decoder keep. Not counted: the camera's own delay before the browser
 * has the frame, and the wait for the screen's next refresh after drawing.
 */

type Engine = 'chromium' | 'firefox';

/** The web app's own sending settings (media-client's defaults). */
const VIDEO = { w: 640, h: 360, fps: 15, vbr: 600_000 };
/** Decoded frames discarded after the first one: the start (first keyframe, decoder set-up, ramp-up). */
const WARMUP_MS = 3_000;

/** What both drivers' pages offer here (Playwright and Puppeteer alike); evaluated code is a string, as the bench has no DOM types. */
interface BenchPage {
  evaluate(expression: string): Promise<unknown>;
  exposeFunction(name: string, fn: () => Promise<string | null>): Promise<unknown>;
  goto(url: string): Promise<unknown>;
  close(): Promise<void>;
}

interface Browsers {
  chromium: Browser;
  /** One Firefox per page: a second tab of one Firefox is a background tab, and its timers (the camera pacing) slow to once a second. */
  firefox: PuppeteerBrowser[];
}

async function openPage(browsers: Browsers, engine: Engine): Promise<BenchPage> {
  if (engine === 'chromium') {
    const context = await browsers.chromium.newContext();
    return (await context.newPage()) as unknown as BenchPage;
  }
  const firefox = await launchFirefox({ fakeMedia: true });
  browsers.firefox.push(firefox);
  return (await firefox.newPage()) as unknown as BenchPage;
}

type FrameLog = { captured: Array<[number, number]>; decoded: Array<[string, number, number, number | null]> };

function frameLog(page: BenchPage): Promise<FrameLog> {
  return page.evaluate('window.frameLog') as Promise<FrameLog>;
}

async function waitFor(label: string, probe: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const sortedOf = (xs: number[]) => xs.sort((a, b) => a - b);

async function measurePair(ctx: BenchContext, browsers: Browsers, harness: string, sender: Engine, receiver: Engine, frames: number): Promise<void> {
  const api = new ApiClient((await ctx.api()).url);
  const media = await ctx.media();
  const room = `bench-g2g-${sender}-${receiver}`;
  const who = { sender: email(`g2g-send-${sender}-${receiver}`), receiver: email(`g2g-recv-${sender}-${receiver}`) };
  await api.expect(201, 'POST', '/api/v1/meetings', who.sender, { meeting_id: room });
  await api.expect(200, 'POST', `/api/v1/meetings/${room}/join`, who.sender, { display_name: `Sender (${sender})` });
  await api.expect(200, 'POST', `/api/v1/meetings/${room}/join`, who.receiver, { display_name: `Receiver (${receiver})` });
  await api.expect(200, 'POST', `/api/v1/meetings/${room}/admit`, who.sender, { email: who.receiver });

  const url = `${harness}/?media=${encodeURIComponent(`ws://127.0.0.1:${media.port}`)}&w=${VIDEO.w}&h=${VIDEO.h}&fps=${VIDEO.fps}&vbr=${VIDEO.vbr}&trace=1`;
  const open = async (engine: Engine, who: string) => {
    const page = await openPage(browsers, engine);
    await page.exposeFunction('getToken', async () => {
      const status = await api.expect<{ room_token: string | null }>(200, 'GET', `/api/v1/meetings/${room}/status`, who);
      return status.room_token;
    });
    await page.goto(url);
    return page;
  };
  const tx = await open(sender, who.sender);
  const rx = await open(receiver, who.receiver);
  try {
    // One way only: the receiver sends nothing, so each page does one job.
    const joined = (page: BenchPage) => async () => (await page.evaluate(`window.call?.getSnapshot().connection.status ?? ''`)) === 'open';
    await waitFor('both pages to join', async () => (await joined(tx)()) && (await joined(rx)()), 60_000);
    await rx.evaluate('window.call.setVideoEnabled(false); window.call.setAudioEnabled(false)');
    await waitFor('the first decoded frame', async () => ((await frameLog(rx)).decoded.length ?? 0) > 0, 60_000);
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const from = Number(await rx.evaluate('performance.timeOrigin + performance.now()'));
    const decodedSince = async () => (await frameLog(rx)).decoded.filter(([, , at]) => at >= from).length;
    const t0 = Date.now();
    await waitFor(`${frames} decoded frames`, async () => (await decodedSince()) >= frames, (frames / VIDEO.fps) * 1000 * 4 + 30_000);
    const seconds = (Date.now() - t0) / 1000;

    const captured = new Map((await frameLog(tx)).captured);
    const decoded = (await frameLog(rx)).decoded.filter(([, , at]) => at >= from).slice(0, frames);
    const total: number[] = [];
    const encode: number[] = [];
    const transit: number[] = [];
    for (const [, timestamp, at, sentAt] of decoded) {
      const capturedAt = captured.get(timestamp);
      if (capturedAt === undefined) continue;
      total.push(at - capturedAt);
      if (sentAt !== null) {
        encode.push(sentAt - capturedAt);
        transit.push(at - sentAt);
      }
    }
    if (total.length < frames / 2) throw new Error(`${sender}→${receiver}: only ${total.length} of ${decoded.length} decoded frames matched a captured one`);
    // Frames the sender encoded in the measured span that never came out of the receiver's decoder.
    const lastDecodedAt = decoded.at(-1)?.[2] ?? from;
    const decodedStamps = new Set(decoded.map(([, ts]) => ts));
    const firstCapture = Math.min(...decoded.map(([, ts]) => captured.get(ts) ?? Number.POSITIVE_INFINITY));
    const lost = [...captured].filter(([ts, at]) => at >= firstCapture && at <= lastDecodedAt - 1000 && !decodedStamps.has(ts)).length;
    sortedOf(total);
    sortedOf(encode);
    sortedOf(transit);
    const p99 = round1(percentile(total, 99));
    ctx.record(`glass-to-glass ${sender}→${receiver}`, {
      rate: round1(decoded.length / seconds),
      p50_ms: round1(percentile(total, 50)),
      p99_ms: p99,
      errors: 0,
      frames: total.length,
      not_decoded: lost,
      encode_p50_ms: round1(percentile(encode, 50)),
      relay_decode_p50_ms: round1(percentile(transit, 50)),
      max_ms: round1(total.at(-1) ?? Number.NaN),
      limit: `target p99 ${GLASS_TO_GLASS_P99_TARGET_MS} ms`,
      ratio: Math.round((p99 / GLASS_TO_GLASS_P99_TARGET_MS) * 100) / 100,
      video: `${VIDEO.w}x${VIDEO.h} ${VIDEO.fps} fps VP8 ${VIDEO.vbr / 1000} kbit/s`,
    });
  } finally {
    await tx.close().catch(() => {});
    await rx.close().catch(() => {});
  }
}

/** Every pair in turn, each in a room of its own; ~200 frames per pair (100 with --quick). */
export async function glassToGlass(ctx: BenchContext): Promise<void> {
  const harness = await serveHarness();
  const browsers: Browsers = {
    chromium: await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS, ...FAKE_MEDIA_FLAGS], timeout: 120_000 }),
    firefox: [],
  };
  const failed: string[] = [];
  try {
    for (const [sender, receiver] of GLASS_TO_GLASS_PAIRS) {
      // One pair failing (a browser that will not start) still lets the others be measured.
      await measurePair(ctx, browsers, harness.base, sender, receiver, ctx.settings.quick ? 100 : 200).catch((err: Error) => {
        failed.push(`${sender}→${receiver}: ${err.message}`);
        console.error(`  glass-to-glass ${sender}→${receiver} failed: ${err.message}`);
      });
      await Promise.all(browsers.firefox.splice(0).map((b) => b.close()));
    }
  } finally {
    await browsers.chromium.close();
    await Promise.all(browsers.firefox.map((b) => b.close()));
    await harness.close();
  }
  if (failed.length > 0) throw new Error(failed.join('; '));
}
