// A page that shows a customer's link, once, answers a post: it takes the repair page's own
// address, so that a reload reads the page again rather than posting once more.
const shown = document.querySelector('[data-page]');
if (shown) history.replaceState(null, '', shown.dataset.page);

// A button with data-copy copies the value of the field it names (a repair's customer link).
document.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-copy]');
  if (!b) return;
  const field = document.getElementById(b.dataset.copy);
  if (!field) return;
  field.select();
  const done = () => { b.textContent = 'Copied'; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => { document.execCommand('copy'); done(); });
  } else {
    document.execCommand('copy');
    done();
  }
});

// A form of the repair pages is sent once: a second tap while the first is on its way does
// nothing (the book would refuse it anyway, and say so instead of the first answer).
document.addEventListener('submit', (e) => {
  const form = e.target.closest('form[data-once]');
  if (!form) return;
  if (form.dataset.sent) { e.preventDefault(); return; }
  form.dataset.sent = '1';
  for (const b of form.querySelectorAll('button[type=submit]')) b.setAttribute('aria-disabled', 'true');
});
