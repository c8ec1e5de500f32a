"""Reading a file into sheets of cell values: xlsx, xls and ods with python-calamine (the values the
spreadsheet saved, formulas never evaluated), csv with the ``csv`` module (``;``, ``,`` or tab; UTF-8
with or without BOM, or Windows-1252). Size, format and corruption are checked here."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from .errori import FileNonValido
from .limiti import FORMATI, limite

logger = logging.getLogger(__name__)


@dataclass
class Foglio:
    """One sheet: its rows as lists of cell values (index 0 is row 1) and its first column."""

    nome: str
    righe: Iterable[list[Any]]
    prima_colonna: int = 0
    altezza: int = 0  # how many rows, for the progress bar


def estensione(nome_file: str) -> str:
    return PurePath(nome_file or "").suffix.lower().lstrip(".")


def verifica_file(*, nome_file: str, dimensione: int) -> str:
    """Check name and size before anything is read or stored; return the format."""
    formato = estensione(nome_file)
    if formato not in FORMATI:
        raise FileNonValido(
            f"Il file «{nome_file}» non è in un formato ammesso: caricare un foglio di calcolo "
            "Excel (.xlsx, .xls), OpenDocument (.ods) o un file CSV (.csv)."
        )
    massimo = limite("DIMENSIONE_MASSIMA")
    if dimensione > massimo:
        raise FileNonValido(
            f"Il file «{nome_file}» è troppo grande ({_in_mb(dimensione)}): la dimensione massima è "
            f"{_in_mb(massimo)}. Dividere l'elenco in più file o togliere i fogli non necessari."
        )
    if dimensione == 0:
        raise FileNonValido(f"Il file «{nome_file}» è vuoto.")
    return formato


def _in_mb(byte: int) -> str:
    return f"{byte / (1024 * 1024):.1f} MB".replace(".", ",")


def leggi_file(contenuto: bytes, nome_file: str) -> tuple[str, list[Foglio]]:
    """The file's format and its sheets. Raises ``FileNonValido`` for what is not a readable
    spreadsheet of an accepted format, too large or empty."""
    formato = verifica_file(nome_file=nome_file, dimensione=len(contenuto))
    if formato == "csv":
        return formato, [_foglio_csv(contenuto, nome_file)]
    return formato, _fogli_calamine(contenuto, nome_file, formato)


def non_leggibile(nome_file: str, formato: str) -> FileNonValido:
    return FileNonValido(
        f"Il file «{nome_file}» non è un foglio di calcolo {FORMATI[formato]} leggibile: è danneggiato "
        "o è un altro tipo di file con l'estensione cambiata. Salvarlo di nuovo dal programma di "
        "foglio di calcolo e ricaricarlo."
    )


# Magic numbers: xlsx and ods are zip archives, xls an OLE2 compound document.
_FIRME = {"xlsx": (b"PK\x03\x04",), "ods": (b"PK\x03\x04",), "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)}


def _fogli_calamine(contenuto: bytes, nome_file: str, formato: str) -> list[Foglio]:
    if not contenuto.startswith(_FIRME[formato]):
        raise non_leggibile(nome_file, formato)
    # The zip must hold the kind of document its name says (an .ods renamed .xlsx is refused).
    if formato == "ods" and b"opendocument.spreadsheet" not in contenuto[:200]:
        raise non_leggibile(nome_file, formato)
    if formato == "xlsx" and b"[Content_Types].xml" not in contenuto:
        raise non_leggibile(nome_file, formato)
    try:
        cartella = CalamineWorkbook.from_filelike(io.BytesIO(contenuto))
        fogli = []
        for meta in cartella.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
                continue
            foglio = cartella.get_sheet_by_name(meta.name)
            if foglio.height > limite("RIGHE_MASSIME") + 1:
                raise FileNonValido(
                    f"Il foglio «{meta.name}» ha {foglio.height} righe: il massimo è "
                    f"{limite('RIGHE_MASSIME')}. Dividere l'elenco in più file."
                )
            # iter_rows yields every row from the first (row numbers stay those the user sees),
            # but starts at the first used column.
            inizio = foglio.start
            fogli.append(Foglio(meta.name, foglio.iter_rows(), inizio[1] if inizio else 0, foglio.height))
        return fogli
    except FileNonValido:
        raise
    except Exception as errore:  # calamine raises its own types and plain ValueErrors
        logger.info("File %s non leggibile: %s", nome_file, errore)
        raise non_leggibile(nome_file, formato) from errore


def _foglio_csv(contenuto: bytes, nome_file: str) -> Foglio:
    for codifica in ("utf-8-sig", "cp1252"):
        try:
            testo = contenuto.decode(codifica)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise non_leggibile(nome_file, "csv")
    campione = testo[:8192]
    controllo = sum(1 for c in campione if c < " " and c not in "\t\r\n")
    if "\x00" in campione or controllo > len(campione) // 100:
        raise FileNonValido(
            f"Il file «{nome_file}» non è un file CSV di testo: sembra un file binario con "
            "l'estensione .csv. Esportare l'elenco come CSV dal programma di foglio di calcolo."
        )
    prima = next((riga for riga in campione.splitlines() if riga.strip()), "")
    separatore = max(";,\t", key=prima.count) if prima else ";"
    righe = list(csv.reader(io.StringIO(testo, newline=""), delimiter=separatore))
    if len(righe) > limite("RIGHE_MASSIME") + 1:
        raise FileNonValido(
            f"Il file ha {len(righe)} righe: il massimo è {limite('RIGHE_MASSIME')}. "
            "Dividere l'elenco in più file."
        )
    return Foglio("", righe, 0, len(righe))  # one table: errors name no sheet


def conta_righe(contenuto: bytes, nome_file: str) -> int:
    """About how many rows the file has (to choose the background path); 0 if unreadable."""
    formato = estensione(nome_file)
    try:
        if formato == "csv":
            return contenuto.count(b"\n") + 1
        cartella = CalamineWorkbook.from_filelike(io.BytesIO(contenuto))
        return sum(cartella.get_sheet_by_name(n).height for n in cartella.sheet_names)
    except Exception:
        return 0
