// Progress of a spreadsheet upload (patrimonio/caricamenti/dettaglio.html): polls stato.json while
// the file is read, then reloads the page. A static file, so the CSP needs no inline script.
(function () {
  "use strict";
  var box = document.getElementById("caricamento");
  var barra = document.getElementById("avanzamento");
  var testo = document.getElementById("percentuale");
  if (!box || !barra || !testo) { return; }
  function controlla() {
    fetch(box.dataset.statoUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (!s.in_corso) { window.location.reload(); return; }
        barra.value = s.progresso; testo.textContent = s.progresso + "%";
        setTimeout(controlla, 1000);
      })
      .catch(function () { setTimeout(controlla, 5000); });
  }
  setTimeout(controlla, 1000);
})();
