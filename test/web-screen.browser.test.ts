import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MeetingClient } from 'meeting-client';
import type { Browser, Page } from 'playwright-core';
import type { MediaServer } from '../services/media-server/src/app';
import type { TestApp } from '../services/meeting-api/test/helpers';
import { launchChromium, openPage, screen, screenshotsIn, startWebStack, type WatchedPage, signIn, until } from './browser';

/**
 * The meeting screen as a person expects it, in Chromium with its fake camera and microphone:
 * the pre-join toggles and microphone meter, a knock seen by the host in the call with the
 * people panel closed (toast, count badge, tab title) and admitted from the toast, a whole call
 * at phone width (390×844), a lost camera and its retry, an invalid meeting link. Everything is
 * found by role and accessible name; axe checks every screen.
 */
let api: TestApp;
let media: MediaServer;
let base: string;
let browser: Browser;
const pages: WatchedPage[] = [];

before(async () => {
  screenshotsIn('meeting-screen');
  ({ api, media, base } = await startWebStack());
  browser = await launchChromium({ fakeMedia: true });
});

after(async () => {
  await browser?.close();
  await media?.close();
  await api?.close();
});

async function open(options: { phone?: boolean } = {}): Promise<WatchedPage> {
  const watched = await openPage(browser, options);
  pages.push(watched);
  return watched;
}

/** Something drawn on the remote tile of `identity` (its canvas has a non-black centre). */
function tileDrawn(page: Page, identity: string): Promise<boolean> {
  return page.evaluate<boolean>(`(() => {
    const c = document.querySelector('[data-testid="remote-tile"][data-identity="${identity}"] canvas');
    if (c === null || c.width === 0) return false;
    const d = c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data;
    return d[0] + d[1] + d[2] > 0;
  })()`);
}

test('the meeting screen: pre-join choices, a knock in the call, a call at phone width, a lost camera, a bad link', async (t) => {
  let broken = false;
  const step = (name: string, fn: () => Promise<void>) =>
    t.test(name, { skip: broken ? 'an earlier step failed' : false }, async () => {
      try {
        await fn();
      } catch (err) {
        broken = true;
        throw err;
      }
    });
  const meetingId = 'screen-check';
  const { page: host } = await open();
  const { page: phone } = await open({ phone: true });

  await step('pre-join: preview, microphone meter, mute and camera toggles; the title names the screen', async () => {
    await host.goto(`${base}/`);
    await signIn(host, 'hannah@example.com', 'Hannah Host');
    await host.getByLabel('Meeting id (optional)').fill(meetingId);
    await host.getByRole('button', { name: 'Create and open' }).click();
    await host.getByRole('heading', { level: 1, name: `Join “${meetingId}”` }).waitFor();
    assert.equal(await host.title(), `Join “${meetingId}” · Meetings`);
    // The fake microphone beeps (20 ms every half second): the meter moves. Polled in the page, so
    // no beep is missed between two round trips; the meter itself holds each peak for a moment.
    const meter = await host.getByRole('meter', { name: 'Microphone level' }).elementHandle();
    await host.waitForFunction((m) => (m as unknown as { value: number }).value > 0, meter, { polling: 20 });
    await host.getByText('We hear you').waitFor();
    // Muting stops the meter; the choice carries into the call.
    await host.getByRole('button', { name: 'Mute microphone' }).click();
    await host.getByRole('button', { name: 'Unmute microphone', pressed: true }).waitFor();
    await until('the meter rests while muted', () => host.getByRole('meter', { name: 'Microphone level' }).evaluate((m) => (m as unknown as { value: number }).value), (v) => v === 0);
    await host.getByRole('button', { name: 'Turn camera off' }).click();
    await host.getByRole('button', { name: 'Turn camera on' }).click();
    await screen(host, 'pre-join');
    await host.getByRole('button', { name: 'Start the meeting' }).click();
    await host.getByRole('heading', { level: 1, name: `Meeting “${meetingId}”` }).waitFor();
    await host.getByTestId('media-state').getByText('Connected to the call server.').waitFor();
    // Muted before joining: muted in the call.
    await host.getByRole('group', { name: 'Call controls' }).getByRole('button', { name: 'Unmute', exact: true }).waitFor();
    assert.equal(await host.title(), `Meeting “${meetingId}” · Meetings`);
    await screen(host, 'host-alone-in-call');
  });

  await step('a knock while the host is in the call with the panel closed: toast, badge, title; admitted from the toast', async () => {
    await phone.goto(`${base}/m/${meetingId}`);
    await signIn(phone, 'alice@example.com', 'Alice');
    await phone.getByRole('button', { name: 'Ask to join' }).click();
    await phone.getByRole('heading', { level: 1, name: 'Waiting for the host to let you in' }).waitFor();
    const toasts = host.getByRole('region', { name: 'Knocks' });
    await toasts.getByText('is asking to join').waitFor();
    await toasts.getByText('Alice', { exact: true }).waitFor();
    await host.getByRole('button', { name: /^People/ }).getByText('1').waitFor();
    await until('the tab title counts the knock', () => host.title(), (title) => title === `(1) waiting · Meeting “${meetingId}” · Meetings`);
    assert.equal(await host.getByRole('complementary', { name: 'People' }).count(), 0, 'the people panel is closed');
    await screen(host, 'host-knock-toast');
    await toasts.getByRole('button', { name: 'Admit Alice' }).click();
    await phone.getByRole('heading', { level: 1, name: `Meeting “${meetingId}”` }).waitFor();
    await until('the title is back', () => host.title(), (title) => title === `Meeting “${meetingId}” · Meetings`);
    assert.equal(await host.getByRole('region', { name: 'Knocks' }).count(), 0, 'the toast is gone');
  });

  await step('a call at phone width: each sees the other, named; the people drawer; the self-view is small', async () => {
    await phone.getByTestId('media-state').getByText('Connected to the call server.').waitFor();
    await until('the host is drawn on the phone', () => tileDrawn(phone, 'hannah@example.com'), Boolean);
    await until('Alice is drawn for the host', () => tileDrawn(host, 'alice@example.com'), Boolean);
    await phone.getByRole('figure', { name: 'Hannah Host' }).getByText('host', { exact: true }).waitFor();
    await phone.getByRole('figure', { name: 'Hannah Host' }).getByText('Muted').waitFor();
    assert.equal(await phone.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth'), true, 'no sideways scrolling');
    const sizes = await phone.evaluate<{ self: number; remote: number }>(`({
      self: document.querySelector('[data-testid="self-view"]').closest('figure').getBoundingClientRect().width,
      remote: document.querySelector('[data-testid="remote-tile"]').getBoundingClientRect().width,
    })`);
    assert.ok(sizes.self * 2 < sizes.remote, `the self-view is small beside the other person (${JSON.stringify(sizes)})`);
    const controls = phone.getByRole('group', { name: 'Call controls' });
    const bar = await controls.boundingBox();
    assert.ok(bar !== null && bar.y + bar.height <= 844 && bar.width <= 390, 'the control bar is on screen');
    await screen(phone, 'phone-call');
    await controls.getByRole('button', { name: /^People/ }).click();
    const drawer = phone.getByRole('complementary', { name: 'People' });
    await drawer.getByText('Alice (you)').waitFor();
    await drawer.getByText('Hannah Host', { exact: true }).waitFor();
    await screen(phone, 'phone-people-drawer');
    await drawer.getByRole('button', { name: 'Close the people panel' }).click();
    await controls.getByRole('button', { name: 'Mute', exact: true }).click();
    await host.getByRole('figure', { name: 'Alice' }).getByText('Muted').waitFor();
  });

  await step('a lost camera is said, and "Try again" brings it back', async () => {
    await phone.evaluate(`document.querySelector('[data-testid="self-view"]').srcObject.getVideoTracks()[0].dispatchEvent(new Event('ended'))`);
    const alert = phone.getByRole('alert').filter({ hasText: 'Your camera stopped working' });
    await alert.waitFor();
    await screen(phone, 'phone-camera-lost');
    await alert.getByRole('button', { name: 'Try again' }).click();
    await alert.waitFor({ state: 'detached' });
    await until('the camera plays again', () => phone.evaluate<number>(`document.querySelector('[data-testid="self-view"]')?.videoWidth ?? 0`), (w) => w > 0);
  });

  await step('two knocks: one "Admit all" lets both in', async () => {
    const knock = (email: string, name: string) =>
      new MeetingClient({ baseUrl: base, headers: { cookie: `email=${email}` } }).join(meetingId, { display_name: name });
    await knock('bob@example.com', 'Bob');
    await knock('carol@example.com', 'Carol');
    const toasts = host.getByRole('region', { name: 'Knocks' });
    await toasts.getByRole('button', { name: 'Admit all (2)' }).click();
    await toasts.waitFor({ state: 'detached' });
    await host.getByRole('button', { name: /^People/ }).click();
    await host.getByRole('heading', { name: 'In the meeting (4)' }).waitFor();
    await host.getByText('Nobody is waiting.').waitFor();
    await screen(host, 'host-people-panel');
  });

  await step('the phone leaves; the host ends the meeting for everyone after confirming', async () => {
    await phone.getByRole('group', { name: 'Call controls' }).getByRole('button', { name: 'Leave', exact: true }).click();
    await phone.getByRole('heading', { level: 1, name: 'You left the meeting' }).waitFor();
    assert.equal(await phone.title(), 'You left the meeting · Meetings');
    await host.getByRole('button', { name: 'End meeting for everyone' }).click();
    const dialog = host.getByRole('dialog', { name: 'End the meeting for everyone?' });
    await dialog.waitFor();
    await screen(host, 'confirm-end');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await host.getByRole('heading', { level: 1, name: `Meeting “${meetingId}”` }).waitFor();
    await host.getByRole('button', { name: 'End meeting for everyone' }).click();
    await host.getByRole('dialog').getByRole('button', { name: 'End for everyone' }).click();
    await host.getByRole('heading', { level: 1, name: 'The meeting has ended' }).waitFor();
  });

  await step('an invalid meeting id in the link stops at once with a clear message; Back and Forward follow', async () => {
    await phone.goto(`${base}/m/not%20a%20meeting`);
    await phone.getByRole('heading', { level: 1, name: 'This meeting link is not valid' }).waitFor();
    assert.equal(await phone.getByText('Loading').count(), 0, 'nothing keeps loading');
    await screen(phone, 'bad-link');
    await phone.getByRole('link', { name: 'Go to your meetings' }).click();
    await phone.getByRole('heading', { level: 1, name: 'Your meetings' }).waitFor();
    await phone.goBack();
    await phone.getByRole('heading', { level: 1, name: 'This meeting link is not valid' }).waitFor();
    await phone.goForward();
    await phone.getByRole('heading', { level: 1, name: 'Your meetings' }).waitFor();
  });

  if (broken) return;
  for (const p of pages) assert.deepEqual(p.problems, [], 'no console errors or uncaught exceptions');
});
