"""Upload jobs that recover (issue 16 item 4): an upload whose worker died while reading or writing
is failed by the sweep with a message and can be retried; «Annulla» works in every non-final state
and a job that ends later does not undo it; a task delivered twice runs once; with the broker down a
large upload shows a message, not a 500, and nothing is written."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from patrimonio import importazione
from patrimonio.importazione.job import MESSAGGIO_NON_ANNULLABILE, annulla_caricamento, prendi_lavoro
from patrimonio.models import UnitaAbitativa
from patrimonio.tasks import analizza_caricamento_task, conferma_caricamento_task
from piano_annuale.lavori import (
    MESSAGGIO_CODA_NON_RAGGIUNGIBILE,
    MESSAGGIO_LETTURA_INTERROTTA,
    MESSAGGIO_SCRITTURA_INTERROTTA,
    Pulizia,
    pulisci_lavori,
)
from piano_annuale.models import Caricamento, StatoCaricamento
from tests.broker_spento import broker_spento
from tests.patrimonio.test_importazione import aperti, carica, enti, media, riga, soresina_con, url, utenti
from tests.utenti import hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, media.__name__)
__all__ = ["aperti", "broker_spento", "enti", "utenti"]  # fixtures shared with the upload's own tests

NUOVE = [riga(id_regionale=f"T-LAV{n}") for n in range(10)]


@pytest.fixture
def grande(settings):
    """Ten rows count as a large file: read and written by the tasks."""
    settings.POA_IMPORTAZIONE_RIGHE_IN_BACKGROUND = 5


def in_lettura(piano, ente, *, progresso: int, secondi_fa: int) -> Caricamento:
    """An upload stuck as a killed worker leaves it: in its state, last heartbeat long ago."""
    caricamento = importazione.crea_caricamento(
        piano=piano, ente=ente, utente=None, nome_file="unita.csv", contenuto=soresina_con(*NUOVE)
    )
    return _ferma(caricamento, StatoCaricamento.IN_LETTURA, progresso, secondi_fa)


def _ferma(caricamento: Caricamento, stato: str, progresso: int, secondi_fa: int) -> Caricamento:
    Caricamento.objects.filter(pk=caricamento.pk).update(
        stato=stato,
        progresso=progresso,
        aggiornato_il=timezone.now() - datetime.timedelta(seconds=secondi_fa),
    )
    caricamento.refresh_from_db()
    return caricamento


def in_scrittura(piano, ente, *, secondi_fa: int) -> Caricamento:
    """An upload whose preview was confirmed and whose writing job died at 60%."""
    caricamento = importazione.crea_caricamento(
        piano=piano, ente=ente, utente=None, nome_file="unita.csv", contenuto=soresina_con(*NUOVE)
    )
    importazione.analizza_caricamento(caricamento.pk)
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.ANTEPRIMA and caricamento.aggiunte == 10
    assert importazione.prenota_conferma(caricamento)
    return _ferma(caricamento, StatoCaricamento.IN_SCRITTURA, 60, secondi_fa)


def unita_di(ente) -> int:
    return UnitaAbitativa.objects.filter(ente=ente).count()


# --------------------------------------------------------------------------------------------
# Killed while reading
# --------------------------------------------------------------------------------------------


def test_an_upload_killed_while_reading_is_failed_by_the_sweep_and_read_again_by_riprova(
    client, piano_cremonese, enti, utenti, aperti, django_capture_on_commit_callbacks
):
    ente = enti["soresina"]
    prima = unita_di(ente)
    morto = in_lettura(piano_cremonese, ente, progresso=40, secondi_fa=121)
    vivo = in_lettura(piano_cremonese, ente, progresso=40, secondi_fa=60)
    in_coda = in_lettura(piano_cremonese, ente, progresso=0, secondi_fa=600)

    assert pulisci_lavori() == Pulizia(documenti=0, letture=1, scritture=0)
    morto.refresh_from_db()
    assert (morto.stato, morto.esito) == (StatoCaricamento.FALLITO, MESSAGGIO_LETTURA_INTERROTTA)
    assert Caricamento.objects.get(pk=vivo.pk).stato == StatoCaricamento.IN_LETTURA
    assert Caricamento.objects.get(pk=in_coda.pk).stato == StatoCaricamento.IN_LETTURA

    client.force_login(utenti["soresina"])
    pagina = client.get(url("caricamento", piano_cremonese, ente, morto.pk)).content.decode()
    assert "Il lavoro si è interrotto durante la lettura del file" in pagina
    assert url("caricamento_riprova", piano_cremonese, ente, morto.pk) in pagina
    with django_capture_on_commit_callbacks(execute=True):  # eager: the task runs here
        risposta = client.post(url("caricamento_riprova", piano_cremonese, ente, morto.pk))
    assert risposta.status_code == 302
    morto.refresh_from_db()
    assert (morto.stato, morto.aggiunte, morto.progresso) == (StatoCaricamento.ANTEPRIMA, 10, 100)
    assert unita_di(ente) == prima  # a preview writes nothing


def test_a_dead_reading_offers_riprova_before_the_sweep_and_stops_the_polling(
    client, piano_cremonese, enti, utenti, aperti
):
    ente = enti["soresina"]
    morto = in_lettura(piano_cremonese, ente, progresso=40, secondi_fa=121)
    client.force_login(utenti["soresina"])
    stato = client.get(url("caricamento_stato", piano_cremonese, ente, morto.pk)).json()
    assert stato == {"stato": "in_lettura", "descrizione": "In lettura", "progresso": 40, "in_corso": False}
    pagina = client.get(url("caricamento", piano_cremonese, ente, morto.pk)).content.decode()
    assert "Il lavoro si è interrotto prima di finire" in pagina
    assert url("caricamento_riprova", piano_cremonese, ente, morto.pk) in pagina
    assert url("caricamento_annulla", piano_cremonese, ente, morto.pk) in pagina


def test_riprova_is_refused_for_a_live_job(client, piano_cremonese, enti, utenti, aperti):
    ente = enti["soresina"]
    vivo = in_lettura(piano_cremonese, ente, progresso=40, secondi_fa=5)
    client.force_login(utenti["soresina"])
    risposta = client.post(url("caricamento_riprova", piano_cremonese, ente, vivo.pk), follow=True)
    assert "Questo caricamento non è fallito né interrotto: non c&#x27;è nulla da riprovare." in (
        risposta.content.decode()
    )
    vivo.refresh_from_db()
    assert (vivo.stato, vivo.progresso) == (StatoCaricamento.IN_LETTURA, 40)


# --------------------------------------------------------------------------------------------
# Killed while writing
# --------------------------------------------------------------------------------------------


def test_an_upload_killed_while_writing_is_failed_with_nothing_written_and_can_be_confirmed_again(
    client, piano_cremonese, enti, utenti, aperti, grande, django_capture_on_commit_callbacks
):
    ente = enti["soresina"]
    prima = unita_di(ente)
    morto = in_scrittura(piano_cremonese, ente, secondi_fa=121)

    assert pulisci_lavori() == Pulizia(documenti=0, letture=0, scritture=1)
    morto.refresh_from_db()
    assert (morto.stato, morto.esito) == (StatoCaricamento.FALLITO, MESSAGGIO_SCRITTURA_INTERROTTA)
    assert unita_di(ente) == prima

    client.force_login(utenti["soresina"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("caricamento_riprova", piano_cremonese, ente, morto.pk))
    morto.refresh_from_db()
    assert morto.stato == StatoCaricamento.ANTEPRIMA
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("caricamento_conferma", piano_cremonese, ente, morto.pk))
    morto.refresh_from_db()
    assert morto.stato == StatoCaricamento.CONFERMATO
    assert unita_di(ente) == prima + 10


# --------------------------------------------------------------------------------------------
# «Annulla» in every non-final state
# --------------------------------------------------------------------------------------------


def test_annulla_while_reading_holds_even_when_the_reading_ends_afterwards(
    client, piano_cremonese, enti, utenti, aperti
):
    ente = enti["soresina"]
    lettura = in_lettura(piano_cremonese, ente, progresso=40, secondi_fa=1)
    client.force_login(utenti["soresina"])
    risposta = client.post(url("caricamento_annulla", piano_cremonese, ente, lettura.pk))
    assert risposta.status_code == 302 and risposta["Location"] == url("caricamenti", piano_cremonese, ente)
    importazione.analizza_caricamento(lettura.pk)  # the job that was still running ends now
    lettura.refresh_from_db()
    assert lettura.stato == StatoCaricamento.ANNULLATO


def test_annulla_of_a_stuck_write_writes_nothing_even_if_the_job_resumes(piano_cremonese, enti, aperti):
    ente = enti["soresina"]
    prima = unita_di(ente)
    scrittura = in_scrittura(piano_cremonese, ente, secondi_fa=3600)
    assert annulla_caricamento(scrittura) == ""
    importazione.conferma_caricamento(scrittura.pk, utente_id=None)
    scrittura.refresh_from_db()
    assert scrittura.stato == StatoCaricamento.ANNULLATO
    assert unita_di(ente) == prima


@pytest.mark.parametrize("stato", [StatoCaricamento.FALLITO, StatoCaricamento.CON_ERRORI])
def test_annulla_closes_a_failed_upload_or_one_with_errors(piano_cremonese, enti, aperti, stato):
    caricamento = in_lettura(piano_cremonese, enti["soresina"], progresso=100, secondi_fa=1)
    caricamento = _ferma(caricamento, stato, 100, 1)
    assert annulla_caricamento(caricamento) == ""
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.ANNULLATO


def test_annulla_of_a_confirmed_upload_says_it_is_over(client, piano_cremonese, enti, utenti, aperti):
    ente = enti["soresina"]
    caricamento = in_lettura(piano_cremonese, ente, progresso=100, secondi_fa=1)
    caricamento = _ferma(caricamento, StatoCaricamento.CONFERMATO, 100, 1)
    assert annulla_caricamento(caricamento) == MESSAGGIO_NON_ANNULLABILE
    client.force_login(utenti["soresina"])
    risposta = client.post(url("caricamento_annulla", piano_cremonese, ente, caricamento.pk), follow=True)
    assert "Questo caricamento è già concluso: non c&#x27;è nulla da annullare." in risposta.content.decode()
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.CONFERMATO


# --------------------------------------------------------------------------------------------
# A task delivered twice runs once
# --------------------------------------------------------------------------------------------


def test_a_second_delivery_of_the_reading_task_does_nothing(piano_cremonese, enti, aperti):
    caricamento = in_lettura(piano_cremonese, enti["soresina"], progresso=0, secondi_fa=1)
    with mock.patch(
        "patrimonio.tasks.analizza_caricamento", wraps=importazione.analizza_caricamento
    ) as analisi:
        analizza_caricamento_task(caricamento.pk)
        analizza_caricamento_task(caricamento.pk)
    analisi.assert_called_once_with(caricamento.pk)
    caricamento.refresh_from_db()
    assert caricamento.stato == StatoCaricamento.ANTEPRIMA


def test_a_redelivered_writing_task_after_a_crash_leaves_it_to_the_sweep(piano_cremonese, enti, aperti):
    ente = enti["soresina"]
    prima = unita_di(ente)
    scrittura = in_scrittura(piano_cremonese, ente, secondi_fa=1)  # progress 60: it had started
    assert not prendi_lavoro(scrittura.pk, StatoCaricamento.IN_SCRITTURA)
    with mock.patch("patrimonio.tasks.conferma_caricamento") as conferma:
        conferma_caricamento_task(scrittura.pk, None)
    conferma.assert_not_called()
    assert unita_di(ente) == prima


# --------------------------------------------------------------------------------------------
# The broker is unreachable
# --------------------------------------------------------------------------------------------


def test_with_the_broker_down_a_large_upload_shows_a_message_and_writes_nothing(
    client, piano_cremonese, enti, utenti, aperti, grande, broker_spento, django_capture_on_commit_callbacks
):
    ente = enti["soresina"]
    prima = unita_di(ente)
    client.force_login(utenti["soresina"])
    with django_capture_on_commit_callbacks(execute=True):
        risposta = carica(client, piano_cremonese, ente, soresina_con(*NUOVE))
    caricamento = Caricamento.objects.get()
    assert risposta.status_code == 302
    assert (caricamento.stato, caricamento.esito) == (
        StatoCaricamento.FALLITO,
        MESSAGGIO_CODA_NON_RAGGIUNGIBILE,
    )
    pagina = client.get(risposta["Location"])
    assert pagina.status_code == 200
    testo = pagina.content.decode()
    assert "Il servizio che esegue i lavori in background non è raggiungibile in questo momento" in testo
    assert url("caricamento_riprova", piano_cremonese, ente, caricamento.pk) in testo
    assert unita_di(ente) == prima


def test_with_the_broker_down_a_large_confirmation_goes_back_to_its_preview(
    client, piano_cremonese, enti, utenti, aperti, grande, broker_spento, django_capture_on_commit_callbacks
):
    ente = enti["soresina"]
    prima = unita_di(ente)
    caricamento = importazione.crea_caricamento(
        piano=piano_cremonese, ente=ente, utente=None, nome_file="unita.csv", contenuto=soresina_con(*NUOVE)
    )
    importazione.analizza_caricamento(caricamento.pk)
    client.force_login(utenti["soresina"])
    with django_capture_on_commit_callbacks(execute=True):
        risposta = client.post(url("caricamento_conferma", piano_cremonese, ente, caricamento.pk))
    assert risposta.status_code == 302
    caricamento.refresh_from_db()
    assert (caricamento.stato, caricamento.esito) == (
        StatoCaricamento.ANTEPRIMA,
        MESSAGGIO_CODA_NON_RAGGIUNGIBILE,
    )
    assert unita_di(ente) == prima
    assert reverse("patrimonio:caricamento_conferma", args=[piano_cremonese.pk, ente.pk, caricamento.pk]) in (
        client.get(risposta["Location"]).content.decode()
    )
