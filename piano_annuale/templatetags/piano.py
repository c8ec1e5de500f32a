"""Template filters for the plan's numbers in Italian form, and the catalogue's parts by key."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe

from piano_annuale.catalogo import Voce, voce

register = template.Library()


@register.filter
def perc(valore: Decimal | int | None) -> str:
    """A percentage as the plan prints it: «57%», «80,6%»; a dash when it cannot be computed."""
    if valore is None:
        return "—"
    return f"{number_format(valore, use_l10n=True, force_grouping=True)}%"


@register.filter
def numero(valore: int | Decimal | None) -> str:
    """An integer with Italian thousands separator (1.234); a dash when unknown."""
    if valore is None:
        return "—"
    return number_format(valore, use_l10n=True, force_grouping=True)


@register.filter
def euro(valore: Decimal | None) -> str:
    """An amount in Italian form: «€ 188.331,50»."""
    if valore is None:
        return "—"
    return f"€ {number_format(valore, decimal_pos=2, use_l10n=True, force_grouping=True)}"


@register.filter
def dal(data: datetime.date | None) -> SafeString:
    """«dal » or «dall'» before a date, as Italian elides it before «8» and «11»: «dall'11/03/2025»."""
    elisa = data is not None and data.day in (8, 11)
    return mark_safe("dall'" if elisa else "dal ")  # noqa: S308 - a constant of ours


@register.simple_tag
def parte(chiave: str) -> Voce:
    """The catalogue's entry of a part of the plan, for its title: ``{% parte "parte_terza" as v %}``."""
    return voce(chiave)
