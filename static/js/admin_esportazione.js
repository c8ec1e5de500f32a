// The admin's export page: «Select all» bound here rather than by an inline onchange attribute, which
// the Content-Security-Policy refuses. onSelectToggleChange comes from django-import-export's
// export_selectable_fields.js, loaded before this file by the form's media.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("input.select-toggle").forEach(function (casella) {
    casella.addEventListener("change", function (evento) {
      if (typeof window.onSelectToggleChange === "function") { window.onSelectToggleChange(evento); }
    });
  });
});
