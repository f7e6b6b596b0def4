// The planner's pages: a planner signs in with a password, checks a batch of pre-orders for a
// drop (a bad batch lists every bad row by line and stores nothing; a good one shows whether
// the drop still ships on its date), stores it, and looks at the plan by cell.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  PEOPLE, startDaemon, launchBrowser, openPage, assertPagesClean, screenshot, waitFor, api, apiOK,
  csvOf, workOrders,
} from './lib.mjs';

let daemon;
let browser;
let base;
let context;
let page;

before(async () => {
  daemon = await startDaemon('planner');
  base = daemon.base;
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await openPage(context, 'kofi');
});

after(async () => {
  await context?.close();
  await browser?.close();
  await daemon?.stop();
});

// uploadAndCheck puts csv into the batch form's file input and taps "Check batch".
async function uploadAndCheck(name, csv) {
  await page.locator('form#batch input[type=file][name=batch]').setInputFiles({
    name, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8'),
  });
  await page.locator('form#batch button[data-check]').click();
}

test('a planner signs in with a password and opens a drop from the planning page', async () => {
  await page.goto(`${base}/signin`);
  await page.locator('form#signin input[name=person]').fill('kofi');
  await page.locator('form#signin input[name=password]').fill('not the password');
  page.allow(/status of 401/);
  await page.locator('form#signin button[type=submit]').click();
  await page.locator('#signin-error[role=alert]').waitFor({ timeout: 5000 });

  await page.locator('form#signin input[name=person]').fill('kofi');
  await page.locator('form#signin input[name=password]').fill(PEOPLE.kofi.password);
  await Promise.all([
    page.waitForURL(`${base}/planner`, { timeout: 10000 }),
    page.locator('form#signin button[type=submit]').click(),
  ]);
  page.disallow(/status of 401/);
  assert.match(await page.locator('#who').innerText(), new RegExp(PEOPLE.kofi.name));
  assert.equal(await page.locator('a[href="/planner/gantt"]').count() > 0, true, 'a link to the Gantt chart');
  const row = page.locator('tr[data-drop="spring-27"]');
  await Promise.all([
    page.waitForURL(`${base}/planner/drops/spring-27`),
    row.locator('a[href="/planner/drops/spring-27"]').click(),
  ]);
  const windows = page.locator('#windows');
  await windows.waitFor();
  assert.match(await windows.innerText(), /RUG-KILIM-S/);
  assert.match(await windows.innerText(), /120/, "the window of RUG-KILIM-S (120) is shown");
  assertPagesClean(page);
});

test('a bad batch lists every bad row by line and stores nothing', async () => {
  // Line 1 is the header.
  const csv = csvOf([
    ['BAD-0001', 'RUG-KILIM-S', 1, 'Ana Costa'], //                 line 2: good
    ['BAD-0002', 'RUG-KILIM-XXL', 1, 'Bea Lopes'], //              line 3: unknown SKU
    ['BAD-0003', 'SCARF-GAUZE-INDIGO', 2, 'Caro Silva'], //        line 4: good
    ['BAD-0004', 'RUNNER-MADDER', 0, 'Duda Reis'], //              line 5: quantity 0
    ['BAD-0005', 'THROW-WAFFLE-OAT', 1, 'Edu Mota'], //            line 6: not sold in spring-27
    ['BAD-0006', 'CUSHION-IKAT-SAFFRON', 3, 'Fabi Luz'], //        line 7: good
  ]);
  await uploadAndCheck('bad-batch.csv', csv);
  const rows = page.locator('table#batch-errors tbody tr');
  await waitFor(async () => await rows.count() === 3, 10000, 'three rows in table#batch-errors');
  const got = [];
  for (let i = 0; i < 3; i++) {
    const r = rows.nth(i);
    got.push({
      line: (await r.locator('td.line').innerText()).trim(),
      column: (await r.locator('td.column').innerText()).trim(),
      reason: (await r.locator('td.reason').innerText()).trim(),
    });
  }
  assert.deepEqual(got.map((r) => [r.line, r.column]), [['3', 'sku'], ['5', 'quantity'], ['6', 'sku']]);
  assert.match(got[0].reason, /RUG-KILIM-XXL/);
  assert.match(got[1].reason, /"0"|\b0\b/);
  assert.match(got[2].reason, /THROW-WAFFLE-OAT/);
  assert.match(await page.locator('#batch-summary').innerText(), /nothing was stored/i);
  assert.equal(await page.locator('#batch-ok').count(), 0);
  await screenshot(page, 'planner-errors');

  assert.deepEqual(await workOrders(base, 'spring-27'), [], 'no work order was created');
  for (const id of ['BAD-0001', 'BAD-0003', 'BAD-0006']) {
    assert.equal((await api(base, 'GET', `/api/v1/orders/${id}`)).status, 404, `order ${id} was not stored`);
  }
  assertPagesClean(page);
});

test('a good batch shows the promise, and storing it creates the orders', async () => {
  const orders = [
    ['GOOD-0001', 'RUG-KILIM-S', 1, 'Ana Costa', 0, '', 'blue tag'],
    ['GOOD-0002', 'SCARF-GAUZE-INDIGO', 2, 'Caro Silva', 1, '2027-02-15', ''],
    ['GOOD-0003', 'CUSHION-IKAT-SAFFRON', 3, 'Fabi Luz, Lda', 0, '', 'for the "window"'],
  ];
  await uploadAndCheck('good-batch.csv', csvOf(orders));
  const ok = page.locator('#batch-ok');
  await ok.waitFor({ timeout: 15000 });
  assert.equal(await page.locator('table#batch-errors').count(), 0, 'no error table for a good batch');
  assert.match(await ok.innerText(), /3 orders/);
  assert.match(await ok.innerText(), /6 units/);
  const promise = page.locator('#promise');
  assert.ok(await promise.isVisible(), '#promise is visible');
  assert.match(String(await promise.getAttribute('data-on-time')), /^(true|false)$/, '#promise[data-on-time] is true or false');
  const store = page.locator('button[data-store]');
  assert.match(await store.innerText(), /Store 3 orders/);
  assert.deepEqual(await workOrders(base, 'spring-27'), [], 'checking stored nothing');
  await screenshot(page, 'planner-ok');

  await store.click();
  const stored = page.locator('#batch-stored');
  await stored.waitFor({ timeout: 15000 });
  assert.match(await stored.innerText(), /3 new orders/);
  await screenshot(page, 'planner-stored');

  for (const [id, sku, qty, customer] of orders) {
    const got = await apiOK(base, 'GET', `/api/v1/orders/${id}`);
    assert.equal(got.order.sku, sku);
    assert.equal(got.order.quantity, qty);
    assert.equal(got.order.customer, customer);
    assert.equal(got.order.drop, 'spring-27');
  }
  assert.equal((await workOrders(base, 'spring-27')).length, 3);
  assertPagesClean(page);
});

test('the Gantt chart has a lane per cell with the planned work and the drop dates', async () => {
  const cells = await apiOK(base, 'GET', '/api/v1/cells');
  // The planner plans within a second of the import; the page shows the plan it has.
  const bars = page.locator('figure[data-chart=gantt] svg rect.bar');
  await waitFor(async () => {
    await page.goto(`${base}/planner/gantt`);
    return await bars.count() > 0;
  }, 15000, 'planned operations drawn on the Gantt chart');
  const svg = page.locator('figure[data-chart=gantt] svg');
  assert.equal(await svg.count(), 1);
  assert.equal(await svg.locator('rect.lane').count(), cells.length, 'one lane per cell');
  for (const c of cells) {
    assert.ok(await svg.locator('text', { hasText: c.id }).count() > 0, `lane ${c.id} is labelled`);
  }
  // Each drop date is a dashed marker labelled with the drop, or, when it lies outside the
  // window drawn, named under the chart.
  const drops = await apiOK(base, 'GET', '/api/v1/drops');
  const caption = await page.locator('figure[data-chart=gantt] figcaption').allInnerTexts();
  for (const d of drops) {
    const marker = svg.locator('g.marker', { hasText: d.id }).locator('line[stroke-dasharray]');
    assert.ok(await marker.count() === 1 || caption.some((t) => t.includes(d.name)),
      `drop ${d.id}: a dashed marker, or named outside the window (${JSON.stringify(caption)})`);
  }
  await screenshot(page, 'gantt');

  // Stretched to the drop dates, the chart marks every drop still to ship.
  const toDrops = page.locator('a[href="/planner/gantt?days=drops"]');
  await Promise.all([page.waitForURL(`${base}/planner/gantt?days=drops`), toDrops.click()]);
  const future = drops.filter((d) => new Date(d.date) > new Date());
  assert.ok(future.length > 0, 'the demo has drops still to ship');
  for (const d of future) {
    assert.equal(await page.locator('figure[data-chart=gantt] svg g.marker', { hasText: d.id }).locator('line[stroke-dasharray]').count(), 1,
      `a dashed marker for ${d.id} (${d.date})`);
  }
  await screenshot(page, 'gantt-drops');
  assertPagesClean(page);
});
