// The tablet pages in the studio's language: a tablet picks its language on the cell picker and
// keeps it (another tablet is not changed); a browser set to Portuguese gets Portuguese by
// itself; the pages' text, dates and the script's own messages are translated.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  TABLETS, startDaemon, launchBrowser, openPage, assertPagesClean, screenshot, waitFor, signInWithPin,
  importCSV, csvOf, act,
} from './lib.mjs';

let daemon;
let base;
let browser;

before(async () => {
  daemon = await startDaemon('language', { simSpeed: 30 });
  base = daemon.base;
  // Jobs at the repair corner, worked by hand: one to start on each tablet size.
  const r = await importCSV(base, 'summer-27', csvOf([
    ['SU27-L1', 'RUG-VINTAGE', 1, 'Marta Sousa', 0, '', ''],
    ['SU27-L2', 'RUG-VINTAGE', 1, 'Rui Lopes', 0, '', ''],
  ]));
  assert.equal(r.status, 201, r.text);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

// targets returns the tappable things of a page smaller than 44 x 44 CSS px.
function smallTargets(page) {
  return page.locator('a, button').evaluateAll((els) => els
    .filter((e) => e.offsetParent !== null)
    .map((e) => { const r = e.getBoundingClientRect(); return { text: e.textContent.trim(), w: r.width, h: r.height }; })
    .filter((r) => r.w < 44 || r.h < 44));
}

test('a tablet picks Portuguese on the cell picker and keeps it; another tablet stays in English', async () => {
  for (const vp of TABLETS) {
    const context = await browser.newContext({ viewport: vp.viewport, hasTouch: vp.hasTouch, isMobile: vp.isMobile, locale: 'en-GB' });
    const page = await openPage(context, `language-${vp.name}`);
    await page.goto(base + '/tablet');
    assert.equal(await page.locator('h1').innerText(), 'Which cell are you at?');
    assert.deepEqual(await smallTargets(page), [], 'no target under 44 px on the picker');
    await page.locator('form.languages button[lang=pt]').tap();
    await page.locator('html[lang=pt]').waitFor({ timeout: 10000 });
    assert.equal(page.url(), base + '/tablet', 'back on the page the language was chosen on');
    assert.equal(await page.locator('h1').innerText(), 'Em que célula está?');
    assert.equal(await page.locator('html').getAttribute('lang'), 'pt');
    assert.equal(await page.locator('form.languages button[lang=pt]').getAttribute('aria-pressed'), 'true');
    await screenshot(page, `language-cells-${vp.name}`);

    await page.locator('a[data-cell=repair-1]').tap();
    assert.equal(await page.locator('legend').first().innerText(), 'Quem é?');
    await signInWithPin(page, 'amira');
    assert.equal(await page.locator('#switch-operator').innerText(), 'Trocar de operador');
    // The script's own words: the connection's state, and what an action says.
    await waitFor(async () => (await page.locator('#connection').innerText()) === 'Ligado', 10000, 'the connection in Portuguese');
    const job = page.locator('#current article.job[data-state=queued]');
    await job.waitFor({ timeout: 10000 });
    const op = await job.getAttribute('data-op');
    const sku = await job.locator('.sku .code').innerText();
    assert.match(await page.locator('#current .drop').innerText(), /^Prazo (seg|ter|qua|qui|sex|sáb|dom) \d+ (jan|fev|mar|abr|mai|jun|jul|ago|set|out|nov|dez) \d{4}/,
      'a date in Portuguese');
    assert.equal(await page.locator('#state').innerText(), 'Pronto a começar');
    await page.locator('#actions[aria-busy=false]').waitFor({ timeout: 10000 });
    await page.locator('#actions button[data-action=start]').tap();
    await waitFor(async () => (await page.locator('#notice').innerText()).startsWith(`Começar ${sku}: feito.`), 10000,
      'the start said in Portuguese');
    // The notice comes with the API's answer; the banner with the page's next fetch of its live part.
    await waitFor(async () => (await page.locator('#state').innerText()) === 'A trabalhar', 10000, 'the running banner in Portuguese');
    await screenshot(page, `language-tablet-${vp.name}`);
    await page.locator('#actions[aria-busy=false]').waitFor({ timeout: 10000 });
    await page.locator('#actions button[data-action=pause]').tap();
    const d = page.locator('dialog#dialog-pause');
    await d.waitFor({ state: 'visible' });
    assert.equal(await d.locator('h2').innerText(), 'Porque está a pausar?');
    await d.locator('button[data-cancel]').tap();
    // The job done, for the next tablet size to start the next one.
    const done = await act(base, op, 'complete');
    assert.ok(done.status < 300, `complete: ${done.status} ${done.text}`);
    assertPagesClean(page);

    // Another tablet, which chose nothing, speaks its browser's English.
    const other = await browser.newContext({ viewport: vp.viewport, hasTouch: vp.hasTouch, isMobile: vp.isMobile, locale: 'en-GB' });
    const otherPage = await openPage(other, `language-other-${vp.name}`);
    await otherPage.goto(base + '/tablet');
    assert.equal(await otherPage.locator('h1').innerText(), 'Which cell are you at?');
    assertPagesClean(otherPage);
    await other.close();
    await context.close();
  }
});

test('a browser set to Portuguese gets the pages in Portuguese, and can choose English', async () => {
  const vp = TABLETS[0];
  const context = await browser.newContext({ viewport: vp.viewport, hasTouch: vp.hasTouch, isMobile: vp.isMobile, locale: 'pt-PT', extraHTTPHeaders: { 'Accept-Language': 'pt-PT,pt;q=0.9' } });
  const page = await openPage(context, 'language-browser');
  await page.goto(base + '/tablet/repair-1');
  assert.equal(await page.locator('button#pin-ok').innerText(), 'Entrar');
  assert.equal(await page.locator('#another-cell').innerText(), 'Outra célula');
  await page.locator('form.languages button[lang=en]').tap();
  await page.locator('html[lang=en]').waitFor({ timeout: 10000 });
  assert.equal(page.url(), base + '/tablet/repair-1', 'back on the page the language was chosen on');
  assert.equal(await page.locator('button#pin-ok').innerText(), 'Sign in');
  assertPagesClean(page);
  await context.close();
});
