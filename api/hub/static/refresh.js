// Refreshes the page's live regions (the elements with data-refresh, each with an id) every few
// seconds without reloading the page: the same address is fetched once and each region put in
// place of ours of the same id. Forms sit between or outside the regions, so that nothing typed
// is lost.
(function () {
  "use strict";
  var regions = Array.prototype.filter.call(document.querySelectorAll("[data-refresh]"), function (el) { return el.id; });
  if (!regions.length || !window.fetch || !window.DOMParser) { return; }
  var every = parseInt(regions[0].getAttribute("data-refresh"), 10) || 5000;
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
        var doc = new DOMParser().parseFromString(text, "text/html");
        var fresh = regions.map(function (live) {
          var f = doc.getElementById(live.id);
          if (!f) { throw new Error("no live region " + live.id); }
          return f;
        });
        regions.forEach(function (live, i) {
          live.replaceChildren.apply(live, Array.prototype.map.call(fresh[i].childNodes, function (n) {
            return document.importNode(n, true);
          }));
        });
        say("updated " + new Date().toLocaleTimeString(), false);
      })
      .catch(function (err) { say("not updated: " + err.message, true); });
  }
  window.setInterval(refresh, every);
}());
