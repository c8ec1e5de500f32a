"""The PDF rendered in parts in parallel processes and joined: numbering, outline, index, PDF/A,
the long lists grouped with subtotals and cut into lotti (issue 17)."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from pypdf import PdfReader
from pypdf.generic import ArrayObject

from ambito.models import Comune
from patrimonio.models import EnteProprietario, TipoEnte, UnitaAbitativa
from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import Approvazione, PianoAnnuale, Stato, StatoPiano, StatoUnita
from piano_annuale.rendering import pdf_parti
from piano_annuale.rendering.pdf import genera_pdf
from piano_annuale.rendering.pdf_elenchi import Gruppo, gruppi_allegato_b, in_lotti
from tests.builders import crea_ambito

# Small lotti, so that a small plan is cut as a large one is: B.1 (8 ALER units in each of the 12
# comuni: 96 rows) in four lotti, B.2 and the checks in two.
RIGHE_PER_LOTTO = 30


def piano_sintetico() -> PianoAnnuale:
    """12 comuni (tests.builders), plus 35 pairs of IDs written two ways: 35 anomalies U02."""
    piano = crea_ambito(nome="Ambito PDF in parti", comuni=12, prefisso_istat="977")
    aler = EnteProprietario.objects.get(ambito=piano.ambito, tipo=TipoEnte.ALER)
    comune = Comune.objects.filter(ambito=piano.ambito).order_by("codice_istat").first()
    assert comune is not None
    for n in range(35):
        for id_ in (f"Z{n:04d}", f"Z-{n:04d}"):
            unita = UnitaAbitativa.objects.create(ente=aler, comune=comune, id_regionale=id_)
            StatoUnita.objects.create(piano=piano, unita=unita, stato=Stato.CARENZA_MANUTENTIVA)
    return piano


def pagine_di(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]


def _voci(reader: PdfReader, voci: list[Any], livello: int = 1) -> list[tuple[int, str, int]]:
    """The outline flattened: (level, title, page index)."""
    piatte: list[tuple[int, str, int]] = []
    for voce in voci:
        if isinstance(voce, list):
            piatte += _voci(reader, voce, livello + 1)
        else:
            pagina = reader.get_destination_page_number(voce)
            assert pagina is not None
            piatte.append((livello, str(voce.title), pagina))
    return piatte


@pytest.fixture(scope="module")
def bozza(django_db_setup, django_db_blocker) -> tuple[bytes, dict[str, int]]:
    """The draft of the synthetic plan, rendered in parts by two processes; with its figures."""
    with django_db_blocker.unblock(), transaction.atomic(), pytest.MonkeyPatch.context() as mp:
        mp.setattr(pdf_parti, "RIGHE_PER_LOTTO", RIGHE_PER_LOTTO)
        mp.setattr(pdf_parti, "PROCESSI", 2)
        piano = piano_sintetico()
        calcolo = calcola_piano(piano)
        cifre = {"anomalie": len(calcolo.anomalie), "b1": len(calcolo.allegato_b.unita)}
        pdf = genera_pdf(piano).contenuto
        transaction.set_rollback(True)
    return pdf, cifre


@pytest.fixture(scope="module")
def approvato(django_db_setup, django_db_blocker) -> bytes:
    with django_db_blocker.unblock(), transaction.atomic(), pytest.MonkeyPatch.context() as mp:
        mp.setattr(pdf_parti, "RIGHE_PER_LOTTO", RIGHE_PER_LOTTO)
        mp.setattr(pdf_parti, "PROCESSI", 2)
        piano = crea_ambito(nome="Ambito PDF approvato", comuni=12, prefisso_istat="978")
        piano.stato = StatoPiano.APPROVATA
        piano.save()
        Approvazione.objects.create(
            piano=piano,
            data_seduta=datetime.date(2025, 3, 1),
            numero_verbale="3/2025",
            protocollo="1",
            verbale="piani/verbali/prova.pdf",
            verbale_sha256="0" * 64,
            registrata_da=get_user_model().objects.create_user(username="approva-parti"),
        )
        generato = genera_pdf(piano)
        transaction.set_rollback(True)
    assert generato.definitivo
    return generato.contenuto


def test_the_synthetic_plan_has_the_sizes_the_lotti_are_cut_for(bozza):
    _, cifre = bozza
    assert cifre == {"anomalie": 35, "b1": 12 * 8 + 70}


def test_the_joined_pages_are_numbered_continuously_under_the_running_header(bozza):
    pagine = pagine_di(bozza[0])
    totale = len(pagine)
    assert totale > 15
    assert "pagina" not in pagine[0]  # the cover has no header or footer
    for numero, testo in enumerate(pagine[1:], start=2):
        assert testo.count(f"pagina {numero} di {totale}") == 1, numero
        assert "Ambito PDF in parti" in testo
        assert "BOZZA – documento non approvato" in testo
        assert "BOZZA" in testo  # the watermark of every part


def test_one_outline_with_the_parts_in_order_pointing_at_their_headings(bozza):
    reader = PdfReader(io.BytesIO(bozza[0]))
    voci = _voci(reader, reader.outline)
    primo_livello = [titolo for livello, titolo, _ in voci if livello == 1]
    assert primo_livello == [
        "Indice",
        "1 Premessa",
        "2 Il sistema regionale dei servizi abitativi",
        "Parte prima – Ricognizione dell'offerta abitativa pubblica e sociale",
        "Parte seconda – Il supporto all'abitare",
        "Parte terza – Altre progettualità di sostegno al disagio abitativo",
        "Note di chiusura",
        "Allegato A – Report per ente proprietario",
        "Allegato B – Dettaglio delle unità di proprietà ALER (sezioni b, c, e)",
        "Sintesi – Tabelle di sintesi per l'Assemblea dei Sindaci",
        "Bozza – Esito dei controlli di coerenza",
    ]
    pagine = [voce[2] for voce in voci]
    assert pagine == sorted(pagine)  # in the order of the document
    testi = pagine_di(bozza[0])
    for livello, titolo, pagina in voci:
        testo = titolo.split(" – ")[-1]
        if livello > 1 or testo[0].isdigit():
            testo = testo.split(" ", 1)[1]  # the number is printed apart (its own box)
        assert testo in testi[pagina], f"«{titolo}» non è a pagina {pagina + 1}"
    # Sections a–k are nested under their chapter, under Parte prima.
    assert (3, "g) Unità SAP assegnabili nell'anno") in [(livello, titolo) for livello, titolo, _ in voci]


def test_the_index_prints_and_links_the_pages_of_the_headings_in_other_parts(bozza):
    reader = PdfReader(io.BytesIO(bozza[0]))
    voci = {titolo: pagina for _, titolo, pagina in _voci(reader, reader.outline)}
    indice = re.sub(r"\s+", " ", reader.pages[1].extract_text())
    pagina_b = voci["Allegato B – Dettaglio delle unità di proprietà ALER (sezioni b, c, e)"]
    assert re.search(
        rf"Allegato B – Dettaglio delle unità di proprietà ALER \(sezioni b, c, e\)[ .]+{pagina_b + 1}\b",
        indice,
    )
    destinazioni = set()
    annotazioni = reader.pages[1]["/Annots"].get_object()
    assert isinstance(annotazioni, ArrayObject)
    for annotazione in annotazioni:
        link = annotazione.get_object()
        assert link["/Subtype"] == "/Link" and link["/F"] == 4
        destinazioni.add(reader.get_page_number(link["/Dest"][0].get_object()))
    assert pagina_b in destinazioni
    assert voci["Bozza – Esito dei controlli di coerenza"] in destinazioni


def test_allegato_b_lists_the_units_by_comune_with_exact_subtotals_across_lotti(bozza):
    testo = " ".join(pagine_di(bozza[0]))
    allegato = testo[
        testo.index("B.1 – Unità già libere e unità in carenza manutentiva (lettere b ed e), per comune") :
    ]
    # Each comune: 5 free and 3 carenza ALER units; the first also the 70 with the doubled IDs.
    assert allegato.count("Totale Comune di prova 977-") == 12
    assert "Totale Comune di prova 977-1 78" in allegato
    assert "Totale Comune di prova 977-2 8" in allegato
    assert "Totale unità 166" in allegato
    assert "B.1 – Unità già libere e unità in carenza manutentiva (segue)" in allegato
    assert "Comune di prova 977-1 (segue)" in allegato  # the 78 units of a comune cut across lotti
    assert "Totale complessivo 24" in allegato  # B.2: 2 units in renovation per comune


def test_the_checks_are_grouped_by_check_with_their_count(bozza):
    testo = " ".join(pagine_di(bozza[0]))
    controlli = testo[testo.index("Esito dei controlli di coerenza", testo.index("Allegato B –")) :]
    assert "U02 · errore · sezione b–f: 35 segnalazioni" in controlli
    assert "L'ID regionale Z0001 è attribuito a 2 unità diverse" in controlli
    assert "Esito dei controlli di coerenza (segue)" in controlli


def test_the_approved_file_is_pdf_a_3a_with_its_attachments_and_metadata(approvato):
    """The approved file is tagged, so it is laid out in one pass (tests/piano_annuale/
    test_pdf_accessibile.py): the same pages, stamps and metadata as the joined drafts."""
    reader = PdfReader(io.BytesIO(approvato))
    assert reader.xmp_metadata is not None
    xmp = reader.xmp_metadata.stream.get_data().decode()
    assert re.search(r"pdfaid:part(=\"|>)3", xmp)
    assert re.search(r"pdfaid:conformance(=\"|>)A", xmp)
    assert "/OutputIntents" in reader.root_object
    assert sorted(reader.attachments) == [
        "POA-2025-Ambito-PDF-approvato-APPROVATO-piano-calcolato.csv",
        "POA-2025-Ambito-PDF-approvato-APPROVATO-piano-calcolato.json",
    ]
    assert reader.root_object["/Lang"] == "it"
    assert reader.metadata is not None and reader.metadata.title is not None
    assert reader.metadata.title.startswith(
        "Piano annuale dell'offerta dei servizi abitativi pubblici e sociali 2025"
    )
    assert reader.metadata.producer is not None and reader.metadata.producer.startswith("WeasyPrint")
    pagine = pagine_di(approvato)
    for numero, testo in enumerate(pagine[1:], start=2):
        assert f"pagina {numero} di {len(pagine)}" in testo
        assert "Approvato dall'Assemblea dei Sindaci il 01/03/2025" in testo
        assert "BOZZA" not in testo


def test_without_processes_the_parts_are_rendered_in_turn_with_the_same_pages(db, monkeypatch):
    piano = crea_ambito(nome="Ambito PDF in sequenza", comuni=3, prefisso_istat="979")
    monkeypatch.setattr(pdf_parti, "PROCESSI", 2)
    in_parallelo = pagine_di(genera_pdf(piano).contenuto)
    monkeypatch.setattr(pdf_parti, "PROCESSI", 1)
    in_sequenza = pagine_di(genera_pdf(piano).contenuto)
    assert in_sequenza == in_parallelo


def test_a_daemonic_process_renders_in_turn(monkeypatch):
    """Celery's prefork workers are daemonic and may not start processes."""

    class Demone:
        daemon = True

    monkeypatch.setattr(pdf_parti.multiprocessing, "current_process", lambda: Demone())
    monkeypatch.setattr(pdf_parti, "PROCESSI", 2)
    chiamate: list[int] = []

    def lavoro(n: int) -> Any:
        chiamate.append(n)
        return n

    assert pdf_parti.esegui([(lavoro, (1,)), (lavoro, (2,))]) == [1, 2]
    assert chiamate == [1, 2]  # here, in order


def test_lotti_keep_whole_groups_and_cut_a_long_one_with_its_subtotal_at_the_end():
    gruppi = [
        Gruppo("A", tuple(range(4)), 4),
        Gruppo("B", tuple(range(9)), 9),
        Gruppo("C", tuple(range(2)), 2),
    ]
    lotti = in_lotti(gruppi, 6)
    assert [[(g.titolo, len(g.righe), g.segue, g.chiude) for g in lotto] for lotto in lotti] == [
        [("A", 4, False, True), ("B", 2, False, False)],
        [("B", 6, True, False)],
        [("B", 1, True, True), ("C", 2, False, True)],
    ]
    assert all(g.totale == 9 for lotto in lotti for g in lotto if g.titolo == "B")


def test_allegato_b_groups_by_comune_alphabetically_with_counts_and_costs():
    class Ente:
        id = 1

    class Unita:
        def __init__(self, comune: str) -> None:
            self.comune, self.ente, self.id_regionale, self.codice_ente = comune, Ente(), None, ""

    class Costo:
        def __init__(self, costo: str | None) -> None:
            self.costo = Decimal(costo) if costo else None

    righe = [
        (Unita("Soresina"), "b carenza", Costo("1000.50")),
        (Unita("Annicco"), "e libera", None),
        (Unita("Soresina"), "b carenza", Costo(None)),
        (Unita("Soresina"), "b carenza", Costo("250")),
    ]
    gruppi = gruppi_allegato_b(righe)
    assert [(g.titolo, g.totale, str(g.costo)) for g in gruppi] == [
        ("Annicco", 1, "None"),
        ("Soresina", 3, "1250.50"),
    ]
