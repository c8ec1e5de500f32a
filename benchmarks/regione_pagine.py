"""The pages of ``benchmarks/regione.py``: one ambito's plan page and ricognizione dashboard at regional
scale against the same ambito alone (target ≤ 1.5×), and the regional overview's time and queries.

Imported by ``regione.py`` once Django is set up; it never imports that script (run as ``__main__``).
Each page is fetched with Django's test ``Client`` as the ambito's ufficio di piano (``ufficio.NN``):

- *freddo*: the cache emptied before each request, so the plan is computed and the page rendered;
- *caldo*: after one request that fills the cache, as a reader usually finds it.

The same ambito alone is timed by a child run of ``regione.py`` (``--solo N --pagine``) in the database
``<name>_solo_<N>`` that ``regione.py`` generates for ``calcola_piano``'s comparison; the rounds
alternate, and the ratio is taken on the best times, as there.

The regional overview (``/regione/``) is fetched as a platform administrator, with the cache emptied
(no summary of any plan kept: every figure from the declarations) and warm; ``panoramica_regionale()``
is timed alone too. Its queries do not depend on the number of ambiti: the child run prints them for
one ambito, beside the region's.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from piano_annuale.calcolo.cache import svuota_cache
from piano_annuale.models import PianoAnnuale
from piano_annuale.panoramica import panoramica_regionale

AMMINISTRATORE = "amministratore.benchmark"
SERIE = ("piano_freddo", "piano_caldo", "cruscotto_freddo", "cruscotto_caldo")
SERIE_PANORAMICA = ("panoramica_fredda", "panoramica_calda", "panoramica_funzione")


def _misura(richiesta: Callable[[], Any], ripetizioni: int, *, fredda: bool) -> dict[str, Any]:
    """``ripetizioni`` timed calls after one warm-up; the queries of the last one."""
    richiesta()
    tempi, query = [], 0
    for _ in range(ripetizioni):
        if fredda:
            svuota_cache()
        with CaptureQueriesContext(connection) as catturate:
            inizio = time.perf_counter()
            richiesta()
            tempi.append(time.perf_counter() - inizio)
        query = len(catturate.captured_queries)
    return {"tempi": tempi, "query": query}


def _get(client: Client, indirizzo: str) -> Callable[[], None]:
    def richiesta() -> None:
        risposta = client.get(indirizzo)
        if risposta.status_code != 200:
            raise SystemExit(f"{indirizzo}: risposta {risposta.status_code}, attesa 200.")

    return richiesta


def misura_pagine(nome_ambito: str, anno: int, username: str, ripetizioni: int) -> dict[str, Any]:
    """The four series of ``SERIE`` for the ambito's plan of ``anno``, and the overview's."""
    piano = PianoAnnuale.objects.get(ambito__nome=nome_ambito, anno=anno)
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    pagina, cruscotto = f"/piani/{piano.pk}/", f"/piani/{piano.pk}/ricognizione/"
    esiti = {
        "piano_freddo": _misura(_get(client, pagina), ripetizioni, fredda=True),
        "piano_caldo": _misura(_get(client, pagina), ripetizioni, fredda=False),
        "cruscotto_freddo": _misura(_get(client, cruscotto), ripetizioni, fredda=True),
        "cruscotto_caldo": _misura(_get(client, cruscotto), ripetizioni, fredda=False),
    }
    return esiti | misura_panoramica(ripetizioni)


def misura_panoramica(ripetizioni: int) -> dict[str, Any]:
    amministratore, _ = get_user_model().objects.get_or_create(
        username=AMMINISTRATORE, defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(amministratore)
    return {
        "panoramica_fredda": _misura(_get(client, "/regione/"), ripetizioni, fredda=True),
        "panoramica_calda": _misura(_get(client, "/regione/"), ripetizioni, fredda=False),
        "panoramica_funzione": _misura(panoramica_regionale, ripetizioni, fredda=True),
    }


def solo_pagine(nome_ambito: str, anno: int, username: str, ripetizioni: int) -> None:
    """Child run (``--solo N --pagine``): the series of this database, as one JSON line."""
    print(json.dumps(misura_pagine(nome_ambito, anno, username, ripetizioni)))


def _figlio(comando: list[str]) -> dict[str, Any]:
    esito = subprocess.run(comando, capture_output=True, text=True, timeout=1800)
    if esito.returncode != 0:
        raise SystemExit(
            f"Le pagine dell'ambito da solo non sono state misurate:\n{esito.stdout}\n{esito.stderr}"
        )
    risultato: dict[str, Any] = json.loads(esito.stdout.strip().splitlines()[-1])
    return risultato


def _ms(tempi: list[float]) -> str:
    return f"migliore {min(tempi) * 1000:.0f} ms, mediana {statistics.median(tempi) * 1000:.0f} ms"


def confronta(
    nome_ambito: str,
    anno: int,
    username: str,
    comando_figlio: list[str],
    *,
    ripetizioni: int,
    giri: int,
    obiettivo: float,
) -> bool:
    """Time the pages in the region and alone (``comando_figlio``), in ``giri`` alternated rounds;
    print every series and the ratios; whether each page met ``obiettivo`` on the best times."""
    regione: dict[str, dict[str, Any]] = {}
    alone: dict[str, dict[str, Any]] = {}
    for _ in range(giri):
        for destinazione, misurate in (
            (regione, misura_pagine(nome_ambito, anno, username, ripetizioni)),
            (alone, _figlio(comando_figlio)),
        ):
            for nome, serie in misurate.items():
                attuale = destinazione.setdefault(nome, {"tempi": [], "query": 0})
                attuale["tempi"] += serie["tempi"]
                attuale["query"] = serie["query"]
    print(f"{nome_ambito}, pagine ({username}, Client di Django), {giri * ripetizioni} richieste per serie:")
    esiti = []
    for nome in SERIE:
        r, a = regione[nome], alone[nome]
        rapporto = min(r["tempi"]) / min(a["tempi"])
        esiti.append(rapporto <= obiettivo)
        print(f"  {nome}: nella regione {_ms(r['tempi'])}, {r['query']} query")
        print(f"  {' ' * len(nome)}  da solo       {_ms(a['tempi'])}, {a['query']} query")
        print(
            f"  {' ' * len(nome)}  rapporto {rapporto:.2f}× sul migliore (obiettivo ≤ {obiettivo}×) "
            f"{'PASS' if esiti[-1] else 'FAIL'}",
            flush=True,
        )
    ambiti = len(panoramica_regionale())
    print(f"Panoramica regionale ({ambiti} ambiti nella regione, 1 da solo):")
    for nome in SERIE_PANORAMICA:
        r, a = regione[nome], alone[nome]
        print(
            f"  {nome}: nella regione {_ms(r['tempi'])}, {r['query']} query; da solo {_ms(a['tempi'])}, {a['query']} query"
        )
    uguali = all(regione[n]["query"] == alone[n]["query"] for n in SERIE_PANORAMICA)
    print(f"  query uguali con {ambiti} ambiti e con 1: {'PASS' if uguali else 'FAIL'}", flush=True)
    return all(esiti) and uguali
