"""Benchmark (not a test): spreadsheet upload of ALER-sized unit lists, ours against the alternatives.

    .venv/bin/python benchmarks/import_units.py                      # configured DB (SQLite in var/)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poa_bench .venv/bin/python benchmarks/import_units.py
    .venv/bin/python benchmarks/import_units.py --smoke              # CI: 5,000 rows, one round

Builds xlsx files of 20,000 and 100,000 units in the template's columns, and a copy of each with 5%
of the rows changed, then times, on the configured database, in one run:

- the ceiling: python-calamine read + ``bulk_create`` of the same units and states, no validation;
- django-import-export's default import (``UnitaResource``, row by row, reading with its XLSX format)
  of the 20,000-row file (new rows), and its re-import with 5% of the rows changed;
- our import (``patrimonio.importazione``: read + validate + preview + commit) of the same files, new
  rows and the 5%-changed re-upload, at 20,000 and 100,000 rows.

Peak memory is the process's peak resident set size during each step (Linux ``VmHWM``, reset
before the step through ``/proc/self/clear_refs``; ``ru_maxrss`` where that is not possible).
Targets: new rows ≥ 15× the default path and ≤ 1.5× the ceiling; 5%-changed re-upload ≥ 10× the
default path; ≤ 1 GB peak for 100,000 rows. The benchmark's own ambito ("Ambito benchmark import") is
created on start and removed at the end, with the history rows of its plan; nothing else in the
database is touched. A PostgreSQL database named in ``DATABASE_URL`` that does not exist yet is
created.

The exit status is 0 when every target is met, 1 when one is missed. ``--smoke`` runs everything
once on 5,000 rows, so CI sees that the benchmark still works and prints its figures; the targets
are judged at full size only, so a smoke run exits 0 whatever its verdicts (non-zero only if the
script itself breaks).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import django
import openpyxl
from python_calamine import CalamineWorkbook

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


from basi_di_dati import crea_database_postgres  # noqa: E402  (benchmarks/ is the script's folder)

crea_database_postgres()
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from import_export.formats.base_formats import XLSX  # noqa: E402

from ambito.models import Ambito, Comune  # noqa: E402
from patrimonio.importazione import analizza, anteprima, registra  # noqa: E402
from patrimonio.models import EnteProprietario, TipoEnte, UnitaAbitativa  # noqa: E402
from patrimonio.resources import COLONNE_UNITA, STATI_MODELLO, UnitaResource, interpreta_stato  # noqa: E402
from piano_annuale.models import (  # noqa: E402
    Caricamento,
    Modifica,
    PianoAnnuale,
    RispostaRicognizione,
    StatoPiano,
    StatoUnita,
    TurnoverPrevisto,
)

NOME_AMBITO = "Ambito benchmark import"
PREFISSO_ISTAT = "098"
COMUNI = 60
OBIETTIVO_SU_DEFAULT_NUOVE = 15.0
OBIETTIVO_SU_SOFFITTO = 1.5
OBIETTIVO_SU_DEFAULT_MODIFICATE = 10.0
OBIETTIVO_MEMORIA_MB = 1024.0


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


def _azzera_picco() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS (Linux ≥ 4.0)
        return True
    except OSError:
        return False


def _picco_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for riga in f:
                if riga.startswith("VmHWM:"):
                    return int(riga.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Misura:
    nome: str
    righe: int
    secondi: float
    picco_mb: float

    @property
    def righe_al_secondo(self) -> float:
        return self.righe / self.secondi if self.secondi else float("inf")

    def stampa(self) -> None:
        al_secondo = f"{self.righe_al_secondo:,.0f}".replace(",", ".")
        print(
            f"  {self.nome:<58} {self.righe:>7} righe  {self.secondi:8.2f} s  "
            f"{al_secondo:>9} righe/s  picco {self.picco_mb:7.0f} MB"
        )


def misura(nome: str, righe: int, funzione: Callable[[], Any]) -> Misura:
    _azzera_picco()
    inizio = time.perf_counter()
    funzione()
    secondi = time.perf_counter() - inizio
    risultato = Misura(nome, righe, secondi, _picco_mb())
    risultato.stampa()
    return risultato


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass
class Scena:
    piano: PianoAnnuale
    ente: EnteProprietario
    comuni: list[Comune]


def prepara() -> Scena:
    call_command("migrate", verbosity=0, interactive=False)
    pulisci()
    ambito = Ambito.objects.create(nome=NOME_AMBITO)
    comuni = Comune.objects.bulk_create(
        Comune(
            codice_istat=f"{PREFISSO_ISTAT}{n:03d}",
            nome=f"Comune benchmark {n}",
            provincia="ZZ",
            ambito=ambito,
        )
        for n in range(1, COMUNI + 1)
    )
    piano = PianoAnnuale.objects.create(
        ambito=ambito, anno=2025, data_popolazione="2024-01-01", stato=StatoPiano.RICOGNIZIONE
    )
    ente = EnteProprietario.objects.create(ambito=ambito, tipo=TipoEnte.ALER, denominazione="ALER benchmark")
    return Scena(piano, ente, comuni)


def svuota(scena: Scena) -> None:
    """Remove the ente's units between runs (raw deletes: this is setup, not what is measured)."""
    with transaction.atomic():
        StatoUnita.objects.filter(piano=scena.piano)._raw_delete(connection.alias)
        UnitaAbitativa.objects.filter(ente=scena.ente)._raw_delete(connection.alias)
        RispostaRicognizione.objects.filter(piano=scena.piano).delete()
        Modifica.objects.filter(piano_id=scena.piano.pk)._raw_delete(connection.alias)


def pulisci() -> None:
    ambito = Ambito.objects.filter(nome=NOME_AMBITO).first()
    if ambito is None:
        return
    with transaction.atomic():
        StatoUnita.objects.filter(piano__ambito=ambito)._raw_delete(connection.alias)
        UnitaAbitativa.objects.filter(ente__ambito=ambito)._raw_delete(connection.alias)
        piani = list(PianoAnnuale.objects.filter(ambito=ambito).values_list("pk", flat=True))
        Modifica.objects.filter(piano_id__in=piani)._raw_delete(connection.alias)
        Caricamento.objects.filter(piano__ambito=ambito).delete()
        TurnoverPrevisto.objects.filter(piano__ambito=ambito).delete()
        RispostaRicognizione.objects.filter(piano__ambito=ambito).delete()
        PianoAnnuale.objects.filter(ambito=ambito).delete()
        EnteProprietario.objects.filter(ambito=ambito).delete()
        Comune.objects.filter(ambito=ambito).delete()
        ambito.delete()


STATI = list(STATI_MODELLO.values())


def righe_unita(scena: Scena, quante: int, *, cambiate_ogni: int = 0) -> list[list[Any]]:
    """The template's columns; with ``cambiate_ogni`` = 20, every 20th row (5%) has another state."""
    righe = []
    for n in range(quante):
        comune = scena.comuni[n % len(scena.comuni)]
        stato = STATI[n % 4]  # carenza, ristrutturazione, nuova, libera
        if cambiate_ogni and n % cambiate_ogni == 0:
            stato = STATI[(n + 1) % 4]
        programma = f"LOTTO {n % 9}.{n % 5}" if stato == "ristrutturazione" else ""
        righe.append(
            [
                scena.ente.denominazione,
                f"B{n:07d}",
                f"BS{n:07d}",
                comune.nome,
                comune.codice_istat,
                "SAS" if n % 25 == 0 else "SAP",
                f"Via del Benchmark {n}",
                stato,
                programma,
                "",
            ]
        )
    return righe


def xlsx(righe: list[list[Any]]) -> bytes:
    cartella = openpyxl.Workbook(write_only=True)
    foglio = cartella.create_sheet("Unità abitative")
    foglio.append([c.intestazione for c in COLONNE_UNITA if c.chiave != "pk"])
    for riga in righe:
        foglio.append(riga)
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()


# --------------------------------------------------------------------------------------------
# The three ways
# --------------------------------------------------------------------------------------------


def soffitto(scena: Scena, contenuto: bytes) -> int:
    """calamine read + bulk_create of the same units and states: no validation, no preview."""
    foglio = CalamineWorkbook.from_filelike(io.BytesIO(contenuto)).get_sheet_by_index(0)
    righe = cast(list[list[str]], foglio.to_python()[1:])  # the file's cells are all text
    comuni = {c.codice_istat: c.pk for c in scena.comuni}
    with transaction.atomic():
        unita = UnitaAbitativa.objects.bulk_create(
            [
                UnitaAbitativa(
                    ente_id=scena.ente.pk,
                    comune_id=comuni[r[4]],
                    id_regionale=r[1],
                    codice_ente=r[2],
                    tipo=r[5],
                    indirizzo=r[6],
                )
                for r in righe
            ],
            batch_size=2000,
        )
        StatoUnita.objects.bulk_create(
            [
                StatoUnita(piano_id=scena.piano.pk, unita_id=u.pk, stato=r[7], programma=r[8], note=r[9])
                for u, r in zip(unita, righe, strict=True)
            ],
            batch_size=2000,
        )
    return len(righe)


def import_export(scena: Scena, contenuto: bytes) -> int:
    """django-import-export's default path: its XLSX format (tablib/openpyxl), then row by row."""
    dataset = XLSX().create_dataset(contenuto)
    risultato = UnitaResource(ente=scena.ente, piano=scena.piano).import_data(
        dataset, dry_run=False, raise_errors=True, use_transactions=True
    )
    assert not risultato.has_errors() and not risultato.has_validation_errors()
    return len(dataset)


def nostro(scena: Scena, contenuto: bytes) -> int:
    """Ours: read + validate + preview + commit."""
    analisi = analizza(contenuto=contenuto, nome_file="aler.xlsx", piano=scena.piano, ente=scena.ente)
    if analisi.errori:
        raise SystemExit(f"Errori inattesi: {[e.messaggio for e in analisi.errori[:5]]}")
    anteprima(analisi)  # the preview the page stores
    registra(analisi=analisi, utente=None)
    return analisi.righe


def verifica(scena: Scena, righe: list[list[Any]]) -> None:
    """Every way must leave the same rows: the states written are those of the file."""
    attesi = sorted((r[1], interpreta_stato(r[7])[0]) for r in righe)
    trovati = sorted(StatoUnita.objects.filter(piano=scena.piano).values_list("unita__id_regionale", "stato"))
    if attesi != trovati:
        raise SystemExit("I dati registrati non corrispondono al file.")


# --------------------------------------------------------------------------------------------


def migliore(misure: list[Misura]) -> Misura:
    """Best time of the rounds (the machine is shared: noise only ever adds), worst memory."""
    tempo = min(misure, key=lambda m: m.secondi)
    return Misura(tempo.nome, tempo.righe, tempo.secondi, max(m.picco_mb for m in misure))


RIGHE_SMOKE = 5_000


def argomenti() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--piccolo", type=int, default=20_000, help="righe del file piccolo")
    parser.add_argument("--grande", type=int, default=100_000, help="righe del file grande")
    parser.add_argument("--ripetizioni", type=int, default=3, help="giri alternati di soffitto e nostro")
    parser.add_argument("--senza-default", action="store_true", help="salta il percorso di import-export")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"prova rapida (CI): {RIGHE_SMOKE} righe, un giro; esce con 0 anche se un obiettivo manca",
    )
    opzioni = parser.parse_args()
    if opzioni.smoke:
        opzioni.piccolo = opzioni.grande = RIGHE_SMOKE
        opzioni.ripetizioni = 1
    return opzioni


File = tuple[int, list[list[Any]], bytes, list[list[Any]], bytes]  # rows, new, xlsx, 5% changed, xlsx


def percorso_predefinito(scena: Scena, file: File, risultati: dict[str, Misura]) -> None:
    quante, righe, contenuto, righe_5, contenuto_5 = file
    print("django-import-export, percorso predefinito (una volta: è lento):")
    risultati["d_nuove"] = misura(
        "import-export, righe nuove", quante, lambda: import_export(scena, contenuto)
    )
    verifica(scena, righe)
    risultati["d_5"] = misura(
        "import-export, ricaricamento con il 5% modificato", quante, lambda: import_export(scena, contenuto_5)
    )
    verifica(scena, righe_5)
    svuota(scena)


def giri_alternati(
    scena: Scena, nome: str, file: File, ripetizioni: int, risultati: dict[str, Misura]
) -> None:
    """Ceiling, new rows and 5%-changed re-upload, alternated so that noise hits all three alike."""
    quante, righe, contenuto, righe_5, contenuto_5 = file
    print(f"File {nome}, {ripetizioni} giri alternati:")
    giri: dict[str, list[Misura]] = {"soffitto": [], "nuove": [], "5": []}
    for _ in range(ripetizioni):
        giri["soffitto"].append(
            misura(
                f"soffitto (calamine + bulk_create), file {nome}", quante, lambda: soffitto(scena, contenuto)
            )
        )
        verifica(scena, righe)
        svuota(scena)
        giri["nuove"].append(
            misura(f"nostro, righe nuove, file {nome}", quante, lambda: nostro(scena, contenuto))
        )
        verifica(scena, righe)
        giri["5"].append(
            misura(
                f"nostro, ricaricamento con il 5% modificato, file {nome}",
                quante,
                lambda: nostro(scena, contenuto_5),
            )
        )
        verifica(scena, righe_5)
        svuota(scena)
    for chiave, misure in giri.items():
        risultati[f"{chiave}_{nome}"] = migliore(misure)


def obiettivi(r: dict[str, Misura]) -> bool:
    """Print each target's verdict; whether all are met."""
    print("Obiettivi:")
    esiti = []

    def obiettivo(descrizione: str, valore: float, soglia: float, *, al_massimo: bool = False) -> None:
        riuscito = valore <= soglia if al_massimo else valore >= soglia
        esiti.append(riuscito)
        confronto = "≤" if al_massimo else "≥"
        print(f"  {'OK ' if riuscito else 'NO '} {descrizione}: {valore:.2f} ({confronto} {soglia})")

    if "d_nuove" in r:
        obiettivo(
            "righe nuove, volte più veloce del percorso predefinito",
            r["d_nuove"].secondi / r["nuove_piccolo"].secondi,
            OBIETTIVO_SU_DEFAULT_NUOVE,
        )
        obiettivo(
            "5% modificato, volte più veloce del percorso predefinito",
            r["d_5"].secondi / r["5_piccolo"].secondi,
            OBIETTIVO_SU_DEFAULT_MODIFICATE,
        )
    for nome in ("piccolo", "grande"):
        obiettivo(
            f"righe nuove (file {nome}), volte il soffitto",
            r[f"nuove_{nome}"].secondi / r[f"soffitto_{nome}"].secondi,
            OBIETTIVO_SU_SOFFITTO,
            al_massimo=True,
        )
    obiettivo(
        "picco di memoria con il file grande (MB)",
        max(r["nuove_grande"].picco_mb, r["5_grande"].picco_mb),
        OBIETTIVO_MEMORIA_MB,
        al_massimo=True,
    )
    return all(esiti)


def main() -> int:
    opzioni = argomenti()
    print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    scena = prepara()
    risultati: dict[str, Misura] = {}
    try:
        file: dict[str, File] = {}
        for nome, quante in (("piccolo", opzioni.piccolo), ("grande", opzioni.grande)):
            righe, righe_5 = righe_unita(scena, quante), righe_unita(scena, quante, cambiate_ogni=20)
            file[nome] = (quante, righe, xlsx(righe), righe_5, xlsx(righe_5))
            print(f"File {nome}: {quante} righe, {len(file[nome][2]) / 1e6:.1f} MB")
        if not opzioni.senza_default:
            percorso_predefinito(scena, file["piccolo"], risultati)
        for nome in ("piccolo", "grande"):
            giri_alternati(scena, nome, file[nome], opzioni.ripetizioni, risultati)
    finally:
        pulisci()

    print("Riepilogo (migliore dei giri; picco di memoria: il peggiore):")
    for misura_ in risultati.values():
        misura_.stampa()
    if obiettivi(risultati):
        print("Tutti gli obiettivi raggiunti.")
        return 0
    if opzioni.smoke:
        print(
            f"Alcuni obiettivi NON sono raggiunti a {RIGHE_SMOKE} righe (prova rapida: gli obiettivi valgono"
        )
        print("alle dimensioni piene; rieseguire senza --smoke per giudicarli).")
        return 0
    print("Alcuni obiettivi NON sono raggiunti.")
    return 1


if __name__ == "__main__":
    sys.exit(main())
