import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MeetingClient } from 'meeting-client';
import type { Browser, Page } from 'playwright-core';
import type { MediaServer } from '../services/media-server/src/app';
import type { TestApp } from '../services/meeting-api/test/helpers';
import { launchChromium, openPage, screen, screenshotsIn, startWebStack, type WatchedPage, signIn } from './browser';

/**
 * The product in a real browser: a host and attendees in separate browser
 * contexts (separate cookies), against a Meeting API serving the built app and
 * a Media Server, both on free ports. Every screen is screenshotted and checked
 * with axe-core; no page may log an error.
 */
let api: TestApp;
let media: MediaServer;
let base: string;
let browser: Browser;
const pages: WatchedPage[] = [];
/** Which parts of the extensions this API has (they land in parallel): the test covers what is there. */
const landed = { events: false, signIn: false };

before(async () => {
  screenshotsIn('flow');
  ({ api, media, base } = await startWebStack());
  browser = await launchChromium();
  const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
  landed.events = '/api/v1/meetings/{meeting_id}/events' in openapi.paths;
  const session = await fetch(`${base}/session`);
  landed.signIn = !(session.status === 404 && ((await session.json()) as { result: { code: string } }).result.code === 'NOT_FOUND');
});

after(async () => {
  await browser?.close();
  await media?.close();
  await api?.close();
});

async function open(options: { phone?: boolean } = {}): Promise<Page> {
  const watched = await openPage(browser, options);
  pages.push(watched);
  return watched.page;
}

function watched(page: Page): WatchedPage {
  return pages.find((p) => p.page === page)!;
}

/** Counts AudioContexts (the knock chime) and records notifications, with notifications allowed. */
const KNOCK_RECORDER = `
  window.__knockSounds = 0;
  window.__notifications = [];
  const RealAudioContext = window.AudioContext;
  window.AudioContext = class extends RealAudioContext {
    constructor(...args) { super(...args); window.__knockSounds += 1; }
  };
  // Desktop notifications are for a hidden tab: the test says when the tab is hidden.
  window.__hidden = false;
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => window.__hidden === true });
  function RecordingNotification(title) { window.__notifications.push(title); }
  RecordingNotification.permission = 'granted';
  RecordingNotification.requestPermission = () => Promise.resolve('granted');
  window.Notification = RecordingNotification;
`;

function heading(page: Page, name: string | RegExp) {
  return page.getByRole('heading', { level: 1, name });
}

test('host and attendees in the browser: sign in, create, share, knock, admit, reject, end', async (t) => {
  // Steps build on each other: after a failure the rest are skipped (the failure is what to read).
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
  const host = await open();
  const alice = await open({ phone: true });
  const bob = await open();
  let link = '';
  const meetingId = 'team-sync';

  await step('the host signs in and sees an empty list of meetings', async () => {
    // Record the knock chime (an AudioContext) and notifications (allowed) as the page makes them.
    await host.addInitScript(KNOCK_RECORDER);
    await host.goto(`${base}/`);
    await heading(host, 'Sign in').waitFor();
    await screen(host, 'sign-in');
    await signIn(host, 'hannah@example.com', 'Hannah Host');
    await heading(host, 'Your meetings').waitFor();
    await host.getByText('No meetings yet').waitFor();
    await screen(host, 'home-empty');
  });

  await step('the host creates a meeting and starts it; the call server connection opens', async () => {
    await host.getByLabel('Meeting id (optional)').fill(meetingId);
    await host.getByRole('button', { name: 'Create and open' }).click();
    await heading(host, `Join “${meetingId}”`).waitFor();
    assert.equal(new URL(host.url()).pathname, `/m/${meetingId}`);
    await screen(host, 'host-pre-join');
    await host.getByRole('button', { name: 'Start the meeting' }).click();
    await heading(host, `Meeting “${meetingId}”`).waitFor();
    await host.getByTestId('media-state').getByText('Connected to the call server.').waitFor();
    // The people panel opens from the control bar.
    await host.getByRole('button', { name: /^People/ }).click();
    await host.getByTestId('participants').getByText('Hannah Host (you)').waitFor();
    link = await host.getByLabel('Invite link').inputValue();
    assert.equal(link, `${base}/m/${meetingId}`);
    // Share: "Copy link" puts it on the clipboard and says so. (Granting replaces the
    // permission set, so camera and microphone stay granted for the call.)
    await watched(host).context.grantPermissions(['clipboard-read', 'clipboard-write', 'camera', 'microphone'], { origin: base });
    await host.getByRole('button', { name: 'Copy link' }).click();
    await host.getByText('Link copied.').waitFor();
    assert.equal(await host.evaluate<string>('navigator.clipboard.readText()'), link);
    await host.getByText('Nobody is waiting.').waitFor();
    // Live events where the route exists; the page says how it stays current either way.
    await host.getByText(landed.events ? 'Live updates: on.' : 'Live updates: checking every few seconds.').waitFor();
    await screen(host, 'host-in-meeting');
  });

  await step('the attendee opens the shared link on a phone, signs in and lands back on the meeting', async () => {
    await alice.goto(link);
    await heading(alice, 'Sign in to join the meeting').waitFor();
    await screen(alice, 'attendee-sign-in-from-link');
    await signIn(alice, 'alice@example.com', 'Alice');
    await heading(alice, `Join “${meetingId}”`).waitFor();
    assert.equal(new URL(alice.url()).pathname, `/m/${meetingId}`);
    assert.equal(await alice.getByLabel('Your name').inputValue(), 'Alice');
    await screen(alice, 'attendee-pre-join');
  });

  await step('the attendee knocks; the host sees the knock appear without reloading', async () => {
    const chimes = await host.evaluate<number>('window.__knockSounds');
    await host.evaluate('window.__hidden = true');
    await alice.getByRole('button', { name: 'Ask to join' }).click();
    await heading(alice, 'Waiting for the host to let you in').waitFor();
    await screen(alice, 'attendee-lobby');
    await host.getByTestId('waiting').getByText('Alice', { exact: true }).waitFor();
    await host.getByRole('heading', { name: 'Waiting room (1)' }).waitFor();
    assert.ok((await host.evaluate<number>('window.__knockSounds')) > chimes, 'a chime was played');
    assert.deepEqual(await host.evaluate<string[]>('window.__notifications'), ['Alice is asking to join'], 'a desktop notification, the tab being hidden');
    await host.evaluate('window.__hidden = false');
    await screen(host, 'host-sees-knock');
  });

  await step('the host admits; both see each other in the participants list', async () => {
    await host.getByRole('button', { name: 'Admit Alice' }).click();
    await heading(alice, `Meeting “${meetingId}”`).waitFor();
    await alice.getByRole('button', { name: /^People/ }).click();
    await alice.getByTestId('participants').getByText('Alice (you)').waitFor();
    await alice.getByTestId('participants').getByText('Hannah Host', { exact: true }).waitFor();
    await alice.getByTestId('media-state').getByText('Connected to the call server.').waitFor();
    await host.getByTestId('participants').getByText('Alice', { exact: true }).waitFor();
    await host.getByRole('heading', { name: 'In the meeting (2)' }).waitFor();
    await screen(alice, 'attendee-in-meeting');
    await screen(host, 'host-with-attendee');
  });

  await step('a second attendee knocks and is rejected: the page says so', async () => {
    await bob.goto(link);
    await signIn(bob, 'bob@example.com', 'Bob');
    await bob.getByRole('button', { name: 'Ask to join' }).click();
    await heading(bob, 'Waiting for the host to let you in').waitFor();
    await host.getByTestId('waiting').getByText('Bob', { exact: true }).waitFor();
    await host.getByRole('button', { name: 'Deny Bob' }).click();
    await heading(bob, 'The host did not let you in').waitFor();
    await screen(bob, 'attendee-rejected');
    await host.getByText('Nobody is waiting.').waitFor();
  });

  let controls = false;
  await step('the meeting carries its settings when the meeting controls have landed', async () => {
    const info = await new MeetingClient({ baseUrl: base, headers: { cookie: 'email=hannah@example.com' } }).getMeeting(meetingId);
    controls = info.waiting_room_enabled !== undefined;
    assert.equal(info.state, 'active');
  });

  if (controls && landed.signIn) {
    await step('guests: the host allows guests; a guest knocks without an account and is let in', async () => {
      // The box shows the server's setting: it turns on once the PATCH has answered, in the same
      // render as the message that confirms it (so the moment the message is there, the box is on).
      await host.getByLabel('Allow guests').click();
      await host.getByText('Guests may knock.').waitFor();
      assert.equal(await host.getByLabel('Allow guests').isChecked(), true);
      assert.equal(await host.getByLabel('Allow guests').isEnabled(), true, 'no longer busy');
      const guest = await open({ phone: true });
      await guest.goto(link);
      await guest.getByLabel('Your name').fill('Gina Guest');
      await guest.getByRole('button', { name: 'Continue as guest' }).click();
      await heading(guest, `Join “${meetingId}”`).waitFor();
      await guest.getByRole('button', { name: 'Ask to join' }).click();
      await heading(guest, 'Waiting for the host to let you in').waitFor();
      await host.getByTestId('waiting').getByText('Gina Guest', { exact: true }).waitFor();
      await host.getByRole('button', { name: 'Admit Gina Guest' }).click();
      await heading(guest, `Meeting “${meetingId}”`).waitFor();
      await guest.getByRole('button', { name: /^People/ }).click();
      await guest.getByTestId('participants').getByText('Gina Guest (you)').waitFor();
      // The host sees the guest by name, marked as a guest.
      await host.getByTestId('participants').getByRole('listitem').filter({ hasText: 'Gina Guest' }).getByText('guest', { exact: true }).waitFor();
      await screen(guest, 'guest-in-meeting');
      await guest.getByRole('button', { name: 'Leave', exact: true }).click();
      await heading(guest, 'You left the meeting').waitFor();
      await host.getByRole('heading', { name: 'In the meeting (2)' }).waitFor();
    });
  }

  if (controls) {
    await step('controls: the host removes the attendee, who is told so', async () => {
      await host.getByRole('button', { name: 'Remove Alice' }).click();
      await host.getByRole('dialog', { name: 'Remove Alice from the meeting?' }).getByRole('button', { name: 'Remove' }).click();
      await heading(alice, 'You were removed from the meeting').waitFor();
      await screen(alice, 'attendee-removed');
    });
    await step('controls: a banned attendee is told they cannot join', async () => {
      await bob.getByRole('button', { name: 'Ask again' }).click();
      await bob.getByRole('button', { name: 'Ask to join' }).click();
      await host.getByTestId('waiting').getByText('Bob', { exact: true }).waitFor();
      await host.getByRole('button', { name: 'Ban Bob' }).click();
      await host.getByRole('dialog', { name: 'Ban Bob?' }).getByRole('button', { name: 'Ban' }).click();
      await heading(bob, 'You cannot join this meeting').waitFor();
      await screen(bob, 'attendee-banned');
    });
    await step('controls: the host ends the meeting; a waiting attendee is told it ended', async () => {
      await alice.getByRole('button', { name: 'Ask to join again' }).click();
      await alice.getByRole('button', { name: 'Ask to join' }).click();
      await heading(alice, 'Waiting for the host to let you in').waitFor();
      await host.getByRole('button', { name: 'End meeting for everyone' }).click();
      await host.getByRole('dialog').getByRole('button', { name: 'End for everyone' }).click();
      await heading(alice, 'The meeting has ended').waitFor();
      await screen(alice, 'attendee-meeting-ended');
    });
  } else {
    await step('the host leaves, which ends the meeting: the attendee is told it ended', async () => {
      await host.getByRole('button', { name: 'Leave and end the meeting' }).click();
      await host.getByRole('dialog').getByRole('button', { name: 'Leave and end' }).click();
      await heading(host, 'You left the meeting').waitFor();
      await screen(host, 'host-left');
      await heading(alice, 'The meeting has ended').waitFor();
      await screen(alice, 'attendee-meeting-ended');
    });
  }

  await step('the attendee goes back to their own list, at phone width', async () => {
    await alice.getByRole('button', { name: 'Back to your meetings' }).click();
    await heading(alice, 'Your meetings').waitFor();
    assert.equal(await alice.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth'), true, 'no sideways scrolling');
    await screen(alice, 'attendee-home-phone');
  });

  await step('the host\'s list shows the meeting with its state and counts, and can delete it', async () => {
    await host.getByRole('button', { name: 'Back to your meetings' }).click();
    await heading(host, 'Your meetings').waitFor();
    const row = host.getByRole('row', { name: new RegExp(meetingId) });
    await row.getByText('ended').waitFor();
    await screen(host, 'home-with-meeting');
    await host.getByRole('button', { name: `Delete ${meetingId}` }).click();
    await host.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await host.getByText(`Deleted "${meetingId}".`).waitFor();
    await host.getByText('No meetings yet').waitFor();
  });

  await step('a meeting with a password: a wrong one is said plainly, the right one knocks', async () => {
    await host.getByLabel('Meeting id (optional)').fill('locked-room');
    await host.getByLabel('Password (optional)').fill('open sesame');
    await host.getByRole('button', { name: 'Create and open' }).click();
    await host.getByRole('button', { name: 'Start the meeting' }).click();
    await heading(host, 'Meeting “locked-room”').waitFor();
    watched(bob).expectFailure(403, /^\/api\/v1\/meetings\/locked-room\/join$/);
    await bob.goto(`${base}/m/locked-room`);
    await bob.getByLabel('Meeting password').fill('guess');
    await bob.getByRole('button', { name: 'Ask to join' }).click();
    await bob.getByRole('alert').getByText('That password is not right.').waitFor();
    await screen(bob, 'attendee-wrong-password');
    await bob.getByLabel('Meeting password').fill('open sesame');
    await bob.getByRole('button', { name: 'Ask to join' }).click();
    await heading(bob, 'Waiting for the host to let you in').waitFor();
    // The host is in the call with the people panel closed: the knock shows as a toast.
    await host.getByRole('region', { name: 'Knocks' }).getByText('Bob', { exact: true }).waitFor();
    await screen(host, 'host-knock-toast');
  });

  await step('errors are human messages: a taken meeting id, a bad link', async () => {
    watched(host).expectFailure(409, /^\/api\/v1\/meetings$/);
    await host.goto(`${base}/`);
    await host.getByLabel('Meeting id (optional)').fill('locked-room');
    await host.getByRole('button', { name: 'Create and open' }).click();
    await host.getByRole('alert').getByText('A meeting with that id already exists').waitFor();
    await host.getByLabel('Meeting link or id').fill('https://elsewhere.example/not-a-meeting');
    await host.getByRole('button', { name: 'Join', exact: true }).click();
    await host.getByRole('alert').getByText('Paste a meeting link').waitFor();
    await screen(host, 'home-errors');
  });

  await step('works by keyboard: tab to the sign-out button and press Enter', async () => {
    const focused: string[] = [];
    for (let i = 0; i < 4 && !focused.includes('Sign out'); i++) {
      await host.keyboard.press('Tab');
      focused.push(await host.evaluate<string>("document.activeElement?.innerText?.trim() ?? ''"));
    }
    assert.ok(focused.includes('Sign out'), `tab order reached: ${focused.join(' | ')}`);
    const outline = await host.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
    assert.notEqual(outline, 'none', 'the focused control shows a visible focus ring');
    await host.keyboard.press('Enter');
    await heading(host, 'Sign in').waitFor();
  });

  if (broken) return;
  for (const p of pages) assert.deepEqual(p.problems, [], 'no console errors or uncaught exceptions');
});
