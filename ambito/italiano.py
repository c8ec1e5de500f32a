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


def articolo(tipo: str) -> str:
    """«il», «l'» or «» for an ente of ``tipo`` («comune», «aler», «operatore»)."""
    if tipo == "comune":
        return "il"
    if tipo == "aler":
        return "l'"
    return ""


def _nome_e_tipo(ente: Any) -> tuple[str, str]:
    return str(getattr(ente, "denominazione", ente)), str(getattr(ente, "tipo", ""))


def con_articolo(ente: Any) -> str:
    """«il Comune di Cremona», «l'ALER Brescia-Cremona-Mantova», «Fondazione Casa»."""
    nome, tipo = _nome_e_tipo(ente)
    art = articolo(tipo)
    if not art:
        return nome
    return f"{art}{nome}" if art.endswith("'") else f"{art} {nome}"


def nome_con_preposizione(nome: str, tipo: str, preposizione: str, *, maiuscola: bool = False) -> str:
    """«del Comune di Cremona» («di», an ente of tipo «comune»), «per l'ALER …» («per», «aler»),
    «al Comune di …» («a»); without an article, the plain preposition: «di Fondazione Casa».
    ``maiuscola``: at the start of a sentence («Per il Comune di Cremona»)."""
    art = articolo(tipo)
    testo = f"{_ARTICOLATE[art][preposizione]}{nome}" if art else f"{preposizione} {nome}"
    return testo[:1].upper() + testo[1:] if maiuscola else testo


def con_preposizione(ente: Any, preposizione: str, *, maiuscola: bool = False) -> str:
    """``nome_con_preposizione`` for an ente (anything with ``denominazione`` and ``tipo``)."""
    nome, tipo = _nome_e_tipo(ente)
    return nome_con_preposizione(nome, tipo, preposizione, maiuscola=maiuscola)
