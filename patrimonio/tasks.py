"""Background work of the spreadsheet upload (Celery; eager when no broker is configured).

Files above ``POA_IMPORTAZIONE_RIGHE_IN_BACKGROUND`` rows are read and validated, and later written,
here; the page polls ``Caricamento.progresso``. The functions they call never raise: whatever goes
wrong ends in the upload's state and message.

Each task first claims its job (``prendi_lavoro``), so a message delivered twice (Celery acknowledges
late) runs once, and beats while it runs (``piano_annuale.lavori.battito``), so the sweep can tell a
dead job from a long one.
"""

from __future__ import annotations

from celery import shared_task

from piano_annuale.lavori import battito
from piano_annuale.models import Caricamento, StatoCaricamento

from .importazione import analizza_caricamento, conferma_caricamento
from .importazione.job import prendi_lavoro


@shared_task(name="patrimonio.analizza_caricamento", ignore_result=True)
def analizza_caricamento_task(caricamento_id: int) -> None:
    """Read, validate and preview an upload."""
    if not prendi_lavoro(caricamento_id, StatoCaricamento.IN_LETTURA):
        return
    with battito(Caricamento, caricamento_id):
        analizza_caricamento(caricamento_id)


@shared_task(name="patrimonio.conferma_caricamento", ignore_result=True)
def conferma_caricamento_task(caricamento_id: int, utente_id: int | None) -> None:
    """Write a confirmed upload in one transaction."""
    if not prendi_lavoro(caricamento_id, StatoCaricamento.IN_SCRITTURA):
        return
    with battito(Caricamento, caricamento_id):
        conferma_caricamento(caricamento_id, utente_id=utente_id)
