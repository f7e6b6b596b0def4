// Lots on the tablet and the recall trace, on the studio's smaller tablet (1024x768, touch).
// A dyer starts a scarf's dye bath at vat A (dye-1, whose jobs wait for a person): the tablet
// asks for the lot of the yarn it consumes; a lot id with a control character in it is refused
// with the server's reason and nothing starts; the lot typed as a barcode scanner types it
// (then Enter) starts the bath, which makes its own lot, both shown with the job. A bath
// started without a person (as a machine starts its work) shows its yarn lot missing, and the
// dyer records it from the tablet. The manager finds each lot's orders and customers on the
// trace page, linked from the dashboard, and downloads them as CSV.
//
// The sim runs slowly, so that a bath the second vat starts by itself is still running when
// the tablet records its lot.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  TABLET, startDaemon, launchBrowser, openPage, assertPagesClean, screenshot, waitFor, apiOK, importCSV, csvOf,
  workOrders, operation, act, signInWithPin, signInWithPassword, giveLots,
} from './lib.mjs';

const SCREEN = { ...TABLET, viewport: { width: 1024, height: 768 } };

let daemon;
let browser;
let base;
const contexts = [];

before(async () => {
  daemon = await startDaemon('lots', { simSpeed: 5 });
  base = daemon.base;
  browser = await launchBrowser();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await daemon?.stop();
});

async function screen(label) {
  const c = await browser.newContext(SCREEN);
  contexts.push(c);
  return openPage(c, label);
}

// dyeOf returns the dye operation of an order, once it is queued or further.
async function dyeOf(order) {
  const wo = (await workOrders(base, 'summer-27')).find((w) => w.order_id === order);
  const first = (await apiOK(base, 'GET', `/api/v1/work-orders/${wo.id}`)).operations.find((o) => o.seq === 0);
  return waitFor(async () => {
    const o = await operation(base, first.id);
    return o.state !== 'ready' && o.state !== 'pending' && { ...o, order };
  }, 15000, `${order}'s dye step to be queued`);
}

function lotsOf(op) {
  return apiOK(base, 'GET', `/api/v1/operations/${op}/lots`);
}

async function jobIs(page, op, state) {
  await page.locator(`#current article.job[data-op="${op}"][data-state=${state}]`).waitFor({ timeout: 15000 });
}

let first;
let second;
let made;

test('the tablet asks for the yarn lot at start, refuses a control character and starts with the scanned lot', async () => {
  const r = await importCSV(base, 'summer-27', csvOf([
    ['LOT-A', 'SCARF-GAUZE-INDIGO', 2, 'Aiko Lot'],
    ['LOT-B', 'SCARF-GAUZE-INDIGO', 1, 'Bram Lot'],
  ]));
  assert.equal(r.status, 201, r.text);
  const a = await dyeOf('LOT-A');
  const b = await dyeOf('LOT-B');
  // The job vat A shows first is the test's first; the other is the second, wherever it went.
  [first, second] = a.cell === 'dye-1' ? [a, b] : [b, a];
  assert.equal(first.cell, 'dye-1', `one of the baths waits at vat A: ${a.cell}, ${b.cell}`);

  const page = await screen('lots-dyer');
  await page.goto(`${base}/tablet/dye-1`);
  await signInWithPin(page, 'amira');
  await page.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
  await jobIs(page, first.id, 'queued');
  const shown = page.locator('#current .lots [data-material=yarn].missing');
  assert.equal(await shown.count(), 1, 'the job shows its yarn lot missing');

  // A lot id with a control character in it (BEL, as a badly set scanner sends) is refused.
  page.allow(/status of 400/);
  await page.locator('#actions button[data-action=start]').tap();
  const dialog = page.locator('dialog#dialog-lots');
  await dialog.waitFor({ state: 'visible', timeout: 5000 });
  const input = dialog.locator('#lots-fields input[name=yarn]');
  await waitFor(async () => input.evaluate((el) => el === document.activeElement), 5000, 'the yarn box to have the focus');
  assert.equal(await input.getAttribute('required'), '', 'the lot is required');
  assert.match(await dialog.locator('#lots-fields label').innerText(), /yarn/);
  await screenshot(page, 'lots-dialog-1024x768');
  await input.fill('YARN\u00077');
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden', timeout: 5000 });
  await page.locator('#notice.bad').waitFor({ timeout: 10000 });
  const notice = await page.locator('#notice').innerText();
  assert.match(notice, /refused\. .*lots\.yarn: the lot id holds the control character U\+0007/, notice);
  await screenshot(page, 'lots-refused-1024x768');
  assert.equal((await operation(base, first.id)).state, 'queued', 'nothing started');
  assert.deepEqual((await lotsOf(first.id)).consumed, [], 'no lot stored');
  await page.locator('#actions[aria-busy=false]').waitFor({ timeout: 10000 });

  // Scanned: the lot typed, then Enter.
  await page.locator('#actions button[data-action=start]').tap();
  await giveLots(page, () => 'YARN-2611-A');
  await jobIs(page, first.id, 'running');
  const lots = await lotsOf(first.id);
  assert.deepEqual(lots.consumed.map((l) => [l.material, l.lot, l.recorded_by]), [['yarn', 'YARN-2611-A', 'person:amira']]);
  made = lots.made;
  assert.match(made, /^dye-\d{8}-\d{3}$/, 'the bath made its lot');
  await waitFor(async () => (await page.locator('#current .lots .lot-made [data-lot]').innerText()) === made, 10000, 'the made lot shown');
  assert.equal(await page.locator('#current .lots [data-material=yarn] [data-lot]').innerText(), 'YARN-2611-A');
  assert.equal(await page.locator('#current .lots .missing').count(), 0, 'no lot missing');
  await screenshot(page, 'lots-started-1024x768');
  assertPagesClean(page);
});

test('a bath started without a person shows its yarn lot missing, and the tablet records it', async () => {
  // The second bath starts as a machine starts it: without lots (at vat A, through the API
  // once the first is done; at vat B by itself).
  if (second.cell === 'dye-1') {
    let r = await act(base, first.id, 'complete');
    assert.equal(r.status, 200, r.text);
    const o = await waitFor(async () => { const x = await operation(base, second.id); return x.state === 'queued' && x; }, 10000, 'the second bath queued');
    r = await act(base, second.id, 'start', { version: o.version });
    assert.equal(r.status, 200, r.text);
  }
  await waitFor(async () => (await operation(base, second.id)).state === 'running', 30000, 'the second bath running');
  const page = await screen('lots-record');
  await page.goto(`${base}/tablet/${second.cell}`);
  await signInWithPin(page, 'jonas');
  await page.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
  await jobIs(page, second.id, 'running');
  await page.locator('#current .lots [data-material=yarn].missing').waitFor({ timeout: 5000 });
  await page.locator('#actions button[data-action=lots]').tap();
  await giveLots(page, () => 'YARN-2611-B');
  await waitFor(async () => (await page.locator('#current .lots .missing').count()) === 0, 10000, 'the missing lot recorded');
  assert.equal(await page.locator('#current .lots [data-material=yarn] [data-lot]').innerText(), 'YARN-2611-B');
  assert.match(await page.locator('#notice').innerText(), /Lots of .*: done\./);
  const lots = await lotsOf(second.id);
  assert.deepEqual(lots.missing, []);
  assert.deepEqual(lots.consumed.map((l) => [l.lot, l.recorded_by]), [['YARN-2611-B', 'person:jonas']]);
  await screenshot(page, 'lots-recorded-1024x768');
  assertPagesClean(page);
});

test("the manager traces a lot to its orders and customers, from the dashboard, and downloads the CSV", async () => {
  const page = await screen('lots-manager');
  await signInWithPassword(page, base, 'ines', '/manager');
  await Promise.all([page.waitForURL(`${base}/manager/trace`), page.locator('a#trace-link').click()]);
  const lotBox = page.locator('#trace-lot');
  for (const [lot, order, customer, role] of [
    ['YARN-2611-A', first.order, first.order === 'LOT-A' ? 'Aiko Lot' : 'Bram Lot', 'consumed'],
    [made, first.order, first.order === 'LOT-A' ? 'Aiko Lot' : 'Bram Lot', 'made'],
  ]) {
    await lotBox.fill(lot);
    await Promise.all([page.waitForURL((u) => u.searchParams.get('lot') === lot), lotBox.press('Enter')]);
    const rows = page.locator('table#trace tbody tr');
    assert.equal(await rows.count(), 1, `one work order touched by ${lot}`);
    const cells = await rows.first().locator('th, td').allInnerTexts();
    assert.equal(cells[0], order);
    assert.equal(cells[1], customer);
    assert.equal(cells[7], role);
    const href = await page.locator('a#trace-csv').getAttribute('href');
    const csv = await (await page.request.get(base + href)).text();
    const lines = csv.trim().split('\n');
    assert.equal(lines[0], 'lot,role,material,serial,unit state,order,customer,drop,sku,work order,work order state');
    // One row per unit of the work order (one with no serial before its first unit is counted).
    assert.ok(lines.length >= 2, csv);
    for (const line of lines.slice(1)) {
      assert.ok(line.startsWith(`${lot},${role},`) && line.includes(`,${order},${customer},summer-27,SCARF-GAUZE-INDIGO,`), line);
    }
  }
  await screenshot(page, 'lots-trace-1024x768');
  await lotBox.fill('NO-SUCH-LOT');
  await lotBox.press('Enter');
  await page.locator('#trace-problem').waitFor({ timeout: 5000 });
  assert.match(await page.locator('#trace-problem').innerText(), /No operation made or consumed lot NO-SUCH-LOT/);
  assertPagesClean(page);
});
