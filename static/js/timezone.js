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
  // Zone names are plain (Region/City): written as they are, read back as they are.
  if (!zone || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) {
    return;
  }
  if (document.cookie.split("; ").indexOf("tz=" + zone) >= 0) {
    return;
  }
  document.cookie = "tz=" + zone + "; path=/; max-age=34560000; samesite=lax";
})();
