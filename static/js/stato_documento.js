// Progress of a PDF of the plan (piano_annuale/documento/stato.html): polls stato.json until the
// document is ready or failed, then reloads the page. A static file, so the CSP needs no inline script.
(function () {
  "use strict";
  var box = document.getElementById("documento");
  var barra = document.getElementById("avanzamento");
  var testo = document.getElementById("percentuale");
  if (!box || !barra || !testo) { return; }
  function mostra(progresso) {
    // Through the CSSOM: a style="" attribute would be refused by the Content-Security-Policy.
    barra.style.width = progresso + "%";
    barra.setAttribute("aria-valuenow", progresso);
    testo.textContent = progresso + "%";
  }
  function controlla() {
    fetch(box.dataset.statoUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.stato === "pronto" || s.stato === "errore") { window.location.reload(); return; }
        mostra(s.progresso);
        setTimeout(controlla, 1500);
      })
      .catch(function () { setTimeout(controlla, 5000); });
  }
  mostra(barra.getAttribute("aria-valuenow") || "0");
  setTimeout(controlla, 1000);
})();
