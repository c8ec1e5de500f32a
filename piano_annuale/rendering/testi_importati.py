"""A narrative imported from a word-processor file: .docx (mammoth) or .odt (odfpy), as HTML that
then goes through the narratives' own sanitiser (``testi.pulisci_html``).

The file comes from a user: it is measured before any reader opens it — its size, that it is a zip
archive, its directory (entries, declared sizes, compression ratio, encryption) — as the spreadsheet
uploads are (``patrimonio.importazione.misura``). Headings, paragraphs, lists, bold and italic
survive (mammoth maps Word's styles; the .odt converter keeps headings, paragraphs and lists);
images, colours, fonts and tracked changes do not.
"""

from __future__ import annotations

import io
import zipfile
from typing import IO

import mammoth
from django.utils.html import escape
from odf import teletype
from odf.element import Element
from odf.namespaces import TEXTNS
from odf.opendocument import load

from piano_annuale.rendering.testi import pulisci_html

DIMENSIONE_MASSIMA = 5 * 1024 * 1024  # a narrative is text: a few hundred KB at most
ESPANSO_MASSIMO = 50 * 1024 * 1024  # the archive's content, uncompressed
RAPPORTO_MASSIMO = 100  # an entry expanding more than this is a zip bomb, not a document
VOCI_MASSIME = 2_000
FIRMA_ZIP = b"PK\x03\x04"
FORMATI = {".docx": "Word (.docx)", ".odt": "OpenDocument (.odt)"}


class DocumentoNonValido(ValueError):
    """The file cannot be imported: the message says why, in Italian."""


def _misura(contenuto: bytes, nome: str) -> None:
    if len(contenuto) > DIMENSIONE_MASSIMA:
        peso = f"{len(contenuto) / 1_048_576:.1f}".replace(".", ",")
        raise DocumentoNonValido(f"Il file «{nome}» pesa più di {peso} MB: il massimo è 5 MB.")
    if not contenuto.startswith(FIRMA_ZIP):
        raise DocumentoNonValido(f"Il file «{nome}» non è un documento .docx o .odt leggibile.")
    try:
        archivio = zipfile.ZipFile(io.BytesIO(contenuto))
        voci = archivio.infolist()
    except zipfile.BadZipFile as errore:
        raise DocumentoNonValido(f"Il file «{nome}» è danneggiato: non si può leggere.") from errore
    if len(voci) > VOCI_MASSIME:
        raise DocumentoNonValido(f"Il file «{nome}» contiene troppe parti ({len(voci)}): non è un documento.")
    if any(v.flag_bits & 0x1 for v in voci):
        raise DocumentoNonValido(f"Il file «{nome}» è protetto da password: salvarlo senza protezione.")
    espanso = sum(v.file_size for v in voci)
    if espanso > ESPANSO_MASSIMO or any(
        v.compress_size and v.file_size > 1_048_576 and v.file_size / v.compress_size > RAPPORTO_MASSIMO
        for v in voci
    ):
        raise DocumentoNonValido(
            f"Il file «{nome}» si espande oltre misura una volta aperto: non viene letto."
        )


def _odt_in_html(contenuto: bytes) -> str:
    """Headings, paragraphs and lists of an .odt's body as HTML (text escaped)."""
    documento = load(io.BytesIO(contenuto))
    parti: list[str] = []

    def visita(nodo: Element) -> None:
        for figlio in nodo.childNodes:
            if figlio.nodeType != figlio.ELEMENT_NODE:
                continue
            nome = figlio.qname
            if nome == (TEXTNS, "h"):
                livello = min(max(int(figlio.getAttribute("outlinelevel") or 1) + 1, 2), 4)
                parti.append(f"<h{livello}>{escape(teletype.extractText(figlio))}</h{livello}>")
            elif nome == (TEXTNS, "p"):
                testo = teletype.extractText(figlio).strip()
                if testo:
                    parti.append(f"<p>{escape(testo)}</p>")
            elif nome == (TEXTNS, "list"):
                voci = [
                    escape(teletype.extractText(voce).strip())
                    for voce in figlio.childNodes
                    if voce.nodeType == voce.ELEMENT_NODE and voce.qname == (TEXTNS, "list-item")
                ]
                parti.append("<ul>" + "".join(f"<li>{v}</li>" for v in voci) + "</ul>")
            else:  # sections, tables of contents: their paragraphs
                visita(figlio)

    visita(documento.text)
    return "\n".join(parti)


def importa_documento(file: IO[bytes], nome: str) -> str:
    """The file's text as sanitised HTML, ready to be stored as a narrative."""
    estensione = "." + nome.rsplit(".", 1)[-1].lower() if "." in nome else ""
    if estensione not in FORMATI:
        raise DocumentoNonValido(f"Il file «{nome}» non è un documento .docx o .odt.")
    contenuto = file.read(DIMENSIONE_MASSIMA + 1)
    _misura(contenuto, nome)
    try:
        if estensione == ".docx":
            html = mammoth.convert_to_html(io.BytesIO(contenuto)).value
        else:
            html = _odt_in_html(contenuto)
    except Exception as errore:  # a library's own error on a malformed file
        raise DocumentoNonValido(
            f"Il file «{nome}» non si può leggere come {FORMATI[estensione]}: salvarlo di nuovo e riprovare."
        ) from errore
    pulito = pulisci_html(html).strip()
    if not pulito:
        raise DocumentoNonValido(f"Il file «{nome}» non contiene testo.")
    return pulito
