"""Heavy or irreversible steps ask for confirmation saying what will happen (issue 14, point 4):
«Invia ad ALER», «Trasmetti», «Nuovo piano per l'anno» and the approval lead to a page that lists the
consequences and posts the step only from its button; a frozen version's PDF rendered by a worker
shows its progress (polled by iter.js, refreshed without JavaScript)."""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Iterator
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from patrimonio.models import Ruolo
from piano_annuale.models import (
    DocumentoPiano,
    PassaggioDiStato,
    PianoAnnuale,
    StatoPiano,
    VersionePiano,
)
from piano_annuale.rendering.pdf import PdfGenerato
from piano_annuale.services import iter as mosse
from piano_annuale.tasks import genera_pdf_versione
from tests.percorso import crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media")
__all__ = ["fixture_media", "fixture_pdf_veloce"]  # fixtures, used by name


@pytest.fixture
def a(db):
    return crea_ambito_con_utenti()


def url(nome: str, piano: PianoAnnuale, *altri: int) -> str:
    return reverse(f"piano_annuale:{nome}", args=[piano.pk, *altri])


def stato_di(piano: PianoAnnuale) -> str:
    return PianoAnnuale.objects.values_list("stato", flat=True).get(pk=piano.pk)


def html_di(risposta) -> str:
    """The page's HTML with entities decoded and spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(risposta.content.decode()))


def messaggi(risposta) -> list[str]:
    return [str(m) for m in risposta.context["messages"]] if risposta.context else []


def test_the_send_button_leads_to_a_confirmation_page_that_says_what_will_happen(client, a):
    client.force_login(a.ufficio)
    pagina = html_di(client.get(url("piano_detail", a.piano)))
    assert (
        f'<a class="btn btn-primary" href="{url("invia_aler", a.piano)}">Invia ad ALER per il parere…</a>'
        in pagina
    )

    conferma = client.get(url("invia_aler", a.piano))
    assert conferma.status_code == 200
    pagina = html_di(conferma)
    assert "<h1>Inviare il piano ad ALER per il parere?</h1>" in pagina
    assert "Sarà congelata la versione n. 1 del piano" in pagina
    assert "I dati della ricognizione non saranno più modificabili" in pagina
    # ALER's operator, ALER's office and the ufficio di piano.
    assert "3 persone (ALER e l'ufficio di piano) riceveranno una e-mail." in pagina
    assert 'data-in-corso="Invio in corso…"' in pagina
    assert "Conferma l'invio ad ALER</button>" in pagina
    assert "piano_annuale/iter.js" in pagina
    # Looking at the confirmation changes nothing.
    assert stato_di(a.piano) == StatoPiano.BOZZA
    assert not VersionePiano.objects.exists()

    client.post(url("invia_aler", a.piano), {"data": timezone.localdate().isoformat()})
    assert stato_di(a.piano) == StatoPiano.INVIATA_ALER
    assert PassaggioDiStato.objects.get(a=StatoPiano.INVIATA_ALER).avvenuto_il is None  # today: no other day


def test_a_plan_with_errors_gets_no_confirm_button_but_the_reason(client, piano_cremonese):
    ufficio = crea_operatore("ufficio.cremonese", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    client.force_login(ufficio)
    pagina = html_di(client.get(url("invia_aler", piano_cremonese)))
    assert "errori di coerenza: vanno corretti prima di inviare il piano ad ALER per il parere." in pagina
    assert "Conferma l'invio ad ALER" not in pagina
    assert "Vedi gli errori di coerenza" in pagina


def test_the_draft_may_be_recorded_as_sent_on_an_earlier_day_and_aler_dates_its_parere_from_it(client, a):
    oggi = timezone.localdate()
    client.force_login(a.ufficio)
    risposta = client.post(
        url("invia_aler", a.piano), {"data": (oggi - datetime.timedelta(days=40)).isoformat()}, follow=True
    )
    assert "inviato ad ALER per il parere (in data " in " ".join(messaggi(risposta))
    invio = PassaggioDiStato.objects.get(a=StatoPiano.INVIATA_ALER)
    assert invio.avvenuto_il == oggi - datetime.timedelta(days=40)
    assert invio.data == oggi - datetime.timedelta(days=40)
    assert timezone.localtime(invio.eseguito_il).date() == oggi and invio.utente == a.ufficio

    client.force_login(a.operatore_aler)
    client.post(
        url("parere", a.piano),
        {"esito": "favorevole", "data": (oggi - datetime.timedelta(days=30)).isoformat(), "testo": ""},
    )
    assert stato_di(a.piano) == StatoPiano.PARERE_ESPRESSO


def test_a_future_sending_day_is_refused(client, a):
    client.force_login(a.ufficio)
    domani = timezone.localdate() + datetime.timedelta(days=1)
    risposta = client.post(url("invia_aler", a.piano), {"data": domani.isoformat()}, follow=True)
    assert "La data dell'invio ad ALER non può essere successiva a oggi." in messaggi(risposta)
    assert stato_di(a.piano) == StatoPiano.BOZZA


def test_an_invalid_day_shows_the_confirmation_again_with_the_error_inline(client, a):
    client.force_login(a.ufficio)
    risposta = client.post(url("invia_aler", a.piano), {"data": "31/02/2025"})
    assert risposta.status_code == 400
    pagina = html_di(risposta)
    assert "Data non valida." in pagina
    assert 'aria-invalid="true"' in pagina
    assert stato_di(a.piano) == StatoPiano.BOZZA


def test_the_transmission_is_confirmed_with_its_real_day_and_who_recorded_it(client, a, pdf_veloce):
    oggi = timezone.localdate()
    porta_a(a, StatoPiano.PARERE_ESPRESSO)
    client.force_login(a.ufficio)
    pagina = html_di(client.get(url("trasmetti", a.piano)))
    assert "<h1>Trasmettere il piano all'Assemblea dei Sindaci?</h1>" in pagina
    assert "Il piano, con il parere di ALER e le risposte a 0 osservazioni, diventa leggibile" in pagina
    assert "Data della trasmissione all'Assemblea" in pagina
    assert stato_di(a.piano) == StatoPiano.PARERE_ESPRESSO

    # Not before ALER's parere (given today in porta_a).
    ieri = oggi - datetime.timedelta(days=1)
    risposta = client.post(url("trasmetti", a.piano), {"data": ieri.isoformat()}, follow=True)
    assert (
        f"La data della trasmissione deve essere compresa tra il {oggi:%d/%m/%Y}, data del parere di ALER, e oggi."
        in messaggi(risposta)
    )
    assert stato_di(a.piano) == StatoPiano.PARERE_ESPRESSO

    client.post(url("trasmetti", a.piano), {"data": oggi.isoformat()})
    assert stato_di(a.piano) == StatoPiano.TRASMESSA_ASSEMBLEA
    trasmissione = PassaggioDiStato.objects.get(a=StatoPiano.TRASMESSA_ASSEMBLEA)
    assert (trasmissione.avvenuto_il, trasmissione.utente) == (None, a.ufficio)


def test_the_real_days_of_sending_parere_transmission_and_session_can_all_precede_their_recording(
    client, a, pdf_veloce
):
    oggi = timezone.localdate()
    giorno = {n: oggi - datetime.timedelta(days=n) for n in (40, 30, 20, 10)}
    client.force_login(a.ufficio)
    client.post(url("invia_aler", a.piano), {"data": giorno[40].isoformat()})
    client.force_login(a.operatore_aler)
    client.post(url("parere", a.piano), {"esito": "favorevole", "data": giorno[30].isoformat()})
    client.force_login(a.ufficio)
    risposta = client.post(url("trasmetti", a.piano), {"data": giorno[20].isoformat()}, follow=True)
    assert stato_di(a.piano) == StatoPiano.TRASMESSA_ASSEMBLEA
    assert "registrato il" in html_di(risposta)  # the iter page: the real day and the day it was recorded
    with pytest.raises(mosse.OperazioneNonValida, match="giorno della trasmissione all'Assemblea"):
        mosse.verifica_approvazione(piano=a.piano, utente=a.ufficio, data_seduta=giorno[30])
    assert mosse.verifica_approvazione(piano=a.piano, utente=a.ufficio, data_seduta=giorno[10]) is None


def test_the_new_year_is_confirmed_before_it_is_created(client, a, pdf_veloce):
    porta_a(a, StatoPiano.APPROVATA)
    client.force_login(a.ufficio)
    pagina = html_di(client.get(url("iter_piano", a.piano)))
    assert f'href="{url("nuovo_anno", a.piano)}">Nuovo piano per l\'anno {a.piano.anno + 1}…</a>' in pagina
    conferma = html_di(client.get(url("nuovo_anno", a.piano)))
    assert f"<h1>Creare il piano {a.piano.anno + 1}?</h1>" in conferma
    assert "enti riceveranno una e-mail con la richiesta di confermare i propri dati." in conferma
    assert f"Conferma: crea il piano {a.piano.anno + 1}</button>" in conferma
    assert not PianoAnnuale.objects.filter(anno=a.piano.anno + 1).exists()

    client.post(url("nuovo_anno", a.piano))
    assert PianoAnnuale.objects.filter(ambito=a.piano.ambito, anno=a.piano.anno + 1).exists()
    # Once created, the confirmation page says so instead of offering it again.
    risposta = client.get(url("nuovo_anno", a.piano), follow=True)
    assert f"Il piano {a.piano.anno + 1} è già stato creato." in messaggi(risposta)


@pytest.mark.parametrize("nome", ["invia_aler", "trasmetti", "nuovo_anno"])
def test_only_the_ufficio_di_piano_sees_the_confirmation_pages(client, a, nome):
    for utente in (a.operatore_aler, a.operatore_comune, a.sindaco, a.ufficio_altro_ambito):
        client.force_login(utente)
        assert client.get(url(nome, a.piano)).status_code == 404


@pytest.fixture
def con_worker() -> Iterator[None]:
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def test_with_a_worker_the_send_shows_the_pdf_progress_then_its_link(
    client, a, con_worker, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(
        "piano_annuale.versioni_pdf.genera_pdf",
        lambda piano, **_: PdfGenerato(contenuto=b"%PDF-1.7 prova", chiave="0" * 64, definitivo=False),
    )
    client.force_login(a.ufficio)
    with (
        mock.patch("piano_annuale.tasks.genera_pdf_versione.delay"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        risposta = client.post(url("invia_aler", a.piano))
    versione = VersionePiano.objects.get(piano=a.piano)
    documento = DocumentoPiano.objects.get(versione=versione)
    assert risposta["Location"] == url("avanzamento_versione", a.piano, versione.pk)
    pagina = html_di(client.get(risposta["Location"]))
    assert "PDF della versione in preparazione (0%)" in pagina
    assert f'data-stato-url="{url("documento_stato_json", a.piano, documento.pk)}"' in pagina
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in pagina
    assert "piano_annuale/iter.js" in pagina
    assert client.get(url("documento_stato_json", a.piano, documento.pk)).json()["stato"] == "in_coda"

    genera_pdf_versione(documento.pk)

    pagina = html_di(client.get(url("avanzamento_versione", a.piano, versione.pk)))
    assert "Il PDF della versione è pronto." in pagina
    assert "http-equiv" not in pagina
    assert f'href="{url("versione_pdf", a.piano, versione.pk)}"' in pagina


def test_the_progress_page_is_for_the_plan_readers_only(client, a, pdf_veloce):
    porta_a(a, StatoPiano.INVIATA_ALER)
    versione = VersionePiano.objects.get(piano=a.piano)
    client.force_login(a.operatore_comune)  # the plan is not the comuni's before the Assemblea
    assert client.get(url("avanzamento_versione", a.piano, versione.pk)).status_code == 404
    client.force_login(a.operatore_aler)
    assert client.get(url("avanzamento_versione", a.piano, versione.pk)).status_code == 200
