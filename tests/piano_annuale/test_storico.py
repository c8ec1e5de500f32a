"""The audit: every change to units, unit states, answers, choices and plan state is recorded — who,
when, before and after — including the rows of a bulk import; the history pages show it."""

from __future__ import annotations

import csv
import html
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patrimonio.esportazione import modello_ente
from patrimonio.importazione import analizza, registra
from patrimonio.models import EnteProprietario, Ruolo, UnitaAbitativa
from piano_annuale.models import (
    AzioneModifica,
    Caricamento,
    Modifica,
    PianoAnnuale,
    Stato,
    StatoCaricamento,
    StatoPiano,
    StatoUnita,
)
from piano_annuale.services.ente import invia_risposta
from piano_annuale.storico import VoceModifica, registra_modifiche, righe_storico
from tests.percorso import crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a  # noqa: F401 - fixtures
from tests.utenti import crea_operatore, hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media")

ID_DI_CREMONA = "36501269"  # a unit of the Comune di Cremona in the fixture


@pytest.fixture
def cremona(piano_cremonese):
    ente = EnteProprietario.objects.get(comune__nome="Cremona")
    riapri_per_il_test(piano_cremonese, ente)
    # Loading the Cremonese data is in the history too: these tests observe only their own changes.
    Modifica.objects.filter(origine__startswith="caricamento del file").delete()
    return ente


@pytest.fixture
def operatore_cremona(piano_cremonese, cremona):
    return crea_operatore("comune.cremona", piano_cremonese.ambito, Ruolo.COMUNE, cremona)


@pytest.fixture
def ufficio(piano_cremonese):
    return crea_operatore("ufficio.cremonese", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)


def area(nome: str, piano: PianoAnnuale, ente: EnteProprietario, *altri: int) -> str:
    return reverse(f"patrimonio:{nome}", args=[piano.pk, ente.pk, *altri])


def dati_unita(unita: UnitaAbitativa, **altri: str) -> dict[str, str]:
    return {
        "id_regionale": unita.id_regionale or "",
        "codice_ente": unita.codice_ente,
        "comune": str(unita.comune_id),
        "tipo": unita.tipo,
        "indirizzo": unita.indirizzo,
        "stato": Stato.LIBERA,
        "programma": "",
        "note": "",
    } | altri


def test_editing_a_unit_records_who_when_and_each_field_before_and_after(
    client, piano_cremonese, cremona, operatore_cremona
):
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    client.force_login(operatore_cremona)
    client.post(
        area("unita_modifica", piano_cremonese, cremona, unita.pk),
        dati_unita(unita, indirizzo="Via Dante 12", stato=Stato.CARENZA_MANUTENTIVA),
    )
    registro = Modifica.objects.get(modello="patrimonio.unitaabitativa", oggetto_id=unita.pk)
    assert registro.azione == AzioneModifica.MODIFICA
    assert registro.utente == operatore_cremona
    assert registro.prima is not None and registro.dopo is not None
    assert (registro.prima["indirizzo"], registro.dopo["indirizzo"]) == (unita.indirizzo, "Via Dante 12")
    assert (registro.piano_id, registro.ente_id, registro.unita_id) == (
        piano_cremonese.pk,
        cremona.pk,
        unita.pk,
    )
    stato = Modifica.objects.get(modello="piano_annuale.statounita", unita_id=unita.pk)
    assert stato.prima is not None and stato.dopo is not None
    assert (stato.prima["stato"], stato.dopo["stato"]) == (Stato.LIBERA, Stato.CARENZA_MANUTENTIVA)
    assert stato.piano_id == piano_cremonese.pk


def test_saving_a_unit_without_changes_records_nothing(client, piano_cremonese, cremona, operatore_cremona):
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    stato = StatoUnita.objects.get(piano=piano_cremonese, unita=unita)
    client.force_login(operatore_cremona)
    client.post(
        area("unita_modifica", piano_cremonese, cremona, unita.pk),
        dati_unita(unita, stato=stato.stato, programma=stato.programma, note=stato.note),
    )
    assert not Modifica.objects.filter(unita_id=unita.pk).exists()


def test_creating_and_deleting_a_unit_are_recorded_and_the_history_outlives_the_unit(
    client, piano_cremonese, cremona, operatore_cremona
):
    client.force_login(operatore_cremona)
    client.post(
        area("unita_nuova", piano_cremonese, cremona),
        {
            "id_regionale": "T-STORICO-1",
            "codice_ente": "",
            "comune": str(cremona.comune_id),
            "tipo": "SAP",
            "indirizzo": "Via Nuova 1",
            "stato": Stato.LIBERA,
            "programma": "",
            "note": "",
        },
    )
    unita = UnitaAbitativa.objects.get(id_regionale="T-STORICO-1")
    client.post(area("unita_elimina", piano_cremonese, cremona, unita.pk))
    assert not UnitaAbitativa.objects.filter(pk=unita.pk).exists()
    azioni = list(Modifica.objects.filter(unita_id=unita.pk).order_by("pk").values_list("modello", "azione"))
    assert azioni == [
        ("patrimonio.unitaabitativa", AzioneModifica.CREAZIONE),
        ("piano_annuale.statounita", AzioneModifica.CREAZIONE),
        ("piano_annuale.statounita", AzioneModifica.ELIMINAZIONE),
        ("patrimonio.unitaabitativa", AzioneModifica.ELIMINAZIONE),
    ]
    eliminata = Modifica.objects.filter(unita_id=unita.pk).order_by("pk").last()
    assert eliminata is not None and eliminata.prima is not None
    assert eliminata.prima["id_regionale"] == "T-STORICO-1" and eliminata.dopo is None
    assert eliminata.descrizione.startswith("U.I. T-STORICO-1")


def test_choices_counts_and_answers_are_recorded(
    client, piano_cremonese, cremona, operatore_cremona, ufficio
):
    client.force_login(operatore_cremona)
    client.post(
        area("scelte", piano_cremonese, cremona),
        {
            "soglia_indigenti_eccedente": "12",
            "categoria_aggiuntiva": "",
            "motivazione_categoria": "",
            "quota_forze_polizia": "7",
        },
    )
    scelte = Modifica.objects.get(modello="piano_annuale.scelteente", ente_id=cremona.pk)
    assert scelte.prima is not None and scelte.dopo is not None
    assert (scelte.prima["quota_forze_polizia"], scelte.dopo["quota_forze_polizia"]) == (5, 7)
    client.post(
        area("turnover", piano_cremonese, cremona),
        {
            "righe-TOTAL_FORMS": "1",
            "righe-INITIAL_FORMS": "0",
            "righe-0-comune": str(cremona.comune_id),
            "righe-0-numero": "9",
        },
    )
    turnover = Modifica.objects.get(modello="piano_annuale.turnoverprevisto", ente_id=cremona.pk)
    assert turnover.prima is not None and turnover.dopo is not None
    assert (turnover.azione, turnover.prima["numero"], turnover.dopo["numero"]) == (
        AzioneModifica.MODIFICA,
        5,
        9,
    )

    # The choices just changed contradict the figures declared on the regional platform (D01), an
    # error that keeps the page's «Invia» closed: the answer is sent by the service the page calls.
    invia_risposta(piano=piano_cremonese, ente=cremona, utente=operatore_cremona)
    client.force_login(ufficio)
    client.post(area("riapri", piano_cremonese, cremona))
    risposte = list(
        Modifica.objects.filter(modello="piano_annuale.rispostaricognizione", ente_id=cremona.pk)
        .order_by("pk")
        .values_list("prima__stato", "dopo__stato", "utente")
    )
    assert risposte == [("in_corso", "inviata", operatore_cremona.pk), ("inviata", "riaperta", ufficio.pk)]


def test_plan_state_changes_are_recorded(db, pdf_veloce):
    a = crea_ambito_con_utenti(nome="Ambito dello storico", prefisso_istat="081")
    porta_a(a, StatoPiano.INVIATA_ALER)
    registro = Modifica.objects.get(modello="piano_annuale.pianoannuale", oggetto_id=a.piano.pk)
    assert registro.prima is not None and registro.dopo is not None
    assert (registro.prima["stato"], registro.dopo["stato"], registro.utente) == (
        StatoPiano.BOZZA,
        StatoPiano.INVIATA_ALER,
        a.ufficio,
    )


def modello_con(piano: PianoAnnuale, ente: EnteProprietario, *nuove: str, indirizzi: dict[str, str]) -> bytes:
    """The ente's own template (csv), with the addresses of some units changed and new units added."""
    testo = modello_ente(piano=piano, ente=ente, formato="csv").contenuto.decode("utf-8-sig")
    intestazione, *righe = [list(r) for r in csv.reader(io.StringIO(testo), delimiter=";")]
    i_id, i_indirizzo = intestazione.index("ID regionale"), intestazione.index("Indirizzo")
    for r in righe:
        r[i_indirizzo] = indirizzi.get(r[i_id], r[i_indirizzo])
    assert ente.comune is not None
    comune = ente.comune.nome
    righe += [
        [str(ente), id_regionale, "", comune, "", "SAP", "", "libera", "", "", ""] for id_regionale in nuove
    ]
    uscita = io.StringIO()
    csv.writer(uscita, delimiter=";").writerows([intestazione, *righe])
    return uscita.getvalue().encode("utf-8")


def test_an_import_records_its_rows_with_one_insert_and_their_origin(
    piano_cremonese, cremona, operatore_cremona
):
    contenuto = modello_con(
        piano_cremonese,
        cremona,
        "T-IMPORT-0",
        "T-IMPORT-1",
        "T-IMPORT-2",
        indirizzi={ID_DI_CREMONA: "Via dell'importazione 3"},
    )
    analisi = analizza(contenuto=contenuto, nome_file="unita.csv", piano=piano_cremonese, ente=cremona)
    assert analisi.valida, [e.messaggio for e in analisi.errori]
    with CaptureQueriesContext(connection) as query:
        registra(analisi=analisi, utente=operatore_cremona)
    tabella = Modifica._meta.db_table
    inserimenti = [q for q in query.captured_queries if q["sql"].startswith(f'INSERT INTO "{tabella}"')]
    assert len(inserimenti) == 1
    registrate = Modifica.objects.filter(origine="importazione (unita.csv)")
    assert registrate.count() == 7  # 3 units and their 3 states created, 1 unit changed
    assert set(registrate.values_list("utente", flat=True)) == {operatore_cremona.pk}
    nuova = UnitaAbitativa.objects.get(id_regionale="T-IMPORT-0")
    assert sorted(registrate.filter(unita_id=nuova.pk).values_list("modello", flat=True)) == [
        "patrimonio.unitaabitativa",
        "piano_annuale.statounita",
    ]
    cambio = registrate.get(modello="patrimonio.unitaabitativa", azione=AzioneModifica.MODIFICA)
    assert cambio.prima is not None and cambio.dopo is not None
    assert cambio.dopo["indirizzo"] == "Via dell'importazione 3"
    assert cambio.prima["indirizzo"] != "Via dell'importazione 3"


def test_an_uploads_rows_appear_in_the_unit_and_plan_history(
    client, settings, tmp_path, piano_cremonese, cremona, operatore_cremona, ufficio
):
    settings.MEDIA_ROOT = tmp_path / "media"
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    contenuto = modello_con(piano_cremonese, cremona, indirizzi={ID_DI_CREMONA: "Via Platina 5"})
    client.force_login(operatore_cremona)
    client.post(
        area("caricamenti", piano_cremonese, cremona),
        {"file": SimpleUploadedFile("patrimonio.csv", contenuto)},
    )
    caricamento = Caricamento.objects.get(ente=cremona, nome_file="patrimonio.csv")
    client.post(area("caricamento_conferma", piano_cremonese, cremona, caricamento.pk))
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.CONFERMATO, caricamento.esito
    origine = f"importazione n. {caricamento.pk} (patrimonio.csv)"
    pagina = html.unescape(
        client.get(area("unita_storico", piano_cremonese, cremona, unita.pk)).content.decode()
    )
    assert origine in pagina
    assert "Via Platina 5" in pagina
    client.force_login(ufficio)
    pagina = html.unescape(
        client.get(reverse("piano_annuale:storico_piano", args=[piano_cremonese.pk])).content.decode()
    )
    assert origine in pagina


def test_unit_history_page_shows_fields_in_the_users_words(
    client, piano_cremonese, cremona, operatore_cremona
):
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    soresina = EnteProprietario.objects.get(comune__nome="Soresina").comune
    assert soresina is not None
    client.force_login(operatore_cremona)
    client.post(
        area("unita_modifica", piano_cremonese, cremona, unita.pk),
        dati_unita(unita, comune=str(soresina.pk), stato=Stato.CARENZA_MANUTENTIVA),
    )
    risposta = client.get(area("unita_storico", piano_cremonese, cremona, unita.pk))
    pagina = html.unescape(risposta.content.decode())
    assert "comune in cui si trova" in pagina
    assert "Cremona" in pagina and "Soresina" in pagina
    assert "Già libera" in pagina and "In carenza manutentiva (art. 10)" in pagina
    riga = next(r for r in risposta.context["righe"] if r.modifica.modello == "patrimonio.unitaabitativa")
    assert [(c.campo, c.prima, c.dopo) for c in riga.cambi] == [
        ("comune in cui si trova", "Cremona", "Soresina")
    ]


def test_the_history_reads_names_with_one_query_per_table(piano_cremonese, cremona, operatore_cremona):
    unita = list(UnitaAbitativa.objects.filter(ente=cremona)[:20])
    registra_modifiche(
        utente=operatore_cremona,
        origine="prova",
        modifiche=[VoceModifica.creazione(u, piano=piano_cremonese.pk) for u in unita],
    )
    modifiche = list(Modifica.objects.filter(origine="prova").select_related("utente"))
    with CaptureQueriesContext(connection) as query:
        righe = righe_storico(modifiche)
    assert len(righe) == 20
    assert len(query.captured_queries) <= 2  # comuni and enti


def test_plan_history_is_only_for_the_ufficio_di_piano(client, piano_cremonese, operatore_cremona, ufficio):
    indirizzo = reverse("piano_annuale:storico_piano", args=[piano_cremonese.pk])
    client.force_login(ufficio)
    assert client.get(indirizzo).status_code == 200
    client.force_login(operatore_cremona)
    assert client.get(indirizzo).status_code == 404
    aler = EnteProprietario.objects.get(ambito=piano_cremonese.ambito, tipo="aler")
    client.force_login(crea_operatore("aler.cremona", piano_cremonese.ambito, Ruolo.ALER, aler))
    assert client.get(indirizzo).status_code == 404
    altro = crea_ambito_con_utenti(nome="Altro ambito dello storico", prefisso_istat="079")
    client.force_login(altro.ufficio)
    assert client.get(indirizzo).status_code == 404


def test_another_entes_unit_history_is_404(client, piano_cremonese, operatore_cremona):
    soresina = EnteProprietario.objects.get(comune__nome="Soresina")
    sua = UnitaAbitativa.objects.filter(ente=soresina).first()
    assert sua is not None
    client.force_login(operatore_cremona)
    assert client.get(area("unita_storico", piano_cremonese, soresina, sua.pk)).status_code == 404
    cremona = operatore_cremona.operatori.get().ente
    assert client.get(area("unita_storico", piano_cremonese, cremona, sua.pk)).status_code == 404
