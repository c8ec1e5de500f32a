"""The plan as files: its tables as xlsx (one sheet each) or csv (one table), and the whole computed
plan as one flat CSV, one value per row, attached to the approved PDF/A-3b.

The tables are laid out in ``rendering.tabelle`` from the catalogue; the writers (xlsx, csv,
formula neutralisation) are those of the ente's spreadsheets (``patrimonio.esportazione``).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.utils.text import slugify

from patrimonio.esportazione import FileEsportato, scrivi_csv, scrivi_xlsx
from piano_annuale.calcolo import PianoCalcolato
from piano_annuale.rendering.tabelle import tabelle_del_piano


def _nome_piano(calcolo: PianoCalcolato, cosa: str, formato: str) -> str:
    return f"POA-{calcolo.piano.anno}-{slugify(calcolo.piano.ambito)[:60]}-{cosa}.{formato}"


def piano_xlsx(calcolo: PianoCalcolato) -> FileEsportato:
    """Every table of the plan, one sheet each."""
    return FileEsportato(
        scrivi_xlsx(tabelle_del_piano(calcolo)), _nome_piano(calcolo, "sezioni", "xlsx"), "xlsx"
    )


def tabella_csv(calcolo: PianoCalcolato, codice: str) -> FileEsportato:
    """One table of the plan as CSV. Raises ``KeyError`` for an unknown code."""
    tabella = {t.codice: t for t in tabelle_del_piano(calcolo)}[codice]
    return FileEsportato(
        scrivi_csv(tabella.intestazioni, tabella.righe),
        _nome_piano(calcolo, codice.replace("_", "-"), "csv"),
        "csv",
    )


# --------------------------------------------------------------------------------------------
# The computed plan as one flat CSV (attached to the approved PDF/A-3b)
# --------------------------------------------------------------------------------------------


def _valore_csv(valore: Any) -> str:
    if valore is None:
        return ""
    if isinstance(valore, bool):
        return "sì" if valore else "no"
    if isinstance(valore, Decimal):
        return str(valore).replace(".", ",")  # Italian spreadsheets read a decimal comma
    if isinstance(valore, datetime.date):
        return valore.isoformat()
    return str(valore)


def _righe_csv(valore: Any, sezione: str, ente: str, comune: str, voce_: list[str]) -> Iterator[list[str]]:
    if isinstance(valore, dict):
        if isinstance(valore.get("ente"), dict):
            ente = valore["ente"]["denominazione"]
        if isinstance(valore.get("comune"), str) and "ente" in valore:
            comune = valore["comune"]
        for chiave, figlio in valore.items():
            if chiave == "ente" and isinstance(figlio, dict):
                continue
            if chiave == "comune" and "ente" in valore:
                continue
            yield from _righe_csv(figlio, sezione, ente, comune, [*voce_, chiave])
    elif isinstance(valore, list | tuple):
        for n, figlio in enumerate(valore, start=1):
            yield from _righe_csv(figlio, sezione, ente, comune, [*voce_, str(n)])
    else:
        yield [sezione, ente, comune, ".".join(voce_), _valore_csv(valore)]


def piano_csv(calcolo: PianoCalcolato) -> str:
    """Every value of the computed plan, one per row: sezione; ente; comune; voce; valore."""
    uscita = io.StringIO()
    scrittore = csv.writer(uscita, delimiter=";", lineterminator="\r\n")
    scrittore.writerow(["sezione", "ente", "comune", "voce", "valore"])
    for sezione, valore in calcolo.as_dict().items():
        scrittore.writerows(_righe_csv(valore, sezione, "", "", []))
    return uscita.getvalue()
