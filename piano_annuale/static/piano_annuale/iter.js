// The plan's workflow pages (piano_annuale/iter/*): a static file, so the Content-Security-Policy
// needs no inline script. Everything here only improves pages that work without it.
//  - A form marked data-in-corso: once submitted its buttons are disabled and say the step is running
//    (no second submission while a version is frozen or a PDF prepared).
//  - A version's PDF being rendered (#avanzamento-versione[data-stato-url]): polls the document's
//    stato.json and shows the progress; reloads when it is ready or failed.
//  - ALER's observations on the plan page ([data-sezione-ancora]): each block moves to the end of
//    the section it concerns.
//  - The approval form: «Tutti presenti» ticks every comune, and the count of the present comuni
//    against the quorum follows the ticks.
(function () {
  "use strict";
  // Included by several parts of one page (the workflow panel, the observations): run once.
  if (window.poaIterAvviato) { return; }
  window.poaIterAvviato = true;

  function inCorso(form) {
    form.addEventListener("submit", function () {
      var testo = form.dataset.inCorso;
      var pulsanti = Array.prototype.slice.call(form.querySelectorAll("button[type=submit], button:not([type])"));
      if (form.id) {
        pulsanti = pulsanti.concat(Array.prototype.slice.call(document.querySelectorAll('button[form="' + form.id + '"]')));
      }
      // After the submission has started: a disabled button would not submit.
      setTimeout(function () {
        pulsanti.forEach(function (b) {
          b.dataset.testoOriginale = b.innerHTML;
          b.disabled = true;
          b.setAttribute("aria-disabled", "true");
          b.textContent = testo;
        });
        form.setAttribute("aria-busy", "true");
        var stato = form.querySelector(".in-corso");
        if (stato) {
          stato.hidden = false;
          stato.textContent = testo + " Attendere: la pagina si aggiornerà da sola.";
        }
      }, 0);
    });
  }
  document.querySelectorAll("form[data-in-corso]").forEach(inCorso);
  // Back to a page kept in the browser's cache: the buttons work again.
  window.addEventListener("pageshow", function (evento) {
    if (!evento.persisted) { return; }
    document.querySelectorAll("button[data-testo-originale]").forEach(function (b) {
      b.innerHTML = b.dataset.testoOriginale;
      b.disabled = false;
      b.removeAttribute("aria-disabled");
    });
  });

  var avanzamento = document.getElementById("avanzamento-versione");
  if (avanzamento && avanzamento.dataset.statoUrl) {
    var barra = document.getElementById("barra-avanzamento");
    var descrizione = document.getElementById("descrizione-avanzamento");
    var controlla = function () {
      fetch(avanzamento.dataset.statoUrl, {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.stato === "pronto" || s.stato === "errore") { window.location.reload(); return; }
          if (barra) { barra.value = s.progresso; barra.textContent = s.progresso + "%"; }
          if (descrizione) { descrizione.textContent = "PDF della versione in preparazione (" + s.progresso + "%)"; }
          setTimeout(controlla, 1500);
        })
        .catch(function () { setTimeout(controlla, 5000); });
    };
    setTimeout(controlla, 1000);
  }

  document.querySelectorAll("[data-sezione-ancora]").forEach(function (blocco) {
    var bersaglio = document.getElementById(blocco.dataset.sezioneAncora);
    if (!bersaglio) { return; }
    if (bersaglio.tagName === "SECTION") {
      bersaglio.appendChild(blocco);
    } else if (bersaglio.tagName === "H2") {
      // A part titled by its heading (Parte seconda, terza): the block goes before the next part.
      var dopo = bersaglio.nextElementSibling;
      while (dopo && dopo.tagName !== "H2" && dopo.tagName !== "SECTION") { dopo = dopo.nextElementSibling; }
      bersaglio.parentNode.insertBefore(blocco, dopo);
    } else {
      return;
    }
    blocco.classList.add("accanto-alla-sezione");
    var vai = blocco.querySelector(".vai-sezione");
    if (vai) { vai.hidden = true; }
  });

  var tutti = document.getElementById("id_tutti_presenti");
  var conteggio = document.getElementById("conteggio-presenze");
  var quorum = document.getElementById("id_quorum");
  var caselle = document.querySelectorAll('input[type=checkbox][name^="presente_"]');
  function aggiorna() {
    if (!conteggio) { return; }
    var presenti = 0;
    caselle.forEach(function (c) { if (c.checked) { presenti += 1; } });
    var minimo = quorum && quorum.value ? parseInt(quorum.value, 10) : NaN;
    var testo = "Presenti " + presenti + " comun" + (presenti === 1 ? "e" : "i") + " su " + caselle.length;
    if (!isNaN(minimo)) {
      testo += " · quorum " + minimo + ": " + (presenti >= minimo ? "seduta valida" : "quorum non raggiunto");
    }
    conteggio.textContent = testo + ".";
  }
  if (tutti) {
    tutti.addEventListener("change", function () {
      caselle.forEach(function (c) { c.checked = tutti.checked; });
      aggiorna();
    });
  }
  caselle.forEach(function (c) {
    c.addEventListener("change", function () {
      if (tutti && !c.checked) { tutti.checked = false; }
      aggiorna();
    });
  });
  if (quorum) { quorum.addEventListener("input", aggiorna); }
  aggiorna();
})();
