// Pages other than the tablet queue: the PIN pad, the dashboard's live refresh and the Short
// list's remakes.
(() => {
  'use strict';

  // The PIN pad: tap your name, then the digits.
  const pinForm = document.getElementById('pin-form');
  if (pinForm) {
    const pin = document.getElementById('pin');
    const person = document.getElementById('person');
    pinForm.addEventListener('click', (e) => {
      const b = e.target.closest('button');
      if (!b) return;
      if (b.dataset.person) {
        person.value = b.dataset.person;
        pinForm.querySelectorAll('[data-person]').forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
        pin.focus();
      } else if (b.dataset.key === 'back') {
        pin.value = pin.value.slice(0, -1);
      } else if (b.dataset.key) {
        if (pin.value.length < 8) pin.value += b.dataset.key;
      }
    });
    pinForm.addEventListener('submit', (e) => {
      if (!person.value) {
        e.preventDefault();
        let err = document.getElementById('signin-error');
        if (!err) {
          err = document.createElement('p');
          err.id = 'signin-error';
          err.className = 'error';
          err.setAttribute('role', 'alert');
          pinForm.prepend(err);
        }
        err.textContent = 'Tap your name first, then enter your PIN.';
      }
    });
  }

  // The dashboard: the board and the drops follow the floor; the charts redraw every minute.
  const dash = document.getElementById('dashboard');
  if (dash && window.EventSource) {
    const conn = document.getElementById('connection');
    let timer = null;
    const refresh = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        if (window.htmx) window.htmx.ajax('GET', '/manager/board', { target: '#live-board', swap: 'innerHTML' });
      }, 500);
    };
    // A board that says a drop's plan is being made is told when the plan comes, even if it
    // came just before.
    const planning = document.querySelector('#live-board [data-status="planning"]') ? '?planning=1' : '';
    const es = new EventSource('/manager/events' + planning);
    es.onopen = () => { conn.dataset.state = 'live'; conn.textContent = 'Live'; };
    es.onerror = () => { conn.dataset.state = 'lost'; conn.textContent = 'Connection lost — reconnecting'; };
    es.addEventListener('queue', refresh);
    es.addEventListener('queue', () => document.dispatchEvent(new Event('cellforge:book')));
    es.addEventListener('machine', refresh);
  }

  // The Short list (the planner's drop page, the dashboard). On the dashboard it follows the
  // book, apart from the board: the machines' readings redraw the board every moment, and would
  // swap the button from under a finger.
  let shortTimer = null;
  const reloadShort = async () => {
    const section = document.getElementById('short');
    if (!section) return;
    const notice = section.querySelector('#short-notice');
    const said = notice && { text: notice.textContent, bad: notice.classList.contains('bad') };
    try {
      const list = await fetch(section.dataset.src, { headers: { 'HX-Request': 'true' }, cache: 'no-store' });
      const now = document.getElementById('short');
      if (!list.ok || !now) return;
      now.outerHTML = await list.text();
      const n = document.querySelector('#short #short-notice');
      if (n && said) { n.textContent = said.text; n.classList.toggle('bad', said.bad); }
    } catch (x) { /* the list stays as it was until the next change */ }
  };
  document.addEventListener('cellforge:book', () => {
    if (shortTimer) return;
    shortTimer = setTimeout(() => { shortTimer = null; reloadShort(); }, 500);
  });
  // The dashboard's effectiveness section reads a week of the book: it is drawn again at most
  // every 5 s (cellforge:oee), at once after a quiet spell, and always once after the last
  // change of a burst, so that the change that ends a burst shows too (htmx's throttle would
  // drop it).
  let oeeLast = 0;
  let oeeTimer = null;
  document.addEventListener('cellforge:book', () => {
    if (oeeTimer) return;
    oeeTimer = setTimeout(() => {
      oeeTimer = null;
      oeeLast = Date.now();
      document.dispatchEvent(new Event('cellforge:oee'));
    }, Math.max(0, oeeLast + 5000 - Date.now()));
  });
  // "Make N again" posts the remake to the API under the Idempotency-Key the page was given for
  // the shortfall it shows, so that a double tap, or a retry after no answer, makes one remake;
  // then the list is fetched again. Its messages are the section's data-* attributes, with
  // {order}, {work_order} and {quantity}.
  const fill = (text, vals) => text.replace(/\{(\w+)\}/g, (m, k) => (k in vals ? String(vals[k]) : m));
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('#short button[data-remake]');
    if (!b) return;
    const section = b.closest('#short');
    const order = b.dataset.remake;
    const say = (text, bad) => {
      const n = document.querySelector('#short #short-notice');
      if (!n) return;
      n.textContent = text;
      n.classList.toggle('bad', !!bad);
    };
    say(fill(section.dataset.sending, { order }));
    let r;
    try {
      r = await fetch('/api/v1/orders/' + encodeURIComponent(order) + '/remake', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CellForge-Request': '1', 'Idempotency-Key': b.dataset.key },
        body: '{}',
      });
    } catch (x) {
      say(fill(section.dataset.lost, { order }), true);
      return;
    }
    let text;
    let bad = !r.ok;
    try {
      const body = await r.json();
      text = r.ok
        ? fill(section.dataset.done, { order, work_order: body.work_order.id, quantity: body.work_order.quantity })
        : body.error.message;
    } catch (x) {
      text = r.statusText;
      bad = true;
    }
    say(text, bad);
    await reloadShort();
  });
})();
