// A customer asks for a repair on a phone (390x844, touch), with no account: a small kilim is
// made for the spring drop (imported and its work orders finished through the API, as the floor
// would), its public page opened from its serial links the repair form; a first try with a file
// that is not a photo is refused beside the photos field with what was typed kept, and stores
// nothing; the request sent again with a photo (a PNG the test writes) leads to the repair's own
// page: its state, what was asked, the photo, and the parcel slip with the repair's number and
// a QR code that, read back by zbarimg from a screenshot, is the repair's staff page on this
// daemon. The page is printable (the print stylesheet leaves the slip alone), fits the phone's
// width and sends no referrer. A forged link finds a page that names no repair.
//
// The estimate's approval is not driven here: nothing serves a repair's diagnosis over HTTP yet,
// so that a browser test cannot bring the repair to an estimate.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  outDir, startDaemon, launchBrowser, openPage, assertPagesClean, importCSV, csvOf, workOrders, finishWorkOrders, png, zbarimg, PHONE,
} from './lib.mjs';

const SIM_SPEED = 400;
const DROP = 'spring-27';
const ORDER = 'RC-KILIM-1';
const CUSTOMER = 'Zoë Quist';
const PHONE_2X = { ...PHONE, deviceScaleFactor: 2 };

let daemon;
let browser;
let base;
let tmp;
let context;
let page;
const serial = `${ORDER}-1`;

before(async () => {
  daemon = await startDaemon('repair-customer', { simSpeed: SIM_SPEED });
  base = daemon.base;
  tmp = mkdtempSync(path.join(tmpdir(), 'cellforge-e2e-repair-customer-'));
  const r = await importCSV(base, DROP, csvOf([[ORDER, 'RUG-KILIM-S', 1, CUSTOMER]]));
  assert.equal(r.status, 201, r.text);
  const ids = (await workOrders(base, DROP)).map((w) => w.id);
  await finishWorkOrders(base, ids, 180000);
  browser = await launchBrowser();
  context = await browser.newContext(PHONE_2X);
  page = await openPage(context, 'customer');
});

after(async () => {
  await context?.close();
  await browser?.close();
  await daemon?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function fitsThePhone() {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= 390, `the page is ${w} px wide on a 390 px phone`);
}

test('the customer asks for a repair from the unit page and gets its page with the parcel slip', async () => {
  // The unit's page, from its serial, links the form.
  await page.goto(`${base}/u/${encodeURIComponent(serial)}`);
  await page.locator('#repair-request').tap();
  await page.waitForURL(`${base}/u/${encodeURIComponent(serial)}/repair`);
  assert.equal((await page.locator('#serial').innerText()).trim(), serial);
  await fitsThePhone();

  // A file that is not a photo: refused beside the photos, what was typed kept.
  const notPhoto = path.join(tmp, 'notes.txt');
  writeFileSync(notPhoto, 'the fringe came loose at the north end\n');
  await page.locator('#customer').fill(CUSTOMER);
  await page.locator('#contact').fill('zoe@example.org');
  await page.locator('#description').fill('The fringe came loose and there is a small hole near one corner.');
  await page.locator('#check-holes').tap();
  await page.locator('#check-notes').fill('Kept in a sunny room');
  await page.locator('#photos').setInputFiles(notPhoto);
  // the browser logs the refusal's status, which is the point here
  page.allow(/status of 422 \(Unprocessable Entity\) \(http:\/\/[^)]+\/repair\)$/);
  const [refused] = await Promise.all([page.waitForNavigation(), page.locator('#send').tap()]);
  assert.equal(refused.status(), 422);
  assert.match(await page.locator('#problem-photos').innerText(), /"notes\.txt": not a JPEG, PNG or WebP image/);
  assert.equal(await page.locator('#customer').inputValue(), CUSTOMER);
  assert.equal(await page.locator('#check-notes').inputValue(), 'Kept in a sunny room');
  assert.equal(await page.locator('#check-holes').isChecked(), true);

  // With a photo: the repair's own page.
  const photo = path.join(tmp, 'fringe.png');
  writeFileSync(photo, png(200, 150));
  await page.locator('#photos').setInputFiles(photo);
  await Promise.all([page.waitForURL(/\/r\/[A-Za-z0-9_-]{43}$/), page.locator('#send').tap()]);
  const link = new URL(page.url()).pathname;
  assert.equal(await page.locator('#state').getAttribute('data-state'), 'requested');
  const id = (await page.locator('#slip-id').innerText()).trim();
  assert.match(id, /^R-\d{6}$/);
  assert.equal((await page.locator('#repair-id').innerText()).trim(), id);
  assert.match(await page.locator('#slip').innerText(), new RegExp(CUSTOMER));
  assert.match(await page.locator('body').innerText(), /write the number R-\d{6} on the parcel/);
  assert.match(await page.locator('#description').innerText(), /fringe came loose/);
  assert.match(await page.locator('#checklist').innerText(), /Holes or moth damage/);
  const img = page.locator('#photos img');
  assert.equal(await img.count(), 1);
  await img.evaluate((el) => el.decode());
  assert.ok(await img.evaluate((el) => el.naturalWidth > 0), 'the photo thumbnail loads');
  await fitsThePhone();

  // The QR code of the slip is the repair's staff page on this daemon.
  const qrFile = path.join(outDir, 'repair-customer-slip-qr.png');
  await page.locator('#slip-qr svg').screenshot({ path: qrFile });
  assert.equal(await zbarimg(qrFile), `${base}/manager/repairs/${id}`);
  await page.screenshot({ path: path.join(outDir, 'repair-customer-page.png'), fullPage: true });

  // Printed, only the slip shows.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('#timeline').evaluate((el) => getComputedStyle(el).visibility), 'hidden');
  assert.equal(await page.locator('#slip-id').evaluate((el) => getComputedStyle(el).visibility), 'visible');
  await page.emulateMedia({ media: 'screen' });

  // The page is not kept and its address is never sent on.
  const res = await page.request.get(base + link);
  assert.equal(res.headers()['cache-control'], 'no-store');
  assert.equal(res.headers()['referrer-policy'], 'no-referrer');

  // A forged link names no repair.
  page.allow(/status of 404 \(Not Found\) \(http:\/\/[^)]+\/r\/A{43}\)$/);
  const forged = await page.goto(`${base}/r/${'A'.repeat(43)}`);
  assert.equal(forged.status(), 404);
  assert.doesNotMatch(await page.locator('body').innerText(), /R-\d{6}|Zoë/);
  assertPagesClean(page);
});
