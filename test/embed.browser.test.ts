import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { pino } from 'pino';
import { startExample } from '../examples/embed/server';
import { buildMediaServer, type MediaServer } from '../services/media-server/src/app';
import { loadConfig as loadMediaConfig } from '../services/media-server/src/config';
import { call, startTestApp, TEST_SECRET, type TestApp } from '../services/meeting-api/test/helpers';
import { CHROMIUM, CHROMIUM_FLAGS, ensureWebAppBuilt, FAKE_MEDIA_FLAGS, openPage, SHOTS, WEB_DIST, type WatchedPage, until, tilePixels } from './browser';

/**
 * The meeting inside a customer's page. The example customer site runs on origin A
 * (127.0.0.1:<port>); the Meeting API serves the meeting pages from origin B (localhost:<port>:
 * another site, so its cookies are third-party in the frame). The site's backend uses an API key
 * to create a visit and mint a host and an attendee link; the attendee knocks, the host admits,
 * both see each other's video, and the attendee's page receives the frame's events in order.
 * A page on a third origin cannot frame the meeting at all.
 */
const ADMIN = 'ops@example.com';
const SHOT_DIR = join(SHOTS, 'embed');
let api: TestApp;
let media: MediaServer;
let browser: Browser;
let example: Awaited<ReturnType<typeof startExample>>;
let third: Server;
let apiOrigin: string;
let thirdOrigin: string;
const pages: WatchedPage[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  ensureWebAppBuilt();
  mkdirSync(SHOT_DIR, { recursive: true });
  media = buildMediaServer(loadMediaConfig({ JWT_SECRET: TEST_SECRET, MEDIA_SERVER_PORT: '0', LOG_LEVEL: 'silent' }), { logger: pino({ level: 'silent' }) });
  const { port: mediaPort } = await media.listen();
  const [apiPort, examplePort] = [await freePort(), await freePort()];
  apiOrigin = `http://localhost:${apiPort}`;
  const exampleOrigin = `http://127.0.0.1:${examplePort}`;
  api = await startTestApp({
    config: {
      jwtSecret: TEST_SECRET,
      webAppDir: WEB_DIST,
      mediaServerPublicUrl: `ws://127.0.0.1:${mediaPort}`,
      adminEmails: [ADMIN],
      publicUrl: apiOrigin,
      embedOrigins: [exampleOrigin],
    },
  });
  await api.app.listen({ port: apiPort, host: '127.0.0.1' });
  const key = await call(api.app, 'POST', '/api/v1/api-keys', { as: ADMIN, body: { name: 'acme clinic' } });
  assert.equal(key.status, 201);
  example = await startExample({ apiUrl: `http://127.0.0.1:${apiPort}`, apiKey: key.body.result.secret, port: examplePort, host: '127.0.0.1' });
  assert.equal(example.url, exampleOrigin);
  // A third site that tries to frame a meeting page.
  third = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>elsewhere</title><iframe id="f" src="${apiOrigin}/m/anything"></iframe>`);
  });
  await new Promise<void>((resolve) => third.listen(0, '127.0.0.1', resolve));
  thirdOrigin = `http://127.0.0.1:${(third.address() as { port: number }).port}`;
  // Third-party cookies off, as Chromium does by default for everyone soon and already in many setups.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...FAKE_MEDIA_FLAGS, '--test-third-party-cookie-phaseout'],
    timeout: 120_000,
  });
});

after(async () => {
  await browser?.close();
  await example?.close();
  await new Promise<void>((resolve) => (third ? third.close(() => resolve()) : resolve()));
  await media?.close();
  await api?.close();
});

/** The meeting app's frame inside the customer page (once it reached the meeting page). */
async function meetingFrame(page: Page): Promise<Frame> {
  return until(
    'the meeting frame',
    async () => page.frames().find((f) => f.url().startsWith(`${apiOrigin}/m/`)) ?? null,
    (f) => f !== null,
  ) as Promise<Frame>;
}

function events(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('window.meetingEvents.map((e) => e.type)');
}

test('the customer page embeds the meeting from another origin: knock, admit, video both ways, events in order, no third-party cookie needed', async () => {
  const doctorWatch = await openPage(browser);
  const patientWatch = await openPage(browser);
  pages.push(doctorWatch, patientWatch);
  const doctor = doctorWatch.page;
  const patient = patientWatch.page;

  // The doctor starts a visit on the customer site: its backend creates the meeting with its key.
  await doctor.goto(`${example.url}/`);
  await doctor.screenshot({ path: join(SHOT_DIR, '01-customer-home.png') });
  await doctor.getByRole('button', { name: 'Start a visit' }).click();
  await doctor.waitForURL(/\/visits\/[a-z0-9]+\?as=doctor$/);
  const visitId = /\/visits\/([a-z0-9]+)/.exec(doctor.url())![1]!;

  const doctorFrame = await meetingFrame(doctor);
  await doctorFrame.getByRole('button', { name: 'Join the meeting' }).click();
  await doctorFrame.getByTestId('media-state').getByText('Connected to the call server.').waitFor();

  await patient.goto(`${example.url}/visits/${visitId}?as=patient`);
  const patientFrame = await meetingFrame(patient);
  // No sign-in form: the link signed the patient in.
  assert.equal(await patientFrame.getByLabel('Email', { exact: true }).count(), 0);
  await patientFrame.getByRole('button', { name: 'Join the meeting' }).click();
  await until('the patient page hears "waiting"', () => events(patient), (e) => e.includes('waiting'));
  await patient.screenshot({ path: join(SHOT_DIR, '02-patient-waiting.png') });

  await doctorFrame.getByRole('button', { name: 'Admit Sam Patient' }).click();
  await patientFrame.getByTestId('media-state').getByText('Connected to the call server.').waitFor();

  for (const [frame, other] of [
    [doctorFrame, 'sam@patients.acme-clinic.example'],
    [patientFrame, 'dr.lee@acme-clinic.example'],
  ] as const) {
    const first = await until(`${other}'s video is drawn`, () => tilePixels(frame, other), (p) => p !== null);
    await until(`${other}'s video moves`, () => tilePixels(frame, other), (p) => p !== null && p !== first);
  }
  await until('the patient page hears the count', () => events(patient), (e) => e.includes('participants'));
  await doctor.screenshot({ path: join(SHOT_DIR, '03-doctor-in-call.png') });
  await patient.screenshot({ path: join(SHOT_DIR, '04-patient-in-call.png') });

  // The frame never relied on a cookie of the meeting site: the browser kept none.
  const cookies = await patientWatch.context.cookies(apiOrigin);
  assert.deepEqual(cookies.filter((c) => c.name === 'session'), [], 'no session cookie in the frame');

  // The doctor leaves through the customer page's own button (frame.leave()): the visit ends.
  await doctor.getByRole('button', { name: 'Leave the visit' }).click();
  await until('the patient page hears "ended"', () => events(patient), (e) => e.includes('ended'));
  await patient.screenshot({ path: join(SHOT_DIR, '05-patient-ended.png') });

  const seen = (await events(patient)).filter((t) => ['waiting', 'admitted', 'joined', 'participants', 'ended'].includes(t));
  const firstOf = (t: string) => seen.indexOf(t);
  assert.ok(firstOf('waiting') === 0, `waiting first: ${seen}`);
  assert.ok(firstOf('waiting') < firstOf('admitted') && firstOf('admitted') < firstOf('joined'), `order: ${seen}`);
  assert.ok(firstOf('joined') < firstOf('participants') && firstOf('participants') < firstOf('ended'), `order: ${seen}`);
  assert.equal(seen[seen.length - 1], 'ended');
  const counts = await patient.evaluate<number[]>("window.meetingEvents.filter((e) => e.type === 'participants').map((e) => e.count)");
  assert.ok(counts.includes(2), `the count reached 2: ${counts}`);
  const doctorEvents = await events(doctor);
  assert.ok(doctorEvents.includes('ready') && doctorEvents.includes('joined') && doctorEvents.includes('left'), `doctor's events: ${doctorEvents}`);
  for (const p of pages) {
    const real = p.problems.filter((m) => !/status of (401|403|404)/.test(m));
    assert.deepEqual(real, [], 'no console errors or uncaught exceptions');
  }
});

test('a page on a third origin is refused framing of the meeting pages', async () => {
  const watched = await openPage(browser);
  const page = watched.page;
  const refused: string[] = [];
  page.on('console', (m) => {
    if (/frame-ancestors/.test(m.text())) refused.push(m.text());
  });
  await page.goto(`${thirdOrigin}/`);
  const child = await until('the child frame settles', async () => page.frames().find((f) => f !== page.mainFrame()) ?? null, (f) => f !== null);
  // The meeting app never runs there: no app root, and Chromium says why.
  await until('Chromium refuses the frame', async () => refused.length, (n) => n > 0, 30_000);
  const appRan = await child!.evaluate<boolean>('document.getElementById("root") !== null').catch(() => false);
  assert.equal(appRan, false);
  await page.screenshot({ path: join(SHOT_DIR, '06-third-origin-refused.png') });
  await watched.context.close();
});
