"""Background work of the plan: rendering its PDF (Celery; eager when no broker is configured).

``richiedi_pdf`` keys each document by a hash of everything its file depends on
(``rendering.pdf.chiave_documento``), so the same data renders once: a later request with the same
key gets the same ``DocumentoPiano`` back. It lives here, above the renderer, because it queues
``genera_documento``: the renderer never imports this module.

Faults (``piano_annuale.lavori``): the task claims its row (in coda → in corso) before rendering, so a
second delivery of the same message does nothing; it beats while it renders; a request after a
failure or a dead job queues it again; an unreachable broker fails the row with a message.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from piano_annuale.lavori import (
    MESSAGGIO_CODA_NON_RAGGIUNGIBILE,
    Pulizia,
    accoda_dopo_commit,
    battito,
    documento_fermo,
    pulisci_lavori,
)
from piano_annuale.models import DocumentoPiano, PianoAnnuale, StatoDocumento, VersionePiano
from piano_annuale.rendering.pdf import chiave_attuale, da_generare, genera_pdf, nome_file
from piano_annuale.versioni_pdf import allega_pdf

logger = logging.getLogger(__name__)

MESSAGGIO_ERRORE = (
    "Non è stato possibile generare il PDF del piano. Riprovare più tardi; se l'errore si ripete, "
    "segnalarlo all'assistenza indicando il piano e l'ora della richiesta."
)
MESSAGGIO_DATI_CAMBIATI = (
    "I dati del piano sono cambiati mentre il PDF veniva preparato e per i nuovi dati esiste già un "
    "altro documento: richiedere di nuovo il PDF."
)


def _aggiorna(documento_id: int, **campi: object) -> None:
    """Write progress straight away (one UPDATE, a heartbeat too): the status page reads it."""
    DocumentoPiano.objects.filter(pk=documento_id).update(aggiornato_il=timezone.now(), **campi)


def _prendi(documento_id: int) -> bool:
    """Claim a queued document for this delivery (in coda → in corso), atomically.

    Anything else is left alone: a ready or failed document (a stray or late delivery: a new
    request queues it again), or one in corso — another delivery of the same message is rendering
    it, or the worker that was rendering it died; then its heartbeat stops and the sweep fails it."""
    return (
        DocumentoPiano.objects.filter(pk=documento_id, stato=StatoDocumento.IN_CODA).update(
            stato=StatoDocumento.IN_CORSO, progresso=0, errore="", aggiornato_il=timezone.now()
        )
        == 1
    )


@shared_task(name="piano_annuale.genera_documento", ignore_result=True)
def genera_documento(documento_id: int) -> None:
    """Render the PDF of a ``DocumentoPiano`` and store it, reporting progress as it goes:
    10% plan computed, 40% HTML ready, 90% PDF written, 100% ready."""
    if not _prendi(documento_id):
        return
    documento = DocumentoPiano.objects.select_related("piano__ambito").get(pk=documento_id)
    with battito(DocumentoPiano, documento_id):
        _genera(documento)


def _genera(documento: DocumentoPiano) -> None:
    documento_id = documento.pk
    try:
        generato = genera_pdf(
            documento.piano, avanzamento=lambda percento: _aggiorna(documento_id, progresso=percento)
        )
        if documento.file:  # a retry: drop the file of the failed attempt
            documento.file.delete(save=False)
        piano = documento.piano
        nome = nome_file(piano.ambito.nome, piano.anno, definitiva=generato.definitivo)
        nome = nome.replace(".pdf", f"-{generato.chiave[:12]}.pdf")
        documento.file.save(nome, ContentFile(generato.contenuto), save=False)
        _aggiorna(documento_id, file=documento.file.name, progresso=90)
        try:
            # The data may have changed since the request: the key follows the data the file was
            # made from. Another document may already hold that key (unique): then this one fails.
            with transaction.atomic():
                _aggiorna(
                    documento_id,
                    chiave=generato.chiave,
                    definitivo=generato.definitivo,
                    sha256=hashlib.sha256(generato.contenuto).hexdigest(),
                    stato=StatoDocumento.PRONTO,
                    progresso=100,
                    completato_il=timezone.now(),
                )
        except IntegrityError:
            logger.warning("PDF %s: i dati del piano sono cambiati durante la generazione", documento_id)
            documento.file.delete(save=False)
            _aggiorna(documento_id, file="", stato=StatoDocumento.ERRORE, errore=MESSAGGIO_DATI_CAMBIATI)
    except Exception:
        logger.exception("PDF %s: generazione non riuscita", documento_id)
        _aggiorna(documento_id, stato=StatoDocumento.ERRORE, errore=MESSAGGIO_ERRORE)


def richiedi_pdf(*, piano: PianoAnnuale, utente: Any) -> DocumentoPiano:
    """The PDF document of ``piano`` for its current data: reused when one with the same key exists,
    otherwise created and queued for ``genera_documento`` (after the transaction commits)."""
    chiave, definitiva = chiave_attuale(piano)
    richiedente = utente if getattr(utente, "is_authenticated", False) else None
    with transaction.atomic():
        documento, creato = DocumentoPiano.objects.select_for_update().get_or_create(
            chiave=chiave,
            defaults={"piano": piano, "definitivo": definitiva, "richiesto_da": richiedente},
        )
        if not creato:
            if not (da_generare(documento) or documento_fermo(documento)):
                return documento
            # A new request for a failed or lost rendering: start again from the queue.
            documento.stato = StatoDocumento.IN_CODA
            documento.progresso = 0
            documento.errore = ""
            documento.richiesto_da = richiedente
            documento.creato_il = timezone.now()
            documento.completato_il = None
            documento.save()
        documento_id = documento.pk
        accoda_dopo_commit(
            genera_documento,
            documento_id,
            se_non_accodato=lambda: _aggiorna(
                documento_id, stato=StatoDocumento.ERRORE, errore=MESSAGGIO_CODA_NON_RAGGIUNGIBILE
            ),
        )
    return documento


MESSAGGIO_ERRORE_VERSIONE = (
    "Non è stato possibile preparare il PDF della versione congelata; la versione (il piano calcolato e "
    "la sua impronta) è comunque registrata. Premere «Riprova»; se l'errore si ripete, segnalarlo "
    "all'assistenza."
)


@shared_task(name="piano_annuale.genera_pdf_versione", ignore_result=True)
def genera_pdf_versione(documento_id: int) -> None:
    """Render a frozen version's PDF (send to ALER, approval) and attach it to the version once."""
    if not _prendi(documento_id):
        return
    documento = DocumentoPiano.objects.select_related("versione__piano__ambito").get(pk=documento_id)
    if documento.versione is None:  # not a version's document
        _aggiorna(documento_id, stato=StatoDocumento.ERRORE, errore=MESSAGGIO_ERRORE_VERSIONE)
        return
    with battito(DocumentoPiano, documento_id):
        try:
            allega_pdf(
                documento.versione, avanzamento=lambda p: _aggiorna(documento_id, progresso=min(p, 99))
            )
            versione = VersionePiano.objects.get(pk=documento.versione.pk)
            _aggiorna(
                documento_id,
                file=versione.pdf.name,
                sha256=versione.pdf_sha256,
                stato=StatoDocumento.PRONTO,
                progresso=100,
                errore="",
                completato_il=timezone.now(),
            )
        except Exception:
            logger.exception("PDF della versione (documento %s) non riuscito", documento_id)
            _aggiorna(documento_id, stato=StatoDocumento.ERRORE, errore=MESSAGGIO_ERRORE_VERSIONE)


def accoda_pdf_versione(documento_id: int) -> None:
    """Queue a version's PDF after the commit; an unreachable broker fails its row with a message."""
    accoda_dopo_commit(
        genera_pdf_versione,
        documento_id,
        se_non_accodato=lambda: _aggiorna(
            documento_id, stato=StatoDocumento.ERRORE, errore=MESSAGGIO_CODA_NON_RAGGIUNGIBILE
        ),
    )


def riprova_pdf_versione(documento: DocumentoPiano) -> bool:
    """Queue a version's PDF again after a failure or a dead job; False if there is nothing to retry."""
    if documento.versione_id is None:
        return False
    with transaction.atomic():
        riga = DocumentoPiano.objects.select_for_update().get(pk=documento.pk)
        if not (riga.stato == StatoDocumento.ERRORE or documento_fermo(riga)):
            return False
        riga.stato, riga.progresso, riga.errore = StatoDocumento.IN_CODA, 0, ""
        riga.save(update_fields=["stato", "progresso", "errore", "aggiornato_il"])
        accoda_pdf_versione(riga.pk)
    return True


@shared_task(name="piano_annuale.pulisci_lavori", ignore_result=True)
def pulisci_lavori_task() -> dict[str, int]:
    """The periodic sweep (celery beat): dead or lost jobs become failed, with a message."""
    pulizia: Pulizia = pulisci_lavori()
    return {"documenti": pulizia.documenti, "letture": pulizia.letture, "scritture": pulizia.scritture}
