// Stop the page stream from retrying forever when the session ended (401) or the job is
// gone (404); tell the reader instead. No inline handlers: the CSP forbids eval.
(function () {
  "use strict";
  var FATAL = [401, 404];
  function stopped(status) {
    var box = document.getElementById("live_notice");
    if (!box) return;
    box.hidden = false;
    box.textContent = status === 401 ? box.dataset.signedOut : box.dataset.gone;
  }
  document.addEventListener("htmx:sse:error", function (evt) {
    var d = evt.detail || {};
    if (d.connection && FATAL.indexOf(d.status) !== -1) {
      d.connection.config.reconnect = false;
      stopped(d.status);
    }
  });
  document.addEventListener("htmx:response:error", function (evt) {
    var ctx = evt.detail && evt.detail.ctx;
    if (!ctx || !ctx.sourceElement || ctx.sourceElement.id !== "live") return;
    if (FATAL.indexOf(ctx.response.status) !== -1) {
      ctx.swap = "none";
      stopped(ctx.response.status);
    }
  });
})();

// Durations (macros.html `clock`) count on between the server's renders: each element counts
// from when this page first saw it, by data-step a second (1 up, -1 down to 0:00).
(function () {
  "use strict";
  var since = new WeakMap();
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function format(s) {
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s % 60);
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.clock[data-seconds]").forEach(function (el) {
      if (!since.has(el)) since.set(el, now);
      var passed = Math.floor((now - since.get(el)) / 1000);
      var s = Number(el.dataset.seconds) + Number(el.dataset.step || 1) * passed;
      el.textContent = format(Math.max(0, s));
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", tick);
  else tick();
  setInterval(tick, 1000);
})();
