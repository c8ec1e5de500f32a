"""The plan's workflow: moves and who may make them, ALER's observations and parere, the answers,
the approval with the signed verbale, the e-mails, the Note di chiusura and the Prefettura letters."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from patrimonio.models import EnteProprietario, Ruolo
from piano_annuale.iter import note_di_chiusura
from piano_annuale.models import (
    Approvazione,
    EsitoParere,
    OsservazioneAler,
    ParereAler,
    PassaggioDiStato,
    PianoAnnuale,
    PresenzaAssemblea,
    RiepilogoDichiarato,
    SezionePiano,
    StatoPiano,
    TipoVersione,
    VersionePiano,
)
from piano_annuale.rendering.versioni import congela_versione
from piano_annuale.services import iter as mosse
from piano_annuale.services.errori import OperazioneNonValida
from tests.percorso import crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a, verbale  # noqa: F401 - fixtures
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media")


@pytest.fixture
def a(db):
    return crea_ambito_con_utenti()


def url(nome: str, piano: PianoAnnuale, *altri: int) -> str:
    return reverse(f"piano_annuale:{nome}", args=[piano.pk, *altri])


def stato_di(piano: PianoAnnuale) -> str:
    return PianoAnnuale.objects.values_list("stato", flat=True).get(pk=piano.pk)


def pdf_in_testo(contenuto: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(contenuto)).pages))


def messaggi(risposta) -> list[str]:
    return [str(m) for m in risposta.context["messages"]] if risposta.context else []


# --------------------------------------------------------------------------------------------
# Moves and who may make them
# --------------------------------------------------------------------------------------------


def test_ufficio_di_piano_closes_the_ricognizione_and_the_plan_becomes_a_draft(client, a):
    PianoAnnuale.objects.filter(pk=a.piano.pk).update(stato=StatoPiano.RICOGNIZIONE)
    client.force_login(a.ufficio)
    risposta = client.post(url("chiudi_ricognizione", a.piano), follow=True)
    assert "Ricognizione chiusa" in " ".join(messaggi(risposta))
    assert stato_di(a.piano) == StatoPiano.BOZZA
    passaggio = PassaggioDiStato.objects.get(piano=a.piano)
    assert (passaggio.da, passaggio.a, passaggio.utente) == (
        StatoPiano.RICOGNIZIONE,
        StatoPiano.BOZZA,
        a.ufficio,
    )


def test_sending_to_aler_freezes_a_version_and_opens_the_draft_to_aler(client, a, pdf_veloce):
    client.force_login(a.operatore_aler)
    assert client.get(url("piano_detail", a.piano)).status_code == 404

    client.force_login(a.ufficio)
    client.post(url("invia_aler", a.piano))
    assert stato_di(a.piano) == StatoPiano.INVIATA_ALER
    versione = VersionePiano.objects.get(piano=a.piano)
    assert (versione.numero, versione.tipo, versione.creata_da) == (1, TipoVersione.INVIATA_ALER, a.ufficio)

    client.force_login(a.operatore_aler)
    assert client.get(url("piano_detail", a.piano)).status_code == 200
    assert client.get(url("versione_pdf", a.piano, versione.pk)).status_code == 200
    pagina = client.get(url("iter_piano", a.piano)).content.decode()
    assert "Esprimi il parere" in pagina
    assert "Aggiungi un'osservazione" in pagina


def test_consistency_errors_block_sending_to_aler_with_a_message_listing_them(client, piano_cremonese):
    ufficio = crea_operatore("ufficio.cremonese", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    client.force_login(ufficio)
    risposta = client.post(url("invia_aler", piano_cremonese), follow=True)
    testo = " ".join(messaggi(risposta))
    assert "Non è possibile inviare il piano ad ALER per il parere" in testo
    assert "errori di coerenza" in testo
    assert "D01" in testo and "Formigara" in testo and "U01" in testo
    assert stato_di(piano_cremonese) == StatoPiano.BOZZA
    assert not VersionePiano.objects.filter(piano=piano_cremonese).exists()


def test_the_plan_page_says_why_the_plan_cannot_be_sent_yet(client, piano_cremonese):
    ufficio = crea_operatore("ufficio.cremonese", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    client.force_login(ufficio)
    pagina = client.get(url("piano_detail", piano_cremonese)).content.decode()
    assert "Invia ad ALER per il parere" in pagina
    assert "errori di coerenza: vanno corretti prima di inviare il piano ad ALER" in pagina


def test_consistency_errors_block_the_approval_and_nothing_is_stored(client, a, pdf_veloce, media):
    porta_a(a, StatoPiano.TRASMESSA_ASSEMBLEA)
    # A platform summary that contradicts the units: check D01 reports it as an error.
    RiepilogoDichiarato.objects.create(piano=a.piano, ente=a.ente_comune, disponibili=99, libere_turnover=99)
    client.force_login(a.ufficio)
    risposta = client.post(
        url("approva", a.piano),
        {"data_seduta": timezone.localdate().isoformat(), "numero_verbale": "01/2025", "verbale": verbale()},
    )
    assert risposta.status_code == 200
    errori = " ".join(risposta.context["form"].non_field_errors())
    assert "Non è possibile registrare l'approvazione del piano" in errori
    assert "D01" in errori
    assert stato_di(a.piano) == StatoPiano.TRASMESSA_ASSEMBLEA
    assert not Approvazione.objects.exists()
    # No approval's verbale is stored; the upload is kept aside only for the corrected form.
    assert [f for f in media.rglob("*.pdf") if "verbali" in f.parts and "temporanei" not in f.parts] == []


def test_a_failed_approval_leaves_no_file_behind(a, pdf_veloce, media, monkeypatch):
    porta_a(a, StatoPiano.TRASMESSA_ASSEMBLEA)

    def rotto(**_):
        raise RuntimeError("disco pieno")

    monkeypatch.setattr("piano_annuale.services.iter.congela_versione", rotto)
    with pytest.raises(RuntimeError):
        mosse.approva_piano(
            piano=a.piano,
            utente=a.ufficio,
            data_seduta=timezone.localdate(),
            numero_verbale="1",
            verbale=verbale(),
        )
    assert [f for f in media.rglob("*.pdf") if "verbali" in f.parts] == []
    assert stato_di(a.piano) == StatoPiano.TRASMESSA_ASSEMBLEA
    assert not Approvazione.objects.exists()


@pytest.mark.parametrize(
    "nome", ["chiudi_ricognizione", "invia_aler", "trasmetti", "riporta_in_bozza", "approva", "nuovo_anno"]
)
def test_aler_cannot_move_the_plan(client, a, pdf_veloce, nome):
    porta_a(a, StatoPiano.INVIATA_ALER)
    client.force_login(a.operatore_aler)
    assert client.post(url(nome, a.piano), {"motivo": "prova"}).status_code == 404
    assert stato_di(a.piano) == StatoPiano.INVIATA_ALER
    assert PassaggioDiStato.objects.filter(piano=a.piano).count() == 1


@pytest.mark.parametrize(
    "nome",
    [
        "iter_piano",
        "invia_aler",
        "riporta_in_bozza",
        "approva",
        "parere",
        "osservazione_nuova",
        "storico_piano",
    ],
)
def test_comune_operator_gets_404_on_the_workflow_before_the_assemblea(client, a, nome):
    client.force_login(a.operatore_comune)
    risposta = client.post(url(nome, a.piano), {"motivo": "prova", "testo": "x", "sezione": "a"})
    assert risposta.status_code == 404
    assert stato_di(a.piano) == StatoPiano.BOZZA
    assert not PassaggioDiStato.objects.exists()


def test_ufficio_di_piano_of_another_ambito_gets_404_and_changes_nothing(client, a):
    client.force_login(a.ufficio_altro_ambito)
    for nome in ("iter_piano", "invia_aler", "storico_piano", "confronto_versioni"):
        assert client.post(url(nome, a.piano)).status_code == 404
    assert stato_di(a.piano) == StatoPiano.BOZZA
    assert not VersionePiano.objects.exists()


def test_going_back_to_bozza_needs_a_reason(client, a, pdf_veloce):
    porta_a(a, StatoPiano.INVIATA_ALER)
    client.force_login(a.ufficio)
    risposta = client.post(url("riporta_in_bozza", a.piano), {"motivo": "  "}, follow=True)
    assert "Indicare il motivo" in " ".join(messaggi(risposta))
    assert stato_di(a.piano) == StatoPiano.INVIATA_ALER

    client.post(url("riporta_in_bozza", a.piano), {"motivo": "Correzione dei dati di ALER"})
    assert stato_di(a.piano) == StatoPiano.BOZZA
    ritorno = PassaggioDiStato.objects.filter(piano=a.piano).first()
    assert ritorno is not None
    assert (ritorno.da, ritorno.a, ritorno.motivo) == (
        StatoPiano.INVIATA_ALER,
        StatoPiano.BOZZA,
        "Correzione dei dati di ALER",
    )


def test_an_approved_plan_cannot_go_back_to_bozza(a, pdf_veloce):
    porta_a(a, StatoPiano.APPROVATA)
    with pytest.raises(OperazioneNonValida, match="approvato dall'Assemblea dei Sindaci"):
        mosse.riporta_in_bozza(piano=a.piano, utente=a.ufficio, motivo="ripensamento")
    assert stato_di(a.piano) == StatoPiano.APPROVATA


def test_a_move_from_the_wrong_state_is_refused_with_the_current_state(a):
    with pytest.raises(OperazioneNonValida, match="nello stato «Bozza»"):
        mosse.trasmetti_all_assemblea(piano=a.piano, utente=a.ufficio)


# --------------------------------------------------------------------------------------------
# ALER's observations and parere, the ufficio di piano's answers
# --------------------------------------------------------------------------------------------


def test_aler_writes_observations_on_sections_and_gives_the_parere(client, a, pdf_veloce):
    porta_a(a, StatoPiano.INVIATA_ALER)
    client.force_login(a.operatore_aler)
    client.post(
        url("osservazione_nuova", a.piano), {"sezione": SezionePiano.B, "testo": "Verificare la carenza."}
    )
    client.post(
        url("osservazione_nuova", a.piano), {"sezione": SezionePiano.IB, "testo": "Quota FdP da motivare."}
    )
    osservazioni = list(OsservazioneAler.objects.filter(piano=a.piano).order_by("pk"))
    assert [(o.sezione, o.autore) for o in osservazioni] == [
        (SezionePiano.B, a.operatore_aler),
        (SezionePiano.IB, a.operatore_aler),
    ]
    assert {o.versione.numero for o in osservazioni} == {1}

    client.post(
        url("parere", a.piano),
        {
            "esito": EsitoParere.FAVOREVOLE_CON_OSSERVAZIONI,
            "data": timezone.localdate().isoformat(),
            "protocollo": "ALER 1234/2025",
            "testo": "Favorevole, con le osservazioni allegate.",
        },
    )
    parere = ParereAler.objects.get(piano=a.piano)
    assert (parere.esito, parere.protocollo, parere.espresso_da) == (
        EsitoParere.FAVOREVOLE_CON_OSSERVAZIONI,
        "ALER 1234/2025",
        a.operatore_aler,
    )
    assert parere.versione.numero == 1
    assert stato_di(a.piano) == StatoPiano.PARERE_ESPRESSO
    # Once the parere is given, no more observations.
    client.post(url("osservazione_nuova", a.piano), {"sezione": SezionePiano.A, "testo": "Tardiva."})
    assert OsservazioneAler.objects.filter(piano=a.piano).count() == 2


def test_a_parere_that_is_not_plainly_favourable_must_give_its_reasons(client, a, pdf_veloce):
    porta_a(a, StatoPiano.INVIATA_ALER)
    client.force_login(a.operatore_aler)
    risposta = client.post(
        url("parere", a.piano),
        {"esito": EsitoParere.NON_FAVOREVOLE, "data": timezone.localdate().isoformat(), "testo": ""},
        follow=True,
    )
    assert "va motivato" in " ".join(messaggi(risposta))
    assert not ParereAler.objects.exists()
    assert stato_di(a.piano) == StatoPiano.INVIATA_ALER


def test_a_parere_cannot_be_dated_before_aler_received_the_draft(a, pdf_veloce):
    porta_a(a, StatoPiano.INVIATA_ALER)
    with pytest.raises(OperazioneNonValida, match="La data del parere"):
        mosse.esprimi_parere(
            piano=a.piano,
            utente=a.operatore_aler,
            esito=EsitoParere.FAVOREVOLE,
            testo="",
            data=timezone.localdate() - datetime.timedelta(days=3),
        )


def test_the_ufficio_di_piano_cannot_give_the_parere_nor_write_observations(client, a, pdf_veloce):
    porta_a(a, StatoPiano.INVIATA_ALER)
    client.force_login(a.ufficio)
    dati = {
        "esito": EsitoParere.FAVOREVOLE,
        "data": timezone.localdate().isoformat(),
        "sezione": "a",
        "testo": "x",
    }
    assert client.post(url("parere", a.piano), dati).status_code == 404
    assert client.post(url("osservazione_nuova", a.piano), dati).status_code == 404
    assert not ParereAler.objects.exists() and not OsservazioneAler.objects.exists()


def test_aler_withdraws_an_observation_before_giving_the_parere(client, a, pdf_veloce):
    porta_a(a, StatoPiano.INVIATA_ALER)
    osservazione = mosse.aggiungi_osservazione(
        piano=a.piano, utente=a.operatore_aler, sezione=SezionePiano.A, testo="Da ritirare."
    )
    client.force_login(a.operatore_aler)
    client.post(url("osservazione_elimina", a.piano, osservazione.pk))
    assert not OsservazioneAler.objects.exists()


def test_unanswered_observations_block_the_transmission_to_the_assemblea(client, a, pdf_veloce):
    porta_a(a, StatoPiano.INVIATA_ALER)
    osservazione = mosse.aggiungi_osservazione(
        piano=a.piano, utente=a.operatore_aler, sezione=SezionePiano.G, testo="Totale g da ricontrollare."
    )
    mosse.esprimi_parere(
        piano=a.piano,
        utente=a.operatore_aler,
        esito=EsitoParere.FAVOREVOLE_CON_OSSERVAZIONI,
        testo="Vedi osservazione.",
        data=timezone.localdate(),
    )
    client.force_login(a.ufficio)
    risposta = client.post(url("trasmetti", a.piano), follow=True)
    assert "1 osservazione di ALER attende ancora la risposta" in " ".join(messaggi(risposta))
    assert stato_di(a.piano) == StatoPiano.PARERE_ESPRESSO

    client.post(
        url("osservazione_risposta", a.piano, osservazione.pk),
        {f"o{osservazione.pk}-risposta": "Ricontrollato: il totale è corretto."},
    )
    osservazione.refresh_from_db()
    assert (osservazione.risposta, osservazione.risposta_di) == (
        "Ricontrollato: il totale è corretto.",
        a.ufficio,
    )
    client.post(url("trasmetti", a.piano))
    assert stato_di(a.piano) == StatoPiano.TRASMESSA_ASSEMBLEA


def test_aler_cannot_answer_its_own_observations(client, a, pdf_veloce):
    porta_a(a, StatoPiano.INVIATA_ALER)
    osservazione = mosse.aggiungi_osservazione(
        piano=a.piano, utente=a.operatore_aler, sezione=SezionePiano.G, testo="Totale g."
    )
    client.force_login(a.operatore_aler)
    risposta = client.post(
        url("osservazione_risposta", a.piano, osservazione.pk), {f"o{osservazione.pk}-risposta": "ok"}
    )
    assert risposta.status_code == 404
    osservazione.refresh_from_db()
    assert osservazione.risposta == ""


def test_answers_show_in_the_next_version_and_in_its_note_di_chiusura(a, media):
    """Real PDFs: the approved version prints the parere, the observation and its answer."""
    porta_a(a, StatoPiano.INVIATA_ALER)
    osservazione = mosse.aggiungi_osservazione(
        piano=a.piano, utente=a.operatore_aler, sezione=SezionePiano.IB, testo="Motivare la quota del 5%."
    )
    mosse.esprimi_parere(
        piano=a.piano,
        utente=a.operatore_aler,
        esito=EsitoParere.FAVOREVOLE_CON_OSSERVAZIONI,
        testo="Parere favorevole con un'osservazione sulla sezione i.b.",
        data=timezone.localdate(),
        protocollo="ALER 77/2025",
    )
    mosse.rispondi_osservazione(
        osservazione=osservazione, utente=a.ufficio, risposta="La quota riflette le richieste della Questura."
    )
    mosse.trasmetti_all_assemblea(piano=a.piano, utente=a.ufficio)
    mosse.approva_piano(
        piano=a.piano,
        utente=a.ufficio,
        data_seduta=timezone.localdate(),
        numero_verbale="01/2025",
        protocollo="10.64 / 2025",
        verbale=verbale(),
    )
    inviata, approvata = VersionePiano.objects.filter(piano=a.piano).order_by("numero")
    assert inviata.dati["note_chiusura"]["osservazioni"] == []  # written after the version was sent
    note = approvata.dati["note_chiusura"]
    assert note["parere"]["esito"] == EsitoParere.FAVOREVOLE_CON_OSSERVAZIONI
    assert note["osservazioni"][0]["risposta"] == "La quota riflette le richieste della Questura."
    assert note["approvazione"]["verbale"] == "01/2025"

    with approvata.pdf.open("rb") as file:
        testo = pdf_in_testo(file.read())
    oggi = timezone.localdate()
    assert "con esito favorevole con osservazioni (protocollo ALER 77/2025)" in testo
    assert "Motivare la quota del 5%." in testo
    assert "La quota riflette le richieste della Questura." in testo
    assert "verbale n. 01/2025, protocollo 10.64 / 2025" in testo
    assert f"Approvato dall'Assemblea dei Sindaci il {oggi.day}" in testo


def test_a_plan_sent_again_keeps_every_rounds_observations_and_earlier_pareri(a, pdf_veloce):
    porta_a(a, StatoPiano.INVIATA_ALER)
    prima = mosse.aggiungi_osservazione(
        piano=a.piano, utente=a.operatore_aler, sezione=SezionePiano.B, testo="Carenza da rivedere."
    )
    mosse.esprimi_parere(
        piano=a.piano,
        utente=a.operatore_aler,
        esito=EsitoParere.NON_FAVOREVOLE,
        testo="Dati da correggere.",
        data=timezone.localdate(),
    )
    mosse.rispondi_osservazione(osservazione=prima, utente=a.ufficio, risposta="Corretto nella versione 2.")
    mosse.riporta_in_bozza(piano=a.piano, utente=a.ufficio, motivo="Correzioni chieste da ALER")
    seconda = mosse.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    # The version ALER reads now carries its earlier parere and the answer to its observation.
    assert seconda.dati["note_chiusura"]["parere"]["esito"] == EsitoParere.NON_FAVOREVOLE
    assert seconda.dati["note_chiusura"]["osservazioni"][0]["risposta"] == "Corretto nella versione 2."
    mosse.esprimi_parere(
        piano=a.piano,
        utente=a.operatore_aler,
        esito=EsitoParere.FAVOREVOLE,
        testo="",
        data=timezone.localdate(),
    )
    mosse.trasmetti_all_assemblea(piano=a.piano, utente=a.ufficio)
    mosse.approva_piano(
        piano=a.piano,
        utente=a.ufficio,
        data_seduta=timezone.localdate(),
        numero_verbale="3/2025",
        verbale=verbale(),
    )
    note = VersionePiano.objects.get(piano=a.piano, tipo=TipoVersione.APPROVATA).dati["note_chiusura"]
    assert (note["parere"]["esito"], note["parere"]["versione"]) == (EsitoParere.FAVOREVOLE, 2)
    assert [(p["esito"], p["versione"]) for p in note["pareri_precedenti"]] == [
        (EsitoParere.NON_FAVOREVOLE, 1)
    ]
    assert [(o["versione"], o["risposta"]) for o in note["osservazioni"]] == [
        (1, "Corretto nella versione 2.")
    ]


# --------------------------------------------------------------------------------------------
# Approval
# --------------------------------------------------------------------------------------------


def test_approval_records_the_session_the_signed_verbale_and_the_presences(client, a, pdf_veloce):
    porta_a(a, StatoPiano.TRASMESSA_ASSEMBLEA)
    comuni = list(a.piano.ambito.comuni.order_by("pk"))
    client.force_login(a.ufficio)
    assert client.get(url("approva", a.piano)).status_code == 200
    dati = {
        "data_seduta": timezone.localdate().isoformat(),
        "numero_verbale": "01/2025",
        "protocollo": "10.64 / 2025",
        "luogo": "Sala Coppetti – Cremona Solidale",
        "verbale": verbale(),
        "quorum": "3",
        f"presente_{comuni[0].pk}": "on",
        f"rappresentante_{comuni[0].pk}": "Marina Della Giovanna",
        f"presente_{comuni[1].pk}": "on",
        f"presente_{comuni[2].pk}": "on",
    }
    riepilogo = client.post(url("approva", a.piano), dati)
    assert riepilogo.status_code == 200 and not Approvazione.objects.exists()  # the summary to confirm
    dati.pop("verbale")
    dati.update(conferma="1", verbale_caricato=riepilogo.context["form"].caricato.gettone)
    risposta = client.post(url("approva", a.piano), dati)
    assert risposta.status_code == 302
    approvazione = Approvazione.objects.get(piano=a.piano)
    assert (approvazione.numero_verbale, approvazione.protocollo, approvazione.quorum) == (
        "01/2025",
        "10.64 / 2025",
        3,
    )
    assert approvazione.seduta_valida is True  # 3 present, quorum 3
    with approvazione.verbale.open("rb") as file:
        assert file.read().startswith(b"%PDF-")
    assert PresenzaAssemblea.objects.filter(approvazione=approvazione, presente=True).count() == 3
    assert PresenzaAssemblea.objects.filter(approvazione=approvazione, presente=False).count() == 1
    assert PresenzaAssemblea.objects.get(comune=comuni[0]).rappresentante == "Marina Della Giovanna"
    assert stato_di(a.piano) == StatoPiano.APPROVATA
    assert VersionePiano.objects.filter(piano=a.piano, tipo=TipoVersione.APPROVATA).exists()

    client.force_login(a.sindaco)
    scaricato = client.get(url("verbale", a.piano))
    assert scaricato.status_code == 200
    assert b"".join(scaricato.streaming_content).startswith(b"%PDF-")


def test_a_session_without_quorum_cannot_approve(a, pdf_veloce):
    porta_a(a, StatoPiano.TRASMESSA_ASSEMBLEA)
    comuni = list(a.piano.ambito.comuni.values_list("pk", flat=True))
    presenze = {pk: mosse.Presenza(presente=n == 0) for n, pk in enumerate(comuni)}
    with pytest.raises(OperazioneNonValida, match="quorum non raggiunto"):
        mosse.approva_piano(
            piano=a.piano,
            utente=a.ufficio,
            data_seduta=timezone.localdate(),
            numero_verbale="02/2025",
            verbale=verbale(),
            presenze=presenze,
            quorum=3,
        )
    assert stato_di(a.piano) == StatoPiano.TRASMESSA_ASSEMBLEA
    assert not Approvazione.objects.exists()


@pytest.mark.parametrize(
    ("nome", "contenuto", "errore"),
    [
        ("verbale.docx", b"PK\x03\x04", "deve essere un file PDF"),
        ("verbale.pdf", b"<html>non un pdf</html>", "non è un PDF valido"),
    ],
)
def test_the_signed_verbale_must_be_a_pdf(client, a, pdf_veloce, nome, contenuto, errore):
    porta_a(a, StatoPiano.TRASMESSA_ASSEMBLEA)
    client.force_login(a.ufficio)
    risposta = client.post(
        url("approva", a.piano),
        {
            "data_seduta": timezone.localdate().isoformat(),
            "numero_verbale": "01/2025",
            "verbale": verbale(nome, contenuto),
        },
    )
    assert errore in risposta.content.decode()
    assert stato_di(a.piano) == StatoPiano.TRASMESSA_ASSEMBLEA


def test_the_signed_verbale_has_a_size_limit(client, a, pdf_veloce, monkeypatch):
    monkeypatch.setattr("piano_annuale.forms_iter.DIMENSIONE_MASSIMA_VERBALE", 100)
    porta_a(a, StatoPiano.TRASMESSA_ASSEMBLEA)
    client.force_login(a.ufficio)
    risposta = client.post(
        url("approva", a.piano),
        {
            "data_seduta": timezone.localdate().isoformat(),
            "numero_verbale": "01/2025",
            "verbale": verbale(contenuto=b"%PDF-1.4 " + b"0" * 200),
        },
    )
    assert "supera la dimensione massima" in risposta.content.decode()
    assert not Approvazione.objects.exists()


def test_approved_plan_pdf_button_serves_the_frozen_version(client, a, pdf_veloce):
    porta_a(a, StatoPiano.APPROVATA)
    approvata = VersionePiano.objects.get(piano=a.piano, tipo=TipoVersione.APPROVATA)
    client.force_login(a.sindaco)
    risposta = client.post(url("piano_pdf", a.piano))
    assert risposta["Location"] == url("versione_pdf", a.piano, approvata.pk)


# --------------------------------------------------------------------------------------------
# E-mails
# --------------------------------------------------------------------------------------------


def destinatari() -> set[str]:
    return {indirizzo for messaggio in mail.outbox for indirizzo in messaggio.to}


def test_sending_to_aler_emails_aler_and_the_ufficio_di_piano_only(
    a, pdf_veloce, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mosse.invia_ad_aler(piano=a.piano, utente=a.ufficio, indirizzo_piano="https://poa.example/piani/1/")
    assert destinatari() == {a.operatore_aler.email, a.aler.email, a.ufficio.email}
    assert all(len(m.to) == 1 for m in mail.outbox)  # nobody sees the others' addresses
    messaggio = next(m for m in mail.outbox if m.to == [a.operatore_aler.email])
    assert messaggio.subject.startswith(f"Piano annuale {a.piano.anno} – inviato ad ALER per il parere")
    assert "parere preliminare previsto dall'art. 4, comma 4, del R.R. 4/2017" in messaggio.body
    assert "https://poa.example/piani/1/" in messaggio.body


def test_the_parere_emails_the_ufficio_di_piano(a, pdf_veloce, django_capture_on_commit_callbacks):
    porta_a(a, StatoPiano.INVIATA_ALER)
    with django_capture_on_commit_callbacks(execute=True):
        mosse.esprimi_parere(
            piano=a.piano,
            utente=a.operatore_aler,
            esito=EsitoParere.NON_FAVOREVOLE,
            testo="I dati di ALER sono incompleti.",
            data=timezone.localdate(),
        )
    messaggio = next(m for m in mail.outbox if m.to == [a.ufficio.email])
    assert "Esito: Non favorevole" in messaggio.body
    assert "I dati di ALER sono incompleti." in messaggio.body
    assert a.operatore_comune.email not in destinatari()


def test_transmission_and_approval_email_the_assemblea_the_comuni_and_aler(
    a, pdf_veloce, django_capture_on_commit_callbacks
):
    porta_a(a, StatoPiano.PARERE_ESPRESSO)
    with django_capture_on_commit_callbacks(execute=True):
        mosse.trasmetti_all_assemblea(piano=a.piano, utente=a.ufficio)
    assert destinatari() == {
        a.sindaco.email,
        a.operatore_comune.email,
        a.operatore_aler.email,
        a.aler.email,
        a.ufficio.email,
    }
    assert a.ufficio_altro_ambito.email not in destinatari()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        mosse.approva_piano(
            piano=a.piano,
            utente=a.ufficio,
            data_seduta=timezone.localdate(),
            numero_verbale="01/2025",
            verbale=verbale(),
        )
    messaggio = next(m for m in mail.outbox if m.to == [a.sindaco.email])
    assert "approvato dall'Assemblea dei Sindaci" in messaggio.subject
    assert "verbale n. 01/2025" in messaggio.body
    assert "lettere, già compilate, sono disponibili" in messaggio.body


def test_going_back_to_bozza_tells_aler_why(a, pdf_veloce, django_capture_on_commit_callbacks):
    porta_a(a, StatoPiano.INVIATA_ALER)
    with django_capture_on_commit_callbacks(execute=True):
        mosse.riporta_in_bozza(piano=a.piano, utente=a.ufficio, motivo="Errore nei dati di Soresina")
    messaggio = next(m for m in mail.outbox if m.to == [a.operatore_aler.email])
    assert "riportato in bozza" in messaggio.subject
    assert "Errore nei dati di Soresina" in messaggio.body
    assert a.sindaco.email not in destinatari()


def test_no_email_leaves_when_the_move_is_refused(a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(OperazioneNonValida):
        mosse.trasmetti_all_assemblea(piano=a.piano, utente=a.ufficio)
    assert mail.outbox == []


# --------------------------------------------------------------------------------------------
# Letters to the Prefettura
# --------------------------------------------------------------------------------------------


@pytest.fixture
def cremonese_approvato(piano_cremonese, pdf_veloce):
    """The Cremonese 2025 plan approved as the seed's verbale says. Its data keep the seed's
    contradictions (errors), so the approval is recorded directly rather than through the service."""
    ufficio = crea_operatore("ufficio.cremonese", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(stato=StatoPiano.APPROVATA)
    piano_cremonese.refresh_from_db()
    Approvazione.objects.create(
        piano=piano_cremonese,
        data_seduta=datetime.date(2025, 2, 14),
        numero_verbale="01/2025",
        protocollo="10.64 / 2025",
        verbale="piani/verbali/verbale.pdf",
        verbale_sha256="0" * 64,
        registrata_da=ufficio,
    )
    congela_versione(piano=piano_cremonese, tipo=TipoVersione.APPROVATA, utente=ufficio)
    return piano_cremonese, ufficio


def test_each_ente_gets_its_letter_to_the_prefettura_with_its_forze_di_polizia_units(
    client, cremonese_approvato
):
    piano, ufficio = cremonese_approvato
    client.force_login(ufficio)
    pagina = client.get(url("iter_piano", piano)).content.decode()
    assert "Lettere alla Prefettura" in pagina
    for comune, unita in [("Cremona", 2), ("Soresina", 2)]:
        ente = EnteProprietario.objects.get(comune__nome=comune)
        risposta = client.get(url("lettera_prefettura", piano, ente.pk))
        assert risposta.status_code == 200
        assert risposta["Content-Type"] == "application/pdf"
        testo = pdf_in_testo(risposta.content)
        assert f"Comune di {comune}" in testo
        assert "Prefettura – Ufficio territoriale del Governo di Cremona" in testo
        assert f"Unità abitative destinate (arrotondamento per eccesso) {unita}" in testo
        assert "seduta del 14 febbraio 2025 (verbale n. 01/2025, protocollo 10.64 / 2025)" in testo
        assert "art. 7 bis" in testo


def test_an_entes_operator_downloads_only_its_own_letter(client, cremonese_approvato):
    piano, _ = cremonese_approvato
    cremona = EnteProprietario.objects.get(comune__nome="Cremona")
    soresina = EnteProprietario.objects.get(comune__nome="Soresina")
    client.force_login(crea_operatore("comune.cremona", piano.ambito, Ruolo.COMUNE, cremona))
    assert client.get(url("lettera_prefettura", piano, cremona.pk)).status_code == 200
    assert client.get(url("lettera_prefettura", piano, soresina.pk)).status_code == 404
    client.force_login(crea_operatore("sindaco.cremonese", piano.ambito, Ruolo.ASSEMBLEA))
    assert client.get(url("lettera_prefettura", piano, cremona.pk)).status_code == 404


def test_an_ente_without_a_forze_di_polizia_quota_has_no_letter(client, cremonese_approvato):
    piano, ufficio = cremonese_approvato
    client.force_login(ufficio)
    senza = EnteProprietario.objects.get(comune__nome="Acquanegra Cremonese")
    assert client.get(url("lettera_prefettura", piano, senza.pk)).status_code == 404


def test_the_entes_workspace_links_its_letter_once_the_plan_is_approved(client, cremonese_approvato):
    piano, _ = cremonese_approvato
    cremona = EnteProprietario.objects.get(comune__nome="Cremona")
    client.force_login(crea_operatore("comune.cremona", piano.ambito, Ruolo.COMUNE, cremona))
    pagina = client.get(reverse("patrimonio:area_ente", args=[piano.pk, cremona.pk])).content.decode()
    assert "Scarica la lettera alla Prefettura" in pagina
    assert url("lettera_prefettura", piano, cremona.pk) in pagina
    acquanegra = EnteProprietario.objects.get(comune__nome="Acquanegra Cremonese")
    client.force_login(crea_operatore("comune.acquanegra", piano.ambito, Ruolo.COMUNE, acquanegra))
    pagina = client.get(reverse("patrimonio:area_ente", args=[piano.pk, acquanegra.pk])).content.decode()
    assert "Scarica la lettera alla Prefettura" not in pagina


def test_the_closing_note_counts_the_comuni_present_of_the_assemblea(a, pdf_veloce):
    porta_a(a, StatoPiano.TRASMESSA_ASSEMBLEA)
    comuni = list(a.piano.ambito.comuni.values_list("pk", flat=True))
    assert len(comuni) == 4  # tests/percorso.py: an ambito of 4 comuni
    presenze = {pk: mosse.Presenza(presente=n < 3) for n, pk in enumerate(comuni)}
    mosse.approva_piano(
        piano=a.piano,
        utente=a.ufficio,
        data_seduta=timezone.localdate(),
        numero_verbale="03/2025",
        verbale=verbale(),
        presenze=presenze,
        quorum=3,
    )
    approvazione = note_di_chiusura(a.piano).approvazione
    assert approvazione is not None
    assert (approvazione.presenti, approvazione.assenti, approvazione.comuni) == (3, 1, 4)
