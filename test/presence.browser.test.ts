import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { buildMediaServer, type MediaServer } from '../services/media-server/src/app';
import { loadConfig as loadMediaConfig } from '../services/media-server/src/config';
import { createFeedEnforcement } from '../services/media-server/src/enforcement/feed-enforcement';
import { createPresenceReporter } from '../services/media-server/src/presence/presence-reporter';
import { freePort } from '../services/media-server/test/helpers';
import { startTestApp, TEST_SECRET, type TestApp } from '../services/meeting-api/test/helpers';
import { ensureWebAppBuilt, launchChromium, openPage, screen, screenshotsIn, WEB_DIST, type WatchedPage, signIn } from './browser';

/**
 * Presence in the web app: an attendee who closes the tab (no Leave) shows as not connected
 * in the host's participant list at once, then disappears from it once AUTO_LEAVE_AFTER_SECS
 * have passed (real Chromium, Meeting API, and a Media Server reporting presence to it).
 */
const AUTO_LEAVE_SECS = 8;
let api: TestApp;
let media: MediaServer;
let base: string;
let browser: Browser;
const pages: WatchedPage[] = [];

before(async () => {
  screenshotsIn('presence');
  ensureWebAppBuilt();
  const mediaPort = await freePort();
  api = await startTestApp({
    config: { jwtSecret: TEST_SECRET, webAppDir: WEB_DIST, mediaServerPublicUrl: `ws://127.0.0.1:${mediaPort}`, autoLeaveAfterSecs: AUTO_LEAVE_SECS },
  });
  base = await api.app.listen({ port: 0, host: '127.0.0.1' });
  const logger = pino({ level: 'silent' });
  media = buildMediaServer(loadMediaConfig({ JWT_SECRET: TEST_SECRET, MEDIA_SERVER_PORT: String(mediaPort), LOG_LEVEL: 'silent' }), {
    logger,
    instanceId: 'browser-presence',
    enforcement: createFeedEnforcement({ apiUrl: base, jwtSecret: TEST_SECRET, logger }),
    presence: createPresenceReporter({ apiUrl: base, jwtSecret: TEST_SECRET, instanceId: 'browser-presence', leaseSecs: 2, logger }),
  });
  await media.listen();
  browser = await launchChromium({ fakeMedia: true });
});

after(async () => {
  await browser?.close();
  await media?.close();
  await api?.close();
});

async function open(): Promise<WatchedPage> {
  const watched = await openPage(browser);
  pages.push(watched);
  return watched;
}

async function until<T>(label: string, probe: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${label}; last seen ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('an attendee who closes the tab shows as not connected, then leaves the host\'s list after the window', async () => {
  const host = await open();
  const alice = await open();
  const meetingId = 'presence-tab';

  await host.page.goto(`${base}/`);
  await signIn(host.page, 'hannah@example.com', 'Hannah Host');
  await host.page.getByLabel('Meeting id (optional)').fill(meetingId);
  await host.page.getByRole('button', { name: 'Create and open' }).click();
  await host.page.getByRole('button', { name: 'Start the meeting' }).click();
  await host.page.getByTestId('media-state').getByText('Connected to the call server.').waitFor();

  await alice.page.goto(`${base}/m/${meetingId}`);
  await signIn(alice.page, 'alice@example.com', 'Alice');
  await alice.page.getByRole('button', { name: 'Ask to join' }).click();
  await host.page.getByRole('button', { name: 'Admit Alice' }).click();
  await alice.page.getByTestId('media-state').getByText('Connected to the call server.').waitFor();
  // Who is in is listed in the people panel.
  await host.page.getByRole('button', { name: /^People/ }).click();

  const aliceRow = host.page.locator('[data-testid="participants"] li[data-email="alice@example.com"]');
  const hostRow = host.page.locator('[data-testid="participants"] li[data-email="hannah@example.com"]');
  await until('Alice shows as connected', () => aliceRow.getAttribute('data-connected'), (v) => v === 'true');
  await until('the host shows as connected', () => hostRow.getAttribute('data-connected'), (v) => v === 'true');
  await screen(host.page, 'presence-both-connected');

  // The tab goes away without Leave.
  const closedAt = Date.now();
  await alice.context.close();
  pages.splice(pages.indexOf(alice), 1);
  // Read without waiting for the row (a loaded machine may take long enough for it to go already).
  const aliceState = () => aliceRow.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-connected')).join(','));
  await until('Alice shows as not connected', aliceState, (v) => v === 'false');
  const shownDisconnected = Date.now() - closedAt;
  await until('Alice is gone from the list', () => aliceRow.count(), (n) => n === 0);
  const gone = Date.now() - closedAt;
  console.log(`# tab closed → shown not connected: ${shownDisconnected} ms; → gone from the host's list: ${gone} ms (window ${AUTO_LEAVE_SECS} s)`);
  assert.ok(gone >= AUTO_LEAVE_SECS * 1000, 'not before the window');
  await host.page.getByRole('heading', { name: 'In the meeting (1)' }).waitFor();
  await screen(host.page, 'presence-ghost-gone');
  assert.equal(await hostRow.getAttribute('data-connected'), 'true', 'the host is still in');

  for (const p of pages) assert.deepEqual(p.problems, [], 'no console errors or uncaught exceptions');
});
