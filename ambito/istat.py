"""ISTAT data shipped with the project: every comune of Lombardy, its boundaries, the five ALER.

Read from ``ambito/dati/`` (source, reference date, licence and derivation in its README.md), once
per process; nothing is fetched at run time.
"""

from __future__ import annotations

import csv
import datetime
import json
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

DATI = Path(__file__).resolve().parent / "dati"
FILE_COMUNI = DATI / "comuni_lombardia.csv"
FILE_CONFINI = DATI / "confini_lombardia.json"

DATA_POPOLAZIONE = datetime.date(2023, 1, 1)
FONTE_POPOLAZIONE = "ISTAT, popolazione residente al 1° gennaio 2023"
FONTE_SUPERFICIE = (
    "calcolata dai confini comunali ISTAT (proiezione equivalente ETRS89-LAEA), non la superficie "
    "territoriale ufficiale ISTAT"
)
FONTE_CONFINI = "ISTAT, confini dei comuni (2023), tramite openpolis/geojson-italy, semplificati"


@dataclass(frozen=True)
class ComuneIstat:
    codice_istat: str
    nome: str
    provincia: str
    superficie_kmq: Decimal | None
    abitanti: int | None


@dataclass(frozen=True)
class Confini:
    """SVG paths of the comuni (ISTAT code -> ``d``), all in the coordinates of ``view_box``."""

    view_box: str
    percorsi: dict[str, str]


@dataclass(frozen=True)
class AlerLombarda:
    denominazione: str
    uog: tuple[str, ...]


# The five ALER of L.R. 8 luglio 2016 n. 16 (from the 2013 merger of the thirteen provincial
# ALER); each former ALER is now one of its Unità Operative Gestionali.
ALER_LOMBARDE: tuple[AlerLombarda, ...] = (
    AlerLombarda("ALER Milano", ("U.O.G. di Milano",)),
    AlerLombarda("ALER Bergamo-Lecco-Sondrio", ("U.O.G. di Bergamo", "U.O.G. di Lecco", "U.O.G. di Sondrio")),
    AlerLombarda(
        "ALER Brescia-Cremona-Mantova",
        ("U.O.G. di Brescia", "U.O.G. di Cremona", "U.O.G. di Mantova"),
    ),
    AlerLombarda("ALER Pavia-Lodi", ("U.O.G. di Pavia", "U.O.G. di Lodi")),
    AlerLombarda(
        "ALER Varese-Como-Monza Brianza-Busto Arsizio",
        ("U.O.G. di Varese", "U.O.G. di Como", "U.O.G. di Monza Brianza", "U.O.G. di Busto Arsizio"),
    ),
)


def _normalizza(testo: str) -> str:
    """Lower case, without accents, with one kind of apostrophe and single spaces."""
    senza_accenti = "".join(c for c in unicodedata.normalize("NFKD", testo) if not unicodedata.combining(c))
    return " ".join(senza_accenti.replace("’", "'").replace("`", "'").casefold().split())


@cache
def comuni_lombardi() -> tuple[ComuneIstat, ...]:
    """Every comune of Lombardy, by ISTAT code."""
    with FILE_COMUNI.open(encoding="utf-8", newline="") as file:
        return tuple(
            ComuneIstat(
                codice_istat=riga["codice_istat"],
                nome=riga["nome"],
                provincia=riga["provincia"],
                superficie_kmq=Decimal(riga["superficie_kmq"]) if riga["superficie_kmq"] else None,
                abitanti=int(riga["abitanti"]) if riga["abitanti"] else None,
            )
            for riga in csv.DictReader(file)
        )


@cache
def _per_codice() -> dict[str, ComuneIstat]:
    return {comune.codice_istat: comune for comune in comuni_lombardi()}


@cache
def _nomi_normalizzati() -> tuple[tuple[str, ComuneIstat], ...]:
    return tuple((_normalizza(comune.nome), comune) for comune in comuni_lombardi())


def comune_istat(codice: str) -> ComuneIstat | None:
    """The comune with ISTAT code ``codice`` (6 digits; leading zeros may be omitted)."""
    codice = codice.strip()
    if codice.isdigit() and len(codice) <= 6:
        return _per_codice().get(codice.zfill(6))
    return None


def cerca_comuni(testo: str, limite: int = 20) -> list[ComuneIstat]:
    """Comuni whose name starts with, then contains, ``testo`` (accents and case ignored), or
    whose ISTAT code starts with it; at most ``limite``, name matches by prefix first."""
    cercato = _normalizza(testo)
    if not cercato or limite <= 0:
        return []
    if cercato.isdigit():
        return [c for c in comuni_lombardi() if c.codice_istat.startswith(cercato)][:limite]
    iniziano = [c for nome, c in _nomi_normalizzati() if nome.startswith(cercato)]
    contengono = [c for nome, c in _nomi_normalizzati() if cercato in nome and not nome.startswith(cercato)]
    return (
        sorted(iniziano, key=lambda c: c.nome)[:limite]
        + sorted(contengono, key=lambda c: c.nome)[: max(limite - len(iniziano), 0)]
    )


@cache
def confini_comuni() -> Confini:
    """The boundaries of every comune of Lombardy as SVG paths."""
    dati = json.loads(FILE_CONFINI.read_text(encoding="utf-8"))
    return Confini(view_box=dati["view_box"], percorsi=dict(dati["percorsi"]))
