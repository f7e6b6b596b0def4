// The shop tablet: live queue, actions that survive a lost connection.
//
// Every action is kept (in localStorage) with its own Idempotency-Key until the server has
// answered it, and is sent again with the same key after a lost connection, so it is applied
// once however many times it is sent. An answer that the server cannot take it just now (503:
// its database is away; 502 or 504 from a proxy before it; 429) is a lost connection too: the
// action is kept and sent again when the answer's Retry-After says, never dropped. A start carries the version of the job the page showed:
// the server refuses it if the job changed since, so a stale page never starts a finished job.
//
// One tap is one action: from a tap until the server has answered it and the page shows what
// it changed (offline, until it is sent), the action buttons are held, and a dialog's buttons
// wait a moment after it opens, so that a double tap, or a second tap landing where a dialog
// just closed, does nothing more.
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

  // What the script says, in one place, in the page's language: the page carries the
  // translations of every message below (the templates hold the rest of the page's text).
  let messages = {};
  try { messages = JSON.parse(live.dataset.messages || '{}'); } catch (e) { messages = {}; }
  // t returns a message translated, each %s or %d in it replaced by the next of args.
  function t(id, ...args) {
    let i = 0;
    return (messages[id] || id).replace(/%[sd]/g, () => String(args[i++]));
  }
  const text = {
    conn: { live: t('Live'), connecting: t('Connecting…'), lost: t('Connection lost — reconnecting') },
    start: (sku) => t('Start %s', sku),
    pause: (sku) => t('Pause %s', sku),
    resume: (sku) => t('Resume %s', sku),
    complete: (sku) => t('Complete %s', sku),
    completeShort: (sku, good, short) => t('Complete %s (%d good, %d scrapped)', sku, good, short),
    scrap: (sku, n) => t('Scrap %d of %s', n, sku),
    fault: (reason) => t('Fault report (%s)', reason),
    label: t('Label reprint'),
    clear: (note) => t('Clear fault (%s)', note),
    note: (sku) => t('Note on %s', sku),
    diagnose: (repair) => t('Estimate of %s', repair),
    photoDone: t('Photo added.'),
    photoRefused: (why) => t('Photo refused: %s', why),
    photoLost: t('The photo was not sent: the connection was lost. Try again.'),
    lots: (sku) => t('Lots of %s', sku),
    stopReason: (label) => t('Reason of the stop (%s)', label),
    decision: (label) => t('Decision on the failed check (%s)', label),
    lotOf: (material) => t('Lot of %s', material),
    sending: (what) => t('%s: sending…', what),
    done: (what) => t('%s: done.', what),
    refused: (what, why) => t('%s: refused. %s', what, why),
    kept: (what, s) => t('%s: kept. The server cannot store it just now; it is sent again in %d s.', what, s),
    waitingOne: (what) => t('1 action waiting for the connection: %s. The buttons come back once it is sent.', what),
    waitingMany: (n) => t('%d actions waiting for the connection. The buttons come back once they are sent.', n),
    // A duration as the page says it: "45 min", "1 h 5 min", "40 s".
    hours: (h, m) => t('%d h %d min', h, m),
    minutes: (m) => t('%d min', m),
    seconds: (s) => t('%d s', s),
  };
  // GUARD is how long, in ms, a tap holds the buttons at least, and a dialog's buttons wait
  // after it opens; NOTICE how long a message that an action was done stays.
  const GUARD = 400;
  const NOTICE = 5000;

  let pending = [];
  try { pending = JSON.parse(localStorage.getItem(storeKey) || '[]'); } catch (e) { pending = []; }

  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* private mode: memory only */ }
    pendingEl.hidden = pending.length === 0;
    pendingEl.textContent = pending.length === 0 ? '' : pending.length === 1 ? text.waitingOne(pending[0].label) : text.waitingMany(pending.length);
    hold();
  }

  function setConn(state) {
    if (conn.dataset.state === state) return;
    conn.dataset.state = state;
    conn.textContent = text.conn[state];
  }

  // say shows a message: kind 'ok' goes after NOTICE ms, 'bad' (a refusal) stays until the
  // next action or a tap on it, 'busy' until the next message.
  let noticeTimer = null;
  function say(message, kind) {
    clearTimeout(noticeTimer);
    notice.textContent = message;
    notice.classList.toggle('bad', kind === 'bad');
    if (kind === 'ok') noticeTimer = setTimeout(() => say('', 'none'), NOTICE);
  }
  notice.addEventListener('click', () => { if (notice.classList.contains('bad')) say('', 'none'); });

  // The hold: the action buttons are held while an action is waiting or under way, until the
  // page shows what the last answer changed (awaiting), and until guardUntil.
  let guardUntil = 0;
  let guardTimer = null;
  let awaiting = false;
  let answers = 0;
  function guard() {
    guardUntil = Date.now() + GUARD;
    clearTimeout(guardTimer);
    guardTimer = setTimeout(hold, GUARD + 20);
    hold();
  }
  // hold disables the action buttons the page offers while the hold lasts (marking them
  // data-held), and gives them back once it is over.
  function hold() {
    const on = pending.length > 0 || awaiting || Date.now() < guardUntil;
    const actions = live.querySelector('#actions');
    if (!actions) return;
    actions.setAttribute('aria-busy', String(on));
    live.querySelectorAll('#actions button[data-action], #stop-ask button[data-action], #ncs button[data-action]').forEach((b) => {
      if (on && !b.disabled) {
        b.disabled = true;
        b.setAttribute('data-held', '');
      } else if (!on && b.hasAttribute('data-held')) {
        b.disabled = false;
        b.removeAttribute('data-held');
      }
    });
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
    const seen = answers;
    try {
      const r = await fetch('/tablet/' + encodeURIComponent(cell) + '/live', { headers, cache: 'no-store' });
      if (r.status === 401) { location.reload(); return; }
      if (r.ok) {
        swap(await r.text());
        // The page shows what every answer so far changed.
        if (seen === answers) awaiting = false;
        hold();
      } else if (awaiting) {
        // The buttons wait for the page to show an answer: try again.
        setTimeout(refresh, 2000);
      }
    } catch (e) {
      setConn('lost');
      if (awaiting) setTimeout(refresh, 2000);
    } finally {
      fetching = false;
      if (again) { again = false; refresh(); }
    }
  }

  function swap(html) {
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('#live [data-action]');
    const action = focused && focused.dataset.action;
    live.innerHTML = html;
    armIdle();
    askLater();
    if (action) {
      const b = live.querySelector('[data-action="' + action + '"]');
      if (b && !b.disabled) b.focus();
    }
  }

  // minutes says a number of seconds as the page does: "45 min", "1 h 5 min", "40 s".
  function minutes(s) {
    const n = Math.max(0, Math.round(s));
    if (n >= 3600) return text.hours(Math.floor(n / 3600), Math.floor((n % 3600) / 60));
    if (n >= 60) return text.minutes(Math.floor(n / 60));
    return text.seconds(n);
  }

  function machine(m) {
    const set = (id, v) => { const el = document.getElementById(id); if (el && v !== undefined && v !== null) el.textContent = v; };
    set('machine-state', m.state);
    if (typeof m.temperature === 'number') set('temperature', m.temperature.toFixed(1));
    // The set point and the hold belong to the job the machine runs: the page shows them only
    // with that job.
    const job = live.querySelector('#current article.job');
    if (!job || Number(job.dataset.op) !== m.operation) return;
    if (typeof m.setpoint === 'number') set('setpoint', m.setpoint.toFixed(1));
    if (typeof m.hold_left === 'number') set('hold-left', minutes(m.hold_left));
  }

  // A shared tablet signs its person out after the factory's idle time: the server ends the
  // session, and when the time the page was told has passed the page asks for its live part,
  // which a signed-out page is refused, and shows the PIN pad (refresh reloads it).
  let idleTimer = null;
  function armIdle() {
    clearTimeout(idleTimer);
    const cur = live.querySelector('#current');
    const left = cur && Number(cur.dataset.idleLeft);
    if (left > 0) idleTimer = setTimeout(refresh, Math.min(left + 250, 2147483647));
  }

  // clearFault asks what was done about the fault (picked or typed) and resets the cell with
  // that note. It is sent once, now: a reset is not something to send again later by itself.
  function clearFault() {
    const d = document.getElementById('dialog-clear');
    const input = document.getElementById('clear-note');
    const ok = d.querySelector('[data-confirm]');
    const picks = d.querySelectorAll('[data-note]');
    input.value = '';
    picks.forEach((b) => b.setAttribute('aria-checked', 'false'));
    const check = () => { ok.disabled = input.value.trim() === ''; };
    input.oninput = () => { picks.forEach((b) => b.setAttribute('aria-checked', String(b.dataset.note === input.value))); check(); };
    check();
    d.onclick = (e) => {
      const b = e.target.closest('button');
      if (!b) return;
      if (b.hasAttribute('data-cancel')) { d.close(); return; }
      if (b.dataset.note) {
        input.value = b.dataset.note;
        picks.forEach((x) => x.setAttribute('aria-checked', String(x === b)));
        check();
        return;
      }
      if (!b.hasAttribute('data-confirm') || ok.disabled) return;
      const note = input.value.trim();
      d.close();
      // Kept and sent like any action: again after a lost connection, once however often.
      enqueue({ url: '/api/v1/cells/' + encodeURIComponent(cell) + '/reset', body: { note }, label: text.clear(note) });
    };
    openDialog(d, check);
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
            method: it.method || 'POST',
            headers: Object.assign({ 'Content-Type': 'application/json', 'Idempotency-Key': it.key }, headers),
            body: JSON.stringify(it.body),
          });
        } catch (e) {
          setConn('lost');
          later();
          return;
        }
        if (r.status === 502 || r.status === 503 || r.status === 504 || r.status === 429) {
          const wait = retryAfter(r);
          say(text.kept(it.label, Math.round(wait / 1000)), 'busy');
          later(wait);
          return;
        }
        if (r.status >= 500) { later(); return; }
        if (r.status === 401) { location.reload(); return; }
        answers++;
        awaiting = true;
        pending.shift();
        save();
        backoff = 1000;
        if (r.ok) {
          say(text.done(it.label), 'ok');
        } else {
          let msg = r.statusText;
          try { msg = (await r.json()).error.message; } catch (e) { /* not JSON */ }
          say(text.refused(it.label, msg), 'bad');
        }
        refresh();
      }
    } finally {
      sending = false;
    }
  }

  // later sends the waiting actions again after wait ms when given, else after the backoff,
  // which doubles up to 10 s.
  function later(wait) {
    if (retry) return;
    retry = setTimeout(() => { retry = null; send(); }, wait || backoff);
    if (!wait) backoff = Math.min(backoff * 2, 10000);
  }

  // retryAfter is how long, in ms, an answer asks to wait before the action is sent again: its
  // Retry-After in seconds (1 to 60), else the backoff.
  function retryAfter(r) {
    const s = Number(r.headers.get('Retry-After'));
    if (Number.isFinite(s) && s >= 1) return Math.min(s, 60) * 1000;
    const b = backoff;
    backoff = Math.min(backoff * 2, 10000);
    return b;
  }

  function enqueue(it) {
    it.key = it.key || key();
    guard();
    pending.push(it);
    save();
    say(text.sending(it.label), 'busy');
    send();
  }

  // The question about a stop: "Later" hides it until a live update brings a stop newer than
  // the one it asked about (stop ids grow with time), when every stop still without a reason is
  // asked about again; answering one, here or on another tablet, brings the next, if any.
  const laterKey = 'cellforge.later.' + cell;
  let laterThan = 0;
  try { laterThan = Number(sessionStorage.getItem(laterKey) || 0); } catch (e) { laterThan = 0; }
  function askLater() {
    const ask = live.querySelector('#stop-ask');
    if (!ask) return;
    if (Number(ask.dataset.stop) > laterThan && laterThan !== 0) {
      // A new stop: every stop still without a reason is asked about again.
      laterThan = 0;
      try { sessionStorage.removeItem(laterKey); } catch (e) { /* private mode: memory only */ }
    }
    ask.hidden = Number(ask.dataset.stop) <= laterThan;
  }
  function askAgainLater(ask) {
    laterThan = Math.max(laterThan, Number(ask.dataset.stop));
    try { sessionStorage.setItem(laterKey, String(laterThan)); } catch (e) { /* private mode: memory only */ }
    guard();
    askLater();
  }

  function current() {
    const a = live.querySelector('#current article.job');
    if (!a) return null;
    return {
      op: a.dataset.op, version: Number(a.dataset.version), state: a.dataset.state,
      left: Number(a.dataset.left), quantity: Number(a.dataset.quantity), sku: a.querySelector('.sku .code').textContent,
    };
  }

  // materials returns the materials of the current job's step with the lots given so far
  // ('' for one missing), as the page shows them.
  function materials() {
    return Array.from(live.querySelectorAll('#current .lots [data-material]'), (el) => {
      const lot = el.querySelector('[data-lot]');
      return { material: el.dataset.material, lot: lot ? lot.textContent : '' };
    });
  }

  // lotsDialog asks for the lot of each material of the job's step, one text box each, the
  // first empty one focused: a barcode scanner types a lot and Enter, which goes on to the
  // next box, and from the last sends the form. mode 'start' starts the job with its lots;
  // 'record' records them on the job under way. The server checks what a lot id may hold, and
  // its refusal shows like any other.
  function lotsDialog(job, mode) {
    const d = document.getElementById('dialog-lots');
    const form = document.getElementById('lots-form');
    const fields = document.getElementById('lots-fields');
    const ok = d.querySelector('[data-confirm]');
    ok.textContent = mode === 'start' ? ok.dataset.startLabel : ok.dataset.recordLabel;
    fill(d, { sku: job.sku });
    fields.replaceChildren();
    const inputs = materials().map((m, i) => {
      const id = 'lot-' + i;
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = text.lotOf(m.material);
      const input = document.createElement('input');
      Object.assign(input, { id, type: 'text', required: true, autocomplete: 'off', spellcheck: false, value: mode === 'start' ? '' : m.lot });
      input.name = m.material;
      input.setAttribute('autocapitalize', 'characters');
      fields.append(label, input);
      return input;
    });
    inputs.forEach((input, i) => {
      input.onkeydown = (e) => {
        if (e.key !== 'Enter' || i === inputs.length - 1) return;
        // Enter after a lot goes on to the next box, as a scanner's Enter should.
        e.preventDefault();
        inputs[i + 1].focus();
      };
    });
    form.onsubmit = (e) => {
      e.preventDefault();
      if (!d.open || ok.disabled || !form.reportValidity()) return;
      const lots = {};
      inputs.forEach((input) => { lots[input.name] = input.value; });
      d.close();
      if (mode === 'start') opAction(job, 'start', { version: job.version, lots }, text.start(job.sku));
      else enqueue({ url: '/api/v1/operations/' + job.op + '/lots', body: { lots }, label: text.lots(job.sku) });
    };
    d.onclick = (e) => {
      const b = e.target.closest('button');
      if (b && b.hasAttribute('data-cancel')) d.close();
    };
    openDialog(d, () => {
      const first = inputs.find((input) => input.value === '') || inputs[0];
      if (first) first.focus();
    });
  }

  function opAction(job, action, body, label) {
    enqueue({ url: '/api/v1/operations/' + job.op + '/' + action, body, label });
  }

  // openDialog shows dialog d with its buttons held for GUARD ms, so that the tap that opened
  // it, doubled, chooses nothing in it; then ready (if any) sets what depends on the choices.
  // Opening and closing a dialog hold the page's buttons too (guard).
  let opened = 0;
  function openDialog(d, ready) {
    const mine = ++opened;
    guard();
    const buttons = d.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    d.showModal();
    // The dialog takes the focus itself, not its number box (its buttons are held): on a
    // tablet that would bring up the on-screen keyboard over the dialog.
    d.focus();
    setTimeout(() => {
      if (mine !== opened || !d.open) return;
      buttons.forEach((b) => { b.disabled = false; });
      if (ready) ready();
    }, GUARD);
  }
  document.querySelectorAll('dialog').forEach((d) => {
    d.addEventListener('close', guard);
    d.tabIndex = -1;
  });

  // fill sets the text of root's [data-fill=NAME] elements from values.
  function fill(root, values) {
    root.querySelectorAll('[data-fill]').forEach((el) => {
      const v = values[el.dataset.fill];
      if (v !== undefined) el.textContent = String(v);
    });
  }

  // choose opens a dialog of reasons and calls done with the one tapped.
  function choose(id, done) {
    const d = document.getElementById(id);
    d.onclick = (e) => {
      const b = e.target.closest('button');
      if (!b || !d.open) return;
      if (b.hasAttribute('data-cancel')) { d.close(); return; }
      if (b.dataset.reason) { d.close(); done(b.dataset.reason, b.textContent); }
    };
    openDialog(d);
  }

  // stepperDialog answers the taps in a dialog of a number (qty, 1 to max, with - and +
  // buttons) and reasons: a reason tapped is chosen (reasonChosen) and marked, check runs after
  // every change, and the confirm button, once check enables it, closes the dialog and calls
  // confirm.
  function stepperDialog(d, qty, max, reasonChosen, check, confirm) {
    const ok = d.querySelector('[data-confirm]');
    qty.oninput = check;
    d.onclick = (e) => {
      const b = e.target.closest('button');
      if (!b || !d.open) return;
      if (b.hasAttribute('data-cancel')) { d.close(); return; }
      if (b.dataset.step) { qty.value = String(Math.min(max, Math.max(1, Number(qty.value || 0) + Number(b.dataset.step)))); check(); return; }
      if (b.dataset.reason) {
        reasonChosen(b.dataset.reason);
        d.querySelectorAll('[data-reason]').forEach((x) => x.setAttribute('aria-checked', String(x === b)));
        check();
        return;
      }
      if (b.hasAttribute('data-confirm') && !ok.disabled) {
        d.close();
        confirm();
      }
    };
  }

  function scrap(job) {
    const d = document.getElementById('dialog-scrap');
    const qty = document.getElementById('scrap-qty');
    const ok = d.querySelector('[data-confirm]');
    let reason = '';
    // One unit, not every unit left: scrapping a whole job takes a choice of its own.
    qty.max = String(Math.max(1, job.left));
    qty.value = '1';
    fill(d, { left: Math.max(1, job.left) });
    d.querySelectorAll('[data-reason]').forEach((b) => b.setAttribute('aria-checked', 'false'));
    const check = () => {
      const n = Number(qty.value);
      ok.disabled = !reason || !Number.isInteger(n) || n < 1 || n > Math.max(1, job.left);
    };
    stepperDialog(d, qty, Math.max(1, job.left), (code) => { reason = code; }, check, () => {
      opAction(job, 'scrap', { reason, quantity: Number(qty.value) }, text.scrap(job.sku, qty.value));
    });
    openDialog(d, check);
  }

  // complete asks for the good units made, prefilled with the units the machine reports done
  // at a cell with a machine (every unit open at a cell worked by hand), and, when fewer than
  // the units open, for the reason the rest are short: they are scrapped with the completion.
  //
  // A step with a quality checklist asks it first (checksDialog): the answers go with the
  // completion.
  function complete(job, checks) {
    const d = document.getElementById('dialog-complete');
    const qty = document.getElementById('complete-qty');
    const shortBox = document.getElementById('complete-short');
    const ok = d.querySelector('[data-confirm]');
    const a = live.querySelector('#actions');
    const open = Number(a.dataset.open);
    const counts = a.dataset.counts === 'true';
    let reason = '';
    qty.max = String(open);
    qty.value = a.dataset.good;
    fill(d, { sku: job.sku, open, counted: a.dataset.good });
    document.getElementById('complete-counted').hidden = !counts;
    d.querySelectorAll('[data-reason]').forEach((b) => b.setAttribute('aria-checked', 'false'));
    const check = () => {
      const n = Number(qty.value);
      const valid = Number.isInteger(n) && n >= 1 && n <= open;
      const short = valid ? open - n : 0;
      shortBox.hidden = short === 0;
      fill(shortBox, { short });
      document.getElementById('complete-none').hidden = valid;
      ok.disabled = !valid || (short > 0 && !reason);
    };
    check();
    stepperDialog(d, qty, open, (code) => { reason = code; }, check, () => {
      const n = Number(qty.value);
      const body = n < open ? { quantity: n, reason } : { quantity: n };
      if (checks) body.checks = checks;
      opAction(job, 'complete', body, n < open ? text.completeShort(job.sku, n, open - n) : text.complete(job.sku));
    });
    openDialog(d, check);
  }

  // checkItems returns the quality checklist of the current job's step as the page shows it.
  function checkItems() {
    return Array.from(live.querySelectorAll('#current .checks [data-check]'), (el) => ({
      name: el.dataset.check, measure: el.dataset.unit !== undefined, unit: el.dataset.unit,
      min: Number(el.dataset.min), max: Number(el.dataset.max), limits: el.dataset.limits,
    }));
  }

  // checksDialog asks the checklist of the job's step: two big buttons, pass and fail, for an
  // item that passes or fails, a number box for a measurement with its unit and limits. A value
  // out of its limits is allowed (a failed check, decided on afterwards); what is not a number
  // is refused here, before anything is sent. done gets the answers as the API takes them.
  function checksDialog(job, done) {
    const d = document.getElementById('dialog-checks');
    const box = document.getElementById('checks-fields');
    const ok = d.querySelector('[data-confirm]');
    const items = checkItems();
    const answers = items.map(() => null);
    fill(d, { sku: job.sku });
    box.replaceChildren(...items.map((it, i) => {
      const row = document.createElement('div');
      row.className = 'check-item' + (it.measure ? ' measure' : '');
      row.dataset.check = it.name;
      const id = 'check-' + i;
      const label = document.createElement(it.measure ? 'label' : 'span');
      label.textContent = it.measure ? `${it.name} (${it.unit}) ${it.limits}` : it.name;
      row.append(label);
      if (it.measure) {
        label.htmlFor = id;
        const input = document.createElement('input');
        Object.assign(input, { id, type: 'text', autocomplete: 'off', spellcheck: false });
        input.setAttribute('inputmode', 'decimal');
        const bad = document.createElement('p');
        bad.className = 'bad';
        bad.hidden = true;
        bad.textContent = box.dataset.notNumber;
        input.oninput = () => {
          const v = input.value.trim().replace(',', '.');
          const x = v === '' || !/^[-+]?(\d+\.?\d*|\.\d+)$/.test(v) ? NaN : Number(v);
          answers[i] = Number.isFinite(x) ? { name: it.name, value: x } : null;
          bad.hidden = v === '' || answers[i] !== null;
          check();
        };
        row.append(input, bad);
      } else {
        for (const pass of [true, false]) {
          const b = document.createElement('button');
          b.type = 'button';
          b.dataset.pass = String(pass);
          b.setAttribute('aria-pressed', 'false');
          b.textContent = pass ? box.dataset.pass : box.dataset.fail;
          row.append(b);
        }
      }
      return row;
    }));
    const check = () => { ok.disabled = answers.some((a) => a === null); };
    d.onclick = (e) => {
      const b = e.target.closest('button');
      if (!b || !d.open) return;
      if (b.hasAttribute('data-cancel')) { d.close(); return; }
      if (b.dataset.pass) {
        const row = b.closest('.check-item');
        const i = items.findIndex((it) => it.name === row.dataset.check);
        answers[i] = { name: items[i].name, pass: b.dataset.pass === 'true' };
        row.querySelectorAll('button[data-pass]').forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
        check();
        return;
      }
      if (!b.hasAttribute('data-confirm') || ok.disabled) return;
      d.close();
      // The complete dialog opens once this one has closed, its buttons held a moment.
      setTimeout(() => done(answers.slice()), 0);
    };
    openDialog(d, check);
  }

  // accept asks a manager why the units of a failed check are accepted as they are, and sends
  // the decision with that note.
  function accept(id, label) {
    const d = document.getElementById('dialog-accept');
    const input = document.getElementById('accept-note');
    const ok = d.querySelector('[data-confirm]');
    input.value = '';
    const check = () => { ok.disabled = input.value.trim() === ''; };
    input.oninput = check;
    d.onclick = (e) => {
      const b = e.target.closest('button');
      if (!b || !d.open) return;
      if (b.hasAttribute('data-cancel')) { d.close(); return; }
      if (!b.hasAttribute('data-confirm') || ok.disabled) return;
      const note = input.value.trim();
      d.close();
      enqueue({ url: '/api/v1/nonconformances/' + encodeURIComponent(id) + '/decision', body: { decision: 'accept', note }, label: text.decision(label) });
    };
    openDialog(d, check);
  }

  // note asks for a maker's note (its text, the unit it is about, whether it is private) and
  // sends it as an action: kept, and sent again after a lost connection, once however often.
  function note(job) {
    const d = document.getElementById('dialog-note');
    const input = document.getElementById('note-text');
    const unit = document.getElementById('note-unit');
    const priv = document.getElementById('note-private');
    const ok = d.querySelector('[data-confirm]');
    input.value = '';
    unit.value = '0';
    unit.max = String(job.quantity);
    priv.checked = false;
    fill(d, { sku: job.sku });
    const check = () => {
      const n = Number(unit.value);
      ok.disabled = input.value.trim() === '' || !Number.isInteger(n) || n < 0 || n > job.quantity;
    };
    input.oninput = check;
    unit.oninput = check;
    d.onclick = (e) => {
      const b = e.target.closest('button');
      if (!b || !d.open) return;
      if (b.hasAttribute('data-cancel')) { d.close(); return; }
      if (!b.hasAttribute('data-confirm') || ok.disabled) return;
      const body = { text: input.value, unit: Number(unit.value), private: priv.checked };
      d.close();
      opAction(job, 'notes', body, text.note(job.sku));
    };
    openDialog(d, check);
  }

  // diagnoseCheck is the open Diagnose dialog's check, run when an estimate arrives.
  let diagnoseCheck = null;
  document.getElementById('diagnose-estimate').addEventListener('htmx:afterSwap', () => { if (diagnoseCheck) diagnoseCheck(); });

  // diagnose asks for the findings of the repair in hand and the services it needs, in the
  // order tapped (shown numbered; a second tap takes one out), shows the estimate they make
  // (fetched by htmx as they change, the last asked replacing any under way), and sends the
  // diagnosis as an action with one Idempotency-Key for the dialog: however often it is sent,
  // the repair is estimated once.
  function diagnose(job) {
    const rep = live.querySelector('#current #repair');
    if (!rep) return;
    const d = document.getElementById('dialog-diagnose');
    const findings = document.getElementById('diagnose-findings');
    const box = document.getElementById('diagnose-services');
    const est = document.getElementById('diagnose-estimate');
    const ok = d.querySelector('[data-confirm]');
    const id = rep.dataset.repair;
    const dialogKey = key();
    let chosen = [];
    findings.value = '';
    est.replaceChildren();
    fill(d, { repair: id });
    box.replaceChildren(...Array.from(rep.querySelectorAll('.repair-services [data-service]'), (li) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.service = li.dataset.service;
      b.setAttribute('aria-pressed', 'false');
      const n = document.createElement('span');
      n.className = 'order';
      b.append(n, document.createTextNode(li.textContent));
      return b;
    }));
    const check = () => {
      const ready = est.querySelector('.estimate[data-ready="true"]') !== null;
      ok.disabled = findings.value.trim() === '' || chosen.length === 0 || !ready;
    };
    const estimate = () => {
      est.replaceChildren();
      check();
      const url = d.dataset.estimate + '?repair=' + encodeURIComponent(id) + '&services=' + chosen.map(encodeURIComponent).join(',');
      htmx.ajax('GET', url, { source: est, target: est, swap: 'innerHTML' });
    };
    diagnoseCheck = check;
    findings.oninput = check;
    d.onclick = (e) => {
      const b = e.target.closest('button');
      if (!b || !d.open) return;
      if (b.hasAttribute('data-cancel')) { d.close(); return; }
      if (b.dataset.service) {
        const i = chosen.indexOf(b.dataset.service);
        if (i >= 0) chosen.splice(i, 1);
        else chosen.push(b.dataset.service);
        box.querySelectorAll('button[data-service]').forEach((x) => {
          const at = chosen.indexOf(x.dataset.service);
          x.setAttribute('aria-pressed', String(at >= 0));
          x.querySelector('.order').textContent = at >= 0 ? String(at + 1) : '';
        });
        estimate();
        return;
      }
      if (!b.hasAttribute('data-confirm') || ok.disabled) return;
      d.close();
      enqueue({
        url: '/api/v1/repairs/' + encodeURIComponent(id) + '/diagnosis',
        body: { operation: Number(job.op), findings: findings.value, services: chosen.slice() },
        label: text.diagnose(id), key: dialogKey,
      });
    };
    openDialog(d, check);
  }

  // photo asks for a photo (the tablet's camera, or a file), its caption, unit and whether it
  // is private, and uploads it with its progress shown. A photo is too big to keep for later:
  // it is sent now, its button held while it is, each attempt with a key of its own; a
  // refusal is shown in the dialog, which stays open for another try.
  function photo(job) {
    const d = document.getElementById('dialog-photo');
    const file = document.getElementById('photo-file');
    const caption = document.getElementById('photo-caption');
    const unit = document.getElementById('photo-unit');
    const priv = document.getElementById('photo-private');
    const bar = document.getElementById('photo-progress');
    const err = document.getElementById('photo-error');
    const ok = d.querySelector('[data-confirm]');
    let xhr = null;
    file.value = '';
    caption.value = '';
    unit.value = '0';
    unit.max = String(job.quantity);
    priv.checked = false;
    bar.hidden = true;
    err.hidden = true;
    fill(d, { sku: job.sku });
    const check = () => {
      const n = Number(unit.value);
      ok.disabled = xhr !== null || file.files.length === 0 || !Number.isInteger(n) || n < 0 || n > job.quantity;
    };
    file.onchange = () => { err.hidden = true; check(); };
    unit.oninput = check;
    const refused = (why) => {
      xhr = null;
      bar.hidden = true;
      err.textContent = text.photoRefused(why);
      err.hidden = false;
      check();
    };
    d.onclick = (e) => {
      const b = e.target.closest('button');
      if (!b || !d.open) return;
      if (b.hasAttribute('data-cancel')) {
        if (xhr) xhr.abort();
        d.close();
        return;
      }
      if (!b.hasAttribute('data-confirm') || ok.disabled) return;
      const form = new FormData();
      form.append('unit', unit.value);
      form.append('private', String(priv.checked));
      form.append('caption', caption.value);
      form.append('photo', file.files[0]);
      const x = new XMLHttpRequest();
      xhr = x;
      check();
      err.hidden = true;
      bar.value = 0;
      bar.hidden = false;
      x.open('POST', '/api/v1/operations/' + job.op + '/photos');
      x.setRequestHeader('X-CellForge-Request', '1');
      x.setRequestHeader('Idempotency-Key', key());
      x.upload.onprogress = (ev) => { if (ev.lengthComputable) bar.value = Math.round((100 * ev.loaded) / ev.total); };
      x.onload = () => {
        if (xhr !== x) return;
        if (x.status === 401) { location.reload(); return; }
        if (x.status >= 200 && x.status < 300) {
          xhr = null;
          d.close();
          say(text.photoDone, 'ok');
          refresh();
          return;
        }
        let msg = x.statusText;
        try { msg = JSON.parse(x.responseText).error.message; } catch (e2) { /* not JSON */ }
        refused(msg);
      };
      x.onerror = () => { if (xhr === x) refused(text.photoLost); };
      x.onabort = () => { if (xhr === x) xhr = null; };
      x.send(form);
    };
    openDialog(d, check);
  }

  live.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b || b.disabled || document.querySelector('dialog[open]')) return;
    const ask = b.closest('#stop-ask');
    if (ask) {
      // A stop's reason is the same however often it is given: kept and sent like any action.
      if (b.dataset.action === 'stop-reason') {
        enqueue({
          method: 'PUT', url: '/api/v1/stops/' + encodeURIComponent(ask.dataset.stop) + '/reason',
          body: { reason: b.dataset.reason }, label: text.stopReason(b.textContent.trim()),
        });
      } else if (b.dataset.action === 'later') askAgainLater(ask);
      return;
    }
    const job = current();
    const action = b.dataset.action;
    switch (action) {
      case 'start':
        // The version makes the server refuse a start from a page that is out of date. A step
        // that consumes materials asks for their lots first.
        if (job && materials().length > 0) lotsDialog(job, 'start');
        else if (job) opAction(job, 'start', { version: job.version }, text.start(job.sku));
        break;
      case 'lots':
        if (job) lotsDialog(job, 'record');
        break;
      case 'resume':
        if (job) opAction(job, 'resume', {}, text.resume(job.sku));
        break;
      case 'complete':
        if (job && checkItems().length > 0) checksDialog(job, (checks) => complete(job, checks));
        else if (job) complete(job);
        break;
      case 'diagnose':
        if (job) diagnose(job);
        break;
      case 'pause':
        if (job) choose('dialog-pause', (reason) => opAction(job, 'pause', { reason }, text.pause(job.sku)));
        break;
      case 'scrap':
        if (job) scrap(job);
        break;
      case 'fault':
        choose('dialog-fault', (code, label) => enqueue({
          url: '/api/v1/cells/' + encodeURIComponent(cell) + '/fault', body: { code }, label: text.fault(label.trim()),
        }));
        break;
      case 'clear':
        clearFault();
        break;
      case 'note':
        if (job) note(job);
        break;
      case 'nc':
        // One key per tap: a second tap, or the same decision sent again, decides once.
        enqueue({
          url: '/api/v1/nonconformances/' + encodeURIComponent(b.dataset.nc) + '/decision',
          body: { decision: b.dataset.decision, note: '' }, label: text.decision(b.textContent.trim()),
        });
        break;
      case 'nc-accept':
        accept(b.dataset.nc, b.textContent.trim().replace(/…$/, ''));
        break;
      case 'photo':
        if (job) photo(job);
        break;
      case 'label': {
        const op = Number(live.querySelector('#actions').dataset.labelOp);
        if (op) enqueue({ url: '/api/v1/cells/' + encodeURIComponent(cell) + '/labels', body: { operation: op, unit: 0 }, label: text.label });
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
  armIdle();
  askLater();
  connect();
  if (pending.length > 0) send();
})();
