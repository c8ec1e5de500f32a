"""Benchmark (not a test): the API's bulk unit list against the spreadsheet upload, and the computed
plan's endpoint with and without a matching ETag.

    .venv/bin/python benchmarks/api_bulk.py                    # 20,000 units, configured DB
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poa_bench_api .venv/bin/python benchmarks/api_bulk.py
    .venv/bin/python benchmarks/api_bulk.py --smoke            # CI: 2,000 units, one round

On the same data, in one run, alternating the two paths ``--giri`` times (best time kept):

- the spreadsheet path: an xlsx of the template's columns read, validated, previewed and committed
  (``analizza`` + ``anteprima`` + ``registra``, what the upload's confirmation does);
- the API: ``PUT /api/v1/piani/<p>/enti/<e>/unita/`` with the same rows as JSON and a personal token,
  through the whole Django stack in process (middleware, authentication, throttling, JSON parsing),
  new rows and then the same list with 5% of the states changed; the dry run of the latter too.

Then ``GET …/calcolo/`` of the benchmark ambito's plan (the units just written): the first request
(computed), the next (from the cache) and with ``If-None-Match`` of the ETag (304, no body).

Target: the API's bulk write ≤ 1.2× the spreadsheet path, for new rows and for the 5% re-upload. The
benchmark's own ambito is created on start and removed at the end. Exit status 0 when the targets
are met (always with ``--smoke``, which judges nothing).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django
import openpyxl

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from basi_di_dati import crea_database_postgres  # noqa: E402  (benchmarks/ is the script's folder)

crea_database_postgres()
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from ambito.models import Ambito, Comune  # noqa: E402
from api.credenziali import crea_token  # noqa: E402
from api.models import TokenPersonale  # noqa: E402
from patrimonio.importazione import analizza, anteprima, registra  # noqa: E402
from patrimonio.models import EnteProprietario, Operatore, Ruolo, TipoEnte, UnitaAbitativa  # noqa: E402
from patrimonio.resources import COLONNE_UNITA  # noqa: E402
from piano_annuale.calcolo.cache import svuota_cache  # noqa: E402
from piano_annuale.models import (  # noqa: E402
    Caricamento,
    Modifica,
    PianoAnnuale,
    RispostaRicognizione,
    StatoPiano,
    StatoUnita,
)

NOME_AMBITO = "Ambito benchmark API"
UTENTE = "benchmark.api"
PREFISSO_ISTAT = "096"
COMUNI = 60
OBIETTIVO = 1.2
STATI = ["carenza", "ristrutturazione", "nuova", "libera"]


def argomenti() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--unita", type=int, default=20_000, help="unità dell'elenco (predefinito 20.000)")
    parser.add_argument("--giri", type=int, default=3, help="giri alternati per percorso (il migliore conta)")
    parser.add_argument("--richieste", type=int, default=20, help="richieste del piano calcolato per misura")
    parser.add_argument("--smoke", action="store_true", help="2.000 unità, un giro, nessun giudizio")
    return parser.parse_args()


# ---- Scene ---------------------------------------------------------------------------------------


class Scena:
    def __init__(self) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        pulisci()
        self.ambito = Ambito.objects.create(nome=NOME_AMBITO)
        self.comuni = Comune.objects.bulk_create(
            Comune(
                codice_istat=f"{PREFISSO_ISTAT}{n:03d}",
                nome=f"Comune API {n}",
                provincia="ZZ",
                ambito=self.ambito,
            )
            for n in range(1, COMUNI + 1)
        )
        self.piano = PianoAnnuale.objects.create(
            ambito=self.ambito, anno=2025, data_popolazione="2024-01-01", stato=StatoPiano.RICOGNIZIONE
        )
        self.ente = EnteProprietario.objects.create(
            ambito=self.ambito, tipo=TipoEnte.ALER, denominazione="ALER API"
        )
        utente = get_user_model().objects.create_user(UTENTE)
        Operatore.objects.create(user=utente, ambito=self.ambito, ruolo=Ruolo.ALER, ente=self.ente)
        self.utente = utente
        self.segreto = crea_token(utente=utente, nome="Benchmark")[1]
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {self.segreto}")
        self.url = f"/api/v1/piani/{self.piano.pk}/enti/{self.ente.pk}/unita/"

    def svuota(self) -> None:
        """Remove the ente's units between runs (raw deletes: setup, not what is measured)."""
        with transaction.atomic():
            StatoUnita.objects.filter(piano=self.piano)._raw_delete(connection.alias)
            UnitaAbitativa.objects.filter(ente=self.ente)._raw_delete(connection.alias)
            RispostaRicognizione.objects.filter(piano=self.piano).delete()
            Modifica.objects.filter(piano_id=self.piano.pk)._raw_delete(connection.alias)


def pulisci() -> None:
    ambito = Ambito.objects.filter(nome=NOME_AMBITO).first()
    with transaction.atomic():
        if ambito is not None:
            StatoUnita.objects.filter(piano__ambito=ambito)._raw_delete(connection.alias)
            UnitaAbitativa.objects.filter(ente__ambito=ambito)._raw_delete(connection.alias)
            piani = list(PianoAnnuale.objects.filter(ambito=ambito).values_list("pk", flat=True))
            Modifica.objects.filter(piano_id__in=piani)._raw_delete(connection.alias)
            Caricamento.objects.filter(piano__ambito=ambito).delete()
            RispostaRicognizione.objects.filter(piano__ambito=ambito).delete()
            Operatore.objects.filter(ambito=ambito).delete()
            PianoAnnuale.objects.filter(ambito=ambito).delete()
            EnteProprietario.objects.filter(ambito=ambito).delete()
            Comune.objects.filter(ambito=ambito).delete()
            ambito.delete()
        utente = get_user_model().objects.filter(username=UTENTE).first()
        if utente is not None:
            Modifica.objects.filter(utente=utente)._raw_delete(connection.alias)
            TokenPersonale.objects.filter(user=utente).delete()
            utente.delete()


# ---- The same data, both ways ------------------------------------------------------------------------


def righe(scena: Scena, quante: int, *, cambiate_ogni: int = 0) -> list[dict[str, Any]]:
    elenco = []
    for n in range(quante):
        comune = scena.comuni[n % len(scena.comuni)]
        stato = STATI[n % 4]
        if cambiate_ogni and n % cambiate_ogni == 0:
            stato = STATI[(n + 1) % 4]
        elenco.append(
            {
                "id_regionale": f"A{n:07d}",
                "codice_ente": f"AP{n:07d}",
                "comune": comune.nome,
                "codice_istat": comune.codice_istat,
                "tipo": "SAS" if n % 25 == 0 else "SAP",
                "indirizzo": f"Via dell'API {n}",
                "stato": stato,
                "programma": f"LOTTO {n % 9}.{n % 5}" if stato == "ristrutturazione" else "",
            }
        )
    return elenco


CHIAVI = ["id_regionale", "codice_ente", "comune", "codice_istat", "tipo", "indirizzo", "stato", "programma"]


def xlsx(elenco: list[dict[str, Any]]) -> bytes:
    intestazioni = {c.chiave: c.intestazione for c in COLONNE_UNITA}
    cartella = openpyxl.Workbook(write_only=True)
    foglio = cartella.create_sheet("Unità abitative")
    foglio.append([intestazioni[k] for k in CHIAVI])
    for riga in elenco:
        foglio.append([riga[k] for k in CHIAVI])
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()


def foglio(scena: Scena, contenuto: bytes) -> None:
    analisi = analizza(contenuto=contenuto, nome_file="aler.xlsx", piano=scena.piano, ente=scena.ente)
    if analisi.errori:
        raise SystemExit(f"Il file ha errori: {analisi.errori[:3]}")
    anteprima(analisi)
    registra(analisi=analisi, utente=scena.utente)


def api(scena: Scena, corpo: bytes, *, prova: bool = False) -> dict[str, Any]:
    risposta = scena.client.put(
        scena.url + ("?dry_run=1" if prova else ""), corpo, content_type="application/json"
    )
    if risposta.status_code != 200:
        raise SystemExit(f"L'API ha risposto {risposta.status_code}: {risposta.content[:500]!r}")
    return risposta.json()


def cronometra(funzione: Callable[[], Any]) -> float:
    inizio = time.perf_counter()
    funzione()
    return time.perf_counter() - inizio


def verifica(scena: Scena, quante: int) -> None:
    if UnitaAbitativa.objects.filter(ente=scena.ente).count() != quante:
        raise SystemExit("Le unità registrate non sono quelle dell'elenco.")


# ---- The computed plan ---------------------------------------------------------------------------------


def piano_calcolato(scena: Scena, richieste: int) -> None:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("benchmark.api.admin", "", None))
    url = f"/api/v1/piani/{scena.piano.pk}/calcolo/"
    svuota_cache()
    primo = cronometra(lambda: client.get(url))
    risposta = client.get(url)
    etag = risposta["ETag"]
    dimensione = len(risposta.content)
    senza = [cronometra(lambda: client.get(url)) for _ in range(richieste)]
    con = [cronometra(lambda: client.get(url, HTTP_IF_NONE_MATCH=etag)) for _ in range(richieste)]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    print(f"\nPiano calcolato ({dimensione / 1024:.0f} kB di JSON), mediana di {richieste} richieste:")
    print(f"  prima richiesta (calcolo)              {primo * 1000:8.1f} ms")
    print(f"  senza ETag (dalla cache)               {statistics.median(senza) * 1000:8.1f} ms")
    print(f"  con If-None-Match dell'ETag (304)      {statistics.median(con) * 1000:8.1f} ms")
    get_user_model().objects.filter(username="benchmark.api.admin").delete()


def main() -> int:
    opzioni = argomenti()
    quante = 2_000 if opzioni.smoke else opzioni.unita
    giri = 1 if opzioni.smoke else opzioni.giri
    scena = Scena()
    try:
        nuove, cambiate = righe(scena, quante), righe(scena, quante, cambiate_ogni=20)
        file_nuove, file_cambiate = xlsx(nuove), xlsx(cambiate)
        json_nuove = json.dumps({"unita": nuove}).encode()
        json_cambiate = json.dumps({"unita": cambiate}).encode()
        tempi: dict[str, list[float]] = {k: [] for k in ("foglio", "api", "foglio_5", "api_5", "prova_5")}
        # Both paths once on ten rows, not timed: imports, the URLconf, the reader's child process.
        analizza(contenuto=xlsx(nuove[:10]), nome_file="prova.xlsx", piano=scena.piano, ente=scena.ente)
        api(scena, json.dumps({"unita": nuove[:10]}).encode(), prova=True)
        for _ in range(giri):
            for via in ("foglio", "api"):
                scena.svuota()
                if via == "foglio":
                    tempi["foglio"].append(cronometra(lambda: foglio(scena, file_nuove)))
                    verifica(scena, quante)
                    tempi["foglio_5"].append(cronometra(lambda: foglio(scena, file_cambiate)))
                else:
                    tempi["api"].append(cronometra(lambda: api(scena, json_nuove)))
                    verifica(scena, quante)
                    tempi["prova_5"].append(cronometra(lambda: api(scena, json_cambiate, prova=True)))
                    esito = api(scena, json_cambiate)
                    scena.svuota()
                    api(scena, json_nuove)
                    tempi["api_5"].append(cronometra(lambda: api(scena, json_cambiate)))
                    if esito["modificate"] != len(range(0, quante, 20)):
                        raise SystemExit(
                            f"Modificate {esito['modificate']}, attese {len(range(0, quante, 20))}."
                        )
        migliore = {k: min(v) for k, v in tempi.items()}
        db = connection.vendor
        print(f"\nElenco completo di {quante:_} unità ({db}), il migliore di {giri} giri:".replace("_", "."))
        righe_stampa = [
            ("foglio di calcolo, unità nuove", "foglio"),
            ("API PUT, unità nuove", "api"),
            ("foglio di calcolo, 5% degli stati cambiati", "foglio_5"),
            ("API PUT, 5% degli stati cambiati", "api_5"),
            ("API PUT ?dry_run=1, 5% degli stati cambiati", "prova_5"),
        ]
        for descrizione, chiave in righe_stampa:
            print(f"  {descrizione:<46} {migliore[chiave]:8.2f} s")
        rapporti = {
            "nuove": migliore["api"] / migliore["foglio"],
            "5%": migliore["api_5"] / migliore["foglio_5"],
        }
        esito_ok = True
        for nome, rapporto in rapporti.items():
            ok = rapporto <= OBIETTIVO
            esito_ok &= ok
            verdetto = "" if opzioni.smoke else ("  OK" if ok else "  NON RAGGIUNTO")
            print(f"  API / foglio ({nome}): {rapporto:.2f}× (obiettivo ≤ {OBIETTIVO}×){verdetto}")
        piano_calcolato(scena, 5 if opzioni.smoke else opzioni.richieste)
    finally:
        pulisci()
    return 0 if opzioni.smoke or esito_ok else 1


if __name__ == "__main__":
    sys.exit(main())
