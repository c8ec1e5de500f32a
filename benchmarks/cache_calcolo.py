"""Benchmark (not a test): the computed plan's cache (issue 17) — what a hit saves, and which format.

    .venv/bin/python benchmarks/cache_calcolo.py [--runs 20] [--redis redis://127.0.0.1:6379/15]

For the Cremonese 2025 plan it prints, best of ``--runs``:

- ``calcola_piano`` (a miss) against ``piano_calcolato`` on a hit (locmem, and Redis when reachable);
- the two ways of storing the entry: pickle (Django's cache pickles the ``PianoCalcolato``) against its
  JSON text rebuilt with ``piano_da_json`` — write + read time and size; the cache uses the faster;
- the plan page, piano.json, the dashboard and an ente's workspace through Django's test client,
  cold (cache emptied) against warm, with their queries;
- 20 threads missing together: how many computations.

Uses the configured database (``DATABASE_URL``, SQLite in var/ by default; a PostgreSQL database that
does not exist yet is created and migrated), loads fixtures/cremonese_2025.json when the plan is
missing, and creates the user ``benchmark.cache``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
from basi_di_dati import crea_database_postgres  # noqa: E402  (benchmarks/ is the script's folder)

crea_database_postgres()
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.cache.backends.redis import RedisCache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from patrimonio.models import EnteProprietario  # noqa: E402
from piano_annuale.calcolo import cache as cache_calcolo  # noqa: E402
from piano_annuale.calcolo import calcola_piano, piano_calcolato, piano_da_json  # noqa: E402
from piano_annuale.models import PianoAnnuale  # noqa: E402
from piano_annuale.services.carica import carica_piano  # noqa: E402

AMBITO = "Ambito Sociale Territoriale Cremonese"


def migliore(funzione: Callable[[], Any], volte: int) -> float:
    """The best time of ``volte`` runs, in milliseconds."""
    tempi = []
    for _ in range(volte):
        inizio = time.perf_counter()
        funzione()
        tempi.append((time.perf_counter() - inizio) * 1000)
    return min(tempi)


def piano_di_prova() -> PianoAnnuale:
    call_command("migrate", verbosity=0, interactive=False)  # a new database (created above) is empty
    piano = PianoAnnuale.objects.filter(ambito__nome=AMBITO, anno=2025).first()
    if piano is None:
        carica_piano(percorso=settings.BASE_DIR / "fixtures" / "cremonese_2025.json")
        piano = PianoAnnuale.objects.get(ambito__nome=AMBITO, anno=2025)
    return piano


def formati(piano: PianoAnnuale, volte: int) -> str:
    """Pickle against JSON: write + read of the entry, and its size. Returns the faster's name."""
    calcolo = calcola_piano(piano)
    byte = pickle.dumps(calcolo, protocol=pickle.HIGHEST_PROTOCOL)
    testo = calcolo.as_json()
    assert pickle.loads(byte) == calcolo == piano_da_json(testo)
    p_scrivi = migliore(lambda: pickle.dumps(calcolo, protocol=pickle.HIGHEST_PROTOCOL), volte)
    p_leggi = migliore(lambda: pickle.loads(byte), volte)
    j_scrivi = migliore(lambda: calcolo.as_json(), volte)
    j_leggi = migliore(lambda: piano_da_json(testo), volte)
    # Django pickles what it stores: the JSON text is pickled too, a cheap string copy.
    print("Formato dell'elemento in cache (migliore di", volte, "prove):")
    print(f"  pickle: scrittura {p_scrivi:7.2f} ms, lettura {p_leggi:7.2f} ms, {len(byte) / 1024:7.1f} KiB")
    print(f"  JSON:   scrittura {j_scrivi:7.2f} ms, lettura {j_leggi:7.2f} ms, {len(testo) / 1024:7.1f} KiB")
    rapporto = (j_scrivi + j_leggi) / (p_scrivi + p_leggi)
    print(f"  JSON / pickle (scrittura + lettura): {rapporto:.1f}×  — in uso: {cache_calcolo.FORMATO}")
    return "pickle" if rapporto >= 1 else "json"


def colpi(piano: PianoAnnuale, volte: int, redis_url: str) -> None:
    """A miss (the computation) against a hit: in locmem and in Redis, each without and with the
    process's own memory in front (``MemoriaLocale``)."""
    mancato = migliore(lambda: calcola_piano(piano), volte)
    print("Calcolo del piano:")
    print(f"  mancato (calcola_piano):         {mancato:8.2f} ms")

    def colpito(nome: str) -> None:
        memoria = cache_calcolo.memoria_locale
        for etichetta, locale in (("", cache_calcolo.MemoriaLocale(0)), (" + memoria", memoria)):
            cache_calcolo.memoria_locale = locale
            try:
                cache_calcolo.svuota_cache()
                piano_calcolato(piano)
                tempo = migliore(lambda: piano_calcolato(piano), volte)
            finally:
                cache_calcolo.memoria_locale = memoria
            print(f"  colpito, {nome + etichetta:<24} {tempo:8.2f} ms  ({mancato / tempo:.0f}× più veloce)")

    colpito(caches["default"].__class__.__name__)
    try:
        redis = RedisCache(redis_url, {"KEY_PREFIX": "poa-benchmark"})
        redis.set("prova", 1)
    except Exception as errore:  # Redis not running: the figure is skipped, said so
        print(f"  Redis ({redis_url}) non raggiungibile: {errore.__class__.__name__}")
        return
    originale = cache_calcolo.cache
    cache_calcolo.cache = redis  # the same API
    try:
        colpito("RedisCache")
    finally:
        cache_calcolo.cache = originale
        redis.clear()


def query_di(funzione: Callable[[], Any]) -> int:
    """How many queries ``funzione`` runs (a wrapper: a request's start empties Django's query log)."""
    contate = 0

    def conta(esegui: Callable[..., Any], *argomenti: Any) -> Any:
        nonlocal contate
        contate += 1
        return esegui(*argomenti)

    with connection.execute_wrapper(conta):
        funzione()
    return contate


def pagine(piano: PianoAnnuale, volte: int) -> None:
    """Each page cold (cache emptied before each run) and warm, with its queries."""
    utente, _ = get_user_model().objects.get_or_create(username="benchmark.cache")
    if not utente.is_superuser:
        utente.is_superuser = utente.is_staff = True
        utente.save()
    client = Client()
    client.force_login(utente)
    ente = EnteProprietario.objects.get(ambito=piano.ambito, comune__nome="Cremona")
    indirizzi = {
        "pagina del piano": reverse("piano_annuale:piano_detail", args=[piano.pk]),
        "piano.json": reverse("piano_annuale:piano_json", args=[piano.pk]),
        "cruscotto": reverse("piano_annuale:cruscotto", args=[piano.pk]),
        "area dell'ente": reverse("patrimonio:area_ente", args=[piano.pk, ente.pk]),
    }
    print("Pagine (client di test, migliore di", volte, "prove): fredda → calda")
    for nome, url in indirizzi.items():

        def fredda(url: str = url) -> None:
            cache_calcolo.svuota_cache()
            assert client.get(url).status_code == 200

        def calda(url: str = url) -> None:
            assert client.get(url).status_code == 200

        t_fredda = migliore(fredda, volte)
        q_fredda = query_di(fredda)
        t_calda = migliore(calda, volte)
        q_calda = query_di(calda)
        print(
            f"  {nome:<17} {t_fredda:7.1f} ms, {q_fredda:3d} query → {t_calda:7.1f} ms, "
            f"{q_calda:3d} query  ({t_fredda / t_calda:.1f}×)"
        )


def concorrenti(piano: PianoAnnuale, fili: int = 20) -> None:
    """``fili`` threads miss together: how many computations."""
    cache_calcolo.svuota_cache()
    chiamate: list[int] = []
    vero = cache_calcolo.calcola_piano

    def contato(p: PianoAnnuale) -> Any:
        chiamate.append(p.pk)
        return vero(p)

    cache_calcolo.calcola_piano = contato  # type: ignore[assignment]
    barriera = threading.Barrier(fili)

    def richiesta() -> None:
        barriera.wait()
        piano_calcolato(piano)
        connection.close()

    try:
        inizio = time.perf_counter()
        gruppo = [threading.Thread(target=richiesta) for _ in range(fili)]
        for filo in gruppo:
            filo.start()
        for filo in gruppo:
            filo.join()
        durata = (time.perf_counter() - inizio) * 1000
    finally:
        cache_calcolo.calcola_piano = vero
    print(f"{fili} richieste insieme su una cache vuota: {len(chiamate)} calcolo/i, {durata:.0f} ms in tutto")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--redis", default=os.environ.get("BENCHMARK_REDIS_URL", "redis://127.0.0.1:6379/15"))
    argomenti = parser.parse_args()
    piano = piano_di_prova()
    print(f"Piano: {piano} — database {connection.vendor}, cache {caches['default'].__class__.__name__}")
    migliore_formato = formati(piano, argomenti.runs)
    colpi(piano, argomenti.runs, argomenti.redis)
    pagine(piano, max(3, argomenti.runs // 4))
    concorrenti(piano)
    if migliore_formato != cache_calcolo.FORMATO:
        print(
            f"ATTENZIONE: il formato più veloce è {migliore_formato}, la cache usa {cache_calcolo.FORMATO}."
        )


if __name__ == "__main__":
    main()
