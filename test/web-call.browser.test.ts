import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { MediaServer } from '../services/media-server/src/app';
import type { TestApp } from '../services/meeting-api/test/helpers';
import { launchChromium, openPage, screen, screenshotsIn, startWebStack, type WatchedPage, signIn, until, tilePixels, averageColour } from './browser';

/**
 * The call in the web app itself, as a user sees it: Chromium with its fake camera (a moving
 * pattern) and microphone (a tone); the host previews the camera and starts the meeting, an
 * attendee knocks and is admitted, each sees the other's tile moving and in the colours of the
 * sender's own self-view; mute and leave show at the other side. (The three-page and two-server cases are in call-browser.test.ts.)
 */
let api: TestApp;
let media: MediaServer;
let base: string;
let browser: Browser;
const pages: WatchedPage[] = [];

before(async () => {
  screenshotsIn('web-call');
  ({ api, media, base } = await startWebStack());
  browser = await launchChromium({ fakeMedia: true });
});

after(async () => {
  await browser?.close();
  await media?.close();
  await api?.close();
});

async function open(): Promise<Page> {
  const watched = await openPage(browser);
  pages.push(watched);
  return watched.page;
}

test('in the web app: camera preview and device picker, then host and attendee see each other; mute and leave reach the other', async () => {
  const host = await open();
  const alice = await open();
  const meetingId = 'video-call';

  await host.goto(`${base}/`);
  await signIn(host, 'hannah@example.com', 'Hannah Host');
  await host.getByLabel('Meeting id (optional)').fill(meetingId);
  await host.getByRole('button', { name: 'Create and open' }).click();
  await host.getByRole('heading', { level: 1, name: `Join “${meetingId}”` }).waitFor();
  // Pre-join: the camera preview plays and the picker lists the fake devices.
  await until('the preview plays', () => host.evaluate<number>(`document.querySelector('[data-testid="self-view"]')?.videoWidth ?? 0`), (w) => w > 0);
  assert.ok((await host.getByLabel('Camera').locator('option').count()) >= 1, 'cameras listed');
  assert.ok((await host.getByLabel('Microphone').locator('option').count()) >= 1, 'microphones listed');
  await screen(host, 'call-host-preview');
  await host.getByRole('button', { name: 'Start the meeting' }).click();
  await host.getByTestId('media-state').getByText('Connected to the call server.').waitFor();

  await alice.goto(`${base}/m/${meetingId}`);
  await signIn(alice, 'alice@example.com', 'Alice');
  await alice.getByRole('button', { name: 'Ask to join' }).click();
  // The host is in the call with the people panel closed: the knock comes as a toast.
  await host.getByRole('region', { name: 'Knocks' }).getByRole('button', { name: 'Admit Alice' }).click();
  await alice.getByTestId('media-state').getByText('Connected to the call server.').waitFor();

  // Each sees the other's tile, named, with moving pixels.
  for (const [page, other, name] of [
    [host, 'alice@example.com', 'Alice'],
    [alice, 'hannah@example.com', 'Hannah Host'],
  ] as const) {
    const tile = page.locator(`[data-testid="remote-tile"][data-identity="${other}"]`);
    await tile.getByText(name).waitFor();
    const first = await until(`${name}'s video is drawn`, () => tilePixels(page, other), (p) => p !== null);
    await until(`${name}'s video moves`, () => tilePixels(page, other), (p) => p !== null && p !== first);
  }
  await screen(host, 'call-host-with-attendee');

  // The host's picture at Alice's has the colours of the host's self-view (same camera, after
  // VP8 encode, relay and decode). The fake camera draws a turning light-green disc on dark green:
  // green is where a wrong YUV matrix shows most (a BT.709 reading of BT.601 frames takes a third off). Samples alternate between the two pages and are
  // averaged, so the figure's motion evens out.
  const self = [0, 0, 0];
  const remote = [0, 0, 0];
  const rounds = 8;
  for (let i = 0; i < rounds; i++) {
    const s = await averageColour(host, '[data-testid="self-view"]');
    const r = await averageColour(alice, '[data-testid="remote-tile"][data-identity="hannah@example.com"] canvas');
    assert.ok(s !== null && r !== null, 'both pictures are there');
    for (let k = 0; k < 3; k++) {
      self[k]! += s[k]! / rounds;
      remote[k]! += r[k]! / rounds;
    }
    await host.waitForTimeout(150);
  }
  const shown = (c: number[]) => `rgb(${c.map((v) => v.toFixed(1)).join(', ')})`;
  console.log(`average colour: self-view ${shown(self)}, remote tile ${shown(remote)}`);
  assert.ok(self[1]! > 60, `the fake camera's picture is there (${shown(self)})`);
  for (let k = 0; k < 3; k++) {
    assert.ok(Math.abs(self[k]! - remote[k]!) <= 0.1 * 255, `the remote tile ${shown(remote)} has the colours of the self-view ${shown(self)}`);
  }

  // Alice mutes: the host's tile of Alice says so.
  await alice.getByRole('button', { name: 'Mute', exact: true }).click();
  await alice.getByRole('button', { name: 'Unmute', exact: true }).waitFor();
  await host.locator('[data-testid="remote-tile"][data-identity="alice@example.com"]').getByText('muted').waitFor();

  // Alice leaves: her tile goes from the host's call.
  await alice.getByRole('button', { name: 'Leave', exact: true }).click();
  await until('Alice\'s tile is gone', () => host.locator('[data-testid="remote-tile"]').count(), (n) => n === 0);

  for (const p of pages) assert.deepEqual(p.problems, [], 'no console errors or uncaught exceptions');
});
