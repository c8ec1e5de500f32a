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
  return new Editor({
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
}

for (const textarea of document.querySelectorAll("textarea[data-editor-testi]")) {
  creaEditor(textarea);
}
