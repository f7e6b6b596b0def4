// The dashboard's effectiveness section at 1024x768: after work went through the floor, each
// cell has its OEE today and over 7 days, the floor its total, the trend and the losses draw, the
// Pareto links to the stops' page, first-pass yield lists the SKUs made and the open drop's
// margin is there; every part's CSV link downloads its table, nothing scrolls sideways, chart
// text reads at 12 px or more, and a unit finished through the API shows in first-pass yield
// without a reload.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  startDaemon, launchBrowser, openPage, assertPagesClean, screenshot, waitFor, apiOK, csvOf, importCSV,
  workOrders, finishWorkOrders, markNoReload, stillSamePage, signInWithPassword,
} from './lib.mjs';
import { assertChartTextReadable, assertNoSideScroll } from './views.mjs';

const PARTS = ['oee', 'oee-trend', 'losses', 'pareto', 'fpy', 'margins'];

let daemon;
let browser;
let base;
let context;
let page;
let cells;

before(async () => {
  daemon = await startDaemon('dashboard-oee');
  base = daemon.base;
  browser = await launchBrowser();
  cells = await apiOK(base, 'GET', '/api/v1/cells');
  const r = await importCSV(base, 'spring-27', csvOf([
    ['OEE-0001', 'SCARF-GAUZE-INDIGO', 2, 'Ana Costa'],
    ['OEE-0002', 'CUSHION-IKAT-SAFFRON', 1, 'Bea Lopes'],
  ]));
  assert.equal(r.status, 201, r.text);
  await finishWorkOrders(base, (await workOrders(base, 'spring-27')).map((w) => w.id));
  // Open work: the summer drop's margin is the open drop's.
  const s = await importCSV(base, 'summer-27', csvOf([['OEE-0101', 'MAT-BATH-SAGE', 2, 'Caro Silva']]));
  assert.equal(s.status, 201, s.text);
  context = await browser.newContext({ viewport: { width: 1024, height: 768 }, acceptDownloads: true });
  page = await openPage(context, 'ines');
});

after(async () => {
  await context?.close();
  await browser?.close();
  await daemon?.stop();
});

test('the effectiveness section shows OEE, losses, reasons, first-pass yield and margins at 1024x768', async () => {
  await signInWithPassword(page, base, 'ines', '/manager');
  const section = page.locator('#oee-body');
  await waitFor(async () => (await section.locator('#oee-cells').count()) === 1, 15000, 'the OEE section to load');
  for (const c of cells) {
    assert.equal(await section.locator(`#oee-cells tr[data-cell="${c.id}"]`).count(), 1, `a row of ${c.id}`);
  }
  assert.equal(await section.locator('#oee-cells tr[data-cell="floor"]').count(), 1, 'the floor row');
  for (const name of PARTS) {
    const figure = section.locator(`figure[data-chart="${name}"]`);
    assert.equal(await figure.count(), 1, `figure[data-chart=${name}]`);
    const link = figure.locator('a.csv');
    assert.equal(await link.getAttribute('href'), `/manager/oee/${name}.csv`);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const text = readFileSync(await download.path(), 'utf8');
    assert.ok(text.split('\n').length >= 2, `${name}.csv has a header and rows: ${text}`);
  }
  assert.equal(await section.locator('figure[data-chart="oee-trend"] svg').count(), 1, 'the trend draws');
  assert.equal(await section.locator('figure[data-chart="losses"] svg').count(), 1, 'the losses draw');
  assert.equal(await section.locator('figure[data-chart="pareto"] a[href="/manager/stops"]').count(), 1, 'the Pareto links to the stops');
  assert.equal(await section.locator('#oee-fpy tr[data-sku="SCARF-GAUZE-INDIGO"]').count(), 1, 'first-pass yield of the scarves');
  assert.equal(await section.locator('#oee-margins tr[data-margin-drop="summer-27"]').count(), 1, "the open drop's margin");
  await assertNoSideScroll(page, 'the dashboard at 1024x768');
  await assertChartTextReadable(page, 'the dashboard at 1024x768');
  await screenshot(page, 'dashboard-oee-1024x768');
  assertPagesClean(page);
});

test('a unit finished through the API shows in first-pass yield without a reload', async () => {
  await markNoReload(page);
  const [wo] = await workOrders(base, 'summer-27');
  await finishWorkOrders(base, [wo.id]);
  await waitFor(async () => (await page.locator('#oee-fpy tr[data-sku="MAT-BATH-SAGE"]').count()) === 1, 45000,
    'the bath mats in first-pass yield without a reload'); // the section is fetched again at most every 5 s
  assert.ok(await stillSamePage(page), 'the page was not reloaded');
  assertPagesClean(page);
});
