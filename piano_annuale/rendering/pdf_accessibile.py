"""The approved plan as an accessible, archivable PDF: tagged (PDF/UA-1) and PDF/A-3a at once.

Public administrations publish the approved plan on their sites, where documents must be
accessible. WeasyPrint tags the PDF from the HTML (``pdf_tags``): the document's language and
title, headings H1–H4, lists, tables with their TH headers (``<th scope>``), and each chart as a
Figure whose /Alt is the SVG's ``<title>`` (``grafici.testo_alternativo``).

WeasyPrint writes one variant per file (``pdf_variant``; Kozea/WeasyPrint#2783 asks for more).
``pdf/a-3a`` gives the PDF/A-3 file (attachments allowed, for the computed plan) with tags and
conformance level A; the PDF/UA-1 identification is then added to the same XMP packet, with the
extension schema that PDF/A requires for a property outside its predefined schemas — the dual
conformance the PDF Association's best-practice guide describes for PDF/A-2/3 and PDF/UA-1.

The tagged file is laid out in a single pass, not in parts (``pdf_parti``): pypdf's join copies
pages but not the structure tree, its parent tree and marked-content ids, so a joined file would
claim tags that cover only its cover. The approved plan's PDF runs once, in the background.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from piano_annuale.rendering.pdf_parti import Allegato, HTMLPiano

VARIANTE = "pdf/a-3a"

# The XMP additions: PDF/UA-1's identification and its schema declared for PDF/A (ISO 19005-3 6.6.2.3).
XMP_PDF_UA = b"""<rdf:Description xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" rdf:about=""
 xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
 xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
 xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
<pdfaProperty:name>part</pdfaProperty:name>
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>
<pdfaProperty:category>internal</pdfaProperty:category>
<pdfaProperty:description>Part of ISO 14289 the file conforms to</pdfaProperty:description>
</rdf:li></rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
<rdf:Description xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" rdf:about=""
 xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/"><pdfuaid:part>1</pdfuaid:part></rdf:Description>
"""


def dichiara_pdf_ua(documento: Any, pdf: Any) -> None:
    """WeasyPrint's finisher: the PDF/UA-1 identification inside the PDF/A XMP packet."""
    riferimento = pdf.catalog["Metadata"]  # «N 0 R», as bytes
    numero = riferimento.decode() if isinstance(riferimento, bytes) else str(riferimento)
    flusso = pdf.objects[int(numero.split()[0])]
    contenuto = b"".join(
        parte if isinstance(parte, bytes) else str(parte).encode() for parte in flusso.stream
    )
    flusso.stream = [contenuto.replace(b"</rdf:RDF>", XMP_PDF_UA + b"</rdf:RDF>", 1)]


def pdf_accessibile(html: str, *, base_url: str, allegati: Sequence[Allegato] = ()) -> bytes:
    """The document's HTML as a tagged PDF/A-3a declaring PDF/UA-1, with ``allegati`` embedded."""
    return HTMLPiano(string=html, base_url=base_url).write_pdf(
        pdf_variant=VARIANTE,
        attachments=[a.weasyprint() for a in allegati],
        finisher=dichiara_pdf_ua,
    )
