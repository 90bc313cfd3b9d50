import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { constants as osConstants, setPriority } from 'node:os';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { buildMediaServer, type MediaServer } from '../services/media-server/src/app';
import { loadConfig as loadMediaConfig } from '../services/media-server/src/config';
import { startTestApp, TEST_SECRET, type TestApp } from '../services/meeting-api/test/helpers';
import { ensureWebAppBuilt, WEB_DIST, launchChromium, openPage, screen, screenshotsIn, signIn, tilePixels, until, type WatchedPage } from './browser';

/**
 * Adapting to the link, in the web app: the host's uplink to the Media Server is throttled by a
 * small TCP proxy in front of it (Chromium's DevTools network emulation does not apply to
 * WebSockets). The host's page steps its video down and says "Poor connection" on its self-view,
 * the attendee's tile of the host says so too and keeps moving; once the throttle is lifted the
 * host climbs back to full quality and both hints go. Every wait is a condition poll.
 */

/**
 * Forwards TCP to `target`. The client → server direction of connections whose WebSocket upgrade
 * carries a room token for `throttled` (its `sub`) is paced at `bytesPerSec`: slices leave every
 * 50 ms, and the client is not read while more than a few slices wait (so the browser's own socket
 * backs up, as on a slow uplink).
 */
class ThrottlingProxy {
  throttled: string | null = null;
  bytesPerSec = 0;
  /** Bytes forwarded from each identity's connections to the server. */
  readonly forwarded = new Map<string, number>();
  readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: number) {
    this.server = createServer((client) => this.accept(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    upstream.pipe(client);
    let identity: string | null = null;
    let first = true;
    const queue: Buffer[] = [];
    let queued = 0;
    const pump = setInterval(() => {
      const limited = identity !== null && identity === this.throttled && this.bytesPerSec > 0;
      let budget = limited ? this.bytesPerSec / 20 : Number.POSITIVE_INFINITY;
      while (queue.length > 0 && budget > 0) {
        const head = queue[0]!;
        const n = Math.min(head.length, budget);
        upstream.write(head.subarray(0, n));
        if (identity !== null) this.forwarded.set(identity, (this.forwarded.get(identity) ?? 0) + n);
        budget -= n;
        queued -= n;
        if (n === head.length) queue.shift();
        else queue[0] = head.subarray(n);
      }
      if (queued < 8 * 1024 && client.isPaused()) client.resume();
    }, 50);
    client.on('data', (chunk: Buffer) => {
      if (first) {
        first = false;
        identity = tokenSubject(chunk.toString('latin1'));
      }
      queue.push(chunk);
      queued += chunk.length;
      if (queued >= 8 * 1024) client.pause();
    });
    const end = () => {
      clearInterval(pump);
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  }
}

/** The `sub` of the room token in a WebSocket upgrade request (`GET /lobby?token=…`), or null. */
function tokenSubject(request: string): string | null {
  const token = /[?&]token=([^&\s]+)/.exec(request)?.[1];
  const payload = token === undefined ? undefined : decodeURIComponent(token).split('.')[1];
  if (payload === undefined) return null;
  try {
    return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: string }).sub ?? null;
  } catch {
    return null;
  }
}

let api: TestApp;
let media: MediaServer;
let proxy: ThrottlingProxy;
let base: string;
let browser: Browser;
const pages: WatchedPage[] = [];

/**
 * What this test varies is the link, so the machine's CPU must not be a second variable: on two
 * cores shared with another suite (load 10–20), the pages, the proxy and the Media Server were late
 * by themselves often enough that the host never collected ten good seconds after the throttle was
 * lifted. This process (the services and the proxy run in it) and the Chromium it starts run at a
 * higher priority than the rest of the machine; where that is not allowed (not root), at the
 * normal one.
 */
function preferThisTest(): void {
  try {
    setPriority(0, osConstants.priority.PRIORITY_HIGH);
  } catch {
    // Not permitted: the test still runs, only less shielded from other load.
  }
}

before(async () => {
  preferThisTest();
  screenshotsIn('adaptive-link');
  ensureWebAppBuilt();
  media = buildMediaServer(loadMediaConfig({ JWT_SECRET: TEST_SECRET, MEDIA_SERVER_PORT: '0', LOG_LEVEL: 'silent' }), { logger: pino({ level: 'silent' }) });
  const { port: mediaPort } = await media.listen();
  proxy = new ThrottlingProxy(mediaPort);
  const proxyPort = await proxy.listen();
  // Every page reaches the Media Server through the proxy; only the throttled identity is slowed.
  api = await startTestApp({ config: { jwtSecret: TEST_SECRET, webAppDir: WEB_DIST, mediaServerPublicUrl: `ws://127.0.0.1:${proxyPort}` } });
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const address = api.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await launchChromium({ fakeMedia: true });
});

after(async () => {
  await browser?.close();
  await proxy?.close();
  await media?.close();
  await api?.close();
});

async function open(): Promise<Page> {
  const watched = await openPage(browser);
  pages.push(watched);
  return watched.page;
}

const qualityStep = (page: Page) => page.evaluate<number>(`Number(document.querySelector('[data-testid="self-tile"]')?.dataset.qualityStep ?? -1)`);
const poorBadges = (page: Page, scope: string) => page.locator(`${scope} [data-testid="poor-connection"]`).count();
const HOST_TILE = '[data-testid="remote-tile"][data-identity="hannah@example.com"]';

test('a throttled uplink: the sender steps down and shows "Poor connection", the receiver keeps getting its video and shows the hint too; both recover when the link does', async (t) => {
  // What the host sent, for the record (kbit/s since the previous mark).
  let mark = { bytes: 0, at: Date.now() };
  const host = await open();
  const alice = await open();
  const meetingId = 'slow-link';

  await host.goto(`${base}/`);
  await signIn(host, 'hannah@example.com', 'Hannah Host');
  await host.getByLabel('Meeting id (optional)').fill(meetingId);
  await host.getByRole('button', { name: 'Create and open' }).click();
  await host.getByRole('button', { name: 'Start the meeting' }).click();
  await host.getByTestId('media-state').getByText('Connected to the call server.').waitFor();
  await alice.goto(`${base}/m/${meetingId}`);
  await signIn(alice, 'alice@example.com', 'Alice');
  await alice.getByRole('button', { name: 'Ask to join' }).click();
  await host.getByRole('region', { name: 'Knocks' }).getByRole('button', { name: 'Admit Alice' }).click();
  await alice.getByTestId('media-state').getByText('Connected to the call server.').waitFor();

  // A healthy link: full quality, no hint anywhere, the host's video moves at Alice's.
  const first = await until("the host's video is drawn at Alice's", () => tilePixels(alice, 'hannah@example.com'), (p) => p !== null);
  await until("the host's video moves at Alice's", () => tilePixels(alice, 'hannah@example.com'), (p) => p !== null && p !== first);
  // (Polled: on a loaded machine a slow start may step down once, and then climbs back.)
  await until('full quality on a healthy link', () => qualityStep(host), (s) => s === 0);
  await until('no hint on the host', () => poorBadges(host, '[data-testid="self-tile"]'), (n) => n === 0);
  await until("no hint on Alice's tile of the host", () => poorBadges(alice, HOST_TILE), (n) => n === 0);
  const sentSinceMark = (label: string) => {
    const now = { bytes: proxy.forwarded.get('hannah@example.com') ?? 0, at: Date.now() };
    t.diagnostic(`${label}: the host sent ${(((now.bytes - mark.bytes) * 8) / (now.at - mark.at)).toFixed(0)} kbit/s`);
    mark = now;
  };
  sentSinceMark('healthy link');

  // The host's uplink drops to 64 kbit/s. Chromium's fake camera is easy to encode: at full quality the
  // host sends about 110 kbit/s with its sound, well below the 632k asked for, and at the lowest rung
  // about half; 64k is between the two.
  proxy.throttled = 'hannah@example.com';
  proxy.bytesPerSec = 8_000;
  await until('the host steps down', () => qualityStep(host), (s) => s >= 1);
  await host.locator('[data-testid="self-tile"] [data-testid="poor-connection"]').getByText('Poor connection').waitFor();
  await alice.locator(`${HOST_TILE} [data-testid="poor-connection"]`).getByText('Poor connection').waitFor();
  await screen(alice, 'receiver-sees-poor-connection');
  // Alice still gets the host's video, smaller: the picture keeps changing.
  let seen = await tilePixels(alice, 'hannah@example.com');
  for (let i = 0; i < 3; i++) {
    const before = seen;
    seen = await until("the host's video keeps moving at Alice's while throttled", () => tilePixels(alice, 'hannah@example.com'), (p) => p !== null && p !== before);
  }
  await until('the host is at the lowest rung', () => qualityStep(host), (s) => s === 2);
  await screen(host, 'sender-poor-connection');

  // The throttle is lifted: the host climbs back, one rung per ten good seconds, and the hints go.
  sentSinceMark('throttled to 64 kbit/s');
  proxy.bytesPerSec = 0;
  await until('the host is back at full quality', () => qualityStep(host), (s) => s === 0, 120_000);
  await until('no hint on the host', () => poorBadges(host, '[data-testid="self-tile"]'), (n) => n === 0);
  await until("no hint on Alice's tile of the host", () => poorBadges(alice, HOST_TILE), (n) => n === 0);
  const back = await tilePixels(alice, 'hannah@example.com');
  await until("the host's video moves at Alice's after recovery", () => tilePixels(alice, 'hannah@example.com'), (p) => p !== null && p !== back);

  sentSinceMark('recovering');
  for (const p of pages) assert.deepEqual(p.problems, [], 'no console errors or uncaught exceptions');
});
