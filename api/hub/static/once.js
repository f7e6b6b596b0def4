// Sends each form of the page that changes something (method post) once: a second tap on its
// button while the answer to the first is on its way is ignored, for the answer shown is the
// last request's, and a repeated "mark gone" would answer that nothing was put back. The
// button says it is busy meanwhile. A form whose answer has not come within 15 s may be sent
// again, and so may a page brought back from the history by the back button.
(function () {
  "use strict";
  function offer(form) {
    form.removeAttribute("data-sent");
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.removeAttribute("aria-busy"); });
  }
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || form.method !== "post") { return; }
    if (form.hasAttribute("data-sent")) {
      ev.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "");
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.setAttribute("aria-busy", "true"); });
    window.setTimeout(function () { offer(form); }, 15000);
  });
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted) { Array.prototype.forEach.call(document.querySelectorAll("form[data-sent]"), offer); }
  });
}());
