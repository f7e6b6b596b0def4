// One rug followed from import to label, as the studio makes it and as its buyer checks it: a
// small kilim (RUG-KILIM-S) is dyed in vat A, which the head dyer starts from the cell's
// tablet with the lot of the yarn (the bath makes a lot of its own), woven on a loom at sim
// speed (its warp's lot recorded after), then washed, trimmed, fringed, labelled and packed by
// hand on the cells' tablets (1024x768, touch). A maker who has a public name (Amira) adds a
// photo, a public note and a private note on the tablet; a maker who has none (Jonas) washes it
// and must never be named. The QR code on the label the simulated printer printed (read back
// from its ZPL) leads to the rug's public page, opened on a phone (390x844): its dye bath with
// the vat, its loom, its lots, its makers and the photo, and nothing of its customer, the
// private note or another customer's order. The certificate downloaded from the page verifies with
// `cellforge verify`; a one-byte change to it, or a removed revision, does not, and says why.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  root, outDir, TABLET, PHONE, TOKENS, startDaemon, launchBrowser, openPage, watchPage, assertPagesClean, waitFor, apiOK,
  api, screenshot, importCSV, csvOf, workOrders, finishWorkOrders, operation, signInWithPin, confirmComplete, giveLots,
  addNote, addPhoto, verifyCertificate,
} from './lib.mjs';

// The simulated machines run fast: the dye batch (about an hour of studio time) and the
// weaving (two hours) take some twenty seconds together.
const SIM_SPEED = 400;
const DROP = 'spring-27';
const ORDER = 'PV-KILIM-1';
const CUSTOMER = 'Zoë Quist';
// Another customer's order, made and certified first: nothing of it may show on the rug's page.
const OTHER = { order: 'PV-OTHER-7', customer: 'Olek Brandt', note: 'Moth damage mended at the north corner' };
const TABLET_1024 = { ...TABLET, viewport: { width: 1024, height: 768 } };
const PUBLIC_NOTE = 'Woven from the last of the winter indigo';
const PRIVATE_NOTE = 'Customer asked twice about the delivery date';
const LATER_NOTE = 'Checked again before shipping: fringe even';
const YARN_LOT = 'YARN-2611-07';
const WARP_LOT = 'WARP-W8-113';

let daemon;
let browser;
let base;
let tmp;
const contexts = [];

before(async () => {
  daemon = await startDaemon('provenance', { simSpeed: SIM_SPEED });
  base = daemon.base;
  browser = await launchBrowser();
  tmp = mkdtempSync(path.join(tmpdir(), 'cellforge-e2e-provenance-'));
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

// The steps of the rug's work order, by capability.
async function steps(id) {
  const wo = await apiOK(base, 'GET', `/api/v1/work-orders/${id}`);
  return Object.fromEntries(wo.operations.map((o) => [o.capability, o]));
}

// queuedAt waits until the rug's step of capability cap is queued (or further) and returns it.
async function queuedAt(id, cap, timeoutMs = 15000) {
  return waitFor(async () => {
    const o = (await steps(id))[cap];
    return o.state !== 'pending' && o.state !== 'ready' && o;
  }, timeoutMs, `the ${cap} step to be queued`);
}

// doneAt waits until the rug's step of capability cap is done and returns it.
async function doneAt(id, cap, timeoutMs) {
  return waitFor(async () => {
    const o = (await steps(id))[cap];
    return o.state === 'done' && o;
  }, timeoutMs, `the ${cap} step to be done`);
}

// Makers' tablets: one browser context per person, signed in on the first cell they open.
const tablets = {};
async function tabletOf(person) {
  if (!tablets[person]) {
    const context = await newContext(TABLET_1024);
    tablets[person] = { page: await openPage(context, `tablet-${person}`), signedIn: false };
  }
  return tablets[person];
}

// openCell shows a cell's tablet page to person, signed in, with op as the job in hand.
async function openCell(person, cell, op) {
  const t = await tabletOf(person);
  await t.page.goto(`${base}/tablet/${cell}`);
  if (!t.signedIn || await t.page.locator('#pin').count() > 0) {
    await signInWithPin(t.page, person);
    t.signedIn = true;
  }
  await t.page.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
  await t.page.locator(`#current article.job[data-op="${op}"]`).waitFor({ timeout: 10000 });
  return t.page;
}

// byHand starts the job op at cell on person's tablet, and completes it (every unit good) on
// finisher's, with what between does while it runs.
async function byHand(cell, op, person, { finisher = person, between } = {}) {
  let page = await openCell(person, cell, op);
  await page.locator('#actions button[data-action=start]').tap();
  await page.locator(`#current article.job[data-op="${op}"][data-state=running]`).waitFor({ timeout: 10000 });
  if (between) await between(page);
  if (finisher !== person) page = await openCell(finisher, cell, op);
  await page.locator(`#current article.job[data-op="${op}"][data-state=running]`).waitFor({ timeout: 10000 });
  await page.locator('#actions button[data-action=complete]').tap();
  await confirmComplete(page);
  await waitFor(async () => (await operation(base, op)).state === 'done', 10000, `operation ${op} to be done`);
}

// fieldData decodes a ZPL field's data as a printer reads it after ^FH_: "_" and two hex
// digits stand for a byte; the bytes are UTF-8 (^CI28).
function fieldData(raw) {
  const bytes = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '_' && /^[0-9A-Fa-f]{2}$/.test(raw.slice(i + 1, i + 3))) {
      bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(raw.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

// qrOfLabel returns the URL a label's QR code holds: its ^BQ field's data, after the "QA,"
// that gives the error correction level (Q) and the automatic input mode (A).
function qrOfLabel(label) {
  const qr = label.Fields.filter((f) => f.Barcode === 'QR');
  assert.equal(qr.length, 1, `one QR code on the label: ${JSON.stringify(label.Fields)}`);
  const data = fieldData(qr[0].Raw);
  assert.match(data, /^QA,/, `the QR field's data starts with its mode: ${qr[0].Raw}`);
  return data.slice(3);
}

// verify runs `cellforge verify FILE --keys URL`; keys: null leaves --keys out.
function verify(file, { keys = `${base}/provenance/keys.json` } = {}) {
  return verifyCertificate(file, keys);
}

// download clicks the page's certificate link and saves what it downloads to tmp/NAME.
async function download(page, name) {
  const link = page.locator('a#certificate');
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), link.tap()]);
  assert.equal(await d.failure(), null, 'the download completed');
  // The page's command to check it names the file as it was saved.
  assert.equal(d.suggestedFilename(), `${ORDER}-1.certificate.json`);
  assert.match(await page.locator('main').innerText(), new RegExp(`cellforge verify ${d.suggestedFilename()} --keys keys\\.json`),
    'the page\'s command names the downloaded file');
  const file = path.join(tmp, name);
  await d.saveAs(file);
  return file;
}

// noSideScroll checks that the page fits its viewport's width, naming what sticks out.
async function noSideScroll(page, what) {
  const w = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > width + 0.5);
    return { scroll: document.documentElement.scrollWidth, width, out: out.slice(-3).map((e) => e.outerHTML.slice(0, 120)) };
  });
  assert.ok(w.scroll <= w.width, `${what}: the page scrolls sideways, ${w.scroll} px wide in a viewport of ${w.width}: ${w.out.join(' | ')}`);
}

test('a rug from import to label: its QR code leads to its page and its certificate verifies', async (t) => {
  // Another customer's restoration, made and certified first, with a public note.
  let r = await importCSV(base, 'summer-27', csvOf([[OTHER.order, 'RUG-VINTAGE', 1, OTHER.customer]]));
  assert.equal(r.status, 201, r.text);
  const [other] = await workOrders(base, 'summer-27');
  const otherFirst = (await steps(other.id)).repair;
  await finishWorkOrders(base, [other.id], 30000);
  await apiOK(base, 'POST', `/api/v1/operations/${otherFirst.id}/notes`, { token: TOKENS.operator, body: { text: OTHER.note } });
  const otherSerial = `${OTHER.order}-1`;
  assert.equal((await api(base, 'GET', `/u/${otherSerial}`, { token: null })).status, 200, 'the other unit has its page');

  // The rug.
  r = await importCSV(base, DROP, csvOf([[ORDER, 'RUG-KILIM-S', 1, CUSTOMER, 0, '', 'gift wrap, no invoice in the box']]));
  assert.equal(r.status, 201, r.text);
  const [rug] = await workOrders(base, DROP);
  const id = rug.id;

  // Dye: vat A waits for the head dyer to start the batch; the vat ends it.
  const dye = await queuedAt(id, 'dye');
  assert.equal(dye.cell, 'dye-1', 'the dye batch goes to vat A, the first free vat');
  // She gives the lot of the yarn it dyes; the bath makes a lot of its own.
  const ines = await openCell('ines', 'dye-1', dye.id);
  await ines.locator('#actions button[data-action=start]').tap();
  await giveLots(ines, () => YARN_LOT);
  await doneAt(id, 'dye', 30000);
  const dyeLot = (await apiOK(base, 'GET', `/api/v1/operations/${dye.id}/lots`)).made;
  assert.match(dyeLot, /^dye-\d{8}-\d{3}$/, 'the dye bath made a lot');

  // Weave: the loom starts the job by itself and ends it; the warp's lot is recorded after.
  const weave = await doneAt(id, 'weave', 45000);
  await apiOK(base, 'POST', `/api/v1/operations/${weave.id}/lots`, {
    token: TOKENS.operator, body: { lots: { warp: WARP_LOT } }, headers: { 'Idempotency-Key': `provenance-warp-${process.pid}` },
  });

  // Wash: Jonas, who has no public name, starts and completes it.
  const wash = await queuedAt(id, 'wash');
  await byHand(wash.cell, wash.id, 'jonas');

  // Trim and block: Amira, with a photo, a public note and a private one of each.
  let privatePhoto;
  const finish = await queuedAt(id, 'finish');
  await byHand(finish.cell, finish.id, 'amira', {
    between: async (page) => {
      await addPhoto(page, path.join(root, 'api/testdata/photos/plain.jpg'), 'the finished corner');
      privatePhoto = await addPhoto(page, path.join(root, 'api/testdata/photos/upright.png'), 'the customer\'s old rug', { private: true });
      await addNote(page, PUBLIC_NOTE);
      await addNote(page, PRIVATE_NOTE, { private: true });
      await screenshot(page, 'provenance-tablet-finish');
      // The order's notes are the shop's words, apart from the makers'.
      assert.equal(await page.locator('#current .notes h3').innerText(), 'Order notes');
      assert.equal(await page.locator('#current .notes p').innerText(), 'gift wrap, no invoice in the box');
      // The tablet shows the unit in hand, and its story so far behind it.
      const units = page.locator('#current p.units');
      assert.match(await units.innerText(), new RegExp(`Unit ${ORDER}-1\\b`));
      const [opened] = await Promise.all([page.context().waitForEvent('page'), units.locator('a.story').tap()]);
      const story = watchPage(opened, 'story-so-far');
      await story.waitForLoadState();
      assert.equal(new URL(story.url()).pathname, `/u/${ORDER}-1`);
      await story.locator('#making').waitFor({ timeout: 5000 });
      assert.match(await story.locator('#steps').innerText(), /Dye kitchen, vat A[\s\S]*Wet room/);
      assert.match(await story.locator('#notes').innerText(), new RegExp(PUBLIC_NOTE));
      assert.ok(!(await story.content()).includes(PRIVATE_NOTE), 'the story so far shows no private note');
      assert.equal(await story.locator('a#certificate').count(), 0, 'no certificate before the rug is finished');
      await noSideScroll(story, 'the story so far at 1024x768');
      assertPagesClean(story);
      await story.close();
    },
  });

  // Fringe, started by Priya (no public name) and completed by Amira; label and pack by Amira.
  const fringe = await queuedAt(id, 'fringe');
  await byHand(fringe.cell, fringe.id, 'priya', { finisher: 'amira' });
  const label = await queuedAt(id, 'label');
  assert.equal(label.cell, 'label-1');
  await byHand(label.cell, label.id, 'amira');
  const pack = await queuedAt(id, 'pack');
  await byHand(pack.cell, pack.id, 'amira');
  await waitFor(async () => (await apiOK(base, 'GET', `/api/v1/work-orders/${id}`)).state === 'done', 10000, 'the rug to be done');
  const serial = `${ORDER}-1`;

  // The label the label station's printer printed, read back from its ZPL.
  const labels = await waitFor(async () => {
    const printed = await apiOK(base, 'GET', '/api/v1/sim/devices/labeller-1/printed');
    return printed.length > 0 && printed;
  }, 10000, 'the rug\'s label to be printed');
  assert.equal(labels.length, 1, 'one label printed: the rug\'s');
  const [printedLabel] = labels;
  const shown = printedLabel.Fields.filter((f) => !f.Barcode).map((f) => fieldData(f.Raw));
  for (const want of ['Kilim rug, small (60 x 90 cm)', 'RUG-KILIM-S', DROP, serial]) {
    assert.ok(shown.includes(want), `the label shows ${want}: ${JSON.stringify(shown)}`);
  }
  assert.ok(!shown.some((f) => f.includes(CUSTOMER)), 'the label names no customer');
  const qr = qrOfLabel(printedLabel);
  const qrURL = new URL(qr);
  assert.equal(qrURL.origin, base, 'the QR code leads to the daemon that printed it');

  // The page behind it, on a phone.
  const phone = await newContext({ ...PHONE, acceptDownloads: true });
  const page = await openPage(phone, 'phone');
  const resp = await page.goto(qr);
  assert.equal(resp.status(), 200);
  assert.equal((await page.locator('#serial').innerText()).trim(), serial);
  const stepText = async (cap) => {
    const s = page.locator(`#steps li.step[data-capability="${cap}"]`);
    assert.equal(await s.count(), 1, `one ${cap} step on the page`);
    return s.innerText();
  };
  const dyeText = await stepText('dye');
  assert.match(dyeText, /Dye kitchen, vat A/, 'the dye step names its cell');
  assert.match(dyeText, /^Dye weft yarn$/m, 'the dye step goes by its name in the routing');
  assert.match(await stepText('finish'), /^Trim and block$/m, 'the finishing step goes by its name');
  assert.match(dyeText, /vat-a/, 'the dye step names its vat');
  assert.match(dyeText, /Inès, head dyer/, 'the dye step names the dyer by her public name');
  assert.match(dyeText, /temperature 55/, 'the dye step shows its bath temperature');
  const weaveText = await stepText('weave');
  const loomCell = { 'weave-1': /Jacquard loom 1/, 'weave-2': /Jacquard loom 2/, 'weave-3': /Dobby loom/ }[weave.cell];
  assert.match(weaveText, loomCell, 'the weave step names its loom\'s cell');
  assert.match(weaveText, new RegExp({ 'weave-1': 'loom-a', 'weave-2': 'loom-b', 'weave-3': 'loom-c' }[weave.cell]), 'the weave step names its loom');
  assert.match(await stepText('finish'), /Amira H\./);
  const lots = await page.locator('#lots').innerText();
  for (const lot of [dyeLot, YARN_LOT, WARP_LOT]) assert.ok(lots.includes(lot), `the page names lot ${lot}: ${lots}`);
  assert.doesNotMatch(await stepText('wash'), /\bBy\b/, 'the wash names no one: Jonas did not opt in');
  assert.match(await stepText('fringe'), /By Amira H\.$/m, 'the fringe names Amira, who completed it, not Priya, who started it');
  assert.equal((await page.locator('#makers').innerText()).trim(), 'Inès, head dyer, Amira H.');
  assert.match(await page.locator('#notes').innerText(), new RegExp(PUBLIC_NOTE));
  const thumb = page.locator('#photos img');
  assert.equal(await thumb.count(), 1, 'the photo added on the tablet');
  await thumb.scrollIntoViewIfNeeded();
  await waitFor(async () => thumb.evaluate((img) => img.complete && img.naturalWidth > 0), 10000, 'the photo\'s thumbnail to load');

  const html = await page.content();
  for (const [what, text] of [
    ['the customer', CUSTOMER], ['the order\'s notes', 'gift wrap'], ['the private note', PRIVATE_NOTE],
    ['Jonas, who has no public name', 'Jonas'], ['Priya, who has no public name', 'Priya'],
    ['Amira\'s full name', 'Haddad'], ['the other customer', OTHER.customer], ['the other order', OTHER.order],
    ['the other unit\'s note', OTHER.note],
  ]) {
    assert.ok(!html.includes(text), `the page shows ${what} (${text})`);
  }
  await page.screenshot({ path: path.join(outDir, 'provenance-phone.png'), fullPage: true });
  await noSideScroll(page, '390x844');

  // The certificate, downloaded from the page, verifies; a one-byte change to a value does not.
  // The photo itself, behind its thumbnail, in the phone's browser.
  const full = await page.locator('#photos a').getAttribute('href');
  const photoPage = await openPage(phone, 'phone-photo');
  const photo = await photoPage.goto(new URL(full, qr).href);
  assert.equal(photo.status(), 200, `the photo behind its thumbnail: ${full}`);
  assert.equal(photo.headers()['content-type'], 'image/jpeg');
  await waitFor(async () => photoPage.evaluate(() => {
    const img = document.querySelector('img');
    return img && img.complete && img.naturalWidth > 0;
  }), 5000, 'the photo to show');
  await photoPage.close();
  assert.ok(!html.includes(privatePhoto), 'the page shows the private photo');
  const publicPhoto = (await page.locator('#photos img').getAttribute('src')).match(/([0-9a-f]{64})\.thumb\.jpg$/)[1];
  assert.equal((await fetch(`${qr}/photos/${publicPhoto}.thumb.jpg`)).status, 200, 'the public photo\'s thumbnail, by the same address');
  assert.equal((await fetch(`${qr}/photos/${privatePhoto}.png`)).status, 404, 'the private photo is not served');
  assert.equal((await fetch(`${qr}/photos/${privatePhoto}.thumb.jpg`)).status, 404, 'the private photo\'s thumbnail is not served');
  const cert = await download(page, 'certificate.json');
  let v = await verify(cert);
  assert.equal(v.code, 0, `verify: ${v.stderr}`);
  assert.match(v.stdout, new RegExp(`serial ${serial}, 1 revision, signed by`));
  // And from its address, with the keys its origin publishes.
  v = await verify(await page.locator('a#certificate').evaluate((a) => a.href), { keys: null });
  assert.equal(v.code, 0, `verify URL: ${v.stderr}`);
  const text = readFileSync(cert, 'utf8');
  for (const secret of [CUSTOMER, PRIVATE_NOTE, privatePhoto, 'Jonas', 'Priya', 'Haddad']) {
    assert.ok(!text.includes(secret), `the certificate holds ${secret}`);
  }
  assert.ok(text.includes('"Kilim rug, small'), 'the certificate names the product');
  const changed = path.join(tmp, 'changed.json');
  writeFileSync(changed, text.replace('"Kilim rug, small', '"Kilim rug, smale'));
  v = await verify(changed);
  assert.equal(v.code, 1, `a changed certificate: ${v.stdout}${v.stderr}`);
  assert.match(v.stderr, /revision 1: signature does not verify with key \S+: the revision was changed after it was signed/);
  t.diagnostic(`a changed byte: ${v.stderr.trim()}`);

  // A public note added later makes revision 2; the certificate without revision 1 fails.
  await apiOK(base, 'POST', `/api/v1/operations/${pack.id}/notes`, { token: TOKENS.operator, body: { text: LATER_NOTE } });
  await page.reload();
  assert.match(await page.locator('#notes').innerText(), new RegExp(LATER_NOTE));
  assert.match(await page.locator('main').innerText(), /revision 2, issued/);
  const cert2 = await download(page, 'certificate-2.json');
  v = await verify(cert2);
  assert.equal(v.code, 0, `verify: ${v.stderr}`);
  assert.match(v.stdout, /2 revisions/);
  const two = JSON.parse(readFileSync(cert2, 'utf8'));
  assert.equal(two.revisions.length, 2);
  assert.deepEqual(two.revisions[0], JSON.parse(text).revisions[0], 'revision 1 is as it was first downloaded');
  assert.match(JSON.stringify(two.revisions[1]), new RegExp(LATER_NOTE));
  const cut = path.join(tmp, 'without-revision-1.json');
  writeFileSync(cut, JSON.stringify({ revisions: two.revisions.slice(1) }, null, 2));
  v = await verify(cut);
  assert.equal(v.code, 1, `a certificate without its first revision: ${v.stdout}${v.stderr}`);
  assert.match(v.stderr, /revision 1 is missing/);
  t.diagnostic(`a removed revision: ${v.stderr.trim()}`);
  assertPagesClean(page, photoPage, ...Object.values(tablets).map((t) => t.page));

  // The page on the tablet, too.
  const tablet = await newContext(TABLET_1024);
  const onTablet = await openPage(tablet, 'tablet-unit-page');
  await onTablet.goto(qr);
  await noSideScroll(onTablet, '1024x768');
  assertPagesClean(onTablet);
});
