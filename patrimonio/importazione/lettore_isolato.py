"""The child process that hands a spreadsheet to python-calamine, under memory, CPU and file-size
limits. Run as a script (``python -I lettore_isolato.py``), started ahead of need; its stdin brings
one JSON line ``[USCITA, MEMORIA, CPU, USCITA_MASSIMA]`` (output path, address space and output size
in bytes, CPU seconds), then the file's bytes. It imports nothing of the project (nor Django), and a
native abort (calamine's Rust code aborts when an allocation fails) ends only this process. The parent (``lettura``) turns every way it can end into an Italian ``FileNonValido``.

Output, written to USCITA: records of one type byte, an 8-byte length and a pickle: ``F`` a sheet
``(nome, prima_colonna, altezza)``, then ``B`` blocks (lists) of that sheet's rows, and ``E`` at the
end (its absence means the output is incomplete). The lengths let the parent find the sheets without
unpickling their rows. Only plain values and ``datetime`` objects are pickled: the parent unpickles
with an allow-list. Exit codes: 0 read,
``ESCI_ILLEGGIBILE`` calamine refused the file, ``ESCI_PASSWORD`` the file is password-protected,
``ESCI_MEMORIA`` a ``MemoryError`` Python could catch; a signal (SIGABRT, SIGKILL, SIGXCPU, SIGXFSZ)
for everything else.
"""

from __future__ import annotations

import io
import json
import pickle
import resource
import struct
import sys
from typing import Any

ESCI_ILLEGGIBILE = 3
ESCI_PASSWORD = 4
ESCI_MEMORIA = 5
RIGHE_PER_BLOCCO = 2_000
RECORD = struct.Struct("<cQ")


def _scrivi(uscita: io.BufferedWriter, tipo: bytes, valore: Any) -> None:
    dati = pickle.dumps(valore, protocol=pickle.HIGHEST_PROTOCOL)
    uscita.write(RECORD.pack(tipo, len(dati)))
    uscita.write(dati)


def _limita(memoria: int, cpu: int, uscita_massima: int) -> None:
    """Cap this process before any byte of the file is parsed (no core file: an abort is expected)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memoria > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memoria, memoria))
    if cpu > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    if uscita_massima > 0:
        resource.setrlimit(resource.RLIMIT_FSIZE, (uscita_massima, uscita_massima))


def _leggi(contenuto: bytes, uscita: io.BufferedWriter) -> None:
    # Imported after the limits are set, so even loading the extension is inside them.
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    cartella = CalamineWorkbook.from_filelike(io.BytesIO(contenuto))
    for meta in cartella.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
            continue  # the parent's measuring reports hidden sheets; they are not read
        foglio = cartella.get_sheet_by_name(meta.name)
        inizio = foglio.start
        _scrivi(uscita, b"F", (meta.name, inizio[1] if inizio else 0, foglio.height))
        blocco: list[list[Any]] = []
        # iter_rows yields every row from the first (row numbers stay those the user sees),
        # starting at the first used column.
        for riga in foglio.iter_rows():
            blocco.append(riga)
            if len(blocco) == RIGHE_PER_BLOCCO:
                _scrivi(uscita, b"B", blocco)
                blocco = []
        if blocco:
            _scrivi(uscita, b"B", blocco)
        del foglio
    _scrivi(uscita, b"E", None)


def _carica_lettore() -> None:
    """Load calamine ahead of need: the child is started as a spare before a file arrives."""
    import python_calamine  # noqa: F401


def main() -> int:
    _carica_lettore()
    # The first line says where to write and within which limits; the file's bytes follow.
    riga = sys.stdin.buffer.readline()
    if not riga.strip():
        return 0  # the parent ended before needing this spare
    percorso, memoria, cpu, uscita_massima = json.loads(riga)
    _limita(int(memoria), int(cpu), int(uscita_massima))
    contenuto = sys.stdin.buffer.read()
    try:
        with open(str(percorso), "wb") as uscita:
            _leggi(contenuto, uscita)
    except MemoryError:
        return ESCI_MEMORIA
    except Exception as errore:  # calamine raises its own types and plain ValueErrors
        testo = str(errore)
        sys.stderr.write(testo[:500])
        return (
            ESCI_PASSWORD if "password" in testo.lower() or "encrypt" in testo.lower() else ESCI_ILLEGGIBILE
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
