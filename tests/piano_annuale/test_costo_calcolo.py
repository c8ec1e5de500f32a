"""The computation performs a fixed number of SQL queries, whatever the size of the ambito."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import StatoUnita
from tests.builders import crea_ambito


def conta_query(piano) -> int:
    with CaptureQueriesContext(connection) as contesto:
        calcola_piano(piano)
    return len(contesto.captured_queries)


def test_plan_costs_the_same_queries_for_the_cremonese_and_an_ambito_ten_times_larger(piano_cremonese):
    cremonese = conta_query(piano_cremonese)
    grande = crea_ambito(nome="Ambito dieci volte più grande", comuni=480, prefisso_istat="097")
    assert (
        StatoUnita.objects.filter(piano=grande).count()
        >= 10 * StatoUnita.objects.filter(piano=piano_cremonese).count()
    )
    assert grande.ambito.comuni.count() == 10 * piano_cremonese.ambito.comuni.count()
    assert conta_query(grande) == cremonese
    # 16 for parte prima, the annexes and the checks; 12 for parte seconda and terza (misure); 1 for the
    # rule set (the Cremonese 2025 plan's rules state no cost of works, so none for section b's costs).
    assert cremonese == 29


def test_synthetic_ambito_is_computed_as_built(db):
    piano = crea_ambito(nome="Ambito piccolo", comuni=20, prefisso_istat="096")
    calcolo = calcola_piano(piano)
    t = calcolo.g.totale
    # Per comune: 1 + 1 turnover + 1 renovated + 1 carenza of its own; ALER 5 free, 2 renovated, 3 carenza.
    assert (t.libere, t.turnover, t.ristrutturazione, t.carenza, t.totale) == (120, 20, 60, 80, 280)
    assert calcolo.ib.totale_unita == 20  # 5% of 4 units per comune, rounded up
    assert calcolo.j.totale == 2
    assert calcolo.anomalie == ()
