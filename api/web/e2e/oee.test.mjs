// Stops and their reasons on the floor, on the 1024 x 768 tablet by touch: a loom put in fault
// while it weaves a job, the fault cleared on the page and the cell reset; the stop, longer
// than the factory's prompt (5 s in the factory file this spec serves), ends, and the tablet
// asks for its reason with a big button for each reason of the tree, all in sight without
// scrolling. "Later" hides the question until the next stop; a double tap on a reason gives it
// once, and the question about the earlier stop follows. The reasons given show in the stops
// the managers read and in the dashboard's Pareto of stop reasons.
//
// Then a quality check at the repair corner, worked by hand: its restoration step gets a
// checklist in the factory file this spec serves. Completing the job asks it first; a width
// that is not a number is refused in the page, one out of its limits is a failed check: the
// non-conformance shows on the tablet at once, without Accept for an operator, Rework is
// chosen with a double tap, once, and the rework is queued at the cell.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  TABLETS, TOKENS, PEOPLE, startDaemon, confirmComplete, dialogReady, launchBrowser, openPage, assertPagesClean, screenshot,
  waitFor, api, apiOK, importCSV, csvOf, workOrders, operation, cellQueue, act, signInWithPin, factoryWith, signInWithPassword,
} from './lib.mjs';

const VP = TABLETS.find((v) => v.name === '1024x768');
const PROMPT_MS = 5000;
// The machines run fast, so that the dye batch is soon done and the weaving (some three and a
// half hours of studio time for two kilims) lasts the two stops.
const SIM_SPEED = 200;
const LOOMS = { 'weave-1': 'loom-a', 'weave-2': 'loom-b', 'weave-3': 'loom-c' };

let daemon;
let browser;
let base;

before(async () => {
  const config = factoryWith('oee', (text) => text.replace(/\n {2}prompt: 2m\n/, '\n  prompt: 5s\n').replace(
    '        name: Reweave and patch\n',
    '        name: Reweave and patch\n        checks:\n          - {name: No loose knots}\n          - {name: Width, unit: cm, target: 160, tolerance: 2}\n'));
  daemon = await startDaemon('oee', { simSpeed: SIM_SPEED, config });
  base = daemon.base;
  browser = await launchBrowser();
  const r = await importCSV(base, 'spring-27', csvOf([['OEE-1', 'RUG-KILIM-S', 2, 'Lea Berg']]));
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

// managerToken signs Inès in through the API and returns her session's bearer token.
async function managerToken() {
  const r = await apiOK(base, 'POST', '/api/v1/auth/signin', { token: null, body: { person: 'ines', password: PEOPLE.ines.password } });
  return r.token;
}

// weaving starts the kilims' dye batch and waits until a loom weaves them; it returns the
// weaving's operation.
async function weaving() {
  const [wo] = await workOrders(base, 'spring-27');
  const ops = (await apiOK(base, 'GET', `/api/v1/work-orders/${wo.id}`)).operations;
  const [dye, weave] = [0, 1].map((seq) => ops.find((o) => o.seq === seq));
  // The dye vat waits for a person to start the batch with the lot of its yarn; the loom
  // starts the weaving by itself.
  await waitFor(async () => {
    const o = await operation(base, dye.id);
    if (o.state === 'queued' && o.cell) {
      const [head] = await cellQueue(base, o.cell);
      if (head && head.id === o.id) await act(base, o.id, 'start', { version: o.version, lots: { yarn: 'OEE-YARN-1' } });
    }
    return o.state !== 'queued';
  }, 30000, 'the dye batch to start');
  return waitFor(async () => {
    const o = await operation(base, weave.id);
    return o.state === 'running' && o;
  }, 90000, 'a loom to weave the kilims');
}

// faultFor puts the loom in fault for at least ms, then clears it on the page (a double tap on
// Clear fault), which resets the cell.
async function faultFor(page, loom, token, ms) {
  const r = await api(base, 'PUT', `/api/v1/sim/devices/${loom}/faults`, { token, body: { machine_fault: 1 } });
  assert.equal(r.status, 200, r.text);
  await page.locator('#outage[data-kind=machine]').waitFor({ timeout: 15000 });
  await new Promise((res) => setTimeout(res, ms));
  await page.locator('#actions button[data-action=clear]').tap();
  const d = page.locator('dialog#dialog-clear');
  await d.waitFor({ state: 'visible', timeout: 5000 });
  await d.locator('button[data-note]', { hasText: 'Re-threaded the yarn' }).tap();
  await d.locator('button[data-confirm]').dblclick();
  await page.locator('#outage').waitFor({ state: 'detached', timeout: 15000 });
}

// inSight fails unless every element of locator lies inside the viewport, at least a finger's
// 44 px high: nothing to scroll to, nothing to miss. It measures again for a moment when the
// live part of the page was replaced as it measured.
async function inSight(locator, what) {
  const problems = async () => (await locator.evaluateAll((els) => els.map((el) => {
    const r = el.getBoundingClientRect();
    return { text: el.textContent.trim(), top: r.top, left: r.left, bottom: r.bottom, right: r.right, height: r.height };
  }))).flatMap((b) => {
    const out = [];
    if (b.top < 0 || b.left < 0 || b.bottom > VP.viewport.height || b.right > VP.viewport.width) out.push(`${what} "${b.text}" is out of sight at ${VP.name}: ${JSON.stringify(b)}`);
    if (b.height < 44) out.push(`${what} "${b.text}" is ${b.height}px high, under a finger's 44`);
    return out;
  });
  assert.ok(await locator.count() > 0, `${what}: none shown`);
  let last = [];
  await waitFor(async () => (last = await problems()).length === 0, 3000, `${what} in sight`).catch(() => {});
  assert.deepEqual(last, [], `${what} in sight`);
}

test('a stop of the loom is asked about on the tablet when it ends, later if need be, and its reason given with one tap', async () => {
  const ines = await managerToken();
  const c = await browser.newContext({ viewport: VP.viewport, hasTouch: VP.hasTouch, isMobile: VP.isMobile });
  const page = await openPage(c, `oee@${VP.name}`);
  const puts = [];
  page.on('request', (r) => { if (r.method() === 'PUT' && /\/api\/v1\/stops\/\d+\/reason$/.test(r.url())) puts.push(r.url()); });
  const op = await weaving();
  const cell = op.cell;
  await page.goto(`${base}/tablet/${cell}`);
  await signInWithPin(page, 'amira');
  await page.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });

  // The first stop: asked about once it ends, then put off.
  await faultFor(page, LOOMS[cell], ines, PROMPT_MS + 1000);
  const ask = page.locator('#stop-ask');
  await ask.waitFor({ state: 'visible', timeout: 20000 });
  const first = Number(await ask.getAttribute('data-stop'));
  assert.match(await ask.locator('.stop-what').innerText(), /\d+ minutes?/, 'how long the stop lasted');
  const reasons = ask.locator('button[data-action=stop-reason]');
  const tree = (await apiOK(base, 'GET', `/api/v1/cells/${cell}/stops/prompt`)).reasons;
  assert.deepEqual(await reasons.evaluateAll((bs) => bs.map((b) => b.dataset.reason)),
    [...tree.filter((r) => r.planned), ...tree.filter((r) => !r.planned)].map((r) => r.code), 'a button for each reason, planned first');
  assert.ok(tree.length >= 8 && tree.length <= 12, `${tree.length} reasons`);
  assert.match(await ask.locator('.stop-what').innerText(), /Machine fault · warp break/, 'what the stop was');
  await inSight(reasons, 'the reason button');
  await inSight(ask.locator('button[data-action=later]'), 'Later');
  await screenshot(page, 'oee-stop-question');
  await ask.locator('button[data-action=later]').tap();
  await ask.waitFor({ state: 'hidden', timeout: 5000 });

  // The second stop brings the question back, about it, the newest; a double tap answers once.
  await faultFor(page, LOOMS[cell], ines, PROMPT_MS + 1000);
  await waitFor(async () => await ask.isVisible() && Number(await ask.getAttribute('data-stop')) > first, 20000, 'the second stop to be asked about');
  const second = Number(await ask.getAttribute('data-stop'));
  assert.match(await ask.locator('.stop-more').innerText(), /1 more stop/);
  // The buttons wait while the reset just sent is under way, as the action buttons do.
  await ask.locator('button[data-reason=breakdown]:enabled').waitFor({ timeout: 10000 });
  await page.evaluate(() => {
    const b = document.querySelector('#stop-ask button[data-reason=breakdown]');
    b.click();
    b.click();
  });
  await waitFor(async () => Number(await ask.getAttribute('data-stop')) === first, 15000, 'the first stop to be asked about next');
  assert.equal(puts.length, 1, `a double tap sent ${puts.length} reasons`);
  await ask.locator('button[data-reason=material]').tap();
  await ask.waitFor({ state: 'detached', timeout: 15000 });

  const stops = (await apiOK(base, 'GET', `/api/v1/stops?cell=${cell}`, { token: TOKENS.planner })).stops;
  const byID = Object.fromEntries(stops.map((s) => [s.id, s]));
  assert.deepEqual([byID[second]?.reason, byID[second]?.reason_by], ['breakdown', 'person:amira'], JSON.stringify(byID[second]));
  assert.deepEqual([byID[first]?.reason, byID[first]?.reason_by], ['material', 'person:amira'], JSON.stringify(byID[first]));
  assert.ok(byID[second].minutes * 60000 >= PROMPT_MS, `stop ${second} lasted ${byID[second].minutes} min`);
  assertPagesClean(page);
  await c.close();

  // The dashboard's Pareto of stop reasons shows both reasons given.
  const mc = await browser.newContext({ viewport: VP.viewport });
  const manager = await openPage(mc, 'dashboard');
  await signInWithPassword(manager, base, 'ines', '/manager');
  const pareto = manager.locator('#oee-body #oee-pareto');
  await waitFor(async () => (await pareto.count()) === 1, 15000, 'the Pareto to load');
  for (const reason of ['breakdown', 'material']) {
    const row = pareto.locator(`tr[data-reason="${reason}"]`);
    assert.equal(await row.count(), 1, `the Pareto has a row of ${reason}`);
    // at least the prompt's 5 s, shown to a tenth of a minute
    assert.ok(Number(await row.locator('.minutes').innerText()) >= 0.1, `${reason}: ${await row.locator('.minutes').innerText()} min`);
  }
  assertPagesClean(manager);
  await mc.close();
});

test('a failed measurement on the tablet opens a non-conformance; Rework, tapped twice, queues the step again once', async () => {
  const r = await importCSV(base, 'summer-27', csvOf([['OEE-Q1', 'RUG-VINTAGE', 1, 'Amal Haddad']]));
  assert.equal(r.status, 201, r.text);
  const wo = (await workOrders(base, 'summer-27')).find((w) => w.order_id === 'OEE-Q1');
  const first = (await apiOK(base, 'GET', `/api/v1/work-orders/${wo.id}`)).operations.find((o) => o.seq === 0);
  await waitFor(async () => {
    const o = await operation(base, first.id);
    return o.state === 'queued' && o.cell === 'repair-1';
  }, 20000, 'the restoration to be queued at the repair corner');

  const c = await browser.newContext({ viewport: VP.viewport, hasTouch: VP.hasTouch, isMobile: VP.isMobile });
  const page = await openPage(c, `oee-quality@${VP.name}`);
  const decisions = [];
  page.on('request', (q) => { if (q.method() === 'POST' && /\/decision$/.test(q.url())) decisions.push(q.url()); });
  await page.goto(`${base}/tablet/repair-1`);
  await signInWithPin(page, 'amira');
  await page.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
  await page.locator(`#current article.job[data-op="${first.id}"]`).waitFor({ timeout: 10000 });
  await page.locator('#actions button[data-action=start]:enabled').tap();
  await page.locator(`#current article.job[data-op="${first.id}"][data-state=running]`).waitFor({ timeout: 10000 });
  assert.match(await page.locator('#current .checks').innerText(), /Width \(cm\) 158–162/, 'the job shows its checklist with the limits');
  // The repair corner stood idle with this job waiting from its import to the tap on Start: on a
  // busy machine that lasts past the prompt (5 s here), and the tablet then asks for that
  // stop's reason over the job. This test is not about stops: their reasons are given through
  // the API, and the question goes from the tablet by itself.
  for (const st of (await apiOK(base, 'GET', '/api/v1/cells/repair-1/stops/prompt')).stops) {
    await apiOK(base, 'PUT', `/api/v1/stops/${st.id}/reason`, { token: TOKENS.operator, body: { reason: 'material' } });
  }
  await page.locator('#stop-ask').waitFor({ state: 'detached', timeout: 15000 });

  await page.locator('#actions button[data-action=complete]:enabled').tap();
  const d = page.locator('dialog#dialog-checks');
  await dialogReady(d);
  const next = d.locator('button[data-confirm]');
  await d.locator('.check-item[data-check="No loose knots"] button[data-pass=true]').tap();
  const width = d.locator('.check-item[data-check="Width"] input');
  await width.fill('abc');
  assert.ok(await d.locator('.check-item[data-check="Width"] .bad').isVisible(), 'a width that is not a number is refused in the page');
  assert.ok(await next.isDisabled(), 'nothing is sent with a width that is not a number');
  await width.fill('171.5');
  assert.ok(await next.isEnabled(), 'a width out of its limits is an answer');
  await screenshot(page, 'oee-checklist');
  await next.tap();
  await confirmComplete(page);

  const nc = page.locator(`#ncs .nc[data-operation="${first.id}"]`);
  await nc.waitFor({ timeout: 15000 });
  assert.match(await nc.locator('.failed').innerText(), /Width/);
  assert.equal(await nc.locator('button[data-action=nc-accept]').count(), 0, 'an operator is not offered Accept');
  await screenshot(page, 'oee-nonconformance');
  await nc.locator('button[data-decision=rework]:enabled').waitFor({ timeout: 10000 });
  await page.evaluate((id) => {
    const b = document.querySelector(`#ncs .nc[data-operation="${id}"] button[data-decision=rework]`);
    b.click();
    b.click();
  }, first.id);
  await page.locator('#ncs').waitFor({ state: 'detached', timeout: 15000 });
  assert.equal(decisions.length, 1, `a double tap on Rework sent ${decisions.length} decisions`);
  await waitFor(async () => /Rework: Reweave and patch/.test(await page.locator('#live').innerText()), 15000, 'the rework to show in the cell\'s queue');
  const ncs = (await apiOK(base, 'GET', '/api/v1/nonconformances?cell=repair-1')).nonconformances.filter((n) => n.operation === first.id);
  assert.deepEqual(ncs.map((n) => n.state), ['rework']);
  const ops = (await apiOK(base, 'GET', `/api/v1/work-orders/${wo.id}`)).operations;
  assert.equal(ops.filter((o) => o.rework_of === first.id).length, 1, 'one rework operation');
  assertPagesClean(page);
  await c.close();
});
