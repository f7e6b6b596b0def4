// The charts of the dashboard and the plan: what a mark's tooltip says (a bar's or a point's
// <title>) is also read by a tap or a click, written under its chart, so that nothing is shown
// on hover alone, which a touch screen does not have.
(() => {
  'use strict';

  const MARKS = 'rect.bar, circle.point';
  const NEAR = 24; // px: a tap this close to a small mark reads it

  // nearest returns the mark under the point (x, y) of the screen, or the nearest one within
  // NEAR px, or null.
  function nearest(svg, x, y) {
    let best = null;
    let bestD = NEAR;
    for (const m of svg.querySelectorAll(MARKS)) {
      const r = m.getBoundingClientRect();
      const d = Math.hypot(Math.max(r.left - x, 0, x - r.right), Math.max(r.top - y, 0, y - r.bottom));
      if (d === 0) return m;
      if (d < bestD) {
        best = m;
        bestD = d;
      }
    }
    return best;
  }

  document.addEventListener('click', (e) => {
    const svg = e.target.closest && e.target.closest('figure[data-chart] svg');
    if (!svg) return;
    let mark = e.target.closest(MARKS);
    if (!mark || !svg.contains(mark)) mark = nearest(svg, e.clientX, e.clientY);
    if (mark) read(svg, mark);
  });

  // read selects mark of the chart svg and writes what its tooltip says under the chart.
  function read(svg, mark) {
    const tip = svg.closest('figure').querySelector('.chart-tip');
    const title = mark.querySelector(':scope > title');
    if (!tip || !title) return;
    svg.querySelectorAll('.selected').forEach((m) => m.classList.remove('selected'));
    mark.classList.add('selected');
    tip.textContent = title.textContent;
    tip.classList.add('read');
  }

  // The dashboard redraws its charts every minute: a reading a person took stays, on the mark
  // in the same place, with what that mark says now. Each swap keeps the readings of the
  // charts it replaces under its own target, so that other parts swapped meanwhile (the
  // board) do not touch them.
  const kept = new WeakMap();
  document.addEventListener('htmx:beforeSwap', (e) => {
    const into = e.detail && e.detail.target;
    if (!into || !into.querySelectorAll) return;
    const readings = [];
    for (const svg of into.querySelectorAll('figure[data-chart] svg')) {
      const sel = svg.querySelector('.selected');
      if (!sel) continue;
      const chart = svg.closest('figure').dataset.chart;
      readings.push({ chart, index: Array.from(svg.querySelectorAll(MARKS)).indexOf(sel) });
    }
    if (readings.length) kept.set(into, readings);
  });
  document.addEventListener('htmx:afterSwap', (e) => {
    const into = e.detail && e.detail.target;
    const readings = into && kept.get(into);
    if (!readings) return;
    kept.delete(into);
    for (const k of readings) {
      const svg = into.querySelector(`figure[data-chart="${CSS.escape(k.chart)}"] svg`);
      const mark = svg && svg.querySelectorAll(MARKS)[k.index];
      if (mark) read(svg, mark);
    }
  });
})();
