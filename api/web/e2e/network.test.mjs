// The network's dashboard (`cellforge hub`, /network) in a browser at 1024x768, over a real
// network: a PostgreSQL and a Mosquitto of the spec's own, the hub of
// cmd/cellforge/testdata/net, and the sites porto and lisbon on simulated floors. A planner
// signs in with the hub's token, sees the sites online, a batch routed, the drop's progress by
// site, the orders of one site and their CSV, an order's routes and reasons, and moves an order
// not started with a double tap on the button (moved once); porto is stopped and shown cut off
// with its last word ageing, and an admin marks it gone. Every page fits the width and is clean.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  launchBrowser, openPage, assertPagesClean, waitFor, apiOK, api, outDir, markNoReload, stillSamePage,
} from './lib.mjs';
import { startPostgres } from './postgres.mjs';
import { startNetwork, HUB_TOKEN } from './network.mjs';

const ADMIN_TOKEN = 'hub-admin-token-000001';
// The planner's tablet: 1024x768, touch.
const TABLET = { viewport: { width: 1024, height: 768 }, hasTouch: true, isMobile: false };
// ONLINE_WITHIN is the hub's online_within here: short, so that a stopped site is cut off soon,
// yet longer than a working site is silent (it speaks as its orders progress).
const ONLINE_WITHIN_S = 8;
// UNITS per order keep a site's three looms busy through the spec at SIM_SPEED: the fourth
// and fifth orders of a site wait, not started, to be moved.
const SIM_SPEED = 4000;
const UNITS = 3000;
const SITES = { porto: { lat: 41.1496, lon: -8.611 }, lisbon: { lat: 38.7223, lon: -9.1393 } };

const began = Date.now();
let pg;
let net;
let hub;
const sites = {};
let browser;
let context;
let page;
// stoppedAt is when porto was stopped.
let stoppedAt;

before(async () => {
  [pg, net, browser] = await Promise.all([startPostgres('network'), startNetwork('network', Object.keys(SITES)),
    launchBrowser()]);
  hub = await net.hub(pg.url, (text) => text
    .replace(/^online_within: .*$/m, `online_within: ${ONLINE_WITHIN_S}s`)
    .replace(/^(  - \{name: planner, role: planner, .*\})$/m, `$1\n  - {name: admin, role: admin, token: "${ADMIN_TOKEN}"}`));
  context = await browser.newContext({ ...TABLET, acceptDownloads: true });
  page = await openPage(context, 'network');
});

after(async () => {
  await browser?.close();
  await Promise.all(Object.values(sites).map((s) => s.stop()));
  await hub?.stop();
  await net?.close();
  await pg?.close();
  console.log(`network spec: ${((Date.now() - began) / 1000).toFixed(1)} s of wall time`);
});

// hubGet reads the hub's API with the planner's token.
function hubGet(urlPath) {
  return apiOK(hub.base, 'GET', urlPath, { token: HUB_TOKEN });
}

// shot writes out/e2e/NAME.png, the whole page.
async function shot(name) {
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
}

// assertFits fails when the page scrolls sideways at 1024 px or an element sticks out of the
// width or clips what it holds.
async function assertFits(what) {
  const r = await page.evaluate(() => {
    const de = document.documentElement;
    const name = (el) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') +
      (typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '');
    const bad = [];
    for (const el of document.body.querySelectorAll('*')) {
      const b = el.getBoundingClientRect();
      if (b.width > 0 && b.right > de.clientWidth + 0.5) bad.push(`${name(el)} ends at ${Math.round(b.right)} px`);
      const style = getComputedStyle(el);
      if (style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) bad.push(`${name(el)} clips its content`);
    }
    return { scroll: de.scrollWidth, client: de.clientWidth, bad: bad.slice(0, 8) };
  });
  assert.ok(r.scroll <= r.client, `${what}: the page scrolls sideways (${r.scroll} px wide in ${r.client})`);
  assert.deepEqual(r.bad, [], `${what}: elements beyond the width`);
}

// cell reads a cell of a site's row in the sites table.
function siteCell(site, cls) {
  return page.locator(`table.sites tr.site[data-site="${site}"] td.${cls}`).innerText();
}

// ageOf reads "N s ago" as N.
function ageOf(text) {
  const m = /^(\d+) s ago$/.exec(text.trim());
  assert.ok(m, `a last word's age: ${JSON.stringify(text)}`);
  return Number(m[1]);
}

// doubleTap taps the button twice, the second tap 30 ms after the first, as a finger's double
// tap: the second lands while the answer to the first is on its way. The taps are the page's
// own clicks: a touch sent through the DevTools protocol to a page that is navigating away
// may wait for an answer that never comes.
async function doubleTap(button) {
  await button.scrollIntoViewIfNeeded();
  await button.evaluate((b) => {
    b.click();
    setTimeout(() => b.click(), 30);
  });
}

async function signIn(token) {
  await page.goto(`${hub.base}/network`);
  await page.waitForURL((u) => u.pathname === '/network/signin');
  await page.locator('#token').fill(token);
  await Promise.all([page.waitForURL((u) => u.pathname === '/network'), page.locator('main form button[type=submit]').click()]);
}

test('a planner signs in with the hub\'s token and sees the sites online with their last word', async () => {
  await signIn(HUB_TOKEN);
  assert.match(await page.locator('header .who').innerText(), /planner \(planner\)/);
  for (const site of ['porto', 'lisbon', 'madrid']) {
    assert.equal(await siteCell(site, 'condition'), 'never heard from', `${site} before it started`);
  }
  // The sites start now, so that they have spoken within online_within when the batch comes.
  [sites.porto, sites.lisbon] = await Promise.all(Object.keys(SITES).map((id) => net.site(id, SIM_SPEED)));
  await waitFor(async () => (await hubGet('/api/v1/network/sites')).sites.filter((s) => s.online).length === 2,
    15000, 'porto and lisbon online at the hub');
  await page.reload();
  for (const site of Object.keys(SITES)) {
    assert.equal(await siteCell(site, 'condition'), 'online', `${site} online on the dashboard`);
  }
  for (const site of Object.keys(SITES)) {
    assert.ok(ageOf(await siteCell(site, 'age')) <= ONLINE_WITHIN_S, `${site}'s last word is recent`);
  }
  assert.equal(await siteCell('madrid', 'condition'), 'never heard from');
  assert.equal(await siteCell('madrid', 'age'), 'never');
  // A planner may not mark a site gone: the dashboard offers no link.
  assert.equal(await page.locator('a[href$="/gone"]').count(), 0);
  await assertFits('the network page');
});

// The batch: ten orders of NET-TAG, five near porto and five near lisbon, due in a month.
const ORDERS = Array.from({ length: 10 }, (_, i) => ({ id: `NET-${String(i + 1).padStart(2, '0')}`, near: i % 2 ? 'lisbon' : 'porto' }));

test('a batch is routed; the drop\'s progress by site; the orders of one site and their CSV', async () => {
  const due = new Date(Date.now() + 30 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
  const csv = 'order_id,sku,quantity,customer,due,lat,lon\n' + ORDERS.map((o) =>
    `${o.id},NET-TAG,${UNITS},Customer of ${o.id},${due},${SITES[o.near].lat},${SITES[o.near].lon}`).join('\n') + '\n';
  const r = await api(hub.base, 'POST', '/api/v1/network/drops/net-drop/orders', { token: HUB_TOKEN, csv });
  assert.equal(r.status, 201, r.text);

  // Routed, each to the site nearest its customer: the list says so once the page is loaded again.
  await waitFor(async () => (await hubGet('/api/v1/network/orders?limit=100')).orders.every((o) => o.state !== 'waiting'),
    15000, 'every order routed');
  await page.reload();
  for (const o of ORDERS) {
    const row = page.locator(`table.orders tr[data-order="${o.id}"]`);
    assert.equal(await row.locator('td').nth(6).innerText(), o.near, `${o.id} routed to ${o.near}`);
  }
  const drop = page.locator('table.drop[data-drop="net-drop"]');
  assert.match(await drop.locator('caption').innerText(), /^net-drop: 10 orders, 30000 units, /);
  for (const site of Object.keys(SITES)) {
    const cells = await drop.locator(`tbody tr[data-site="${site}"] td`).allInnerTexts();
    assert.deepEqual(cells.slice(0, 3), [site, '5', String(5 * UNITS)], `${site}'s progress`);
  }
  await assertFits('the network page with a batch');
  await shot('network-routed');

  // The orders of porto, with the filter's form, and their CSV. The form is on the first screen,
  // right above the orders.
  await page.evaluate(() => window.scrollTo(0, 0));
  const form = await page.locator('form.filters').boundingBox();
  assert.ok(form.y + form.height <= 768, `the filter's form ends at ${Math.round(form.y + form.height)} px, below the screen`);
  await page.locator('form.filters select[name=site]').selectOption('porto');
  await Promise.all([page.waitForURL((u) => u.searchParams.get('site') === 'porto'), page.locator('form.filters button[type=submit]').click()]);
  const shown = await page.locator('table.orders tbody tr').evaluateAll((rows) => rows.map((tr) => tr.dataset.order));
  assert.deepEqual(shown, ORDERS.filter((o) => o.near === 'porto').map((o) => o.id), 'the orders of porto');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a.csv').click()]);
  assert.equal(download.suggestedFilename(), 'network-orders.csv');
  const lines = readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
  assert.equal(lines[0].split(',')[0], 'order_id');
  const site = lines[0].split(',').indexOf('site');
  assert.deepEqual(lines.slice(1).map((l) => [l.split(',')[0], l.split(',')[site]]),
    shown.map((id) => [id, 'porto']), 'the CSV holds the orders the filter shows');
  await assertFits('the orders of porto');
});

test('an order\'s routes and reasons; moved to another site with a double tap, once', async () => {
  // porto's three looms each weave one of its orders; the other two wait.
  const waiting = await waitFor(async () => {
    const porto = (await hubGet('/api/v1/network/orders?site=porto&limit=100')).orders;
    const started = porto.filter((o) => o.state === 'started');
    const notStarted = porto.filter((o) => o.state === 'accepted' || o.state === 'routed');
    return started.length === 3 && notStarted.length === 2 && notStarted;
  }, 20000, 'porto weaving three orders and two waiting');
  const id = waiting[0].order_id;
  // porto stops now (the next test sees it cut off): the move needs only the hub, and the
  // wait for online_within runs meanwhile.
  await sites.porto.stop();
  delete sites.porto;
  stoppedAt = Date.now();

  await page.goto(`${hub.base}/network/orders/${id}`);
  assert.equal(await page.locator('h1').innerText(), `Order ${id}`);
  assert.equal(await page.locator('section.route h3').allInnerTexts().then((h) => h.join('|')), 'Route 1: porto');
  assert.match(await page.locator('section.route p.why').innerText(), /^porto is the nearest to the customer/);
  const ranking = await page.locator('section.route table.ranking tbody tr').evaluateAll((rows) =>
    rows.map((tr) => [...tr.cells].map((td) => td.innerText)));
  assert.deepEqual(ranking.map((r) => [r[0], r[1]]), [['1', 'porto'], ['2', 'lisbon'], ['', 'madrid']]);
  assert.match(ranking[2][6], /./, 'madrid\'s exclusion is given');
  await assertFits('an order\'s page');

  const posts = [];
  page.on('request', (req) => { if (req.method() === 'POST' && req.url().endsWith('/move')) posts.push(req.url()); });
  await page.locator('form.move select[name=site]').selectOption('lisbon');
  await doubleTap(page.locator('form.move button[type=submit]'));
  await page.locator('p.note[role=status]').waitFor({ timeout: 10000 });
  assert.equal(await page.locator('p.note[role=status]').innerText(), 'Moved to lisbon.');
  const view = await hubGet(`/api/v1/network/orders/${id}`);
  assert.equal(view.order.site, 'lisbon');
  assert.deepEqual(view.routes.map((r) => [r.n, r.site]), [[1, 'porto'], [2, 'lisbon']], 'moved once');
  assert.equal(posts.length, 1, 'the form is sent once');
  assert.match(view.routes[0].end_cause, /^moved by planner/);
  assert.deepEqual(await page.locator('section.route h3').allInnerTexts(), ['Route 1: porto', 'Route 2: lisbon']);
  await assertFits('an order\'s page once moved');
  await shot('network-order-moved');
});

test('porto, stopped, is shown cut off with its last word ageing, and an admin marks it gone', async () => {
  // An admin, who may mark a site gone, signs in meanwhile.
  await Promise.all([page.waitForURL((u) => u.pathname === '/network/signin'), page.locator('header form button').click()]);
  await signIn(ADMIN_TOKEN);
  assert.match(await page.locator('header .who').innerText(), /admin \(admin\)/);
  // The page refreshes itself (every 5 s): porto's last word ages without a reload.
  await markNoReload(page);
  const shown = ageOf(await siteCell('porto', 'age'));
  await waitFor(async () => ageOf(await siteCell('porto', 'age')) > shown, 10000, 'porto\'s last word to age on the page');
  assert.ok(await stillSamePage(page), 'the page refreshed itself');
  // Cut off once its last word is older than online_within.
  await waitFor(async () => {
    await page.reload();
    return (await siteCell('porto', 'condition')) === 'cut off';
  }, (ONLINE_WITHIN_S + 10) * 1000, 'porto cut off on the dashboard');
  const age = ageOf(await siteCell('porto', 'age'));
  const stopped = (Date.now() - stoppedAt) / 1000;
  assert.ok(age >= ONLINE_WITHIN_S && age <= stopped + 1, `porto's last word ${age} s ago; it stopped ${stopped.toFixed(1)} s ago`);
  assert.equal(await siteCell('lisbon', 'condition'), 'online');
  await assertFits('the network page with porto cut off');
  await shot('network-cut-off');

  // The admin marks porto gone: its orders not started go back to be routed again.
  const notStarted = (await hubGet('/api/v1/network/orders?site=porto&limit=100')).orders
    .filter((o) => o.state === 'accepted' || o.state === 'routed').map((o) => o.order_id);
  await Promise.all([page.waitForURL((u) => u.pathname === '/network/sites/porto/gone'),
    page.locator('table.sites tr.site[data-site="porto"] a[href$="/gone"]').click()]);
  assert.match(await page.locator('main').innerText(), /It is cut off; its last word: \d+ s ago\./);
  await page.locator('#confirm').fill('porto');
  const posts = [];
  page.on('request', (req) => { if (req.method() === 'POST' && req.url().endsWith('/gone')) posts.push(req.url()); });
  await doubleTap(page.locator('main form button[type=submit]'));
  await page.locator('h1', { hasText: 'Porto loom studio is gone' }).waitFor({ timeout: 10000 });
  assert.equal(await page.locator('main p[role=status]').innerText(),
    `${notStarted.length === 1 ? '1 order not started was' : `${notStarted.length} orders not started were`} put back to be routed again.`);
  assert.equal(posts.length, 1, 'the form is sent once');
  await assertFits('the gone page');
  await page.goto(`${hub.base}/network`);
  await shot('network-gone');
  assert.equal(await siteCell('porto', 'condition'), 'gone');
  for (const id of notStarted) {
    const o = (await hubGet(`/api/v1/network/orders/${id}`)).order;
    assert.notEqual(o.site, 'porto', `${id} left porto`);
  }
  await assertFits('the network page with porto gone');
  assertPagesClean(page);
});
