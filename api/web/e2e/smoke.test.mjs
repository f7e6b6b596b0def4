// The browser and the daemon meet: chromium loads the daemon's health check and its home page,
// with the vendored htmx (scripts/assets.sh, embedded by go:embed) running in the page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, launchBrowser, openPage, assertPagesClean, screenshot } from './lib.mjs';

let daemon;
let browser;

before(async () => {
  daemon = await startDaemon('smoke');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('chromium loads the health check from the daemon', async () => {
  const context = await browser.newContext();
  const page = await openPage(context, 'health');
  const r = await page.goto(daemon.base + '/healthz');
  assert.equal(r.status(), 200);
  const health = JSON.parse(await page.locator('body').innerText());
  assert.equal(health.site, 'loom-lantern');
  assertPagesClean(page);
  await context.close();
});

test('the home page runs the vendored htmx', async () => {
  const context = await browser.newContext();
  const page = await openPage(context, 'home');
  const r = await page.goto(daemon.base + '/');
  assert.equal(r.status(), 200, 'GET / answers 200');
  const version = await page.waitForFunction(() => window.htmx && window.htmx.version, null, { timeout: 10000 });
  assert.match(await version.jsonValue(), /^2\./, 'htmx 2.x is loaded');
  await screenshot(page, 'home');
  assertPagesClean(page);
  await context.close();
});
