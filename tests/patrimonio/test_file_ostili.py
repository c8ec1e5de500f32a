"""Untrusted spreadsheets (issue 16, items 1–2): measured before any reader sees them, read once in a
limited child process. Every hostile file is uploaded through the real view: the upload ends in an
error state with its exact Italian message, no unit is written, and this process (the web worker)
is still here to assert it."""

from __future__ import annotations

import datetime
import io
import os
import pickle
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from unittest import mock

import openpyxl
import pytest
from django.urls import reverse

from patrimonio import importazione
from patrimonio.importazione import lettura, misura
from patrimonio.models import EnteProprietario, Ruolo, UnitaAbitativa
from patrimonio.resources import COLONNE_UNITA
from piano_annuale.models import Caricamento, PianoAnnuale, StatoCaricamento
from tests.patrimonio import ostili
from tests.utenti import crea_operatore, fotografia, hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)

INTESTAZIONI = [c.intestazione for c in COLONNE_UNITA if c.chiave != "pk"]
RIGA = ["Comune di Soresina", "T-OST-1", "", "Soresina", "", "SAP", "", "libera", "", ""]

DANNEGGIATO = (
    "Il file «{}» non è un foglio di calcolo {} leggibile: è danneggiato o è un altro tipo di file con "
    "l'estensione cambiata. Salvarlo di nuovo dal programma di foglio di calcolo e ricaricarlo."
)
PROTETTO = (
    "Il file «{}» è protetto da password e non può essere letto. Aprirlo con il programma di foglio di "
    "calcolo, salvarlo senza password e caricarlo di nuovo."
)
TROPPO_PESANTE = (
    "Il file «{}» non può essere letto entro i limiti di memoria del servizio: è troppo grande o costruito "
    "in modo anomalo (per esempio celle isolate molto lontane dai dati). Salvarlo di nuovo dal programma di "
    "foglio di calcolo dopo aver eliminato righe e colonne vuote, o dividere l'elenco in più file."
)
RIGA_1M = (
    "Il foglio «{}» arriva alla riga 1.048.576: il massimo è 200.000 righe. Se le righe in fondo sono "
    "vuote, eliminarle (anche quelle solo formattate) e salvare di nuovo il file; altrimenti dividere "
    "l'elenco in più file."
)
COLONNA_XFD = (
    "Il foglio «Unità» arriva alla colonna XFD (16.384 colonne): il massimo è 500 colonne. Eliminare le "
    "colonne non necessarie (anche quelle solo formattate) e salvare di nuovo il file."
)
XLSX, ODS, XLS = "Excel (.xlsx)", "OpenDocument (.ods)", "Excel 97-2003 (.xls)"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def soresina(piano_cremonese: PianoAnnuale) -> EnteProprietario:
    ente = EnteProprietario.objects.select_related("comune").get(comune__nome="Soresina")
    riapri_per_il_test(piano_cremonese, ente)
    return ente


@pytest.fixture
def operatore(client, piano_cremonese, soresina):
    utente = crea_operatore("soresina", piano_cremonese.ambito, Ruolo.COMUNE, soresina)
    client.force_login(utente)
    return utente


def _url(nome: str, piano: PianoAnnuale, ente: EnteProprietario, *altri: int) -> str:
    return reverse(f"patrimonio:{nome}", args=[piano.pk, ente.pk, *altri])


def _carica(client, piano: PianoAnnuale, ente: EnteProprietario, contenuto: bytes, nome: str):
    file = io.BytesIO(contenuto)
    file.name = nome
    return client.post(_url("caricamenti", piano, ente), {"file": file})


def _rifiutato(
    client, piano: PianoAnnuale, ente: EnteProprietario, contenuto: bytes, nome: str, al_commit
) -> str:
    """Upload through the view (a file measured as large goes to the task, run here): the upload is
    stored and ends with errors, nothing is written, the process lives on. Returns the error."""
    unita, prima = UnitaAbitativa.objects.count(), fotografia()
    with (
        mock.patch(
            "patrimonio.views.analizza_caricamento_task.delay", wraps=importazione.analizza_caricamento
        ),
        al_commit(execute=True),
    ):
        risposta = _carica(client, piano, ente, contenuto, nome)
    caricamento = Caricamento.objects.get()
    assert risposta.status_code == 302
    assert risposta.url == _url("caricamento", piano, ente, caricamento.pk)
    assert caricamento.stato == StatoCaricamento.CON_ERRORI  # not «In lettura»
    assert caricamento.esito == (
        "Il file contiene 1 errore: nessun dato è stato registrato. Correggere il file e caricarlo di nuovo."
    )
    assert UnitaAbitativa.objects.count() == unita
    assert fotografia() == prima
    ((errore),) = caricamento.errori
    assert {**errore, "messaggio": ""} == {
        "foglio": "",
        "riga": None,
        "colonna": "",
        "valore": "",
        "messaggio": "",
    }
    return str(errore["messaggio"])


CASI: list[tuple[str, Callable[[], bytes], str]] = [
    ("xfd.xlsx", ostili.cella_xfd, RIGA_1M.format("Sheet")),
    ("xfd_falsa.xlsx", ostili.cella_xfd_dimensione_falsa, TROPPO_PESANTE.format("xfd_falsa.xlsx")),
    ("xfd_senza.xlsx", ostili.cella_xfd_senza_dimensione, RIGA_1M.format("Unità")),
    ("alto.xlsx", ostili.dimensione_enorme, RIGA_1M.format("Unità")),
    ("largo.xlsx", ostili.troppe_colonne, COLONNA_XFD),
    (
        "grande.xlsx",
        ostili.troppe_celle,
        "Il foglio «Unità» ha 190.000 righe per 200 colonne (38.000.000 celle): il massimo è 10.000.000 "
        "celle. Togliere le colonne non necessarie o dividere l'elenco in più file.",
    ),
    ("vuote.xlsx", ostili.righe_vuote_formattate_xlsx, RIGA_1M.format("Sheet")),
    (
        "bomba.xlsx",
        ostili.bomba_zip,
        "Il file «bomba.xlsx» contiene una parte compressa in modo anomalo («xl/worksheets/sheet1.xml», "
        "1.016 volte): non viene letto. Salvarlo di nuovo dal programma di foglio di calcolo e ricaricarlo.",
    ),
    (
        "voce.xlsx",
        ostili.voce_enorme_dichiarata,
        "Il file «voce.xlsx» una volta decompresso avrebbe una parte di 4095,9 MB («xl/worksheets/sheet1.xml»): "
        "il massimo è 400,0 MB. Dividere l'elenco in più file.",
    ),
    (
        "totale.xlsx",
        ostili.totale_enorme_dichiarato,
        "Il file «totale.xlsx» una volta decompresso occuperebbe 900,0 MB: il massimo è 600,0 MB. Dividere "
        "l'elenco in più file o togliere i fogli non necessari.",
    ),
    (
        "voci.xlsx",
        ostili.troppe_voci,
        "Il file «voci.xlsx» contiene 3.001 parti: un foglio di calcolo ne ha al più 2.000. Salvarlo di nuovo "
        "dal programma di foglio di calcolo e ricaricarlo.",
    ),
    ("protetto.xlsx", ostili.protetto_da_password, PROTETTO.format("protetto.xlsx")),
    ("protetto.xls", ostili.protetto_da_password, PROTETTO.format("protetto.xls")),
    ("cifrato.xlsx", ostili.zip_cifrato, PROTETTO.format("cifrato.xlsx")),
    ("cifrato.ods", ostili.ods_cifrato, PROTETTO.format("cifrato.ods")),
    ("vuote.ods", ostili.ods_righe_vuote_in_mezzo, RIGA_1M.format("Unità")),
    ("ripetuta.ods", ostili.ods_riga_ripetuta, RIGA_1M.format("Unità")),
    ("colonne.ods", ostili.ods_colonne_ripetute, COLONNA_XFD),
    ("troncato.xlsx", ostili.troncato, DANNEGGIATO.format("troncato.xlsx", XLSX)),
    (
        "rinominato.ods",
        lambda: ostili.xlsx_openpyxl({"U": [["a"]]}),
        DANNEGGIATO.format("rinominato.ods", ODS),
    ),
    (
        "rinominato.xlsx",
        lambda: ostili.ods_grezzo(ostili.tabella_ods("U", ostili.riga_ods("a"))),
        DANNEGGIATO.format("rinominato.xlsx", XLSX),
    ),
    (
        "rinominato.xls",
        lambda: ostili.xlsx_openpyxl({"U": [["a"]]}),
        DANNEGGIATO.format("rinominato.xls", XLS),
    ),
    ("documento.xls", lambda: ostili.ole2(["WordDocument"]), DANNEGGIATO.format("documento.xls", XLS)),
    ("vuoto.xlsx", lambda: ostili.zip_di({}), DANNEGGIATO.format("vuoto.xlsx", XLSX)),
    ("malformato.xlsx", ostili.xml_malformato, DANNEGGIATO.format("malformato.xlsx", XLSX)),
    ("risate.xlsx", ostili.risate, DANNEGGIATO.format("risate.xlsx", XLSX)),
    ("xxe.xlsx", ostili.entita_esterna, DANNEGGIATO.format("xxe.xlsx", XLSX)),
    (
        "lungo.csv",
        lambda: b"a;b\n" * 250_000,
        "Il file ha 250.000 righe: il massimo è 200.000. Dividere l'elenco in più file.",
    ),
]


@pytest.mark.parametrize(("nome", "costruisci", "messaggio"), CASI, ids=[c[0] for c in CASI])
def test_a_hostile_file_ends_the_upload_with_its_message_and_writes_nothing(
    client,
    piano_cremonese,
    soresina,
    operatore,
    nome,
    costruisci,
    messaggio,
    django_capture_on_commit_callbacks,
):
    contenuto = costruisci()
    assert (
        _rifiutato(client, piano_cremonese, soresina, contenuto, nome, django_capture_on_commit_callbacks)
        == messaggio
    )


@pytest.mark.parametrize(
    ("nome", "contenuto", "messaggio"),
    [
        ("vuoto.csv", b"", "Il file è vuoto."),
        (
            "enorme.xlsx",
            b"PK\x03\x04" + bytes(21 * 1024 * 1024),
            "Il file «enorme.xlsx» è troppo grande (21,0 MB): la dimensione massima è 20,0 MB. Dividere "
            "l&#x27;elenco in più file o togliere i fogli non necessari.",
        ),
        (
            "programma.exe",
            b"MZ\x90\x00",
            "Il file «programma.exe» non è in un formato ammesso: caricare un foglio di calcolo Excel (.xlsx, "
            ".xls), OpenDocument (.ods) o un file CSV (.csv).",
        ),
    ],
)
def test_files_refused_before_being_stored(
    client, piano_cremonese, soresina, operatore, nome, contenuto, messaggio
):
    unita = UnitaAbitativa.objects.count()
    risposta = _carica(client, piano_cremonese, soresina, contenuto, nome)
    assert risposta.status_code == 200
    assert messaggio in risposta.content.decode()
    assert not Caricamento.objects.exists()
    assert UnitaAbitativa.objects.count() == unita


def test_hidden_sheets_are_reported_in_the_preview_and_not_read(client, piano_cremonese, soresina, operatore):
    contenuto = ostili.foglio_molto_nascosto(INTESTAZIONI, RIGA)
    _carica(client, piano_cremonese, soresina, contenuto, "nascosti.xlsx")
    caricamento = Caricamento.objects.get()
    assert caricamento.stato == StatoCaricamento.ANTEPRIMA
    avviso = (
        "I fogli «Segreto», «Altro» sono nascosti e non sono stati letti: se contengono dati da caricare, "
        "renderli visibili, salvare il file e caricarlo di nuovo."
    )
    assert avviso in caricamento.anteprima["avvisi"]
    assert (
        avviso in client.get(_url("caricamento", piano_cremonese, soresina, caricamento.pk)).content.decode()
    )


@pytest.mark.parametrize("formato", ["xlsx", "ods"])
def test_one_hidden_sheet_is_reported_in_the_singular(piano_cremonese, soresina, formato):
    if formato == "xlsx":
        contenuto = ostili.foglio_nascosto(INTESTAZIONI, RIGA)
        nascosto = "Vecchi dati"
    else:
        contenuto = ostili.ods_foglio_nascosto(INTESTAZIONI, RIGA)
        nascosto = "Nascosto"
    analisi = importazione.analizza(
        contenuto=contenuto, nome_file=f"u.{formato}", piano=piano_cremonese, ente=soresina
    )
    assert (
        f"Il foglio «{nascosto}» è nascosto e non è stato letto: se contiene dati da caricare, renderlo "
        in ("\n".join(analisi.avvisi))
    )
    # Only the visible sheet is read: its one unit, not the hidden copy's.
    assert [r.id_regionale for r in analisi.nuove] == ["T-OST-1"]


def test_a_million_empty_rows_after_the_data_are_harmless(piano_cremonese, soresina):
    """LibreOffice writes formatted empty rows as one repeated row: neither the measure nor the
    reader counts them."""
    contenuto = ostili.ods_righe_vuote_in_fondo(INTESTAZIONI, RIGA)
    assert importazione.conta_righe(contenuto, "coda.ods") == 2
    analisi = importazione.analizza(
        contenuto=contenuto, nome_file="coda.ods", piano=piano_cremonese, ente=soresina
    )
    assert [r.id_regionale for r in analisi.nuove] == ["T-OST-1"]


def test_the_row_count_for_the_background_comes_from_measuring_without_parsing():
    contenuto = ostili.xlsx_grezzo(
        [("U", "visible", ostili.foglio_xml('<row r="1">' + ostili.cella("A1", "a") + "</row>", "A1:J2500"))]
    )
    with mock.patch("subprocess.run", side_effect=AssertionError("nessun processo per contare")):
        assert importazione.conta_righe(contenuto, "u.xlsx") == 2500
        assert importazione.in_background(contenuto, "u.xlsx") is True
        # A file that cannot be measured counts 0 (the analysis refuses it at once); nothing raises.
        assert importazione.conta_righe(ostili.cella_xfd(), "xfd.xlsx") == 0
        assert importazione.conta_righe(ostili.protetto_da_password(), "p.xlsx") == 0


def test_a_file_that_aborts_the_reader_in_the_background_ends_in_error(
    client, settings, piano_cremonese, soresina, operatore, django_capture_on_commit_callbacks
):
    """Measured at 10 rows (a lying dimension), sent to the task, aborts calamine: the task ends the
    upload with its message instead of leaving it «In lettura»."""
    settings.POA_IMPORTAZIONE_RIGHE_IN_BACKGROUND = 5
    xml = ostili.foglio_xml(
        ostili.cella("A1", "a") + '<row r="1048576">' + ostili.cella("XFD1048576", "x") + "</row>", "A1:B10"
    )
    contenuto = ostili.xlsx_grezzo([("Unità", "visible", xml)])
    unita = UnitaAbitativa.objects.count()
    with (
        mock.patch(
            "patrimonio.views.analizza_caricamento_task.delay", wraps=importazione.analizza_caricamento
        ) as task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        _carica(client, piano_cremonese, soresina, contenuto, "bg.xlsx")
    caricamento = Caricamento.objects.get()
    task.assert_called_once_with(caricamento.pk)
    assert caricamento.stato == StatoCaricamento.CON_ERRORI
    assert caricamento.errori[0]["messaggio"] == TROPPO_PESANTE.format("bg.xlsx")
    assert UnitaAbitativa.objects.count() == unita


def test_the_child_is_aborted_by_its_memory_limit_not_this_process(caplog):
    with pytest.raises(importazione.FileNonValido) as errore:
        lettura.leggi_isolato(ostili.cella_xfd_dimensione_falsa(), "xfd.xlsx", "xlsx")
    assert str(errore.value) == TROPPO_PESANTE.format("xfd.xlsx")
    assert "lettura non riuscita (codice -6)" in caplog.text  # SIGABRT: Rust's failed allocation
    assert os.getpid() > 0  # still running


def test_a_read_over_the_time_limit_is_stopped(settings, monkeypatch):
    """A reader that has not answered within the limit is killed and the upload refused. The reader
    here is a child that sleeps, so the test does not hang on how fast calamine is on the machine."""
    settings.POA_IMPORTAZIONE_TEMPO_LETTURA = 1

    def lento() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-c", "import sys, time; sys.stdin.buffer.readline(); time.sleep(60)"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    monkeypatch.setattr(lettura, "_SCORTA", None)
    monkeypatch.setattr(lettura, "_avvia", lento)
    inizio = time.monotonic()
    with pytest.raises(importazione.FileNonValido) as errore:
        lettura.leggi_isolato(
            ostili.ods_grezzo(ostili.tabella_ods("U", ostili.riga_ods("a"))), "lento.ods", "ods"
        )
    assert str(errore.value) == (
        "La lettura del file «lento.ods» ha superato il tempo massimo di 1 secondo ed è stata interrotta: "
        "nessun dato è stato letto. Dividere l'elenco in più file."
    )
    assert time.monotonic() - inizio < 30  # killed at the limit, not after the child's minute


def test_a_sheet_longer_than_it_declares_is_refused_after_reading(settings):
    settings.POA_IMPORTAZIONE_RIGHE_MASSIME = 5
    righe = "".join(f'<row r="{n}">{ostili.cella(f"A{n}", "x")}</row>' for n in range(1, 11))
    contenuto = ostili.xlsx_grezzo([("Unità", "visible", ostili.foglio_xml(righe, "A1:A2"))])
    with pytest.raises(importazione.FileNonValido) as errore:
        lettura.leggi(contenuto, "u.xlsx")
    assert (
        str(errore.value) == "Il foglio «Unità» ha 10 righe: il massimo è 5. Dividere l'elenco in più file."
    )


def test_the_childs_output_is_unpickled_with_an_allow_list():
    """Only plain values and dates come back: a forged output naming another global is refused."""
    veleno = pickle.dumps(os.system)  # pickled by reference: unpickling would hand back os.system
    intestazione = pickle.dumps(("U", 0, 1))
    dati = (
        b"F"
        + struct.pack("<Q", len(intestazione))
        + intestazione
        + b"B"
        + struct.pack("<Q", len(veleno))
        + veleno
    )
    dati += b"E" + struct.pack("<Q", 0)
    (foglio,) = lettura._fogli(dati, "u.xlsx", "xlsx")
    with pytest.raises(pickle.UnpicklingError, match="posix.system non ammesso"):
        list(foglio.righe)
    with pytest.raises(importazione.FileNonValido):
        lettura._fogli(dati[:-5], "u.xlsx", "xlsx")  # no end record: an incomplete output


def test_dates_and_numbers_come_back_from_the_child():
    contenuto = ostili.xlsx_openpyxl({"U": [["a", 1, 2.5, True, datetime.datetime(2026, 12, 1, 8, 30)]]})
    (foglio,) = lettura.leggi(contenuto, "u.xlsx").fogli
    assert list(foglio.righe) == [["a", 1, 2.5, True, datetime.datetime(2026, 12, 1, 8, 30)]]
    assert (foglio.nome, foglio.prima_colonna, foglio.altezza) == ("U", 0, 1)


def test_measuring_names_the_column_letters():
    assert [misura.colonna(n) for n in (1, 26, 27, 500, 16_384)] == ["A", "Z", "AA", "SF", "XFD"]
    assert misura.numero(1_048_576) == "1.048.576"


def _senza_dimensione(righe: int, colonne: int) -> bytes:
    """What openpyxl's write-only mode (and other streaming writers) saves: no ``<dimension>``."""
    cartella = openpyxl.Workbook(write_only=True)
    foglio = cartella.create_sheet("U")
    for n in range(righe):
        foglio.append([f"r{n}"] * colonne)
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()


def test_a_sheet_without_dimension_is_measured_by_streaming_it():
    (estensione,) = misura.misura(_senza_dimensione(3_000, 3), "u.xlsx", "xlsx").fogli
    assert (estensione.righe, estensione.colonne) == (3_000, 3)
    (estensione,) = misura.misura(_senza_dimensione(10, 30), "u.xlsx", "xlsx").fogli
    assert (estensione.righe, estensione.colonne) == (10, 30)  # column AD


def test_the_background_count_stops_past_its_threshold(settings):
    settings.POA_IMPORTAZIONE_RIGHE_IN_BACKGROUND = 100
    contenuto = _senza_dimensione(60_000, 2)
    assert importazione.conta_righe(contenuto, "u.xlsx") == 60_000
    assert 100 < importazione.conta_righe(contenuto, "u.xlsx", fino_a=100) < 60_000
    assert importazione.in_background(contenuto, "u.xlsx") is True


def test_the_spare_child_is_used_once_and_only_by_the_process_that_started_it(monkeypatch):
    lettura.leggi(ostili.xlsx_openpyxl({"U": [["a"]]}), "u.xlsx")
    assert lettura._SCORTA is not None
    pid, scorta = lettura._SCORTA
    assert pid == os.getpid() and scorta.poll() is None  # started after the read, waiting
    assert lettura._prendi_figlio() is scorta
    assert lettura._SCORTA is None  # taken: the next read gets another
    scorta.communicate(b"")  # an empty first line: the spare exits
    assert scorta.returncode == 0
    ereditata = lettura._avvia()  # a spare inherited through a fork belongs to another process
    monkeypatch.setattr(lettura, "_SCORTA", (os.getpid() + 1, ereditata))
    nuovo = lettura._prendi_figlio()
    assert nuovo is not ereditata
    for figlio in (ereditata, nuovo):
        figlio.communicate(b"")
