"""The letters at approval as editable documents (DOCX): offices sign them in their protocol system.

The text is ``testo_lettera``'s, the same the PDF prints, laid out as an Italian business letter
(sender, addressee on the right, subject, body, table, signature); the document's language is
Italian so that the word processor checks the spelling in Italian.
"""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocumentoDocx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from piano_annuale.rendering.lettere import (
    FIRMA,
    PROTOCOLLO,
    RESPONSABILE,
    SALUTI,
    Lettera,
    TestoLettera,
    testo_lettera,
)

BLU = RGBColor(0x00, 0x66, 0xCC)
GRIGIO = RGBColor(0x5C, 0x6F, 0x82)
RIENTRO_DESTRA = Mm(95)  # the addressee and the signature, as in the PDF


def docx_lettera(lettera: Lettera) -> bytes:
    """The letter as a DOCX document, with the same text as its PDF."""
    testo = testo_lettera(lettera)
    documento = Document()
    _impostazioni(documento, testo)
    _intestazione(documento, testo)
    for riga in ("Spett.le", testo.destinatario):
        paragrafo = documento.add_paragraph()
        paragrafo.paragraph_format.left_indent = RIENTRO_DESTRA
        paragrafo.paragraph_format.space_after = Pt(0)
        paragrafo.add_run(riga).bold = riga == testo.destinatario
    oggetto = documento.add_paragraph()
    oggetto.paragraph_format.space_before = Pt(24)
    oggetto.add_run("Oggetto:").bold = True
    oggetto.add_run(f" {testo.oggetto}")
    _giustificato(documento.add_paragraph(testo.apertura))
    _tabella(documento, testo)
    for capoverso in testo.chiusura:
        _giustificato(documento.add_paragraph(capoverso))
    documento.add_paragraph(SALUTI)
    _firma(documento, testo)
    uscita = io.BytesIO()
    documento.save(uscita)
    return uscita.getvalue()


def _impostazioni(documento: DocumentoDocx, testo: TestoLettera) -> None:
    """A4 with the PDF's margins, Italian language, the letter's title and author, the footer."""
    proprieta = documento.core_properties
    proprieta.title = testo.titolo
    proprieta.author = testo.mittente
    proprieta.language = "it-IT"
    stile = documento.styles["Normal"]
    stile.font.size = Pt(10.5)
    lingua = OxmlElement("w:lang")
    lingua.set(qn("w:val"), "it-IT")
    stile.element.get_or_add_rPr().append(lingua)
    sezione = documento.sections[0]
    sezione.page_width, sezione.page_height = Mm(210), Mm(297)
    sezione.top_margin = sezione.bottom_margin = sezione.right_margin = Mm(22)
    sezione.left_margin = Mm(25)
    piede = sezione.footer.paragraphs[0]
    piede.text = f"{testo.mittente} · {testo.piede}"
    for run in piede.runs:
        run.font.size = Pt(8)
        run.font.color.rgb = GRIGIO


def _intestazione(documento: DocumentoDocx, testo: TestoLettera) -> None:
    mittente = documento.add_paragraph().add_run(testo.mittente)
    mittente.bold = True
    mittente.font.size = Pt(15)
    mittente.font.color.rgb = BLU
    sotto = documento.add_paragraph()
    sotto.paragraph_format.space_after = Pt(24)
    run = sotto.add_run(testo.sotto)
    run.font.size = Pt(9)
    run.font.color.rgb = GRIGIO
    protocollo = documento.add_paragraph().add_run(PROTOCOLLO)
    protocollo.font.color.rgb = GRIGIO


def _giustificato(paragrafo: Paragraph) -> None:
    paragrafo.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY


def _tabella(documento: DocumentoDocx, testo: TestoLettera) -> Table:
    """The quota's table: labels and values, or one row per comune with a header; the total in bold."""
    colonne = len(testo.totale_tabella)
    tabella = documento.add_table(rows=0, cols=colonne)
    tabella.style = "Table Grid"
    tabella.alignment = WD_TABLE_ALIGNMENT.LEFT
    righe: list[tuple[tuple[str, ...], bool]] = []
    if testo.intestazione_tabella:
        righe.append((testo.intestazione_tabella, True))
    righe += [(riga, False) for riga in testo.righe_tabella]
    righe.append((testo.totale_tabella, True))
    for valori, grassetto in righe:
        celle = tabella.add_row().cells
        for indice, (cella, valore) in enumerate(zip(celle, valori, strict=True)):
            paragrafo = cella.paragraphs[0]
            paragrafo.add_run(valore).bold = grassetto
            if indice > 0:
                paragrafo.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return tabella


def _firma(documento: DocumentoDocx, testo: TestoLettera) -> None:
    for riga, spazio in ((testo.firma, 24), (RESPONSABILE, 0), ("", 0), ("_" * 30, 24), (FIRMA, 0)):
        paragrafo = documento.add_paragraph(riga)
        paragrafo.paragraph_format.left_indent = RIENTRO_DESTRA
        paragrafo.paragraph_format.space_before = Pt(spazio)
        paragrafo.paragraph_format.space_after = Pt(0)
