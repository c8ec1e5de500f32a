"""Template filters for Italian as the documents write it (``ambito.italiano``):
``{{ data|data_estesa }}`` → «1° dicembre 2026»; ``{{ ente|con_articolo }}`` → «il Comune di Cremona»;
``{{ ente|preposizione:"di" }}`` → «del Comune di Cremona»."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import timezone

from ambito import italiano

register = template.Library()


@register.filter
def data_estesa(valore: datetime.date | datetime.datetime | None) -> str:
    """«14 febbraio 2025», «1° dicembre 2026» (a moment in local time); empty for no date."""
    if isinstance(valore, datetime.datetime) and timezone.is_aware(valore):
        valore = timezone.localtime(valore)
    return italiano.data_estesa(valore)


@register.filter
def con_articolo(ente: Any) -> str:
    """«il Comune di Cremona», «l'ALER Brescia-Cremona-Mantova»."""
    return italiano.con_articolo(ente)


@register.filter
def preposizione(ente: Any, quale: str) -> str:
    """``{{ ente|preposizione:"di" }}`` → «del Comune di Cremona», «dell'ALER …»."""
    return italiano.con_preposizione(ente, quale)
