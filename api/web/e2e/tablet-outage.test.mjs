// The shop tablet while the order book's database is away: a daemon on a PostgreSQL server of
// the spec's own, which the spec stops and starts. An action tapped meanwhile is answered 503
// with a Retry-After: the tablet keeps it (with its Idempotency-Key, in localStorage), says so,
// holds the buttons and sends it again after every Retry-After, never dropping it; once the
// database is back it is applied, once.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  TABLET, startDaemon, launchBrowser, openPage, assertPagesClean, screenshot, waitFor, api,
  importCSV, csvOf, workOrders, operationEvents, signInWithPin,
} from './lib.mjs';
import { startPostgres } from './postgres.mjs';

let pg;
let daemon;
let browser;
let base;

before(async () => {
  pg = await startPostgres('tablet-outage');
  daemon = await startDaemon('tablet-outage', { simSpeed: 30, extraArgs: ['--store', pg.url] });
  base = daemon.base;
  browser = await launchBrowser();
  // A restoration's first step waits at the repair corner, worked by hand.
  const r = await importCSV(base, 'summer-27', csvOf([['OUT-1', 'RUG-VINTAGE', 1, 'Outage test']]));
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
  await pg?.close();
});

// health is what /healthz says: its status code and the store's check.
async function health() {
  const r = await api(base, 'GET', '/healthz', { token: null });
  return { status: r.status, store: r.json?.checks?.store };
}

test('an action tapped while the database is away is kept, sent again after Retry-After, and applied once', async () => {
  const [wo] = await workOrders(base, 'summer-27');
  const context = await browser.newContext(TABLET);
  const page = await openPage(context, 'tablet-outage');
  const refused = [];
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && r.status() === 503) refused.push(r.headers()['retry-after']);
  });
  await page.goto(`${base}/tablet/repair-1`);
  await signInWithPin(page, 'jonas');
  await page.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
  const job = page.locator('#current article.job[data-state="queued"]');
  await job.waitFor({ timeout: 15000 });
  const op = Number(await job.getAttribute('data-op'));

  // The page's reads and the action are answered 503 while the database is away.
  const away = /status of 503|response 503 to/;
  page.allow(away);
  await pg.stop();
  try {
    await waitFor(async () => (await health()).status === 503, 15000, '/healthz to say the store is down');
    assert.notEqual((await health()).store, 'ok');
    await page.locator('#actions button[data-action=start]').tap();
    await page.locator('#pending').waitFor({ state: 'visible', timeout: 10000 });
    assert.match(await page.locator('#pending').innerText(), /^1 action waiting for the connection: Start /);
    await waitFor(async () => /kept\. The server cannot store it just now; it is sent again in \d+ s\./
      .test(await page.locator('#notice').innerText()), 10000, 'the tablet to say the action is kept');
    // Sent again after the Retry-After, and kept again: never dropped.
    await waitFor(() => refused.length >= 2, 20000, 'the action sent again after its Retry-After');
    assert.ok(refused.every((s) => Number(s) >= 1), `every 503 has a Retry-After: ${refused}`);
    const waiting = await page.evaluate(() => JSON.parse(localStorage.getItem('cellforge.pending.repair-1')));
    assert.equal(waiting.length, 1, `one action kept: ${JSON.stringify(waiting)}`);
    assert.match(waiting[0].key, /^tab-/, 'the action is kept with its Idempotency-Key');
    assert.equal(await page.locator('#actions button[data-action=start]').isDisabled(), true, 'the buttons are held');
    await screenshot(page, 'tablet-outage-kept');
  } finally {
    await pg.start();
  }

  // Back: the kept action goes through, once, and the page shows it.
  await page.locator('#pending').waitFor({ state: 'hidden', timeout: 30000 });
  await page.locator(`#current article.job[data-op="${op}"][data-state="running"]`).waitFor({ timeout: 15000 });
  await waitFor(async () => (await health()).status === 200, 15000, '/healthz to say healthy again');
  const starts = (await operationEvents(base, op)).filter((e) => e.kind === 'operation.changed' && e.to === 'running');
  assert.equal(starts.length, 1, `one start of work order ${wo.id}'s step: ${JSON.stringify(starts)}`);
  page.disallow(away);
  assertPagesClean(page);
  await context.close();
});
