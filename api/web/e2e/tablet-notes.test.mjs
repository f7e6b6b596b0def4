// Makers' notes and photos on the shop tablet (1024x768, touch): a maker adds a private note
// and a photo from the tablet's camera input (a double tap on either adds one), and sees
// them listed with the job, the photo as its thumbnail; a text file named .jpg is refused in
// the dialog with the server's reason, and nothing of it is stored, on disk or in the book.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  TABLET, startDaemon, launchBrowser, openPage, assertPagesClean, screenshot, waitFor, importCSV, csvOf,
  operationEvents, signInWithPin, root,
} from './lib.mjs';

let daemon;
let browser;
let base;

before(async () => {
  daemon = await startDaemon('tablet-notes');
  base = daemon.base;
  browser = await launchBrowser();
  const r = await importCSV(base, 'summer-27', csvOf([['TN-1', 'RUG-VINTAGE', 2, 'Zoë Quist']]));
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

// stored lists the files of the daemon's photo directory.
function stored() {
  const dir = path.join(daemon.data, 'photos');
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

// kinds counts an operation's events of each kind.
async function kinds(op) {
  const out = {};
  for (const e of await operationEvents(base, op)) out[e.kind] = (out[e.kind] || 0) + 1;
  return out;
}

// dialogReady waits until a dialog's buttons, held for a moment after it opens, are offered.
async function dialogReady(dialog) {
  await dialog.waitFor({ state: 'visible', timeout: 5000 });
  await waitFor(async () => dialog.locator('button[data-cancel]').isEnabled(), 5000, 'the dialog\'s buttons');
}

test('1024x768: a note and a photo are added to the job in hand; a text file named .jpg is refused', async () => {
  const context = await browser.newContext({ ...TABLET, viewport: { width: 1024, height: 768 } });
  const page = await openPage(context, 'notes');
  await page.goto(`${base}/tablet/repair-1`);
  await signInWithPin(page, 'amira');
  await page.locator('#connection[data-state=live]').waitFor({ timeout: 10000 });
  const job = page.locator('#current article.job');
  await job.waitFor({ timeout: 10000 });
  const op = Number(await job.getAttribute('data-op'));
  await page.locator('#makers .empty-makers').waitFor({ timeout: 5000 });

  // A private note, its button tapped twice: one note.
  await page.locator('#actions button[data-action=note]').tap();
  const noteDialog = page.locator('dialog#dialog-note');
  await dialogReady(noteDialog);
  await noteDialog.locator('#note-text').fill('Warp re-tensioned\nbefore the fringe');
  await noteDialog.locator('#note-unit').fill('2');
  await noteDialog.locator('#note-private').check();
  await noteDialog.locator('button[data-confirm]').dblclick();
  const note = page.locator('#maker-notes li');
  await note.first().waitFor({ timeout: 10000 });
  assert.match(await note.first().innerText(), /Warp re-tensioned\s+before the fringe/);
  assert.match(await note.first().innerText(), /Amira Haddad.*unit 2.*private/is);
  await waitFor(async () => (await kinds(op))['operation.note'] === 1, 5000, 'one note event');
  assert.equal(await note.count(), 1, 'a double tap adds one note');

  // A photo from the camera input: uploaded with its progress, then shown as its thumbnail.
  assert.deepEqual(stored(), []);
  await page.locator('#actions button[data-action=photo]').tap();
  const photoDialog = page.locator('dialog#dialog-photo');
  await dialogReady(photoDialog);
  const input = photoDialog.locator('#photo-file');
  assert.equal(await input.getAttribute('accept'), 'image/*');
  assert.equal(await input.getAttribute('capture'), 'environment');
  await input.setInputFiles(path.join(root, 'api/testdata/photos/plain.jpg'));
  await photoDialog.locator('#photo-caption').fill('the selvedge');
  // Tapped twice: the button is held from the first tap until the answer.
  await photoDialog.locator('button[data-confirm]').dblclick();
  await photoDialog.waitFor({ state: 'hidden', timeout: 10000 });
  const thumb = page.locator('#maker-photos li img');
  await thumb.first().waitFor({ timeout: 10000 });
  await waitFor(async () => thumb.first().evaluate((img) => img.complete && img.naturalWidth > 0), 10000, 'the thumbnail to load');
  assert.equal(await thumb.first().getAttribute('alt'), 'the selvedge');
  assert.match(await thumb.first().getAttribute('src'), /^\/api\/v1\/photos\/[0-9a-f]{64}\/thumbnail$/);
  const afterPhoto = stored();
  assert.equal(afterPhoto.length, 2, `the photo and its thumbnail: ${afterPhoto}`);
  await screenshot(page, 'tablet-notes-1024x768');

  // A text file named .jpg: refused in the dialog with the server's reason; nothing stored.
  page.allow(/status of 422/);
  await page.locator('#actions button[data-action=photo]').tap();
  await dialogReady(photoDialog);
  await input.setInputFiles({ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('this is not a photo, whatever its name says\n') });
  await photoDialog.locator('button[data-confirm]').tap();
  const error = photoDialog.locator('#photo-error');
  await error.waitFor({ state: 'visible', timeout: 10000 });
  assert.match(await error.innerText(), /Photo refused: "notes\.jpg" is not a JPEG, PNG or WebP image/);
  await screenshot(page, 'tablet-notes-refused');
  assert.ok(await photoDialog.isVisible(), 'the dialog stays open for another try');
  await photoDialog.locator('button[data-cancel]').tap();
  assert.deepEqual(stored(), afterPhoto, 'the refused file left nothing on disk');
  const k = await kinds(op);
  assert.equal(k['operation.photo'], 1, 'one photo recorded');
  assert.equal(await thumb.count(), 1);
  assertPagesClean(page);
  await context.close();
});
