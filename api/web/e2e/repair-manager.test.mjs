// Repairs on the manager's pages, on the studio's smaller tablet (1024x768). A scarf is made
// and finished. The manager takes it in for a repair at the counter (its serial typed as a
// scanner types it, the kind's checklist following), then an item not made here with its kind;
// gives a customer a new link; receives the parcel of a repair a customer asked for on the
// unit's page; opens a repair from the search box with the address a parcel
// slip's QR code holds; and adds a care plan on the unit's page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  TABLET, startDaemon, launchBrowser, openPage, assertPagesClean, screenshot, importCSV, csvOf, workOrders,
  finishWorkOrders, signInWithPassword, api, TOKENS,
} from './lib.mjs';

const SCREEN = { ...TABLET, viewport: { width: 1024, height: 768 } };

let daemon;
let browser;
let base;
let page;
const serial = 'REP-A-1';
let repairID;

before(async () => {
  daemon = await startDaemon('repair-manager', { simSpeed: 60 });
  base = daemon.base;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('a scarf is made and finished', async () => {
  const r = await importCSV(base, 'summer-27', csvOf([['REP-A', 'SCARF-GAUZE-INDIGO', 1, 'Aiko Repair']]));
  assert.equal(r.status, 201, r.text);
  const wo = (await workOrders(base, 'summer-27')).find((w) => w.order_id === 'REP-A');
  await finishWorkOrders(base, [wo.id]);
  const unit = await api(base, 'GET', `/api/v1/units/${serial}`, { token: TOKENS.planner });
  assert.equal(unit.status, 200, unit.text);
  const context = await browser.newContext(SCREEN);
  page = await openPage(context, 'manager');
  await signInWithPassword(page, base, 'ines', '/manager');
});

// linkShown reads the customer's link the page shows once.
async function linkShown() {
  const url = await page.locator('#repair-link-url').inputValue();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/r\/[A-Za-z0-9_-]{43}$/);
  assert.equal(await page.locator('#repair-link button[data-copy]').count(), 1);
  return url;
}

test('counter intake of a unit the studio made, by its scanned serial', async () => {
  await page.goto(`${base}/manager/repairs`);
  await page.locator('#repair-new').click();
  await page.waitForURL((u) => u.pathname === '/manager/repairs/new');
  await page.locator('#intake-serial').fill(serial);
  // the kind's checklist comes once the serial is known
  // a tap on the box, as a person makes it: the tick stays while the serial field loses focus
  // (the checklist was fetched again on the serial's change and replaced, ticks lost)
  await page.locator('input[name="checklist.stains"]').click({ timeout: 10000 });
  await page.locator('#intake-customer').fill('Aiko Repair');
  await page.waitForTimeout(600);
  assert.equal(await page.locator('input[name="checklist.stains"]').isChecked(), true, 'the tick was lost');
  await page.locator('#intake-contact').fill('aiko@example.com');
  await page.locator('#intake-description').fill('A tea stain near the hem.');
  await page.locator('#intake-submit').click();
  await page.locator('#repair-link').waitFor();
  repairID = await page.locator('#repair-id').textContent();
  assert.match(repairID, /^R-\d{6}$/);
  // the page took the repair's own address: a reload reads it, and the link is not shown again
  assert.equal(new URL(page.url()).pathname, `/manager/repairs/${repairID}`);
  await linkShown();
  assert.equal(await page.locator('#repair-state').getAttribute('data-state'), 'received');
  assert.match(await page.locator('#repair-checklist').textContent(), /Stains: yes/);
  assert.match(await page.locator('.repair-work').first().textContent(), /Diagnosis/);
  await screenshot(page, 'repair-manager-intake');
  await page.reload();
  assert.equal(await page.locator('#repair-link').count(), 0);
});

test('counter intake of an item not made here, with its kind', async () => {
  await page.goto(`${base}/manager/repairs/new`);
  await page.locator('#intake-item').fill('A kilim from a market');
  await page.locator('#intake-kind').selectOption('rug');
  await page.locator('input[name="checklist.fringe"]').check({ timeout: 10000 });
  await page.locator('#intake-customer').fill('Bram Outside');
  await page.locator('#intake-submit').click();
  await page.locator('#repair-link').waitFor();
  assert.match(await page.locator('#repair-item').textContent(), /A kilim from a market \(not made here\)/);
  // a refused intake says which field and keeps what was typed (answered 422, which the
  // browser logs)
  const refused = /status of 422 .*\/manager\/repairs\)$/;
  page.allow(refused);
  await page.goto(`${base}/manager/repairs/new`);
  await page.locator('#intake-item').fill('A vase');
  await page.locator('#intake-customer').fill('Cleo');
  await page.locator('#intake-submit').click();
  await page.locator('#intake-problem').waitFor();
  assert.equal(await page.locator('#intake-problem').getAttribute('data-field'), 'kind');
  assert.equal(await page.locator('#intake-customer').inputValue(), 'Cleo');
  page.disallow(refused);
});

test('a new customer link, shown once, the old one replaced', async () => {
  await page.goto(`${base}/manager/repairs/${repairID}`);
  await page.locator('#repair-new-link').click();
  await page.locator('#repair-link').waitFor();
  const first = await linkShown();
  await page.locator('#repair-new-link').click();
  await page.locator('#repair-link').waitFor();
  const second = await linkShown();
  assert.notEqual(first, second);
});

test('a repair the customer asked for on the unit\'s page is received when its parcel arrives', async () => {
  const customer = await openPage(await browser.newContext(SCREEN), 'customer');
  await customer.goto(`${base}/u/${encodeURIComponent(serial)}/repair`);
  await customer.locator('#customer').fill('Aiko Repair');
  await customer.locator('#description').fill('The hem came undone.');
  await Promise.all([customer.waitForURL(/\/r\/[A-Za-z0-9_-]{43}$/), customer.locator('#send').click()]);
  const requested = (await customer.locator('#slip-id').innerText()).trim();
  await customer.context().close();

  await page.goto(`${base}/manager/repairs?state=requested`);
  await page.locator(`#repairs a[href="/manager/repairs/${requested}"]`).click();
  await page.waitForURL((u) => u.pathname === `/manager/repairs/${requested}`);
  assert.equal(await page.locator('#repair-state').getAttribute('data-state'), 'requested');
  await page.locator('#repair-receive').click();
  await page.locator('#repair-done').waitFor();
  assert.equal(await page.locator('#repair-state').getAttribute('data-state'), 'received');
  assert.equal(await page.locator('#repair-receive').count(), 0);
  assert.match(await page.locator('.repair-work').first().textContent(), /Diagnosis/);
});

test('the search box opens a repair from a scanned parcel slip', async () => {
  await page.goto(`${base}/manager`);
  const box = page.locator('#find-q');
  await box.fill(`${base}/manager/repairs/${repairID}`);
  await Promise.all([page.waitForURL((u) => u.pathname === `/manager/repairs/${repairID}`, { timeout: 10000 }), box.press('Enter')]);
  assert.equal(await page.locator('#repair-id').textContent(), repairID);
});

test('a care plan added on the unit\'s page', async () => {
  await page.goto(`${base}/manager/units/${serial}`);
  assert.equal(await page.locator(`#unit-repairs [data-repair="${repairID}"]`).count(), 1);
  await page.locator('#care-plan-holder').selectOption('unit');
  await Promise.all([page.waitForURL((u) => u.pathname === `/manager/units/${serial}`), page.locator('#care-plan-form button[type=submit]').click()]);
  await page.locator('#unit-care-plans li[data-active="true"]').waitFor();
  assert.match(await page.locator('#unit-care-plans').textContent(), /for this unit/);
  await screenshot(page, 'repair-manager-care-plan');
  assertPagesClean(page);
});
