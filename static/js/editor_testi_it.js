// The Italian words of the narratives' editor (django-prose-editor reads window.gettext when its
// module loads): a classic script, loaded before the editor's module. Words missing here stay English.
(function () {
  "use strict";
  var parole = {
    "Add caption": "Aggiungi didascalia",
    "Alternative Text": "Testo alternativo",
    Bullets: "Punti elenco",
    Cancel: "Annulla",
    Caption: "Didascalia",
    Columns: "Colonne",
    "Decimal numbers": "Numeri",
    "Edit HTML": "Modifica HTML",
    "Edit Link": "Modifica collegamento",
    "Include header row": "Con riga di intestazione",
    Insert: "Inserisci",
    "Insert Table": "Inserisci tabella",
    "List properties": "Proprietà dell'elenco",
    "List type": "Tipo di elenco",
    "Lowercase letters": "Lettere minuscole",
    "Lowercase Roman numerals": "Numeri romani minuscoli",
    "Open in new window": "Apri in una nuova finestra",
    Prettify: "Riordina",
    "Remove caption": "Togli didascalia",
    Rows: "Righe",
    "Start at": "Inizia da",
    "Table Properties": "Proprietà della tabella",
    Title: "Titolo",
    "Toggle fullscreen": "Schermo intero",
    Update: "Aggiorna",
    "Uppercase letters": "Lettere maiuscole",
    "Uppercase Roman numerals": "Numeri romani maiuscoli",
    URL: "Indirizzo (URL)",
  };
  var precedente = window.gettext;
  window.gettext = function (testo) {
    if (Object.prototype.hasOwnProperty.call(parole, testo)) return parole[testo];
    return precedente ? precedente(testo) : testo;
  };
})();
