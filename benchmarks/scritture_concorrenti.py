"""Benchmark (not a test): what the freeze gate costs the enti's concurrent writes (issue 16, item 3).

    DATABASE_URL=postgres://… .venv/bin/python benchmarks/scritture_concorrenti.py [--enti 8] [--salvataggi 25]

Every write of an ente's data passes ``blocca_per_scrittura``, which locks the plan's row (as «Invia
ad ALER» does), so the writes of different enti of one plan run one at a time. The script builds a
synthetic ambito (one comune ente per comune, answers reopened), then has each ente change its own
units' address ``--salvataggi`` times through ``salva_unita`` (the unit form's service, with the
form's version) and prints, side by side:

- the same saves made by one connection after the other (no contention), and
- one thread per ente, all at once (every save waits for the plan's lock in turn):

saves per second, median and 95th percentile of one save. PostgreSQL only (SQLite has no row locks
and refuses a second concurrent writer). The ambito it creates stays in the database: run it on a
database of its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, connections  # noqa: E402

from patrimonio.models import EnteProprietario, TipoEnte, UnitaAbitativa  # noqa: E402
from piano_annuale.models import PianoAnnuale, RispostaRicognizione, StatoRisposta  # noqa: E402
from piano_annuale.services.ente import salva_unita  # noqa: E402
from piano_annuale.services.regole import assicura_regole_predefinite  # noqa: E402
from piano_annuale.services.versioni import perimetro_unita  # noqa: E402
from tests.builders import crea_ambito  # noqa: E402


def prepara(enti: int) -> tuple[PianoAnnuale, list[EnteProprietario]]:
    """A fresh ambito of ``enti`` comuni; every comune's answer reopened so its data may change."""
    assicura_regole_predefinite()
    codice = uuid.uuid4().int % 900 + 100
    while EnteProprietario.objects.filter(comune__codice_istat__startswith=f"{codice}").exists():
        codice = uuid.uuid4().int % 900 + 100
    piano = crea_ambito(
        nome=f"Benchmark scritture {uuid.uuid4().hex[:8]}", comuni=enti, prefisso_istat=str(codice)
    )
    RispostaRicognizione.objects.filter(piano=piano).update(stato=StatoRisposta.RIAPERTA)
    comuni = list(EnteProprietario.objects.filter(ambito=piano.ambito, tipo=TipoEnte.COMUNE).order_by("pk"))
    return piano, comuni


def salvataggi(
    piano: PianoAnnuale, ente: EnteProprietario, quanti: int, giro: str, tempi: list[float]
) -> None:
    """``quanti`` saves of the ente's first unit, each with the version a form would carry."""
    utente = get_user_model().objects.get_or_create(username="benchmark.scritture")[0]
    unita = UnitaAbitativa.objects.filter(ente=ente).order_by("pk").first()
    assert unita is not None
    try:
        for n in range(quanti):
            versione = perimetro_unita(piano.pk, unita.pk).versione()  # the form's GET
            inizio = time.perf_counter()
            salva_unita(
                piano=piano,
                ente=ente,
                utente=utente,
                valori_unita={"indirizzo": f"Via {giro} {n}", "comune_id": unita.comune_id},
                valori_stato=None,
                unita=UnitaAbitativa.objects.get(pk=unita.pk),
                versione=versione,
            )
            tempi.append(time.perf_counter() - inizio)
    finally:
        connections.close_all()  # this thread's connection


def riepilogo(etichetta: str, tempi: list[float], durata: float) -> str:
    ordinati = sorted(tempi)
    p95 = ordinati[max(0, int(len(ordinati) * 0.95) - 1)]
    return (
        f"{etichetta:<34} {len(tempi):>5} salvataggi in {durata:6.2f} s = {len(tempi) / durata:7.1f}/s; "
        f"uno: mediana {statistics.median(tempi) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enti", type=int, default=8)
    parser.add_argument("--salvataggi", type=int, default=25)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Serve PostgreSQL (DATABASE_URL=postgres://…): SQLite non ammette scritture concorrenti.")
    piano, enti = prepara(args.enti)

    tempi_serie: list[float] = []
    inizio = time.perf_counter()
    for ente in enti:
        salvataggi(piano, ente, args.salvataggi, "serie", tempi_serie)
    durata_serie = time.perf_counter() - inizio

    tempi_insieme: list[float] = []
    fili = [
        threading.Thread(target=salvataggi, args=(piano, ente, args.salvataggi, "insieme", tempi_insieme))
        for ente in enti
    ]
    inizio = time.perf_counter()
    for filo in fili:
        filo.start()
    for filo in fili:
        filo.join()
    durata_insieme = time.perf_counter() - inizio

    print(
        f"{args.enti} enti dello stesso piano, {args.salvataggi} salvataggi di un'unità ciascuno (salva_unita)"
    )
    print(riepilogo("una connessione dopo l'altra", tempi_serie, durata_serie))
    print(riepilogo(f"{args.enti} connessioni insieme", tempi_insieme, durata_insieme))
    rapporto = (len(tempi_insieme) / durata_insieme) / (len(tempi_serie) / durata_serie)
    print(
        f"throughput insieme / in serie: {rapporto:.2f} (1 = le scritture del piano si alternano sul suo lock)"
    )


if __name__ == "__main__":
    main()
