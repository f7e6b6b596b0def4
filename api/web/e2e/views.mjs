// What the dashboard's and the planner's specs check of a page at every size they open it: the
// touch tablets the studio uses, and the charts read as a person reads them (text size on
// screen, axes, tooltips that a tap shows too).

import assert from 'node:assert/strict';
import { TABLET, waitFor } from './lib.mjs';

// The two tablets: landscape, touch, not a phone.
export const TOUCH = [
  { ...TABLET, viewport: { width: 1024, height: 768 } },
  { ...TABLET, viewport: { width: 1280, height: 800 } },
];

// sizeName is a viewport's name in screenshots and messages: "1024x768".
export function sizeName(ctx) {
  return `${ctx.viewport.width}x${ctx.viewport.height}`;
}

// chartText returns the smallest size on screen, in CSS px, of the text of the page's charts,
// and which text it is: the font size times the scale the chart is drawn at.
export function chartText(page) {
  return page.evaluate(() => {
    let min = Infinity;
    let where = '';
    let count = 0;
    for (const t of document.querySelectorAll('figure[data-chart] svg text')) {
      if (!t.textContent.trim() || !t.getClientRects().length) continue;
      const m = t.getScreenCTM();
      const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
      count++;
      if (px < min) {
        min = px;
        where = `${t.closest('figure').dataset.chart}: "${t.textContent}"`;
      }
    }
    return { min, where, count };
  });
}

// assertChartTextReadable fails when a chart's text is smaller than 12 px on screen.
export async function assertChartTextReadable(page, label) {
  const t = await chartText(page);
  assert.ok(t.count > 0, `${label}: the charts have text`);
  assert.ok(t.min >= 11.99, `${label}: chart text ${t.min.toFixed(2)} px (${t.where}), want 12 px or more`);
}

// assertNoSideScroll fails when the page is wider than the window: nothing to scroll sideways
// on a tablet.
export async function assertNoSideScroll(page, label) {
  const w = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, win: window.innerWidth }));
  assert.ok(w.doc <= w.win, `${label}: the page is ${w.doc} px wide in a ${w.win} px window`);
}

// axisTicks returns the tick labels of a chart's axis ("axis-x" or "axis-y").
export function axisTicks(page, chart, axis) {
  return page.locator(`figure[data-chart="${chart}"] svg g.${axis} text.tick`).allTextContents();
}

// tapToRead taps the middle of a chart's mark with a finger (a click with the mouse when touch
// is false), at the screen's point (a label drawn on a bar may be what the finger touches), and
// returns what the chart then writes under itself, checking that it is what the mark's tooltip
// says.
export async function tapToRead(page, chart, mark, label, touch = true) {
  await mark.scrollIntoViewIfNeeded();
  const box = await mark.boundingBox();
  assert.ok(box, `${label}: the ${chart} mark is drawn`);
  const title = await mark.locator('title').textContent();
  assert.ok(title.trim().length > 0, `${label}: the ${chart} mark has a tooltip`);
  if (touch) await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
  else await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const tip = page.locator(`figure[data-chart="${chart}"] .chart-tip`);
  // The charts may redraw meanwhile (the dashboard's do every minute): the reading then stays
  // on the mark tapped, with what that mark says now.
  const selected = page.locator(`figure[data-chart="${chart}"] .selected > title`);
  let last = '';
  await waitFor(async () => {
    last = await tip.textContent();
    const now = (await selected.count()) === 1 ? await selected.textContent() : null;
    return last === title || (now !== null && last === now);
  }, 5000, () => `${label}: the ${chart} chart to write "${title}" under itself after a tap (it says "${last}")`);
  assert.ok(await tip.isVisible(), `${label}: what the tap read is visible`);
  return last;
}

// assertReadingKept redraws the dashboard's charts, as it does every minute, and checks that the
// reading under chart stays on the mark it was, saying what that mark says now.
export async function assertReadingKept(page, chart, label) {
  const fig = `figure[data-chart="${chart}"]`;
  await page.evaluate((fig) => { document.querySelector(`${fig} svg`).dataset.old = '1'; }, fig);
  await page.evaluate(() => window.htmx.ajax('GET', '/manager/charts', { target: '#charts', swap: 'innerHTML' }));
  await waitFor(async () => (await page.locator(`${fig} svg[data-old]`).count()) === 0 &&
    (await page.locator(`${fig} svg`).count()) === 1, 5000, `${label}: the charts to redraw`);
  let tip = '';
  let title = null;
  await waitFor(async () => {
    tip = await page.locator(`${fig} .chart-tip`).textContent();
    const sel = page.locator(`${fig} .selected > title`);
    title = (await sel.count()) === 1 ? await sel.textContent() : null;
    return title !== null && tip === title;
  }, 5000, () => `${label}: the ${chart} reading to stay after the charts redraw (it says "${tip}", the selected mark ${title === null ? 'is gone' : `says "${title}"`})`);
}

// DATE is a date tick of a daily axis: "Mon 7 Dec".
export const DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2}$/;

// pageTime writes a time as the pages do (their "datetime"), in UTC, the demo studio's time
// zone: "Sun 6 Dec 2026 10:39".
export function pageTime(d) {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}

// rushDue is a due date the floor cannot meet: an hour from now, to the minute.
export function rushDue() {
  const d = new Date(Date.now() + 3600 * 1000);
  d.setUTCSeconds(0, 0);
  return d;
}

// DURATION is a duration as the pages and the charts write it: "3 s", "4 min 30 s", "2 h 5 min".
export const DURATION = /^(\d+(\.\d)? s|\d+ min( \d+ s)?|\d+ h( \d+ min)?|\d+ d( \d+ h)?)$/;
