"""Integrity across ambiti (issue 13): the database refuses, from either side, a comune in another
ambito's aggregazione, an ente of a comune in another ambito, a unit in a comune of another ambito
than its ente's; the models' validation says so in Italian first. The tests pass on SQLite and
PostgreSQL (``ambito/integrita.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from ambito.integrita import (
    MESSAGGIO_AGGREGAZIONE,
    MESSAGGIO_ENTE,
    MESSAGGIO_UNITA,
    crea_trigger,
    elimina_trigger,
    nomi_trigger,
    violazioni,
)
from ambito.models import AggregazioneTerritoriale, Ambito, Comune
from patrimonio.models import EnteProprietario, TipoEnte, UnitaAbitativa
from tests.factories import (
    AggregazioneTerritorialeFactory,
    AmbitoFactory,
    ComuneFactory,
    EnteProprietarioFactory,
    UnitaAbitativaFactory,
)

pytestmark = pytest.mark.django_db


@contextmanager
def rifiutato(messaggio: str) -> Iterator[None]:
    """The write inside is refused by the database with ``messaggio``; nothing of it is kept."""
    with pytest.raises(IntegrityError) as errore, transaction.atomic():
        yield
    assert messaggio in str(errore.value)


@pytest.fixture
def due_ambiti() -> tuple[Ambito, Ambito]:
    return AmbitoFactory.create(nome="Ambito Uno"), AmbitoFactory.create(nome="Ambito Due")


def test_every_integrity_trigger_exists_in_the_database() -> None:
    with connection.cursor() as cursore:
        if connection.vendor == "sqlite":
            cursore.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'integrita_%'"
            )
        else:
            cursore.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'integrita_%'")
        presenti = {riga[0] for riga in cursore.fetchall()}
    assert presenti == nomi_trigger(connection.vendor)
    assert len(presenti) == (10 if connection.vendor == "sqlite" else 7)


def test_a_comune_cannot_join_an_aggregazione_of_another_ambito(due_ambiti: tuple[Ambito, Ambito]) -> None:
    uno, due = due_ambiti
    aggregazione_due = AggregazioneTerritorialeFactory.create(ambito=due, numero=1, denominazione="Nord")
    with rifiutato(MESSAGGIO_AGGREGAZIONE):
        ComuneFactory.create(ambito=uno, aggregazione=aggregazione_due)
    comune = ComuneFactory.create(ambito=uno, nome="Comune Uno")
    with rifiutato(MESSAGGIO_AGGREGAZIONE):
        Comune.objects.filter(pk=comune.pk).update(aggregazione=aggregazione_due)
    # Nor may it keep its aggregazione while moving to another ambito without one.
    aggregazione_uno = AggregazioneTerritorialeFactory.create(ambito=uno, numero=1)
    comune.aggregazione = aggregazione_uno
    comune.save()
    with rifiutato(MESSAGGIO_AGGREGAZIONE):
        Comune.objects.filter(pk=comune.pk).update(ambito=due)
    with rifiutato(MESSAGGIO_AGGREGAZIONE):
        Comune.objects.filter(pk=comune.pk).update(ambito=None)
    # An aggregazione with comuni cannot move to another ambito either.
    with rifiutato(MESSAGGIO_AGGREGAZIONE):
        AggregazioneTerritoriale.objects.filter(pk=aggregazione_uno.pk).update(ambito=due)
    comune.refresh_from_db()
    assert (comune.ambito_id, comune.aggregazione_id) == (uno.pk, aggregazione_uno.pk)
    # Both together, in the right order, are allowed: the comune leaves its aggregazione first.
    Comune.objects.filter(pk=comune.pk).update(aggregazione=None, ambito=due)
    Comune.objects.filter(pk=comune.pk).update(aggregazione=aggregazione_due)


def test_the_model_says_it_in_italian(due_ambiti: tuple[Ambito, Ambito]) -> None:
    uno, due = due_ambiti
    comune = ComuneFactory.create(ambito=uno, nome="Pizzighettone")
    comune.aggregazione = AggregazioneTerritorialeFactory.create(ambito=due, numero=2, denominazione="Sud")
    with pytest.raises(ValidationError) as errore:
        comune.full_clean()
    assert errore.value.messages == [
        "«AT 2 – Sud» è un'aggregazione dell'ambito «Ambito Due»: il comune di Pizzighettone può stare solo "
        "in un'aggregazione del proprio ambito."
    ]


def test_an_ente_of_a_comune_lies_in_the_comune_s_ambito(due_ambiti: tuple[Ambito, Ambito]) -> None:
    uno, due = due_ambiti
    comune = ComuneFactory.create(ambito=uno, nome="Soncino")
    with rifiutato(MESSAGGIO_ENTE):
        EnteProprietario.objects.create(ambito=due, tipo=TipoEnte.COMUNE, comune=comune, denominazione="X")
    senza_ambito = ComuneFactory.create(ambito=None, nome="Isolato")
    with rifiutato(MESSAGGIO_ENTE):
        EnteProprietario.objects.create(
            ambito=due, tipo=TipoEnte.COMUNE, comune=senza_ambito, denominazione="Y"
        )
    ente = EnteProprietario.objects.create(
        ambito=uno, tipo=TipoEnte.COMUNE, comune=comune, denominazione="Comune di Soncino"
    )
    with rifiutato(MESSAGGIO_ENTE):
        EnteProprietario.objects.filter(pk=ente.pk).update(ambito=due)
    with rifiutato(MESSAGGIO_ENTE):
        Comune.objects.filter(pk=comune.pk).update(ambito=due)  # the comune cannot leave its ente behind
    with rifiutato(MESSAGGIO_ENTE):
        EnteProprietario.objects.filter(pk=ente.pk).update(comune=ComuneFactory.create(ambito=due))
    # ALER and operatori have no comune: any ambito.
    EnteProprietarioFactory.create(ambito=due, aler=True, denominazione="ALER Brescia-Cremona-Mantova")

    ente.ambito = due
    with pytest.raises(ValidationError) as errore:
        ente.full_clean()
    assert errore.value.messages == [
        "Il comune di Soncino è nell'ambito «Ambito Uno»: il suo ente deve appartenere allo stesso ambito."
    ]


def test_a_unit_lies_in_a_comune_of_its_ente_s_ambito(due_ambiti: tuple[Ambito, Ambito]) -> None:
    uno, due = due_ambiti
    aler_uno = EnteProprietarioFactory.create(ambito=uno, aler=True, denominazione="ALER Uno")
    comune_uno = ComuneFactory.create(ambito=uno, nome="Castelleone")
    comune_due = ComuneFactory.create(ambito=due, nome="Crema")
    fuori = ComuneFactory.create(ambito=None, nome="Milano")
    with rifiutato(MESSAGGIO_UNITA):
        UnitaAbitativa.objects.create(ente=aler_uno, comune=comune_due, id_regionale="1")
    with rifiutato(MESSAGGIO_UNITA):
        UnitaAbitativa.objects.create(ente=aler_uno, comune=fuori, id_regionale="2")
    unita = UnitaAbitativa.objects.create(ente=aler_uno, comune=comune_uno, id_regionale="3")
    with rifiutato(MESSAGGIO_UNITA):
        UnitaAbitativa.objects.filter(pk=unita.pk).update(comune=comune_due)
    with rifiutato(MESSAGGIO_UNITA):
        UnitaAbitativa.objects.filter(pk=unita.pk).update(
            ente=EnteProprietarioFactory.create(ambito=due, aler=True)
        )
    # From the other sides: the unit's comune or its ente cannot change ambito under it.
    with rifiutato(MESSAGGIO_UNITA):
        Comune.objects.filter(pk=comune_uno.pk).update(ambito=due)
    with rifiutato(MESSAGGIO_UNITA):
        EnteProprietario.objects.filter(pk=aler_uno.pk).update(ambito=due)
    # A save that changes nothing of the sort is allowed (no false alarm on ordinary updates).
    comune_uno.nome = "Castelleone (CR)"
    comune_uno.save()
    aler_uno.denominazione = "ALER Brescia-Cremona-Mantova"
    aler_uno.save()
    unita.indirizzo = "Via Roma 1"
    unita.save()
    assert UnitaAbitativa.objects.get(pk=unita.pk).comune.ambito_id == uno.pk

    sbagliata = UnitaAbitativa(ente=aler_uno, comune=comune_due, id_regionale="4")
    with pytest.raises(ValidationError) as errore:
        sbagliata.full_clean()
    assert errore.value.messages == [
        "Il comune di Crema non fa parte dell'ambito «Ambito Uno» dell'ALER Brescia-Cremona-Mantova: l'unità deve "
        "trovarsi in un comune dello stesso ambito."
    ]


def test_the_cremonese_fixture_respects_every_rule() -> None:
    assert Comune.objects.filter(ambito__nome__icontains="Cremonese").count() == 48
    assert violazioni(connection) == []


def test_stored_rows_that_break_a_rule_stop_the_triggers_creation(due_ambiti: tuple[Ambito, Ambito]) -> None:
    uno, due = due_ambiti
    unita = UnitaAbitativaFactory.create(
        ente=EnteProprietarioFactory.create(ambito=uno, aler=True, denominazione="ALER Uno")
    )
    elimina_trigger(connection)
    try:
        unita.comune = ComuneFactory.create(ambito=due, nome="Comune sbagliato")
        unita.save()
        assert violazioni(connection) == [
            f"{MESSAGGIO_UNITA} Righe che non lo rispettano: ALER Uno – Comune sbagliato."
        ]
        with pytest.raises(RuntimeError, match="ALER Uno – Comune sbagliato"):
            crea_trigger(connection)
        unita.delete()
    finally:
        crea_trigger(connection)
    test_every_integrity_trigger_exists_in_the_database()
