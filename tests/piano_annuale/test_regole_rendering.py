"""The plan's renderings under the rules of its year: a 2027 plan (rule set «lr-18-2025») prints and
exports d bis) with both quotas, c bis), the cost of works of b) and the rules it applies; the
Cremonese 2025 plan (rule set «lr-11-2024») keeps i.b) and none of the later parts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from patrimonio.models import EnteProprietario, Operatore, Ruolo
from piano_annuale.calcolo import PianoCalcolato, calcola_piano
from piano_annuale.catalogo import VOCI, presente
from piano_annuale.models import (
    PianoAnnuale,
    RegoleAnno,
    RispostaRicognizione,
    ScelteEnte,
    SezioneTesto,
    Stato,
    StatoRisposta,
    StatoUnita,
)
from piano_annuale.models import TestoPiano as Narrativa  # not «Test…»: pytest would collect it
from piano_annuale.rendering.esportazione import piano_xlsx
from piano_annuale.rendering.pdf import genera_pdf, struttura
from tests.piano_annuale.conftest import crea_piano_2027
from tests.piano_annuale.test_esportazione import leggi_xlsx
from tests.piano_annuale.test_pdf import dopo_l_indice, pagine_di

ALER = "ALER Brescia-Cremona-Mantova"
NOME_REGOLE = "L.R. 18/2025: costo stimato dei lavori per le unità in carenza manutentiva"
INTERPRETAZIONE = "Il testo dell'art. 7 ter del R.R. 4/2017 (Polizia Locale) non è disponibile"
AGGIORNAMENTO = "Il triennale 2026–2028 è aggiornato per le quote della Polizia Locale."


@dataclass(frozen=True)
class Piano2027:
    calcolo: PianoCalcolato
    testo_pdf: str  # the document after its index, spaces collapsed
    fogli: dict[str, list[list[Any]]]  # the xlsx export, sheet by sheet
    senza_costo: tuple[str | None, str]  # ID (if any) and code of the one carenza unit without a cost


def dichiara_2027(piano: PianoAnnuale) -> tuple[str | None, str]:
    """ALER's c bis) threshold, the cost of works of every carenza unit but the first, the triennale
    and its update: what the 2027 plan declares beyond d bis). Returns the unit left without cost."""
    aler = EnteProprietario.objects.get(denominazione=ALER)
    ScelteEnte.objects.update_or_create(
        piano=piano,
        ente=aler,
        defaults={"soglia_c_bis": 10, "categorie_c_bis": ["anziani", "genitori_separati"]},
    )
    carenze = StatoUnita.objects.filter(piano=piano, stato=Stato.CARENZA_MANUTENTIVA).order_by("pk")
    senza = carenze.select_related("unita").first()
    assert senza is not None
    carenze.exclude(pk=senza.pk).update(costo_lavori=Decimal("15000.00"), note_lavori="Impianti e serramenti")
    PianoAnnuale.objects.filter(pk=piano.pk).update(triennio_inizio=2026, triennio_fine=2028)
    Narrativa.objects.create(piano=piano, sezione=SezioneTesto.AGGIORNAMENTO_TRIENNALE, testo=AGGIORNAMENTO)
    # Allegato A reports the enti that answered: Cremona, so that its row shows both quotas.
    RispostaRicognizione.objects.update_or_create(
        piano=piano,
        ente=EnteProprietario.objects.get(denominazione="Comune di Cremona"),
        defaults={"stato": StatoRisposta.INVIATA, "inviata_il": timezone.now()},
    )
    return senza.unita.id_regionale, senza.unita.codice_ente


# One PDF rendering for the module, in a transaction rolled back at once.


@pytest.fixture(scope="module")
def piano_2027_reso(django_db_setup, django_db_blocker) -> Piano2027:
    with django_db_blocker.unblock(), transaction.atomic():
        piano_2025 = PianoAnnuale.objects.get(ambito__nome__icontains="Cremonese", anno=2025)
        piano = crea_piano_2027(piano_2025, get_user_model().objects.create_user("ufficio.rendering"))
        senza_costo = dichiara_2027(piano)
        piano.refresh_from_db()
        calcolo = calcola_piano(piano)
        pdf = genera_pdf(piano, forza_bozza=True, calcolo=calcolo).contenuto
        fogli = leggi_xlsx(piano_xlsx(calcolo).contenuto)
        transaction.set_rollback(True)
    return Piano2027(calcolo, dopo_l_indice(pagine_di(pdf)), fogli, senza_costo)


# --------------------------------------------------------------------------------------------
# The outline
# --------------------------------------------------------------------------------------------


def test_the_2027_outline_has_d_bis_c_bis_and_the_costs_of_b_and_no_i_b(piano_2027_reso):
    titoli = struttura(piano_2027_reso.calcolo, con_controlli=False, scritti={"aggiornamento_triennale"})
    numeri = [t.numero for t in titoli.values() if t.livello == 3 and t.numero.endswith(")")]
    assert numeri[:14] == [
        *("a)", "b)", "b)", "c)", "c bis)", "d)", "d bis)"),
        *("e)", "f)", "g)", "h)", "i)", "j)", "k)"),
    ]
    assert "ib" not in titoli
    assert titoli["aggiornamento_triennale"].numero == "3"  # after the premessa and the normativa


def test_the_cremonese_2025_plan_has_none_of_the_later_parts(piano_cremonese):
    calcolo = calcola_piano(piano_cremonese)
    assert [v.chiave for v in VOCI.values() if not presente(v, calcolo)] == ["costi_b", "cbis", "dbis"]
    titoli = struttura(calcolo, con_controlli=True, scritti={"premessa"})
    assert {"costi_b", "cbis", "dbis", "aggiornamento_triennale"}.isdisjoint(titoli)


def test_a_version_frozen_before_the_rule_sets_has_i_b_and_not_d_bis():
    vecchia: dict[str, object] = {"ib": {"righe": []}, "dbis": None}
    assert presente(VOCI["ib"], vecchia) and not presente(VOCI["dbis"], vecchia)
    nuova = {"regole": {"quota_per": "comune"}, "dbis": {"righe": []}}
    assert presente(VOCI["dbis"], nuova) and not presente(VOCI["ib"], nuova)


# --------------------------------------------------------------------------------------------
# The PDF
# --------------------------------------------------------------------------------------------


def test_the_pdf_states_the_rules_applied_their_interpretation_and_the_triennale(piano_2027_reso):
    testo = piano_2027_reso.testo_pdf
    assert f"Il Piano è redatto secondo le regole «{NOME_REGOLE}», in vigore dal 10 dicembre 2025." in testo
    assert "L.R. 9 dicembre 2025, n. 18, art. 13" in testo  # the references
    assert f"Interpretazione applicata. {INTERPRETAZIONE}" in testo
    assert "Il Piano si riferisce al Piano triennale 2026–2028." in testo
    assert "Aggiornamento del piano triennale" in testo and AGGIORNAMENTO in testo


def test_the_pdf_prints_d_bis_per_comune_and_ente_with_both_quotas_rounded_up(piano_2027_reso):
    testo = piano_2027_reso.testo_pdf
    sezione = testo[
        testo.index("d bis) Quote per le Forze di Polizia, i Vigili del Fuoco e le Forze Armate") :
    ]
    sezione = sezione[: sezione.index("e) Unità SAP già libere")]
    # Cremona 12 % + 3 %: the comune 22 available → 2,64 → 3 and 0,66 → 1; ALER 101 → 12,12 → 13 and
    # 3,03 → 4. Soresina 20 % + 0 %: the comune 11 → 2,2 → 3; ALER 2 → 0,4 → 1.
    for riga in (
        "Cremona 12% 3% 15% 123 16 5",
        "Comune di Cremona 22 3 1",
        f"{ALER} 101 13 4",
        "Soresina 20% 0% 20% 13 4 0",
        "Comune di Soresina 11 3 0",
        f"{ALER} 2 1 0",
        "Totale Ambito 136 20 5",
        f"{ALER} 103 14 4",  # per ente: what its letters say
        "Totale 136 20 5",
    ):
        assert riga in sezione, riga
    assert "arrotondando all'unità superiore" in sezione
    assert "Comando di Polizia Locale del Comune" in sezione


def test_the_pdf_receives_the_c_bis_threshold_of_aler(piano_2027_reso):
    testo = piano_2027_reso.testo_pdf
    sezione = testo[testo.index("c bis) Soglia per le categorie dell'art. 14") :]
    sezione = sezione[: sezione.index("d) Unità SAP di nuova edificazione")]
    # ALER's 130 units available in 2027 (its 2025 units carried over, no turnover yet): 10 % → 13.
    assert (
        f"{ALER} 10% Anziani; Padri e madri, separati o divorziati, non assegnatari dell'abitazione "
        "familiare di proprietà 130 fino a 13"
    ) in sezione


def test_the_pdf_lists_the_cost_of_works_of_each_unit_in_carenza(piano_2027_reso):
    testo = piano_2027_reso.testo_pdf
    sezione = testo[testo.index("b) Costo stimato dei lavori delle unità in carenza manutentiva") :]
    sezione = sezione[: sezione.index("c) Unità SAP in piani e programmi")]
    id_regionale, codice = piano_2027_reso.senza_costo
    assert f"{id_regionale} {codice}" in sezione
    assert "costo non indicato" in sezione
    assert sezione.count("€ 15.000,00 Impianti e serramenti") == 44
    assert "Totale dei costi indicati (45 unità, di cui 1 senza costo) € 660.000,00" in sezione


def test_the_pdf_has_no_i_b_and_allegato_a_has_both_quotas_and_c_bis(piano_2027_reso):
    testo = piano_2027_reso.testo_pdf
    assert "i.b) Quota per le Forze di Polizia" not in testo
    allegato = testo[
        testo.rindex("Report per ente proprietario") : testo.rindex("Dettaglio delle unità di proprietà")
    ]
    assert "% U.I. art. 7 bis % U.I. art. 7 ter % U.I. c bis" in allegato
    assert (
        "Art. 7 bis: Forze di Polizia, Corpo nazionale dei Vigili del Fuoco, Forze Armate; art. 7 ter: Polizia Locale"
        in allegato
    )
    assert "12% 3% 0%" in allegato  # Cremona: 7 bis, 7 ter, no c bis threshold of its own
    assert "Costo stimato dei lavori" in testo[testo.index("Allegato B") :]


# --------------------------------------------------------------------------------------------
# The exports
# --------------------------------------------------------------------------------------------


def test_the_xlsx_has_d_bis_per_comune_and_ente_and_per_ente(piano_2027_reso):
    fogli = piano_2027_reso.fogli
    assert fogli["d bis) Quote 7 bis e 7 ter"] == [
        [
            "Comune",
            "% art. 7 bis",
            "% art. 7 ter",
            "% totale",
            "Ente proprietario",
            "U.I. disponibili",
            "U.I. art. 7 bis",
            "U.I. art. 7 ter",
        ],
        ["Cremona", 12, 3, 15, "Comune di Cremona", 22, 3, 1],
        ["Cremona", 12, 3, 15, ALER, 101, 13, 4],
        ["Soresina", 20, 0, 20, "Comune di Soresina", 11, 3, 0],
        ["Soresina", 20, 0, 20, ALER, 2, 1, 0],
        ["Totale", "", "", "", "", 136, 20, 5],
    ]
    assert fogli["d bis) Quote per ente"][1:] == [
        ["Comune di Cremona", 22, 3, 1],
        ["Comune di Soresina", 11, 3, 0],
        [ALER, 103, 14, 4],
        ["Totale", 136, 20, 5],
    ]


def test_the_xlsx_has_c_bis_and_the_cost_of_works(piano_2027_reso):
    fogli = piano_2027_reso.fogli
    assert fogli["c bis) Soglia categorie art. 14"][1:] == [
        [
            ALER,
            10,
            "Anziani; Padri e madri, separati o divorziati, non assegnatari dell'abitazione familiare di proprietà",
            130,
            13,
        ],
        ["Totale", "", "", "", 13],
    ]
    costi = fogli["b) Costo dei lavori"]
    assert costi[0][4] == "Costo stimato dei lavori (€)"
    assert len(costi) == 1 + 45 + 1
    id_regionale, codice = piano_2027_reso.senza_costo
    assert [r[4] for r in costi if r[2:4] == [id_regionale, codice]] == ["costo non indicato"]
    assert sum(1 for r in costi[1:-1] if r[4] == 15000) == 44
    assert costi[-1] == ["Totale", "", "", "", 660000, "1 senza costo"]


def test_the_xlsx_allegato_a_splits_the_police_quota_and_adds_c_bis(piano_2027_reso):
    intestazioni = piano_2027_reso.fogli["Allegato A – report per ente"][0]
    assert intestazioni[-3:] == ["% art. 7 bis", "% art. 7 ter", "% c bis"]


def test_the_units_for_the_avvisi_carry_the_cost_of_works(piano_2027_reso):
    elenco = piano_2027_reso.fogli["g) Unità per gli avvisi"]
    assert elenco[0][4:] == ["Stato nell'anno", "Programma / lotto", "Costo stimato dei lavori (€)", "Lavori"]
    carenza = [r for r in elenco[1:] if r[4] == "In carenza manutentiva (art. 10)"]
    assert len(carenza) == 45
    assert sum(1 for r in carenza if r[6:] == [15000, "Impianti e serramenti"]) == 44
    assert any(r[5] for r in elenco[1:])  # ALER's units in programmes name their lotto


def test_the_cremonese_2025_exports_keep_the_single_police_quota_and_no_avvisi_list(piano_cremonese):
    fogli = leggi_xlsx(piano_xlsx(calcola_piano(piano_cremonese)).contenuto)
    assert fogli["Allegato A – report per ente"][0][-1] == "% Forze di Polizia"
    assert not any(
        nome.startswith(("d bis)", "c bis)", "b) Costo", "g) Unità per gli avvisi")) for nome in fogli
    )


# --------------------------------------------------------------------------------------------
# The plan page
# --------------------------------------------------------------------------------------------


@pytest.fixture
def ufficio(piano_cremonese):
    user = get_user_model().objects.create_user(username="ufficio.pagina", password="x")
    Operatore.objects.create(user=user, ambito=piano_cremonese.ambito, ruolo=Ruolo.UFFICIO_DI_PIANO)
    return user


def test_the_2027_plan_page_shows_the_rules_applied_and_both_quotas(client, ufficio, piano_2027):
    client.force_login(ufficio)
    testo = client.get(reverse("piano_annuale:piano_detail", args=[piano_2027.pk])).content.decode()
    assert (
        f'<strong id="regole-titolo">Regole applicate:</strong> {NOME_REGOLE}, in vigore dal 10/12/2025'
        in testo
    )
    assert INTERPRETAZIONE.replace("'", "&#x27;") in testo
    assert '<a href="#dbis">d bis) Quote 7 bis e 7 ter</a>' in testo
    assert '<a href="#cbis">c bis) Soglia categorie art. 14</a>' in testo
    assert '<a href="#costi-b">b) Costo dei lavori</a>' in testo
    assert 'id="ib"' not in testo
    assert f'<tr><td>{ALER}</td><td class="n">103</td><td class="n">14</td><td class="n">4</td></tr>' in testo
    assert '<th scope="col" class="n">% art. 7 bis</th><th scope="col" class="n">% art. 7 ter</th>' in testo
    assert testo.count("costo non indicato") >= 45  # none declared yet


def test_rules_chosen_by_the_ufficio_di_piano_are_shown_with_their_reason(client, ufficio, piano_2027):
    piano_2027.regole = RegoleAnno.objects.get(codice="rr-2-2025")
    piano_2027.motivo_regole = "Piano predisposto prima dell'entrata in vigore della L.R. 18/2025."
    piano_2027.save()
    client.force_login(ufficio)
    testo = client.get(reverse("piano_annuale:piano_detail", args=[piano_2027.pk])).content.decode()
    assert "in vigore dall'11/03/2025, scelte dall'ufficio di piano." in testo
    assert "Motivazione: Piano predisposto prima dell&#x27;entrata in vigore della L.R. 18/2025." in testo
    assert "Regole applicate:</strong> R.R. 2/2025: quote d bis (art. 7 bis e 7 ter) per comune" in testo


def test_the_cremonese_2025_page_says_its_rules_and_keeps_i_b(client, ufficio, piano_cremonese):
    client.force_login(ufficio)
    testo = client.get(reverse("piano_annuale:piano_detail", args=[piano_cremonese.pk])).content.decode()
    assert "Regole applicate:</strong> L.R. 11/2024: aggiornamento del piano triennale facoltativo" in testo
    assert 'id="ib"' in testo
    assert "d bis)" not in testo and "c bis)" not in testo
