// Pages other than the tablet queue: the PIN pad and the dashboard's live refresh.
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
    es.addEventListener('machine', refresh);
  }
})();
