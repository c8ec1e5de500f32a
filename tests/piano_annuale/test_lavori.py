"""Background jobs that recover (issue 16 item 4): the PDF task runs once per request however often
its message is delivered, the sweep fails the jobs whose heartbeat stopped, a new request queues a
failed or dead PDF again, and an unreachable broker gives a message on the page instead of a 500."""

from __future__ import annotations

import datetime
import time
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from patrimonio.models import Ruolo
from piano_annuale.lavori import (
    MESSAGGIO_CODA_NON_RAGGIUNGIBILE,
    MESSAGGIO_PDF_INTERROTTO,
    Pulizia,
    accoda,
    battito,
    pulisci_lavori,
)
from piano_annuale.models import DocumentoPiano, PianoAnnuale, StatoDocumento
from piano_annuale.rendering.pdf import PdfGenerato, chiave_attuale
from piano_annuale.tasks import genera_documento, richiedi_pdf
from tests.broker_spento import broker_spento
from tests.utenti import crea_operatore

__all__ = ["broker_spento"]  # the fixture, used by name


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ufficio(piano_cremonese: PianoAnnuale):
    return crea_operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)


def documento(piano: PianoAnnuale, stato: str, *, secondi_fa: int, chiave: str = "a" * 64) -> DocumentoPiano:
    """A document in ``stato`` whose last sign of life was ``secondi_fa`` seconds ago."""
    creato = DocumentoPiano.objects.create(piano=piano, chiave=chiave, stato=stato, progresso=40)
    DocumentoPiano.objects.filter(pk=creato.pk).update(
        aggiornato_il=timezone.now() - datetime.timedelta(seconds=secondi_fa)
    )
    creato.refresh_from_db()
    return creato


def pdf_finto(piano: PianoAnnuale, **_: object) -> PdfGenerato:
    """A stand-in for the seconds-long rendering, with the key the real one would have."""
    chiave, definitiva = chiave_attuale(piano)
    return PdfGenerato(contenuto=b"%PDF-1.7 finto", chiave=chiave, definitivo=definitiva)


# --------------------------------------------------------------------------------------------
# The task is idempotent: it claims its row first
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stato", [StatoDocumento.IN_CORSO, StatoDocumento.PRONTO, StatoDocumento.ERRORE])
def test_a_delivery_of_the_pdf_task_renders_only_a_queued_document(piano_cremonese, stato):
    altro = documento(piano_cremonese, stato, secondi_fa=1)
    with mock.patch("piano_annuale.tasks.genera_pdf") as genera:
        genera_documento(altro.pk)
    genera.assert_not_called()
    altro.refresh_from_db()
    assert (altro.stato, altro.progresso) == (stato, 40)


def test_the_same_message_delivered_twice_renders_once(
    piano_cremonese, ufficio, django_capture_on_commit_callbacks
):
    with (
        mock.patch("piano_annuale.tasks.genera_documento.delay") as consegna,
        django_capture_on_commit_callbacks(execute=True),
    ):
        richiesto = richiedi_pdf(piano=piano_cremonese, utente=ufficio)
    consegna.assert_called_once_with(richiesto.pk)
    with mock.patch("piano_annuale.tasks.genera_pdf", side_effect=pdf_finto) as genera:
        genera_documento(richiesto.pk)
        genera_documento(richiesto.pk)  # redelivered (acks_late): the row says it is done
    assert genera.call_count == 1
    richiesto.refresh_from_db()
    assert (richiesto.stato, richiesto.progresso) == (StatoDocumento.PRONTO, 100)
    assert richiesto.file.read() == b"%PDF-1.7 finto"


# --------------------------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------------------------


def test_the_sweep_fails_a_pdf_whose_heartbeat_stopped_and_leaves_live_and_waiting_ones(
    piano_cremonese, settings
):
    settings.POA_LAVORI = {"SECONDI_SENZA_SEGNALI": 120, "SECONDI_IN_CODA": 1800}
    morto = documento(piano_cremonese, StatoDocumento.IN_CORSO, secondi_fa=121, chiave="1" * 64)
    vivo = documento(piano_cremonese, StatoDocumento.IN_CORSO, secondi_fa=100, chiave="2" * 64)
    in_coda = documento(piano_cremonese, StatoDocumento.IN_CODA, secondi_fa=1700, chiave="3" * 64)
    perso = documento(piano_cremonese, StatoDocumento.IN_CODA, secondi_fa=1801, chiave="4" * 64)
    pronto = documento(piano_cremonese, StatoDocumento.PRONTO, secondi_fa=99999, chiave="5" * 64)

    assert pulisci_lavori() == Pulizia(documenti=2, letture=0, scritture=0)

    stati = dict(DocumentoPiano.objects.values_list("pk", "stato"))
    assert stati == {
        morto.pk: StatoDocumento.ERRORE,
        vivo.pk: StatoDocumento.IN_CORSO,
        in_coda.pk: StatoDocumento.IN_CODA,
        perso.pk: StatoDocumento.ERRORE,
        pronto.pk: StatoDocumento.PRONTO,
    }
    morto.refresh_from_db()
    assert morto.errore == MESSAGGIO_PDF_INTERROTTO
    assert morto.errore.startswith("Il lavoro si è interrotto prima di finire")
    assert pulisci_lavori() == Pulizia(documenti=0, letture=0, scritture=0)


def test_the_management_command_reports_what_it_swept(piano_cremonese, capsys):
    documento(piano_cremonese, StatoDocumento.IN_CORSO, secondi_fa=3600)
    call_command("pulisci_lavori")
    uscita = capsys.readouterr().out
    assert uscita.startswith(
        "Lavori interrotti segnati come non riusciti: 1 PDF, 0 letture e 0 registrazioni di caricamenti "
        "(senza segni di vita da oltre 120 secondi, o in coda da oltre 1800)."
    )


def test_the_sweep_is_scheduled_every_minute_by_celery_beat():
    voce = celery_app.conf.beat_schedule["pulisci-lavori"]
    assert voce["task"] == "piano_annuale.pulisci_lavori"
    assert voce["schedule"] == 60.0
    assert "piano_annuale.pulisci_lavori" in celery_app.tasks


def test_celery_acknowledges_late_and_requeues_the_tasks_of_a_lost_worker():
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1
    assert (celery_app.conf.task_soft_time_limit, celery_app.conf.task_time_limit) == (840, 900)
    assert celery_app.conf.broker_transport_options == {"visibility_timeout": 3600}


# --------------------------------------------------------------------------------------------
# A new request after a failure or a dead job queues it again
# --------------------------------------------------------------------------------------------


def test_a_new_request_for_a_dead_pdf_queues_it_again_without_waiting_for_the_sweep(
    piano_cremonese, ufficio, django_capture_on_commit_callbacks
):
    chiave, _ = chiave_attuale(piano_cremonese)
    morto = documento(piano_cremonese, StatoDocumento.IN_CORSO, secondi_fa=121, chiave=chiave)
    with (
        mock.patch("piano_annuale.tasks.genera_documento.delay") as consegna,
        django_capture_on_commit_callbacks(execute=True),
    ):
        di_nuovo = richiedi_pdf(piano=piano_cremonese, utente=ufficio)
    assert di_nuovo.pk == morto.pk
    consegna.assert_called_once_with(morto.pk)
    morto.refresh_from_db()
    assert (morto.stato, morto.progresso) == (StatoDocumento.IN_CODA, 0)


def test_a_request_while_the_pdf_is_alive_returns_the_same_document_without_queueing(
    piano_cremonese, ufficio, django_capture_on_commit_callbacks
):
    chiave, _ = chiave_attuale(piano_cremonese)
    vivo = documento(piano_cremonese, StatoDocumento.IN_CORSO, secondi_fa=5, chiave=chiave)
    with (
        mock.patch("piano_annuale.tasks.genera_documento.delay") as consegna,
        django_capture_on_commit_callbacks(execute=True),
    ):
        stesso = richiedi_pdf(piano=piano_cremonese, utente=ufficio)
    assert stesso.pk == vivo.pk
    consegna.assert_not_called()


def test_a_swept_pdf_is_rendered_again_from_the_status_pages_retry_button(
    client, piano_cremonese, ufficio, django_capture_on_commit_callbacks
):
    chiave, _ = chiave_attuale(piano_cremonese)
    morto = documento(piano_cremonese, StatoDocumento.IN_CORSO, secondi_fa=3600, chiave=chiave)
    pulisci_lavori()
    client.force_login(ufficio)
    pagina = client.get(reverse("piano_annuale:documento_stato", args=[piano_cremonese.pk, morto.pk]))
    testo = pagina.content.decode()
    assert pagina.status_code == 200
    assert "Il lavoro si è interrotto prima di finire" in testo
    assert reverse("piano_annuale:piano_pdf", args=[piano_cremonese.pk]) in testo and "Riprova" in testo
    with (
        mock.patch("piano_annuale.tasks.genera_pdf", side_effect=pdf_finto),
        django_capture_on_commit_callbacks(execute=True),
    ):
        risposta = client.post(reverse("piano_annuale:piano_pdf", args=[piano_cremonese.pk]))
    assert risposta.status_code == 302
    morto.refresh_from_db()
    assert (morto.stato, morto.progresso, morto.errore) == (StatoDocumento.PRONTO, 100, "")


# --------------------------------------------------------------------------------------------
# The broker is unreachable
# --------------------------------------------------------------------------------------------


def test_queueing_on_a_closed_port_fails_fast_and_says_so(broker_spento):
    inizio = time.perf_counter()
    assert accoda(genera_documento, 1) is False
    assert time.perf_counter() - inizio < 5


def test_with_the_broker_down_genera_pdf_shows_a_message_not_a_500_and_leaves_no_queued_row(
    client, piano_cremonese, ufficio, broker_spento, django_capture_on_commit_callbacks
):
    client.force_login(ufficio)
    with django_capture_on_commit_callbacks(execute=True):
        risposta = client.post(reverse("piano_annuale:piano_pdf", args=[piano_cremonese.pk]))
    richiesto = DocumentoPiano.objects.get(piano=piano_cremonese)
    assert risposta.status_code == 302
    assert (richiesto.stato, richiesto.errore) == (StatoDocumento.ERRORE, MESSAGGIO_CODA_NON_RAGGIUNGIBILE)
    assert not richiesto.file
    pagina = client.get(risposta["Location"])
    assert pagina.status_code == 200
    testo = pagina.content.decode()
    assert "Il servizio che esegue i lavori in background non è raggiungibile in questo momento" in testo
    assert "Riprova" in testo


# --------------------------------------------------------------------------------------------
# The heartbeat
# --------------------------------------------------------------------------------------------


def test_a_running_job_beats_from_a_thread_and_stops_beating_when_it_ends(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.POA_LAVORI = {"SECONDI_BATTITO": 1}
    with mock.patch("piano_annuale.lavori._batti") as batti:
        with battito(DocumentoPiano, 7):
            time.sleep(2.5)
        battiti = batti.call_count
        time.sleep(1.5)
    assert battiti == 2
    assert batti.call_count == 2
    batti.assert_called_with(DocumentoPiano, 7)


def test_a_job_run_eagerly_inside_the_request_needs_no_heartbeat(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with mock.patch("piano_annuale.lavori.threading.Thread") as filo, battito(DocumentoPiano, 7):
        pass
    filo.assert_not_called()
