"""Surface and density per comune, per aggregazione and for the ambito (issue 13): computed from the
comuni's surfaces, never typed; comuni without a surface are named and the density is that of the
known part; the aggregazioni are printed with the ambito's own word.

The golden figures are computed here, independently of the code under test: the surfaces read
straight from the shipped CSV, the population from the database, summed and divided in the test.
"""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse

from ambito.istat import FILE_COMUNI
from ambito.management.commands.carica_comuni_istat import carica_comuni_istat
from ambito.models import AggregazioneTerritoriale, Comune, Popolazione
from patrimonio.models import Ruolo
from piano_annuale.calcolo import calcola_piano, piano_da_json
from piano_annuale.rendering import testi as narrative  # «testi_del_piano» would be collected as a test
from piano_annuale.rendering.pdf import html_documento
from piano_annuale.rendering.tabelle import tabelle_del_piano
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)

UN_DECIMALE = Decimal("0.1")


def superfici_dal_csv() -> dict[str, Decimal]:
    with FILE_COMUNI.open(encoding="utf-8", newline="") as file:
        return {riga["codice_istat"]: Decimal(riga["superficie_kmq"]) for riga in csv.DictReader(file)}


def attesi(piano) -> tuple[dict[int | None, tuple[Decimal, int]], tuple[Decimal, int]]:
    """(surface, inhabitants) per aggregazione number and for the ambito, summed here."""
    superfici = superfici_dal_csv()
    abitanti = dict(
        Popolazione.objects.filter(
            comune__ambito=piano.ambito, data_riferimento=piano.data_popolazione
        ).values_list("comune__codice_istat", "abitanti")
    )
    per_at: dict[int | None, tuple[Decimal, int]] = {}
    for codice, numero in Comune.objects.filter(ambito=piano.ambito).values_list(
        "codice_istat", "aggregazione__numero"
    ):
        superficie, persone = per_at.get(numero, (Decimal(0), 0))
        per_at[numero] = (superficie + superfici[codice], persone + abitanti[codice])
    totale = (sum((s for s, _ in per_at.values()), Decimal(0)), sum(a for _, a in per_at.values()))
    return per_at, totale


def densita(superficie: Decimal, abitanti: int) -> Decimal:
    return (Decimal(abitanti) / superficie).quantize(UN_DECIMALE, ROUND_HALF_UP)


@pytest.fixture
def con_superfici(piano_cremonese):
    """The Cremonese plan with the surfaces of the shipped ISTAT data (its fixture has none)."""
    carica_comuni_istat(province={"CR"})
    return piano_cremonese


def test_golden_surface_and_density_of_the_cremonese_per_aggregazione_and_ambito(con_superfici):
    per_at, (superficie, abitanti) = attesi(con_superfici)
    d = calcola_piano(con_superfici).demografia

    assert abitanti == 156_636 == d.totale_abitanti
    assert d.superficie.superficie_kmq == superficie
    assert d.superficie.abitanti == abitanti
    assert d.superficie.densita == densita(superficie, abitanti)
    assert (d.superficie.parziale, d.superficie.comuni_senza_superficie) == (False, ())
    assert len(d.aggregazioni) == 7
    for g in d.aggregazioni:
        atteso_superficie, atteso_abitanti = per_at[g.numero]
        assert (g.superficie.superficie_kmq, g.totale) == (atteso_superficie, atteso_abitanti), g.etichetta
        assert g.superficie.densita == densita(atteso_superficie, atteso_abitanti), g.etichetta
    # Cremona alone is «AT 7 – Cremona»: 70,56 km², 71.094 inhabitants at 1/1/2024.
    cremona = d.aggregazioni[-1]
    assert (cremona.etichetta, cremona.superficie.superficie_kmq, cremona.superficie.densita) == (
        "AT 7 – Cremona",
        Decimal("70.56"),
        Decimal("1007.6"),
    )
    assert len(d.densita) == 48


def test_a_comune_without_surface_is_named_and_the_density_is_that_of_the_known_part(con_superfici):
    Comune.objects.filter(nome__in=["Bordolano", "Cremona"]).update(superficie_kmq=None)
    per_at, _ = attesi(con_superfici)
    superfici = superfici_dal_csv()
    d = calcola_piano(con_superfici).demografia

    assert d.superficie.comuni_senza_superficie == ("Bordolano", "Cremona")
    assert d.superficie.parziale
    noti = Comune.objects.filter(ambito=con_superfici.ambito).exclude(nome__in=["Bordolano", "Cremona"])
    superficie_nota = sum((superfici[c.codice_istat] for c in noti), Decimal(0))
    abitanti_noti = sum(
        Popolazione.objects.get(comune=c, data_riferimento=con_superfici.data_popolazione).abitanti
        for c in noti
    )
    assert d.superficie.superficie_kmq == superficie_nota
    assert d.superficie.densita == densita(superficie_nota, abitanti_noti)
    assert d.totale_abitanti == 156_636  # the population still counts every comune
    cremona = d.aggregazioni[-1]  # AT 7 is Cremona alone: nothing known
    assert (cremona.superficie.superficie_kmq, cremona.superficie.densita) == (None, None)
    assert cremona.superficie.comuni_senza_superficie == ("Cremona",)
    bordolano = next(g for g in d.aggregazioni if g.numero == 1)  # AT 1 – Centro
    assert bordolano.superficie.comuni_senza_superficie == ("Bordolano",)
    assert bordolano.superficie.superficie_kmq == per_at[1][0] - superfici["019007"]

    tabella = {t.codice: t for t in tabelle_del_piano(calcola_piano(con_superfici))}["densita"]
    assert ("Cremona", "", 71_094, "", "superficie non registrata") in tabella.righe
    assert tabella.righe[-1] == (
        "Totale Ambito",
        superficie_nota,
        156_636,
        densita(superficie_nota, abitanti_noti),
        "densità della parte nota: 2 comuni senza superficie",
    )
    totale_at7 = next(r for r in tabella.righe if r[0] == "Totale AT 7 – Cremona")
    assert totale_at7 == (
        "Totale AT 7 – Cremona",
        None,
        71_094,
        None,
        "densità della parte nota: 1 comune senza superficie",
    )


def test_the_export_lists_every_comune_then_each_aggregazione_and_the_ambito(con_superfici):
    per_at, (superficie, abitanti) = attesi(con_superfici)
    tabella = {t.codice: t for t in tabelle_del_piano(calcola_piano(con_superfici))}["densita"]
    assert tabella.intestazioni == (
        "Comune o aggregazione",
        "Superficie (km²)",
        "Abitanti",
        "Abitanti per km²",
        "Nota",
    )
    assert len(tabella.righe) == 48 + 7 + 1
    assert ("Cremona", Decimal("70.56"), 71_094, Decimal("1007.6"), "") in tabella.righe
    assert tabella.righe[48] == (
        "Totale AT 1 – Centro",
        per_at[1][0],
        per_at[1][1],
        densita(*per_at[1]),
        "",
    )
    assert tabella.righe[-1] == ("Totale Ambito", superficie, abitanti, densita(superficie, abitanti), "")


def test_the_plan_without_any_surface_says_the_density_cannot_be_computed(piano_cremonese):
    d = calcola_piano(piano_cremonese).demografia
    assert (d.superficie.superficie_kmq, d.superficie.densita) == (None, None)
    assert len(d.superficie.comuni_senza_superficie) == 48
    assert {t.codice: t for t in tabelle_del_piano(calcola_piano(piano_cremonese))}["densita"].righe == ()


def test_the_ambito_s_own_word_names_its_aggregazioni_everywhere(client, con_superfici):
    ambito = con_superfici.ambito
    ambito.termine_aggregazioni = "sub-ambito"
    ambito.save()
    calcolo = calcola_piano(con_superfici)
    d = calcolo.demografia
    assert [g.etichetta for g in d.aggregazioni][:2] == [
        "sub-ambito 1 – Centro",
        "sub-ambito 2 – Centro Nord",
    ]
    assert d.aggregazioni[0].sigla == "sub-ambito 1"
    assert str(AggregazioneTerritoriale.objects.get(ambito=ambito, numero=3)) == "sub-ambito 3 – Centro Sud"

    tabelle = {t.codice: t for t in tabelle_del_piano(calcolo)}
    assert tabelle["aggregazioni"].righe[0][0] == "sub-ambito 1 – Centro"
    assert tabelle["densita"].righe[48][0] == "Totale sub-ambito 1 – Centro"

    html = html_documento(
        calcolo, narrative.testi_del_piano(con_superfici), definitiva=False, approvato_il=None
    )
    assert "<td>sub-ambito 7 – Cremona</td>" in html
    assert "Totale sub-ambito 7 – Cremona" in html
    assert "AT 7" not in html

    client.force_login(crea_operatore("ufficio.densita", ambito, Ruolo.UFFICIO_DI_PIANO))
    pagina = client.get(reverse("piano_annuale:piano_detail", args=[con_superfici.pk])).content.decode()
    assert '<th colspan="3" scope="rowgroup">sub-ambito 7 – Cremona</th>' in pagina
    assert "Totale sub-ambito 7" in pagina
    assert "AT 7" not in pagina
    # The totals row of the density table: 1.007,6 inhabitants per km² in Cremona, Italian numbers.
    assert (
        '<td>sub-ambito 7 – Cremona</td><td class="n">70,56</td><td class="n">71.094</td><td class="n">1.007,6</td>'
        in pagina
    )


def test_the_new_fields_survive_the_plan_s_json(con_superfici):
    calcolo = calcola_piano(con_superfici)
    assert piano_da_json(calcolo.as_json()) == calcolo
