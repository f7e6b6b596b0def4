// Scrapped units made again, on both of the studio's touch screens (1024x768 and 1280x800): an
// operator scraps one of the two units of a rug restoration (through the API, as the tablet
// does); the order shows as a unit short in the Short list of the planner's drop page and of
// the manager's dashboard, with where and why; a double tap on "Make 1 again" makes one remake
// and shows no error; the list then shows it as being made again, and the remake is on the
// plan (the Gantt chart) and in the queue of the repair corner's tablet.
//
// RUG-VINTAGE starts at repair-1, a cell worked by hand (configs/demo.yaml): nothing runs its
// jobs by itself, so the queue holds still while the test looks.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startDaemon, launchBrowser, openPage, assertPagesClean, screenshot, waitFor, apiOK, importCSV, csvOf,
  workOrders, operation, act, signInWithPassword, signInWithPin,
} from './lib.mjs';

// The two tablets the studio uses: landscape, touch, not a phone.
const SCREENS = [
  { name: '1024x768', viewport: { width: 1024, height: 768 } },
  { name: '1280x800', viewport: { width: 1280, height: 800 } },
];

let daemon;
let browser;
let base;
const contexts = [];

before(async () => {
  daemon = await startDaemon('remake');
  base = daemon.base;
  browser = await launchBrowser();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await daemon?.stop();
});

async function screen(s) {
  const c = await browser.newContext({ viewport: s.viewport, hasTouch: true, isMobile: false });
  contexts.push(c);
  return c;
}

// restoration imports a rug restoration of two units for summer-27 and returns its work order
// and its first operation, once queued at repair-1.
async function restoration(order) {
  const r = await importCSV(base, 'summer-27', csvOf([[order, 'RUG-VINTAGE', 2, 'Amal Haddad', 0, '', 'moth damage, corner']]));
  assert.equal(r.status, 201, `import: ${r.text}`);
  const wo = (await workOrders(base, 'summer-27')).find((w) => w.order_id === order);
  const first = (await apiOK(base, 'GET', `/api/v1/work-orders/${wo.id}`)).operations.find((o) => o.seq === 0);
  const op = await waitFor(async () => {
    const o = await operation(base, first.id);
    return o.state === 'queued' && o;
  }, 10000, `${order}'s first step to be queued`);
  assert.equal(op.cell, 'repair-1');
  return { wo, op };
}

// shortRow is the order's row of the Short list on a page.
function shortRow(page, order) {
  return page.locator(`#short-list tr[data-order="${order}"]`);
}

// checkRow checks what the Short list says of an order a unit short.
async function checkRow(page, order, wo, s) {
  const row = shortRow(page, order);
  await row.waitFor({ timeout: 10000 });
  assert.equal(await row.getAttribute('data-short'), '1');
  const cells = await row.locator('th, td').allInnerTexts();
  assert.deepEqual(cells.slice(0, 6).map((x) => x.trim()), [order, 'Amal Haddad', 'RUG-VINTAGE', '2', '0 / 1', '1']);
  assert.equal(cells[6].trim(), `1 at Reweave and patch (repair-1), work order ${wo.id}: Moth damage too deep to reweave`);
  const button = row.locator('button[data-remake]');
  assert.equal((await button.innerText()).trim(), 'Make 1 again');
  // The button is on the screen without scrolling sideways, big enough for a thumb.
  // (the dashboard redraws as the floor works: a redraw between the two steps replaces the
  // button, so both are tried again until one box is measured)
  const box = await waitFor(async () => {
    await button.scrollIntoViewIfNeeded({ timeout: 2000 });
    return button.boundingBox();
  }, 10000, 'the button to be on the screen');
  assert.ok(box.x >= 0 && box.x + box.width <= s.viewport.width, `the button is within the ${s.name} screen: ${JSON.stringify(box)}`);
  assert.ok(box.height >= 44, `the button is ${box.height} px high`);
  const count = await page.locator('#short-count').innerText();
  assert.match(count, /^\d+ orders? short of units$/);
}

for (const [i, s] of SCREENS.entries()) {
  test(`at ${s.name}: a scrapped unit shows as short on the drop page and the dashboard; a double tap makes it once, planned and queued`, async () => {
    const order = `SU27-RMK-${s.viewport.width}`;
    const { wo, op } = await restoration(order);
    const r = await act(base, op.id, 'scrap', { reason: 'Moth damage too deep to reweave', quantity: 1 });
    assert.equal(r.status, 200, `scrap: ${r.text}`);

    const plannerCtx = await screen(s);
    const planner = await openPage(plannerCtx, `kofi-${s.name}`);
    await signInWithPassword(planner, base, 'kofi', '/planner/drops/summer-27');
    await checkRow(planner, order, wo, s);
    await screenshot(planner, `remake-planner-${s.name}`);

    const managerCtx = await screen(s);
    const manager = await openPage(managerCtx, `ines-${s.name}`);
    await signInWithPassword(manager, base, 'ines', '/manager');
    await checkRow(manager, order, wo, s);
    await screenshot(manager, `remake-dashboard-${s.name}`);

    // The double tap: the planner's page on the small screen, the dashboard on the other.
    const page = i === 0 ? planner : manager;
    const answers = [];
    page.on('response', (res) => {
      if (res.url().endsWith(`/api/v1/orders/${order}/remake`)) answers.push(res);
    });
    const button = shortRow(page, order).locator('button[data-remake]');
    await page.bringToFront();
    await button.scrollIntoViewIfNeeded();
    // Two taps as fast as a finger makes them, where the button is once it holds still.
    let box = null;
    await waitFor(async () => {
      const last = box;
      box = await button.boundingBox();
      return last && box && JSON.stringify(last) === JSON.stringify(box);
    }, 5000, 'the button to hold still');
    // Both taps go to the browser at once, as a double tap on a daemon slower to answer than
    // the finger: the second lands before the first is answered and the list redrawn.
    // (page.touchscreen.tap waits for each tap's round trip, by which time this daemon has
    // answered and the list shows no button any more.)
    const touch = [{ x: box.x + box.width / 2, y: box.y + box.height / 2 }];
    const cdp = await page.context().newCDPSession(page);
    await Promise.all(['touchStart', 'touchEnd', 'touchStart', 'touchEnd'].map((type) =>
      cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : touch })));
    await cdp.detach();
    await waitFor(() => answers.length >= 2, 10000, 'both taps to be answered');
    assert.equal(answers.length, 2, 'two taps, two requests');
    assert.deepEqual(answers.map((a) => a.status()), [201, 201], 'both taps are answered 201');
    const replayed = await Promise.all(answers.map((a) => a.headerValue('idempotent-replayed')));
    assert.deepEqual(replayed.sort(), ['true', null].sort(), 'the second tap is the first answered again');

    const view = await apiOK(base, 'GET', `/api/v1/orders/${order}`);
    assert.equal(view.work_orders.length, 2, 'one remake is made');
    const remake = view.work_orders[1];
    assert.equal(remake.quantity, 1);
    assert.equal(remake.remake_of, wo.id);
    assert.equal(view.shortfall.short, 0);
    assert.equal(view.shortfall.remaking, 1);

    // The list says it is being made again, and no error.
    const row = shortRow(page, order);
    await waitFor(async () => (await row.getAttribute('data-short')) === '0', 10000, 'the list to show the remake');
    assert.match(await row.locator('td.remake').innerText(), new RegExp(`Being made again\\s+1 by work order ${remake.id}`));
    assert.equal(await row.locator('button[data-remake]').count(), 0, 'no button once it is made again');
    const notice = page.locator('#short-notice');
    assert.match(await notice.innerText(), new RegExp(`Order ${order}: work order ${remake.id} makes 1 again\\.`));
    assert.equal(await notice.evaluate((n) => n.classList.contains('bad')), false, 'the notice is no error');
    assert.equal(await page.locator('#short .bad, .error, [role=alert]').filter({ hasText: /not short|refused|error/i }).count(), 0);
    await screenshot(page, `remake-done-${s.name}`);
    // The other page hears of it: the dashboard by itself, the drop page on a reload.
    if (page === planner) {
      await waitFor(async () => (await shortRow(manager, order).getAttribute('data-short')) === '0', 10000, 'the dashboard to show the remake');
    } else {
      await planner.reload();
      assert.equal(await shortRow(planner, order).getAttribute('data-short'), '0');
    }

    // On the plan: the remake's first step is in the Gantt chart.
    const first = (await apiOK(base, 'GET', `/api/v1/work-orders/${remake.id}`)).operations.find((o) => o.seq === 0);
    assert.equal(first.cell, 'repair-1');
    await waitFor(async () => {
      const plan = await apiOK(base, 'GET', '/api/v1/plan/operations?cell=repair-1');
      return plan.operations.some((o) => o.operation === first.id);
    }, 15000, `the plan to hold operation ${first.id}`);
    await planner.goto(`${base}/planner/gantt`);
    const gantt = planner.locator('svg');
    await gantt.first().waitFor();
    assert.match(await planner.content(), new RegExp(`${order} \\(summer-27\\), operation ${first.id}:`));
    await screenshot(planner, `remake-gantt-${s.name}`);

    // In the repair corner's queue, on its tablet.
    const tabletCtx = await screen(s);
    const tablet = await openPage(tabletCtx, `amira-${s.name}`);
    await tablet.goto(`${base}/tablet/repair-1`);
    await signInWithPin(tablet, 'amira');
    await tablet.locator(`#live [data-op="${first.id}"]`).waitFor({ timeout: 10000 });
    await screenshot(tablet, `remake-tablet-${s.name}`);

    assertPagesClean(planner, manager, tablet);
  });
}
