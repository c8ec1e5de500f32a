// The rich-text editor of the plan's narratives (piano_annuale/documento/testi.html): each
// <textarea data-editor-testi> becomes a Tiptap editor (django-prose-editor's bundle, a static file of
// the django_prose_editor app: no CDN, no inline script). The editor writes its HTML back into the
// textarea, which the form posts; the server sanitises it with the same rules as every narrative.
// Without JavaScript the textarea stays: the HTML can be written there.
import {
  Blockquote,
  Bold,
  BulletList,
  Document,
  Dropcursor,
  Editor,
  Gapcursor,
  HardBreak,
  Heading,
  History,
  HorizontalRule,
  Italic,
  Link,
  ListItem,
  Menu,
  OrderedList,
  Paragraph,
  Table,
  TableCell,
  TableHeader,
  TableRow,
  Text,
  Underline,
} from "../django_prose_editor/editor.js";

const VUOTO = /^<(\w+)(\s[^>]*)?><\/\1>$/i;

// The toolbar's buttons named in Italian (the bundle names them in English, by title and aria-label).
const PULSANTI = {
  paragraph: "Tipo di blocco",
  "unordered list": "Elenco puntato",
  "ordered list": "Elenco numerato",
  blockquote: "Citazione",
  "horizontal rule": "Linea orizzontale",
  bold: "Grassetto",
  italic: "Corsivo",
  underline: "Sottolineato",
  "insert link": "Inserisci collegamento",
  "remove link": "Togli collegamento",
  "insert table": "Inserisci tabella",
  "add column": "Aggiungi colonna",
  "delete column": "Elimina colonna",
  "add row": "Aggiungi riga",
  "delete row": "Elimina riga",
  "merge cells": "Unisci celle",
  "split cell": "Dividi cella",
  "toggle header cell": "Cella di intestazione sì/no",
  "delete table": "Elimina tabella",
  undo: "Annulla",
  redo: "Ripeti",
};
const BLOCCHI = { "Heading 2": "Titolo 2", "Heading 3": "Titolo 3", "Heading 4": "Titolo 4", Paragraph: "Paragrafo" };

function inItaliano(contenitore) {
  for (const pulsante of contenitore.querySelectorAll("button")) {
    const nome = PULSANTI[(pulsante.title || "").toLowerCase()];
    if (nome) {
      pulsante.title = nome;
      pulsante.setAttribute("aria-label", nome);
    }
    const blocco = pulsante.firstElementChild;
    if (blocco && BLOCCHI[blocco.textContent]) blocco.textContent = BLOCCHI[blocco.textContent];
  }
}

function creaEditor(textarea) {
  const contenitore = document.createElement("div");
  contenitore.className = "prose-editor";
  textarea.before(contenitore);
  contenitore.append(textarea);
  textarea.hidden = true;
  const etichetta = document.querySelector(`label[for="${textarea.id}"]`);
  const descrizione = textarea.getAttribute("aria-describedby");
  const attributi = { role: "textbox", "aria-multiline": "true", spellcheck: "true", lang: "it" };
  if (etichetta) {
    etichetta.id = etichetta.id || `${textarea.id}-etichetta`;
    attributi["aria-labelledby"] = etichetta.id;
  }
  if (descrizione) attributi["aria-describedby"] = descrizione;
  const editor = new Editor({
    element: contenitore,
    editable: !textarea.readOnly && !textarea.disabled,
    injectCSS: false, // the styles come from editor.css: no inline <style> (CSP)
    editorProps: { attributes: attributi },
    extensions: [
      Document,
      Dropcursor,
      Gapcursor,
      Paragraph,
      HardBreak,
      Text,
      History,
      Menu,
      Bold,
      Italic,
      Underline,
      Link,
      BulletList,
      OrderedList,
      ListItem,
      Heading.configure({ levels: [2, 3, 4] }),
      Blockquote,
      HorizontalRule,
      Table,
      TableRow,
      TableHeader,
      TableCell,
    ],
    content: textarea.value,
    onUpdate({ editor }) {
      const html = editor.getHTML();
      textarea.value = VUOTO.test(html) ? "" : html;
    },
  });
  // The toolbar is drawn after the editor starts, and drawn again as the selection moves.
  inItaliano(contenitore);
  new MutationObserver(() => inItaliano(contenitore)).observe(contenitore, { childList: true, subtree: true });
  return editor;
}

for (const textarea of document.querySelectorAll("textarea[data-editor-testi]")) {
  creaEditor(textarea);
}
