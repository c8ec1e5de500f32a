"""``manage.py pulisci_lavori``: mark the background jobs whose heartbeat stopped as failed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from piano_annuale.lavori import impostazione, pulisci_lavori


class Command(BaseCommand):
    help = (
        "Segna come non riusciti i lavori in background (PDF, letture e registrazioni dei caricamenti) "
        "che non danno segni di vita, con un messaggio che invita a riprovare. Celery beat lo fa ogni "
        "minuto; il comando serve senza beat o dopo un guasto."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        pulizia = pulisci_lavori()
        letture = ngettext("%(n)d lettura", "%(n)d letture", pulizia.letture) % {"n": pulizia.letture}
        scritture = ngettext("%(n)d registrazione", "%(n)d registrazioni", pulizia.scritture) % {
            "n": pulizia.scritture
        }
        self.stdout.write(
            f"Lavori interrotti segnati come non riusciti: {pulizia.documenti} PDF, "
            f"{letture} e {scritture} di caricamenti "
            f"(senza segni di vita da oltre {impostazione('SECONDI_SENZA_SEGNALI')} secondi, "
            f"o in coda da oltre {impostazione('SECONDI_IN_CODA')})."
        )
