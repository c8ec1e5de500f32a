"""Parte seconda (misure) and terza (altre progettualità): golden tests against seed 002, the rules
with their Italian messages, the loader, the workspace, the spreadsheet import and the query cost.

Figures come from shared/seeds/002_1ad2d10866fbd90a.txt, lines 536-775. Where the seed's own figures
do not add up, the test asserts the check that finds it (fixtures/README.md, «Parte seconda»).
"""

from __future__ import annotations

import datetime
import json
import pathlib
from decimal import Decimal

import pytest
import tablib
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ambito.models import Ambito, Comune
from misure.formati import leggi_importo, scrivi_importo
from misure.forms import MisuraPianoForm
from misure.models import (
    Avviso,
    Delibera,
    InterventoRiqualificazione,
    Misura,
    MisuraPiano,
    Progettualita,
    Provenienza,
    QuotaErogata,
    QuotaSolidarieta,
    RipartoSolidarieta,
    UtilizzoResiduo,
)
from misure.resources import MisuraPianoResource, QuotaSolidarietaResource
from misure.services import MisureNonValide, carica_misure
from patrimonio.models import EnteProprietario, Ruolo, TipoEnte
from piano_annuale.calcolo import (
    MisuraCalcolata,
    ParteSeconda,
    PianoCalcolato,
    TabellaSolidarieta,
    calcola_piano,
    in_euro,
)
from piano_annuale.controlli import CONTROLLI, VINCOLI, messaggio_vincolo
from piano_annuale.models import PianoAnnuale, StatoPiano
from piano_annuale.services.carica import carica_piano
from tests.builders import crea_ambito
from tests.utenti import crea_operatore

FIXTURE = settings.BASE_DIR / "fixtures" / "cremonese_2025.json"
ALER = "ALER Brescia-Cremona-Mantova"
D = Decimal


@pytest.fixture
def p(piano_cremonese) -> PianoCalcolato:
    return calcola_piano(piano_cremonese)


def misura(p: PianoCalcolato, codice: str) -> MisuraCalcolata:
    assert p.parte_seconda is not None
    return next(m for m in p.parte_seconda.misure if m.codice == codice)


def parte_seconda(piano: PianoAnnuale) -> ParteSeconda:
    """The computed parte seconda, which every plan of these tests has."""
    calcolata = calcola_piano(piano).parte_seconda
    assert calcolata is not None
    return calcolata


def solidarieta(piano: PianoAnnuale) -> TabellaSolidarieta:
    """The computed solidarity table, which the tests reading it expect to be there."""
    tabella = parte_seconda(piano).contributo_solidarieta
    assert tabella is not None
    return tabella


def dati_annuali(piano, codice: str) -> MisuraPiano:
    return MisuraPiano.objects.get(piano=piano, misura__codice=codice)


def messaggi(piano, codice: str) -> list[str]:
    return [a.messaggio for a in calcola_piano(piano).anomalie if a.codice == codice]


def ente(nome_comune: str) -> EnteProprietario:
    return EnteProprietario.objects.get(comune__nome=nome_comune)


# --- golden: measures a–e ------------------------------------------------------------------------


def test_the_five_measures_come_in_the_seeds_order_with_their_dgr(p):
    assert [(m.lettera, m.titolo, m.riferimenti) for m in p.parte_seconda.misure] == [
        ("a", "Fondo morosità incolpevole", "DGR 6970/2022 e DGR 1001/2023"),
        ("b", "Misura unica per l'affitto", "DGR 6970/2022 e DGR 1001/2023"),
        ("c", "Misura complementare", "DGR 6970/2022"),
        (
            "d",
            "Sostegno abitativo per l'integrazione del canone di locazione a favore di coniugi separati o divorziati",
            "DGR 7356/2022 e DGR 3649/2023",
        ),
        ("e", "Contributo regionale di solidarietà", "DGR 2563/2024"),
    ]


def test_a_fondo_morosita_incolpevole(p):
    m = misura(p, "morosita-incolpevole")
    assert (m.risorse_impegnate, m.risorse_erogate, m.risorse_residue) == (
        D("188331.50"),
        D("67266.89"),
        D("121064.61"),
    )
    assert m.di_cui == ()
    assert [(u.voce, u.misura_destinataria, u.importo) for u in m.utilizzi_residuo] == [
        (
            "per domande sospese del Comune di Cremona – Misura unica",
            "Misura unica per l'affitto",
            D("42637.55"),
        ),
        (
            "per domande sospese del Comune di Cremona – Misura complementare",
            "Misura complementare",
            D("78427.06"),
        ),
    ]
    assert (m.domande_pervenute, m.domande_respinte, m.domande_approvate) == (22, 3, 19)
    # The seed's breakdown adds up: 188.331,50 − 67.266,89 = 121.064,61 = 42.637,55 + 78.427,06.
    assert m.risorse_impegnate is not None and m.risorse_erogate is not None
    assert m.risorse_impegnate - m.risorse_erogate == m.risorse_residue == m.somma_utilizzi


def test_b_misura_unica_per_l_affitto(p):
    m = misura(p, "misura-unica")
    assert (m.risorse_impegnate, m.risorse_erogate, m.risorse_residue) == (
        D("376663.00"),
        D("471839.55"),
        None,
    )
    assert [
        (d.voce, d.provenienza, d.delibera, d.residuo_di, d.importo, d.domande_approvate) for d in m.di_cui
    ] == [
        ("finanziate con DGR 6970/22", "impegno", "DGR 6970/2022", (), D("376663.00"), 208),
        (
            "finanziate con DGR 6970/22 residui di Fondo morosità incolpevole e Misura complementare",
            "residuo",
            "DGR 6970/2022",
            ("Fondo morosità incolpevole", "Misura complementare"),
            D("42637.55"),
            24,
        ),
        ("finanziate con DGR 1001/23", "altro", "DGR 1001/2023", (), D("52539.00"), 30),
    ]
    assert (m.domande_pervenute, m.domande_respinte, m.domande_approvate) == (297, 35, 262)
    assert m.somma_di_cui == m.risorse_erogate
    assert m.domande_di_cui == m.domande_approvate == 208 + 24 + 30


def test_c_misura_complementare(p):
    m = misura(p, "misura-complementare")
    assert (m.risorse_impegnate, m.risorse_erogate) == (D("188331.50"), D("266483.60"))
    assert [(d.provenienza, d.residuo_di, d.importo, d.domande_approvate) for d in m.di_cui] == [
        ("impegno", (), D("188331.50"), None),
        ("residuo", ("Fondo morosità incolpevole",), D("78152.10"), None),
    ]
    assert (m.domande_pervenute, m.domande_respinte, m.domande_approvate) == (86, 4, 82)
    assert m.somma_di_cui == m.risorse_erogate
    assert "Fondo Povertà" in m.note and "52.539,00" in m.note


def test_d_and_e_have_a_description_and_no_figures(p):
    d = misura(p, "coniugi-separati")
    assert d.descrizione.startswith("Misura a favore dei genitori separati o divorziati con figli")
    assert (d.risorse_impegnate, d.risorse_erogate, d.domande_pervenute) == (None, None, None)
    e = misura(p, "contributo-solidarieta")
    assert e.descrizione.startswith("Il contributo di solidarietà è un'agevolazione economica")
    assert "DGR 2563/2024" in e.note


def test_measures_expected_again_in_2025(p):
    assert p.parte_seconda.misure_in_rinnovo == (
        "Fondo morosità incolpevole",
        "Contributo regionale di solidarietà",
    )


# --- golden: contributo regionale di solidarietà -------------------------------------------------


def test_solidarity_split_has_aler_and_the_48_comuni(p):
    cs = p.parte_seconda.contributo_solidarieta
    assert (cs.anno_riparto, cs.delibera) == (2024, "DGR 2563/2024")
    assert len(cs.righe) == 49
    assert cs.gruppi[0].denominazione == "ALER"
    aler = cs.gruppi[0].righe[0]
    assert (aler.comune, aler.riparto, aler.residuo, aler.totale) == (
        ALER,
        D("1580172.59"),
        D("10561.24"),
        D("1590733.83"),
    )
    cremona = next(r for r in cs.righe if r.comune == "Cremona")
    assert (cremona.riparto, cremona.residuo, cremona.totale) == (D("64546.25"), D("1559.37"), D("66105.62"))
    assert all(r.riparto + r.residuo == r.totale for r in cs.righe)


def test_solidarity_totals_per_aggregazione_are_computed_with_the_comunes_own_aggregazione(p):
    cs = p.parte_seconda.contributo_solidarieta
    per_gruppo = {
        g.denominazione: (len(g.righe), g.totale.riparto, g.totale.residuo, g.totale.totale)
        for g in cs.gruppi
    }
    assert per_gruppo == {
        "ALER": (1, D("1580172.59"), D("10561.24"), D("1590733.83")),
        "AT 1 – Centro": (5, D("0.00"), D("31769.27"), D("31769.27")),
        "AT 2 – Centro Nord": (6, D("2863.44"), D("15631.45"), D("18494.89")),  # Soresina is here
        "AT 3 – Centro Sud": (7, D("0.00"), D("28298.47"), D("28298.47")),
        "AT 4 – Sud Est": (8, D("0.00"), D("12207.62"), D("12207.62")),
        "AT 5 – Sud": (12, D("0.00"), D("17963.75"), D("17963.75")),
        "AT 6 – Nord": (9, D("1431.47"), D("11135.28"), D("12566.75")),  # San Bassano is here
        "AT 7 – Cremona": (1, D("64546.25"), D("1559.37"), D("66105.62")),
    }
    assert (cs.totale.riparto, cs.totale.residuo, cs.totale.totale) == (
        D("1649013.75"),
        D("129126.45"),
        D("1778140.20"),
    )
    # The PDF template reads the new allocation as «assegnazione».
    assert cs.totale.assegnazione == cs.totale.riparto and cs.righe[0].assegnazione == cs.righe[0].riparto


def test_the_seeds_own_grouping_kept_on_the_rows_gives_other_subtotals(p, piano_cremonese):
    # As the seed prints it, «AT CENTRO» holds Soresina (2.863,44) and «AT CENTRO NORD» San Bassano.
    def come_indicato(numero: int) -> tuple[Decimal, Decimal]:
        righe = QuotaSolidarieta.objects.filter(piano=piano_cremonese, aggregazione_indicata__numero=numero)
        return (sum((r.riparto for r in righe), D("0")), sum((r.totale for r in righe), D("0")))

    assert come_indicato(1) == (D("2863.44"), D("34632.71"))
    assert come_indicato(2) == (D("0.00"), D("15631.45"))
    # The plan groups each comune in its own aggregazione instead.
    gruppi = {g.numero: g.totale for g in p.parte_seconda.contributo_solidarieta.gruppi}
    assert (gruppi[1].riparto, gruppi[1].totale) == (D("0.00"), D("31769.27"))
    assert (gruppi[2].riparto, gruppi[2].totale) == (D("2863.44"), D("18494.89"))


def test_the_summary_is_computed_3_18_27_not_the_seeds_4_18_26(p):
    sintesi = p.parte_seconda.contributo_solidarieta.sintesi
    assert [(s.codice, s.numero) for s in sintesi] == [
        ("con_riparto", 3),
        ("solo_residuo", 18),
        ("senza_contributo", 27),
    ]
    assert sintesi[0].comuni == ("Cremona", "Pizzighettone", "Soresina")
    assert sintesi[0].descrizione == "comuni che hanno ricevuto una nuova assegnazione (riparto 2024)"
    assert "Spinadesco" in sintesi[1].comuni and "Castelverde" in sintesi[1].comuni
    assert sum(s.numero for s in sintesi) == 48


# --- golden: renovation funds and part three -----------------------------------------------------


def test_renovation_funds_per_ente(p):
    interventi = p.parte_seconda.riqualificazione
    assert [(i.contesto, i.ente, i.alloggi) for i in interventi] == [
        ("Città di Cremona", None, None),
        ("Città di Cremona", "Comune di Cremona", 10),
        ("Città di Cremona", "Comune di Cremona", 12),
        ("Città di Cremona", "Comune di Cremona", 5),
        ("Città di Cremona", "Comune di Cremona", None),
        ("Città di Cremona", "Comune di Cremona", None),
        ("Città di Cremona", ALER, 73),
        ("Territorio di Cremona", None, None),
        ("Territorio di Cremona", "Comune di Pizzighettone", 13),
    ]
    # The seed states no amount for any of them.
    assert all(i.importo is None for i in interventi)
    assert [c for c, _ in p.parte_seconda.riqualificazione_per_contesto] == [
        "Città di Cremona",
        "Territorio di Cremona",
    ]


def test_part_three_lists_the_six_projects_with_the_tutor_condominiale_first(p):
    progetti = p.parte_terza.progetti
    assert [pr.titolo for pr in progetti] == [
        "Servizio di Tutor Condominiale",
        "Rigenerazione urbana «Giovani in Centro»",
        "Servizio di Housing Sociale",
        "Alloggi di housing sociale destinati ad anziani autosufficienti",
        "Alloggi di housing sociale destinati alla fragilità psichica",
        "Alloggi a canone calmierato",
    ]
    tutor = progetti[0]
    assert tutor.promotore == "Comune di Cremona"
    assert "Cosper e Nazareth" in tutor.partner  # seed 003
    assert "ottobre 2025" in tutor.periodo and "settembre 2021" in tutor.periodo
    assert tutor.costo is None  # no seed states the cost for 2025
    assert "14325" in tutor.finanziamento  # seed 004


def test_the_computed_plan_serialises_parts_two_and_three(p):
    dati = json.loads(p.as_json())
    assert dati["parte_seconda"]["misure"][0]["risorse_impegnate"] == "188331.50"
    assert dati["parte_terza"]["progetti"][0]["titolo"] == "Servizio di Tutor Condominiale"


# --- the seed's contradictions, found by the checks ----------------------------------------------


def test_the_cremonese_part_two_raises_exactly_the_seeds_contradictions(piano_cremonese):
    codici = [a.codice for a in calcola_piano(piano_cremonese).anomalie if a.codice.startswith("M")]
    assert sorted(codici) == ["M06", "M06", "M07", "M08", "M09", "M10", "M10", "M11", "M11"]


def test_m07_residual_moved_from_the_fondo_morosita_to_the_misura_complementare_differs(piano_cremonese):
    # Seed line 548: 78.427,06 of the Fondo's residual go to the Misura complementare; line 583: the
    # Misura complementare received 78.152,10 from it. Difference 274,96.
    assert messaggi(piano_cremonese, "M07") == [
        "Misura complementare: le voci «di cui» finanziate con residui di altre misure sommano € 78.152,10, "
        "ma i residui che le altre misure destinano a questa sono € 78.427,06 (Fondo morosità incolpevole "
        "€ 78.427,06): differenza € 274,96."
    ]


def test_m06_paid_above_committed_for_the_misura_unica_and_the_complementare(piano_cremonese):
    assert messaggi(piano_cremonese, "M06") == [
        "Misura unica per l'affitto: le risorse erogate (€ 471.839,55) superano quelle impegnate "
        "(€ 376.663,00) di € 95.176,55, finanziati da residui di altre misure o da altri finanziamenti: le "
        "risorse impegnate indicate non comprendono tutte le fonti della misura.",
        "Misura complementare: le risorse erogate (€ 266.483,60) superano quelle impegnate (€ 188.331,50) di "
        "€ 78.152,10, finanziati da residui di altre misure o da altri finanziamenti: le risorse impegnate "
        "indicate non comprendono tutte le fonti della misura.",
    ]


def test_m08_misura_unica_claims_residuals_the_misura_complementare_never_gave(piano_cremonese):
    assert messaggi(piano_cremonese, "M08") == [
        "Misura unica per l'affitto: la voce «finanziate con DGR 6970/22 residui di Fondo morosità incolpevole "
        "e Misura complementare» indica fondi dai residui di «Misura complementare», ma «Misura complementare» "
        "non destina alcuna parte del proprio residuo a «Misura unica per l'affitto»."
    ]


def test_m09_the_misura_complementare_repeats_the_fondos_committed_amount(piano_cremonese):
    assert messaggi(piano_cremonese, "M09") == [
        "Fondo morosità incolpevole e Misura complementare indicano le stesse risorse impegnate "
        "(€ 188.331,50): verificare che la cifra non sia stata ripetuta per errore."
    ]


def test_m10_the_seeds_summary_contradicts_its_table(piano_cremonese):
    assert messaggi(piano_cremonese, "M10") == [
        "Contributo regionale di solidarietà: la sintesi dichiara 4 comuni con una nuova assegnazione, ma dalla "
        "tabella di riparto ne risultano 3 (Cremona, Pizzighettone, Soresina).",
        "Contributo regionale di solidarietà: la sintesi dichiara 26 comuni senza contributo né residui, ma "
        "dalla tabella di riparto ne risultano 27.",
    ]


def test_m11_soresina_and_san_bassano_are_listed_under_another_aggregazione(piano_cremonese):
    assert messaggi(piano_cremonese, "M11") == [
        "Contributo regionale di solidarietà: la tabella di riparto colloca il comune di San Bassano nell'AT 2 "
        "– Centro Nord, ma il comune appartiene all'AT 6 – Nord; il piano lo raggruppa nella sua aggregazione.",
        "Contributo regionale di solidarietà: la tabella di riparto colloca il comune di Soresina nell'AT 1 – "
        "Centro, ma il comune appartiene all'AT 2 – Centro Nord; il piano lo raggruppa nella sua aggregazione.",
    ]


# --- each rule, triggered ------------------------------------------------------------------------


def test_m01_paid_differs_from_its_di_cui_lines(piano_cremonese):
    MisuraPiano.objects.filter(pk=dati_annuali(piano_cremonese, "misura-unica").pk).update(
        risorse_erogate=D("471000.00")
    )
    assert messaggi(piano_cremonese, "M01") == [
        "Misura unica per l'affitto: le risorse erogate (€ 471.000,00) non corrispondono alla somma delle voci "
        "«di cui» (€ 471.839,55): differenza € 839,55."
    ]


def test_m02_approved_applications_differ_from_the_sum_per_source(piano_cremonese):
    QuotaErogata.objects.filter(voce="finanziate con DGR 1001/23").update(domande_approvate=31)
    assert messaggi(piano_cremonese, "M02") == [
        "Misura unica per l'affitto: le domande approvate e finanziate (262) non corrispondono alla somma delle "
        "domande finanziate per fonte (263)."
    ]


def test_m03_residual_differs_from_committed_minus_paid(piano_cremonese):
    MisuraPiano.objects.filter(pk=dati_annuali(piano_cremonese, "morosita-incolpevole").pk).update(
        risorse_erogate=D("67000.00")
    )
    assert messaggi(piano_cremonese, "M03") == [
        "Fondo morosità incolpevole: le risorse residue (€ 121.064,61) non corrispondono alle risorse impegnate "
        "(€ 188.331,50) meno quelle erogate a valere sull'impegno (€ 67.000,00), cioè € 121.331,50."
    ]


def test_m04_residual_differs_from_its_uses(piano_cremonese):
    UtilizzoResiduo.objects.filter(importo=D("42637.55")).update(importo=D("42000.00"))
    assert messaggi(piano_cremonese, "M04") == [
        "Fondo morosità incolpevole: le risorse residue (€ 121.064,61) non corrispondono alla somma dei loro "
        "utilizzi (€ 120.427,06): differenza € 637,55."
    ]


def test_m05_paid_out_of_the_commitment_beyond_it(piano_cremonese):
    MisuraPiano.objects.filter(pk=dati_annuali(piano_cremonese, "misura-complementare").pk).update(
        risorse_impegnate=D("150000.00")
    )
    assert messaggi(piano_cremonese, "M05") == [
        "Misura complementare: le voci «di cui» a valere sulle risorse impegnate sommano € 188.331,50, oltre le "
        "risorse impegnate (€ 150.000,00) di € 38.331,50."
    ]
    # Not also reported as «covered by other sources».
    assert not any(m.startswith("Misura complementare") for m in messaggi(piano_cremonese, "M06"))


def test_m05_without_di_cui_lines(piano_cremonese):
    MisuraPiano.objects.filter(pk=dati_annuali(piano_cremonese, "morosita-incolpevole").pk).update(
        risorse_erogate=D("200000.00"), risorse_residue=None
    )
    UtilizzoResiduo.objects.all().delete()
    assert messaggi(piano_cremonese, "M05") == [
        "Fondo morosità incolpevole: le risorse erogate (€ 200.000,00) superano quelle impegnate (€ 188.331,50) "
        "di € 11.668,50, e nessuna voce «di cui» indica da quali altre fonti provenga la differenza."
    ]


def test_m07_uses_towards_a_measure_that_declares_no_residual(piano_cremonese):
    QuotaErogata.objects.filter(provenienza=Provenienza.RESIDUO).delete()
    assert messaggi(piano_cremonese, "M07") == [
        "Misura complementare: le voci «di cui» finanziate con residui di altre misure sommano € 0,00, ma i "
        "residui che le altre misure destinano a questa sono € 78.427,06 (Fondo morosità incolpevole "
        "€ 78.427,06): differenza € 78.427,06.",
        "Misura unica per l'affitto: le voci «di cui» finanziate con residui di altre misure sommano € 0,00, ma "
        "i residui che le altre misure destinano a questa sono € 42.637,55 (Fondo morosità incolpevole "
        "€ 42.637,55): differenza € 42.637,55.",
    ]


def test_m12_solidarity_row_of_an_ente_outside_the_ambito(piano_cremonese):
    altro = Ambito.objects.create(nome="Altro ambito")
    estraneo = EnteProprietario.objects.create(ambito=altro, tipo=TipoEnte.ALER, denominazione="ALER Milano")
    QuotaSolidarieta.objects.create(piano=piano_cremonese, ente=estraneo, riparto=D("10"), totale=D("10"))
    assert messaggi(piano_cremonese, "M12") == [
        "Contributo regionale di solidarietà: la riga di «ALER Milano» riguarda un ente che non fa parte "
        "dell'ambito «Ambito Sociale Territoriale Cremonese»: non è conteggiata."
    ]
    assert solidarieta(piano_cremonese).totale.riparto == D("1649013.75")


def test_m13_comune_without_a_row_counts_as_without_contribution(piano_cremonese):
    QuotaSolidarieta.objects.filter(piano=piano_cremonese, ente=ente("Cremona")).delete()
    assert messaggi(piano_cremonese, "M13") == [
        "Contributo regionale di solidarietà: nessuna riga per il comune di Cremona; è contato tra i comuni "
        "senza contributo né residui."
    ]
    cs = solidarieta(piano_cremonese)
    assert (cs.conteggio("con_riparto"), cs.conteggio("senza_contributo")) == (2, 28)


def test_m14_avviso_with_a_comune_outside_the_ambito(piano_cremonese):
    avviso = Avviso.objects.create(piano=piano_cremonese, titolo="Avviso di prova", numero="1/2024")
    milano = Comune.objects.create(codice_istat="015146", nome="Milano", provincia="MI")
    avviso.comuni_aderenti.set([milano, Comune.objects.get(nome="Cremona")])
    assert messaggi(piano_cremonese, "M14") == [
        "L'avviso «Avviso di prova» elenca tra i comuni aderenti Milano, che non fa parte dell'ambito "
        "«Ambito Sociale Territoriale Cremonese»: non è contato."
    ]
    assert parte_seconda(piano_cremonese).avvisi[0].adesione == "1 su 48"


def test_m15_avviso_for_a_measure_without_figures_in_the_plan(piano_cremonese):
    altra = Misura.objects.create(codice="housing-first", nome="Housing first", ordine=9)
    avviso = Avviso.objects.create(piano=piano_cremonese, titolo="Avviso housing first", data="2024-06-01")
    avviso.misure.set([altra])
    assert messaggi(piano_cremonese, "M15") == [
        "L'avviso «Avviso housing first» apre la misura «Housing first», che non ha dati nel piano."
    ]


def test_m16_di_cui_line_from_residuals_without_its_origin(piano_cremonese):
    quota = QuotaErogata.objects.get(voce__startswith="finanziate tramite residuo")
    quota.residuo_di.clear()
    assert messaggi(piano_cremonese, "M16") == [
        "Misura complementare: la voce «finanziate tramite residuo impegnato per il Fondo morosità incolpevole "
        "DGR 6970/22» è indicata come finanziata con residui di altre misure, ma non dice di quali misure."
    ]


def test_an_avviso_counts_the_comuni_that_joined_39_su_48(piano_cremonese):
    avviso = Avviso.objects.create(
        piano=piano_cremonese, titolo="Avviso contributo di solidarietà 2024", numero="3"
    )
    avviso.misure.set([Misura.objects.get(codice="contributo-solidarieta")])
    avviso.comuni_aderenti.set(Comune.objects.filter(ambito=piano_cremonese.ambito).order_by("nome")[:39])
    calcolato = parte_seconda(piano_cremonese).avvisi[0]
    assert (calcolato.adesione, calcolato.misure) == ("39 su 48", ("Contributo regionale di solidarietà",))
    assert not messaggi(piano_cremonese, "M15")


def test_every_misure_check_is_in_the_catalogue_with_a_test():
    sorgente = pathlib.Path(__file__).read_text(encoding="utf-8")
    codici = [c.codice for c in CONTROLLI if c.codice.startswith("M")]
    assert codici == [f"M{n:02d}" for n in range(1, 17)]
    assert all(f"def test_{codice.lower()}_" in sorgente for codice in codici)


def test_a_synthetic_plan_with_consistent_measures_has_no_anomaly(db):
    piano = crea_ambito(nome="Ambito coerente", comuni=4, prefisso_istat="094")
    m = Misura.objects.create(codice="prova", nome="Misura di prova", ordine=1)
    mp = MisuraPiano.objects.create(
        piano=piano,
        misura=m,
        risorse_impegnate=D("1000.00"),
        risorse_erogate=D("600.00"),
        risorse_residue=D("400.00"),
        domande_pervenute=5,
        domande_approvate=4,
        domande_respinte=1,
    )
    QuotaErogata.objects.create(misura_piano=mp, voce="impegno", importo=D("600.00"), domande_approvate=4)
    UtilizzoResiduo.objects.create(misura_piano=mp, voce="a nuove domande", importo=D("400.00"))
    for e in EnteProprietario.objects.filter(ambito=piano.ambito):
        QuotaSolidarieta.objects.create(
            piano=piano, ente=e, riparto=D("5.00"), residuo=D("1.00"), totale=D("6.00")
        )
    calcolo = calcola_piano(piano)
    assert calcolo.anomalie == ()
    assert calcolo.parte_seconda and calcolo.parte_seconda.contributo_solidarieta
    assert calcolo.parte_seconda.contributo_solidarieta.conteggio("con_riparto") == 4


# --- rules the database enforces -----------------------------------------------------------------


def vincolo_rifiutato(scrivi) -> str:
    with pytest.raises(IntegrityError) as errore, transaction.atomic():
        scrivi()
    return messaggio_vincolo(errore.value)


def test_database_refuses_approved_plus_rejected_different_from_received(piano_cremonese):
    mp = dati_annuali(piano_cremonese, "morosita-incolpevole")
    mp.domande_respinte = 4
    assert vincolo_rifiutato(mp.save) == (
        "Le domande approvate più quelle non approvate devono essere pari alle domande pervenute."
    )
    assert VINCOLI["misura_domande_approvate_piu_respinte"] == vincolo_rifiutato(mp.save)


def test_database_refuses_a_solidarity_total_other_than_riparto_plus_residuo(piano_cremonese):
    riga = QuotaSolidarieta.objects.get(piano=piano_cremonese, ente=ente("Cremona"))
    riga.totale = D("66105.63")
    assert vincolo_rifiutato(riga.save) == (
        "Il totale disponibile deve essere la somma della nuova assegnazione e del residuo degli anni precedenti."
    )


@pytest.mark.parametrize(
    ("modello", "campo"),
    [
        (MisuraPiano, "risorse_impegnate"),
        (MisuraPiano, "risorse_erogate"),
        (MisuraPiano, "risorse_residue"),
        (QuotaErogata, "importo"),
        (UtilizzoResiduo, "importo"),
        (QuotaSolidarieta, "riparto"),
        (QuotaSolidarieta, "residuo"),
    ],
)
def test_database_refuses_negative_amounts(piano_cremonese, modello, campo):
    riga = modello.objects.filter(**{f"{campo}__gt": 0}).first()
    setattr(riga, campo, D("-1.00"))
    if modello is QuotaSolidarieta:
        riga.totale = riga.riparto + riga.residuo  # only the sign is wrong
    assert vincolo_rifiutato(riga.save) == "Gli importi non possono essere negativi."


def test_database_refuses_negative_amounts_of_renovations_and_projects(piano_cremonese):
    intervento = InterventoRiqualificazione.objects.first()
    assert intervento is not None
    intervento.importo = D("-5")
    assert vincolo_rifiutato(intervento.save) == "Gli importi non possono essere negativi."
    progetto = Progettualita.objects.first()
    assert progetto is not None
    progetto.costo = D("-5")
    assert vincolo_rifiutato(progetto.save) == "Gli importi non possono essere negativi."


def test_database_refuses_a_di_cui_line_without_amount_nor_applications(piano_cremonese):
    quota = QuotaErogata.objects.first()
    assert quota is not None
    quota.importo = quota.domande_approvate = None
    assert (
        vincolo_rifiutato(quota.save)
        == "Indicare l'importo o il numero di domande finanziate con questa fonte."
    )


def test_database_refuses_an_avviso_without_number_nor_date(piano_cremonese):
    avviso = Avviso(piano=piano_cremonese, titolo="Senza estremi")
    assert vincolo_rifiutato(avviso.save) == "Indicare il numero o la data dell'avviso."


def test_database_refuses_a_project_ending_before_it_starts(piano_cremonese):
    progetto = Progettualita.objects.first()
    assert progetto is not None
    progetto.data_inizio, progetto.data_fine = datetime.date(2025, 10, 1), datetime.date(2021, 9, 1)
    assert vincolo_rifiutato(progetto.save) == "La data di fine non può precedere quella di inizio."


def test_database_refuses_implausible_years(piano_cremonese):
    assert vincolo_rifiutato(lambda: Delibera.objects.create(numero="1", anno=1900)) == (
        "L'anno della delibera non è plausibile."
    )
    riparto = RipartoSolidarieta.objects.get(piano=piano_cremonese)
    riparto.anno_riparto = 2010
    assert vincolo_rifiutato(riparto.save).startswith("L'anno del riparto non è plausibile")


def test_the_form_shows_the_rules_message_in_italian(piano_cremonese):
    mp = dati_annuali(piano_cremonese, "morosita-incolpevole")
    form = MisuraPianoForm(
        {
            "misura": mp.misura_id,
            "domande_pervenute": "22",
            "domande_approvate": "19",
            "domande_respinte": "4",
        },
        instance=mp,
        piano=piano_cremonese,
    )
    assert not form.is_valid()
    assert form.non_field_errors() == [
        "Le domande approvate più quelle non approvate devono essere pari alle domande pervenute."
    ]


# --- formats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("testo", "atteso"),
    [
        ("188.331,50", "188331.50"),
        ("€ 1.580.172,59", "1580172.59"),
        ("9135,28", "9135.28"),
        ("1580172.59", "1580172.59"),
        ("2.000", "2000.00"),
        (1431.47, "1431.47"),
        (52539, "52539.00"),
    ],
)
def test_amounts_are_read_the_italian_way(testo, atteso):
    assert leggi_importo(testo) == D(atteso)


@pytest.mark.parametrize("testo", ["dodici", "1,234", "1.234,567"])
def test_amounts_that_are_not_amounts_are_refused_in_italian(testo):
    with pytest.raises(ValueError, match="importo|decimali"):
        leggi_importo(testo)


def test_amounts_are_written_the_italian_way():
    assert scrivi_importo(D("1580172.59")) == "1.580.172,59"
    assert in_euro(D("188331.5")) == "€ 188.331,50"


# --- loader ----------------------------------------------------------------------------------------


def fixture_misure() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["piano"]["misure"]


def righe_misure() -> dict[str, int]:
    modelli: tuple[type[Model], ...] = (Misura, Delibera, MisuraPiano, QuotaErogata, UtilizzoResiduo, Avviso)
    modelli += (RipartoSolidarieta, QuotaSolidarieta, InterventoRiqualificazione, Progettualita)
    return {m.__name__: m._default_manager.count() for m in modelli}


def test_the_fixture_loads_every_row_of_parts_two_and_three(piano_cremonese):
    assert righe_misure() == {
        "Misura": 5,
        "Delibera": 5,
        "MisuraPiano": 5,
        "QuotaErogata": 5,
        "UtilizzoResiduo": 2,
        "Avviso": 0,
        "RipartoSolidarieta": 1,
        "QuotaSolidarieta": 49,
        "InterventoRiqualificazione": 9,
        "Progettualita": 6,
    }


def test_loading_the_section_twice_changes_nothing(piano_cremonese):
    prima = righe_misure()
    valori = list(QuotaSolidarieta.objects.order_by("pk").values_list())
    carica_misure(piano=piano_cremonese, dati=fixture_misure())
    carica_misure(piano=piano_cremonese, dati=fixture_misure())
    assert righe_misure() == prima
    assert list(QuotaSolidarieta.objects.order_by("pk").values_list()) == valori


def test_rows_no_longer_in_the_file_are_removed_and_the_catalogue_stays(piano_cremonese):
    dati = fixture_misure()
    dati["dati_annuali"] = [d for d in dati["dati_annuali"] if d["misura"] != "coniugi-separati"]
    dati["progettualita"] = dati["progettualita"][:2]
    del dati["contributo_solidarieta"]
    carica_misure(piano=piano_cremonese, dati=dati)
    assert not MisuraPiano.objects.filter(misura__codice="coniugi-separati").exists()
    assert Misura.objects.filter(codice="coniugi-separati").exists()
    assert Progettualita.objects.count() == 2
    assert not QuotaSolidarieta.objects.exists() and not RipartoSolidarieta.objects.exists()
    assert parte_seconda(piano_cremonese).contributo_solidarieta is None


def test_an_invalid_section_is_refused_in_italian_and_the_whole_file_writes_nothing(
    piano_cremonese, tmp_path
):
    dati = json.loads(FIXTURE.read_text(encoding="utf-8"))
    misure = dati["piano"]["misure"]
    misure["contributo_solidarieta"]["righe"][1]["totale"] = "5.00"
    misure["contributo_solidarieta"]["righe"][2]["ente"] = "Comune di Atlantide"
    misure["dati_annuali"][0]["risorse_impegnate"] = 188331.5
    misure["dati_annuali"][0]["domande_respinte"] = 4
    misure["dati_annuali"][1]["di_cui"][1]["residuo_di"] = ["sconosciuta"]
    dati["piano"]["consistenze"] = dati["piano"]["consistenze"][:3]  # would delete 39 rows if written
    percorso = tmp_path / "piano.json"
    percorso.write_text(json.dumps(dati, ensure_ascii=False), encoding="utf-8")
    prima = righe_misure()
    consistenze = piano_cremonese.consistenze.count()
    with pytest.raises(MisureNonValide) as errore:
        carica_piano(percorso=percorso)
    testo = str(errore.value)
    assert testo.startswith("La parte «misure» del file del piano non è valida:")
    assert "il totale 5.00 non è la somma di riparto 0.00 e residuo 0.00" in testo
    assert "ente sconosciuto «Comune di Atlantide»" in testo
    assert "«risorse_impegnate» deve essere un importo non negativo scritto come stringa" in testo
    assert (
        "le domande approvate (19) più quelle non approvate (4) devono essere pari alle pervenute (22)"
        in testo
    )
    assert "misura sconosciuta «sconosciuta»" in testo
    assert righe_misure() == prima
    assert piano_cremonese.consistenze.count() == consistenze


def test_the_section_must_be_an_object_of_lists(piano_cremonese):
    with pytest.raises(ValueError, match="deve essere un elenco di oggetti"):
        carica_misure(piano=piano_cremonese, dati={"catalogo": "no"})


# --- workspace ------------------------------------------------------------------------------------


@pytest.fixture
def ufficio(piano_cremonese):
    return crea_operatore("ufficio_misure", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)


@pytest.fixture
def operatore_comune(piano_cremonese):
    return crea_operatore("comune_misure", piano_cremonese.ambito, Ruolo.COMUNE, ente("Cremona"))


def fotografia_misure() -> dict[str, list[tuple]]:
    modelli: tuple[type[Model], ...] = (
        MisuraPiano,
        QuotaErogata,
        UtilizzoResiduo,
        Avviso,
        RipartoSolidarieta,
    )
    modelli += (QuotaSolidarieta, InterventoRiqualificazione, Progettualita)
    return {m.__name__: list(m._default_manager.order_by("pk").values_list()) for m in modelli}


def dati_modulo_misura(mp: MisuraPiano, **modifiche: str) -> dict[str, str | list[str]]:
    """The POST of the measure's page as the browser sends it, with ``modifiche``."""
    dati: dict[str, str | list[str]] = {
        "misura": str(mp.misura_id),
        "risorse_impegnate": scrivi_importo(mp.risorse_impegnate),
        "risorse_erogate": scrivi_importo(mp.risorse_erogate),
        "risorse_residue": scrivi_importo(mp.risorse_residue),
        "domande_pervenute": str(mp.domande_pervenute or ""),
        "domande_approvate": str(mp.domande_approvate or ""),
        "domande_respinte": str(mp.domande_respinte or ""),
        "note": mp.note,
        "quote-TOTAL_FORMS": "0",
        "quote-INITIAL_FORMS": "0",
        "utilizzi-TOTAL_FORMS": "0",
        "utilizzi-INITIAL_FORMS": "0",
    }
    for n, q in enumerate(mp.quote.order_by("ordine")):
        dati |= {
            f"quote-{n}-id": str(q.pk),
            f"quote-{n}-misura_piano": str(mp.pk),
            f"quote-{n}-ordine": str(q.ordine),
            f"quote-{n}-voce": q.voce,
            f"quote-{n}-provenienza": q.provenienza,
            f"quote-{n}-delibera": q.delibera.chiave if q.delibera else "",
            f"quote-{n}-importo": scrivi_importo(q.importo),
            f"quote-{n}-domande_approvate": str(q.domande_approvate or ""),
        }
        if q.residuo_di.exists():
            dati[f"quote-{n}-residuo_di"] = [str(m.pk) for m in q.residuo_di.all()]
        dati["quote-TOTAL_FORMS"] = dati["quote-INITIAL_FORMS"] = str(n + 1)
    for n, u in enumerate(mp.utilizzi.order_by("ordine")):
        dati |= {
            f"utilizzi-{n}-id": str(u.pk),
            f"utilizzi-{n}-misura_piano": str(mp.pk),
            f"utilizzi-{n}-ordine": str(u.ordine),
            f"utilizzi-{n}-voce": u.voce,
            f"utilizzi-{n}-misura_destinataria": str(u.misura_destinataria_id or ""),
            f"utilizzi-{n}-importo": scrivi_importo(u.importo),
        }
        dati["utilizzi-TOTAL_FORMS"] = dati["utilizzi-INITIAL_FORMS"] = str(n + 1)
    if mp.rinnovo_previsto:
        dati["rinnovo_previsto"] = "on"
    return dati | modifiche


def test_the_ufficio_di_piano_sees_parts_two_and_three_with_italian_amounts(client, ufficio, piano_cremonese):
    client.force_login(ufficio)
    risposta = client.get(reverse("misure:panoramica", args=[piano_cremonese.pk]))
    assert risposta.status_code == 200
    testo = risposta.content.decode()
    for atteso in [
        "Parte seconda – Il supporto all'abitare",
        "a) Fondo morosità incolpevole (DGR 6970/2022 e DGR 1001/2023)",
        "€ 188.331,50",
        "€ 1.778.140,20",
        "Totale AT 6 – Nord",
        "Parte terza – Altre progettualità",
        "Servizio di Tutor Condominiale",
        "M07",
    ]:
        assert atteso in testo, atteso


def test_the_overview_prints_the_computed_totals_even_with_a_row_outside_the_ambito(
    client, ufficio, piano_cremonese
):
    altro = Ambito.objects.create(nome="Altro ambito")
    estraneo = EnteProprietario.objects.create(ambito=altro, tipo=TipoEnte.ALER, denominazione="ALER Milano")
    QuotaSolidarieta.objects.create(piano=piano_cremonese, ente=estraneo, riparto=D("10"), totale=D("10"))
    totale = solidarieta(piano_cremonese).totale
    assert (totale.riparto, totale.residuo, totale.totale) == (
        D("1649013.75"),
        D("129126.45"),
        D("1778140.20"),
    )

    client.force_login(ufficio)
    testo = client.get(reverse("misure:panoramica", args=[piano_cremonese.pk])).content.decode()
    riga = testo[testo.index('id="totale-solidarieta"') :].split("</p>")[0]
    assert "totale disponibile € 1.778.140,20 (riparto € 1.649.013,75, residui € 129.126,45)" in riga
    # A sum over the stored rows would count ALER Milano's € 10.
    assert "1.778.150,20" not in testo and "1.649.023,75" not in testo


def test_the_overview_lists_each_measure_with_the_sums_of_the_computed_plan(client, ufficio, piano_cremonese):
    client.force_login(ufficio)
    risposta = client.get(reverse("misure:panoramica", args=[piano_cremonese.pk]))
    unica = next(m for m in risposta.context["ps"].misure if m.codice == "misura-unica")
    assert (unica.somma_di_cui, unica.domande_di_cui) == (D("471839.55"), 262)
    testo = risposta.content.decode()
    riga = testo[testo.index(reverse("misure:misura", args=[piano_cremonese.pk, unica.id])) :].split("</tr>")[
        0
    ]
    assert "Misura unica per l&#x27;affitto" in riga and "€ 471.839,55" in riga


def test_the_plan_page_shows_parts_two_and_three(client, ufficio, piano_cremonese):
    client.force_login(ufficio)
    testo = client.get(reverse("piano_annuale:piano_detail", args=[piano_cremonese.pk])).content.decode()
    assert "Parte seconda – Il supporto all'abitare" in testo
    assert "€ 471.839,55" in testo
    assert "Sinteticamente" in testo and "<strong>27</strong>" in testo
    assert "Parte terza – Altre progettualità di sostegno al disagio abitativo" in testo
    assert reverse("misure:panoramica", args=[piano_cremonese.pk]) in testo
    assert testo.index("Parte terza") < testo.index("Catalogo dei controlli")


def test_the_ufficio_di_piano_changes_a_measure_typing_italian_amounts(client, ufficio, piano_cremonese):
    client.force_login(ufficio)
    mp = dati_annuali(piano_cremonese, "misura-complementare")
    risposta = client.post(
        reverse("misure:misura", args=[piano_cremonese.pk, mp.pk]),
        dati_modulo_misura(mp, **{"quote-1-importo": "78.427,06", "risorse_erogate": "€ 266.758,56"}),
    )
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    mp.refresh_from_db()
    assert mp.risorse_erogate == D("266758.56")
    assert QuotaErogata.objects.get(voce__startswith="finanziate tramite residuo").importo == D("78427.06")
    # The Misura complementare now agrees with the Fondo's residual: M07 is gone.
    assert messaggi(piano_cremonese, "M07") == []


def test_a_measure_that_breaks_a_rule_is_not_saved_and_says_why(client, ufficio, piano_cremonese):
    client.force_login(ufficio)
    mp = dati_annuali(piano_cremonese, "morosita-incolpevole")
    prima = fotografia_misure()
    risposta = client.post(
        reverse("misure:misura", args=[piano_cremonese.pk, mp.pk]),
        dati_modulo_misura(mp, domande_respinte="4", risorse_impegnate="diciotto"),
    )
    assert risposta.status_code == 200
    testo = risposta.content.decode()
    assert "Le domande approvate più quelle non approvate devono essere pari alle domande pervenute." in testo
    assert "«diciotto» non è un importo" in testo
    assert fotografia_misure() == prima


def test_a_new_measure_is_added_with_its_di_cui_lines(client, ufficio, piano_cremonese):
    client.force_login(ufficio)
    nuova = Misura.objects.create(codice="housing-first", nome="Housing first", ordine=6)
    risposta = client.post(
        reverse("misure:nuova_misura", args=[piano_cremonese.pk]),
        {
            "misura": str(nuova.pk),
            "risorse_impegnate": "10.000,00",
            "risorse_erogate": "10.000,00",
            "quote-TOTAL_FORMS": "1",
            "quote-INITIAL_FORMS": "0",
            "quote-0-ordine": "1",
            "quote-0-voce": "finanziate con DGR 9999/24",
            "quote-0-provenienza": "altro",
            "quote-0-delibera": "9999/2024",
            "quote-0-importo": "10.000",
            "utilizzi-TOTAL_FORMS": "0",
            "utilizzi-INITIAL_FORMS": "0",
        },
    )
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    mp = MisuraPiano.objects.get(piano=piano_cremonese, misura=nuova)
    quota = mp.quote.get()
    assert (quota.importo, str(quota.delibera)) == (D("10000.00"), "DGR 9999/2024")
    assert parte_seconda(piano_cremonese).misure[-1].lettera == "f"


def test_the_solidarity_rows_are_edited_and_a_missing_total_is_computed(client, ufficio, piano_cremonese):
    client.force_login(ufficio)
    url = reverse("misure:solidarieta", args=[piano_cremonese.pk])
    pagina = client.get(url)
    assert pagina.status_code == 200
    formset = pagina.context["righe"]
    dati = {
        "riparto-anno_riparto": "2024",
        "riparto-delibera": "2563/2024",
        "riparto-nota": "",
        "riparto-dichiarati_con_riparto": "4",
        "riparto-dichiarati_solo_residuo": "18",
        "riparto-dichiarati_senza_contributo": "26",
    }
    for chiave, valore in formset.management_form.initial.items():
        dati[f"righe-{chiave}"] = str(valore)
    for n, form in enumerate(formset.forms):
        # What the browser sends back: every field as rendered, the row's id included.
        for nome in form.fields:
            valore = form[nome].value()
            if valore is not None and nome != "DELETE":
                dati[f"righe-{n}-{nome}"] = str(valore)
    volongo = next(
        n for n, f in enumerate(formset.forms) if f.instance.ente.denominazione == "Comune di Volongo"
    )
    dati[f"righe-{volongo}-riparto"] = "1.000,00"
    dati[f"righe-{volongo}-totale"] = ""
    risposta = client.post(url, dati)
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    riga = QuotaSolidarieta.objects.get(piano=piano_cremonese, ente=ente("Volongo"))
    assert (riga.riparto, riga.residuo, riga.totale) == (D("1000.00"), D("5735.16"), D("6735.16"))
    cs = solidarieta(piano_cremonese)
    assert cs.conteggio("con_riparto") == 4


def test_an_avviso_is_registered_with_the_comuni_that_joined(client, ufficio, piano_cremonese):
    client.force_login(ufficio)
    comuni = Comune.objects.filter(ambito=piano_cremonese.ambito).order_by("nome")[:39]
    risposta = client.post(
        reverse("misure:nuovo_avviso", args=[piano_cremonese.pk]),
        {
            "titolo": "Avviso pubblico contributo di solidarietà 2024",
            "numero": "12",
            "data": "2024-09-30",
            "delibera": "2563/2024",
            "misure": [str(Misura.objects.get(codice="contributo-solidarieta").pk)],
            "comuni_aderenti": [str(c.pk) for c in comuni],
        },
    )
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    testo = client.get(reverse("piano_annuale:piano_detail", args=[piano_cremonese.pk])).content.decode()
    assert "39 su 48" in testo


def test_projects_are_added_from_the_workspace(client, ufficio, piano_cremonese):
    client.force_login(ufficio)
    url = reverse("misure:progettualita", args=[piano_cremonese.pk])
    formset = client.get(url).context["formset"]
    dati = {f"progettualita-{k}": str(v) for k, v in formset.management_form.initial.items()}
    for n, form in enumerate(formset.forms[: formset.initial_form_count()]):
        dati[f"progettualita-{n}-id"] = str(form.instance.pk)
        for nome in ("ordine", "titolo", "descrizione", "partner", "periodo", "finanziamento"):
            dati[f"progettualita-{n}-{nome}"] = str(getattr(form.instance, nome))
        dati[f"progettualita-{n}-promotore"] = str(form.instance.promotore_id or "")
    nuovo = formset.initial_form_count()
    dati |= {
        f"progettualita-{nuovo}-ordine": "7",
        f"progettualita-{nuovo}-titolo": "Housing first",
        f"progettualita-{nuovo}-descrizione": "Accoglienza di persone senza dimora in alloggi autonomi.",
        f"progettualita-{nuovo}-costo": "72.000,00",
        f"progettualita-{nuovo}-data_inizio": "2025-01-01",
        f"progettualita-{nuovo}-data_fine": "2025-12-31",
    }
    risposta = client.post(url, dati)
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    parte_terza = calcola_piano(piano_cremonese).parte_terza
    assert parte_terza is not None
    progetto = parte_terza.progetti[-1]
    assert (progetto.titolo, progetto.costo) == ("Housing first", D("72000.00"))


@pytest.mark.parametrize(
    "nome_url",
    ["panoramica", "nuova_misura", "solidarieta", "nuovo_avviso", "riqualificazione", "progettualita"],
)
def test_a_comune_operator_gets_404_and_changes_nothing(client, operatore_comune, piano_cremonese, nome_url):
    client.force_login(operatore_comune)
    url = reverse(f"misure:{nome_url}", args=[piano_cremonese.pk])
    prima = fotografia_misure()
    assert client.get(url).status_code == 404
    assert client.post(url, {"titolo": "x", "numero": "1"}).status_code == 404
    assert fotografia_misure() == prima


def test_a_comune_operator_cannot_change_nor_delete_a_measure(client, operatore_comune, piano_cremonese):
    client.force_login(operatore_comune)
    mp = dati_annuali(piano_cremonese, "morosita-incolpevole")
    prima = fotografia_misure()
    url = reverse("misure:misura", args=[piano_cremonese.pk, mp.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, dati_modulo_misura(mp, risorse_impegnate="1,00")).status_code == 404
    elimina = reverse("misure:elimina_misura", args=[piano_cremonese.pk, mp.pk])
    assert client.post(elimina).status_code == 404
    assert fotografia_misure() == prima


def test_the_ufficio_of_another_ambito_gets_404(client, piano_cremonese):
    altro = crea_ambito(nome="Ambito vicino", comuni=2, prefisso_istat="093")
    estraneo = crea_operatore("ufficio_vicino", altro.ambito, Ruolo.UFFICIO_DI_PIANO)
    client.force_login(estraneo)
    assert client.get(reverse("misure:panoramica", args=[piano_cremonese.pk])).status_code == 404
    mp = dati_annuali(piano_cremonese, "morosita-incolpevole")
    # Nor can it reach a row of the Cremonese through its own plan.
    assert client.get(reverse("misure:misura", args=[altro.pk, mp.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, piano_cremonese):
    risposta = client.get(reverse("misure:panoramica", args=[piano_cremonese.pk]))
    assert risposta.status_code == 302 and risposta["Location"].startswith(reverse("login"))


def test_after_the_draft_goes_to_aler_the_pages_are_read_only(client, ufficio, piano_cremonese):
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(stato=StatoPiano.INVIATA_ALER)
    client.force_login(ufficio)
    mp = dati_annuali(piano_cremonese, "morosita-incolpevole")
    prima = fotografia_misure()
    url = reverse("misure:misura", args=[piano_cremonese.pk, mp.pk])
    assert "in sola lettura" in client.get(url).content.decode()
    assert client.post(url, dati_modulo_misura(mp, risorse_impegnate="1,00")).status_code == 403
    assert client.post(reverse("misure:elimina_misura", args=[piano_cremonese.pk, mp.pk])).status_code == 403
    assert fotografia_misure() == prima


# --- spreadsheet import and export -----------------------------------------------------------------


AMBITO = "Ambito Sociale Territoriale Cremonese"


def test_the_solidarity_split_exports_with_italian_amounts(piano_cremonese):
    dataset = QuotaSolidarietaResource().export()
    assert dataset.headers == [
        "ambito",
        "anno",
        "ente",
        "aggregazione indicata",
        "riparto",
        "residuo",
        "totale",
    ]
    aler = next(r for r in dataset.dict if r["ente"] == ALER)
    assert (aler["ambito"], aler["anno"], aler["riparto"], aler["totale"]) == (
        AMBITO,
        2025,
        "1.580.172,59",
        "1.590.733,83",
    )


def test_the_solidarity_split_imports_from_a_spreadsheet(piano_cremonese):
    dataset = tablib.Dataset(headers=["ambito", "anno", "ente", "riparto", "residuo", "totale"])
    dataset.append([AMBITO, 2025, "Comune di Volongo", "1.000,00", 5735.16, ""])
    dataset.append([AMBITO, 2025, "Comune di Olmeneta", "0", "4.700,00", "4.700,00"])
    risultato = QuotaSolidarietaResource().import_data(dataset, dry_run=False)
    assert not risultato.has_errors() and not risultato.has_validation_errors()
    riga = QuotaSolidarieta.objects.get(piano=piano_cremonese, ente=ente("Volongo"))
    assert (riga.riparto, riga.totale) == (D("1000.00"), D("6735.16"))
    assert QuotaSolidarieta.objects.filter(piano=piano_cremonese).count() == 49


def test_a_spreadsheet_row_that_breaks_a_rule_is_refused_with_its_message(piano_cremonese):
    prima = list(QuotaSolidarieta.objects.order_by("pk").values_list())
    dataset = tablib.Dataset(headers=["ambito", "anno", "ente", "riparto", "residuo", "totale"])
    dataset.append([AMBITO, 2025, "Comune di Volongo", "1.000,00", "0", "999,00"])
    dataset.append([AMBITO, 2025, "Comune di Atlantide", "1", "0", "1"])
    risultato = QuotaSolidarietaResource().import_data(dataset, dry_run=False)
    errori = " ".join(str(e) for riga in risultato.invalid_rows for e in riga.error.messages) + " ".join(
        str(e.error) for _, errs in risultato.row_errors() for e in errs
    )
    assert "Il totale disponibile deve essere la somma della nuova assegnazione e del residuo" in errori
    assert "«Comune di Atlantide» non esiste nell'ambito" in errori
    assert list(QuotaSolidarieta.objects.order_by("pk").values_list()) == prima


def test_the_measures_yearly_figures_import_and_export(piano_cremonese):
    dataset = MisuraPianoResource().export()
    fondo = next(r for r in dataset.dict if r["misura"] == "morosita-incolpevole")
    assert (fondo["risorse impegnate"], fondo["domande pervenute"]) == ("188.331,50", "22")
    nuovo = tablib.Dataset(headers=["ambito", "anno", "misura", "risorse impegnate", "domande pervenute"])
    nuovo.append([AMBITO, 2025, "misura-complementare", "188.056,54", 86])
    risultato = MisuraPianoResource().import_data(nuovo, dry_run=False)
    assert not risultato.has_errors() and not risultato.has_validation_errors()
    mp = dati_annuali(piano_cremonese, "misura-complementare")
    assert (mp.risorse_impegnate, mp.risorse_erogate, mp.domande_approvate) == (
        D("188056.54"),
        D("266483.60"),
        82,
    )
    assert messaggi(piano_cremonese, "M09") == []


def test_the_admin_lists_every_misure_model(admin_client):
    for modello in ("delibera", "misura", "misurapiano", "quotaerogata", "utilizzoresiduo", "avviso"):
        assert admin_client.get(reverse(f"admin:misure_{modello}_changelist")).status_code == 200
    for modello in ("ripartosolidarieta", "quotasolidarieta", "interventoriqualificazione", "progettualita"):
        assert admin_client.get(reverse(f"admin:misure_{modello}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:misure_quotasolidarieta_import")).status_code == 200


# --- cost -------------------------------------------------------------------------------------------


def test_parts_two_and_three_cost_a_fixed_number_of_queries(piano_cremonese):
    def conta(piano) -> int:
        with CaptureQueriesContext(connection) as contesto:
            calcola_piano(piano)
        return len(contesto.captured_queries)

    cremonese = conta(piano_cremonese)
    grande = crea_ambito(nome="Ambito grande con misure", comuni=480, prefisso_istat="092")
    enti = list(EnteProprietario.objects.filter(ambito=grande.ambito))
    QuotaSolidarieta.objects.bulk_create(
        QuotaSolidarieta(piano=grande, ente=e, riparto=D("1.00"), residuo=D("2.00"), totale=D("3.00"))
        for e in enti
    )
    for n, m in enumerate(Misura.objects.all()):
        mp = MisuraPiano.objects.create(piano=grande, misura=m, risorse_erogate=D("30.00"))
        for k in range(3):
            quota = QuotaErogata.objects.create(misura_piano=mp, voce=f"fonte {k}", importo=D("10.00"))
            quota.residuo_di.set(Misura.objects.exclude(pk=m.pk)[: n % 3])
        UtilizzoResiduo.objects.create(misura_piano=mp, voce="uso", importo=D("1.00"), misura_destinataria=m)
    for k in range(20):
        avviso = Avviso.objects.create(piano=grande, titolo=f"Avviso {k}", numero=str(k))
        avviso.comuni_aderenti.set(Comune.objects.filter(ambito=grande.ambito)[: 10 * k])
        avviso.misure.set(Misura.objects.all())
    assert conta(grande) == cremonese
