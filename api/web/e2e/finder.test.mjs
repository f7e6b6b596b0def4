// Finding units, orders and lots from the manager's dashboard, on the studio's smaller tablet
// (1024x768). Two scarf orders come in; one is dyed from a yarn lot and finished at its bath.
// From the dashboard's search box the manager finds a unit by its serial (typed as a barcode
// scanner types it: the serial, then Enter) and reads its genealogy (customer, the bath's
// cell and people, its lots); finds the order and its units; finds the yarn lot and follows
// its trace to the unit's genealogy page. What names nothing says so, and a control character
// is refused.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  TABLET, startDaemon, launchBrowser, openPage, assertPagesClean, screenshot, waitFor, apiOK, api, importCSV, csvOf,
  workOrders, operation, act, signInWithPassword, TOKENS,
} from './lib.mjs';

const SCREEN = { ...TABLET, viewport: { width: 1024, height: 768 } };
const YARN = 'YARN-FIND-1';

let daemon;
let browser;
let base;
let page;
let serial;
let order;

before(async () => {
  daemon = await startDaemon('finder', { simSpeed: 60 });
  base = daemon.base;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

// find types text into the dashboard's search box and presses Enter, as a scanner does, and
// waits for the page it leads to.
async function find(text, path) {
  await page.goto(`${base}/manager`);
  const box = page.locator('#find-q');
  await box.fill(text);
  await Promise.all([page.waitForURL((u) => u.pathname === path, { timeout: 10000 }), box.press('Enter')]);
}

test('a scarf dyed from a yarn lot is finished at its bath', async () => {
  const r = await importCSV(base, 'summer-27', csvOf([
    ['FIND-A', 'SCARF-GAUZE-INDIGO', 2, 'Aiko <Find>'],
    ['FIND-B', 'SCARF-GAUZE-INDIGO', 1, 'Bram Find'],
  ]));
  assert.equal(r.status, 201, r.text);
  const wo = (await workOrders(base, 'summer-27')).find((w) => w.order_id === 'FIND-A');
  const dye = (await apiOK(base, 'GET', `/api/v1/work-orders/${wo.id}`)).operations.find((o) => o.seq === 0);
  // The bath waits for a person (vat A) or its machine starts it (vat B): either way the yarn
  // lot is given, at start or afterwards, and the bath is completed by hand.
  await waitFor(async () => {
    const o = await operation(base, dye.id);
    if (o.state === 'queued') {
      const s = await act(base, o.id, 'start', { version: o.version, lots: { yarn: YARN } });
      assert.ok(s.status === 200 || s.status === 409, s.text);
      return false;
    }
    if (o.state === 'running' || o.state === 'paused') {
      const lots = await apiOK(base, 'GET', `/api/v1/operations/${o.id}/lots`);
      if (lots.missing.includes('yarn')) {
        const l = await act(base, o.id, 'lots', { lots: { yarn: YARN } });
        assert.equal(l.status, 200, l.text);
      }
      if (o.state === 'paused') await act(base, o.id, 'resume');
      else await act(base, o.id, 'complete');
      return false;
    }
    return o.state === 'done';
  }, 60000, 'the dye bath of FIND-A done');
  const lots = await apiOK(base, 'GET', `/api/v1/operations/${dye.id}/lots`);
  assert.deepEqual(lots.consumed.map((l) => l.lot), [YARN]);
  const trace = await apiOK(base, 'GET', `/api/v1/lots/${YARN}/trace`);
  assert.equal(trace.work_orders.length, 1);
  assert.deepEqual(trace.work_orders[0].units.map((u) => u.state), ['live', 'live']);
  serial = trace.work_orders[0].units[0].serial;
  order = trace.work_orders[0].order_id;
  assert.equal(order, 'FIND-A');
  const g = await api(base, 'GET', `/api/v1/units/${encodeURIComponent(serial)}`, { token: TOKENS.operator });
  assert.equal(g.status, 200, g.text);
  assert.equal(g.json.order.customer, 'Aiko <Find>');
});

test('the manager finds the unit by serial, by order and by lot, and follows the trace to its genealogy', async () => {
  const c = await browser.newContext(SCREEN);
  page = await openPage(c, 'finder-manager');
  await signInWithPassword(page, base, 'ines', '/manager');

  // By serial, as a scanner types it.
  await find(serial, `/manager/units/${serial}`);
  assert.equal(await page.locator('#unit-serial').innerText(), serial);
  assert.equal(await page.locator('#unit-customer').innerText(), 'Aiko <Find>');
  assert.match(await page.locator('#unit-steps').innerText(), new RegExp(`yarn from lot ${YARN}`));
  assert.match(await page.locator('#unit-certificate').innerText(), /Not issued yet|revision/);
  await screenshot(page, 'finder-genealogy-1024x768');

  // By order: its units, each linking to its genealogy.
  await find(order, '/manager/units');
  assert.equal(await page.locator('#order-id').innerText(), order);
  assert.equal(await page.locator('#order-units tbody tr').count(), 2);
  await screenshot(page, 'finder-order-1024x768');

  // By lot: its trace, the units collapsed under a count; the serial leads to the genealogy.
  await find(YARN, '/manager/trace');
  const units = page.locator('table#trace td.units details');
  assert.equal(await units.locator('summary').innerText(), '2 units');
  assert.equal(await units.locator(`li[data-serial="${serial}"] a`).isVisible(), false, 'the list starts collapsed');
  await units.locator('summary').click();
  await screenshot(page, 'finder-trace-1024x768');
  await Promise.all([
    page.waitForURL((u) => u.pathname === `/manager/units/${serial}`, { timeout: 10000 }),
    units.locator(`li[data-serial="${serial}"] a`).click(),
  ]);
  assert.equal(await page.locator('#unit-serial').innerText(), serial);

  // Nothing found, and a control character refused.
  page.allow(/status of 40[04]/);
  await find('NO-SUCH-THING', '/manager/find');
  assert.match(await page.locator('#find-problem').innerText(), /Nothing found for “NO-SUCH-THING”/);
  await find('FIND\u0007A', '/manager/find');
  assert.match(await page.locator('#find-problem').innerText(), /control character U\+0007/);
  await screenshot(page, 'finder-nothing-1024x768');
  assertPagesClean(page);
  await c.close();
});
