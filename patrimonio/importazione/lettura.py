"""Reading a file into sheets of cell values: xlsx, xls and ods with python-calamine (the values the
spreadsheet saved, formulas never evaluated), csv with the ``csv`` module (``;``, ``,`` or tab; UTF-8
with or without BOM, or Windows-1252). Size, format and corruption are checked here.

A spreadsheet is untrusted: it is first measured (``misura``: zip entries, sizes, declared extents,
password protection) and only then read, once, by calamine in a child process (``lettore_isolato``)
limited in memory, CPU time, wall time and output, so that a file that would make calamine allocate
hundreds of gigabytes (and abort: a Rust abort cannot be caught) ends that child with an Italian
``FileNonValido``, never the web or Celery worker."""

from __future__ import annotations

import atexit
import csv
import io
import json
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from django.utils.translation import ngettext

from .errori import FileNonValido
from .lettore_isolato import ESCI_ILLEGGIBILE, ESCI_PASSWORD, RECORD
from .limiti import FORMATI, limite
from .misura import in_mb, misura, non_leggibile, numero, protetto

__all__ = [
    "Foglio",
    "Lettura",
    "conta_righe",
    "estensione",
    "leggi",
    "leggi_file",
    "non_leggibile",
    "verifica_file",
]

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
            f"Il file «{nome_file}» è troppo grande ({in_mb(dimensione)}): la dimensione massima è "
            f"{in_mb(massimo)}. Dividere l'elenco in più file o togliere i fogli non necessari."
        )
    if dimensione == 0:
        raise FileNonValido(f"Il file «{nome_file}» è vuoto.")
    return formato


@dataclass
class Lettura:
    """A file read: its format, the sheets to analyse, and what the preview should warn about."""

    formato: str
    fogli: list[Foglio]
    avvisi: list[str] = field(default_factory=list)


def leggi(contenuto: bytes, nome_file: str) -> Lettura:
    """Measure the file, then read it (spreadsheets in a limited child process). Raises
    ``FileNonValido`` for what is not a readable spreadsheet of an accepted format, too large,
    protected by a password, or empty."""
    formato = verifica_file(nome_file=nome_file, dimensione=len(contenuto))
    if formato == "csv":
        return Lettura(formato, [_foglio_csv(contenuto, nome_file)])
    misurato = misura(contenuto, nome_file, formato)
    return Lettura(formato, leggi_isolato(contenuto, nome_file, formato), misurato.avvisi)


def leggi_file(contenuto: bytes, nome_file: str) -> tuple[str, list[Foglio]]:
    """The file's format and its sheets (``leggi`` without the warnings)."""
    lettura = leggi(contenuto, nome_file)
    return lettura.formato, lettura.fogli


# --------------------------------------------------------------------------------------------
# The child process (``lettore_isolato``) and what it hands back
# --------------------------------------------------------------------------------------------

_LETTORE = Path(__file__).with_name("lettore_isolato.py")
_TIPI_AMMESSI = {("datetime", n) for n in ("datetime", "date", "time", "timedelta", "timezone")}


class _Sicuro(pickle.Unpickler):
    """Unpickles only plain values and ``datetime`` objects, whatever the child wrote."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _TIPI_AMMESSI:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} non ammesso")


class _Righe:
    """A sheet's rows, unpickled block by block from the child's output as they are iterated."""

    def __init__(self, dati: bytes, blocchi: list[tuple[int, int]]) -> None:
        self._dati = memoryview(dati)
        self._blocchi = blocchi

    def __iter__(self) -> Iterator[list[Any]]:
        for inizio, fine in self._blocchi:
            yield from _Sicuro(io.BytesIO(self._dati[inizio:fine])).load()


def troppo_pesante(nome_file: str) -> FileNonValido:
    return FileNonValido(
        f"Il file «{nome_file}» non può essere letto entro i limiti di memoria del servizio: è troppo "
        "grande o costruito in modo anomalo (per esempio celle isolate molto lontane dai dati). Salvarlo "
        "di nuovo dal programma di foglio di calcolo dopo aver eliminato righe e colonne vuote, o "
        "dividere l'elenco in più file."
    )


def troppo_lento(nome_file: str, secondi: int) -> FileNonValido:
    return FileNonValido(
        ngettext(
            "La lettura del file «%(nome)s» ha superato il tempo massimo di %(n)s secondo ed è stata "
            "interrotta: nessun dato è stato letto. Dividere l'elenco in più file.",
            "La lettura del file «%(nome)s» ha superato il tempo massimo di %(n)s secondi ed è stata "
            "interrotta: nessun dato è stato letto. Dividere l'elenco in più file.",
            secondi,
        )
        % {"nome": nome_file, "n": numero(secondi)}
    )


_SCORTA: tuple[int, subprocess.Popen[bytes]] | None = None
_SCORTA_LOCK = threading.Lock()


def _avvia() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        # -I: no PYTHON* variables, no user site, not the script's folder on the path.
        [sys.executable, "-I", str(_LETTORE)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "RUST_BACKTRACE": "0"},
    )


def _prendi_figlio() -> subprocess.Popen[bytes]:
    """A started child: this process's spare when it has a live one, else a new one."""
    global _SCORTA
    with _SCORTA_LOCK:
        scorta, _SCORTA = _SCORTA, None
    if scorta is None or scorta[0] != os.getpid() or scorta[1].poll() is not None:
        return _avvia()  # none yet, inherited through a fork (not ours), or gone
    return scorta[1]


def _prepara_scorta() -> None:
    """Start the spare for the next read once this one is done: its start-up (~0,1 s) overlaps the
    analysis that follows instead of delaying the next read or competing with this one."""
    global _SCORTA
    with _SCORTA_LOCK:
        if _SCORTA is None:
            _SCORTA = (os.getpid(), _avvia())


@atexit.register
def _congeda_scorta() -> None:
    """The spare reads an empty line and exits."""
    if _SCORTA is not None and _SCORTA[0] == os.getpid():
        try:
            _SCORTA[1].communicate(b"", timeout=2)
        except (subprocess.TimeoutExpired, OSError):
            _SCORTA[1].kill()


def leggi_isolato(contenuto: bytes, nome_file: str, formato: str) -> list[Foglio]:
    """Read a spreadsheet with calamine in a child process under memory, CPU and output limits; a
    native abort, a ``MemoryError`` or a timeout ends the child, never this process."""
    tempo = limite("TEMPO_LETTURA")
    with tempfile.TemporaryDirectory(prefix="poa-lettura-") as cartella:
        uscita = Path(cartella) / "righe"
        istruzioni = [str(uscita), limite("MEMORIA_LETTURA"), tempo, limite("USCITA_LETTURA")]
        figlio = _prendi_figlio()
        try:
            _, errori = figlio.communicate(json.dumps(istruzioni).encode() + b"\n" + contenuto, timeout=tempo)
        except subprocess.TimeoutExpired:
            figlio.kill()
            figlio.communicate()
            logger.warning("File %s: lettura interrotta dopo %s s", nome_file, tempo)
            raise troppo_lento(nome_file, tempo) from None
        if figlio.returncode != 0:
            _fallito(figlio.returncode, errori, nome_file, formato, tempo)
        dati = uscita.read_bytes() if uscita.exists() else b""
    _prepara_scorta()
    return _fogli(dati, nome_file, formato)


def _fallito(codice: int, errori: bytes, nome_file: str, formato: str, tempo: int) -> None:
    logger.warning(
        "File %s: lettura non riuscita (codice %s): %s",
        nome_file,
        codice,
        errori[-300:].decode(errors="replace"),
    )
    if codice == ESCI_PASSWORD:
        raise protetto(nome_file)
    if codice == ESCI_ILLEGGIBILE:
        raise non_leggibile(nome_file, formato)
    if codice == -signal.SIGXCPU:
        raise troppo_lento(nome_file, tempo)
    # ESCI_MEMORIA, SIGABRT (a failed allocation in Rust), SIGKILL, SIGSEGV, SIGXFSZ (output limit)
    raise troppo_pesante(nome_file)


def _fogli(dati: bytes, nome_file: str, formato: str) -> list[Foglio]:
    """The sheets of the child's output: headers read now, rows unpickled when iterated."""
    fogli: list[Foglio] = []
    blocchi: list[tuple[int, int]] = []
    posizione = 0
    try:
        while True:
            tipo, lunghezza = RECORD.unpack_from(dati, posizione)
            inizio, posizione = posizione + RECORD.size, posizione + RECORD.size + lunghezza
            if posizione > len(dati):
                raise ValueError("uscita troncata")
            if tipo == b"E":
                break
            if tipo == b"B" and fogli:
                blocchi.append((inizio, posizione))
            elif tipo == b"F":
                nome, prima_colonna, altezza = _Sicuro(io.BytesIO(dati[inizio:posizione])).load()
                _controlla_altezza(str(nome), int(altezza))
                blocchi = []
                fogli.append(Foglio(str(nome), _Righe(dati, blocchi), int(prima_colonna), int(altezza)))
            else:
                raise ValueError(f"record {tipo!r}")
    except (struct.error, ValueError, pickle.UnpicklingError, EOFError, TypeError) as errore:
        if isinstance(errore, FileNonValido):
            raise
        logger.warning("File %s: uscita del lettore non valida: %s", nome_file, errore)
        raise non_leggibile(nome_file, formato) from None
    return fogli


def _controlla_altezza(nome: str, altezza: int) -> None:
    """What the child read, against the row limit (a sheet may declare less than it holds)."""
    if altezza > limite("RIGHE_MASSIME") + 1:
        raise FileNonValido(
            f"Il foglio «{nome}» ha {numero(altezza)} righe: il massimo è {numero(limite('RIGHE_MASSIME'))}. "
            "Dividere l'elenco in più file."
        )


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
            f"Il file ha {numero(len(righe))} righe: il massimo è {numero(limite('RIGHE_MASSIME'))}. "
            "Dividere l'elenco in più file."
        )
    return Foglio("", righe, 0, len(righe))  # one table: errors name no sheet


def conta_righe(contenuto: bytes, nome_file: str, *, fino_a: int | None = None) -> int:
    """How many rows the file has, from measuring it (nothing is parsed); 0 if it cannot be
    measured: the analysis, which measures it again, then refuses it at once with its message.
    With ``fino_a`` the count may stop anywhere past that many rows."""
    formato = estensione(nome_file)
    try:
        if formato not in FORMATI:
            return 0
        return misura(contenuto, nome_file, formato, fino_a=fino_a).righe
    except FileNonValido:
        return 0
