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
