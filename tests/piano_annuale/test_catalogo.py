"""The catalogue of the plan's sections and parts, and what reads it: observations, totals, comparison."""

from __future__ import annotations

import json

from piano_annuale.calcolo import EncoderPiano, calcola_piano
from piano_annuale.catalogo import CATALOGO, GENERALE, Natura, leggi_totale, voce
from piano_annuale.models import SezionePiano
from piano_annuale.rendering.versioni import SEZIONI, totali, totali_sezioni


def test_every_part_has_a_unique_key_and_a_short_label_that_fits_a_sheet_name():
    chiavi = [v.chiave for v in CATALOGO]
    assert len(chiavi) == len(set(chiavi))
    for v in CATALOGO:
        assert 0 < len(v.nome) <= 31, v.nome  # Excel's limit for a sheet's name
        assert v.livello in (1, 2, 3)


def test_the_sections_a_to_k_come_in_the_laws_order_with_their_letters():
    lettere = [(v.chiave, v.lettera) for v in CATALOGO if v.lettera]
    assert lettere == [
        ("a", "a)"),
        ("b", "b)"),
        ("costi_b", "b)"),  # the cost of works of b), since L.R. 18/2025
        ("c", "c)"),
        ("cbis", "c bis)"),  # since R.R. 2/2025
        ("d", "d)"),
        ("dbis", "d bis)"),  # since R.R. 2/2025
        ("e", "e)"),
        ("f", "f)"),
        ("g", "g)"),
        ("h", "h)"),
        ("i", "i)"),
        ("ib", "i.b)"),
        ("j", "j)"),
        ("k", "k)"),
    ]


def test_a_full_title_carries_the_letter_or_the_label_of_its_part():
    assert voce("b").completo == "b) Unità SAP in carenza manutentiva assegnabili nello stato di fatto"
    assert voce("allegato_a").completo == "Allegato A – Report per ente proprietario"
    assert voce("ricognizione").completo == "Esito della ricognizione"
    assert voce("allegato_b").ancora == "allegato-b"


def test_observations_may_address_the_plan_as_a_whole_and_each_observable_part():
    assert SezionePiano.choices == [GENERALE, *((v.chiave, v.nome) for v in CATALOGO if v.osservabile)]
    assert SezionePiano.B.label == "b) Carenza manutentiva"
    assert SezionePiano.IB.label == "i.b) Forze di Polizia"
    assert SezionePiano.GENERALE.label == "Il piano nel suo complesso"


def test_the_cremonese_totals_are_read_through_the_catalogue(piano_cremonese):
    dati = json.loads(json.dumps(calcola_piano(piano_cremonese).as_dict(), cls=EncoderPiano))
    assert totali(dati) == {
        "anagrafe": 156_636,
        "a": 3_984,
        "b": 45,
        "c": 106,
        "d": 0,
        "e": 44,  # 38 already free and 6 by turnover
        "f": 0,
        "g": 195,
        "h": 6,
        "i": 3,
        "ib": 7,
        "j": 17,
        "k": 185,
    }


def test_a_total_with_a_missing_value_is_unknown_not_zero():
    assert leggi_totale(voce("e"), {"e": {"totale_libere": 3}}) is None
    assert leggi_totale(voce("e"), {"e": {"totale_libere": 3, "totale_turnover": 2}}) == 5
    assert leggi_totale(voce("premessa"), {}) is None


def test_the_year_comparison_labels_each_total_with_what_it_counts():
    attuale = {"a": {"totale": 12}, "h": [{"ente": 1}, {"ente": 2}]}
    precedente = {"a": {"totale": 10}, "h": []}
    confronto = {t.chiave: t for t in totali_sezioni(attuale, precedente)}
    assert confronto["a"].etichetta == "a) Consistenza del patrimonio (alloggi)"
    assert confronto["a"].variazione == 2
    assert (confronto["h"].etichetta, confronto["h"].variazione) == ("h) Soglia indigenti (enti)", 2)
    assert confronto["b"].variazione is None  # nothing to compare


def test_the_version_comparison_walks_the_computed_plan_in_the_catalogues_order():
    assert list(SEZIONI) == [
        "demografia",
        "ricognizione",
        *("a", "b", "costi_b", "c", "cbis", "d", "dbis", "e", "f", "g", "h", "i", "ib", "j", "k"),
        "parte_seconda",
        "parte_terza",
        "note_chiusura",
        "allegato_a",
        "allegato_b",
        "sintesi",
        "anomalie",
    ]
    assert SEZIONI["demografia"] == "Dati anagrafici"
    assert SEZIONI["anomalie"] == "Controlli di coerenza"


def test_only_parts_with_figures_of_the_computed_plan_are_exported():
    nature = {v.chiave: v.natura for v in CATALOGO}
    assert nature["premessa"] == Natura.TESTO
    assert nature["note"] == Natura.ITER  # the workflow's records, in the frozen versions
    assert nature["servizi"] == Natura.GRUPPO
    assert nature["densita"] == Natura.DATI
