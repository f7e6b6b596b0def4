// The planner's pages: a planner signs in with a password, checks a batch of pre-orders for a
// drop (a bad batch lists every bad row by line and stores nothing; a good one shows whether
// the drop still ships on its date), stores it, and looks at the plan by cell. A rush order the
// floor cannot make by its due date reads late and named in the promise check (amber, its words
// and its button agreeing), on the drop page and under the Gantt chart, while the drop reads on
// time; checking a stored batch again says so; the SKU windows show their figures; the Gantt
// chart has cell names, a legend by drop, late work marked and taps that read its bars; at the
// desktop size and on both touch tablets.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  PEOPLE, startDaemon, launchBrowser, openPage, assertPagesClean, screenshot, waitFor, api, apiOK,
  csvOf, workOrders, signInWithPassword,
} from './lib.mjs';
import {
  TOUCH, sizeName, assertChartTextReadable, assertNoSideScroll, tapToRead, DURATION, pageTime, rushDue,
} from './views.mjs';

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
async function uploadAndCheck(name, csv, on = page) {
  await on.locator('form#batch input[type=file][name=batch]').setInputFiles({
    name, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8'),
  });
  await on.locator('form#batch button[data-check]').click();
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

// The colours of the app's banners and buttons (app.css): amber is --warn-bg and --warn.
const AMBER_BANNER = 'rgb(255, 243, 220)';
const AMBER_BUTTON = 'rgb(138, 75, 0)';

// rushBatch is a batch of one rush order (two large kilims, days of loom time, due within the
// hour) and one calm order of the drop's date.
function rushBatch(rushID, calmID, due) {
  return csvOf([[rushID, 'RUG-KILIM-L', 2, 'Hana Sato', 0, due.toISOString()], [calmID, 'SCARF-GAUZE-INDIGO', 1, 'Ida Berg']]);
}

// lateRow checks that a table of late orders names the rush order: its customer, its due date
// and its planned finish after it.
async function assertNamedLate(table, id, due, label) {
  const row = table.locator(`tr[data-order="${id}"]`);
  await row.waitFor({ timeout: 15000 });
  assert.equal((await row.locator('td.customer').innerText()).trim(), 'Hana Sato', `${label}: ${id}'s customer`);
  assert.equal((await row.locator('td.due').innerText()).trim(), pageTime(due), `${label}: ${id}'s due date`);
  assert.match((await row.locator('td.finish').innerText()).trim(), /^\w{3} \d{1,2} \w{3} \d{4} \d{2}:\d{2}$/, `${label}: ${id}'s planned finish`);
  assert.match((await row.locator('td.late-by').innerText()).trim(), DURATION, `${label}: how late ${id} is`);
}

// checkPromise checks a batch with a rush order on the open drop page: the drop still ships,
// the rush order is late and named (beside the late orders already in the book, stored), and
// the banner's colour, its words and its button agree.
async function checkPromise(on, label, file, csv, rushID, due, stored = []) {
  await uploadAndCheck(file, csv, on);
  const ok = on.locator('#batch-ok');
  await ok.waitFor({ timeout: 15000 });
  assert.equal(await ok.getAttribute('data-verdict'), 'orders-late', `${label}: the verdict`);
  assert.match(String(await ok.getAttribute('class')), /\bwarn\b/, `${label}: the banner is amber`);
  assert.equal(await ok.evaluate((e) => getComputedStyle(e).backgroundColor), AMBER_BANNER, `${label}: the banner's colour`);
  const words = await on.locator('#promise').innerText();
  const late = stored.length
    ? `But ${stored.length + 1} orders would finish after their own due date \\(1 of this batch, ${stored.length} already in the book\\):`
    : 'But 1 order would finish after its own due date \\(of this batch\\):';
  assert.match(words, new RegExp(`^The drop still ships on Mon 1 Mar 2027: the plan finishes it \\w{3} \\d{1,2} \\w{3} \\d{4} \\d{2}:\\d{2}\\. ${late}$`),
    `${label}: the promise's words`);
  assert.equal(await on.locator('#promise').getAttribute('data-on-time'), 'true', `${label}: the drop is on time`);
  assert.doesNotMatch(await ok.innerText(), /misses its date|all good/, `${label}: no word of the drop late, nor "all good"`);
  await assertNamedLate(on.locator('#promise-late'), rushID, due, label);
  assert.equal(await on.locator(`#promise-late tr[data-order="${rushID}"]`).getAttribute('data-new'), 'true', `${label}: ${rushID} is of the batch`);
  for (const id of stored) await assertNamedLate(on.locator('#promise-late'), id, due, label);
  assert.equal(await on.locator('#promise-late tr[data-order]').count(), 1 + stored.length, `${label}: the calm order is not named late`);
  const store = on.locator('button[data-store]');
  assert.equal((await store.innerText()).trim(), 'Store 2 orders, 1 of them late', `${label}: the button says what storing does`);
  assert.equal(await store.evaluate((e) => getComputedStyle(e).backgroundColor), AMBER_BUTTON, `${label}: the button is amber`);
  return store;
}

// checkDropPage checks spring-27's page: on time, the rush order late and named, and each SKU
// window's sold figure written beside its bar.
async function checkDropPage(on, label, rushID, due) {
  // The plan holds a stored batch within a second or two.
  const status = on.locator('#drop-status');
  await waitFor(async () => {
    await on.goto(`${base}/planner/drops/spring-27`);
    return / · 1 order late$/.test(await status.innerText());
  }, 15000, `${label}: spring-27's page to count the late order`);
  assert.equal(await status.getAttribute('data-status'), 'on-track', `${label}: spring-27 reads on track`);
  assert.match(await status.innerText(), /^Ships Mon 1 Mar 2027 00:00\. On track · the plan finishes it \w{3} \d{1,2} \w{3} \d{4} \d{2}:\d{2} · 1 order late$/, `${label}: the drop's status line`);
  await assertNamedLate(on.locator('#late-orders'), rushID, due, label);

  const rows = on.locator('#windows tbody tr');
  assert.ok(await rows.count() > 0, `${label}: SKU windows`);
  for (let i = 0; i < await rows.count(); i++) {
    const r = rows.nth(i);
    const ordered = Number(await r.locator('td').nth(1).innerText());
    const window = Number(await r.locator('td').nth(2).innerText());
    const figure = r.locator('td.sold .sold-figure');
    const pct = Math.min(100, Math.floor(100 * ordered / window));
    assert.equal((await figure.innerText()).trim(), ordered > 0 && pct === 0 ? '<1%' : `${pct}%`, `${label}: ${await r.getAttribute('data-sku')} sold`);
    const [bar, fig, cell] = [await r.locator('td.sold .meter').boundingBox(), await figure.boundingBox(), await r.locator('td.sold').boundingBox()];
    assert.ok(fig.x >= bar.x + bar.width && fig.x + fig.width <= cell.x + cell.width + 0.5 && fig.width > 0,
      `${label}: the sold figure beside its bar, inside its cell: bar ${JSON.stringify(bar)}, figure ${JSON.stringify(fig)}, cell ${JSON.stringify(cell)}`);
    assert.ok(Math.abs((fig.y + fig.height / 2) - (bar.y + bar.height / 2)) < 8, `${label}: the sold figure on its bar's line`);
  }
  assert.equal(await rows.locator('td.sold .sold-figure', { hasText: '6%' }).count() >= 1, true, `${label}: 2 of the 30 large kilims are sold`);
  await assertNoSideScroll(on, label);
}

// checkGantt checks the plan by cell: lanes named by cell, a legend by drop and for late work,
// the rush order's work marked late and named under the chart, a tap on a bar reads it.
async function checkGantt(on, label, rushID, due, touch) {
  const svg = on.locator('figure[data-chart=gantt] svg');
  await waitFor(async () => {
    await on.goto(`${base}/planner/gantt`);
    return await svg.locator(`rect.bar.late`).count() > 0;
  }, 15000, `${label}: late work on the Gantt chart`);
  const cells = await apiOK(base, 'GET', '/api/v1/cells');
  const names = await svg.locator('text.label').allTextContents();
  const ids = await svg.locator('text.sublabel').allTextContents();
  assert.deepEqual(ids, cells.map((c) => c.id), `${label}: each lane's cell id`);
  assert.ok(names.includes('Dye kitchen, vat A') && names.includes('Jacquard loom 1 (wide)'), `${label}: lanes named by cell: ${JSON.stringify(names)}`);
  const legend = await svg.locator('g.legend text.legend-label').allTextContents();
  assert.deepEqual(legend, ['spring-27', 'summer-27', "late: ends after its order's due date"], `${label}: the legend`);
  const lateBar = svg.locator('rect.bar.late').filter({ has: on.locator('title', { hasText: rushID }) }).first();
  const title = await tapToRead(on, 'gantt', lateBar, label, touch);
  assert.match(title, new RegExp(`^${rushID} \\(spring-27\\), operation \\d+: .* late: due ${pageTime(due).replace(/ \d{4}/, '')}, ends .+ after$`), `${label}: the late bar's words`);
  await assertNamedLate(on.locator('#late-orders'), rushID, due, label);
  await assertChartTextReadable(on, label);
  await assertNoSideScroll(on, label);
}

test('a rush order due before the floor can make it reads late and named while its drop reads on time', async () => {
  const due = rushDue();
  const csv = rushBatch('RUSH-P1', 'CALM-P1', due);
  await page.goto(`${base}/planner/drops/spring-27`);
  const store = await checkPromise(page, 'desktop', 'rush.csv', csv, 'RUSH-P1', due);
  assert.deepEqual((await workOrders(base, 'spring-27')).map((w) => w.order_id).filter((id) => id.startsWith('RUSH')), [], 'checking stored nothing');
  await screenshot(page, 'planner-promise-late');
  await store.click();
  await page.locator('#batch-stored').waitFor({ timeout: 15000 });

  // Checked again, the stored batch says so and offers no button.
  await uploadAndCheck('rush.csv', csv);
  const before = page.locator('#batch-stored-before');
  await before.waitFor({ timeout: 15000 });
  assert.match(await before.innerText(), /^rush\.csv is already stored: both its orders are in the book as the file has them\. Storing it again would change nothing\./);
  assert.equal(await page.locator('button[data-store]').count(), 0, 'no store button for a stored batch');
  assert.doesNotMatch(await page.locator('#batch-result').innerText(), /0 orders|all good/);
  await screenshot(page, 'planner-stored-before');

  await checkDropPage(page, 'desktop', 'RUSH-P1', due);
  await screenshot(page, 'planner-drop');
  await checkGantt(page, 'desktop', 'RUSH-P1', due, false);
  await screenshot(page, 'gantt-late');
  assertPagesClean(page);

  for (const size of TOUCH) {
    const label = sizeName(size);
    const ctx = await browser.newContext(size);
    const tablet = await openPage(ctx, `kofi ${label}`);
    try {
      await signInWithPassword(tablet, base, 'kofi', '/planner');
      await checkDropPage(tablet, label, 'RUSH-P1', due);
      await screenshot(tablet, `planner-drop-${label}`);
      // Another rush batch, checked and not stored.
      const mine = rushBatch(`RUSH-${size.viewport.width}`, `CALM-${size.viewport.width}`, due);
      await checkPromise(tablet, label, `rush-${size.viewport.width}.csv`, mine, `RUSH-${size.viewport.width}`, due, ['RUSH-P1']);
      await assertNoSideScroll(tablet, label);
      await screenshot(tablet, `planner-promise-late-${label}`);
      await uploadAndCheck('rush.csv', csv, tablet);
      await tablet.locator('#batch-stored-before').waitFor({ timeout: 15000 });
      assert.equal(await tablet.locator('button[data-store]').count(), 0, `${label}: no store button for a stored batch`);
      await checkGantt(tablet, label, 'RUSH-P1', due, true);
      await screenshot(tablet, `gantt-${label}`);
      assertPagesClean(tablet);
    } finally {
      await ctx.close();
    }
  }
});
