"""«Invia ad ALER» and «Approva» with a worker (issue 17, heavy work off the request): the move and the
frozen JSON with its SHA-256 are written in the request; the PDF is rendered by a task, with a
document row showing its progress, and attached to the version once. An unreachable broker leaves the
move done, the version frozen and the PDF to retry from its page."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from unittest import mock

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from piano_annuale.calcolo.serializzazione import piano_da_json
from piano_annuale.lavori import MESSAGGIO_CODA_NON_RAGGIUNGIBILE
from piano_annuale.models import DocumentoPiano, StatoDocumento, StatoPiano, TipoVersione, VersionePiano
from piano_annuale.rendering.pdf import PdfGenerato
from piano_annuale.rendering.versioni import json_versione
from piano_annuale.services import iter as mosse
from piano_annuale.tasks import genera_pdf_versione
from tests.broker_spento import broker_spento
from tests.percorso import crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a, verbale
from tests.utenti import hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media")
__all__ = ["broker_spento", "fixture_media", "fixture_pdf_veloce"]  # fixtures, used by name


@pytest.fixture
def a(db):
    return crea_ambito_con_utenti()


@pytest.fixture
def con_worker() -> Iterator[None]:
    """Tasks are not run eagerly: a worker would run them (the test calls them itself)."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture
def pdf_finto(monkeypatch) -> list[dict]:
    """The background rendering's stand-in: records what it was given."""
    chiamate: list[dict] = []

    def genera(piano, **argomenti) -> PdfGenerato:
        chiamate.append(argomenti)
        definitivo = not argomenti.get("forza_bozza") and piano.stato == StatoPiano.APPROVATA
        return PdfGenerato(
            contenuto=f"%PDF-1.7 versione {len(chiamate)}".encode(), chiave="0" * 64, definitivo=definitivo
        )

    monkeypatch.setattr("piano_annuale.versioni_pdf.genera_pdf", genera)
    return chiamate


def url(nome: str, piano, *altri: int) -> str:
    return reverse(f"piano_annuale:{nome}", args=[piano.pk, *altri])


def test_sending_to_aler_freezes_the_json_in_the_request_and_the_worker_attaches_the_pdf(
    client, a, con_worker, pdf_finto, django_capture_on_commit_callbacks
):
    client.force_login(a.ufficio)
    with (
        mock.patch("piano_annuale.tasks.genera_pdf_versione.delay") as consegna,
        django_capture_on_commit_callbacks(execute=True),
    ):
        risposta = client.post(url("invia_aler", a.piano), follow=True)
    versione = VersionePiano.objects.get(piano=a.piano)
    documento = DocumentoPiano.objects.get(versione=versione)
    consegna.assert_called_once_with(documento.pk)
    assert pdf_finto == []  # nothing rendered in the request
    a.piano.refresh_from_db()
    assert a.piano.stato == StatoPiano.INVIATA_ALER
    assert (versione.tipo, versione.pdf.name, versione.pdf_sha256) == (TipoVersione.INVIATA_ALER, "", "")
    assert versione.dati_sha256 == hashlib.sha256(versione.dati_json.encode()).hexdigest()
    assert (documento.stato, documento.progresso, documento.definitivo) == (StatoDocumento.IN_CODA, 0, False)
    testo = risposta.content.decode()
    assert "Il PDF della versione si sta preparando" in testo
    assert "in preparazione (0%)" in testo
    assert client.get(url("versione_pdf", a.piano, versione.pk))["Location"] == url(
        "documento_stato", a.piano, documento.pk
    )

    genera_pdf_versione(documento.pk)

    versione.refresh_from_db()
    documento.refresh_from_db()
    contenuto = versione.pdf.read()
    assert contenuto == b"%PDF-1.7 versione 1"
    assert versione.pdf_sha256 == hashlib.sha256(contenuto).hexdigest() == documento.sha256
    assert versione.integra()
    assert (documento.stato, documento.progresso, documento.file.name) == (
        StatoDocumento.PRONTO,
        100,
        versione.pdf.name,
    )
    assert pdf_finto[0]["forza_bozza"] is True  # ALER reads the draft with its watermark
    scaricato = client.get(url("versione_pdf", a.piano, versione.pk))
    assert scaricato.status_code == 200 and b"".join(scaricato.streaming_content) == contenuto

    genera_pdf_versione(documento.pk)  # a second delivery changes nothing
    assert len(pdf_finto) == 1


def test_the_pdf_is_rendered_from_the_frozen_json_not_from_the_live_plan(a, con_worker, pdf_finto):
    versione = mosse.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    documento = DocumentoPiano.objects.get(versione=versione)
    with mock.patch("piano_annuale.versioni_pdf.piano_da_json", wraps=piano_da_json) as dal_json:
        genera_pdf_versione(documento.pk)
    dal_json.assert_called_once_with(versione.dati)
    assert json_versione(pdf_finto[0]["calcolo"], pdf_finto[0]["note"]) == versione.dati_json


def test_approving_with_a_worker_freezes_the_approved_json_and_attaches_the_pdf_a(
    a, pdf_veloce, pdf_finto, django_capture_on_commit_callbacks
):
    piano = porta_a(a, StatoPiano.TRASMESSA_ASSEMBLEA)  # eagerly, as in the demo
    celery_app.conf.task_always_eager = False
    try:
        with (
            mock.patch("piano_annuale.tasks.genera_pdf_versione.delay") as consegna,
            django_capture_on_commit_callbacks(execute=True),
        ):
            mosse.approva_piano(
                piano=piano,
                utente=a.ufficio,
                data_seduta=timezone.localdate(),
                numero_verbale="1/2025",
                verbale=verbale(),
            )
    finally:
        celery_app.conf.task_always_eager = True
    approvata = VersionePiano.objects.get(piano=piano, tipo=TipoVersione.APPROVATA)
    documento = DocumentoPiano.objects.get(versione=approvata)
    consegna.assert_called_once_with(documento.pk)
    assert approvata.pdf.name == "" and documento.definitivo
    genera_pdf_versione(documento.pk)
    approvata.refresh_from_db()
    assert approvata.integra() and pdf_finto[0]["forza_bozza"] is False


def test_the_database_lets_a_version_receive_its_pdf_once_and_nothing_else(a, con_worker, pdf_finto):
    versione = mosse.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        VersionePiano.objects.filter(pk=versione.pk).update(dati_json="{}")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        VersionePiano.objects.filter(pk=versione.pk).update(pdf="piani/altro.pdf", pdf_sha256="")
    genera_pdf_versione(DocumentoPiano.objects.get(versione=versione).pk)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        VersionePiano.objects.filter(pk=versione.pk).update(pdf="piani/altro.pdf")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        VersionePiano.objects.filter(pk=versione.pk).delete()
    assert VersionePiano.objects.get(pk=versione.pk).integra()


def test_with_the_broker_down_the_move_is_done_and_the_pdf_is_retried_from_its_page(
    client, a, broker_spento, pdf_finto, django_capture_on_commit_callbacks
):
    client.force_login(a.ufficio)
    with django_capture_on_commit_callbacks(execute=True):
        risposta = client.post(url("invia_aler", a.piano))
    assert risposta.status_code == 302
    versione = VersionePiano.objects.get(piano=a.piano)
    documento = DocumentoPiano.objects.get(versione=versione)
    assert (documento.stato, documento.errore) == (StatoDocumento.ERRORE, MESSAGGIO_CODA_NON_RAGGIUNGIBILE)
    pagina = client.get(url("documento_stato", a.piano, documento.pk)).content.decode()
    assert url("versione_pdf_riprova", a.piano, documento.pk) in pagina

    celery_app.conf.task_always_eager = True  # the broker is back (here: eager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("versione_pdf_riprova", a.piano, documento.pk))
    documento.refresh_from_db()
    versione.refresh_from_db()
    assert documento.stato == StatoDocumento.PRONTO and versione.integra()
