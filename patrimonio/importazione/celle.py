"""One cell's value as the import reads it: text, whole number, amount in euro, column letter."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from misure.formati import leggi_importo

_LETTERE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def lettera_colonna(indice: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    lettere = ""
    indice += 1
    while indice:
        indice, resto = divmod(indice - 1, 26)
        lettere = _LETTERE[resto] + lettere
    return lettere


def testo(valore: Any) -> str:
    """A cell as text: numbers without a spurious «.0», dates as dd/mm/yyyy, strip spaces, and undo
    the «'» this service prefixes to neutralised values (so its own files round-trip)."""
    if valore.__class__ is str:
        valore = valore.strip()
    elif valore is None:
        return ""
    elif valore.__class__ is float:
        valore = str(int(valore)) if valore.is_integer() else str(valore).replace(".", ",")
    elif valore.__class__ is bool:
        return "VERO" if valore else "FALSO"
    elif isinstance(valore, datetime.datetime | datetime.date):
        return valore.strftime("%d/%m/%Y")
    else:
        valore = str(valore).strip()
    if _CONTROLLO.search(valore):
        # Invisible control characters (NUL, Excel's \x0b line break…): PostgreSQL refuses NUL in
        # text and no spreadsheet format can write them back.
        valore = _CONTROLLO.sub(" ", valore).strip()
    if valore[:1] == "'" and valore[1:2] in ("=", "+", "-", "@"):
        return valore[1:]
    return valore


_CONTROLLO = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_INTERO = re.compile(r"^[+-]?\d+$")
_DECIMALE = re.compile(r"^[+-]?\d+[.,]\d*$")
# Thousands written the Italian way: «1.234», «12.345.678», with decimals «1.234,5».
_MIGLIAIA = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")


def intero(valore: Any) -> tuple[int | None, str | None]:
    """A cell as a whole number: ``(numero, None)``, or ``(None, "decimale" | "testo")``. A text
    may use the Italian thousands separator («1.234») and decimal comma («12,0»)."""
    if valore.__class__ is float:
        if valore.is_integer():
            return int(valore), None
        return None, "decimale"
    if valore.__class__ is int:
        return valore, None
    if valore.__class__ is bool or not isinstance(valore, str):
        return None, "testo"
    valore = valore.strip().replace(" ", "").replace("\u00a0", "")
    if _INTERO.match(valore):
        return int(valore), None
    if _MIGLIAIA.match(valore):  # «1.234» is one thousand two hundred thirty-four, as in Italian
        valore = valore.replace(".", "")
        if _INTERO.match(valore):
            return int(valore), None
    if _DECIMALE.match(valore):
        numero = float(valore.replace(",", "."))
        return (int(numero), None) if numero.is_integer() else (None, "decimale")
    return None, "testo"


IMPORTO_MASSIMO = Decimal("9999999999.99")  # a cost column's 12 digits, 2 of them decimals


def importo(valore: Any) -> Decimal:
    """A cell as an amount in euro, to the cent: a number, or a text the Italian way («15.000,00»,
    «1.234» is one thousand two hundred thirty-four) or plain («15000.5»). Raises ``ValueError``
    with the Italian message (the unit form's for a negative amount)."""
    numero = leggi_importo(valore if valore.__class__ in (int, float) else testo(valore))
    if numero < 0:
        raise ValueError("Il costo stimato non può essere negativo.")
    if numero > IMPORTO_MASSIMO:
        raise ValueError("Il costo stimato è al più 9.999.999.999,99 €.")
    return numero
