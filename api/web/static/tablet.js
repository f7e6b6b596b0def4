// The shop tablet: live queue, actions that survive a lost connection.
//
// Every action is kept (in localStorage) with its own Idempotency-Key until the server has
// answered it, and is sent again with the same key after a lost connection, so it is applied
// once however many times it is sent. A start carries the version of the job the page showed:
// the server refuses it if the job changed since, so a stale page never starts a finished job.
(() => {
  'use strict';
  const live = document.getElementById('live');
  if (!live) return;
  const cell = live.dataset.cell;
  const conn = document.getElementById('connection');
  const notice = document.getElementById('notice');
  const pendingEl = document.getElementById('pending');
  const storeKey = 'cellforge.pending.' + cell;
  const headers = { 'X-CellForge-Request': '1' };

  let pending = [];
  try { pending = JSON.parse(localStorage.getItem(storeKey) || '[]'); } catch (e) { pending = []; }

  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* private mode: memory only */ }
    pendingEl.hidden = pending.length === 0;
    pendingEl.textContent = pending.length === 1
      ? '1 action waiting for the connection: ' + pending[0].label
      : pending.length + ' actions waiting for the connection';
  }

  const connText = { live: 'Live', connecting: 'Connecting…', lost: 'Connection lost — reconnecting' };
  function setConn(state) {
    if (conn.dataset.state === state) return;
    conn.dataset.state = state;
    conn.textContent = connText[state];
  }

  function say(text, bad) {
    notice.textContent = text;
    notice.classList.toggle('bad', !!bad);
  }

  // key returns a fresh Idempotency-Key. crypto.randomUUID needs a secure context, which a
  // tablet on the studio's network (plain http) is not.
  function key() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    return 'tab-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  // refresh fetches the live part of the page again; calls while one is under way coalesce.
  let fetching = false;
  let again = false;
  async function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    try {
      const r = await fetch('/tablet/' + encodeURIComponent(cell) + '/live', { headers, cache: 'no-store' });
      if (r.status === 401) { location.reload(); return; }
      if (r.ok) swap(await r.text());
    } catch (e) {
      setConn('lost');
    } finally {
      fetching = false;
      if (again) { again = false; refresh(); }
    }
  }

  function swap(html) {
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('#live [data-action]');
    const action = focused && focused.dataset.action;
    live.innerHTML = html;
    if (action) {
      const b = live.querySelector('[data-action="' + action + '"]');
      if (b && !b.disabled) b.focus();
    }
  }

  function machine(m) {
    const set = (id, v) => { const el = document.getElementById(id); if (el && v !== undefined && v !== null) el.textContent = v; };
    set('machine-state', m.state);
    if (typeof m.temperature === 'number') set('temperature', m.temperature.toFixed(1));
    if (typeof m.setpoint === 'number') set('setpoint', m.setpoint.toFixed(1));
    if (typeof m.hold_left === 'number') set('hold-left', Math.round(m.hold_left) + ' s');
  }

  // send posts the waiting actions in order, each until the server answers it.
  let sending = false;
  let backoff = 1000;
  let retry = null;
  async function send() {
    if (sending) return;
    sending = true;
    try {
      while (pending.length > 0) {
        const it = pending[0];
        let r;
        try {
          r = await fetch(it.url, {
            method: 'POST',
            headers: Object.assign({ 'Content-Type': 'application/json', 'Idempotency-Key': it.key }, headers),
            body: JSON.stringify(it.body),
          });
        } catch (e) {
          setConn('lost');
          later();
          return;
        }
        if (r.status >= 500 || r.status === 429) { later(); return; }
        if (r.status === 401) { location.reload(); return; }
        pending.shift();
        save();
        backoff = 1000;
        if (r.ok) {
          say(it.label + ': done.');
        } else {
          let msg = r.statusText;
          try { msg = (await r.json()).error.message; } catch (e) { /* not JSON */ }
          say(it.label + ': refused. ' + msg, true);
        }
        refresh();
      }
    } finally {
      sending = false;
    }
  }

  function later() {
    if (retry) return;
    retry = setTimeout(() => { retry = null; send(); }, backoff);
    backoff = Math.min(backoff * 2, 10000);
  }

  function enqueue(it) {
    it.key = key();
    pending.push(it);
    save();
    say(it.label + ': sending…');
    send();
  }

  function current() {
    const a = live.querySelector('#current article.job');
    if (!a) return null;
    return {
      op: a.dataset.op, version: Number(a.dataset.version), state: a.dataset.state,
      left: Number(a.dataset.left), sku: a.querySelector('.sku .code').textContent,
    };
  }

  function opAction(job, action, body, label) {
    enqueue({ url: '/api/v1/operations/' + job.op + '/' + action, body, label: label + ' ' + job.sku });
  }

  // choose opens a dialog of reasons and calls done with the one tapped.
  function choose(id, done) {
    const d = document.getElementById(id);
    d.onclick = (e) => {
      const b = e.target.closest('button');
      if (!b) return;
      if (b.hasAttribute('data-cancel')) { d.close(); return; }
      if (b.dataset.reason) { d.close(); done(b.dataset.reason, b.textContent); }
    };
    d.showModal();
  }

  function scrap(job) {
    const d = document.getElementById('dialog-scrap');
    const qty = document.getElementById('scrap-qty');
    const ok = d.querySelector('[data-confirm]');
    let reason = '';
    qty.max = String(Math.max(1, job.left));
    qty.value = String(Math.max(1, job.left));
    d.querySelectorAll('[data-reason]').forEach((b) => b.setAttribute('aria-checked', 'false'));
    const check = () => {
      const n = Number(qty.value);
      ok.disabled = !reason || !Number.isInteger(n) || n < 1 || n > Math.max(1, job.left);
    };
    qty.oninput = check;
    check();
    d.onclick = (e) => {
      const b = e.target.closest('button');
      if (!b) return;
      if (b.hasAttribute('data-cancel')) { d.close(); return; }
      if (b.dataset.step) { qty.value = String(Math.max(1, Number(qty.value || 0) + Number(b.dataset.step))); check(); return; }
      if (b.dataset.reason) {
        reason = b.dataset.reason;
        d.querySelectorAll('[data-reason]').forEach((x) => x.setAttribute('aria-checked', String(x === b)));
        check();
        return;
      }
      if (b.hasAttribute('data-confirm') && !ok.disabled) {
        d.close();
        opAction(job, 'scrap', { reason, quantity: Number(qty.value) }, 'Scrap ' + qty.value + ' of');
      }
    };
    d.showModal();
  }

  live.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b || b.disabled) return;
    const job = current();
    const action = b.dataset.action;
    switch (action) {
      case 'start':
        // The version makes the server refuse a start from a page that is out of date.
        if (job) opAction(job, 'start', { version: job.version }, 'Start');
        break;
      case 'resume':
      case 'complete':
        if (job) opAction(job, action, {}, action === 'resume' ? 'Resume' : 'Complete');
        break;
      case 'pause':
        if (job) choose('dialog-pause', (reason) => opAction(job, 'pause', { reason }, 'Pause'));
        break;
      case 'scrap':
        if (job) scrap(job);
        break;
      case 'fault':
        choose('dialog-fault', (code, label) => enqueue({
          url: '/api/v1/cells/' + encodeURIComponent(cell) + '/fault', body: { code }, label: 'Fault report (' + label.trim() + ')',
        }));
        break;
      case 'label': {
        const op = Number(live.querySelector('#actions').dataset.labelOp);
        if (op) enqueue({ url: '/api/v1/cells/' + encodeURIComponent(cell) + '/labels', body: { operation: op, unit: 0 }, label: 'Label reprint' });
        break;
      }
    }
  });

  // The stream: "queue" when the queue changed, "machine" with the machine's readings.
  let es = null;
  let quiet = null;
  function heard() {
    clearTimeout(quiet);
    // The server says something at least every 15 seconds.
    quiet = setTimeout(() => { setConn('lost'); reconnect(); }, 20000);
  }
  function reconnect() {
    if (es) es.close();
    es = null;
    setTimeout(connect, 1000);
  }
  function connect() {
    if (es) return;
    // A page that says the plan is being made is told when it is, even if it came just before.
    const planning = document.getElementById('planning') ? '?planning=1' : '';
    es = new EventSource('/tablet/' + encodeURIComponent(cell) + '/events' + planning);
    es.onopen = () => { setConn('live'); heard(); refresh(); send(); };
    es.onerror = () => {
      setConn('lost');
      if (es.readyState === EventSource.CLOSED) {
        // The server refused the stream (signed out?): the live fetch finds out.
        refresh();
        reconnect();
      }
    };
    es.addEventListener('queue', () => { heard(); refresh(); });
    es.addEventListener('machine', (e) => { heard(); try { machine(JSON.parse(e.data)); } catch (x) { /* ignore */ } });
    es.addEventListener('message', heard);
  }

  window.addEventListener('offline', () => setConn('lost'));
  window.addEventListener('online', () => { reconnect(); send(); });
  save();
  connect();
  if (pending.length > 0) send();
})();
