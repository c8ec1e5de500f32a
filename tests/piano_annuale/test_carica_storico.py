"""Loading a plan file records in the history what it writes: each created, changed or deleted row,
with its values before and after, in one bulk write whatever the number of rows."""

from __future__ import annotations

import json
import math
import pathlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from piano_annuale.models import AzioneModifica, Modifica
from piano_annuale.services.carica import carica_piano

pytestmark = pytest.mark.django_db

ORIGINE = "caricamento del file piano.json"


def piano_piccolo(unita: int = 2) -> dict:
    """Two comuni of a made-up ambito, their enti, ``unita`` free units of Alfa and a few rows."""
    return {
        "formato": "poa-piano-annuale",
        "versione": 1,
        "ambito": {"nome": "Ambito della storia dei caricamenti", "comune_capofila": "Alfa"},
        "aggregazioni": [{"numero": 1, "denominazione": "AT1"}],
        "popolazione": {"data_riferimento": "2024-01-01", "fonte": "ISTAT"},
        "comuni": [
            {
                "codice_istat": "099001",
                "nome": "Alfa",
                "provincia": "ZZ",
                "aggregazione": 1,
                "abitanti": 1000,
            },
            {"codice_istat": "099002", "nome": "Beta", "provincia": "ZZ", "aggregazione": 1, "abitanti": 500},
        ],
        "enti": [
            {"denominazione": "Comune di Alfa", "tipo": "comune", "comune": "Alfa"},
            {"denominazione": "Comune di Beta", "tipo": "comune", "comune": "Beta"},
        ],
        "piano": {
            "anno": 2025,
            "stato": "ricognizione",
            "data_popolazione": "2024-01-01",
            "consistenze": [{"ente": "Comune di Alfa", "sap": 3, "sas": 0}],
            "turnover": [{"ente": "Comune di Alfa", "comune": "Alfa", "numero": 2}],
            "unita": [
                {
                    "ente": "Comune di Alfa",
                    "elenco": [
                        {"id_regionale": f"99{n:04d}", "comune": "Alfa", "stato": "libera"}
                        for n in range(unita)
                    ],
                }
            ],
        },
    }


def scrivi(cartella: pathlib.Path, dati: dict) -> pathlib.Path:
    file = cartella / "piano.json"
    file.write_text(json.dumps(dati), encoding="utf-8")
    return file


def del_caricamento():
    return Modifica.objects.filter(origine=ORIGINE)


def test_a_first_load_records_the_creation_of_every_row_it_writes(tmp_path):
    carica_piano(percorso=scrivi(tmp_path, piano_piccolo(unita=2)))
    per_tabella: dict[str, int] = {}
    for modello in del_caricamento().values_list("modello", flat=True):
        per_tabella[modello] = per_tabella.get(modello, 0) + 1
    assert per_tabella == {
        "ambito.ambito": 1,
        "ambito.aggregazioneterritoriale": 1,
        "ambito.comune": 2,
        "ambito.popolazione": 2,
        "patrimonio.enteproprietario": 2,
        "patrimonio.unitaabitativa": 2,
        "piano_annuale.pianoannuale": 1,
        "piano_annuale.consistenzadichiarata": 1,
        "piano_annuale.turnoverprevisto": 1,
        "piano_annuale.statounita": 2,
    }
    assert set(del_caricamento().values_list("azione", flat=True)) == {AzioneModifica.CREAZIONE}
    assert not del_caricamento().filter(utente__isnull=False).exists()


def test_the_state_of_a_unit_is_put_in_the_history_of_its_plan_and_unit_under_its_name(tmp_path):
    piano = carica_piano(percorso=scrivi(tmp_path, piano_piccolo(unita=1)))
    stato = del_caricamento().get(modello="piano_annuale.statounita")
    assert stato.piano_id == piano.pk
    assert stato.unita.id_regionale == "990000"
    assert stato.descrizione == "U.I. 990000 – Alfa: Già libera"
    assert stato.dopo["stato"] == "libera"


def test_loading_the_same_file_again_records_nothing(tmp_path):
    file = scrivi(tmp_path, piano_piccolo())
    carica_piano(percorso=file)
    prima = Modifica.objects.count()
    carica_piano(percorso=file)
    assert Modifica.objects.count() == prima


def test_a_changed_value_is_recorded_before_and_after_and_a_removed_row_with_all_it_held(tmp_path):
    dati = piano_piccolo()
    carica_piano(percorso=scrivi(tmp_path, dati))
    dati["piano"]["consistenze"][0]["sap"] = 4
    dati["piano"]["turnover"] = []
    Modifica.objects.all().delete()

    # With no history left the rows look written by someone else than a load: replace them.
    carica_piano(percorso=scrivi(tmp_path, dati), sostituisci=True)

    assert del_caricamento().count() == 2
    consistenza = del_caricamento().get(modello="piano_annuale.consistenzadichiarata")
    assert consistenza.azione == AzioneModifica.MODIFICA
    assert (consistenza.prima["sap"], consistenza.dopo["sap"]) == (3, 4)
    assert consistenza.ente.denominazione == "Comune di Alfa"
    turnover = del_caricamento().get(modello="piano_annuale.turnoverprevisto")
    assert turnover.azione == AzioneModifica.ELIMINAZIONE
    assert turnover.dopo is None
    assert turnover.prima["numero"] == 2
    assert turnover.prima["comune_id"] is not None


@pytest.mark.parametrize("unita", [5, 50])
def test_the_history_of_a_load_is_written_in_bulk_whatever_the_number_of_rows(tmp_path, unita):
    with CaptureQueriesContext(connection) as query:
        carica_piano(percorso=scrivi(tmp_path, piano_piccolo(unita=unita)))
    tabella = Modifica._meta.db_table
    scritture = [q["sql"] for q in query.captured_queries if f'INSERT INTO "{tabella}"' in q["sql"]]
    registrate = del_caricamento().count()
    assert (
        registrate == 11 + 2 * unita
    )  # the ambito, its comuni, enti and plan rows, and each unit with its state
    # One statement for tens of rows: SQLite caps the parameters of a statement, so a bulk insert of
    # many rows goes in a few batches, never one statement per row.
    assert len(scritture) <= math.ceil(registrate / 50)
