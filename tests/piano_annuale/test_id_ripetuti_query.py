"""The duplicate-ID check (U02) is found by the database: it groups the normalised IDs and reads only the
units that share one, never the whole registry."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ambito.models import Comune
from patrimonio.models import EnteProprietario, UnitaAbitativa
from piano_annuale.calcolo.dati import DatiPiano, id_regionale_normalizzato
from piano_annuale.controlli import normalizza_id_regionale

# Every shape the check constraint admits: letters, digits, «.», «/», «-», leading zeros, lower case.
ID_DI_PROVA = ["0031.611-56", "00/12-a.b", "abc", "000", "0-0.7", "x/Y-z", "12.34/56-78", "0a0"]


@pytest.mark.parametrize("id_regionale", ID_DI_PROVA)
def test_the_database_normalises_an_id_as_python_does(piano_cremonese, id_regionale):
    ente = EnteProprietario.objects.get(comune__nome="Cremona")
    unita = UnitaAbitativa.objects.create(
        ente=ente, comune=Comune.objects.get(nome="Cremona"), id_regionale=id_regionale
    )
    chiave = (
        UnitaAbitativa.objects.filter(pk=unita.pk)
        .annotate(chiave=id_regionale_normalizzato())
        .values_list("chiave", flat=True)
        .get()
    )
    assert chiave == normalizza_id_regionale(id_regionale)


def test_only_the_units_sharing_an_id_are_read(piano_cremonese):
    assert DatiPiano.carica(piano_cremonese).id_regionali == []  # the Cremonese has no repeated ID
    aler = UnitaAbitativa.objects.get(id_regionale="3161156")
    cremona = EnteProprietario.objects.get(comune__nome="Cremona")
    copia = UnitaAbitativa.objects.create(
        ente=cremona, comune=Comune.objects.get(nome="Cremona"), id_regionale="0316.1156"
    )
    # The registry's order within the group: ALER before the comune (the enti's order by type).
    assert DatiPiano.carica(piano_cremonese).id_regionali == [
        (aler.pk, "3161156", aler.ente_id),
        (copia.pk, "0316.1156", cremona.pk),
    ]


def test_groups_without_a_regular_id_and_in_lower_case_are_found(piano_cremonese):
    cremona = EnteProprietario.objects.get(comune__nome="Cremona")
    comune = Comune.objects.get(nome="Cremona")
    nuove = [
        UnitaAbitativa.objects.create(ente=cremona, comune=comune, id_regionale=i, codice_ente=f"T{n}")
        for n, i in enumerate(["0-77.1", "077/1", "ab12", "AB12", "0ab-12", "XY9"])
    ]
    trovate = DatiPiano.carica(piano_cremonese).id_regionali
    # Two groups: 771 (both IDs irregular, no regular one) and AB12 (lower case, regular, leading zero);
    # «XY9» shares its form with no one. Within a group the registry's order (by ID, then code).
    assert sorted(trovate) == sorted((u.pk, u.id_regionale, cremona.pk) for u in nuove[:5])


def test_the_registry_is_not_read_row_by_row(piano_cremonese):
    with CaptureQueriesContext(connection) as contesto:
        DatiPiano.carica(piano_cremonese)
    (lettura,) = [q["sql"] for q in contesto.captured_queries if "HAVING" in q["sql"]]
    assert "GROUP BY" in lettura and "COUNT(" in lettura
    # Nothing else selects the units' IDs: the only other reads of the registry are grouped counts.
    senza_raggruppamento = [
        q["sql"]
        for q in contesto.captured_queries
        if 'FROM "patrimonio_unitaabitativa"' in q["sql"]
        and "GROUP BY" not in q["sql"]
        and "DISTINCT" not in q["sql"]
    ]
    assert senza_raggruppamento == []
