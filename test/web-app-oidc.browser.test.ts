import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { defaultAuthConfig } from '../services/meeting-api/src/auth/auth-config';
import { startTestApp, TEST_SECRET, type TestApp } from '../services/meeting-api/test/helpers';
import { startTestProvider, TEST_CLIENT_ID, TEST_CLIENT_SECRET, type TestProvider } from '../services/meeting-api/test/oidc-provider';
import { ensureWebAppBuilt, launchChromium, openPage, screen, screenshotsIn, until, WEB_DIST } from './browser';

/**
 * Single sign-on in the browser: with OIDC configured, the sign-in screen offers the
 * provider's button (no development form), a shared meeting link goes through a real
 * OpenID Provider (panva's oidc-provider) and lands back on the meeting, signed in; Back and
 * Forward afterwards stay on the app's own screens, never on the provider's spent pages.
 */
let api: TestApp;
let provider: TestProvider;
let base: string;
let browser: Browser;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  screenshotsIn('sso');
  ensureWebAppBuilt();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  provider = await startTestProvider('127.0.0.1', [`${base}/login/callback`]);
  const auth = defaultAuthConfig(TEST_SECRET, {
    oidc: {
      issuer: provider.issuer,
      clientId: TEST_CLIENT_ID,
      clientSecret: TEST_CLIENT_SECRET,
      redirectUrl: `${base}/login/callback`,
      scopes: 'openid email profile',
      allowUnverifiedEmail: false,
    },
    devLogin: false,
    afterLoginUrl: '/',
  });
  api = await startTestApp({ config: { jwtSecret: TEST_SECRET, webAppDir: WEB_DIST, auth } });
  await api.app.listen({ port, host: '127.0.0.1' });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await api?.close();
  await provider?.close();
});

test('a meeting link signs in through the OpenID Provider and comes straight back to the meeting; Back and Forward stay on our screens', async () => {
  const watched = await openPage(browser);
  const { page } = watched;
  // The link names a meeting nobody has created yet: the page asks, hears 404, and offers to start it.
  watched.expectFailure(404, /^\/api\/v1\/meetings\/sso-room$/);
  // History before the link: the app's home (signed out, so its sign-in screen).
  await page.goto(`${base}/`);
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  await page.goto(`${base}/m/sso-room`);
  await page.getByRole('heading', { level: 1, name: 'Sign in to join the meeting' }).waitFor();
  const button = page.getByRole('link', { name: 'Sign in with your organization' });
  await button.waitFor();
  assert.equal(await page.getByLabel('Email', { exact: true }).count(), 0, 'no development form when single sign-on is configured');
  await screen(page, 'sso-sign-in');

  await button.click();
  // The provider's own pages (oidc-provider's development interactions): log in, then consent.
  await page.waitForURL((url) => url.origin === new URL(provider.issuer).origin);
  await page.locator('input[name="login"]').fill('alice');
  await page.locator('input[name="password"]').fill('any-password');
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]', { hasText: /continue/i }).click();

  await page.getByRole('heading', { level: 1, name: 'Join “sso-room”' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/m/sso-room');
  await page.getByText('There is no meeting with this id yet').waitFor();
  await page.getByText('Signed in as').getByText('Alice Verified').waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the return mark is gone from the address');
  // The provider's two pages (login, consent) are no longer in the tab's history: about:blank, home,
  // the meeting (where sign-in started, now signed in) and one more entry of the meeting ahead.
  const entries = () => page.evaluate<number>('history.length');
  await until('the history without the provider pages', entries, (n) => n === 4, 15_000);
  await screen(page, 'sso-back-on-the-meeting');

  // Back: the screen before the link, now signed in (no sign-in form, no provider page).
  await page.goBack();
  await page.getByRole('heading', { level: 1, name: 'Your meetings' }).waitFor();
  assert.equal(page.url(), `${base}/`);
  assert.equal(await page.getByRole('link', { name: 'Sign in with your organization' }).count(), 0, 'not asked to sign in again');
  // Forward: the meeting; once more: the same meeting screen, the last entry.
  await page.goForward();
  await page.getByRole('heading', { level: 1, name: 'Join “sso-room”' }).waitFor();
  await page.goForward();
  assert.equal(new URL(page.url()).pathname, '/m/sso-room');
  await page.getByRole('heading', { level: 1, name: 'Join “sso-room”' }).waitFor();
  assert.equal(await entries(), 4, 'no entry was added or left ahead');

  // Only our own origin's console counts: the provider's pages are not ours.
  const ours = watched.problems.filter((p) => p.includes(base) || !p.includes('http'));
  assert.deepEqual(ours, []);
  await watched.context.close();
});
