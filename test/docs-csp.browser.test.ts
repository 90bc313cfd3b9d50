import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../services/meeting-api/test/helpers';
import { CHROMIUM, CHROMIUM_FLAGS } from './browser';

/** `/docs` under its strict Content-Security-Policy still renders in a real browser, with no violation. */
let api: TestApp;
let base: string;
let browser: Browser;

before(async () => {
  api = await startTestApp({ config: { production: true, publicUrl: 'http://127.0.0.1' } });
  base = await api.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
});
after(async () => {
  await browser?.close();
  await api?.close();
});

test('Swagger UI at /docs renders every operation group under its Content-Security-Policy, and the browser reports no violation', async () => {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  // Page-side code as text: this package's TypeScript has no DOM types.
  await page.addInitScript(
    "window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
  );
  const res = await page.goto(`${base}/docs`);
  assert.match(String(res?.headers()['content-security-policy']), /script-src 'self'/);
  await page.waitForSelector('.opblock', { timeout: 30_000 });
  assert.ok((await page.locator('.opblock').count()) > 10, 'the operations are listed');
  violations.push(...((await page.evaluate('window.cspViolations')) as string[]));
  assert.deepEqual(violations, []);
  await page.close();
});
