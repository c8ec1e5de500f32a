"""Amounts in euro as Italian users write and read them: «188.331,50», «€ 1.580.172,59»."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

CENTESIMO = Decimal("0.01")
MIGLIAIA_CON_PUNTO = re.compile(r"-?[0-9]{1,3}(\.[0-9]{3})+")


def leggi_importo(valore: str | int | float | Decimal) -> Decimal:
    """An amount from a form or a spreadsheet cell, to the cent.

    Accepts the Italian form («1.580.172,59», «€ 2.000,00», «9135,28»), the plain one («1580172.59»)
    and numbers (a spreadsheet cell). A lone point followed by groups of three digits is a thousands
    separator, as an Italian writes it («2.000» is two thousand). Raises ``ValueError`` in Italian.
    """
    if isinstance(valore, bool):
        raise ValueError("Importo non valido.")
    if isinstance(valore, Decimal | int):
        numero = Decimal(valore)
    elif isinstance(valore, float):
        # A spreadsheet cell holds a binary float: its shortest repr is what the user typed.
        numero = Decimal(repr(valore))
    else:
        testo = re.sub(r"[\s\u00a0€]|EUR", "", str(valore), flags=re.IGNORECASE)
        if "," in testo:
            # The comma is the decimal separator; points are thousands separators.
            testo = testo.replace(".", "").replace(",", ".")
        elif MIGLIAIA_CON_PUNTO.fullmatch(testo):
            testo = testo.replace(".", "")
        try:
            numero = Decimal(testo)
        except InvalidOperation:
            raise ValueError(f"«{valore}» non è un importo: scrivere ad es. 188.331,50.") from None
    if not numero.is_finite():
        raise ValueError(f"«{valore}» non è un importo: scrivere ad es. 188.331,50.")
    if numero != numero.quantize(CENTESIMO):
        raise ValueError(f"«{valore}»: un importo in euro ha al massimo due decimali.")
    return numero.quantize(CENTESIMO)


def scrivi_importo(valore: Decimal | None) -> str:
    """«188.331,50» (no currency sign); empty for an unknown amount."""
    if valore is None:
        return ""
    return f"{valore:,.2f}".replace(",", "§").replace(".", ",").replace("§", ".")
