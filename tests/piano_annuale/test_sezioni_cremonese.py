"""Golden tests: the computed Cremonese 2025 plan against the tables of seed 002.

Where the seed contradicts itself the test asserts what the system derives from the detailed data
(unit lists over typed totals) and the comment cites both numbers of the seed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from piano_annuale.calcolo import PianoCalcolato, calcola_piano

ALER = "ALER Brescia-Cremona-Mantova"


@pytest.fixture
def p(piano_cremonese) -> PianoCalcolato:
    return calcola_piano(piano_cremonese)


def conteggi(tabella) -> list[tuple[str, str, int]]:
    return [(r.ente.denominazione, r.comune, r.numero) for r in tabella.righe]


# --- demographics ---------------------------------------------------------------------------


def test_population_total_and_ranking_match_the_seed(p):
    d = p.demografia
    assert d.numero_comuni == 48
    assert d.totale_abitanti == 156_636
    assert [(r.posizione, r.comune, r.abitanti) for r in d.classifica[:6]] == [
        (1, "Cremona", 71_094),
        (2, "Soresina", 9_062),
        (3, "Pizzighettone", 6_249),
        (4, "Castelverde", 5_623),
        (5, "Vescovato", 3_938),
        (6, "Casalbuttano ed Uniti", 3_728),
    ]
    assert d.classifica[-1].comune == "Derovere" and d.classifica[-1].abitanti == 278


def test_ranking_orders_by_population_where_the_seed_does_not(p):
    # The seed ranks Spinadesco (1.432) 23rd above Pozzaglio (1.435) 24th and Stagno (1.434) 25th,
    # and Paderno (1.311) 26th above Corte de' Frati (1.333) and Gerre (1.322).
    posizioni = {r.comune: r.posizione for r in p.demografia.classifica}
    assert posizioni["Pozzaglio ed Uniti"] == 23
    assert posizioni["Stagno Lombardo"] == 24
    assert posizioni["Spinadesco"] == 25
    assert posizioni["Corte de' Frati"] == 26
    assert posizioni["Gerre de' Caprioli"] == 27
    assert posizioni["Paderno Ponchielli"] == 28


def test_population_per_aggregazione_adds_up(p):
    totali = {g.numero: g.totale for g in p.demografia.aggregazioni}
    # The seed prints "TOTALE AT 1 13.221" but its five comuni sum to 13.251 (582 + 3.728 + 5.623 +
    # 1.057 + 2.261); with 13.221 the AT totals would add up to 156.606, not the 156.636 of the text.
    assert totali == {1: 13_251, 2: 16_207, 3: 10_834, 4: 13_320, 5: 15_214, 6: 16_716, 7: 71_094}
    assert sum(totali.values()) == p.demografia.totale_abitanti
    assert [len(g.righe) for g in p.demografia.aggregazioni] == [5, 6, 7, 8, 12, 9, 1]
    assert p.demografia.aggregazioni[-1].righe[0].posizione == 48


def test_comuni_without_own_sap_units_and_their_population_share(p):
    d = p.demografia
    # 5 with certified zero patrimonio, 7 with only ALER units, and Formigara (3 SAS, 0 SAP).
    assert d.comuni_senza_sap == (
        "Acquanegra Cremonese",
        "Cappella Cantone",
        "Casalmorano",
        "Cicognolo",
        "Crotta d'Adda",
        "Formigara",
        "Gabbioneta-Binanuova",
        "Isola Dovarese",
        "Ostiano",
        "Pescarolo ed Uniti",
        "Pizzighettone",
        "San Daniele Po",
        "Vescovato",
    )
    assert d.abitanti_comuni_senza_sap == 23_549
    assert d.quota_popolazione_senza_sap == Decimal("15.0")
    assert d.densita == ()  # the seed gives no surfaces


# --- ricognizione ---------------------------------------------------------------------------


def test_response_rates_of_the_ricognizione(p):
    r = p.ricognizione
    assert (r.comuni_rispondenti, r.comuni_totali) == (29, 48)
    assert r.tasso_risposta == Decimal("60.4")
    # The seed: "(= n. 36) è stata pari al 80,5%": 29/36 = 80,56%, which rounds to 80,6.
    assert (r.proprietari_rispondenti, r.comuni_proprietari) == (29, 36)
    assert r.tasso_risposta_proprietari == Decimal("80.6")
    assert r.non_rispondenti == 19
    assert r.non_rispondenti_patrimonio_zero == (
        "Cappella Cantone",
        "Casalmorano",
        "Cicognolo",
        "Crotta d'Adda",
        "Gabbioneta-Binanuova",
    )
    assert r.non_rispondenti_solo_aler == (
        "Acquanegra Cremonese",
        "Isola Dovarese",
        "Ostiano",
        "Pescarolo ed Uniti",
        "Pizzighettone",
        "San Daniele Po",
        "Vescovato",
    )
    assert r.non_rispondenti_proprietari == (
        "Bonemerse",
        "Castelvisconti",
        "Cella Dati",
        "Derovere",
        "Malagnino",
        "Paderno Ponchielli",
        "San Bassano",
    )
    assert r.non_rispondenti_altri == ()
    assert r.altri_enti == ((ALER, "Inviata"),)


def test_twenty_three_comuni_delegate_management_to_aler(p):
    (gestione,) = p.ricognizione.gestioni
    assert gestione.gestore.denominazione == ALER
    assert len(gestione.comuni) == 23
    assert gestione.comuni[0] == "Bonemerse" and gestione.comuni[-1] == "Volongo"
    assert "Paderno Ponchielli" in gestione.comuni


# --- sections a to k ------------------------------------------------------------------------


def test_section_a_consistenza_totals(p):
    a = p.a
    assert (a.totale, a.sap, a.sas) == (3_984, 3_850, 134)
    assert len(a.righe) == 33  # 32 comuni and ALER
    righe = {r.ente.denominazione: (r.totale, r.sap, r.sas) for r in a.righe}
    assert righe["Comune di Cremona"] == (1_024, 931, 93)
    assert righe[ALER] == (2_436, 2_417, 19)
    assert righe["Comune di Soresina"] == (120, 112, 8)
    assert righe["Comune di Olmeneta"] == (11, 1, 10)
    assert a.righe[-1].ente.denominazione == ALER
    assert [e.comune for e in a.non_comunicata] == [
        "Castelvisconti",
        "Derovere",
        "Paderno Ponchielli",
        "San Bassano",
    ]
    assert len(a.patrimonio_zero) == 5


def test_section_b_carenza_manutentiva_per_comune(p):
    # The seed's table b prints "ALER – CREMONA 39": 39 is ALER's total over ten comuni; Allegato B
    # and table g put 19 of them in Cremona.
    assert conteggi(p.b) == [
        ("Comune di Annicco", "Annicco", 2),
        ("Comune di Corte de' Frati", "Corte de' Frati", 1),
        ("Comune di Grumello Cremonese ed Uniti", "Grumello Cremonese ed Uniti", 1),
        ("Comune di Soresina", "Soresina", 2),
        (ALER, "Bonemerse", 1),
        (ALER, "Casalbuttano ed Uniti", 1),
        (ALER, "Cremona", 19),
        (ALER, "Isola Dovarese", 1),
        (ALER, "Ostiano", 1),
        (ALER, "Pizzighettone", 2),
        (ALER, "San Daniele Po", 6),
        (ALER, "Sesto ed Uniti", 1),
        (ALER, "Soresina", 2),
        (ALER, "Vescovato", 5),
    ]
    assert p.b.totale == 45


def test_section_c_renovation_per_comune_and_programme(p):
    # The seed's table c lists Pessina 3 and ALER Cremona 74 (total 110). Pessina's three units are
    # the three listed as free in e (Allegato A: available 3); ALER's 74th, 3161156, is listed as
    # free too and table g counts it there (73 in renovation; Allegato B's "Totale complessivo" 73).
    assert [(r.ente.denominazione, r.comune, r.numero) for r in p.c.per_comune] == [
        ("Comune di Castelverde", "Castelverde", 2),
        ("Comune di Cremona", "Cremona", 19),
        ("Comune di Gerre de' Caprioli", "Gerre de' Caprioli", 1),
        ("Comune di Grumello Cremonese ed Uniti", "Grumello Cremonese ed Uniti", 1),
        ("Comune di Pozzaglio ed Uniti", "Pozzaglio ed Uniti", 1),
        ("Comune di Soresina", "Soresina", 9),
        (ALER, "Cremona", 73),
    ]
    assert p.c.totale == 106
    aler = {r.programma: r.numero for r in p.c.righe if r.ente.denominazione == ALER}
    assert aler == {"LOTTO 2.2": 11, "LOTTO 3.5": 15, "LOTTO 3.6": 15, "LOTTO 4.2": 14, "ROLLA": 18}


def test_sections_d_and_f_are_empty_as_in_the_seed(p):
    assert p.d.righe == () and p.d.totale == 0
    assert p.f.righe == () and p.f.totale == 0


def test_section_e_free_units_and_turnover(p):
    e = p.e
    comuni = [u for u in e.libere if u.ente.tipo == "comune"]
    assert len(comuni) == 20
    assert sum(1 for u in comuni if u.id_regionale is None) == 6
    assert [u.id_regionale for u in comuni if u.comune == "Cremona"] == ["36501269", "36502011", "36502021"]
    assert [u.id_regionale for u in comuni if u.comune == "Pessina Cremonese"] == [
        "150352",
        "157966",
        "159739",
    ]
    assert e.totale_libere == 38  # 20 of the comuni, 18 of ALER
    assert conteggi_e(e.turnover) == [("Comune di Cremona", "Cremona", 5), (ALER, "Cremona", 1)]
    assert e.totale_turnover == 6


def conteggi_e(righe) -> list[tuple[str, str, int]]:
    return [(r.ente.denominazione, r.comune, r.numero) for r in righe]


def test_section_g_total_assignable_units(p):
    g = p.g
    t = g.totale
    # The seed's g totals 194 = 42 free + 106 renovated + 46 carenza. It counts Comune di Cremona's
    # 5 turnover units among the free (8) but leaves out ALER's 1 (9 free in Cremona), and puts
    # Gadesco's free unit under carenza. From the lists: free 44 (38 + 6 turnover), renovated 106,
    # carenza 45, total 195.
    assert (t.libere, t.turnover, t.liberi, t.ristrutturazione, t.carenza, t.totale) == (
        38,
        6,
        44,
        106,
        45,
        195,
    )
    assert (t.nuova_edificazione, t.conferite) == (0, 0)
    righe = {
        (r.ente.denominazione, r.comune): (r.liberi, r.ristrutturazione, r.carenza, r.totale) for r in g.righe
    }
    assert len(righe) == 30
    assert righe[("Comune di Cremona", "Cremona")] == (8, 19, 0, 27)
    assert righe[("Comune di Gadesco-Pieve Delmona", "Gadesco-Pieve Delmona")] == (
        1,
        0,
        0,
        1,
    )  # seed: carenza 1
    assert righe[("Comune di Pessina Cremonese", "Pessina Cremonese")] == (3, 0, 0, 3)
    assert righe[("Comune di Soresina", "Soresina")] == (0, 9, 2, 11)
    assert righe[(ALER, "Cremona")] == (10, 73, 19, 102)  # seed: 9 + 73 + 19 = 101
    assert righe[(ALER, "San Daniele Po")] == (0, 0, 6, 6)
    assert righe[(ALER, "Isola Dovarese")] == (3, 0, 1, 4)
    per_ente = {r.ente.denominazione: r.totale for r in g.per_ente}
    assert per_ente[ALER] == 131
    assert sum(v for k, v in per_ente.items() if k != ALER) == 64


def test_section_h_indigenti_threshold(p):
    assert [(r.ente.comune, r.eccedenza, r.soglia_complessiva) for r in p.h] == [
        ("Cremona", 10, 30),
        ("Gadesco-Pieve Delmona", 10, 30),
        ("Gerre de' Caprioli", 10, 30),
        ("Pieve San Giacomo", 10, 30),
        ("Sospiro", 10, 30),
        ("Stagno Lombardo", 10, 30),
    ]


def test_section_i_additional_categories(p):
    assert [r.ente.comune for r in p.i] == ["Castelverde", "Cremona", "Pozzaglio ed Uniti"]
    assert all(r.categoria for r in p.i)


def test_section_ib_forze_di_polizia_units_are_rounded_up_per_ente(p):
    righe = [(r.ente.comune, r.percentuale, r.disponibili, r.unita) for r in p.ib.righe]
    assert righe == [
        ("Cremona", 5, 27, 2),  # 5% of 27 = 1,35 → 2
        ("Gadesco-Pieve Delmona", 5, 1, 1),
        ("Persico Dosimo", 5, 1, 1),
        ("Pieve San Giacomo", 5, 1, 1),
        ("Soresina", 10, 11, 2),  # 10% of 11 = 1,1 → 2
        ("Volongo", 5, 0, 0),  # no units available: flagged by F01
    ]
    assert p.ib.totale_unita == 7


def test_section_j_sat_units(p):
    # Allegato A says 0 SAT for Bordolano; table j says 1. The fixture follows j, and D01 flags it.
    assert conteggi(p.j) == [
        ("Comune di Bordolano", "Bordolano", 1),
        ("Comune di Castelverde", "Castelverde", 2),
        ("Comune di Cremona", "Cremona", 5),
        ("Comune di Gadesco-Pieve Delmona", "Gadesco-Pieve Delmona", 1),
        ("Comune di Pieve San Giacomo", "Pieve San Giacomo", 1),
        ("Comune di Spinadesco", "Spinadesco", 1),
        ("Comune di Torre de' Picenardi", "Torre de' Picenardi", 1),
        (ALER, "Cremona", 5),
    ]
    assert p.j.totale == 17


def test_section_k_previous_year_assignments(p):
    assert [(r.ente.denominazione, r.totale, r.mobilita) for r in p.k.righe] == [
        ("Comune di Casalbuttano ed Uniti", 1, 0),
        ("Comune di Cremona", 24, 13),
        ("Comune di Gadesco-Pieve Delmona", 2, 0),
        ("Comune di Grumello Cremonese ed Uniti", 2, 0),
        ("Comune di Pieve San Giacomo", 1, 0),
        ("Comune di Spinadesco", 1, 0),
        (ALER, 154, 0),
    ]
    assert (p.k.totale, p.k.mobilita, p.k.in_deroga) == (185, 13, 0)


# --- annexes and the Assemblea's summary -----------------------------------------------------


def test_allegato_a_has_one_row_per_ente_that_answered(p):
    righe = {r.ente.denominazione: r for r in p.allegato_a}
    assert len(righe) == 30
    aler = righe[ALER]
    # Seed: ALER 19 SAS, 2417 SAP, 131 available, 18 free+turnover, 39 carenza, 74 renovated, 5 SAT,
    # 154 assigned. The system counts ALER's turnover unit (19) and 3161156 once (73).
    assert (aler.sas, aler.sap, aler.disponibili, aler.libere_turnover, aler.carenza) == (
        19,
        2417,
        131,
        19,
        39,
    )
    assert (aler.nuove_ristrutturate, aler.transitori, aler.assegnate_anno_precedente) == (73, 5, 154)
    cremona = righe["Comune di Cremona"]
    assert (cremona.sas, cremona.sap, cremona.disponibili, cremona.libere_turnover) == (93, 931, 27, 8)
    assert (cremona.nuove_ristrutturate, cremona.transitori, cremona.assegnate_anno_precedente) == (19, 5, 24)
    assert (cremona.soglia_indigenti, cremona.forze_polizia) == (10, 5)
    assert cremona.categoria.startswith("Soggetti beneficiari di progetti di protezione sociale")
    assert righe["Comune di Pieve d'Olmi"].categoria == "NO"
    # Seed: Pessina "3 available = 3 free + 3 renovated"; the units give 3 free and 0 renovated.
    assert (
        righe["Comune di Pessina Cremonese"].disponibili,
        righe["Comune di Pessina Cremonese"].nuove_ristrutturate,
    ) == (3, 0)
    assert righe["Comune di Soresina"].forze_polizia == 10
    assert "Comune di Bonemerse" not in righe  # did not answer


def test_allegato_b_lists_aler_units_and_groups_renovation_by_lotto(p):
    b = p.allegato_b
    assert len(b.unita) == 57  # 18 free and 39 in carenza
    assert b.unita[0].id_regionale == "3155513" and b.unita[0].codice_ente == "BS151842"
    assert [(lotto.programma, lotto.totale) for lotto in b.lotti] == [
        ("LOTTO 2.2", 11),  # seed subtotal 12: 3161156 also listed as LIBERO
        ("LOTTO 3.5", 15),
        ("LOTTO 3.6", 15),
        ("LOTTO 4.2", 14),
        ("ROLLA", 18),
    ]
    assert b.totale_lotti == 73  # seed: rows 74, "Totale complessivo 73"
    assert any(u.stato_origine == "1006 - IN MANUTENZIONE M.S." for u in b.lotti[1].unita)


def test_tab1_available_units_comuni_vs_aler(p):
    righe = [
        (r.gruppo, r.numero_comuni, r.liberi, r.ristrutturazione, r.carenza, r.totale)
        for r in p.sintesi.disponibili
    ]
    # Seed TAB 1: COMUNI 17 | 24 | 33 | 7 | 64; ALER 13 | 18 | 73 | 39 | 130; AMBITO 30 | 42 | 106 | 46 | 194.
    # Free: the comuni have 20 listed + 5 turnover = 25 (the seed's 24 moves Gadesco to carenza);
    # ALER 18 + 1 turnover = 19. Carenza: the comuni list 6.
    assert righe == [
        ("COMUNI", 17, 25, 33, 6, 64),
        ("ALER", 13, 19, 73, 39, 131),
        ("AMBITO", 30, 44, 106, 45, 195),
    ]
    quote = [
        (q.gruppo, q.liberi, q.ristrutturazione, q.carenza, q.totale) for q in p.sintesi.quote_disponibili
    ]
    # Seed shares: COMUNI 57 | 31 | 15 | 33; ALER 43 | 69 | 85 | 67.
    assert quote == [
        ("COMUNI", Decimal(57), Decimal(31), Decimal(13), Decimal(33)),
        ("ALER", Decimal(43), Decimal(69), Decimal(87), Decimal(67)),
        ("AMBITO", Decimal(100), Decimal(100), Decimal(100), Decimal(100)),
    ]


def test_tab2_patrimonio_comuni_vs_aler(p):
    righe = [(r.gruppo, r.numero_comuni, r.sap, r.sas, r.totale) for r in p.sintesi.patrimonio]
    # Seed TAB 2: COMUNI 31 | 1.433 | 115 | 1.548 — but section a lists 32 comuni; AMBITO 38 → 39.
    assert righe == [
        ("COMUNI", 32, 1_433, 115, 1_548),
        ("ALER", 7, 2_417, 19, 2_436),
        ("AMBITO", 39, 3_850, 134, 3_984),
    ]
    quote = [(q.gruppo, q.sap, q.sas, q.totale) for q in p.sintesi.quote_patrimonio]
    # Seed: ALER SAP share 62 (2.417/3.850 = 62,8 → 63) and SAS "19", the count (19/134 = 14%).
    assert quote == [
        ("COMUNI", Decimal(37), Decimal(86), Decimal(39)),
        ("ALER", Decimal(63), Decimal(14), Decimal(61)),
        ("AMBITO", Decimal(100), Decimal(100), Decimal(100)),
    ]


def test_json_form_of_the_plan_carries_every_section(p):
    import json

    dati = json.loads(p.as_json())
    assert dati["g"]["totale"]["totale"] == 195
    assert dati["sintesi"]["quote_disponibili"][0]["liberi"] == "57"
    assert dati["ricognizione"]["tasso_risposta_proprietari"] == "80.6"
    assert dati["piano"]["data_popolazione"] == "2024-01-01"
    assert set(dati) >= {
        "a",
        "b",
        "c",
        "d",
        "e",
        "f",
        "g",
        "h",
        "i",
        "ib",
        "j",
        "k",
        "allegato_a",
        "allegato_b",
    }
