// The shop tablet's actions, as operators tap them on the two tablets the studio hangs at its
// cells (1024x768 and 1280x800, touch): Complete asks how many good units were made and
// confirms, a shortfall asks for its reason and is scrapped, Scrap starts at one unit, and a
// double tap on any action (start, pause with its reason, resume, complete, scrap, report
// fault, print label again) has exactly one effect and shows no error, online or offline.
//
// Every flow runs once per tablet size, on jobs of its own: a rug restoration of 3 (repair,
// then wash, ...) at the repair corner and the wet room, worked by hand; a scarf's dye batch
// at vat A (dye-1, whose jobs wait for a person to start them); a fault report at finishing
// bench 2; label reprints at the label station, whose simulated printer counts what it
// prints. The factory holds nothing else, so the jobs a cell shows are the test's own.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  TABLET, startDaemon, launchBrowser, openPage, assertPagesClean, screenshot, waitFor, apiOK, api,
  importCSV, csvOf, workOrders, operation, operationEvents, act, signInWithPin, confirmComplete, TOKENS, giveLots,
} from './lib.mjs';

const SIM_SPEED = 30;
const SIZES = [
  { name: '1024x768', context: { ...TABLET, viewport: { width: 1024, height: 768 } } },
  { name: '1280x800', context: { ...TABLET } },
];

let daemon;
let browser;
let base;
const contexts = [];

before(async () => {
  daemon = await startDaemon('tablet-actions', { simSpeed: SIM_SPEED });
  base = daemon.base;
  browser = await launchBrowser();
  // A scarf goes through to the label station first, so that it has a label to print again.
  let r = await importCSV(base, 'summer-27', csvOf([['SA-LABEL', 'SCARF-GAUZE-INDIGO', 2, 'Label test']]));
  assert.equal(r.status, 201, r.text);
  const [scarf] = await workOrders(base, 'summer-27');
  await driveTo(scarf.id, 'label');
  const rows = [];
  for (const name of [...SIZES.map((s) => s.name), 'notices']) {
    rows.push([`SA-R-${name}`, 'RUG-VINTAGE', 3, 'Restoration', 0, '', name]);
  }
  r = await importCSV(base, 'summer-27', csvOf(rows));
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await daemon?.stop();
});

// driveTo works work order id's steps through the API, as finishWorkOrders does, up to and
// including its step of capability cap, and returns that step once done.
async function driveTo(id, cap) {
  return waitFor(async () => {
    const wo = await apiOK(base, 'GET', `/api/v1/work-orders/${id}`);
    const ops = [...wo.operations].sort((a, b) => a.seq - b.seq);
    const target = ops.find((o) => o.capability === cap);
    if (target.state === 'done') return target;
    const o = ops.find((x) => x.state !== 'done');
    let res;
    if (o.state === 'running') res = await act(base, o.id, 'complete');
    else if (o.state === 'paused') res = await act(base, o.id, 'resume');
    else if (o.state === 'queued') res = await act(base, o.id, 'start', { version: o.version });
    if (res) assert.ok(res.status === 200 || res.status === 409, `${o.state} operation ${o.id}: ${res.status} ${res.text}`);
    return false;
  }, 60000, `work order ${id} to finish its ${cap} step`);
}

// printed is how many labels the label station's simulated printer printed.
async function printed() {
  return (await apiOK(base, 'GET', '/api/v1/sim/devices/labeller-1')).printed;
}

// changes counts an operation's events: its state changes to each state, and its scraps.
async function changes(op) {
  const out = {};
  for (const e of await operationEvents(base, op)) {
    if (!e.kind.startsWith('operation.')) continue; // the cell's stops name the operation they hold up
    const k = e.kind === 'operation.changed' ? e.to : e.kind;
    out[k] = (out[k] || 0) + 1;
  }
  return out;
}

const actionButton = (page, action) => page.locator(`#actions button[data-action=${action}]`);

// doubleTap taps the element selector names twice as fast as the browser can: two clicks in
// one go, the second before anything the first started (a request, a dialog) has answered.
// The element is found as it is clicked: the live part of the page is replaced at any time.
async function doubleTap(page, selector) {
  await page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) throw new Error(`no ${sel}`);
    el.click();
    el.click();
  }, selector);
}

// doubleTapAt taps twice at the spot where the element is, as a finger does: the second tap
// lands on whatever is there once the first was handled (a dialog it opened, the page under
// a dialog it closed).
async function doubleTapAt(locator) {
  await locator.dblclick();
}

// watchActions records the actions page sends: each POST to the API with its
// Idempotency-Key, one key per action (a retry sends its key again).
function watchActions(page) {
  page.sent = [];
  page.on('request', (r) => {
    const key = r.headers()['idempotency-key'];
    if (r.method() === 'POST' && key) page.sent.push({ path: new URL(r.url()).pathname, key });
  });
}

// sentSince returns the actions page sent since mark (a length of page.sent), one path per
// action.
function sentSince(page, mark) {
  const keys = new Map();
  for (const a of page.sent.slice(mark)) keys.set(a.key, a.path);
  return [...keys.values()];
}

// settled waits until the page's actions are no longer held (the last answer is shown) and
// checks that no error is shown and, when path is given, that the page sent one action since
// mark, to path.
async function settled(page, what, mark, path) {
  await page.locator('#actions[aria-busy=false]').waitFor({ timeout: 10000 });
  assert.equal(await page.locator('#pending').isHidden(), true, `${what}: nothing waits`);
  assert.equal(await page.locator('#notice.bad').count(), 0,
    `${what}: no error shown (notice: ${await page.locator('#notice').innerText()})`);
  if (path !== undefined) assert.deepEqual(sentSince(page, mark), [path], `${what}: one action sent`);
}

// currentOp is the operation #current shows, waiting until it shows one in state.
async function currentOp(page, state, timeoutMs = 10000) {
  const job = page.locator(`#current article.job[data-state="${state}"]`);
  await job.waitFor({ timeout: timeoutMs });
  return Number(await job.getAttribute('data-op'));
}

// dialogReady waits until dialog's buttons, held for a moment after it opens, are offered,
// and checks that the dialog, not its number box, has the focus (which would bring up the
// on-screen keyboard).
async function dialogReady(page, dialog) {
  await dialog.waitFor({ state: 'visible', timeout: 5000 });
  await waitFor(async () => dialog.locator('button[data-cancel]').isEnabled(), 5000, 'the dialog\'s buttons');
  assert.notEqual(await page.evaluate(() => document.activeElement?.tagName), 'INPUT', 'no number box has the focus');
}

async function openCell(page, cell) {
  await page.goto(`${base}/tablet/${cell}`);
  await page.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
}

for (const size of SIZES) {
  let page;
  let context;
  let restore; // the restoration's repair step, worked at the repair corner

  test(`${size.name}: a double tap starts, pauses (with its reason) and resumes a job once each`, async () => {
    context = await browser.newContext(size.context);
    contexts.push(context);
    page = await openPage(context, `amira-${size.name}`);
    watchActions(page);
    await page.goto(`${base}/tablet/repair-1`);
    await signInWithPin(page, 'amira');
    await page.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
    restore = await currentOp(page, 'queued');
    assert.equal((await operation(base, restore)).quantity, 3);

    let mark = page.sent.length;
    await doubleTap(page, '#actions button[data-action=start]');
    await currentOp(page, 'running');
    await settled(page, 'start', mark, `/api/v1/operations/${restore}/start`);
    assert.match(await page.locator('#notice').innerText(), /Start .*: done\./);

    // The second tap lands on the pause dialog as it opens: it chooses nothing there.
    mark = page.sent.length;
    await doubleTapAt(actionButton(page, 'pause'));
    const pause = page.locator('dialog#dialog-pause');
    await dialogReady(page, pause);
    assert.equal((await operation(base, restore)).state, 'running', 'the double tap on Pause only opened its dialog');
    await screenshot(page, `tablet-actions-pause-${size.name}`);
    // And a double tap on a reason pauses once.
    await doubleTap(page, 'dialog#dialog-pause button[data-reason]');
    await currentOp(page, 'paused');
    await settled(page, 'pause', mark, `/api/v1/operations/${restore}/pause`);

    mark = page.sent.length;
    await doubleTap(page, '#actions button[data-action=resume]');
    await currentOp(page, 'running');
    await settled(page, 'resume', mark, `/api/v1/operations/${restore}/resume`);
    assert.deepEqual(await changes(restore), { queued: 1, running: 2, paused: 1 },
      'one start, one pause, one resume');
    const paused = (await operationEvents(base, restore)).find((e) => e.to === 'paused');
    assert.ok(paused.reason, 'the pause has its reason');
    assertPagesClean(page);
  });

  test(`${size.name}: Scrap starts at one unit, and a double tap on it scraps one`, async () => {
    const mark = page.sent.length;
    await doubleTap(page, '#actions button[data-action=scrap]');
    const dialog = page.locator('dialog#dialog-scrap');
    await dialogReady(page, dialog);
    assert.equal(await dialog.locator('#scrap-qty').inputValue(), '1', 'the scrap dialog starts at 1 unit');
    assert.match(await dialog.innerText(), /3 left/);
    await dialog.locator('button[data-reason]').first().tap();
    await screenshot(page, `tablet-actions-scrap-${size.name}`);
    await doubleTap(page, 'dialog#dialog-scrap button[data-confirm]');
    await waitFor(async () => (await operation(base, restore)).scrapped === 1, 10000, 'one unit scrapped');
    await settled(page, 'scrap', mark, `/api/v1/operations/${restore}/scrap`);
    const scraps = (await operationEvents(base, restore)).filter((e) => e.kind === 'operation.scrapped_units');
    assert.deepEqual(scraps.map((e) => e.quantity), [1], 'one scrap of one unit');
    assert.match(await page.locator('#current .progress').innerText(), /1 scrapped/);
    assertPagesClean(page);
  });

  test(`${size.name}: Complete asks how many good units; fewer asks why and scraps the rest`, async () => {
    // A double tap on Complete only opens its dialog.
    const mark = page.sent.length;
    await doubleTapAt(actionButton(page, 'complete'));
    const dialog = page.locator('dialog#dialog-complete');
    await dialogReady(page, dialog);
    assert.equal((await operation(base, restore)).state, 'running', 'the double tap on Complete only opened its dialog');
    // A cell worked by hand: every unit open is offered as good; no machine count is shown.
    assert.equal(await dialog.locator('#complete-qty').inputValue(), '2', 'prefilled with the 2 units left');
    assert.equal(await dialog.locator('#complete-counted').isHidden(), true, 'no machine at the repair corner');
    assert.equal(await dialog.locator('#complete-short').isHidden(), true);
    await screenshot(page, `tablet-actions-complete-${size.name}`);

    // One good unit: the other is short, and needs a reason before Complete is offered.
    await dialog.locator('button[data-step="-1"]').tap();
    assert.equal(await dialog.locator('#complete-qty').inputValue(), '1');
    await dialog.locator('#complete-short').waitFor({ state: 'visible', timeout: 5000 });
    assert.match(await dialog.locator('#complete-short').innerText(), /^Units short: 1\. They are scrapped with the completion\. Why\?/);
    assert.equal(await dialog.locator('button[data-confirm]').isDisabled(), true, 'a shortfall needs a reason');
    // The dialog fits the screen, Complete and Cancel within reach.
    const box = await dialog.boundingBox();
    assert.ok(box.y >= 0 && box.y + box.height <= size.context.viewport.height,
      `the dialog (${box.y}..${box.y + box.height}) fits the ${size.name} screen`);
    const reason = dialog.locator('button[data-reason]').nth(1);
    const code = await reason.getAttribute('data-reason');
    await reason.tap();
    await screenshot(page, `tablet-actions-complete-short-${size.name}`);
    await doubleTap(page, 'dialog#dialog-complete button[data-confirm]');
    await waitFor(async () => (await operation(base, restore)).state === 'done', 10000, 'the repair step done');
    await settled(page, 'complete', mark, `/api/v1/operations/${restore}/complete`);
    assert.match(await page.locator('#notice').innerText(), /\(1 good, 1 scrapped\): done\./);

    const o = await operation(base, restore);
    assert.equal(o.scrapped, 2, 'the unit scrapped before and the one short');
    assert.deepEqual(await changes(restore), { queued: 1, running: 2, paused: 1, 'operation.scrapped_units': 2, done: 1 });
    const events = await operationEvents(base, restore);
    const short = events.filter((e) => e.kind === 'operation.scrapped_units').at(-1);
    assert.equal(short.quantity, 1);
    assert.equal(short.reason, code, 'the shortfall carries the reason tapped');
    assert.equal(events.find((e) => e.to === 'done').reason ?? '', '', 'the completion carries no reason');
    const wo = await apiOK(base, 'GET', `/api/v1/work-orders/${o.work_order}`);
    assert.equal(wo.operations.find((x) => x.seq === 1).quantity, 1, 'the wash plans the one good unit');
    assertPagesClean(page);
  });

  test(`${size.name}: at the dye vat, Complete offers what the machine reports done and confirms`, async () => {
    // Scarves to dye: the plan spreads them over both vats; vat B starts its own, vat A's
    // wait for a person. The test works the job vat A shows, as its dyer would.
    const r = await importCSV(base, 'summer-27', csvOf([1, 2, 3].map((i) => [`SA-D-${size.name}-${i}`, 'SCARF-GAUZE-INDIGO', 2, 'Dye test'])));
    assert.equal(r.status, 201, r.text);
    await openCell(page, 'dye-1');
    const op = await currentOp(page, 'queued', 30000);
    let mark = page.sent.length;
    await doubleTap(page, '#actions button[data-action=start]');
    // The dye step consumes yarn: the double tap opens the dialog that asks for its lot, once.
    await giveLots(page);
    await currentOp(page, 'running');
    await settled(page, 'start at the vat', mark, `/api/v1/operations/${op}/start`);

    mark = page.sent.length;
    await actionButton(page, 'complete').tap();
    const dialog = page.locator('dialog#dialog-complete');
    await dialogReady(page, dialog);
    const quantity = (await operation(base, op)).quantity;
    const good = await page.locator('#actions').getAttribute('data-good');
    assert.equal(await dialog.locator('#complete-qty').inputValue(), good, 'prefilled with what the vat reports done');
    assert.equal(await dialog.locator('#complete-counted').isVisible(), true);
    assert.match(await dialog.locator('#complete-counted').innerText(),
      new RegExp(`Units the machine reports done: ${good} / ${quantity}`));
    if (Number(good) === 0) {
      assert.equal(await dialog.locator('button[data-confirm]').isDisabled(), true, 'nothing done: nothing to confirm yet');
      assert.equal(await dialog.locator('#complete-none').isVisible(), true, 'the dialog says what to do');
    }
    await screenshot(page, `tablet-actions-complete-vat-${size.name}`);
    await dialog.locator('#complete-qty').fill(String(quantity));
    await doubleTap(page, 'dialog#dialog-complete button[data-confirm]');
    await waitFor(async () => (await operation(base, op)).state === 'done', 10000, 'the dye step done');
    await settled(page, 'complete at the vat', mark, `/api/v1/operations/${op}/complete`);
    const c = await changes(op);
    assert.equal(c.done, 1, 'one completion');
    assert.equal(c['operation.scrapped_units'], undefined, 'nothing scrapped');
    assertPagesClean(page);
  });

  test(`${size.name}: a double tap on a fault reason reports one fault`, async () => {
    await openCell(page, 'finish-2');
    const before = (await apiOK(base, 'GET', '/api/v1/events?cell=finish-2&limit=1000')).events
      .filter((e) => e.kind === 'cell.fault').length;
    const mark = page.sent.length;
    await doubleTap(page, '#actions button[data-action=fault]');
    const dialog = page.locator('dialog#dialog-fault');
    await dialogReady(page, dialog);
    await screenshot(page, `tablet-actions-fault-${size.name}`);
    await doubleTap(page, 'dialog#dialog-fault button[data-reason]');
    await page.locator('#outage').waitFor({ timeout: 10000 });
    await settled(page, 'fault report', mark, '/api/v1/cells/finish-2/fault');
    const faults = (await apiOK(base, 'GET', '/api/v1/events?cell=finish-2&limit=1000')).events
      .filter((e) => e.kind === 'cell.fault').length;
    assert.equal(faults - before, 1, 'one fault reported');
    // Back in service for the next tablet.
    const r = await api(base, 'POST', '/api/v1/cells/finish-2/reset', { token: TOKENS.operator });
    assert.ok(r.status < 300, `reset: ${r.status} ${r.text}`);
    assertPagesClean(page);
  });

  test(`${size.name}: a double tap on Print label again prints one label`, async () => {
    await openCell(page, 'label-1');
    // The labels the scarf's units owed are printed first.
    let last = -1;
    await waitFor(async () => {
      const n = await printed();
      const same = n === last && n >= 2;
      last = n;
      return same;
    }, 20000, 'the label printer to print what was owed');
    const mark = page.sent.length;
    await doubleTap(page, '#actions button[data-action=label]');
    await waitFor(async () => (await printed()) >= last + 1, 10000, 'the label printed again');
    await settled(page, 'label reprint', mark, '/api/v1/cells/label-1/labels');
    assert.equal(await printed(), last + 1, 'one label printed');
    assert.match(await page.locator('#notice').innerText(), /Label reprint: done\./);
    assertPagesClean(page);
  });

  test(`${size.name}: offline, a double tap on Complete queues one action and holds the buttons`, async () => {
    // The restoration's wash, one good unit, at the wet room.
    await openCell(page, 'wash-1');
    const op = await currentOp(page, 'queued');
    await actionButton(page, 'start').tap();
    await currentOp(page, 'running');
    await settled(page, 'start at the wet room');

    const offline = /ERR_INTERNET_DISCONNECTED|ERR_NETWORK_CHANGED|ERR_NAME_NOT_RESOLVED|ERR_CONNECTION_REFUSED/;
    page.allow(offline);
    const mark = page.sent.length;
    await context.setOffline(true);
    try {
      await page.locator('#connection[data-state=lost]').waitFor({ timeout: 10000 });
      await actionButton(page, 'complete').tap();
      const dialog = page.locator('dialog#dialog-complete');
      await dialogReady(page, dialog);
      assert.equal(await dialog.locator('#complete-qty').inputValue(), '1');
      assert.equal(await dialog.locator('button[data-confirm]').isEnabled(), true, 'Complete offered');
      await doubleTap(page, 'dialog#dialog-complete button[data-confirm]');
      await page.locator('#pending').waitFor({ state: 'visible', timeout: 5000 });
      assert.match(await page.locator('#pending').innerText(),
        /^1 action waiting for the connection: Complete .*The buttons come back once it is sent\.$/);
      // Taps on the held buttons do nothing: the browser sends no click to a disabled button.
      await actionButton(page, 'complete').dblclick({ force: true });
      for (const action of ['start', 'pause', 'resume', 'complete', 'scrap', 'fault']) {
        assert.equal(await actionButton(page, action).isDisabled(), true, `${action} is held while the complete waits`);
      }
      assert.equal(await page.locator('dialog#dialog-complete[open]').count(), 0, 'no dialog opened');
      const waiting = await page.evaluate((cell) => JSON.parse(localStorage.getItem('cellforge.pending.' + cell)), 'wash-1');
      assert.equal(waiting.length, 1, `one action waits: ${JSON.stringify(waiting)}`);
      assert.equal((await operation(base, op)).state, 'running', 'nothing reached the server');
      await screenshot(page, `tablet-actions-offline-${size.name}`);
    } finally {
      await context.setOffline(false);
    }
    await page.locator('#pending').waitFor({ state: 'hidden', timeout: 30000 });
    await waitFor(async () => (await operation(base, op)).state === 'done', 10000, 'the wash done');
    await settled(page, 'complete sent after the connection came back', mark, `/api/v1/operations/${op}/complete`);
    assert.equal((await changes(op)).done, 1, 'one completion');
    page.disallow(offline);
    assertPagesClean(page);
  });
}

test('a success message goes by itself; a refusal stays until tapped', async () => {
  const context = await browser.newContext(TABLET);
  contexts.push(context);
  const page = await openPage(context, 'notices');
  // The page hears of no change: it keeps showing what it loaded.
  await page.route('**/tablet/*/events*', (route) => route.abort());
  page.allow(/\/tablet\/[^/]+\/events|status of 409/);
  await page.goto(`${base}/tablet/repair-1`);
  await signInWithPin(page, 'jonas');
  const notice = page.locator('#notice');
  // The third restoration's repair step is queued here. It is started elsewhere, so the
  // tablet's start, from a page out of date, is refused.
  const op = await currentOp(page, 'queued');
  const o = await operation(base, op);
  let r = await act(base, op, 'start', { version: o.version });
  assert.equal(r.status, 200, r.text);
  r = await act(base, op, 'pause', { reason: 'break' });
  assert.equal(r.status, 200, r.text);
  await actionButton(page, 'start').tap();
  await page.locator('#notice.bad').waitFor({ timeout: 10000 });
  assert.match(await notice.innerText(), /refused/);
  await page.locator('#actions[aria-busy=false]').waitFor({ timeout: 10000 });
  await screenshot(page, 'tablet-actions-refused');
  await notice.tap();
  await page.locator('#notice.bad').waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(await notice.innerText(), '');

  await page.unroute('**/tablet/*/events*');
  await page.reload();
  await currentOp(page, 'paused');
  await actionButton(page, 'resume').tap();
  await waitFor(async () => /Resume .*: done\./.test(await notice.innerText()), 10000, 'the resume to be done');
  await waitFor(async () => (await notice.innerText()) === '', 10000, 'the success message to go');
  assertPagesClean(page);
});
