// A unit's second life, from its page to its certificate, on the demo floor. A reclaimed rug
// (RUG-VINTAGE, made by hand) is made and certified; three more wait at the wet room, so that an
// express repair has someone to overtake. Its buyer, on a phone (390x844, touch), opens the
// rug's page from its serial as its QR code would, asks for a repair with the kind's checklist
// and a photo, and lands on the repair's page with the parcel slip. The parcel arrives: the
// manager scans the slip's QR code into the search box (1024x768) and receives it. Amira, at
// the repair corner's tablet (1024x768), starts the diagnosis, adds a note and a photo, picks
// the fringe and a deep clean, and sends the estimate. The buyer approves express with a double
// tap; the work runs through the cells of the two services' routings (the fringe reknotted on
// a finishing bench's tablet, the wash and the finish through the API); the repair is ready. The
// rug's page then shows the repair (its date, services, Amira's public name, her note and
// photo) and nothing of the buyer, and its certificate, downloaded from the page, verifies with
// `cellforge verify` with one revision more than before, chained to the first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  root, outDir, TABLET, PHONE, TOKENS, startDaemon, launchBrowser, openPage, assertPagesClean, waitFor, api, apiOK, act,
  screenshot, importCSV, csvOf, finishWorkOrders, signInWithPassword, signInWithPin, confirmComplete, cellQueue, dialogReady, addNote,
  addPhoto, png, zbarimg, verifyCertificate,
} from './lib.mjs';

// Every step of this floor is by hand but the label printer's: the sim speed only paces the
// planner's clock.
const SIM_SPEED = 400;
const DROP = 'summer-27';
const ORDER = 'FL-VINTAGE-1';
const LOAD = ['FL-LOAD-1', 'FL-LOAD-2', 'FL-LOAD-3'];
const CUSTOMER = 'Zoë Quist';
const CONTACT = 'zoe.quist@example.org';
const DESCRIPTION = 'The fringe is unravelling along one end and the colours look grey.';
const CHECK_NOTE = 'It lies in the hall by the front door';
const FINDINGS = 'Fringe knots loose along the north end; surface soiled from the hall';
const PUBLIC_NOTE = 'Fringe reknotted in the original wool, then washed cold';
const PRIVATE_NOTE = 'Customer keeps it by the door: suggest a runner pad';
const SCREEN = { ...TABLET, viewport: { width: 1024, height: 768 } };

let daemon;
let browser;
let base;
let tmp;
const contexts = [];

before(async () => {
  daemon = await startDaemon('repair', { simSpeed: SIM_SPEED });
  base = daemon.base;
  browser = await launchBrowser();
  tmp = mkdtempSync(path.join(tmpdir(), 'cellforge-e2e-repair-'));
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await daemon?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function newContext(options) {
  const c = await browser.newContext(options);
  contexts.push(c);
  return c;
}

// workOrderOf returns the one work order of order.
async function workOrderOf(order) {
  const { work_orders: wos } = await apiOK(base, 'GET', `/api/v1/orders/${encodeURIComponent(order)}`);
  assert.equal(wos.length, 1, `one work order of ${order}`);
  return wos[0].id;
}

// doneFirstStep starts and completes the first operation of the work order id through the API,
// as the floor would by hand, so that its next step queues.
async function doneFirstStep(id) {
  await waitFor(async () => {
    const wo = await apiOK(base, 'GET', `/api/v1/work-orders/${id}`);
    const o = wo.operations.find((x) => x.seq === 0);
    if (o.state === 'done') return true;
    const r = o.state === 'running' ? await act(base, o.id, 'complete') : await act(base, o.id, 'start', { version: o.version });
    assert.ok(r.status === 200 || r.status === 409, `${o.state} operation ${o.id}: ${r.status} ${r.text}`);
    return false;
  }, 15000, `the first step of work order ${id} to be done`);
}

// byHand does step seq of work order wo by hand on the tablet page of the cell it queues at,
// signed in as Amira: the step must be the job in hand there; it is started and completed,
// every unit good.
async function byHand(page, wo, seq) {
  const o = await waitFor(async () => {
    const x = (await apiOK(base, 'GET', `/api/v1/work-orders/${wo}`)).operations.find((y) => y.seq === seq);
    return x.state === 'queued' && x;
  }, 15000, `step ${seq} of work order ${wo} to be queued`);
  await page.goto(`${base}/tablet/${o.cell}`);
  if (await page.locator('#pin').count() > 0) await signInWithPin(page, 'amira');
  await page.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
  const job = page.locator(`#current article.job[data-op="${o.id}"]`);
  await job.waitFor({ timeout: 10000 }).catch(async (e) => {
    const queue = (await cellQueue(base, o.cell)).map((q) => `${q.id}:${q.state}:${q.order_id ?? q.work_order}:p${q.priority}`);
    const plan = await apiOK(base, 'GET', `/api/v1/plan/operations?cell=${o.cell}`);
    throw new Error(`${e.message}\n${o.capability} step ${o.id} at ${o.cell}; queue ${queue.join(' ')}; plan ${JSON.stringify(plan)}; the tablet shows ${await page.locator('#current').innerText().catch(() => '?')}`);
  });
  await page.locator('#actions button[data-action=start]').tap();
  await page.locator(`#current article.job[data-op="${o.id}"][data-state=running]`).waitFor({ timeout: 10000 });
  await screenshot(page, `repair-tablet-${o.capability}`);
  await page.locator('#actions button[data-action=complete]').tap();
  await confirmComplete(page);
  await waitFor(async () => (await apiOK(base, 'GET', `/api/v1/operations/${o.id}`)).state === 'done', 10000, `operation ${o.id} to be done`);
}

// repair reads a repair through the API.
function repair(id) {
  return apiOK(base, 'GET', `/api/v1/repairs/${encodeURIComponent(id)}`);
}

// download taps the page's certificate link and saves what it downloads to tmp/NAME.
async function download(page, name) {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), page.locator('a#certificate').tap()]);
  assert.equal(await d.failure(), null, 'the download completed');
  const file = path.join(tmp, name);
  await d.saveAs(file);
  return file;
}

// fitsThePhone fails when the page scrolls sideways on the phone.
async function fitsThePhone(page, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= 390, `${what}: the page is ${w} px wide on a 390 px phone`);
}

test('a rug comes back for a repair, is mended express through the cells, and its certificate says so', async (t) => {
  // The rug, made and finished by hand; its serial is the unit the API knows of its order.
  let r = await importCSV(base, DROP, csvOf([[ORDER, 'RUG-VINTAGE', 1, 'Olek Brandt']]));
  assert.equal(r.status, 201, r.text);
  const made = await workOrderOf(ORDER);
  await finishWorkOrders(base, [made], 30000);
  const unit = await apiOK(base, 'GET', `/api/v1/units/${encodeURIComponent(`${ORDER}-1`)}`);
  assert.equal(unit.unit.work_order, made);
  assert.equal(unit.state, 'finished');
  const serial = unit.unit.serial;

  // Three more rugs for the drop, past the repair corner, queued at the wet room.
  r = await importCSV(base, DROP, csvOf(LOAD.map((o) => [o, 'RUG-VINTAGE', 1, 'Mina Ostrova'])));
  assert.equal(r.status, 201, r.text);
  for (const o of LOAD) await doneFirstStep(await workOrderOf(o));

  // The buyer's phone: the rug's page, typed from its serial as its QR code holds it.
  const phone = await newContext({ ...PHONE, acceptDownloads: true });
  const customer = await openPage(phone, 'customer');
  const unitURL = `${base}/u/${encodeURIComponent(serial)}`;
  await customer.goto(unitURL);
  assert.equal((await customer.locator('#serial').innerText()).trim(), serial);
  assert.equal(await customer.locator('#repairs').count(), 0, 'no repair yet');
  // Its certificate as it stands, fetched aside: the phone's browser keeps what it downloads
  // for a minute, as the page says of itself.
  const certBefore = await (await fetch(await customer.locator('a#certificate').evaluate((a) => a.href))).json();
  assert.equal(certBefore.revisions.length, 1, 'the new rug\'s certificate has one revision');

  // The request: the kind's checklist and a photo.
  await customer.locator('#repair-request').tap();
  await customer.waitForURL(`${unitURL}/repair`);
  await customer.locator('#customer').fill(CUSTOMER);
  await customer.locator('#contact').fill(CONTACT);
  await customer.locator('#description').fill(DESCRIPTION);
  await customer.locator('#check-fringe').tap();
  await customer.locator('#check-stains').tap();
  await customer.locator('#check-notes').fill(CHECK_NOTE);
  const photo = path.join(tmp, 'fringe.png');
  writeFileSync(photo, png(240, 160));
  await customer.locator('#photos').setInputFiles(photo);
  await fitsThePhone(customer, 'the request form');
  await Promise.all([customer.waitForURL(/\/r\/[A-Za-z0-9_-]{43}$/), customer.locator('#send').tap()]);
  const link = customer.url();
  assert.equal(await customer.locator('#state').getAttribute('data-state'), 'requested');
  const id = (await customer.locator('#slip-id').innerText()).trim();
  assert.match(id, /^R-\d{6}$/);
  assert.match(await customer.locator('#slip').innerText(), new RegExp(CUSTOMER));
  assert.equal(await customer.locator('#photos img').count(), 1, 'the photo sent');
  await fitsThePhone(customer, 'the repair\'s page');
  await customer.screenshot({ path: path.join(outDir, 'repair-phone-requested.png'), fullPage: true });
  const qrFile = path.join(outDir, 'repair-slip-qr.png');
  await customer.locator('#slip-qr svg').screenshot({ path: qrFile });
  const slipURL = await zbarimg(qrFile);
  assert.equal(slipURL, `${base}/manager/repairs/${id}`);
  let rep = await repair(id);
  assert.equal(rep.serial, serial);
  assert.equal(rep.kind, 'rug');
  assert.deepEqual(rep.checklist, { fringe: 'yes', stains: 'yes', notes: CHECK_NOTE });
  assert.equal(rep.photos.length, 1);

  // The parcel arrives: the manager scans its slip into the search box and receives it.
  const desk = await openPage(await newContext(SCREEN), 'manager');
  await signInWithPassword(desk, base, 'ines', '/manager');
  const box = desk.locator('#find-q');
  await box.fill(slipURL);
  await Promise.all([desk.waitForURL((u) => u.pathname === `/manager/repairs/${id}`, { timeout: 10000 }), box.press('Enter')]);
  assert.equal(await desk.locator('#repair-state').getAttribute('data-state'), 'requested');
  await desk.locator('#repair-receive').click();
  await desk.locator('#repair-done').waitFor();
  assert.equal(await desk.locator('#repair-state').getAttribute('data-state'), 'received');
  await screenshot(desk, 'repair-manager-received');

  // Amira diagnoses it at the repair corner.
  const tablet = await openPage(await newContext(SCREEN), 'tablet-repair-1');
  await tablet.goto(`${base}/tablet/repair-1`);
  await signInWithPin(tablet, 'amira');
  await tablet.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
  const inHand = tablet.locator(`#current #repair[data-repair="${id}"]`);
  await inHand.waitFor({ timeout: 20000 });
  assert.match(await inHand.innerText(), new RegExp(DESCRIPTION.slice(0, 30)));
  const diagnoseButton = tablet.locator('#actions button[data-action=diagnose]');
  await tablet.locator('#actions button[data-action=start]').tap();
  await waitFor(async () => diagnoseButton.isEnabled(), 10000, 'Diagnose once started');
  await addNote(tablet, PUBLIC_NOTE);
  await addNote(tablet, PRIVATE_NOTE, { private: true });
  const makerPhoto = await addPhoto(tablet, path.join(root, 'api/testdata/photos/plain.jpg'), 'the loose fringe');
  await waitFor(async () => diagnoseButton.isEnabled(), 10000, 'Diagnose after the photo');
  await diagnoseButton.tap();
  const dialog = tablet.locator('dialog#dialog-diagnose');
  await dialogReady(dialog);
  await dialog.locator('#diagnose-findings').fill(FINDINGS);
  await dialog.locator('#diagnose-services button[data-service=fringe]').tap();
  await dialog.locator('#diagnose-services button[data-service=clean]').tap();
  const live = dialog.locator('#diagnose-estimate .estimate[data-ready=true]');
  await live.waitFor({ timeout: 15000 });
  assert.deepEqual(await live.locator('tbody tr').evaluateAll((rs) => rs.map((x) => x.dataset.service)), ['fringe', 'clean']);
  assert.match(await live.locator('[data-choice=express]').innerText(), /ready .*EUR/, 'express is offered: the wet room has work to overtake');
  await screenshot(tablet, 'repair-tablet-diagnose');
  const send = dialog.locator('button[data-confirm]');
  await waitFor(async () => send.isEnabled(), 5000, 'Send estimate');
  await send.tap();
  await dialog.waitFor({ state: 'hidden', timeout: 10000 });
  rep = await waitFor(async () => {
    const x = await repair(id);
    return x.state === 'estimated' && x;
  }, 15000, 'the repair to be estimated');
  assert.deepEqual(rep.diagnosis.services, ['fringe', 'clean']);
  assert.ok(rep.estimate.express, 'the estimate offers express');
  t.diagnostic(`estimated at ${rep.estimate.at}: standard ${rep.estimate.standard}, express ${rep.estimate.express}`);

  // The buyer sees the estimate and approves express, with a double tap.
  await customer.goto(link);
  assert.equal(await customer.locator('#state').getAttribute('data-state'), 'estimated');
  const lines = await customer.locator('#estimate').innerText();
  assert.match(lines, /Fringe repair[\s\S]*Deep clean/);
  assert.match(await customer.locator('#findings').innerText(), /Fringe knots loose/);
  // What express pays for shows: the two dates differ as the customer reads them.
  const readyBy = async (sel) => /ready by (.*?), (total|EUR)/.exec(await customer.locator(sel).innerText())[1];
  const [standardBy, expressBy] = [await readyBy('#standard'), await readyBy('#express')];
  assert.notEqual(expressBy, standardBy, `express ready by ${expressBy}, standard by ${standardBy}`);
  await fitsThePhone(customer, 'the estimate');
  await customer.screenshot({ path: path.join(outDir, 'repair-phone-estimate.png'), fullPage: true });
  const approve = customer.locator('#approve-express');
  let posted = 0;
  const countDecisions = (req) => { if (req.method() === 'POST' && req.url().endsWith('/decision')) posted++; };
  customer.on('request', countDecisions);
  await Promise.all([
    customer.waitForResponse((res) => res.request().method() === 'POST' && res.url().endsWith('/decision')),
    approve.dblclick(),
  ]);
  await customer.locator('#decision').waitFor({ timeout: 10000 });
  await customer.waitForLoadState('load');
  customer.off('request', countDecisions);
  t.diagnostic(`the double tap posted ${posted} decision(s)`);
  assert.equal(customer.url(), link, 'the decision leads back to the repair\'s page');
  assert.equal(await customer.locator('#state').getAttribute('data-state'), 'approved');
  assert.match(await customer.locator('#decision').innerText(), /You approved the express repair/);
  const events = (await apiOK(base, 'GET', '/api/v1/events?limit=10000')).events;
  assert.equal(events.filter((e) => e.kind === 'repair.approved' && e.order_id === id).length, 1, 'approved once');
  rep = await repair(id);
  assert.equal(rep.decision.express, true);
  assert.ok(rep.work_order, 'the approval made the work order');

  // The work runs through the cells of the two services: fringe, then wash and finish.
  const work = await apiOK(base, 'GET', `/api/v1/work-orders/${rep.work_order}`);
  assert.equal(work.order_id, `${id}-W`);
  assert.equal(work.priority, 9, 'express work goes first');
  assert.deepEqual([...work.operations].sort((a, b) => a.seq - b.seq).map((o) => o.capability), ['fringe', 'wash', 'finish']);
  // The fringe by hand on the finishing bench's tablet; the wash and the finish as the floor
  // does them (the wet room's tablet shows first the rug the plan had already put in hand there).
  await byHand(tablet, rep.work_order, 0);
  await finishWorkOrders(base, [rep.work_order], 30000);
  rep = await waitFor(async () => {
    const x = await repair(id);
    return x.state === 'ready' && x;
  }, 10000, 'the repair to be ready');
  const cells = { fringe: ['finish-1', 'finish-2'], wash: ['wash-1'], finish: ['finish-1', 'finish-2', 'repair-1'] };
  for (const o of (await apiOK(base, 'GET', `/api/v1/work-orders/${rep.work_order}`)).operations) {
    assert.equal(o.state, 'done');
    assert.ok(cells[o.capability].includes(o.cell), `the ${o.capability} step ran at ${o.cell}, a cell offering it`);
  }
  await customer.reload();
  assert.equal(await customer.locator('#state').getAttribute('data-state'), 'ready');

  // The rug's page, by the ready page's link: the repair, and nothing of the buyer. The phone
  // saw the page before the repair, and a unit's page may be kept a minute (public, max-age=60):
  // the buyer pulls to refresh.
  await Promise.all([customer.waitForURL(unitURL), customer.locator('#ready a').tap()]);
  await customer.reload();
  const shown = customer.locator('#repairs li.repair');
  assert.equal(await shown.count(), 1, 'one repair on the rug\'s page');
  const shownDate = await shown.getAttribute('data-date');
  // The day the work was done, in the studio's time zone: within a day of its UTC instant.
  assert.ok(Math.abs(Date.parse(shownDate) - Date.parse(rep.ready_at.slice(0, 10))) <= 86400000,
    `the repair's date ${shownDate} is the day it was ready (${rep.ready_at})`);
  assert.deepEqual(await shown.locator('ul.services li').allInnerTexts(), ['Fringe repair', 'Deep clean']);
  assert.equal((await shown.locator('.makers').innerText()).trim(), 'Amira H.');
  assert.match(await shown.locator('blockquote.note').innerText(), new RegExp(PUBLIC_NOTE));
  const thumb = shown.locator('.photos img');
  assert.equal(await thumb.count(), 1, 'the maker\'s photo');
  await thumb.scrollIntoViewIfNeeded();
  await waitFor(async () => thumb.evaluate((img) => img.complete && img.naturalWidth > 0), 10000, 'the photo\'s thumbnail to load');
  assert.match(await thumb.getAttribute('src'), new RegExp(makerPhoto));
  const html = await customer.content();
  for (const [what, text] of [
    ['the customer', CUSTOMER], ['the contact', CONTACT], ['the description', DESCRIPTION.slice(0, 20)],
    ['the checklist\'s note', CHECK_NOTE], ['the repair\'s id', id], ['Amira\'s full name', 'Haddad'],
    ['the customer\'s photo', rep.photos[0].sha256], ['the diagnosis\'s findings', FINDINGS],
    ['the private note', PRIVATE_NOTE],
  ]) {
    assert.ok(!html.includes(text), `the rug's page shows ${what} (${text})`);
  }
  await fitsThePhone(customer, 'the rug\'s page');
  await customer.screenshot({ path: path.join(outDir, 'repair-phone-unit.png'), fullPage: true });

  // Its certificate: one revision more, chained to the first, and it verifies.
  const certFile = await download(customer, 'after.json');
  const v = await verifyCertificate(certFile, `${base}/provenance/keys.json`);
  assert.equal(v.code, 0, `verify: ${v.stdout}${v.stderr}`);
  assert.match(v.stdout, /2 revisions/);
  t.diagnostic(v.stdout.trim());
  const cert = JSON.parse(readFileSync(certFile, 'utf8'));
  assert.equal(cert.revisions.length, certBefore.revisions.length + 1);
  assert.deepEqual(cert.revisions[0], certBefore.revisions[0], 'the first revision is as it was');
  assert.equal(cert.revisions[1].revision.revision, 2);
  assert.match(cert.revisions[1].revision.previous, /^[0-9a-f]{64}$/, 'the new revision names the one before');
  assert.equal(cert.revisions[1].revision.repairs.length, 1, 'the new revision tells the repair');
  assert.equal(cert.revisions[1].revision.repairs[0].date, shownDate, 'the page and the certificate give the same date');
  const text = JSON.stringify(cert);
  assert.match(text, /Fringe repair/);
  for (const secret of [CUSTOMER, CONTACT, CHECK_NOTE, FINDINGS, PRIVATE_NOTE, id, 'Haddad']) assert.ok(!text.includes(secret), `the certificate holds ${secret}`);
  assertPagesClean(customer, desk, tablet);
});
