// The shop-floor tablet (/tablet), as operators use it on a touch screen: pick the cell, sign
// in with a PIN on the keypad, start, pause, resume and complete jobs, see the machine's
// progress arrive by itself, see what another tablet did, survive a lost connection and
// refuse a start from a page that is out of date.
//
// Vat A (dye-1) waits for a person to start each job (auto_start: false in configs/demo.yaml),
// so its queue shows a job ready to start. The demo factory runs at --sim-speed 30: a dye batch
// (fill 30 s, heat to the recipe's temperature with a 2-minute time constant, a 45-minute hold,
// rinse and drain: about an hour of studio time) takes about two minutes, so the bath's
// temperature climbs visibly for about 20 seconds after the start while the batch is far from
// done when the test completes it by hand. The lost connection and the stale page are played
// at manual cells, with a reclaimed rug to restore (RUG-VINTAGE: repair, then wash, ...).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  root, TABLET, PEOPLE, startDaemon, launchBrowser, openPage, assertPagesClean, screenshot,
  waitFor, apiOK, importCSV, csvOf, workOrders, operation, operationEvents, act, cellQueue,
  markNoReload, stillSamePage, signInWithPin, confirmComplete, giveLots,
} from './lib.mjs';

const SIM_SPEED = 30;

let daemon;
let browser;
let base;
let restoreOp; // the first step of the restoration, queued at repair-1
const contexts = [];
const pages = [];

before(async () => {
  daemon = await startDaemon('tablet', { simSpeed: SIM_SPEED });
  base = daemon.base;
  browser = await launchBrowser();
  const csv = readFileSync(path.join(root, 'configs/examples/spring-27.csv'), 'utf8');
  const r = await importCSV(base, 'spring-27', csv);
  assert.equal(r.status, 201, `import: ${r.text}`);
  assert.equal(r.json.created, 8);
  const s = await importCSV(base, 'summer-27', csvOf([['SU27-R001', 'RUG-VINTAGE', 1, 'Amal Haddad', 0, '', 'moth damage, corner']]));
  assert.equal(s.status, 201, `import: ${s.text}`);
  const [restore] = await workOrders(base, 'summer-27');
  const first = (await apiOK(base, 'GET', `/api/v1/work-orders/${restore.id}`)).operations.find((o) => o.seq === 0);
  restoreOp = await waitFor(async () => {
    const o = await operation(base, first.id);
    return o.state === 'queued' && o;
  }, 10000, 'the restoration to be queued');
  assert.equal(restoreOp.cell, 'repair-1');
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await daemon?.stop();
});

async function tabletContext() {
  const c = await browser.newContext(TABLET);
  contexts.push(c);
  return c;
}

async function tabletPage(context, label) {
  const p = await openPage(context, label);
  pages.push(p);
  return p;
}

// The job shown as the cell's current one, or null when #current shows .empty; read at once
// from the DOM (the live updates replace it at any moment).
async function currentJob(page) {
  const got = await page.evaluate(() => {
    const job = document.querySelector('#current article.job');
    if (!job) return { empty: document.querySelectorAll('#current .empty').length };
    return { op: Number(job.dataset.op), state: job.dataset.state, version: Number(job.dataset.version) };
  });
  if (got.empty !== undefined) {
    assert.equal(got.empty, 1, '#current shows either article.job or .empty');
    return null;
  }
  return got;
}

// actionButton is #actions' button for an action.
const actionButton = (page, action) => page.locator(`#actions button[data-action=${action}]`);

async function assertEnabled(page, enabled) {
  // After a tap the buttons are held until the page shows what it did.
  await page.locator('#actions[aria-busy=false]').waitFor({ timeout: 5000 });
  for (const action of ['start', 'pause', 'resume', 'complete']) {
    const want = enabled.includes(action);
    assert.equal(await actionButton(page, action).isEnabled(), want,
      `button[data-action=${action}] is ${want ? 'enabled' : 'disabled'}`);
  }
}

// waitForJob waits until #current shows operation op in state.
function waitForJob(page, op, state, timeoutMs = 10000) {
  return page.locator(`#current article.job[data-op="${op}"][data-state="${state}"]`).waitFor({ timeout: timeoutMs });
}

let amira; // browser A's page
let amiraContext;
let jonasContext;
let manualOp; // the job amira started at a manual cell

test('an operator starts the vat\'s queued job with a tap, its progress arrives by itself, and the other tablet follows', async () => {
  // Browser B: jonas, on dye-1's tablet already.
  jonasContext = await tabletContext();
  const jonas = await tabletPage(jonasContext, 'jonas');
  await jonas.goto(`${base}/tablet/dye-1`);
  await signInWithPin(jonas, 'jonas');
  await jonas.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
  // The job is the head of dye-1's queue once the page and the API agree on it: the queue's
  // order is the plan's, and the first plan of the batches imported above may land after the
  // first look (before it, the queue is in due-date order), which the page follows live.
  const queued = await waitFor(async () => {
    const q = await cellQueue(base, 'dye-1', 1);
    if (!(q.length > 0 && q[0].state === 'queued')) return false;
    const shown = await jonas.locator('#current article.job[data-state="queued"]').getAttribute('data-op', { timeout: 1000 }).catch(() => null);
    return shown === String(q[0].id) && q[0];
  }, 20000, 'the page and the API showing the same job queued at dye-1');
  const op = queued.id;
  await markNoReload(jonas);

  // Browser A: amira picks the cell on the cell picker and signs in with the keypad.
  amiraContext = await tabletContext();
  amira = await tabletPage(amiraContext, 'amira');
  await amira.goto(`${base}/tablet`);
  await Promise.all([amira.waitForURL(`${base}/tablet/dye-1`), amira.locator('a.cell-tile[data-cell="dye-1"]').tap()]);
  assert.equal(await amira.locator('button#pin-ok').count(), 1, 'not signed in: the PIN screen');
  await signInWithPin(amira, 'amira');
  assert.equal(new URL(amira.url()).pathname, '/tablet/dye-1', 'after the PIN, the same URL shows the queue');
  assert.match(await amira.locator('#who').innerText(), new RegExp(PEOPLE.amira.name));
  await amira.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
  assert.equal(await amira.locator('#connection').innerText(), 'Live');
  assert.equal(await amira.locator('form#signout').count(), 1);

  await waitForJob(amira, op, 'queued');
  const job = amira.locator('#current article.job');
  assert.equal(Number(await job.getAttribute('data-version')), queued.version);
  assert.match(await job.locator('.sku').innerText(), new RegExp(queued.sku));
  assert.match(await job.locator('.qty').innerText(), new RegExp(String(queued.quantity)));
  const drop = await apiOK(base, 'GET', `/api/v1/drops/${queued.drop}`);
  assert.ok((await job.locator('.drop').innerText()).includes(drop.name), `.drop names the drop ${drop.name}`);
  assert.match(await job.locator('.params').innerText(), /recipe/i, 'the dye recipe is shown');
  assert.match(await job.locator('.params').innerText(), /temperature/i, 'the bath set point is shown');
  const progress = job.locator('.progress');
  assert.equal(await progress.getAttribute('data-units-done'), '0');
  assert.equal(await progress.getAttribute('data-quantity'), String(queued.quantity));
  assert.match(await progress.innerText(), new RegExp(`0 / ${queued.quantity} units?$`));
  // The jobs after it, in the queue's order (the planner may reorder it meanwhile: compare
  // until both agree).
  await waitFor(async () => {
    const want = (await cellQueue(base, 'dye-1', 51)).slice(1).map((o) => String(o.id));
    const shown = await amira.locator('ol#queue > li[data-op]').evaluateAll((lis) => lis.map((li) => li.dataset.op));
    if (JSON.stringify(shown) !== JSON.stringify(want.slice(0, 50))) throw new Error(`shown ${shown}, queue ${want}`);
    return true;
  }, 10000, 'ol#queue to list the jobs after the current one, in order');
  await assertEnabled(amira, ['start']);
  await screenshot(amira, 'tablet-queue');
  await markNoReload(amira);

  // The vat has not run yet: its bath is cold. The start sends it the batch: it fills and heats.
  const temperature = amira.locator('#temperature');
  await temperature.waitFor({ timeout: 10000 });
  const first = await temperature.innerText();
  assert.match(first, /^\d+(\.\d+)?$/, '#temperature shows °C');
  await actionButton(amira, 'start').tap();
  // The dye step consumes yarn: the tablet asks for its lot.
  await giveLots(amira);
  await waitForJob(amira, op, 'running');
  await waitFor(async () => /Start/.test(await amira.locator('#notice').innerText()), 5000, '#notice to tell of the start');
  assert.equal((await operation(base, op)).state, 'running', 'the API has the job running');
  await assertEnabled(amira, ['pause', 'complete']);
  await waitForJob(jonas, op, 'running');

  // The temperature shown climbs without a reload, on both tablets.
  await waitFor(async () => Number(await temperature.innerText()) > Number(first) + 1, 20000,
    `#temperature to climb from ${first}`);
  await waitFor(async () => Number(await jonas.locator('#temperature').innerText()) > Number(first) + 1, 10000,
    "jonas's #temperature to climb too");
  assert.notEqual((await amira.locator('#machine-state').innerText()).trim(), '', '#machine-state is shown');
  assert.ok(await stillSamePage(amira), 'the progress came without a reload');
  await screenshot(amira, 'tablet-running');

  await actionButton(amira, 'complete').tap();
  await confirmComplete(amira);
  await waitFor(async () => (await currentJob(amira))?.op !== op, 10000, "the completed job to leave amira's #current");
  assert.equal((await operation(base, op)).state, 'done');

  // Jonas's tablet shows the next job (or nothing) by itself.
  await waitFor(async () => (await currentJob(jonas))?.op !== op, 10000, "the completed job to leave jonas's #current");
  assert.ok(await stillSamePage(jonas), "jonas's page changed without a reload");
  await screenshot(jonas, 'tablet-other');
  assertPagesClean(amira, jonas);
});

test('at a manual cell, the queued job is started with a tap', async () => {
  manualOp = restoreOp;
  const cell = manualOp.cell;
  await amira.goto(`${base}/tablet`);
  await Promise.all([amira.waitForURL(`${base}/tablet/${cell}`), amira.locator(`a.cell-tile[data-cell="${cell}"]`).tap()]);
  assert.match(await amira.locator('#who').innerText(), new RegExp(PEOPLE.amira.name), 'still signed in');
  await amira.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
  await waitForJob(amira, manualOp.id, 'queued');
  assert.match(await amira.locator('#current article.job .notes').innerText(), /moth damage, corner/, "the order's notes are shown");
  await assertEnabled(amira, ['start']);
  await actionButton(amira, 'start').tap();
  await waitForJob(amira, manualOp.id, 'running');
  assert.equal((await operation(base, manualOp.id)).state, 'running');
  await assertEnabled(amira, ['pause', 'complete']);
  await screenshot(amira, 'tablet-started');
  assertPagesClean(amira);
});

// pauseOffline taps pause, with a reason, on amira's tablet while it is offline: the action
// waits in #pending.
async function pauseOffline(op) {
  await amira.locator('#connection[data-state=lost]').waitFor({ timeout: 10000 });
  assert.equal(await amira.locator('#connection').innerText(), 'Connection lost — reconnecting');
  assert.ok(await amira.locator('#pending').isHidden(), '#pending hidden while nothing waits');

  await actionButton(amira, 'pause').tap();
  const dialog = amira.locator('dialog#dialog-pause');
  await dialog.waitFor({ state: 'visible', timeout: 5000 });
  const reasons = dialog.locator('button[data-reason]');
  assert.ok(await reasons.count() > 0, 'the pause dialog offers reasons');
  await reasons.first().tap();
  await amira.locator('#pending').waitFor({ state: 'visible', timeout: 5000 });
  assert.match(await amira.locator('#pending').innerText(), /waiting for the connection/);
  await screenshot(amira, 'tablet-offline');
  assert.equal((await operation(base, op)).state, 'running', 'nothing reached the server while offline');
}

test('a pause tapped while the connection is lost waits, then is applied exactly once', async () => {
  const op = manualOp.id;
  const offline = /ERR_INTERNET_DISCONNECTED|ERR_NETWORK_CHANGED|ERR_NAME_NOT_RESOLVED|ERR_CONNECTION_REFUSED/;
  amira.allow(offline);
  await amiraContext.setOffline(true);
  try {
    await pauseOffline(op);
  } finally {
    await amiraContext.setOffline(false);
  }
  await amira.locator('#pending').waitFor({ state: 'hidden', timeout: 30000 });
  await waitForJob(amira, op, 'paused', 10000);
  await amira.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
  assert.equal((await operation(base, op)).state, 'paused');
  // #pending empties only when the server has answered: every send of the pause is counted.
  const pauses = (await operationEvents(base, op)).filter((e) => e.kind === 'operation.changed' && e.to === 'paused');
  assert.equal(pauses.length, 1, `one pause event, got ${JSON.stringify(pauses)}`);
  assert.equal(pauses[0].actor.includes('amira'), true, `the pause is amira's: ${pauses[0].actor}`);
  amira.disallow(offline);

  // Back to work: resume and complete the job with taps.
  await actionButton(amira, 'resume').tap();
  await waitForJob(amira, op, 'running');
  await actionButton(amira, 'complete').tap();
  await confirmComplete(amira);
  await waitFor(async () => (await currentJob(amira))?.op !== op, 10000, 'the completed job to leave #current');
  assert.equal((await operation(base, op)).state, 'done');
  assertPagesClean(amira);
});

test('a page that is out of date cannot start a job done elsewhere', async () => {
  // The work order amira finished a step of has its next step queued at a manual cell.
  const wo = await apiOK(base, 'GET', `/api/v1/work-orders/${manualOp.work_order}`);
  const next = wo.operations.find((o) => o.seq === manualOp.seq + 1);
  assert.ok(next, 'the work order has a next step');
  const queued = await waitFor(async () => {
    const o = await operation(base, next.id);
    return o.state === 'queued' && o;
  }, 15000, `operation ${next.id} to be queued`);

  // Jonas opens that cell on a tablet whose live stream never gets through: the page keeps
  // showing what it loaded.
  const stale = await tabletPage(jonasContext, 'jonas-stale');
  stale.allow(/\/tablet\/[^/]+\/events/);
  await stale.route('**/tablet/*/events*', (route) => route.abort());
  await stale.goto(`${base}/tablet/${queued.cell}`);
  await waitForJob(stale, queued.id, 'queued');
  assert.ok(await actionButton(stale, 'start').isEnabled(), 'the page offers to start the job');
  const shownVersion = Number(await stale.locator('#current article.job').getAttribute('data-version'));
  assert.equal(shownVersion, queued.version);

  // Meanwhile the job is started and completed from elsewhere.
  let r = await act(base, queued.id, 'start', { version: queued.version });
  assert.equal(r.status, 200, r.text);
  r = await act(base, queued.id, 'complete');
  assert.equal(r.status, 200, r.text);
  // The same start, with the version the page showed, is refused.
  r = await act(base, queued.id, 'start', { version: queued.version });
  assert.equal(r.status, 409, `a stale start is refused: ${r.status} ${r.text}`);

  // The stale page still offers the start; the tap is refused and the page says so.
  assert.ok(await actionButton(stale, 'start').isEnabled(), 'the page is out of date');
  stale.allow(/status of 409/);
  await actionButton(stale, 'start').tap();
  await waitFor(async () => /refused|already|done/i.test(await stale.locator('#notice').innerText()), 10000,
    '#notice to say the start was refused');
  await screenshot(stale, 'tablet-stale-refused');
  const o = await operation(base, queued.id);
  assert.equal(o.state, 'done', 'the job stays done');
  const starts = (await operationEvents(base, queued.id)).filter((e) => e.kind === 'operation.changed' && e.to === 'running');
  assert.equal(starts.length, 1, `one start only: ${JSON.stringify(starts)}`);

  // Fresh from the server, the page never offers to start the done job.
  await stale.unroute('**/tablet/*/events*');
  await stale.reload();
  const now = await currentJob(stale);
  if (now && now.op === queued.id) {
    assert.ok(!(await actionButton(stale, 'start').isEnabled()), 'start is disabled for a done job');
  }
  assertPagesClean(stale);
});

test('the scan box opens a cell by its code', async () => {
  await amira.goto(`${base}/tablet`);
  await amira.locator('input#scan').fill('wash-1');
  await Promise.all([amira.waitForURL(`${base}/tablet/wash-1`), amira.locator('input#scan').press('Enter')]);
  await amira.locator('#current').waitFor();
  assertPagesClean(...pages);
});
