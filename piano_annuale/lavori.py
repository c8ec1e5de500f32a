"""Background jobs that recover from faults: queueing that survives an unreachable broker, a heartbeat
while a job runs, and the sweep that fails the jobs whose heartbeat stopped.

A job is a row (``DocumentoPiano`` for a PDF, ``Caricamento`` for an upload) whose state the user
sees. Celery acknowledges a task only when it ends (``acks_late``), so a task may be delivered again:
each task first looks at its row and does only what the row's state still asks for. A job whose
process died (killed worker, lost message, stopped machine) stops beating; ``pulisci_lavori`` (a
periodic task and ``manage.py pulisci_lavori``) marks it failed with a message, and the page offers
«Riprova». Nothing partial remains: a PDF is stored only once complete, an upload is written in one
transaction.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import KombuError

from piano_annuale.models import Caricamento, DocumentoPiano, StatoCaricamento, StatoDocumento

logger = logging.getLogger(__name__)

# Defaults of settings.POA_LAVORI (seconds).
PREDEFINITI = {
    # How often a running job writes its heartbeat.
    "SECONDI_BATTITO": 15,
    # A started job without a heartbeat for this long is dead.
    "SECONDI_SENZA_SEGNALI": 120,
    # A job still waiting in the queue after this long was lost (e.g. the broker restarted empty).
    "SECONDI_IN_CODA": 1800,
    # How often celery beat runs the sweep.
    "SECONDI_PULIZIA": 60,
}

MESSAGGIO_CODA_NON_RAGGIUNGIBILE = (
    "Il servizio che esegue i lavori in background non è raggiungibile in questo momento, quindi il "
    "lavoro non è stato avviato e nessun dato è stato registrato. Riprovare tra qualche minuto; se il "
    "problema persiste, segnalarlo all'assistenza."
)
MESSAGGIO_PDF_INTERROTTO = (
    "Il lavoro si è interrotto prima di finire (il processo che preparava il PDF si è fermato) e "
    "nessun file è stato salvato. Premere «Riprova» per richiedere di nuovo il PDF."
)
MESSAGGIO_LETTURA_INTERROTTA = (
    "Il lavoro si è interrotto durante la lettura del file (il processo che lo eseguiva si è fermato): "
    "nessun dato è stato registrato. Premere «Riprova» per leggere di nuovo il file."
)
MESSAGGIO_SCRITTURA_INTERROTTA = (
    "Il lavoro si è interrotto durante la registrazione (il processo che lo eseguiva si è fermato): "
    "la registrazione avviene tutta insieme o per niente, quindi nessun dato è stato registrato. "
    "Premere «Riprova» per rileggere il file e confermare di nuovo l'anteprima."
)


def impostazione(nome: str) -> int:
    """One of the job settings (``POA_LAVORI`` in the settings, else the default)."""
    return int(getattr(settings, "POA_LAVORI", {}).get(nome, PREDEFINITI[nome]))


# --------------------------------------------------------------------------------------------
# Queueing
# --------------------------------------------------------------------------------------------


def accoda(task: Any, *argomenti: Any) -> bool:
    """Send ``task`` to the broker; False (and logged) when the broker cannot be reached.

    Celery retries the publication a few times (``CELERY_TASK_PUBLISH_RETRY_POLICY``) and then
    raises a kombu error (``OperationalError``) or a socket error: the caller turns that into the
    job's failure, so the page shows a message instead of a 500 and no row waits for a message that
    was never sent."""
    try:
        task.delay(*argomenti)
    except (KombuError, OSError):
        logger.exception("Impossibile accodare %s%r: broker non raggiungibile", task.name, argomenti)
        return False
    return True


def accoda_dopo_commit(task: Any, *argomenti: Any, se_non_accodato: Callable[[], None]) -> None:
    """Queue ``task`` once the current transaction commits; if the broker refuses, call
    ``se_non_accodato`` (which marks the row failed) instead of raising out of the commit."""

    def invia() -> None:
        if not accoda(task, *argomenti):
            se_non_accodato()

    transaction.on_commit(invia)


# --------------------------------------------------------------------------------------------
# Heartbeat
# --------------------------------------------------------------------------------------------


def _batti(modello: type[models.Model], pk: int) -> None:
    """One heartbeat. A row locked by the job's own transaction (an upload being written) is
    skipped rather than waited for: a transaction that holds a lock is alive."""
    with transaction.atomic():
        libere = list(
            modello._default_manager.filter(pk=pk)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        modello._default_manager.filter(pk__in=libere).update(aggiornato_il=timezone.now())


@contextmanager
def battito(modello: type[models.Model], pk: int) -> Iterator[None]:
    """While the block runs, a thread bumps the row's ``aggiornato_il`` every few seconds.

    The thread dies with the process, so a killed worker stops beating and the sweep finds it.
    Tasks run eagerly (no broker: demo, tests) run inside the request and need no heartbeat."""
    intervallo = impostazione("SECONDI_BATTITO")
    if settings.CELERY_TASK_ALWAYS_EAGER or intervallo <= 0:
        yield
        return
    fine = threading.Event()

    def batti() -> None:
        try:
            while not fine.wait(intervallo):
                _batti(modello, pk)
        except Exception:  # a heartbeat that fails must not break the job: the sweep may fail it
            logger.exception("Battito del lavoro %s %s non riuscito", modello.__name__, pk)
        finally:
            connection.close()  # the thread's own connection

    filo = threading.Thread(target=batti, name=f"battito-{modello.__name__}-{pk}", daemon=True)
    filo.start()
    try:
        yield
    finally:
        fine.set()
        filo.join()


# --------------------------------------------------------------------------------------------
# Staleness and the sweep
# --------------------------------------------------------------------------------------------


def _limiti(ora: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """Heartbeats older than the first are dead jobs; queued rows older than the second are lost."""
    return (
        ora - datetime.timedelta(seconds=impostazione("SECONDI_SENZA_SEGNALI")),
        ora - datetime.timedelta(seconds=impostazione("SECONDI_IN_CODA")),
    )


def _documenti_fermi(ora: datetime.datetime) -> Q:
    morti, persi = _limiti(ora)
    return Q(stato=StatoDocumento.IN_CORSO, aggiornato_il__lt=morti) | Q(
        stato=StatoDocumento.IN_CODA, aggiornato_il__lt=persi
    )


def _caricamenti_fermi(ora: datetime.datetime) -> Q:
    """A running upload job has progress ≥ 1 (the task sets it when it starts); 0 means queued."""
    morti, persi = _limiti(ora)
    in_corso = Q(stato__in=[StatoCaricamento.IN_LETTURA, StatoCaricamento.IN_SCRITTURA])
    return in_corso & (Q(progresso__gte=1, aggiornato_il__lt=morti) | Q(progresso=0, aggiornato_il__lt=persi))


def documento_fermo(documento: DocumentoPiano, ora: datetime.datetime | None = None) -> bool:
    """Whether a PDF job is dead or lost (a new request renders it again)."""
    return DocumentoPiano.objects.filter(_documenti_fermi(ora or timezone.now()), pk=documento.pk).exists()


def caricamento_fermo(caricamento: Caricamento, ora: datetime.datetime | None = None) -> bool:
    """Whether an upload job is dead or lost («Riprova» and «Annulla» take it over)."""
    return Caricamento.objects.filter(_caricamenti_fermi(ora or timezone.now()), pk=caricamento.pk).exists()


@dataclass(frozen=True)
class Pulizia:
    """What a sweep marked failed."""

    documenti: int
    letture: int
    scritture: int

    @property
    def totale(self) -> int:
        return self.documenti + self.letture + self.scritture


def pulisci_lavori(ora: datetime.datetime | None = None) -> Pulizia:
    """Mark every dead or lost job failed, with a message that says to retry."""
    ora = ora or timezone.now()
    with transaction.atomic():
        # Rows locked by a live transaction (an upload being written) are not dead: skip them.
        documenti = DocumentoPiano.objects.filter(
            pk__in=list(
                DocumentoPiano.objects.filter(_documenti_fermi(ora))
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)
            )
        ).update(stato=StatoDocumento.ERRORE, errore=MESSAGGIO_PDF_INTERROTTO, aggiornato_il=ora)
        fermi = Caricamento.objects.filter(
            pk__in=list(
                Caricamento.objects.filter(_caricamenti_fermi(ora))
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)
            )
        )
        letture = fermi.filter(stato=StatoCaricamento.IN_LETTURA).update(
            stato=StatoCaricamento.FALLITO,
            esito=MESSAGGIO_LETTURA_INTERROTTA,
            completato_il=ora,
            aggiornato_il=ora,
        )
        scritture = fermi.filter(stato=StatoCaricamento.IN_SCRITTURA).update(
            stato=StatoCaricamento.FALLITO,
            esito=MESSAGGIO_SCRITTURA_INTERROTTA,
            completato_il=ora,
            aggiornato_il=ora,
        )
    pulizia = Pulizia(documenti=documenti, letture=letture, scritture=scritture)
    if pulizia.totale:
        logger.warning(
            "Lavori interrotti segnati come non riusciti: PDF %s, letture %s, registrazioni %s",
            documenti,
            letture,
            scritture,
        )
    return pulizia
