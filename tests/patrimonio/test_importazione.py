"""Spreadsheet upload (issue 8): read → validate every row → preview → confirm, who may write what,
every kind of bad input, the regional platform's layouts, the background path and the command."""

from __future__ import annotations

import csv
import io
import pathlib
import zipfile
from unittest import mock

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models.query import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl.worksheet.worksheet import Worksheet

from patrimonio import importazione
from patrimonio.esportazione import modello_ente
from patrimonio.importazione import DatiCambiati, analizza, registra
from patrimonio.models import EnteProprietario, Ruolo, TipoEnte, UnitaAbitativa
from patrimonio.resources import COLONNE_UNITA
from piano_annuale.models import (
    Caricamento,
    PianoAnnuale,
    Stato,
    StatoCaricamento,
    StatoUnita,
    TurnoverPrevisto,
)
from piano_annuale.services.ente import salva_unita
from tests.builders import crea_ambito
from tests.utenti import crea_operatore, fotografia, hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)

DATI = pathlib.Path(__file__).resolve().parent / "dati"
ID_DI_CREMONA = "36501269"  # a free unit of the Comune di Cremona in the fixture
ID_DI_ALER = "3155513"  # a free unit of ALER in Acquanegra Cremonese
INTESTAZIONI = [c.intestazione for c in COLONNE_UNITA if c.chiave != "pk"]


# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded files go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def enti(piano_cremonese):
    ambito = piano_cremonese.ambito
    return {
        "cremona": EnteProprietario.objects.select_related("comune").get(comune__nome="Cremona"),
        "soresina": EnteProprietario.objects.select_related("comune").get(comune__nome="Soresina"),
        "aler": EnteProprietario.objects.get(ambito=ambito, tipo=TipoEnte.ALER),
    }


@pytest.fixture
def aperti(piano_cremonese, enti):
    """The fixture's enti sent their answers: reopen them so their data may change."""
    for ente in enti.values():
        riapri_per_il_test(piano_cremonese, ente)


@pytest.fixture
def utenti(piano_cremonese, enti):
    ambito = piano_cremonese.ambito
    return {
        "ufficio": crea_operatore("ufficio", ambito, Ruolo.UFFICIO_DI_PIANO),
        "cremona": crea_operatore("cremona", ambito, Ruolo.COMUNE, enti["cremona"]),
        "soresina": crea_operatore("soresina", ambito, Ruolo.COMUNE, enti["soresina"]),
        "aler": crea_operatore("aler", ambito, Ruolo.ALER, enti["aler"]),
    }


def xlsx(fogli: dict[str, list[list]]) -> bytes:
    cartella = openpyxl.Workbook()
    foglio_vuoto = cartella.active
    assert foglio_vuoto is not None  # a new workbook has one sheet
    cartella.remove(foglio_vuoto)
    for nome, righe in fogli.items():
        foglio = cartella.create_sheet(nome)
        for riga in righe:
            foglio.append(riga)
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()


def csv_file(righe: list[list], *, separatore: str = ";", codifica: str = "utf-8-sig") -> bytes:
    uscita = io.StringIO()
    csv.writer(uscita, delimiter=separatore).writerows(righe)
    return uscita.getvalue().encode(codifica)


def riga(
    *,
    ente: str = "Comune di Soresina",
    id_regionale: str = "",
    codice: str = "",
    comune: str = "Soresina",
    istat: str = "",
    servizio: str = "SAP",
    indirizzo: str = "",
    stato: str = "libera",
    programma: str = "",
    note: str = "",
) -> list[str]:
    return [ente, id_regionale, codice, comune, istat, servizio, indirizzo, stato, programma, note]


def righe_del_modello(piano: PianoAnnuale, ente: EnteProprietario) -> list[list[str]]:
    """The ente's template (csv) as rows, header first, to change and upload again."""
    contenuto = modello_ente(piano=piano, ente=ente, formato="csv").contenuto.decode("utf-8-sig")
    return [list(r) for r in csv.reader(io.StringIO(contenuto), delimiter=";")]


def soresina_con(*righe_nuove: list[str]) -> bytes:
    """Soresina's full list (its 11 anonymous units, kept by their internal ids) plus new rows."""
    piano = PianoAnnuale.objects.get(anno=2025, ambito__nome__icontains="Cremonese")
    ente = EnteProprietario.objects.get(comune__nome="Soresina")
    righe = righe_del_modello(piano, ente)
    # The template has the internal id as last column: new rows leave it empty.
    return csv_file(righe + [[*r, ""] for r in righe_nuove])


def esegui(piano, ente, contenuto: bytes, nome: str = "unita.csv", **kwargs):
    return analizza(contenuto=contenuto, nome_file=nome, piano=piano, ente=ente, **kwargs)


def messaggi(analisi) -> str:
    return "\n".join(f"{e.riga}|{e.colonna}|{e.valore}|{e.messaggio}" for e in analisi.errori)


def url(nome: str, piano, ente, *altri) -> str:
    return reverse(f"patrimonio:{nome}", args=[piano.pk, ente.pk, *altri])


def carica(client, piano, ente, contenuto: bytes, nome: str = "unita.csv", altri: dict | None = None):
    return client.post(url("caricamenti", piano, ente), {"file": _upload(contenuto, nome), **(altri or {})})


def _upload(contenuto: bytes, nome: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(nome, contenuto)


# --------------------------------------------------------------------------------------------
# Template round trip and the preview
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("formato", ["xlsx", "ods", "csv"])
def test_the_template_uploaded_unchanged_changes_nothing(piano_cremonese, enti, formato):
    ente = enti["cremona"]
    modello = modello_ente(piano=piano_cremonese, ente=ente, formato=formato)
    analisi = esegui(piano_cremonese, ente, modello.contenuto, modello.nome)
    assert analisi.valida, messaggi(analisi)
    assert analisi.invariate == UnitaAbitativa.objects.filter(ente=ente).count() == 22
    assert not analisi.ci_sono_modifiche
    assert analisi.sezioni_prima == analisi.sezioni_dopo


def test_preview_lists_added_changed_removed_and_counts_per_section(piano_cremonese, enti, aperti):
    ente = enti["cremona"]
    righe = righe_del_modello(piano_cremonese, ente)
    intestazione, dati = righe[0], righe[1:]
    i_id, i_stato = intestazione.index("ID regionale"), intestazione.index("Stato nell'anno")
    i_prog = intestazione.index("Programma / lotto")
    # ID_DI_CREMONA goes from free to carenza; 36502011 is dropped; a new unit is added.
    for r in dati:
        if r[i_id] == ID_DI_CREMONA:
            r[i_stato] = "carenza"
    dati = [r for r in dati if r[i_id] != "36502011"]
    nuova = [
        "Comune di Cremona",
        "T-NUOVA-1",
        "CR-NEW",
        "Cremona",
        "019036",
        "SAP",
        "Via Nuova 1",
        "libera",
        "",
        "",
        "",
    ]
    analisi = esegui(piano_cremonese, ente, csv_file([intestazione, *dati, nuova]))
    assert analisi.valida, messaggi(analisi)
    assert [r.id_regionale for r in analisi.nuove] == ["T-NUOVA-1"]
    assert [m.riga.id_regionale for m in analisi.modifiche] == [ID_DI_CREMONA]
    rimossa = UnitaAbitativa.objects.get(id_regionale="36502011")
    assert analisi.rimosse == [rimossa.pk]
    assert analisi.invariate == 20
    assert analisi.sezioni_prima[Stato.LIBERA] == 3
    assert analisi.sezioni_dopo[Stato.LIBERA] == 2  # -1 changed, -1 removed, +1 new
    assert analisi.sezioni_dopo[Stato.CARENZA_MANUTENTIVA] == 1
    anteprima = importazione.anteprima(analisi)
    assert anteprima["conteggi"] == {
        "aggiunte": 1,
        "modificate": 1,
        "rimosse": 1,
        "cancellate": 1,
        "invariate": 20,
        "errori": 0,
        "turnover": 0,
    }
    cambi = anteprima["modificate"][0]["cambi"]
    assert cambi == [
        {"campo": "Stato nell'anno", "prima": "e) Già libera", "dopo": "b) In carenza manutentiva (art. 10)"}
    ]
    b = next(s for s in anteprima["sezioni"] if s["codice"] == "b")
    assert (b["prima"], b["dopo"], b["differenza"]) == (0, 1, 1)
    assert i_prog  # the template has the programme column


def test_confirmed_upload_writes_only_the_changed_rows_in_one_transaction(piano_cremonese, enti, aperti):
    ente = enti["cremona"]
    righe = righe_del_modello(piano_cremonese, ente)
    intestazione, dati = righe[0], righe[1:]
    i_id, i_note = intestazione.index("ID regionale"), intestazione.index("Note")
    for r in dati:
        if r[i_id] == ID_DI_CREMONA:
            r[i_note] = "Libera dal 1° marzo"
    analisi = esegui(piano_cremonese, ente, csv_file([intestazione, *dati]))
    assert analisi.valida, messaggi(analisi)
    aggiornati: list = []
    originale = QuerySet.bulk_update

    def spia(self, oggetti, campi, **kwargs):
        oggetti = list(oggetti)
        aggiornati.append((self.model.__name__, [o.pk for o in oggetti], list(campi)))
        return originale(self, oggetti, campi, **kwargs)

    with mock.patch.object(QuerySet, "bulk_update", spia), CaptureQueriesContext(connection) as query:
        esito = registra(analisi=analisi, utente=None)
    stato = StatoUnita.objects.get(piano=piano_cremonese, unita__id_regionale=ID_DI_CREMONA)
    assert stato.note == "Libera dal 1° marzo"
    assert (esito.aggiunte, esito.modificate, esito.rimosse, esito.invariate) == (0, 1, 0, 21)
    # One state updated, in its one changed column; no unit, no other state rewritten.
    assert aggiornati == [("StatoUnita", [stato.pk], ["note"])]
    scritture = [
        q["sql"] for q in query.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")
    ]
    assert len(scritture) <= 4, scritture  # the state, the answer's timestamp (and its creation)


def test_nothing_is_written_before_confirmation_and_confirming_writes(
    client, piano_cremonese, enti, utenti, aperti
):
    ente = enti["soresina"]
    client.force_login(utenti["soresina"])
    prima = fotografia()
    risposta = carica(client, piano_cremonese, ente, soresina_con(riga(id_regionale="T-SOR-1")))
    caricamento = Caricamento.objects.get(ente=ente)
    assert risposta.status_code == 302
    assert risposta["Location"] == url("caricamento", piano_cremonese, ente, caricamento.pk)
    assert caricamento.stato == StatoCaricamento.ANTEPRIMA
    assert (caricamento.aggiunte, caricamento.invariate) == (1, 11)
    assert fotografia() == prima  # the preview wrote nothing
    pagina = client.get(risposta["Location"])
    assert "Conferma e registra le modifiche" in pagina.content.decode()
    assert "T-SOR-1" in pagina.content.decode()

    risposta = client.post(url("caricamento_conferma", piano_cremonese, ente, caricamento.pk))
    assert risposta.status_code == 302
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.CONFERMATO, caricamento.esito
    assert caricamento.completato_il is not None
    unita = UnitaAbitativa.objects.get(id_regionale="T-SOR-1")
    assert unita.ente == ente
    assert StatoUnita.objects.get(piano=piano_cremonese, unita=unita).stato == Stato.LIBERA
    # A second confirmation (double click) writes nothing more.
    client.post(url("caricamento_conferma", piano_cremonese, ente, caricamento.pk))
    assert UnitaAbitativa.objects.filter(id_regionale="T-SOR-1").count() == 1


def test_history_keeps_the_original_file_who_when_outcome_and_counts(
    client, piano_cremonese, enti, utenti, aperti
):
    ente = enti["soresina"]
    client.force_login(utenti["soresina"])
    contenuto = soresina_con(riga(id_regionale="T-SOR-STORIA"))
    carica(client, piano_cremonese, ente, contenuto, "soresina 2025.csv")
    caricamento = Caricamento.objects.get(ente=ente)
    assert caricamento.utente == utenti["soresina"]
    assert caricamento.nome_file == "soresina 2025.csv"
    assert caricamento.formato == "csv"
    scaricato = client.get(url("caricamento_file", piano_cremonese, ente, caricamento.pk))
    assert b"".join(scaricato.streaming_content) == contenuto
    pagina = client.get(url("caricamenti", piano_cremonese, ente)).content.decode()
    assert "soresina 2025.csv" in pagina
    assert "Anteprima pronta" in pagina


def test_an_upload_with_errors_cannot_be_confirmed(client, piano_cremonese, enti, utenti, aperti):
    ente = enti["soresina"]
    client.force_login(utenti["soresina"])
    prima = fotografia()
    carica(client, piano_cremonese, ente, soresina_con(riga(id_regionale="T-X", stato="boh")))
    caricamento = Caricamento.objects.get(ente=ente)
    assert caricamento.stato == StatoCaricamento.CON_ERRORI
    assert caricamento.errori[0]["valore"] == "boh"
    pagina = client.get(url("caricamento", piano_cremonese, ente, caricamento.pk)).content.decode()
    assert "Conferma e registra" not in pagina
    assert "Stato non riconosciuto" in pagina
    client.post(url("caricamento_conferma", piano_cremonese, ente, caricamento.pk))
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.CON_ERRORI
    assert fotografia() == prima
    errori = client.get(url("caricamento_errori", piano_cremonese, ente, caricamento.pk))
    assert "Stato non riconosciuto" in errori.content.decode("utf-8-sig")
    with pytest.raises(importazione.ImportazioneNonValida):
        registra(analisi=esegui(piano_cremonese, ente, soresina_con(riga(stato="boh"))), utente=None)


def test_cancelling_a_preview_writes_nothing(client, piano_cremonese, enti, utenti, aperti):
    ente = enti["soresina"]
    client.force_login(utenti["soresina"])
    prima = fotografia()
    carica(client, piano_cremonese, ente, soresina_con(riga(id_regionale="T-ANNULLA")))
    caricamento = Caricamento.objects.get(ente=ente)
    client.post(url("caricamento_annulla", piano_cremonese, ente, caricamento.pk))
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.ANNULLATO
    client.post(url("caricamento_conferma", piano_cremonese, ente, caricamento.pk))
    assert fotografia() == prima


def test_a_change_between_preview_and_confirmation_shows_the_new_preview(
    client, piano_cremonese, enti, utenti, aperti
):
    ente = enti["soresina"]
    client.force_login(utenti["soresina"])
    carica(client, piano_cremonese, ente, soresina_con(riga(id_regionale="T-RACE")))
    caricamento = Caricamento.objects.get(ente=ente)
    # Meanwhile someone adds a unit in the workspace: the file would now remove it.
    salva_unita(
        piano=piano_cremonese,
        ente=ente,
        utente=utenti["soresina"],
        valori_unita={"comune_id": ente.comune_id, "id_regionale": "T-INTANTO", "tipo": "SAP"},
        valori_stato={"stato": Stato.LIBERA},
    )
    prima = fotografia()
    client.post(url("caricamento_conferma", piano_cremonese, ente, caricamento.pk))
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.ANTEPRIMA
    assert "cambiati dopo l'anteprima" in caricamento.esito
    assert caricamento.rimosse == 1  # the new preview shows the unit added meanwhile going away
    assert fotografia() == prima


def test_registra_refuses_an_analysis_older_than_the_data(piano_cremonese, enti, aperti):
    ente = enti["soresina"]
    analisi = esegui(piano_cremonese, ente, soresina_con(riga(id_regionale="T-VECCHIA")))
    salva_unita(
        piano=piano_cremonese,
        ente=ente,
        utente=get_user_model().objects.create_user("altro.operatore"),
        valori_unita={"comune_id": ente.comune_id, "id_regionale": "T-NEL-FRATTEMPO", "tipo": "SAP"},
        valori_stato=None,
    )
    prima = fotografia()
    with pytest.raises(DatiCambiati):
        registra(analisi=analisi, utente=None)
    assert fotografia() == prima


def test_a_locked_ente_cannot_upload(client, piano_cremonese, enti, utenti):
    """The fixture's answers are sent: the data are locked until the ufficio di piano reopens them."""
    client.force_login(utenti["soresina"])
    prima = fotografia()
    risposta = carica(client, piano_cremonese, enti["soresina"], soresina_con(riga(id_regionale="T-BLOCCO")))
    assert risposta.status_code == 403
    assert not Caricamento.objects.exists()
    assert fotografia() == prima


# --------------------------------------------------------------------------------------------
# Who may write what
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("altro", ["Comune di Cremona", "ALER Brescia-Cremona-Mantova"])
def test_a_row_of_another_comune_or_ente_is_rejected(piano_cremonese, enti, aperti, altro):
    prima = fotografia()
    analisi = esegui(
        piano_cremonese, enti["soresina"], soresina_con(riga(ente=altro, id_regionale="T-ALTRUI"))
    )
    assert not analisi.valida
    (errore,) = analisi.errori
    assert errore.colonna.startswith("Ente proprietario")
    assert f"La riga è di «{altro}»" in errore.messaggio
    with pytest.raises(importazione.ImportazioneNonValida):
        registra(analisi=analisi, utente=None)
    assert fotografia() == prima


def test_an_id_regionale_of_another_ente_is_rejected_and_its_unit_untouched(
    client, piano_cremonese, enti, utenti, aperti
):
    client.force_login(utenti["soresina"])
    prima = fotografia()
    carica(
        client,
        piano_cremonese,
        enti["soresina"],
        soresina_con(riga(id_regionale=ID_DI_ALER, stato="carenza")),
    )
    caricamento = Caricamento.objects.get()
    assert caricamento.stato == StatoCaricamento.CON_ERRORI
    (errore,) = caricamento.errori
    assert errore["valore"] == ID_DI_ALER
    assert "già attribuito a un'unità di un altro ente" in errore["messaggio"]
    assert "ALER" not in errore["messaggio"]  # whose unit it is, is not disclosed
    assert fotografia() == prima
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_ALER)
    assert unita.ente == enti["aler"]
    assert StatoUnita.objects.get(unita=unita, piano=piano_cremonese).stato == Stato.LIBERA


@pytest.mark.parametrize("colonna", ["ID interno", "id"])
def test_a_crafted_internal_id_of_another_entes_unit_is_rejected(piano_cremonese, enti, aperti, colonna):
    """A hidden «id» column (or the template's own) carrying the database id of Cremona's unit."""
    altrui = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    righe = [[*INTESTAZIONI, colonna], [*riga(id_regionale="T-FINTA", stato="carenza"), str(altrui.pk)]]
    prima = fotografia()
    analisi = esegui(piano_cremonese, enti["soresina"], csv_file(righe))
    assert not analisi.valida
    (errore,) = analisi.errori
    assert errore.valore == str(altrui.pk)
    assert "non è di un'unità di «Comune di Soresina»" in errore.messaggio
    assert fotografia() == prima
    assert UnitaAbitativa.objects.get(pk=altrui.pk).id_regionale == ID_DI_CREMONA


def test_uploading_to_another_entes_page_is_not_found_and_stores_nothing(
    client, piano_cremonese, enti, utenti, aperti
):
    client.force_login(utenti["soresina"])
    prima = fotografia()
    contenuto = csv_file([INTESTAZIONI, riga(ente="Comune di Cremona", comune="Cremona", id_regionale="T-X")])
    assert carica(client, piano_cremonese, enti["cremona"], contenuto).status_code == 404
    assert client.get(url("caricamenti", piano_cremonese, enti["cremona"])).status_code == 404
    assert client.get(url("modello", piano_cremonese, enti["cremona"], "xlsx")).status_code == 404
    assert not Caricamento.objects.exists()
    assert fotografia() == prima


def test_a_posted_ente_id_cannot_redirect_the_upload(client, piano_cremonese, enti, utenti, aperti):
    """The ente is the page's: a posted «ente» field naming Cremona changes nothing of Cremona."""
    client.force_login(utenti["soresina"])
    unita_cremona = list(UnitaAbitativa.objects.filter(ente=enti["cremona"]).values_list())
    carica(
        client,
        piano_cremonese,
        enti["soresina"],
        soresina_con(riga(id_regionale="T-POST")),
        altri={"ente": str(enti["cremona"].pk)},
    )
    caricamento = Caricamento.objects.get()
    assert caricamento.ente == enti["soresina"]
    client.post(
        url("caricamento_conferma", piano_cremonese, enti["soresina"], caricamento.pk),
        {"ente": enti["cremona"].pk},
    )
    assert UnitaAbitativa.objects.get(id_regionale="T-POST").ente == enti["soresina"]
    assert list(UnitaAbitativa.objects.filter(ente=enti["cremona"]).values_list()) == unita_cremona


def test_another_entes_upload_is_not_found_under_ones_own_page(client, piano_cremonese, enti, utenti, aperti):
    client.force_login(utenti["cremona"])
    carica(
        client, piano_cremonese, enti["cremona"], csv_file([INTESTAZIONI, riga(ente="", comune="Cremona")])
    )
    di_cremona = Caricamento.objects.get()
    client.force_login(utenti["soresina"])
    for nome in ("caricamento", "caricamento_stato", "caricamento_file", "caricamento_errori"):
        assert client.get(url(nome, piano_cremonese, enti["soresina"], di_cremona.pk)).status_code == 404
        assert client.get(url(nome, piano_cremonese, enti["cremona"], di_cremona.pk)).status_code == 404
    for nome in ("caricamento_conferma", "caricamento_annulla"):
        assert client.post(url(nome, piano_cremonese, enti["soresina"], di_cremona.pk)).status_code == 404
    di_cremona.refresh_from_db()
    assert di_cremona.stato != StatoCaricamento.ANNULLATO


def test_the_ufficio_di_piano_may_upload_for_an_ente_of_its_ambito(
    client, piano_cremonese, enti, utenti, aperti
):
    client.force_login(utenti["ufficio"])
    carica(client, piano_cremonese, enti["soresina"], soresina_con(riga(id_regionale="T-UFFICIO")))
    caricamento = Caricamento.objects.get()
    assert caricamento.stato == StatoCaricamento.ANTEPRIMA
    assert caricamento.utente == utenti["ufficio"]


# --------------------------------------------------------------------------------------------
# Bad input: a clear message and nothing written
# --------------------------------------------------------------------------------------------


def _rifiutato(piano, ente, contenuto: bytes, nome: str = "unita.csv") -> str:
    prima = fotografia()
    analisi = esegui(piano, ente, contenuto, nome)
    assert not analisi.valida
    assert not analisi.ci_sono_modifiche
    with pytest.raises(importazione.ImportazioneNonValida):
        registra(analisi=analisi, utente=None)
    assert fotografia() == prima
    return messaggi(analisi)


def test_wrong_headers(piano_cremonese, enti, aperti):
    testo = _rifiutato(
        piano_cremonese,
        enti["soresina"],
        csv_file([["Nome", "Cognome", "Telefono"], ["Mario", "Rossi", "123"]]),
    )
    assert "Le intestazioni delle colonne non sono state riconosciute" in testo
    assert "«Nome», «Cognome», «Telefono»" in testo
    assert "«ID regionale», «Comune», «Stato nell'anno»" in testo


def test_missing_header(piano_cremonese, enti, aperti):
    intestazioni = [i for i in INTESTAZIONI if i != "Stato nell'anno"]
    testo = _rifiutato(piano_cremonese, enti["soresina"], csv_file([intestazioni, riga()[:7] + riga()[8:]]))
    assert "1|Stato nell'anno||Manca la colonna «Stato nell'anno»" in testo


def test_duplicated_header(piano_cremonese, enti, aperti):
    testo = _rifiutato(
        piano_cremonese, enti["soresina"], csv_file([[*INTESTAZIONI, "Comune"], [*riga(), "Soresina"]])
    )
    assert "La colonna compare due volte" in testo


def test_unknown_comune(piano_cremonese, enti, aperti):
    testo = _rifiutato(
        piano_cremonese, enti["soresina"], soresina_con(riga(id_regionale="T-A", comune="Atlantide"))
    )
    assert "|Comune (colonna D)|Atlantide|Comune «Atlantide» sconosciuto" in testo


def test_comune_of_another_ambito(piano_cremonese, enti, aperti):
    altro = crea_ambito(nome="Ambito lontano", comuni=1, prefisso_istat="094")
    nome = altro.ambito.comuni.get().nome
    testo = _rifiutato(piano_cremonese, enti["soresina"], soresina_con(riga(id_regionale="T-B", comune=nome)))
    assert f"Il comune di {nome} non fa parte dell'ambito" in testo


def test_comune_name_and_istat_code_that_disagree(piano_cremonese, enti, aperti):
    testo = _rifiutato(
        piano_cremonese,
        enti["soresina"],
        soresina_con(riga(id_regionale="T-C", comune="Soresina", istat="019036")),
    )
    assert "Il codice ISTAT 019036 è del comune di Cremona, non di «Soresina»" in testo


def test_duplicate_id_in_the_file(piano_cremonese, enti, aperti):
    testo = _rifiutato(
        piano_cremonese,
        enti["soresina"],
        soresina_con(riga(id_regionale="T-DOPPIO"), riga(id_regionale="T-DOPPIO", stato="carenza")),
    )
    assert "L'ID regionale T-DOPPIO compare anche alla riga 13" in testo


def test_duplicate_codice_in_the_file(piano_cremonese, enti, aperti):
    testo = _rifiutato(
        piano_cremonese,
        enti["soresina"],
        soresina_con(riga(id_regionale="T-1", codice="S-1"), riga(id_regionale="T-2", codice="S-1")),
    )
    assert "Il codice S-1 compare anche alla riga 13" in testo


def test_duplicate_id_against_another_ente(piano_cremonese, enti, aperti):
    testo = _rifiutato(piano_cremonese, enti["soresina"], soresina_con(riga(id_regionale=ID_DI_CREMONA)))
    assert f"L'ID regionale {ID_DI_CREMONA} è già attribuito a un'unità di un altro ente" in testo


def test_invalid_id_regionale(piano_cremonese, enti, aperti):
    testo = _rifiutato(piano_cremonese, enti["soresina"], soresina_con(riga(id_regionale="12 34")))
    assert "L'ID regionale può contenere solo lettere, cifre" in testo


def test_unknown_state(piano_cremonese, enti, aperti):
    testo = _rifiutato(
        piano_cremonese, enti["soresina"], soresina_con(riga(id_regionale="T-S", stato="occupato"))
    )
    assert "|Stato nell'anno (colonna H)|occupato|Stato non riconosciuto" in testo


def test_programme_only_for_units_in_renovation(piano_cremonese, enti, aperti):
    testo = _rifiutato(
        piano_cremonese,
        enti["soresina"],
        soresina_con(riga(id_regionale="T-P", stato="libera", programma="LOTTO 1")),
    )
    assert "Il programma o lotto si indica solo per le unità in ristrutturazione" in testo


def _turnover(*righe: list) -> bytes:
    return xlsx(
        {
            "Unità abitative": [INTESTAZIONI, riga(id_regionale="T-TURN")],
            "Turnover": [["Comune", "Codice ISTAT", "Numero di alloggi"], *righe],
        }
    )


def test_text_in_a_number_column(piano_cremonese, enti, aperti):
    testo = _rifiutato(piano_cremonese, enti["soresina"], _turnover(["Soresina", "", "tre"]), "unita.xlsx")
    assert "2|Numero di alloggi (colonna C)|tre|Il valore non è un numero" in testo


def test_text_in_the_internal_id_column(piano_cremonese, enti, aperti):
    righe = [[*INTESTAZIONI, "ID interno"], [*riga(id_regionale="T-I"), "abc"]]
    testo = _rifiutato(piano_cremonese, enti["soresina"], csv_file(righe))
    assert "L'ID interno deve essere il numero scritto dal modello" in testo


def test_negative_count(piano_cremonese, enti, aperti):
    testo = _rifiutato(piano_cremonese, enti["soresina"], _turnover(["Soresina", "", -2]), "unita.xlsx")
    assert "2|Numero di alloggi (colonna C)|-2|Il numero di alloggi non può essere negativo." in testo


def test_decimal_count(piano_cremonese, enti, aperti):
    testo = _rifiutato(piano_cremonese, enti["soresina"], _turnover(["Soresina", "", 2.5]), "unita.xlsx")
    assert "Il numero di alloggi deve essere un numero intero." in testo


def test_a_comune_twice_in_the_turnover(piano_cremonese, enti, aperti):
    testo = _rifiutato(
        piano_cremonese, enti["soresina"], _turnover(["Soresina", "", 1], ["SORESINA", "", 2]), "unita.xlsx"
    )
    assert "Il comune di Soresina compare anche alla riga 2" in testo


@pytest.mark.parametrize("contenuto", [b"", b"\xef\xbb\xbf"])
def test_empty_file(piano_cremonese, enti, aperti, contenuto):
    testo = _rifiutato(piano_cremonese, enti["soresina"], contenuto)
    assert "vuoto" in testo or "non contiene dati" in testo


def test_a_file_with_headers_only(piano_cremonese, enti, aperti):
    testo = _rifiutato(piano_cremonese, enti["soresina"], xlsx({"Unità abitative": [INTESTAZIONI]}), "u.xlsx")
    assert "Il file non contiene unità abitative" in testo
    assert "Nulla da dichiarare" in testo


@pytest.mark.parametrize(
    ("contenuto", "nome"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "foto.xlsx"),
        (b"Caro ufficio di piano, ecco i dati.", "lettera.xlsx"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x01\x02", "documento.csv"),
        (b"PK\x03\x04" + b"\x00" * 100, "rotto.xlsx"),
    ],
)
def test_not_a_spreadsheet_or_corrupt(piano_cremonese, enti, aperti, contenuto, nome):
    testo = _rifiutato(piano_cremonese, enti["soresina"], contenuto, nome)
    assert f"«{nome}»" in testo
    assert "non è un foglio di calcolo" in testo or "non è un file CSV di testo" in testo


def test_a_truncated_xlsx_is_corrupt(piano_cremonese, enti, aperti):
    completo = xlsx({"Unità abitative": [INTESTAZIONI, riga(id_regionale="T-T")]})
    testo = _rifiutato(piano_cremonese, enti["soresina"], completo[: len(completo) // 2], "troncato.xlsx")
    assert "danneggiato" in testo


def test_an_ods_renamed_xlsx_is_refused(piano_cremonese, enti, aperti):
    ods = (DATI / "libreoffice_soresina.ods").read_bytes()
    assert "danneggiato" in _rifiutato(piano_cremonese, enti["soresina"], ods, "rinominato.xlsx")


def test_a_format_not_accepted(piano_cremonese, enti, aperti):
    testo = _rifiutato(piano_cremonese, enti["soresina"], b"qualcosa", "unita.pdf")
    assert "non è in un formato ammesso" in testo


def test_a_file_over_the_size_limit_is_refused_before_being_stored(
    client, settings, piano_cremonese, enti, utenti, aperti
):
    settings.POA_IMPORTAZIONE_DIMENSIONE_MASSIMA = 1024
    client.force_login(utenti["soresina"])
    prima = fotografia()
    contenuto = soresina_con(*[riga(id_regionale=f"T-G{n}") for n in range(40)])
    assert len(contenuto) > 1024
    risposta = carica(client, piano_cremonese, enti["soresina"], contenuto)
    assert risposta.status_code == 200
    assert "è troppo grande" in risposta.content.decode()
    assert (
        "la dimensione massima è 0,0 MB" in risposta.content.decode()
        or "massima" in risposta.content.decode()
    )
    assert not Caricamento.objects.exists()
    assert fotografia() == prima
    assert "troppo grande" in messaggi(esegui(piano_cremonese, enti["soresina"], contenuto))


def test_too_many_rows(settings, piano_cremonese, enti, aperti):
    settings.POA_IMPORTAZIONE_RIGHE_MASSIME = 5
    contenuto = xlsx({"Unità abitative": [INTESTAZIONI] + [riga(id_regionale=f"T-R{n}") for n in range(8)]})
    assert "il massimo è 5" in _rifiutato(piano_cremonese, enti["soresina"], contenuto, "u.xlsx")


def test_formulas_are_read_as_the_values_libreoffice_saved_never_evaluated(piano_cremonese, enti, aperti):
    """A LibreOffice-made xlsx with formulas in the ID, the comune, the state and the count."""
    ente = enti["soresina"]
    analisi = esegui(piano_cremonese, ente, (DATI / "libreoffice_formule.xlsx").read_bytes(), "formule.xlsx")
    assert analisi.valida, messaggi(analisi)
    (nuova,) = analisi.nuove
    assert (nuova.id_regionale, nuova.stato, nuova.comune_id) == ("T-F-001", Stato.LIBERA, ente.comune_id)
    (turnover,) = analisi.turnover_nuovi
    assert turnover.numero == 6


def test_a_formula_without_a_saved_value_is_not_evaluated(piano_cremonese, enti, aperti):
    """openpyxl saves formulas without their value: the cell reads empty, the formula never runs."""
    contenuto = xlsx(
        {"Unità abitative": [INTESTAZIONI, riga(id_regionale="T-FX", note="=1+1", stato='="libera"')]}
    )
    analisi = esegui(piano_cremonese, enti["soresina"], contenuto, "u.xlsx")
    assert analisi.valida, messaggi(analisi)
    (nuova,) = analisi.nuove
    assert nuova.stato is None
    assert nuova.note == ""


def test_an_ods_made_by_libreoffice(piano_cremonese, enti, aperti):
    """A real LibreOffice file (repeated empty columns, a formula, numbers where text is expected)."""
    ente = enti["soresina"]
    analisi = esegui(piano_cremonese, ente, (DATI / "libreoffice_soresina.ods").read_bytes(), "soresina.ods")
    assert analisi.valida, messaggi(analisi)
    nuove = {r.id_regionale: r for r in analisi.nuove}
    assert set(nuove) == {"T-LO-001", "T-LO-002", "3001", "T-LO-004"}
    assert nuove["T-LO-002"].codice_ente == "SOR-2"  # the formula's saved value
    assert nuove["T-LO-002"].stato == Stato.CARENZA_MANUTENTIVA
    assert nuove["T-LO-002"].stato_origine == "SFITTO PER CARENZE MANUTENTIVE (Assegnabile in AM)"
    assert nuove["T-LO-002"].note == "Nota con «accenti»: è così"
    assert nuove["3001"].stato is None and nuove["3001"].tipo == "SAS"
    assert nuove["T-LO-004"].programma == "Lotto Soresina 1"
    assert {r.comune_id for r in analisi.nuove} == {ente.comune_id}
    # The file lists none of Soresina's 11 units: a full list removes them from the plan.
    assert len(analisi.rimosse) == 11
    assert [t.numero for t in analisi.turnover_nuovi] == [2]
    registra(analisi=analisi, utente=None)
    assert TurnoverPrevisto.objects.get(piano=piano_cremonese, ente=ente).numero == 2
    assert StatoUnita.objects.filter(piano=piano_cremonese, unita__ente=ente).count() == 3


# --------------------------------------------------------------------------------------------
# Values, encodings, anonymous units, turnover
# --------------------------------------------------------------------------------------------


def test_csv_with_comma_and_windows_1252(piano_cremonese, enti, aperti):
    contenuto = csv_file(
        [INTESTAZIONI, riga(id_regionale="T-1252", indirizzo="Via dell'Università 1")],
        separatore=",",
        codifica="cp1252",
    )
    analisi = esegui(piano_cremonese, enti["soresina"], contenuto)
    assert [r.indirizzo for r in analisi.nuove] == ["Via dell'Università 1"]


def test_numbers_typed_as_numbers_and_names_in_any_case(piano_cremonese, enti, aperti):
    contenuto = xlsx(
        {
            "Unità abitative": [
                INTESTAZIONI,
                ["COMUNE DI SORESINA", 1234567, 89, "SORESINA", 19098, "sap", "", "LIBERA"],
            ]
        }
    )
    analisi = esegui(piano_cremonese, enti["soresina"], contenuto, "u.xlsx")
    assert analisi.valida, messaggi(analisi)
    (nuova,) = analisi.nuove
    assert (nuova.id_regionale, nuova.codice_ente, nuova.tipo) == ("1234567", "89", "SAP")


def test_leading_empty_rows_and_columns_keep_the_row_numbers(piano_cremonese, enti, aperti):
    cartella = openpyxl.Workbook()
    foglio = cartella.active
    assert isinstance(foglio, Worksheet)  # a new workbook's sheet
    for colonna, valore in enumerate(INTESTAZIONI, start=3):
        foglio.cell(row=3, column=colonna, value=valore)
    for colonna, valore in enumerate(riga(id_regionale="T-Z", stato="boh"), start=3):
        foglio.cell(row=4, column=colonna, value=valore)
    uscita = io.BytesIO()
    cartella.save(uscita)
    analisi = esegui(piano_cremonese, enti["soresina"], uscita.getvalue(), "u.xlsx")
    (errore,) = analisi.errori
    assert (errore.riga, errore.colonna) == (4, "Stato nell'anno (colonna J)")


def test_anonymous_units_are_matched_not_duplicated(piano_cremonese, enti, aperti):
    """Soresina's 11 units have neither ID nor codice: a list without internal ids still matches them."""
    ente = enti["soresina"]
    righe = [INTESTAZIONI] + [riga(stato="carenza")] * 2 + [riga(stato="ristrutturazione")] * 9
    analisi = esegui(piano_cremonese, ente, csv_file(righe))
    assert analisi.valida, messaggi(analisi)
    assert (len(analisi.nuove), len(analisi.modifiche), analisi.invariate, analisi.rimosse) == (0, 0, 11, [])
    # One row fewer: one unit goes, none is created.
    analisi = esegui(piano_cremonese, ente, csv_file(righe[:-1]))
    assert (len(analisi.nuove), len(analisi.rimosse)) == (0, 1)


def test_ids_can_be_swapped_between_two_units(piano_cremonese, enti, aperti):
    ente = enti["cremona"]
    righe = righe_del_modello(piano_cremonese, ente)
    i_id = righe[0].index("ID regionale")
    a, b = "36502011", "36502021"
    for r in righe[1:]:
        if r[i_id] in (a, b):
            r[i_id] = b if r[i_id] == a else a
    analisi = esegui(piano_cremonese, ente, csv_file(righe))
    assert analisi.valida, messaggi(analisi)
    assert len(analisi.modifiche) == 2
    pk_a = UnitaAbitativa.objects.get(id_regionale=a).pk
    registra(analisi=analisi, utente=None)
    assert UnitaAbitativa.objects.get(pk=pk_a).id_regionale == b


def test_an_id_kept_by_a_unit_outside_the_file_cannot_be_reused(piano_cremonese, enti, aperti):
    """A unit left out of the list but counted by another plan stays, with its ID."""
    ente = enti["cremona"]
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    altro = PianoAnnuale.objects.create(
        ambito=piano_cremonese.ambito, anno=2024, data_popolazione="2023-01-01"
    )
    StatoUnita.objects.create(piano=altro, unita=unita, stato=Stato.LIBERA)
    righe = righe_del_modello(piano_cremonese, ente)
    i_id = righe[0].index("ID regionale")
    dati = [r for r in righe[1:] if r[i_id] != ID_DI_CREMONA]
    dati[0][i_id] = ID_DI_CREMONA  # another unit takes its ID
    analisi = esegui(piano_cremonese, ente, csv_file([righe[0], *dati]))
    assert "Questo ID regionale è già attribuito a un'altra unità abitativa." in messaggi(analisi)


def test_a_full_list_removes_units_from_the_plan_and_keeps_those_other_plans_count(
    piano_cremonese, enti, aperti
):
    ente = enti["cremona"]
    contata = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    altro = PianoAnnuale.objects.create(
        ambito=piano_cremonese.ambito, anno=2024, data_popolazione="2023-01-01"
    )
    StatoUnita.objects.create(piano=altro, unita=contata, stato=Stato.LIBERA)
    solo_una = csv_file(
        [INTESTAZIONI, riga(ente="Comune di Cremona", comune="Cremona", id_regionale="36502011")]
    )
    analisi = esegui(piano_cremonese, ente, solo_una)
    assert analisi.valida, messaggi(analisi)
    assert len(analisi.rimosse) == 21
    registra(analisi=analisi, utente=None)
    assert UnitaAbitativa.objects.filter(ente=ente).count() == 2  # the one listed, the one 2024 counts
    assert not StatoUnita.objects.filter(piano=piano_cremonese, unita=contata).exists()
    assert StatoUnita.objects.filter(piano=altro, unita=contata).exists()


def test_the_turnover_sheet_replaces_the_entes_counts(piano_cremonese, enti, aperti):
    ente = enti["cremona"]
    righe = righe_del_modello(piano_cremonese, ente)
    contenuto = xlsx(
        {
            "Unità abitative": righe,
            "Turnover": [
                ["Comune", "Codice ISTAT", "Numero di alloggi"],
                ["Cremona", "019036", 7],
                ["Soresina", "", 1],
            ],
        }
    )
    analisi = esegui(piano_cremonese, ente, contenuto, "u.xlsx")
    assert analisi.valida, messaggi(analisi)
    assert analisi.sezioni_prima["turnover"] == 5
    assert analisi.sezioni_dopo["turnover"] == 8
    registra(analisi=analisi, utente=None)
    numeri = dict(
        TurnoverPrevisto.objects.filter(piano=piano_cremonese, ente=ente).values_list(
            "comune__nome", "numero"
        )
    )
    assert numeri == {"Cremona": 7, "Soresina": 1}
    # Zero removes a comune's count.
    contenuto = xlsx(
        {"Unità abitative": righe, "Turnover": [["Comune", "Numero di alloggi"], ["Cremona", 0]]}
    )
    registra(analisi=esegui(piano_cremonese, ente, contenuto, "u.xlsx"), utente=None)
    assert not TurnoverPrevisto.objects.filter(piano=piano_cremonese, ente=ente).exists()


def test_echoed_values_are_neutralised_and_our_own_neutralised_values_round_trip(
    piano_cremonese, enti, aperti
):
    analisi = esegui(
        piano_cremonese, enti["soresina"], soresina_con(riga(id_regionale="T-N", stato="=cmd|' /C calc'!A0"))
    )
    assert analisi.errori[0].as_dict()["valore"] == "'=cmd|' /C calc'!A0"
    analisi = esegui(
        piano_cremonese, enti["soresina"], soresina_con(riga(id_regionale="T-N", note="'=SOMMA(A1)"))
    )
    assert analisi.nuove[0].note == "=SOMMA(A1)"
    assert importazione.anteprima(analisi)["aggiunte"][0]["id_regionale"] == "T-N"


# --------------------------------------------------------------------------------------------
# The regional platform's lists (seed, Allegato B)
# --------------------------------------------------------------------------------------------


def test_the_platforms_free_and_carenza_list_of_the_seed(piano_cremonese, enti, aperti):
    analisi = esegui(
        piano_cremonese, enti["aler"], (DATI / "allegato_b_elenco.csv").read_bytes(), "allegato_b_elenco.csv"
    )
    assert analisi.valida, messaggi(analisi)
    assert analisi.layout == [importazione.LAYOUT_ELENCO]
    assert analisi.righe == 57
    # The fixture already holds the list: only 3161156 leaves the LOTTO 2.2 it was also put in.
    (modifica,) = analisi.modifiche
    assert modifica.riga.id_regionale == "3161156"
    assert modifica.stato_dopo[:3] == (Stato.LIBERA, "", "LIBERO")
    assert analisi.rimosse == []


def test_the_platforms_lotto_list_of_the_seed(piano_cremonese, enti, aperti):
    analisi = esegui(piano_cremonese, enti["aler"], (DATI / "allegato_b_lotti.csv").read_bytes(), "lotti.csv")
    assert analisi.valida, messaggi(analisi)  # subtotal rows and the empty line are skipped
    assert analisi.layout == [importazione.LAYOUT_LOTTI]
    assert analisi.righe == 74
    (modifica,) = analisi.modifiche
    assert modifica.riga.id_regionale == "3161156"
    assert modifica.stato_dopo[:3] == (Stato.RISTRUTTURAZIONE, "LOTTO 2.2", "1001 - ASSEGNABILE")


@pytest.fixture
def ambito_piattaforma(db):
    piano = crea_ambito(nome="Ambito piattaforma", comuni=2, prefisso_istat="096")
    aler = EnteProprietario.objects.get(ambito=piano.ambito, tipo=TipoEnte.ALER)
    riapri_per_il_test(piano, aler)
    comune = piano.ambito.comuni.order_by("codice_istat").first()
    return piano, aler, comune


def test_platform_states_map_to_their_sections(ambito_piattaforma):
    piano, aler, comune = ambito_piattaforma
    nome = comune.nome.upper()
    elenco = csv_file(
        [
            [
                "Tipologia dell'Ente Proprietario",
                "ID Alloggio",
                "Codice alloggio dell'Ente",
                "Comune",
                "Stato dell'Unità Immobiliare",
            ],
            ["ALER", "T-P-1", "BS1", nome, "LIBERO"],
            ["ALER", "T-P-2", "BS2", nome, "SFITTO PER CARENZE MANUTENTIVE (Assegnabile in AM)"],
        ],
        separatore="\t",
    )
    analisi = esegui(piano, aler, elenco, "elenco.csv")
    assert analisi.valida, messaggi(analisi)
    stati = {r.id_regionale: (r.stato, r.stato_origine, r.programma) for r in analisi.nuove}
    assert stati == {
        "T-P-1": (Stato.LIBERA, "LIBERO", ""),
        "T-P-2": (Stato.CARENZA_MANUTENTIVA, "SFITTO PER CARENZE MANUTENTIVE (Assegnabile in AM)", ""),
    }
    # The list speaks for the free and carenza units: those of the ente it does not list leave the plan.
    assert len(analisi.rimosse) == 16 and not analisi.cancellate
    lotti = csv_file(
        [
            ["Proprietà", "LOTTO", "ID Alloggio", "Codice Alloggio", "Comune", "Tipo sfittanza"],
            ["ALER", "LOTTO 9.9", "T-L-1", "BS11", nome, "1001 - ASSEGNABILE"],
            ["ALER", "LOTTO 9.9", "T-L-2", "BS12", nome, "1006 - IN MANUTENZIONE M.S."],
            ["ALER", "LOTTO 9.9", "T-L-3", "BS13", nome, "1007 - IN MANUTENZIONE M.S."],
            ["LOTTO 9.9 Totale", "", "", "", "", "3"],
        ]
    )
    analisi = esegui(piano, aler, lotti, "lotti.csv")
    assert analisi.valida, messaggi(analisi)
    stati = {r.id_regionale: (r.stato, r.stato_origine, r.programma) for r in analisi.nuove}
    assert stati == {
        "T-L-1": (Stato.RISTRUTTURAZIONE, "1001 - ASSEGNABILE", "LOTTO 9.9"),
        "T-L-2": (Stato.RISTRUTTURAZIONE, "1006 - IN MANUTENZIONE M.S.", "LOTTO 9.9"),
        "T-L-3": (Stato.RISTRUTTURAZIONE, "1007 - IN MANUTENZIONE M.S.", "LOTTO 9.9"),
    }
    assert len(analisi.rimosse) == 4  # the ente's other renovation units
    registra(analisi=analisi, utente=None)
    stato = StatoUnita.objects.get(piano=piano, unita__id_regionale="T-L-1")
    assert (stato.stato, stato.programma, stato.stato_origine) == (
        Stato.RISTRUTTURAZIONE,
        "LOTTO 9.9",
        "1001 - ASSEGNABILE",
    )


def test_unknown_platform_states_are_row_errors(ambito_piattaforma):
    piano, aler, comune = ambito_piattaforma
    lotti = csv_file(
        [
            ["Proprietà", "LOTTO", "ID Alloggio", "Codice Alloggio", "Comune", "Tipo sfittanza"],
            ["ALER", "LOTTO 1", "T-U-1", "X1", comune.nome, "1002 - IN ATTESA"],
            ["ALER", "LOTTO 1", "T-U-2", "X2", comune.nome, ""],
        ]
    )
    testo = _rifiutato(piano, aler, lotti)
    assert "2|Tipo sfittanza (colonna F)|1002 - IN ATTESA|Stato non riconosciuto" in testo
    assert "3|Tipo sfittanza (colonna F)||Manca lo stato dell'unità" in testo
    elenco = csv_file(
        [
            [
                "Tipologia dell'Ente Proprietario",
                "ID Alloggio",
                "Codice alloggio dell'Ente",
                "Comune",
                "Stato dell'Unità Immobiliare",
            ],
            ["ALER", "T-U-3", "X3", comune.nome, "1001 - ASSEGNABILE"],
        ]
    )
    assert "«1001 - ASSEGNABILE» indica un'unità di un lotto" in _rifiutato(piano, aler, elenco)


def test_a_comune_cannot_upload_alers_platform_list(piano_cremonese, enti, aperti):
    testo = _rifiutato(piano_cremonese, enti["cremona"], (DATI / "allegato_b_elenco.csv").read_bytes())
    assert "La riga è di «ALER»" in testo


# --------------------------------------------------------------------------------------------
# Large files: Celery task and progress
# --------------------------------------------------------------------------------------------


def test_large_files_are_read_and_written_by_the_task_with_progress(
    client, settings, piano_cremonese, enti, utenti, aperti, django_capture_on_commit_callbacks
):
    settings.POA_IMPORTAZIONE_RIGHE_IN_BACKGROUND = 5
    ente = enti["soresina"]
    client.force_login(utenti["soresina"])
    contenuto = soresina_con(*[riga(id_regionale=f"T-BG{n}") for n in range(10)])
    with (
        mock.patch(
            "patrimonio.views.analizza_caricamento_task.delay", wraps=importazione.analizza_caricamento
        ) as task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        carica(client, piano_cremonese, ente, contenuto)
    caricamento = Caricamento.objects.get()
    task.assert_called_once_with(caricamento.pk)
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.ANTEPRIMA
    assert caricamento.progresso == 100
    stato = client.get(url("caricamento_stato", piano_cremonese, ente, caricamento.pk)).json()
    assert stato == {
        "stato": "anteprima",
        "descrizione": "Anteprima pronta",
        "progresso": 100,
        "in_corso": False,
    }
    with (
        mock.patch("patrimonio.views.conferma_caricamento_task.delay") as conferma,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(url("caricamento_conferma", piano_cremonese, ente, caricamento.pk))
    conferma.assert_called_once_with(caricamento.pk, utenti["soresina"].pk)
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.IN_SCRITTURA
    pagina = client.get(url("caricamento", piano_cremonese, ente, caricamento.pk)).content.decode()
    assert '<progress id="avanzamento"' in pagina
    importazione.conferma_caricamento(caricamento.pk, utente_id=utenti["soresina"].pk)  # the worker
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.CONFERMATO
    assert UnitaAbitativa.objects.filter(ente=ente, id_regionale__startswith="T-BG").count() == 10


def test_the_celery_tasks_run_the_same_engine(piano_cremonese, enti, aperti):
    from patrimonio.tasks import analizza_caricamento_task, conferma_caricamento_task

    ente = enti["soresina"]
    caricamento = importazione.crea_caricamento(
        piano=piano_cremonese,
        ente=ente,
        utente=None,
        nome_file="u.csv",
        contenuto=soresina_con(riga(id_regionale="T-CEL")),
    )
    analizza_caricamento_task.delay(caricamento.pk)
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.ANTEPRIMA
    assert importazione.prenota_conferma(caricamento)
    conferma_caricamento_task.delay(caricamento.pk, None)
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.CONFERMATO
    assert UnitaAbitativa.objects.filter(id_regionale="T-CEL", ente=ente).exists()


def test_an_unexpected_failure_ends_in_the_uploads_state(piano_cremonese, enti, aperti):
    caricamento = importazione.crea_caricamento(
        piano=piano_cremonese, ente=enti["soresina"], utente=None, nome_file="u.csv", contenuto=soresina_con()
    )
    with mock.patch("patrimonio.importazione.job.analizza", side_effect=RuntimeError("guasto")):
        importazione.analizza_caricamento(caricamento.pk)
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.FALLITO
    assert "errore interno" in caricamento.esito


# --------------------------------------------------------------------------------------------
# Management command
# --------------------------------------------------------------------------------------------


def test_command_previews_without_writing_and_writes_with_conferma(tmp_path, piano_cremonese, enti, aperti):
    percorso = tmp_path / "soresina.csv"
    percorso.write_bytes(soresina_con(riga(id_regionale="T-CMD")))
    prima = fotografia()
    uscita = io.StringIO()
    call_command(
        "importa_unita", str(percorso), ente="Comune di Soresina", piano=piano_cremonese.pk, stdout=uscita
    )
    assert "Unità aggiunte: 1" in uscita.getvalue()
    assert "nulla è stato registrato" in uscita.getvalue()
    assert fotografia() == prima
    call_command(
        "importa_unita",
        str(percorso),
        ente="Comune di Soresina",
        piano=piano_cremonese.pk,
        conferma=True,
        stdout=uscita,
    )
    assert UnitaAbitativa.objects.filter(id_regionale="T-CMD").exists()
    assert Caricamento.objects.get().stato == StatoCaricamento.CONFERMATO


def test_command_reports_errors_and_locked_enti(tmp_path, piano_cremonese, enti):
    percorso = tmp_path / "errato.csv"
    percorso.write_bytes(soresina_con(riga(id_regionale="T-E", stato="boh")))
    uscita = io.StringIO()
    with pytest.raises(CommandError, match="contiene errori"):
        call_command(
            "importa_unita", str(percorso), ente="Comune di Soresina", piano=piano_cremonese.pk, stdout=uscita
        )
    assert "Stato non riconosciuto" in uscita.getvalue()
    percorso.write_bytes(soresina_con(riga(id_regionale="T-E")))
    with pytest.raises(CommandError, match="i dati sono bloccati"):
        call_command(
            "importa_unita",
            str(percorso),
            ente="Comune di Soresina",
            piano=piano_cremonese.pk,
            conferma=True,
            stdout=uscita,
        )
    assert not UnitaAbitativa.objects.filter(id_regionale="T-E").exists()
    with pytest.raises(CommandError, match="Nessun ente"):
        call_command("importa_unita", str(percorso), ente="Comune di Atlantide", piano=piano_cremonese.pk)


def test_read_helpers():
    assert importazione.lettera_colonna(0) == "A"
    assert importazione.lettera_colonna(27) == "AB"
    assert importazione.intero("  12 ") == (12, None)
    assert importazione.intero(3.0) == (3, None)
    assert importazione.intero("3,5") == (None, "decimale")
    assert importazione.intero(True) == (None, "testo")
    assert importazione.testo(19036.0) == "19036"
    assert importazione.testo("'@SOMMA") == "@SOMMA"
    assert importazione.testo("Via\x00 Roma\x0b1") == "Via  Roma 1"
    with zipfile.ZipFile(io.BytesIO(xlsx({"x": [["a"]]}))) as archivio:
        assert "[Content_Types].xml" in archivio.namelist()


def test_confirming_an_upload_closes_the_older_previews_of_the_ente(piano_cremonese, enti, aperti):
    ente = enti["soresina"]
    vecchio, nuovo = (
        importazione.analizza_caricamento(
            importazione.crea_caricamento(
                piano=piano_cremonese,
                ente=ente,
                utente=None,
                nome_file="u.csv",
                contenuto=soresina_con(riga(id_regionale=i)),
            ).pk
        )
        for i in ("T-VECCHIO", "T-NUOVO")
    )
    assert importazione.prenota_conferma(nuovo)
    importazione.conferma_caricamento(nuovo.pk, utente_id=None)
    vecchio.refresh_from_db()
    assert vecchio.stato == StatoCaricamento.ANNULLATO
    assert "Superato" in vecchio.esito
    assert not importazione.prenota_conferma(vecchio)


def test_an_imports_rows_appear_in_the_history_with_who_and_before_after(
    piano_cremonese, enti, aperti, utenti
):
    from piano_annuale.models import Modifica

    ente = enti["cremona"]
    righe = righe_del_modello(piano_cremonese, ente)
    intestazione, dati = righe[0], righe[1:]
    i_id, i_stato = intestazione.index("ID regionale"), intestazione.index("Stato nell'anno")
    for r in dati:
        if r[i_id] == ID_DI_CREMONA:
            r[i_stato] = "carenza"
    dati = [r for r in dati if r[i_id] != "36502011"]
    nuova = ["Comune di Cremona", "T-NUOVA-1", "CR-NEW", "Cremona", "019036", "SAP", "", "libera", "", "", ""]
    analisi = esegui(piano_cremonese, ente, csv_file([intestazione, *dati, nuova]), nome="cremona.csv")
    assert analisi.valida, messaggi(analisi)
    rimossa_pk = UnitaAbitativa.objects.get(id_regionale="36502011").pk
    cambiata_pk = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA).pk

    registra(analisi=analisi, utente=utenti["cremona"])

    storico = Modifica.objects.filter(origine="importazione (cremona.csv)")
    assert {m.utente for m in storico} == {utenti["cremona"]}
    nuova_unita = UnitaAbitativa.objects.get(id_regionale="T-NUOVA-1")
    creazioni = storico.filter(azione="creazione")
    assert {(m.modello, m.unita_id) for m in creazioni} == {
        ("patrimonio.unitaabitativa", nuova_unita.pk),
        ("piano_annuale.statounita", nuova_unita.pk),
    }
    cambio = storico.get(modello="piano_annuale.statounita", azione="modifica")
    assert cambio.prima is not None and cambio.dopo is not None  # a change has both
    assert (cambio.unita_id, cambio.prima["stato"], cambio.dopo["stato"]) == (
        cambiata_pk,
        "libera",
        "carenza",
    )
    eliminazioni = storico.filter(azione="eliminazione")
    assert {m.modello for m in eliminazioni} == {"piano_annuale.statounita", "patrimonio.unitaabitativa"}
    assert eliminazioni.get(modello="patrimonio.unitaabitativa").oggetto_id == rimossa_pk
    assert all(m.piano_id == piano_cremonese.pk and m.ente_id == ente.pk for m in storico)
