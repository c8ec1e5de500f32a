"""Benchmark (not a test): the plan's computation in a synthetic Lombardy against the same ambito alone.

    .venv/bin/python benchmarks/regione.py                     # database poa_regione on 127.0.0.1
    .venv/bin/python benchmarks/regione.py --database poa_mia  # another name on the same server
    .venv/bin/python benchmarks/regione.py --scala 0.02        # smoke size (CI): 3 ambiti, ~3,500 units
    .venv/bin/python benchmarks/regione.py --solo-genera       # only make the regional DB (carico.py)

Generates, in the PostgreSQL database ``--database`` (default ``poa_regione``, ``poa_regione_0_02`` at
scale 0.02; created when missing) on the server of ``DATABASE_URL`` (its database name is not used, so
the application's own database is never touched; 127.0.0.1:5432 as postgres when it is not PostgreSQL), a synthetic Lombardy: 91 ambiti, ~1,562 comuni, ~172,755 units in the
registries, one 2027 plan per ambito under the rules in force on 1 January 2027 (L.R. 18/2025), one
Milano-sized ambito (one comune, ~43,813 units), and four users per ambito (ufficio di piano, the
capofila comune, ALER, Assemblea; password ``PASSWORD``). ``--scala`` multiplies every size. The
generation is deterministic and done with ``bulk_create`` in batches, one transaction per ambito;
a database that already holds the same region (same scale) is reused, ``--rigenera`` drops it first.

Then it prints, for an ordinary ambito and for the Milano-sized one, the time and the queries of
``calcola_piano`` in the regional database and in a database holding that ambito alone (the same
rows, generated and timed by child runs of this script in ``<name>_solo_<ambito>``), in ``--giri``
alternated rounds of ``--ripetizioni`` computations; their ratio (target ≤ 1.5×) is taken on the best
times, since on a shared machine noise only ever adds (the medians are printed too); and
``EXPLAIN (ANALYZE, BUFFERS)`` of the three slowest queries of the Milano-sized ambito's computation,
captured with ``CaptureQueriesContext``. Then the ordinary ambito's plan page and dashboard, and the
regional overview (``regione_pagine``).

The exit status is 0 when the targets are met, 1 when one is missed; at a scale below 0.5 (a smoke
run) the verdicts are printed but the exit status is 0 unless the script itself breaks.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import dj_database_url
import django
import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

AMBITI = 91
COMUNI = 1_562
UNITA = 172_755
UNITA_MILANO = 43_813
ANNO = 2027
PASSWORD = "carico2027!"
OBIETTIVO_RAPPORTO = 1.5
RUOLI_UTENTI = ("ufficio", "comune", "aler", "assemblea")


def _conf(url: str) -> dict[str, Any]:
    conf = dict(dj_database_url.parse(url))
    if conf["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("Questo benchmark richiede PostgreSQL: DATABASE_URL=postgres://…")
    return conf


def _connetti_postgres(conf: dict[str, Any]) -> psycopg.Connection:
    return psycopg.connect(
        dbname="postgres",
        autocommit=True,
        host=conf["HOST"] or "127.0.0.1",
        port=conf["PORT"] or 5432,
        user=conf["USER"],
        password=conf["PASSWORD"] or None,
    )


def prepara_database(url: str, *, rigenera: bool) -> None:
    """Create the database of ``url`` if it is missing; with ``rigenera`` drop it first."""
    conf = _conf(url)
    with _connetti_postgres(conf) as conn:
        if rigenera:
            conn.execute(f'DROP DATABASE IF EXISTS "{conf["NAME"]}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [conf["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{conf["NAME"]}"')


def argomenti() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scala", type=float, default=1.0, help="moltiplica ogni dimensione (0.02: prova)")
    parser.add_argument("--ripetizioni", type=int, default=5, help="calcoli misurati per giro")
    parser.add_argument("--giri", type=int, default=3, help="giri alternati regione / da solo")
    parser.add_argument("--rigenera", action="store_true", help="cancella e rigenera il database")
    parser.add_argument("--solo-genera", action="store_true", help="genera il database e non misura")
    parser.add_argument(
        "--random-page-cost",
        type=float,
        default=None,
        help="SET random_page_cost per la sessione che misura (ad es. 1.1: dati in memoria o su SSD)",
    )
    parser.add_argument("--database", default=None, help="nome del database (predefinito poa_regione)")
    parser.add_argument("--solo", type=int, default=None, help=argparse.SUPPRESS)  # child run: one ambito
    parser.add_argument("--pagine", action="store_true", help=argparse.SUPPRESS)  # child run: its pages
    opzioni = parser.parse_args()
    if not 0 < opzioni.scala <= 1.0:
        parser.error("--scala va da 0 (escluso) a 1.")
    if opzioni.database is None:  # a smaller region never replaces the full one
        opzioni.database = (
            "poa_regione" if opzioni.scala == 1.0 else f"poa_regione_{opzioni.scala:g}".replace(".", "_")
        )
    if not 1 <= opzioni.ripetizioni <= 50 or not 1 <= opzioni.giri <= 20:
        parser.error("--ripetizioni va da 1 a 50, --giri da 1 a 20.")
    return opzioni


def url_regione(nome: str) -> str:
    """The database ``nome`` on DATABASE_URL's PostgreSQL server (127.0.0.1:5432 as postgres otherwise)."""
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        server = "postgres://postgres@127.0.0.1:5432/postgres"
    return urllib.parse.urlsplit(server)._replace(path=f"/{nome}").geturl()


OPZIONI = argomenti()
os.environ["DATABASE_URL"] = url_regione(OPZIONI.database)
prepara_database(os.environ["DATABASE_URL"], rigenera=OPZIONI.rigenera)
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from regione_pagine import confronta, solo_pagine  # noqa: E402  (benchmarks/ is the script's folder)

from ambito.models import AggregazioneTerritoriale, Ambito, Comune, Popolazione  # noqa: E402
from patrimonio.accesso import Operatore, Ruolo  # noqa: E402
from patrimonio.models import EnteProprietario, TipoEnte, TipoServizio, UnitaAbitativa  # noqa: E402
from piano_annuale.calcolo import calcola_piano  # noqa: E402
from piano_annuale.models import (  # noqa: E402
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    PianoAnnuale,
    RegoleAnno,
    RispostaRicognizione,
    ScelteEnte,
    Stato,
    StatoPiano,
    StatoRisposta,
    StatoUnita,
    TurnoverPrevisto,
)

# --------------------------------------------------------------------------------------------
# The region's shape: deterministic, so a child run can build one ambito exactly as the region has it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecAmbito:
    numero: int  # 1…; the Milano-sized ambito is number 1
    nome: str
    comuni: int
    unita: int
    milano: bool

    @property
    def sigla(self) -> str:
        """The users' suffix: «milano» or the two-digit number."""
        return "milano" if self.milano else f"{self.numero:02d}"


def regione(scala: float) -> list[SpecAmbito]:
    """The ambiti at ``scala``: Milano first (one comune), the others sized 0.5–1.5× the mean."""
    quanti = max(3, round(AMBITI * scala))
    comuni = max(quanti + 1, round(COMUNI * scala))
    unita_milano = max(50, round(UNITA_MILANO * scala))
    unita_altre = max(quanti * 20, round(UNITA * scala) - unita_milano)
    pesi = [0.5 + ((k * 37) % 101) / 100 for k in range(2, quanti + 1)]
    totale = sum(pesi)
    spec = [SpecAmbito(1, "Ambito sintetico di Milano", 1, unita_milano, True)]
    comuni_rest, unita_rest = comuni - 1, unita_altre
    for i, (k, peso) in enumerate(zip(range(2, quanti + 1), pesi, strict=True)):
        ultimi = i == len(pesi) - 1
        c = comuni_rest if ultimi else max(1, round((comuni - 1) / (quanti - 1)))
        u = unita_rest if ultimi else max(20, round(unita_altre * peso / totale))
        spec.append(SpecAmbito(k, f"Ambito sintetico {k:02d}", c, u, False))
        comuni_rest, unita_rest = comuni_rest - c, unita_rest - u
    return spec


def ambito_ordinario(spec: list[SpecAmbito]) -> SpecAmbito:
    """The ambito whose size is closest to the mean of the ordinary ones."""
    altri = [s for s in spec if not s.milano]
    media = statistics.mean(s.unita for s in altri)
    return min(altri, key=lambda s: (abs(s.unita - media), s.numero))


def marcatore(scala: float) -> str:
    return f"Lombardia sintetica, scala {scala:g}"


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------

LOTTO = 5_000


def _stato_di(n: int) -> tuple[str, str, str] | None:
    """The state declared for unit ``n`` of an ambito (7% of the registry, like Milano's Allegato B):
    state, programme, text as declared; None for a let unit (no row in the plan)."""
    r = n % 100
    if r < 3:
        return Stato.LIBERA, "", "LIBERO"
    if r < 5:
        return Stato.CARENZA_MANUTENTIVA, "", "SFITTO PER CARENZE MANUTENTIVE"
    if r == 5:
        return Stato.RISTRUTTURAZIONE, f"LOTTO {n % 9 + 1}", "IN RISTRUTTURAZIONE"
    if r == 6:
        return Stato.NUOVA_EDIFICAZIONE, "", "NUOVA EDIFICAZIONE"
    return None


def _id_regionale(s: SpecAmbito, n: int) -> str | None:
    """Unique IDs; one unit in 50 without ID (check U03); one in 4,999 written as its neighbour's ID
    with a separator (check U02), as the regional registry sometimes has them."""
    if n % 50 == 13:
        return None
    if n % 4_999 == 7:
        return f"R{s.numero:03d}-{n - 1:06d}"
    return f"R{s.numero:03d}{n:06d}"


def genera_ambito(s: SpecAmbito, scala: float, regole: RegoleAnno, hash_password: str) -> None:
    """One ambito with its comuni, enti, registry, 2027 plan and users, in one transaction."""
    data_pop = datetime.date(ANNO - 1, 1, 1)
    with transaction.atomic():
        ambito = Ambito.objects.create(nome=s.nome, ente_strumentale=marcatore(scala))
        aggregazioni = AggregazioneTerritoriale.objects.bulk_create(
            AggregazioneTerritoriale(ambito=ambito, numero=n, denominazione=f"Zona {n}") for n in range(1, 5)
        )
        provincia = "MI" if s.milano else chr(ord("A") + s.numero % 26) + chr(ord("A") + s.numero // 26)
        comuni = Comune.objects.bulk_create(
            Comune(
                codice_istat=f"{s.numero:03d}{j:03d}",
                nome="Milano" if s.milano else f"Comune sintetico {s.numero:02d}-{j:03d}",
                provincia=provincia,
                ambito=ambito,
                aggregazione=aggregazioni[j % 4],
            )
            for j in range(1, s.comuni + 1)
        )
        ambito.comune_capofila = comuni[0]
        ambito.save(update_fields=["comune_capofila"])
        Popolazione.objects.bulk_create(
            Popolazione(
                comune=c,
                data_riferimento=data_pop,
                abitanti=1_371_000 if s.milano else 800 + (j * 7_919) % 40_000,
                famiglie=None,
            )
            for j, c in enumerate(comuni)
        )
        piano = PianoAnnuale.objects.create(
            ambito=ambito, anno=ANNO, data_popolazione=data_pop, stato=StatoPiano.RICOGNIZIONE, regole=regole
        )
        aler = EnteProprietario.objects.create(
            ambito=ambito, tipo=TipoEnte.ALER, denominazione=f"ALER dell'ambito {s.sigla}"
        )
        enti = EnteProprietario.objects.bulk_create(
            EnteProprietario(
                ambito=ambito, tipo=TipoEnte.COMUNE, denominazione=f"Comune di {c.nome}", comune=c
            )
            for c in comuni
        )
        _registro(s, piano, aler, enti, comuni)
        _dichiarazioni(piano, aler, enti, comuni)
        _utenti(s, ambito, aler, enti[0], hash_password)


def _registro(
    s: SpecAmbito,
    piano: PianoAnnuale,
    aler: EnteProprietario,
    enti: list[EnteProprietario],
    comuni: list[Comune],
) -> None:
    """The units (65% ALER, the rest the comune's own) and the 7% of them with a state in the plan."""

    def unita() -> Iterator[tuple[UnitaAbitativa, tuple[str, str, str] | None]]:
        for n in range(s.unita):
            j = (n * 7) % len(comuni)
            # 65% ALER; mixed across blocks of 100 (not n % 20, which would leave every stated unit to ALER)
            ente = aler if ((n // 100) * 37 + n) % 20 < 13 else enti[j]
            yield (
                UnitaAbitativa(
                    ente=ente,
                    comune=comuni[j],
                    id_regionale=_id_regionale(s, n),
                    codice_ente=f"C{n:07d}",
                    tipo=TipoServizio.SAS if n % 25 == 0 else TipoServizio.SAP,
                    indirizzo=f"Via Sintetica {n % 500 + 1}",
                ),
                _stato_di(n),
            )

    righe = list(unita())
    for inizio in range(0, len(righe), LOTTO):
        blocco = righe[inizio : inizio + LOTTO]
        create = UnitaAbitativa.objects.bulk_create([u for u, _ in blocco])
        StatoUnita.objects.bulk_create(
            StatoUnita(
                piano=piano,
                unita=u,
                stato=stato[0],
                programma=stato[1],
                stato_origine=stato[2],
                costo_lavori=Decimal(15_000 + (u.pk % 40) * 1_000)
                if stato[0] == Stato.CARENZA_MANUTENTIVA
                else None,
                note_lavori="Rifacimento impianti e serramenti"
                if stato[0] == Stato.CARENZA_MANUTENTIVA
                else "",
            )
            for u, (_, stato) in zip(create, blocco, strict=True)
            if stato is not None
        )


def _dichiarazioni(
    piano: PianoAnnuale, aler: EnteProprietario, enti: list[EnteProprietario], comuni: list[Comune]
) -> None:
    """Consistenze equal to the registry, answers (ALER and the capofila still compiling, 85% of the
    others sent), choices, turnover, assignments and SAT units."""
    tutti = [aler, *enti]
    conteggi: dict[tuple[int, str], int] = {}
    for ente_id, tipo, numero in (
        UnitaAbitativa.objects.filter(ente__in=tutti)
        .values_list("ente_id", "tipo")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        conteggi[(ente_id, tipo)] = numero
    ConsistenzaDichiarata.objects.bulk_create(
        ConsistenzaDichiarata(
            piano=piano,
            ente=e,
            sap=conteggi.get((e.pk, TipoServizio.SAP), 0),
            sas=conteggi.get((e.pk, TipoServizio.SAS), 0),
        )
        for e in tutti
    )
    adesso = timezone.now()
    RispostaRicognizione.objects.bulk_create(
        RispostaRicognizione(
            piano=piano,
            ente=e,
            stato=StatoRisposta.INVIATA if i > 1 and i % 7 else StatoRisposta.IN_CORSO,
            inviata_il=adesso if i > 1 and i % 7 else None,
        )
        for i, e in enumerate(tutti)
    )
    ScelteEnte.objects.bulk_create(
        ScelteEnte(piano=piano, ente=e, quota_forze_polizia=10 if i % 3 == 0 else 0, quota_polizia_locale=0)
        for i, e in enumerate(enti)
    )
    TurnoverPrevisto.objects.bulk_create(
        TurnoverPrevisto(piano=piano, ente=e, comune=c, numero=1 + i % 3)
        for i, (e, c) in enumerate(zip(enti, comuni, strict=True))
        if i % 2 == 0
    )
    AssegnazioniAnnoPrecedente.objects.bulk_create(
        AssegnazioniAnnoPrecedente(piano=piano, ente=e, totale=1 + i % 4) for i, e in enumerate(tutti)
    )
    DestinazioneSAT.objects.bulk_create(
        DestinazioneSAT(piano=piano, ente=aler, comune=c, numero=1) for c in comuni[::10]
    )


def _utenti(
    s: SpecAmbito, ambito: Ambito, aler: EnteProprietario, capofila: EnteProprietario, hash_password: str
) -> None:
    """ufficio.NN, comune.NN (the capofila's ente), aler.NN, assemblea.NN (NN: «milano» or the number)."""
    utenti = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{ruolo}.{s.sigla}", password=hash_password, first_name=ruolo.title())
        for ruolo in RUOLI_UTENTI
    )
    ruoli = {
        "ufficio": (Ruolo.UFFICIO_DI_PIANO, None),
        "comune": (Ruolo.COMUNE, capofila),
        "aler": (Ruolo.ALER, aler),
        "assemblea": (Ruolo.ASSEMBLEA, None),
    }
    Operatore.objects.bulk_create(
        Operatore(user=u, ambito=ambito, ruolo=ruoli[nome][0], ente=ruoli[nome][1])
        for u, nome in zip(utenti, RUOLI_UTENTI, strict=True)
    )


def genera(spec: list[SpecAmbito], scala: float) -> bool:
    """Generate ``spec`` unless the database already holds it; whether it generated."""
    call_command("migrate", verbosity=0, interactive=False)
    attese = sum(s.unita for s in spec)
    presenti = Ambito.objects.filter(ente_strumentale=marcatore(scala)).count()
    if presenti == len(spec) and UnitaAbitativa.objects.count() == attese:
        return False
    if Ambito.objects.exists() or UnitaAbitativa.objects.exists():
        raise SystemExit(
            f"Il database {connection.settings_dict['NAME']} contiene già altri dati (o un'altra scala): "
            "rieseguire con --rigenera per ricrearlo."
        )
    regole = RegoleAnno.objects.in_vigore_al(datetime.date(ANNO, 1, 1))
    if regole is None:
        raise SystemExit(f"Nessuna regola in vigore al 1° gennaio {ANNO}: le migrazioni le caricano.")
    hash_password = make_password(PASSWORD)  # one hash for every user: generating stays fast
    inizio = time.perf_counter()
    for i, s in enumerate(spec, 1):
        genera_ambito(s, scala, regole, hash_password)
        if i % 10 == 0 or i == len(spec):
            print(f"  generati {i}/{len(spec)} ambiti ({time.perf_counter() - inizio:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # fresh statistics: the planner sees the region as it is
    return True


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


@dataclass
class Tempo:
    tempi: list[float]
    query: int

    @property
    def minimo(self) -> float:
        return min(self.tempi)

    @property
    def mediana(self) -> float:
        return statistics.median(self.tempi)


def misura_calcolo(s: SpecAmbito, ripetizioni: int) -> tuple[Tempo, list[dict[str, str]]]:
    """``ripetizioni`` timed computations after one warm-up; the queries of the last one."""
    piano = PianoAnnuale.objects.get(ambito__nome=s.nome, anno=ANNO)
    if OPZIONI.random_page_cost is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('random_page_cost', %s, false)", [str(OPZIONI.random_page_cost)]
            )
    calcola_piano(piano)  # warm-up: connection, caches of the database and of Python
    tempi = []
    catturate: list[dict[str, str]] = []
    for _ in range(ripetizioni):
        with CaptureQueriesContext(connection) as contesto:
            inizio = time.perf_counter()
            calcola_piano(piano)
            tempi.append(time.perf_counter() - inizio)
        catturate = list(contesto.captured_queries)
    return Tempo(tempi, len(catturate)), catturate


def comando_solo(s: SpecAmbito, scala: float, ripetizioni: int) -> list[str]:
    """The child run of this script on ambito ``s`` alone, in ``<name>_solo_<n>``."""
    comando = [sys.executable, __file__, "--scala", str(scala), "--ripetizioni", str(ripetizioni)]
    comando += ["--database", f"{OPZIONI.database}_solo_{s.numero}", "--solo", str(s.numero)]
    if OPZIONI.random_page_cost is not None:
        comando += ["--random-page-cost", str(OPZIONI.random_page_cost)]
    return comando


def da_solo(s: SpecAmbito, scala: float, ripetizioni: int, *, genera_soltanto: bool = False) -> Tempo | None:
    """The same ambito in a database of its own (``<name>_solo_<n>``): a child run of this script, which
    generates it (``genera_soltanto``) or times it, so that generating never shares a process with timing."""
    comando = comando_solo(s, scala, ripetizioni) + (["--solo-genera"] if genera_soltanto else [])
    esito = subprocess.run(comando, capture_output=True, text=True, timeout=1800)
    if esito.returncode != 0:
        raise SystemExit(f"Il calcolo dell'ambito da solo è fallito:\n{esito.stdout}\n{esito.stderr}")
    if genera_soltanto:
        return None
    riga = esito.stdout.strip().splitlines()[-1]
    return Tempo(**json.loads(riga))


def solo(numero: int, scala: float, ripetizioni: int, *, genera_soltanto: bool) -> None:
    """Child run: this database holds only ambito ``numero``; print its timing as one JSON line."""
    (s,) = [s for s in regione(scala) if s.numero == numero]
    if genera_soltanto:
        genera([s], scala)
        return
    tempo, _ = misura_calcolo(s, ripetizioni)
    print(json.dumps({"tempi": tempo.tempi, "query": tempo.query}))


def spiega(catturate: list[dict[str, str]], quante: int = 3, righe_max: int = 40) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the ``quante`` slowest captured queries."""
    lente = sorted(catturate, key=lambda q: float(q["time"]), reverse=True)[:quante]
    for i, q in enumerate(lente, 1):
        sql = q["sql"]
        print(
            f"\n[{i}] {float(q['time']) * 1000:.1f} ms nel calcolo: {sql[:300]}{'…' if len(sql) > 300 else ''}"
        )
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            piano = [r[0] for r in cursor.fetchall()]
        for riga in piano[:righe_max]:
            print(f"    {riga}")
        if len(piano) > righe_max:
            print(f"    … ({len(piano) - righe_max} righe in più)")


def main() -> int:
    if OPZIONI.solo is not None and OPZIONI.pagine:  # child run: the pages alone (regione_pagine)
        s = next(x for x in regione(OPZIONI.scala) if x.numero == OPZIONI.solo)
        solo_pagine(s.nome, ANNO, f"ufficio.{s.sigla}", OPZIONI.ripetizioni)
        return 0
    if OPZIONI.solo is not None:
        solo(OPZIONI.solo, OPZIONI.scala, OPZIONI.ripetizioni, genera_soltanto=OPZIONI.solo_genera)
        return 0
    spec = regione(OPZIONI.scala)
    costo = "" if OPZIONI.random_page_cost is None else f", random_page_cost {OPZIONI.random_page_cost:g}"
    print(f"Database: {connection.settings_dict['NAME']} (scala {OPZIONI.scala:g}{costo})")
    inizio = time.perf_counter()
    if genera(spec, OPZIONI.scala):
        print(f"Regione generata in {time.perf_counter() - inizio:.1f} s.")
    else:
        print("Regione già presente: riuso.")
    print(
        f"  {Ambito.objects.count()} ambiti, {Comune.objects.count()} comuni, "
        f"{UnitaAbitativa.objects.count()} unità, {PianoAnnuale.objects.count()} piani, "
        f"{Operatore.objects.count()} utenti"
    )
    if OPZIONI.solo_genera:
        return 0

    esiti = []
    catturate_milano: list[dict[str, str]] = []
    for s in (ambito_ordinario(spec), next(x for x in spec if x.milano)):
        da_solo(s, OPZIONI.scala, OPZIONI.ripetizioni, genera_soltanto=True)
        regionale, alone = Tempo([], 0), Tempo([], 0)
        for _ in range(OPZIONI.giri):  # alternated, so that the shared machine's noise hits both alike
            tempo, catturate = misura_calcolo(s, OPZIONI.ripetizioni)
            regionale = Tempo(regionale.tempi + tempo.tempi, tempo.query)
            tempo_solo = da_solo(s, OPZIONI.scala, OPZIONI.ripetizioni)
            assert tempo_solo is not None
            alone = Tempo(alone.tempi + tempo_solo.tempi, tempo_solo.query)
        if s.milano:
            catturate_milano = catturate
        rapporto = regionale.minimo / alone.minimo
        esiti.append(rapporto <= OBIETTIVO_RAPPORTO)
        print(
            f"{s.nome} ({s.unita} unità, {s.comuni} comuni), calcola_piano, {len(regionale.tempi)} calcoli per parte:"
        )
        print(
            f"  nella regione: migliore {regionale.minimo * 1000:.0f} ms, mediana {regionale.mediana * 1000:.0f} ms, "
            f"{regionale.query} query"
        )
        print(
            f"  da solo:       migliore {alone.minimo * 1000:.0f} ms, mediana {alone.mediana * 1000:.0f} ms, "
            f"{alone.query} query"
        )
        print(
            f"  rapporto regione/da solo: {rapporto:.2f}× sul migliore, "
            f"{regionale.mediana / alone.mediana:.2f}× sulla mediana (obiettivo ≤ {OBIETTIVO_RAPPORTO}× sul "
            f"migliore) {'PASS' if esiti[-1] else 'FAIL'}",
            flush=True,
        )
    s = ambito_ordinario(spec)  # its plan page and dashboard, alone and in the region; the overview
    figlio = comando_solo(s, OPZIONI.scala, OPZIONI.ripetizioni) + ["--pagine"]
    opzioni = {"ripetizioni": OPZIONI.ripetizioni, "giri": OPZIONI.giri, "obiettivo": OBIETTIVO_RAPPORTO}
    esiti.append(confronta(s.nome, ANNO, f"ufficio.{s.sigla}", figlio, **opzioni))
    print("\nLe 3 query più lente del calcolo dell'ambito di Milano, EXPLAIN (ANALYZE, BUFFERS):")
    spiega(catturate_milano)
    if all(esiti):
        print("\nTutti gli obiettivi raggiunti.")
        return 0
    if OPZIONI.scala < 0.5:
        print("\nObiettivo mancato a scala ridotta (prova rapida: vale alla scala piena).")
        return 0
    print("\nAlcuni obiettivi NON sono raggiunti.")
    return 1


if __name__ == "__main__":
    sys.exit(main())
