"""Background work of the spreadsheet upload (Celery; eager when no broker is configured).

Files above ``POA_IMPORTAZIONE_RIGHE_IN_BACKGROUND`` rows are read and validated, and later written,
here; the page polls ``Caricamento.progresso``. The functions they call never raise: whatever goes
wrong ends in the upload's state and message.
"""

from __future__ import annotations

from celery import shared_task

from .importazione import analizza_caricamento, conferma_caricamento


@shared_task(name="patrimonio.analizza_caricamento", ignore_result=True)
def analizza_caricamento_task(caricamento_id: int) -> None:
    """Read, validate and preview an upload."""
    analizza_caricamento(caricamento_id)


@shared_task(name="patrimonio.conferma_caricamento", ignore_result=True)
def conferma_caricamento_task(caricamento_id: int, utente_id: int | None) -> None:
    """Write a confirmed upload in one transaction."""
    conferma_caricamento(caricamento_id, utente_id=utente_id)
