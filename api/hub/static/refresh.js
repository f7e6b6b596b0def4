// Refreshes the page's live region (#live) every few seconds without reloading the page: the
// same address is fetched and its #live put in place of ours. Forms sit outside the region, so
// that nothing typed is lost.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.fetch || !window.DOMParser) { return; }
  var every = parseInt(live.getAttribute("data-refresh"), 10) || 5000;
  var stamp = document.getElementById("refreshed");
  function say(text, stale) {
    if (!stamp) { return; }
    stamp.textContent = text;
    stamp.className = stale ? "refreshed stale" : "refreshed";
  }
  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (!r.ok || r.redirected) { throw new Error("status " + r.status); }
        return r.text();
      })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("live");
        if (!fresh) { throw new Error("no live region"); }
        live.replaceChildren.apply(live, Array.prototype.map.call(fresh.childNodes, function (n) {
          return document.importNode(n, true);
        }));
        say("updated " + new Date().toLocaleTimeString(), false);
      })
      .catch(function (err) { say("not updated: " + err.message, true); });
  }
  window.setInterval(refresh, every);
}());
