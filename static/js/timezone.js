// Tell the server the browser's time zone once (a cookie), so times read as local ones;
// without JavaScript the account's setting or the language's default applies.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || document.cookie.split("; ").indexOf("tz=" + encodeURIComponent(zone)) >= 0) {
    return;
  }
  document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=34560000; samesite=lax";
})();
