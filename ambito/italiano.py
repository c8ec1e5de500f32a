"""Italian as the documents write it: the first of the month as an ordinal («1° dicembre 2026») and
an ente's name with its article and the prepositions that merge with it («il Comune di Cremona»,
«del Comune di Cremona», «per l'ALER Brescia-Cremona-Mantova»).

The ente is read through its ``tipo`` and ``denominazione`` only, so this lowest layer knows no
model of the registry: a comune takes «il» («il Comune di Cremona»), ALER (l'Azienda Lombarda per
l'Edilizia Residenziale) takes «l'» («l'ALER …»); an operatore accreditato, whose gender only its
name tells, is written without an article («di Fondazione Casa»)."""

from __future__ import annotations

import datetime
from typing import Any

MESI = (
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
)

# Preposition + article: «di» + «il» = «del», «a» + «l'» = «all'».
_ARTICOLATE: dict[str, dict[str, str]] = {
    "il": {
        "di": "del ",
        "a": "al ",
        "da": "dal ",
        "in": "nel ",
        "su": "sul ",
        "per": "per il ",
        "con": "con il ",
    },
    "l'": {
        "di": "dell'",
        "a": "all'",
        "da": "dall'",
        "in": "nell'",
        "su": "sull'",
        "per": "per l'",
        "con": "con l'",
    },
}


def data_estesa(valore: datetime.date | datetime.datetime | None) -> str:
    """«14 febbraio 2025», «1° dicembre 2026»; empty for no date. A moment is taken as its date in
    local time (the caller converts it: this layer does not read the time zone)."""
    if valore is None:
        return ""
    if isinstance(valore, datetime.datetime):
        valore = valore.date()
    giorno = "1°" if valore.day == 1 else str(valore.day)
    return f"{giorno} {MESI[valore.month - 1]} {valore.year}"


def articolo(ente: Any) -> str:
    """«il», «l'» or «» for an ente (by its ``tipo``)."""
    tipo = getattr(ente, "tipo", "")
    if tipo == "comune":
        return "il"
    if tipo == "aler":
        return "l'"
    return ""


def con_articolo(ente: Any) -> str:
    """«il Comune di Cremona», «l'ALER Brescia-Cremona-Mantova», «Fondazione Casa»."""
    nome = str(getattr(ente, "denominazione", ente))
    art = articolo(ente)
    if not art:
        return nome
    return f"{art}{nome}" if art.endswith("'") else f"{art} {nome}"


def con_preposizione(ente: Any, preposizione: str) -> str:
    """«del Comune di Cremona» (di), «per l'ALER …» (per), «al Comune di …» (a); without an
    article, the plain preposition: «di Fondazione Casa»."""
    nome = str(getattr(ente, "denominazione", ente))
    art = articolo(ente)
    if not art:
        return f"{preposizione} {nome}"
    return f"{_ARTICOLATE[art][preposizione]}{nome}"
