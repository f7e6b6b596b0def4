// A repair's diagnosis on the shop tablet (1024x768, touch): a unit made for a drop comes back
// at the counter (an intake through the API), the maker at the repair corner signs in, starts
// the diagnosis, sees the customer's description and checklist, adds a photo, picks two
// services (shown numbered in the order tapped) with the live estimate's dates and totals, and
// sends the estimate with a double tap: the repair is estimated once, with those two services
// in that order.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  TABLET, TOKENS, startDaemon, launchBrowser, openPage, assertPagesClean, screenshot, waitFor, importCSV, csvOf,
  workOrders, finishWorkOrders, api, apiOK, signInWithPin, root, dialogReady,
} from './lib.mjs';

const ORDER = 'RT-0001';
const serial = `${ORDER}-1`;
let daemon;
let browser;
let base;
let repair;

before(async () => {
  daemon = await startDaemon('repair-tablet');
  base = daemon.base;
  browser = await launchBrowser();
  const r = await importCSV(base, 'spring-27', csvOf([[ORDER, 'RUG-KILIM-S', 1, 'Zoë Quist']]));
  assert.equal(r.status, 201, r.text);
  await finishWorkOrders(base, (await workOrders(base, 'spring-27')).map((w) => w.id));
  const intake = await api(base, 'POST', '/api/v1/repairs', {
    token: TOKENS.operator,
    body: { serial, customer: 'Zoë Quist', contact: 'zoe@example.com', description: 'The fringe is coming apart <badly>',
      checklist: { fringe: 'yes', notes: 'a gift from my aunt' } },
  });
  assert.equal(intake.status, 201, intake.text);
  repair = intake.json.repair;
  assert.equal(repair.state, 'received');
  assert.match(intake.json.link, /^\/r\/[A-Za-z0-9_-]{43}$/);
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('1024x768: the maker diagnoses a repair: two services in the order tapped, estimated once', async () => {
  const context = await browser.newContext({ ...TABLET, viewport: { width: 1024, height: 768 } });
  const page = await openPage(context, 'repair-tablet');
  await page.goto(`${base}/tablet/repair-1`);
  await signInWithPin(page, 'amira');
  await page.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });

  // The diagnosis is the job in hand (the plan may put it there a moment after the intake).
  const rep = page.locator('#current #repair');
  await waitFor(async () => (await rep.count()) === 1, 20000, 'the diagnosis to be the job in hand');
  assert.equal(await rep.getAttribute('data-repair'), repair.id);
  const shown = await rep.innerText();
  assert.match(shown, new RegExp(serial));
  assert.match(shown, /Kilim rug, small/);
  assert.match(shown, /The fringe is coming apart <badly>/);
  assert.match(shown, /Fringe worn or missing: yes/);
  assert.match(shown, /Anything else we should know: a gift from my aunt/);
  assert.equal(await page.locator('#actions button[data-action=complete]').count(), 0, 'no Complete for a diagnosis');
  const diagnoseButton = page.locator('#actions button[data-action=diagnose]');
  assert.ok(await diagnoseButton.isDisabled(), 'Diagnose waits for the start');

  const op = Number(await page.locator('#current article.job').getAttribute('data-op'));
  await page.locator('#actions button[data-action=start]').tap();
  await waitFor(async () => diagnoseButton.isEnabled(), 10000, 'Diagnose once started');

  // A photo of what the maker found, as on any job.
  await page.locator('#actions button[data-action=photo]').tap();
  const photoDialog = page.locator('dialog#dialog-photo');
  await dialogReady(photoDialog);
  await photoDialog.locator('#photo-file').setInputFiles(path.join(root, 'api/testdata/photos/plain.jpg'));
  await photoDialog.locator('#photo-caption').fill('the worn fringe');
  await photoDialog.locator('button[data-confirm]').tap();
  await photoDialog.waitFor({ state: 'hidden', timeout: 10000 });
  await page.locator('#maker-photos li img').first().waitFor({ timeout: 10000 });

  // Diagnose: findings, then fringe and clean tapped in that order, numbered 1 and 2.
  await waitFor(async () => diagnoseButton.isEnabled(), 10000, 'Diagnose after the photo');
  await diagnoseButton.tap();
  const d = page.locator('dialog#dialog-diagnose');
  await dialogReady(d);
  const send = d.locator('button[data-confirm]');
  assert.ok(await send.isDisabled(), 'nothing to send yet');
  await d.locator('#diagnose-findings').fill('Fringe worn along one end; grey from use');
  const services = d.locator('#diagnose-services button[data-service]');
  assert.deepEqual(await services.evaluateAll((bs) => bs.map((b) => b.dataset.service)), ['clean', 'fringe', 'reweave', 'edges']);
  await d.locator('#diagnose-services button[data-service=fringe]').tap();
  await d.locator('#diagnose-services button[data-service=clean]').tap();
  assert.equal((await d.locator('[data-service=fringe] .order').innerText()).trim(), '1');
  assert.equal((await d.locator('[data-service=clean] .order').innerText()).trim(), '2');
  assert.equal(await d.locator('[data-service=reweave]').getAttribute('aria-pressed'), 'false');

  // The live estimate: both lines in that order, the standard date and total, express.
  const est = d.locator('#diagnose-estimate .estimate[data-ready=true]');
  await est.waitFor({ timeout: 15000 });
  assert.deepEqual(await est.locator('tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.service)), ['fringe', 'clean']);
  const standard = await est.locator('[data-choice=standard]').innerText();
  assert.match(standard, /ready .*\d\d:\d\d/);
  // fringe: 15.00 + 40 min at 38.50 an hour (25.67) + 6.40; clean: 25.00 + 70 min (44.92) + 3.20.
  assert.match(standard, /120\.19 EUR/);
  assert.match(await est.locator('[data-choice=express]').innerText(), /ready .*EUR|not offered/);
  await screenshot(page, 'repair-tablet-diagnose-1024x768');
  const box = await send.boundingBox();
  assert.ok(box && box.y + box.height <= 768, `Send estimate is on the 1024x768 screen: ${JSON.stringify(box)}`);

  // Sent with a double tap: one diagnosis, one estimate.
  await waitFor(async () => send.isEnabled(), 5000, 'Send estimate');
  await send.dblclick();
  await d.waitFor({ state: 'hidden', timeout: 5000 });
  const done = await waitFor(async () => {
    const r = await apiOK(base, 'GET', `/api/v1/repairs/${repair.id}`);
    return r.state === 'estimated' && r;
  }, 15000, 'the repair to be estimated');
  assert.deepEqual(done.diagnosis.services, ['fringe', 'clean']);
  assert.equal(done.diagnosis.operation, op);
  assert.equal(done.estimate.standard_total, 12019);
  const events = await apiOK(base, 'GET', '/api/v1/events?limit=1000');
  assert.equal(events.events.filter((e) => e.kind === 'repair.estimated' && e.order_id === repair.id).length, 1, 'estimated once');
  await waitFor(async () => (await page.locator('#current #repair').count()) === 0, 10000, 'the diagnosis to leave the tablet');
  assertPagesClean(page);
  await context.close();
});
