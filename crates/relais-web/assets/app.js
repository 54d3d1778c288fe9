// Relais works without this file. With it, times show in the reader's own time zone and
// language instead of UTC.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "fr";
  var long = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  document.querySelectorAll("time[data-local]").forEach(function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) { t.textContent = long.format(d); }
  });
  // A datetime-local input left empty by the server is filled with the reader's now.
  document.querySelectorAll("input[data-now]").forEach(function (i) {
    if (i.value) { return; }
    var d = new Date();
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    i.value = d.toISOString().slice(0, 16);
  });
  // The zone offset lets the server read a datetime-local value as the reader meant it.
  document.querySelectorAll("input[name=tz_offset]").forEach(function (i) {
    i.value = String(new Date().getTimezoneOffset());
  });
})();
