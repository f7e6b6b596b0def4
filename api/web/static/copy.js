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
