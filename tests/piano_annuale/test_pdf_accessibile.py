"""The approved plan's PDF is accessible (issue 14, point 11): tagged PDF/UA-1 and PDF/A-3a, read
back with pikepdf — language, title, headings, table headers, charts with their text alternative."""

from __future__ import annotations

import datetime
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pikepdf
import pytest

from piano_annuale.calcolo import piano_calcolato
from piano_annuale.models import PianoAnnuale
from piano_annuale.rendering import grafici
from piano_annuale.rendering import testi as narrative  # «testi_del_piano» would be collected
from piano_annuale.rendering.pdf import pdf_documento
from piano_annuale.rendering.pdf_parti import dati_allegati

# Rendering takes seconds: once for the module, its bytes shared by the tests that read them.
_RESI: dict[str, bytes] = {}


@pytest.fixture
def pdf_approvato(piano_cremonese: PianoAnnuale) -> bytes:
    if "approvato" not in _RESI:
        calcolo = piano_calcolato(piano_cremonese)
        _RESI["approvato"] = pdf_documento(
            calcolo,
            narrative.testi_del_piano(piano_cremonese),
            definitiva=True,
            approvato_il=datetime.date(2025, 2, 14),
            allegati=dati_allegati(calcolo, "POA-2025"),
        )
    return _RESI["approvato"]


def elementi(nodo: pikepdf.Object) -> Iterator[pikepdf.Dictionary]:
    """Every structure element under ``nodo``, depth first."""
    figli = nodo.get("/K")
    for figlio in figli if isinstance(figli, pikepdf.Array) else [figli]:
        if isinstance(figlio, pikepdf.Dictionary) and "/S" in figlio:
            yield figlio
            yield from elementi(figlio)


@dataclass(frozen=True)
class Elemento:
    tipo: str  # «/H1», «/TH», «/Figure»…
    alternativo: str | None  # /Alt
    intestazioni: int  # how many header cells a data cell names (/A /Headers)


@pytest.fixture
def struttura(pdf_approvato) -> list[Elemento]:
    with pikepdf.open(io.BytesIO(pdf_approvato)) as documento:
        return [
            Elemento(
                str(e.S),
                str(e.Alt) if "/Alt" in e else None,
                len(e.A.get("/Headers", [])) if isinstance(e.get("/A"), pikepdf.Dictionary) else 0,
            )
            for e in elementi(documento.Root.StructTreeRoot)
        ]


def test_the_catalogue_states_language_title_and_tags(pdf_approvato):
    documento = pikepdf.open(io.BytesIO(pdf_approvato))
    assert str(documento.Root.Lang) == "it"
    assert str(documento.docinfo.Title) == (
        "Piano annuale dell'offerta dei servizi abitativi pubblici e sociali 2025 – "
        "Ambito Sociale Territoriale Cremonese"
    )
    assert bool(documento.Root.ViewerPreferences.DisplayDocTitle) is True  # the title, not the file name
    assert bool(documento.Root.MarkInfo.Marked) is True
    assert "/StructTreeRoot" in documento.Root


def test_pdf_a_3a_and_pdf_ua_1_are_both_declared_with_the_attachments(pdf_approvato):
    documento = pikepdf.open(io.BytesIO(pdf_approvato))
    with documento.open_metadata() as xmp:
        assert xmp["pdfaid:part"] == "3"
        assert xmp["pdfaid:conformance"] == "A"
        assert xmp["pdfuaid:part"] == "1"
    # PDF/A accepts the pdfuaid property only with its extension schema in the same packet.
    pacchetto = documento.Root.Metadata.read_bytes().decode()
    assert "<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>" in pacchetto
    assert sorted(documento.attachments) == ["POA-2025-piano-calcolato.csv", "POA-2025-piano-calcolato.json"]


def test_headings_and_sections_are_structure_elements(struttura):
    tipi = Counter(e.tipo for e in struttura)
    assert tipi["/Document"] == 1
    assert tipi["/H1"] >= 10  # the index, the parts, the chapters, the annexes
    assert tipi["/H2"] >= 10  # sections a–k, the measures
    assert tipi["/Sect"] >= 1


def test_tables_have_header_cells_and_data_cells_point_at_them(struttura):
    tipi = Counter(e.tipo for e in struttura)
    assert tipi["/Table"] >= 30
    assert tipi["/TH"] >= tipi["/Table"]  # every table has its headers
    celle = [e for e in struttura if e.tipo == "/TD"]
    con_intestazioni = [c for c in celle if c.intestazioni > 0]
    assert len(con_intestazioni) == len(celle)


def test_each_chart_is_a_figure_with_its_figures_in_words(struttura):
    alternativi = [e.alternativo for e in struttura if e.tipo == "/Figure"]
    assert len(alternativi) == 3
    popolazione, patrimonio, disponibili = (a or "" for a in alternativi)
    assert popolazione.startswith(
        "Grafico a barre degli abitanti per aggregazione territoriale: AT 1 – Centro 13.251 abitanti;"
    )
    assert patrimonio.startswith(
        "Grafico a barre degli alloggi per ente proprietario: ALER Brescia-Cremona-Mantova 2.436 alloggi; "
        "Comune di Cremona 1.024 alloggi;"
    )
    assert disponibili.startswith(
        "Grafico a barre delle unità disponibili nell'anno per provenienza. Comuni: "
    )


def test_the_text_alternative_lists_every_value_with_its_unit():
    assert (
        grafici.testo_alternativo("Alloggi", ["Cremona", "Soresina"], [1234, 5], "alloggi")
        == "Alloggi: Cremona 1.234 alloggi; Soresina 5 alloggi."
    )
