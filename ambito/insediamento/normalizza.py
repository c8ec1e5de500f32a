"""Matching what users type or paste (comune names, codes, labels) against the stored names."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_SPAZI = re.compile(r"\s+")
_APOSTROFI = str.maketrans({"’": "'", "`": "'", "´": "'"})


def chiave(testo: Any) -> str:
    """Case-, accent- and spacing-insensitive form of a name: «Cà d'Andrea» → «ca d'andrea»."""
    testo = unicodedata.normalize("NFKD", str(testo or "").translate(_APOSTROFI))
    testo = "".join(c for c in testo if not unicodedata.combining(c))
    return _SPAZI.sub(" ", testo).strip().lower()


def codice_istat(testo: Any) -> str | None:
    """The six-digit ISTAT code a cell or a line holds (a spreadsheet may have dropped the leading
    zeros, or stored it as 19036.0), or None when it is not a code."""
    if isinstance(testo, float) and testo.is_integer():
        testo = int(testo)
    valore = str(testo or "").strip()
    if valore.endswith(".0"):
        valore = valore[:-2]
    if valore.isdigit() and 4 <= len(valore) <= 6:
        return valore.zfill(6)
    return None


def cella(valore: Any) -> str:
    """A spreadsheet cell as text (numbers without a trailing «.0»)."""
    if valore is None:
        return ""
    if isinstance(valore, float) and valore.is_integer():
        return str(int(valore))
    return str(valore).strip()


def righe_incollate(testo: str, *, colonne: int) -> list[list[str]]:
    """The non-empty lines of a pasted list, split on «;», tabs or (for several columns) commas."""
    righe = []
    for riga in (testo or "").splitlines():
        if not riga.strip():
            continue
        if colonne == 1:
            righe.append([riga.strip()])
            continue
        separatore = next((s for s in (";", "\t", ",") if s in riga), None)
        parti = [p.strip() for p in riga.split(separatore)] if separatore else [riga.strip()]
        righe.append(parti)
    return righe
