// Helpers of the web app's browser tests: a real daemon per spec (the demo factory on a free
// loopback port, with a fresh data directory and its simulated machines), Debian's chromium
// driven by playwright-core, the JSON API, and polling with deadlines (never a fixed sleep).
//
// Every page opened with openPage is watched: an uncaught exception, a console error or a
// response with status 500 or more fails the test at assertPagesClean, unless the test said
// beforehand that it expects it (allow), as when it takes the page offline on purpose or the
// database away.

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const outDir = path.join(root, 'out', 'e2e');

// The demo factory's credentials (configs/demo.yaml).
export const TOKENS = {
  planner: 'demo-planner-token-0001',
  operator: 'demo-operator-token-0001',
};
export const PEOPLE = {
  amira: { name: 'Amira Haddad', pin: '4821' },
  jonas: { name: 'Jonas Feld', pin: '7304' },
  priya: { name: 'Priya Raman', pin: '5918' },
  ines: { name: 'Inès Moreau', password: 'demo-manager-password', pin: '2640' },
  kofi: { name: 'Kofi Mensah', password: 'demo-planner-password' },
};

// The tablet the studio hangs at a cell: landscape, touch, not a phone.
export const TABLET = { viewport: { width: 1280, height: 800 }, hasTouch: true, isMobile: false };

// A customer's phone: portrait, touch.
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

// The two tablets the floor has: every tablet page must work on both.
export const TABLETS = [
  { name: '1024x768', viewport: { width: 1024, height: 768 }, hasTouch: true, isMobile: false },
  { name: '1280x800', viewport: { width: 1280, height: 800 }, hasTouch: true, isMobile: false },
];

// Debian's chromium, headless. The background-networking flags keep it from calling out to
// Google's hosts, which this machine's closed network refuses.
export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
};

// Fatal is thrown by a waitFor condition that can never become true: waitFor gives up at once.
export class Fatal extends Error {}

// waitFor calls fn until it returns a truthy value and returns that value; fn may be async.
// After timeoutMs it throws, with message (or what message returns, when it is a function) and
// fn's last error or value. An error thrown by fn counts as "not yet", except a Fatal or an
// assertion error, which waitFor throws at once.
export async function waitFor(fn, timeoutMs = 10000, message = 'condition') {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      if (e instanceof Fatal || e instanceof assert.AssertionError) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? last.message : JSON.stringify(last);
      const what = typeof message === 'function' ? message() : message;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${why})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Daemons still running when the process exits (a failed test, ^C) are killed with it.
const running = new Set();
process.on('exit', () => {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => process.exit(130));
}

// startDaemon runs `cellforge serve` on the demo factory, on 127.0.0.1:0 with a fresh data
// directory, and resolves once /healthz answers. The daemon's log goes to out/e2e/NAME.daemon.log.
// stop() ends it (SIGTERM, then SIGKILL after 10 s) and removes the data directory.
// CELLFORGE_BIN and CELLFORGE_CONFIG choose another binary and factory file than
// bin/cellforge and configs/demo.yaml (relative paths are from the repository's root).
// config, when given, is the factory file to serve instead (see factoryWith).
export async function startDaemon(name, { simSpeed = 60, extraArgs = [], config: file } = {}) {
  const config = file || process.env.CELLFORGE_CONFIG || 'configs/demo.yaml';
  return startCellforge(name, (data) => ['serve', '--config', config, '--data', data, '--listen', '127.0.0.1:0',
    '--sim-speed', String(simSpeed), ...extraArgs]);
}

// startCellforge runs the cellforge binary (CELLFORGE_BIN or bin/cellforge) with the arguments
// args(data) gives for a fresh data directory, from the repository's root, and resolves once
// it has printed "... on http://ADDR" and ADDR/healthz answers: to its base URL, its data
// directory and stop (SIGTERM, then SIGKILL after 10 s; the data directory is removed). Its
// log goes to out/e2e/NAME.daemon.log. `cellforge serve` (startDaemon) and `cellforge hub`
// both print such a line.
export async function startCellforge(name, args) {
  const bin = process.env.CELLFORGE_BIN || path.join(root, 'bin', 'cellforge');
  assert.ok(existsSync(bin), `${bin} is missing: run make build (scripts/e2e.sh does)`);
  mkdirSync(outDir, { recursive: true });
  const data = mkdtempSync(path.join(tmpdir(), `cellforge-e2e-${name}-`));
  const log = createWriteStream(path.join(outDir, `${name}.daemon.log`));
  const child = spawn(bin, args(data), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let exited = null;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => {
    exited = { code, signal };
    running.delete(child);
    resolve(exited);
  }));
  let stdout = '';
  child.stdout.on('data', (b) => { stdout += b; log.write(b); });
  child.stderr.on('data', (b) => log.write(b));

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exit;
      clearTimeout(timer);
    }
    log.end();
    rmSync(data, { recursive: true, force: true });
  };

  try {
    // "cellforge VERSION serving "SITE" on http://ADDR", "cellforge VERSION hub "NAME" serving on http://ADDR"
    const base = await waitFor(() => {
      if (exited) throw new Fatal(`the daemon exited (${JSON.stringify(exited)}); see out/e2e/${name}.daemon.log`);
      const m = /serving .*on (http:\/\/\S+)/.exec(stdout);
      return m && m[1];
    }, 30000, 'the daemon to print its address');
    await waitFor(async () => (await fetch(base + '/healthz')).ok, 15000, `${base}/healthz`);
    return { base, data, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

// freePort is a loopback port free a moment ago.
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// factoryWith writes out/e2e/NAME.yaml, the factory file the daemons serve (CELLFORGE_CONFIG or
// configs/demo.yaml) as edit(text) changes it, and returns its path for startDaemon's config.
// edit must change the text: a pattern that no longer matches fails the test.
export function factoryWith(name, edit) {
  const text = readFileSync(path.resolve(root, process.env.CELLFORGE_CONFIG || 'configs/demo.yaml'), 'utf8');
  const changed = edit(text);
  assert.notEqual(changed, text, `${name}: the edit changed nothing in the factory file`);
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${name}.yaml`);
  writeFileSync(file, changed);
  return file;
}

// launchBrowser starts Debian's chromium, headless.
export function launchBrowser() {
  return chromium.launch(CHROMIUM);
}

// api calls the JSON API: body is sent as JSON, csv as text/csv. The API's reads need a
// principal too: a GET without a token reads as the planner's token (token: null sends none).
// It returns status, the parsed JSON (null when the body is not JSON), the text and the
// headers; it does not throw on an error status.
export async function api(base, method, urlPath, { token, body, csv, headers = {} } = {}) {
  const h = { ...headers };
  if (token === undefined && method === 'GET') token = TOKENS.planner;
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (csv !== undefined) {
    h['Content-Type'] = 'text/csv';
    payload = csv;
  } else if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const r = await fetch(base + urlPath, { method, headers: h, body: payload });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text, headers: r.headers };
}

// apiOK is api that fails the test unless the status is 2xx, and returns the JSON.
export async function apiOK(base, method, urlPath, opts) {
  const r = await api(base, method, urlPath, opts);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${urlPath}: status ${r.status}: ${r.text}`);
  return r.json;
}

// csvOf turns rows (arrays, missing trailing fields empty) into CSV text with the header
// order_id,sku,quantity,customer,priority,due,notes.
export function csvOf(rows) {
  const quote = (v) => {
    const s = v === undefined || v === null ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const header = ['order_id', 'sku', 'quantity', 'customer', 'priority', 'due', 'notes'];
  const pad = (r) => [...r, ...Array(header.length - r.length).fill('')];
  return [header, ...rows.map(pad)].map((r) => r.map(quote).join(',')).join('\n') + '\n';
}

// importCSV posts a batch of orders for drop as the planner token; it returns the response.
export function importCSV(base, drop, csv, token = TOKENS.planner) {
  return api(base, 'POST', `/api/v1/drops/${encodeURIComponent(drop)}/orders`, { token, csv });
}

// workOrders lists the work orders of a drop (every page).
export async function workOrders(base, drop) {
  const all = [];
  let after = 0;
  for (;;) {
    const page = await apiOK(base, 'GET', `/api/v1/work-orders?drop=${encodeURIComponent(drop)}&after=${after}&limit=1000`);
    all.push(...page.work_orders);
    if (!page.next_after) return all;
    after = page.next_after;
  }
}

// operation reads one operation.
export function operation(base, id) {
  return apiOK(base, 'GET', `/api/v1/operations/${id}`);
}

// events lists the audit trail's events about an operation.
export async function operationEvents(base, id) {
  return (await apiOK(base, 'GET', `/api/v1/events?operation=${id}&limit=10000`)).events;
}

// act posts an action on an operation as the operator token, with a fresh idempotency key.
let actions = 0;
export function act(base, op, action, body = {}, token = TOKENS.operator) {
  actions++;
  return api(base, 'POST', `/api/v1/operations/${op}/${action}`, {
    token, body, headers: { 'Idempotency-Key': `e2e-${process.pid}-${Date.now()}-${actions}` },
  });
}

// finishWorkOrders drives every operation of the work orders ids to done through the API,
// following their routings, as the floor would by hand: it completes what runs, resumes what is
// paused and starts what is queued (a cell with a machine may start it by itself first; a cell
// busy with another of these work orders' jobs is freed when that job is completed).
export async function finishWorkOrders(base, ids, timeoutMs = 120000) {
  const open = new Set(ids);
  await waitFor(async () => {
    for (const id of [...open]) {
      const wo = await apiOK(base, 'GET', `/api/v1/work-orders/${id}`);
      if (wo.state === 'done') { open.delete(id); continue; }
      if (wo.state === 'scrapped') throw new Fatal(`work order ${id} was scrapped`);
      const o = [...wo.operations].sort((a, b) => a.seq - b.seq).find((x) => x.state !== 'done');
      if (!o) continue; // the work order completes with its last operation
      let r;
      if (o.state === 'running') r = await act(base, o.id, 'complete');
      else if (o.state === 'paused') r = await act(base, o.id, 'resume');
      else if (o.state === 'queued') r = await act(base, o.id, 'start', { version: o.version });
      // 409: a machine started it first, or its cell runs another job: look again next round.
      if (r) assert.ok(r.status === 200 || r.status === 409, `${o.state} operation ${o.id}: ${r.status} ${r.text}`);
    }
    return open.size === 0;
  }, timeoutMs, `work orders ${[...open].join(', ')} to be done`);
}

// cellQueue reads a cell's queue: the running operation first, then paused, then queued ones.
export async function cellQueue(base, cell, limit = 100) {
  return (await apiOK(base, 'GET', `/api/v1/cells/${encodeURIComponent(cell)}/queue?limit=${limit}`)).queue;
}

// openPage opens a page in context and watches it for uncaught exceptions, console errors and
// responses with status 500 or more. page.allow(re) tolerates console errors matching re from
// then on (a test that takes the page offline, or expects the server to refuse an action).
const watched = new Map();
export async function openPage(context, label) {
  return watchPage(await context.newPage(), label);
}

// watchPage watches a page opened otherwise (a link's new tab) as openPage does, and returns it.
export function watchPage(page, label) {
  const w = { label, problems: [], allowed: [] };
  watched.set(page, w);
  // Chromium asks for /favicon.ico by itself on a page without an icon link (the JSON API's):
  // the daemon's 404 there is no page's error.
  const tolerated = (text) => /\/favicon\.ico\)$/.test(text) || w.allowed.some((re) => re.test(text));
  page.on('pageerror', (e) => w.problems.push(`uncaught exception: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = `${m.text()} (${m.location().url || 'no url'})`;
    if (!tolerated(text)) w.problems.push(`console error: ${text}`);
  });
  page.on('response', (r) => {
    const text = `response ${r.status()} to ${r.request().method()} ${r.url()}`;
    if (r.status() >= 500 && !w.allowed.some((re) => re.test(text))) w.problems.push(text);
  });
  page.allow = (re) => { w.allowed.push(re); };
  page.disallow = (re) => { w.allowed = w.allowed.filter((x) => x !== re); };
  return page;
}

// assertPagesClean fails when a watched page had a problem.
export function assertPagesClean(...pages) {
  const problems = [];
  for (const p of pages) {
    const w = watched.get(p);
    if (w) problems.push(...w.problems.map((x) => `${w.label}: ${x}`));
  }
  assert.deepEqual(problems, [], 'the pages had errors');
}

// screenshot writes out/e2e/NAME.png (the whole page).
// Before it is kept, the page is looked at: its stylesheet applied (the app's background, not
// the browser's white), text on it, and a picture that is not a blank page.
export async function screenshot(page, name) {
  mkdirSync(outDir, { recursive: true });
  const look = await page.evaluate(() => ({
    background: getComputedStyle(document.documentElement).backgroundColor,
    text: document.body.innerText.trim().length,
  }));
  assert.equal(look.background, 'rgb(243, 245, 248)', `${name}: the page's stylesheet is not applied`);
  assert.ok(look.text > 20, `${name}: the page shows almost no text (${look.text} characters)`);
  const png = await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
  assert.ok(png.length > 8000, `${name}: the screenshot is ${png.length} bytes, a blank page's size`);
}

// markNoReload marks the page's window; stillSamePage tells whether the mark survived, that is,
// the page has not been reloaded or navigated since (it changed by itself).
export async function markNoReload(page) {
  await page.evaluate(() => { window.__cellforgeE2E = 'no reload'; });
}
export async function stillSamePage(page) {
  return (await page.evaluate(() => window.__cellforgeE2E)) === 'no reload';
}

// signInWithPassword signs person in at /signin?next=NEXT and waits for NEXT.
export async function signInWithPassword(page, base, person, next) {
  await page.goto(`${base}/signin?next=${encodeURIComponent(next)}`);
  await page.locator('form#signin input[name=person]').fill(person);
  await page.locator('form#signin input[name=password]').fill(PEOPLE[person].password);
  await Promise.all([
    page.waitForURL((u) => u.pathname === next, { timeout: 10000 }),
    page.locator('form#signin button[type=submit]').click(),
  ]);
}

// signInWithPin signs person in on a cell's PIN screen, with taps on the person and the keypad.
export async function signInWithPin(page, person) {
  const who = page.locator(`button[data-person=${person}]`);
  await who.tap();
  await waitFor(async () => (await who.getAttribute('aria-pressed')) === 'true', 5000, `${person} to be marked pressed`);
  for (const digit of PEOPLE[person].pin) {
    await page.locator(`button[data-key="${digit}"]`).tap();
  }
  assert.equal(await page.locator('input#pin').inputValue(), PEOPLE[person].pin, 'the keypad typed the PIN');
  await page.locator('button#pin-ok').tap();
  await page.locator('#who').waitFor({ timeout: 10000 });
}

// confirmComplete answers the tablet's complete dialog, open or opening after a tap on
// Complete: good units made (default: every unit open), the reason for the units short when
// fewer, then Complete. Its buttons wait a moment after it opens; the taps wait for them.
export async function confirmComplete(page, { good, reason } = {}) {
  const dialog = page.locator('dialog#dialog-complete');
  await dialog.waitFor({ state: 'visible', timeout: 5000 });
  const open = Number(await page.locator('#actions').getAttribute('data-open'));
  await dialog.locator('#complete-qty').fill(String(good ?? open));
  if ((good ?? open) < open) {
    const r = reason ? dialog.locator(`button[data-reason="${reason}"]`) : dialog.locator('button[data-reason]').first();
    await r.tap();
  }
  await dialog.locator('button[data-confirm]').tap();
  await dialog.waitFor({ state: 'hidden', timeout: 5000 });
}

// giveLots answers the tablet's lots dialog, open or opening after a tap on Start (or on
// Record lots…) at a step that consumes materials: it types the lot of each material into the
// box that has the focus and presses Enter, as a barcode scanner does, which goes on to the
// next box and sends the form from the last. lot(material) gives each lot id.
export async function giveLots(page, lot = (material) => `${material.toUpperCase()}-LOT-1`) {
  const dialog = page.locator('dialog#dialog-lots');
  await dialog.waitFor({ state: 'visible', timeout: 5000 });
  const inputs = dialog.locator('#lots-fields input');
  const n = await inputs.count();
  assert.ok(n > 0, 'the dialog asks for at least one lot');
  for (let i = 0; i < n; i++) {
    const input = inputs.nth(i);
    // The box has the focus once the dialog's buttons are ready.
    await waitFor(async () => input.evaluate((el) => el === document.activeElement), 5000, `lot box ${i + 1} to have the focus`);
    await input.fill('');
    await page.keyboard.type(lot(await input.getAttribute('name')));
    await page.keyboard.press('Enter');
  }
  await dialog.waitFor({ state: 'hidden', timeout: 5000 });
}

// dialogReady waits until a tablet dialog's buttons, held for a moment after it opens, are offered.
export async function dialogReady(dialog) {
  await dialog.waitFor({ state: 'visible', timeout: 5000 });
  await waitFor(async () => dialog.locator('button[data-cancel]').isEnabled(), 5000, 'the dialog\'s buttons');
}

// addNote adds a note to the job in hand on a cell's tablet (private: a note only the studio sees).
export async function addNote(page, text, { private: priv = false } = {}) {
  const before = await page.locator('#maker-notes li').count();
  await page.locator('#actions button[data-action=note]').tap();
  const dialog = page.locator('dialog#dialog-note');
  await dialogReady(dialog);
  await dialog.locator('#note-text').fill(text);
  if (priv) await dialog.locator('#note-private').check();
  await dialog.locator('button[data-confirm]').tap();
  await dialog.waitFor({ state: 'hidden', timeout: 10000 });
  await waitFor(async () => (await page.locator('#maker-notes li').count()) === before + 1, 10000, 'the note to be listed');
}

// addPhoto uploads a photo of the job in hand from a cell's tablet's camera input, with its
// caption, and returns the photo's hash.
export async function addPhoto(page, file, caption, { private: priv = false } = {}) {
  const before = await page.locator('#maker-photos li').count();
  await page.locator('#actions button[data-action=photo]').tap();
  const dialog = page.locator('dialog#dialog-photo');
  await dialogReady(dialog);
  await dialog.locator('#photo-file').setInputFiles(file);
  await dialog.locator('#photo-caption').fill(caption);
  if (priv) await dialog.locator('#photo-private').check();
  await dialog.locator('button[data-confirm]').tap();
  await dialog.waitFor({ state: 'hidden', timeout: 10000 });
  await waitFor(async () => (await page.locator('#maker-photos li').count()) === before + 1, 10000, 'the photo to be listed');
  return page.locator(`#maker-photos li img[alt="${caption}"]`).evaluate((img) => img.closest('li').dataset.photo);
}

// crc32 is PNG's chunk checksum.
function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

// png returns a w x h RGB PNG of a madder-red gradient: a real photo for a form to take.
export function png(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0; // no filter
    for (let x = 0; x < w; x++) {
      const i = y * (w * 3 + 1) + 1 + x * 3;
      raw[i] = 140 + (x % 100);
      raw[i + 1] = 40 + (y % 60);
      raw[i + 2] = 30;
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// zbarimg reads the barcode or QR code in an image file and resolves to its text.
export function zbarimg(file) {
  return new Promise((resolve, reject) => {
    execFile('zbarimg', ['--raw', '-q', file], (err, stdout, stderr) => (err ? reject(new Error(`zbarimg: ${err.message} ${stderr}`)) : resolve(stdout.trim())));
  });
}

// verifyCertificate runs `cellforge verify FILE --keys KEYS` (no --keys when keys is null) and
// resolves to its exit code and output.
export function verifyCertificate(file, keys) {
  const bin = process.env.CELLFORGE_BIN || path.join(root, 'bin', 'cellforge');
  const args = ['verify', file, ...(keys ? ['--keys', keys] : [])];
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}
