"""The import's writes cost a fixed number of queries whatever the number of rows — new, changed and
removed units, their history included — and the history keeps each row whole, before and after.

Each scenario runs at 3 and at 30 rows on a small ambito of its own (factories, no fixture). Ids and
rows travel as one JSON parameter (``patrimonio.importazione.sql``): a DELETE or an UPDATE is one
statement for any number of rows, an INSERT one per 10,000 rows, a ``bulk_update`` of rows that each
take a different value one per 500.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patrimonio.importazione import analizza, registra
from patrimonio.models import EnteProprietario, UnitaAbitativa
from patrimonio.resources import COLONNE_UNITA
from piano_annuale.models import (
    AzioneModifica,
    Modifica,
    PianoAnnuale,
    RispostaRicognizione,
    StatoPiano,
    StatoRisposta,
    StatoUnita,
)
from piano_annuale.storico import istantanea
from tests.factories import AmbitoFactory, ComuneFactory, EnteProprietarioFactory, PianoAnnualeFactory

INTESTAZIONI = [c.intestazione for c in COLONNE_UNITA if c.chiave != "pk"]
UNITA = "patrimonio.unitaabitativa"
STATO = "piano_annuale.statounita"


@pytest.fixture
def scena(db) -> tuple[PianoAnnuale, EnteProprietario]:
    """An ambito of two comuni, its plan in the ricognizione, an ALER ente whose answer is open."""
    ambito = AmbitoFactory.create(nome="Ambito delle query")
    ComuneFactory.create(ambito=ambito, nome="Borgo Primo", codice_istat="997001")
    ComuneFactory.create(ambito=ambito, nome="Borgo Secondo", codice_istat="997002")
    piano = PianoAnnualeFactory.create(ambito=ambito, stato=StatoPiano.RICOGNIZIONE)
    ente = EnteProprietarioFactory.create(ambito=ambito, aler=True, denominazione="ALER delle query")
    RispostaRicognizione.objects.create(piano=piano, ente=ente, stato=StatoRisposta.NESSUNA)
    return piano, ente


def riga(n: int, *, stato: str = "libera", indirizzo: str = "", comune: str = "Borgo Primo") -> list[str]:
    return ["ALER delle query", f"Q{n:05d}", f"CQ{n:05d}", comune, "", "SAP", indirizzo, stato, "", ""]


def file_csv(righe: list[list[str]]) -> bytes:
    uscita = io.StringIO()
    csv.writer(uscita, delimiter=";").writerows([INTESTAZIONI, *righe])
    return uscita.getvalue().encode("utf-8")


def carica(piano: PianoAnnuale, ente: EnteProprietario, righe: list[list[str]], nome: str) -> None:
    """An upload that goes all the way (the setup of a scenario)."""
    analisi = analizza(contenuto=file_csv(righe), nome_file=nome, piano=piano, ente=ente)
    assert analisi.valida, [e.messaggio for e in analisi.errori]
    registra(analisi=analisi, utente=None)


def query_di_registra(
    piano: PianoAnnuale, ente: EnteProprietario, righe: list[list[str]], nome: str
) -> list[str]:
    """The SQL of ``registra`` alone (the analysis reads; this is what writes)."""
    analisi = analizza(contenuto=file_csv(righe), nome_file=nome, piano=piano, ente=ente)
    assert analisi.valida, [e.messaggio for e in analisi.errori]
    with CaptureQueriesContext(connection) as query:
        registra(analisi=analisi, utente=None)
    return [q["sql"] for q in query.captured_queries]


def scritture(sql: list[str]) -> list[str]:
    """Each writing statement as «VERB table»."""
    tabelle = {
        UnitaAbitativa._meta.db_table: "unita",
        StatoUnita._meta.db_table: "stato",
        Modifica._meta.db_table: "storico",
        RispostaRicognizione._meta.db_table: "risposta",
        PianoAnnuale._meta.db_table: "piano",
    }
    descritte = []
    for istruzione in sql:
        verbo = istruzione.split()[0]
        if verbo not in ("INSERT", "UPDATE", "DELETE"):
            continue
        tabella = next((nome for t, nome in tabelle.items() if f'"{t}"' in istruzione.split("WHERE")[0]), "?")
        descritte.append(f"{verbo} {tabella}")
    return descritte


# Every query of ``registra`` besides its writes: SAVEPOINT and RELEASE around it, the plan read
# afresh and the ente's answer locked (SELECT … FOR UPDATE). The writes end with the open plans'
# revision bumped (one UPDATE piano: the computed plans are cached per revision).
QUERY_DI_CONTORNO = 4


@pytest.mark.parametrize("quante", [3, 30])
def test_new_rows_are_written_with_a_fixed_number_of_queries(scena, quante):
    piano, ente = scena
    sql = query_di_registra(piano, ente, [riga(n) for n in range(quante)], "nuove.csv")
    assert scritture(sql) == [
        "INSERT unita",
        "INSERT stato",
        "UPDATE risposta",
        "INSERT storico",
        "UPDATE piano",
    ]
    assert len(sql) == QUERY_DI_CONTORNO + 5
    assert Modifica.objects.filter(ente_id=ente.pk, azione=AzioneModifica.CREAZIONE).count() == 2 * quante


@pytest.mark.parametrize("quante", [3, 30])
def test_changed_rows_are_written_with_a_fixed_number_of_queries(scena, quante):
    piano, ente = scena
    carica(piano, ente, [riga(n) for n in range(quante)], "prima.csv")
    # Every unit changes its address (a different value each: bulk_update) and its state (the
    # same for all: one UPDATE … WHERE id IN).
    cambiate = [riga(n, stato="carenza", indirizzo=f"Via {n}") for n in range(quante)]
    sql = query_di_registra(piano, ente, cambiate, "dopo.csv")
    assert scritture(sql) == [
        "UPDATE unita",
        "UPDATE stato",
        "UPDATE risposta",
        "INSERT storico",
        "UPDATE piano",
    ]
    # The units' update is checked to touch only the ente's rows first (one SELECT COUNT).
    assert len(sql) == QUERY_DI_CONTORNO + 5 + 1
    assert Modifica.objects.filter(ente_id=ente.pk, azione=AzioneModifica.MODIFICA).count() == 2 * quante


@pytest.mark.parametrize("quante", [3, 30])
def test_removed_rows_are_written_with_a_fixed_number_of_queries(scena, quante):
    piano, ente = scena
    carica(piano, ente, [riga(n) for n in range(quante + 1)], "prima.csv")
    # Our template is the full list: the units it leaves out leave the plan and the registry.
    sql = query_di_registra(piano, ente, [riga(0)], "dopo.csv")
    assert scritture(sql) == [
        "DELETE stato",
        "DELETE unita",
        "UPDATE risposta",
        "INSERT storico",
        "UPDATE piano",
    ]
    assert len(sql) == QUERY_DI_CONTORNO + 5
    assert UnitaAbitativa.objects.filter(ente=ente).count() == 1
    assert Modifica.objects.filter(ente_id=ente.pk, azione=AzioneModifica.ELIMINAZIONE).count() == 2 * quante


# --------------------------------------------------------------------------------------------
# The history rows: whole rows, before and after
# --------------------------------------------------------------------------------------------


def storico_di(modello: str, azione: str, oggetto_id: int) -> Modifica:
    return Modifica.objects.get(modello=modello, azione=azione, oggetto_id=oggetto_id)


def test_new_rows_are_recorded_whole_with_the_models_descriptions(scena):
    piano, ente = scena
    carica(piano, ente, [riga(1, indirizzo="Via Roma 1")], "nuove.csv")
    unita = UnitaAbitativa.objects.get(id_regionale="Q00001")
    stato = StatoUnita.objects.get(unita=unita)
    creata = storico_di(UNITA, AzioneModifica.CREAZIONE, unita.pk)
    assert creata.prima is None
    assert creata.dopo == {
        "ente_id": ente.pk,
        "comune_id": unita.comune_id,
        "id_regionale": "Q00001",
        "codice_ente": "CQ00001",
        "tipo": "SAP",
        "indirizzo": "Via Roma 1",
    }
    assert creata.descrizione == "U.I. Q00001 (CQ00001) – Borgo Primo" == str(unita)
    assert (creata.piano_id, creata.ente_id, creata.unita_id, creata.origine) == (
        piano.pk,
        ente.pk,
        unita.pk,
        "importazione (nuove.csv)",
    )
    stato_creato = storico_di(STATO, AzioneModifica.CREAZIONE, stato.pk)
    assert stato_creato.dopo == {
        "piano_id": piano.pk,
        "unita_id": unita.pk,
        "stato": "libera",
        "programma": "",
        "stato_origine": "",
        "note": "",
        "da_confermare": False,
        "note_lavori": "",
        "costo_lavori": None,
    }
    assert stato_creato.descrizione == "U.I. Q00001 (CQ00001) – Borgo Primo: Già libera" == str(stato)
    # Whole rows: the keys of a snapshot of each row, no fewer.
    assert set(creata.dopo) == set(istantanea(unita))
    assert set(stato_creato.dopo) == set(istantanea(stato))


def test_changed_rows_are_recorded_whole_before_and_after(scena):
    piano, ente = scena
    carica(piano, ente, [riga(1, indirizzo="Via Roma 1")], "prima.csv")
    unita = UnitaAbitativa.objects.get(id_regionale="Q00001")
    stato = StatoUnita.objects.get(unita=unita)
    carica(
        piano, ente, [riga(1, indirizzo="Via Roma 2", stato="carenza", comune="Borgo Secondo")], "dopo.csv"
    )
    secondo = ente.ambito.comuni.get(nome="Borgo Secondo")
    cambio = storico_di(UNITA, AzioneModifica.MODIFICA, unita.pk)
    assert cambio.prima == {
        "ente_id": ente.pk,
        "comune_id": unita.comune_id,
        "id_regionale": "Q00001",
        "codice_ente": "CQ00001",
        "tipo": "SAP",
        "indirizzo": "Via Roma 1",
    }
    assert cambio.dopo == cambio.prima | {"comune_id": secondo.pk, "indirizzo": "Via Roma 2"}
    assert cambio.descrizione == "U.I. Q00001 (CQ00001) – Borgo Secondo"
    cambio_stato = storico_di(STATO, AzioneModifica.MODIFICA, stato.pk)
    assert cambio_stato.prima == {
        "piano_id": piano.pk,
        "unita_id": unita.pk,
        "stato": "libera",
        "programma": "",
        "stato_origine": "",
        "note": "",
        "da_confermare": False,
        "note_lavori": "",
        "costo_lavori": None,
    }
    assert cambio_stato.dopo == cambio_stato.prima | {"stato": "carenza"}
    assert (
        cambio_stato.descrizione == "U.I. Q00001 (CQ00001) – Borgo Secondo: In carenza manutentiva (art. 10)"
    )


def test_removed_rows_keep_their_whole_before(scena):
    piano, ente = scena
    carica(piano, ente, [riga(1), riga(2, indirizzo="Via Po 2", stato="carenza")], "prima.csv")
    unita = UnitaAbitativa.objects.get(id_regionale="Q00002")
    stato = StatoUnita.objects.get(unita=unita)
    attesa_unita, attesa_stato = istantanea(unita), istantanea(stato)
    descrizione_unita, descrizione_stato = str(unita), str(stato)
    carica(piano, ente, [riga(1)], "dopo.csv")
    assert not UnitaAbitativa.objects.filter(pk=unita.pk).exists()
    tolta = storico_di(UNITA, AzioneModifica.ELIMINAZIONE, unita.pk)
    assert tolta.prima == {
        "ente_id": ente.pk,
        "comune_id": unita.comune_id,
        "id_regionale": "Q00002",
        "codice_ente": "CQ00002",
        "tipo": "SAP",
        "indirizzo": "Via Po 2",
    }
    assert tolta.prima == attesa_unita
    assert (tolta.dopo, tolta.descrizione, tolta.unita_id) == (None, descrizione_unita, unita.pk)
    tolto = storico_di(STATO, AzioneModifica.ELIMINAZIONE, stato.pk)
    assert tolto.prima == {
        "piano_id": piano.pk,
        "unita_id": unita.pk,
        "stato": "carenza",
        "programma": "",
        "stato_origine": "",
        "note": "",
        "da_confermare": False,
        "note_lavori": "",
        "costo_lavori": None,
    }
    assert tolto.prima == attesa_stato
    assert (tolto.dopo, tolto.descrizione) == (None, descrizione_stato)
