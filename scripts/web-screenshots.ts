/**
 * Screenshots of the web app as a person sees it, for docs/screenshots/: the pre-join screen,
 * the call with 1, 3 and 9 people, a phone-width call and a knock seen by the host in the call.
 * Chromium's fake camera and microphone; every person is a context of one browser.
 *
 *   npm run screenshots            (builds the app, then `tsx scripts/web-screenshots.ts after`)
 *
 * The argument prefixes the file names (`after-call-3.png`, the default); WEB_APP_DIR serves another
 * build of the app (an older one, for "before" shots). Each shot waits until its screen shows what its
 * name says (the tiles there and drawn, the toast up): a screen that does not get there fails the run
 * rather than leaving a misleading picture.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MeetingClient } from 'meeting-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, REPO, signIn, startWebStack, until } from '../test/browser';

const prefix = process.argv[2] ?? 'after';
const OUT = join(REPO, 'docs/screenshots');
mkdirSync(OUT, { recursive: true });

const NAMES = ['Alice Archer', 'Bruno Blanc', 'Chen Wei', 'Dana Diaz', 'Emeka Obi', 'Fatima Zahra', 'Gus Grant', 'Hiro Tanaka'];

async function person(browser: Browser, phone = false): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(
    phone ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 800 } },
  );
  context.setDefaultTimeout(180_000);
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  return { context, page };
}

/** All remote tiles present and each one's picture drawn (a camera that is off shows its avatar instead). */
async function settled(page: Page, remotes: number): Promise<void> {
  await until(`${remotes} remote tiles`, () => page.locator('[data-testid="remote-tile"]').count(), (n) => n === remotes, 120_000);
  await until(
    'every remote tile drawn',
    () =>
      // A tile with its camera on: the centre is neither black nor the tile's blank (#202124) any more.
      page.evaluate<boolean>(`[...document.querySelectorAll('[data-testid="remote-tile"] .tile-video:not([hidden]) canvas')].every((c) => {
        if (c.width === 0) return false;
        const d = c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data;
        return d[0] + d[1] + d[2] > 0 && !(d[0] === 0x20 && d[1] === 0x21 && d[2] === 0x24);
      })`),
    Boolean,
    120_000,
  );
  await page.waitForTimeout(1500);
}

async function shot(page: Page, name: string): Promise<void> {
  const path = join(OUT, `${prefix}-${name}.png`);
  await page.screenshot({ path });
  console.log(path);
}

async function main(): Promise<void> {
  const { api, media, base } = await startWebStack(process.env.WEB_APP_DIR || undefined);
  const browser = await launchChromium({ fakeMedia: true });
  const meetingId = 'design-review';
  const hostClient = new MeetingClient({ baseUrl: base, headers: { cookie: 'email=hannah@example.com' } });
  try {
    const host = await person(browser);
    await host.page.goto(`${base}/`);
    await signIn(host.page, 'hannah@example.com', 'Hannah Host');
    await host.page.getByLabel('Meeting id (optional)').fill(meetingId);
    await host.page.getByRole('button', { name: 'Create and open' }).click();
    await host.page.getByRole('button', { name: 'Start the meeting' }).waitFor();
    await until('the preview plays', () => host.page.evaluate<number>(`document.querySelector('[data-testid="self-view"]')?.videoWidth ?? 0`), (w) => w > 0);
    await host.page.waitForTimeout(800);
    await shot(host.page, 'prejoin');
    await host.page.getByRole('button', { name: 'Start the meeting' }).click();
    // People enter without knocking for the call shots.
    await hostClient.updateMeeting(meetingId, { waiting_room_enabled: false });
    await settled(host.page, 0);
    await host.page.waitForTimeout(1500);
    await shot(host.page, 'call-1');

    const others: { context: BrowserContext; page: Page }[] = [];
    const join = async (i: number, phone = false, cameraOff = false) => {
      const p = await person(browser, phone);
      others.push(p);
      await p.page.goto(`${base}/m/${meetingId}`, { waitUntil: 'domcontentloaded' });
      await signIn(p.page, `person${i}@example.com`, NAMES[i] ?? `Person ${i}`);
      // Some come with their camera off (turned off on the pre-join screen): fewer encoders for a 2-core machine.
      if (cameraOff) {
        await p.page.getByRole('button', { name: 'Turn camera off' }).click();
        await p.page.getByRole('button', { name: 'Turn camera on' }).waitFor();
      }
      await p.page.getByRole('button', { name: 'Ask to join' }).click();
      await p.page.getByRole('group', { name: 'Call controls' }).waitFor();
      return p;
    };
    // KNOCK_ONLY=1: only the knock (a light run on a busy machine).
    const knockOnly = process.env.KNOCK_ONLY === '1';
    if (!knockOnly) {
    for (let i = 0; i < 2; i++) await join(i);
    await settled(host.page, 2);
    await shot(host.page, 'call-3');

    const phone = await join(2, true);
    await settled(phone.page, 3);
    await shot(phone.page, 'phone-call');

    for (let i = 3; i < 8; i++) await join(i, false, i >= 5);
    await settled(host.page, 8);
    await shot(host.page, 'call-9');

    // A knock while the host is in the call.
    for (const p of others.splice(1)) await p.context.close();
    await settled(host.page, 1);
    }
    await hostClient.updateMeeting(meetingId, { waiting_room_enabled: true });
    const knocker = new MeetingClient({ baseUrl: base, headers: { cookie: 'email=kim@example.com' } });
    await knocker.join(meetingId, { display_name: 'Kim Knocker' });
    await host.page.getByRole('region', { name: 'Knocks' }).getByText('Kim Knocker').waitFor();
    await host.page.waitForTimeout(1000);
    await shot(host.page, 'knock');
  } finally {
    await browser.close();
    await media.close();
    await api.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
