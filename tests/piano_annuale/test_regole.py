"""The rules in force for the plan's year: old plans keep theirs, a 2027 plan applies R.R. 2/2025
(d bis with 7 bis and 7 ter, c bis) and L.R. 18/2025 (cost of works in b), and a new rule set is data."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patrimonio.models import EnteProprietario
from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import (
    PianoAnnuale,
    RegoleAnno,
    RispostaRicognizione,
    ScelteEnte,
    Stato,
    StatoRisposta,
    StatoUnita,
    leggi_parametri,
)
from piano_annuale.services.anno_successivo import crea_piano_anno_successivo
from piano_annuale.services.regole import assicura_regole_predefinite
from tests.builders import crea_ambito
from tests.piano_annuale.conftest import approva  # the fixture piano_2027 is in that conftest

ALER = "ALER Brescia-Cremona-Mantova"


def ente(nome: str) -> EnteProprietario:
    return EnteProprietario.objects.get(denominazione=nome)


def scelte(piano: PianoAnnuale, nome: str) -> ScelteEnte:
    return ScelteEnte.objects.get(piano=piano, ente=ente(nome))


@pytest.fixture
def utente(db):
    return get_user_model().objects.create_user("ufficio.regole", password="x")


def test_the_cremonese_2025_plan_keeps_the_rules_it_was_approved_under(piano_cremonese):
    calcolo = calcola_piano(piano_cremonese)
    assert calcolo.regole is not None
    assert calcolo.regole.codice == "lr-11-2024"
    assert (calcolo.regole.quota_per, calcolo.regole.quota_massimo, calcolo.regole.con_7ter) == (
        "ente",
        10,
        False,
    )
    assert (calcolo.dbis, calcolo.cbis, calcolo.costi_b) == (None, None, None)
    # i.b as the seed: Soresina 10 % and five comuni at 5 %, rounded up per ente.
    assert [(r.ente.denominazione, r.percentuale, r.unita) for r in calcolo.ib.righe][:2] == [
        ("Comune di Cremona", 5, 2),
        ("Comune di Gadesco-Pieve Delmona", 5, 1),
    ]


@pytest.mark.parametrize(
    ("data", "codice"),
    [
        (datetime.date(2019, 6, 1), "rr-4-2017-rr-3-2019"),
        (datetime.date(2025, 1, 1), "lr-11-2024"),
        (datetime.date(2025, 3, 10), "lr-11-2024"),
        (datetime.date(2025, 3, 11), "rr-2-2025"),
        (datetime.date(2026, 1, 1), "lr-18-2025"),
        (datetime.date(2027, 1, 1), "lr-18-2025"),
    ],
)
def test_the_rule_set_in_force_on_a_date(db, data, codice):
    regole = RegoleAnno.objects.in_vigore_al(data)
    assert regole is not None
    assert regole.codice == codice


def test_the_next_year_maps_the_old_forze_di_polizia_quota_to_the_7_bis_quota_to_confirm(
    piano_cremonese, utente
):
    approva(piano_cremonese)
    piano_2026 = crea_piano_anno_successivo(piano=piano_cremonese, utente=utente).piano
    assert piano_2026.regole is not None
    assert piano_2026.regole.codice == "lr-18-2025"
    cremona = scelte(piano_2026, "Comune di Cremona")
    soresina = scelte(piano_2026, "Comune di Soresina")
    assert (cremona.quota_forze_polizia, cremona.quota_polizia_locale, cremona.da_confermare) == (5, 0, True)
    assert (soresina.quota_forze_polizia, soresina.quota_polizia_locale, soresina.da_confermare) == (
        10,
        0,
        True,
    )
    calcolo = calcola_piano(piano_2026)
    assert calcolo.dbis is not None
    assert [(r.comune, r.percentuale_7bis, r.percentuale_7ter) for r in calcolo.dbis.righe] == [
        ("Cremona", 5, 0),
        ("Gadesco-Pieve Delmona", 5, 0),
        ("Persico Dosimo", 5, 0),
        ("Pieve San Giacomo", 5, 0),
        ("Soresina", 10, 0),
        ("Volongo", 5, 0),
    ]


def test_a_2027_plan_gives_the_units_of_each_quota_per_comune_and_ente_rounded_up(piano_2027):
    calcolo = calcola_piano(piano_2027)
    assert calcolo.regole is not None and calcolo.dbis is not None
    assert calcolo.regole.codice == "lr-18-2025"
    assert calcolo.ib.righe == ()
    righe = {r.comune: r for r in calcolo.dbis.righe}
    assert set(righe) == {"Cremona", "Soresina"}
    # Cremona: ALER 101 units carried over (19 carenza, 9 free, 73 renovated), the comune 22 (3 free,
    # 19 renovated); turnover is each year's own, so none yet. 12 % and 3 %, rounded up per ente.
    cremona = righe["Cremona"]
    assert (cremona.percentuale_7bis, cremona.percentuale_7ter, cremona.percentuale_totale) == (12, 3, 15)
    assert [(r.ente.denominazione, r.disponibili, r.unita_7bis, r.unita_7ter) for r in cremona.enti] == [
        ("Comune di Cremona", 22, 3, 1),
        (ALER, 101, 13, 4),
    ]
    assert (cremona.disponibili, cremona.unita_7bis, cremona.unita_7ter) == (123, 16, 5)
    # Soresina: ALER 2 (carenza), the comune 11 (2 carenza, 9 renovated); 20 % and 0 %.
    soresina = righe["Soresina"]
    assert [(r.ente.denominazione, r.disponibili, r.unita_7bis, r.unita_7ter) for r in soresina.enti] == [
        ("Comune di Soresina", 11, 3, 0),
        (ALER, 2, 1, 0),
    ]
    assert [(r.ente.denominazione, r.unita_7bis, r.unita_7ter) for r in calcolo.dbis.per_ente] == [
        ("Comune di Cremona", 3, 1),
        ("Comune di Soresina", 3, 0),
        (ALER, 14, 4),
    ]
    assert (calcolo.dbis.totale_7bis, calcolo.dbis.totale_7ter) == (20, 5)


def test_allegato_a_reports_both_quotas_of_a_comune_that_answered(piano_2027):
    RispostaRicognizione.objects.update_or_create(
        piano=piano_2027,
        ente=ente("Comune di Cremona"),
        defaults={"stato": StatoRisposta.INVIATA, "inviata_il": timezone.now()},
    )
    riga = next(
        r for r in calcola_piano(piano_2027).allegato_a if r.ente.denominazione == "Comune di Cremona"
    )
    assert (riga.forze_polizia, riga.polizia_locale, riga.soglia_c_bis) == (12, 3, 0)


def test_a_comune_above_twenty_percent_is_an_error_naming_it(piano_2027):
    ScelteEnte.objects.filter(piano=piano_2027, ente=ente("Comune di Cremona")).update(
        quota_forze_polizia=15, quota_polizia_locale=8
    )
    anomalie = [a for a in calcola_piano(piano_2027).anomalie if a.codice == "Q01"]
    assert [(a.gravita, a.messaggio, a.ente_id) for a in anomalie] == [
        (
            "errore",
            "Comune di Cremona destina il 15% (art. 7 bis) e l'8% (art. 7 ter) delle unità, in tutto il 23%: "
            "la lett. d bis) consente al più il 20% per comune.",
            ente("Comune di Cremona").pk,
        )
    ]


def test_a_quota_of_aler_itself_is_not_applied_under_the_per_comune_rule(piano_2027):
    ScelteEnte.objects.update_or_create(
        piano=piano_2027, ente=ente(ALER), defaults={"quota_forze_polizia": 5}
    )
    q02 = [a for a in calcola_piano(piano_2027).anomalie if a.codice == "Q02"]
    assert len(q02) == 1 and q02[0].ente_id == ente(ALER).pk and q02[0].gravita == "errore"
    assert "la percentuale è definita per comune (lett. d bis)" in q02[0].messaggio


def test_c_bis_thresholds_are_received_with_their_categories_and_limit(piano_2027):
    ScelteEnte.objects.update_or_create(
        piano=piano_2027,
        ente=ente(ALER),
        defaults={"soglia_c_bis": 10, "categorie_c_bis": ["anziani", "genitori_separati"]},
    )
    ScelteEnte.objects.filter(piano=piano_2027, ente=ente("Comune di Soresina")).update(
        soglia_c_bis=25, categorie_c_bis=["disabili"]
    )
    calcolo = calcola_piano(piano_2027)
    assert calcolo.cbis is not None
    righe = {r.ente.denominazione: r for r in calcolo.cbis.righe}
    aler = righe[ALER]
    assert aler.categorie == (
        "Anziani",
        "Padri e madri, separati o divorziati, non assegnatari dell'abitazione familiare di proprietà",
    )
    # ALER's units available in 2027 are those carried over: its 2025 states (131 with 5 turnover).
    assert (aler.soglia, aler.unita_massime) == (10, aler.disponibili // 10)
    q03 = [a for a in calcolo.anomalie if a.codice == "Q03"]
    assert [a.messaggio for a in q03] == [
        "Comune di Soresina indica una soglia del 25% per le categorie: la lett. c bis) consente al più il 20% "
        "delle unità disponibili nell'anno."
    ]


def test_section_b_states_the_cost_of_works_and_names_each_unit_without_it(piano_2027):
    carenze = StatoUnita.objects.filter(piano=piano_2027, stato=Stato.CARENZA_MANUTENTIVA).order_by("pk")
    assert carenze.count() == 45
    senza = carenze.first()
    assert senza is not None
    carenze.exclude(pk=senza.pk).update(costo_lavori=Decimal("15000.00"), note_lavori="Impianti e serramenti")
    calcolo = calcola_piano(piano_2027)
    assert calcolo.costi_b is not None
    assert calcolo.costi_b.totale == Decimal("660000.00")  # 44 × € 15.000
    assert calcolo.costi_b.senza_costo == 1
    b01 = [a for a in calcolo.anomalie if a.codice == "B01"]
    assert len(b01) == 1
    assert (b01[0].gravita, b01[0].unita_id) == ("errore", senza.unita_id)  # required since L.R. 18/2025
    assert "senza il costo stimato dei lavori" in b01[0].messaggio


def test_under_rr_2_2025_alone_a_missing_cost_is_only_a_warning(piano_2027):
    piano_2027.regole = RegoleAnno.objects.get(codice="rr-2-2025")
    piano_2027.motivo_regole = "Piano predisposto prima dell'entrata in vigore della L.R. 18/2025."
    piano_2027.save()
    b01 = [a for a in calcola_piano(piano_2027).anomalie if a.codice == "B01"]
    assert len(b01) == 45 and {a.gravita for a in b01} == {"avviso"}


def test_a_new_rule_set_loaded_as_data_changes_the_computation(piano_2027):
    ScelteEnte.objects.filter(piano=piano_2027, ente=ente("Comune di Cremona")).update(
        quota_forze_polizia=20, quota_polizia_locale=5
    )
    assert [a.codice for a in calcola_piano(piano_2027).anomalie if a.codice == "Q01"] == ["Q01"]
    attuali = RegoleAnno.objects.get(codice="lr-18-2025")
    parametri = copy.deepcopy(attuali.parametri)
    parametri["quota_polizia"]["massimo"] = 25
    nuove = RegoleAnno.objects.create(
        codice="ipotesi-25",
        nome="Ipotesi: quota d bis fino al 25%",
        riferimenti="Regole di prova.",
        in_vigore_dal=datetime.date(2026, 6, 1),
        parametri=parametri,
    )
    piano_2027.regole = nuove
    piano_2027.save()
    calcolo = calcola_piano(piano_2027)
    assert [a for a in calcolo.anomalie if a.codice == "Q01"] == []
    assert calcolo.dbis is not None and calcolo.regole is not None
    cremona = next(r for r in calcolo.dbis.righe if r.comune == "Cremona")
    # ALER 101 × 20 % = 20,2 → 21 and the comune 22 × 20 % = 4,4 → 5; 7 ter 5,05 → 6 and 1,1 → 2.
    assert (cremona.percentuale_totale, cremona.unita_7bis, cremona.unita_7ter) == (25, 26, 8)
    assert calcolo.regole.quota_massimo == 25


@pytest.mark.parametrize(
    ("modifica", "messaggio"),
    [
        (lambda p: p.pop("quota_polizia"), "Nei parametri delle regole manca la voce 'quota_polizia'."),
        (
            lambda p: p["quota_polizia"].update(massimo=120),
            "«quota_polizia.massimo» deve essere una percentuale intera da 0 a 100: trovato «120».",
        ),
        (
            lambda p: p.update(costo_lavori_carenza="sempre"),
            "«costo_lavori_carenza» deve essere uno tra non_previsto, facoltativo, obbligatorio: trovato «sempre».",
        ),
    ],
)
def test_a_rule_set_with_wrong_parameters_is_refused_in_italian(db, modifica, messaggio):
    parametri = copy.deepcopy(RegoleAnno.objects.get(codice="lr-18-2025").parametri)
    modifica(parametri)
    with pytest.raises(ValidationError) as errore:
        leggi_parametri(parametri)
    assert errore.value.messages == [messaggio]


@pytest.mark.parametrize("codice", ["lr-11-2024", "lr-18-2025"])
def test_the_computation_costs_the_same_queries_at_one_and_ten_times_under_either_rule_set(db, codice):
    regole = RegoleAnno.objects.get(codice=codice)
    conteggi = []
    for comuni, prefisso in ((48, "098"), (480, "097")):
        piano = crea_ambito(nome=f"Ambito {comuni}", comuni=comuni, prefisso_istat=prefisso)
        PianoAnnuale.objects.filter(pk=piano.pk).update(regole=regole)
        with CaptureQueriesContext(connection) as contesto:
            calcola_piano(piano)
        conteggi.append(len(contesto.captured_queries))
    assert conteggi[0] == conteggi[1]
    assert conteggi[0] == (29 if codice == "lr-11-2024" else 30)


def test_the_rule_sets_since_2018_are_restored_where_something_emptied_the_table(db):
    # The session's Cremonese plan keeps «lr-11-2024» (PROTECT); the others go, as after a flush.
    RegoleAnno.objects.filter(piani__isnull=True).delete()
    assert list(RegoleAnno.objects.values_list("codice", flat=True)) == ["lr-11-2024"]
    assert assicura_regole_predefinite() == ("rr-4-2017-rr-3-2019", "rr-2-2025", "lr-18-2025")
    in_vigore = RegoleAnno.objects.in_vigore_al(datetime.date(2027, 1, 1))
    assert in_vigore is not None and in_vigore.codice == "lr-18-2025"
    assert assicura_regole_predefinite() == ()
