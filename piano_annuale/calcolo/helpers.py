"""Small rules shared by the computation, the checks and the renderings: Italian name order,
percentages rounded half up, the Forze di Polizia quota, euro amounts and lists as the plan prints them.

Nothing here imports the rest of the computation, so every layer above may use it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal


def chiave_nome(nome: str) -> str:
    """Sort key that orders Italian names as a reader expects (accents and case ignored)."""
    senza_accenti = unicodedata.normalize("NFKD", nome).encode("ascii", "ignore").decode("ascii")
    return senza_accenti.casefold().replace("'", " ")


def percentuale(parte: int, totale: int, decimali: int = 0) -> Decimal | None:
    """``parte`` as a percentage of ``totale``, rounded half up; None when the total is zero."""
    if not totale:
        return None
    quanto = Decimal(1).scaleb(-decimali)
    return (Decimal(parte) * 100 / Decimal(totale)).quantize(quanto, rounding=ROUND_HALF_UP)


def il_percento(numero: int) -> str:
    """«il 5%», «l'8%», «l'11%», «l'80%»: the article a percentage takes as Italian reads it."""
    vocale = numero in (1, 8, 11) or 80 <= numero <= 89 or 800 <= numero <= 899
    return f"l'{numero}%" if vocale else f"il {numero}%"


def quota_arrotondata_per_eccesso(percento: int, base: int) -> int:
    """``percento`` % of ``base`` rounded up (art. 7 bis R.R. 4/2017), in integer arithmetic."""
    return -(-percento * base // 100)


ZERO = Decimal("0.00")
LETTERE = "abcdefghijklmnopqrstuvwxyz"  # a) … z), then aa), ab), …


def in_euro(valore: Decimal) -> str:
    """«€ 188.331,50»: an amount as the plan prints it, whatever the active language."""
    return "€ " + f"{valore:,.2f}".replace(",", "§").replace(".", ",").replace("§", ".")


def elenco_italiano(voci: Iterable[str]) -> str:
    """«A», «A e B», «A, B e C»."""
    voci = list(voci)
    return voci[0] if len(voci) == 1 else f"{', '.join(voci[:-1])} e {voci[-1]}" if voci else ""


def nome_aggregazione(numero: int, denominazione: str, termine: str = "AT") -> str:
    """«AT 2 – Centro Nord», or «AT 2» when the aggregazione has no name; ``termine`` is the word
    the ambito uses for its aggregazioni («AT», «sub-ambito», «distretto»)."""
    return f"{termine} {numero} – {denominazione}" if denominazione else f"{termine} {numero}"


def con_preposizione(preposizione: str, nome: str) -> str:
    """«nell'AT 2», «nel sub-ambito 2», «all'AT 2», «al distretto 2»: ``in`` or ``a`` with the
    article a masculine name takes (l' before a vowel, and before «AT», read «a-ti»)."""
    elisa = nome[:1].casefold() in "aeiouàèéìòù" or nome.startswith("AT ")
    forme = {"in": ("nell'", "nel "), "a": ("all'", "al ")}[preposizione]
    return f"{forme[0] if elisa else forme[1]}{nome}"
