"""Spreadsheets the service writes (issue 8): each ente's template and unit list, the plan's sections
read from the computed plan, and formula neutralisation in every cell."""

from __future__ import annotations

import csv
import dataclasses
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from patrimonio import esportazione
from patrimonio.importazione import neutralizza
from patrimonio.models import EnteProprietario, Ruolo, TipoEnte, UnitaAbitativa
from patrimonio.resources import COLONNE_UNITA
from piano_annuale.calcolo import RigaConteggio, TabellaConteggi, calcola_piano
from piano_annuale.catalogo import CATALOGO, Natura, presente
from piano_annuale.models import PianoAnnuale, Stato, StatoPiano, StatoUnita, TurnoverPrevisto
from piano_annuale.rendering.esportazione import piano_xlsx, tabella_csv
from piano_annuale.rendering.tabelle import TABELLE, tabelle_del_piano
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)

ID_DI_CREMONA = "36501269"


@pytest.fixture
def enti(piano_cremonese):
    return {
        "cremona": EnteProprietario.objects.select_related("comune").get(comune__nome="Cremona"),
        "soresina": EnteProprietario.objects.select_related("comune").get(comune__nome="Soresina"),
        "aler": EnteProprietario.objects.get(ambito=piano_cremonese.ambito, tipo=TipoEnte.ALER),
    }


@pytest.fixture
def utenti(piano_cremonese, enti):
    ambito = piano_cremonese.ambito
    return {
        "ufficio": crea_operatore("ufficio", ambito, Ruolo.UFFICIO_DI_PIANO),
        "cremona": crea_operatore("cremona", ambito, Ruolo.COMUNE, enti["cremona"]),
        "soresina": crea_operatore("soresina", ambito, Ruolo.COMUNE, enti["soresina"]),
        "assemblea": crea_operatore("sindaco", ambito, Ruolo.ASSEMBLEA),
    }


def leggi_xlsx(contenuto: bytes) -> dict[str, list[list]]:
    cartella = CalamineWorkbook.from_filelike(io.BytesIO(contenuto))
    return {nome: cartella.get_sheet_by_name(nome).to_python() for nome in cartella.sheet_names}


def leggi_csv(contenuto: bytes) -> list[list[str]]:
    assert contenuto.startswith(b"\xef\xbb\xbf")  # Excel in Italian reads UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(contenuto.decode("utf-8-sig")), delimiter=";"))


# --------------------------------------------------------------------------------------------
# Neutralisation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("valore", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_texts_that_a_spreadsheet_would_run_get_a_quote(valore):
    assert neutralizza(valore) == "'" + valore


@pytest.mark.parametrize("valore", ["Via Roma 1", "LOTTO 2.2", "", 12, -3, None, 2.5])
def test_other_values_are_left_alone(valore):
    assert neutralizza(valore) == valore


# --------------------------------------------------------------------------------------------
# The ente's template
# --------------------------------------------------------------------------------------------


def test_xlsx_template_has_italian_headers_the_units_and_an_explanation_sheet(piano_cremonese, enti):
    file = esportazione.modello_ente(piano=piano_cremonese, ente=enti["cremona"], formato="xlsx")
    assert file.nome == "modello-unita-2025-comune-di-cremona.xlsx"
    fogli = leggi_xlsx(file.contenuto)
    assert list(fogli) == [
        "Unità abitative",
        "Turnover",
        "Scelte",
        "Consistenza",
        "SAT",
        "Assegnazioni",
        "Istruzioni",
    ]
    unita = fogli["Unità abitative"]
    assert unita[0] == [c.intestazione for c in COLONNE_UNITA]
    assert len(unita) == 1 + 22
    riga = next(r for r in unita if r[1] == ID_DI_CREMONA)
    pk = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA).pk
    assert riga == [
        "Comune di Cremona",
        ID_DI_CREMONA,
        "",
        "Cremona",
        "019036",
        "SAP",
        "",
        "libera",
        "",
        "",
        pk,
    ]
    assert fogli["Turnover"] == [["Comune", "Codice ISTAT", "Numero di alloggi"], ["Cremona", "019036", 5]]
    istruzioni = fogli["Istruzioni"]
    spiegate = {r[1] for r in istruzioni if r and r[0] == "Unità abitative"}
    assert spiegate == {c.intestazione for c in COLONNE_UNITA}
    valori_stato = {r[0] for r in istruzioni if len(r) > 1 and r[1] in "bcdef" and r[1]}
    assert valori_stato == {"carenza", "ristrutturazione", "nuova", "libera", "conferita"}


def test_xlsx_template_hides_the_internal_id_and_offers_the_allowed_states(piano_cremonese, enti):
    file = esportazione.modello_ente(piano=piano_cremonese, ente=enti["cremona"], formato="xlsx")
    foglio = openpyxl.load_workbook(io.BytesIO(file.contenuto))["Unità abitative"]
    assert foglio["K1"].value == "ID interno"
    assert foglio.column_dimensions["K"].hidden
    assert foglio.freeze_panes == "A2"
    convalide = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in foglio.data_validations.dataValidation}
    assert convalide["H2"] == '"carenza,ristrutturazione,nuova,libera,conferita"'
    assert convalide["F2"] == '"SAP,SAS"'


def test_ods_and_csv_templates(piano_cremonese, enti):
    ods = esportazione.modello_ente(piano=piano_cremonese, ente=enti["cremona"], formato="ods")
    fogli = leggi_xlsx(ods.contenuto)  # calamine reads ods too
    assert list(fogli) == [
        "Unità abitative",
        "Turnover",
        "Scelte",
        "Consistenza",
        "SAT",
        "Assegnazioni",
        "Istruzioni",
    ]
    assert len(fogli["Unità abitative"]) == 23
    unita = esportazione.modello_ente(piano=piano_cremonese, ente=enti["cremona"], formato="csv")
    righe = leggi_csv(unita.contenuto)
    assert righe[0] == [c.intestazione for c in COLONNE_UNITA]
    assert len(righe) == 23
    turnover = esportazione.modello_ente(
        piano=piano_cremonese, ente=enti["cremona"], formato="csv", foglio="turnover"
    )
    assert leggi_csv(turnover.contenuto) == [
        ["Comune", "Codice ISTAT", "Numero di alloggi"],
        ["Cremona", "019036", "5"],
    ]
    assert turnover.nome == "modello-turnover-2025-comune-di-cremona.csv"


def test_template_prefills_the_previous_years_states_until_the_ente_declares_in_the_new_plan(
    piano_cremonese, enti
):
    ente = enti["cremona"]
    nuovo = PianoAnnuale.objects.create(
        ambito=piano_cremonese.ambito, anno=2026, data_popolazione="2025-01-01", stato=StatoPiano.RICOGNIZIONE
    )
    assert esportazione.piano_di_partenza(piano=nuovo, ente=ente) == piano_cremonese
    righe = leggi_xlsx(esportazione.modello_ente(piano=nuovo, ente=ente, formato="xlsx").contenuto)
    assert next(r for r in righe["Unità abitative"] if r[1] == ID_DI_CREMONA)[7] == "libera"
    assert righe["Turnover"][1] == ["Cremona", "019036", 5]
    istruzioni = " ".join(str(c) for r in righe["Istruzioni"] for c in r)
    assert "piano dell'anno precedente (2025)" in istruzioni
    # Once the ente declares something for 2026, the template shows 2026.
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    StatoUnita.objects.create(piano=nuovo, unita=unita, stato=Stato.CARENZA_MANUTENTIVA)
    assert esportazione.piano_di_partenza(piano=nuovo, ente=ente) == nuovo
    righe = leggi_xlsx(esportazione.modello_ente(piano=nuovo, ente=ente, formato="xlsx").contenuto)
    unita_righe = righe["Unità abitative"]
    assert next(r for r in unita_righe if r[1] == ID_DI_CREMONA)[7] == "carenza"
    assert next(r for r in unita_righe if r[1] == "36502011")[7] == ""  # no 2026 state yet


def test_a_comune_without_turnover_gets_its_own_row_at_zero(piano_cremonese, enti):
    TurnoverPrevisto.objects.filter(piano=piano_cremonese, ente=enti["soresina"]).delete()
    fogli = leggi_xlsx(
        esportazione.modello_ente(piano=piano_cremonese, ente=enti["soresina"], formato="xlsx").contenuto
    )
    assert fogli["Turnover"][1] == ["Soresina", "019098", 0]


def test_template_and_unit_export_neutralise_formulas(piano_cremonese, enti):
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    unita.indirizzo = '=HYPERLINK("http://esempio.invalid","clic")'
    unita.save()
    StatoUnita.objects.filter(unita=unita, piano=piano_cremonese).update(note="@SOMMA(A1:A9)")
    for formato in ("xlsx", "csv"):
        file = esportazione.unita_ente(piano=piano_cremonese, ente=enti["cremona"], formato=formato)
        righe = (
            leggi_xlsx(file.contenuto)["Unità abitative"] if formato == "xlsx" else leggi_csv(file.contenuto)
        )
        riga = next(r for r in righe if r[1] == ID_DI_CREMONA)
        assert riga[6] == '\'=HYPERLINK("http://esempio.invalid","clic")'
        assert riga[9] == "'@SOMMA(A1:A9)"
    # No cell of the xlsx is a formula.
    cartella = openpyxl.load_workbook(
        io.BytesIO(
            esportazione.modello_ente(piano=piano_cremonese, ente=enti["cremona"], formato="xlsx").contenuto
        )
    )
    for foglio in cartella:
        for celle in foglio.iter_rows():
            for cella in celle:
                assert cella.data_type != "f", (foglio.title, cella.coordinate, cella.value)


# --------------------------------------------------------------------------------------------
# The plan's sections
# --------------------------------------------------------------------------------------------


def test_every_part_of_the_catalogue_with_figures_has_its_tables_and_no_table_is_orphan(piano_cremonese):
    calcolo = calcola_piano(piano_cremonese)
    tabelle = tabelle_del_piano(calcolo)
    con_dati = {v.chiave for v in CATALOGO if v.natura == Natura.DATI}
    # The parts of later rule sets (d bis, c bis, the cost of works of b) are not in a 2025 plan.
    assert {t.voce for t in tabelle} == {
        v.chiave for v in CATALOGO if v.natura == Natura.DATI and presente(v, calcolo)
    }
    assert con_dati - {t.voce for t in tabelle} == {"costi_b", "cbis", "dbis"}
    assert set(TABELLE) == con_dati
    # The seven parts the exports once missed are among them.
    assert {"ricognizione", "densita", "aggregazioni", "senza_sap", "avvisi", "riqualificazione"} <= con_dati
    assert "progettualita" in con_dati  # Parte terza
    assert len({t.codice for t in tabelle}) == len(tabelle)


def test_the_exported_tables_carry_the_golden_figures_of_the_cremonese_plan(piano_cremonese):
    tabelle = {t.codice: t for t in tabelle_del_piano(calcola_piano(piano_cremonese))}
    assert tabelle["popolazione"].righe[-1][3] == 156_636
    totali_at = [r[3] for r in tabelle["aggregazioni"].righe if r[2] == "Totale"]
    assert totali_at == [13_251, 16_207, 10_834, 13_320, 15_214, 16_716, 71_094]
    assert tabelle["aggregazioni"].righe[-1] == ("Totale Ambito", "", "", 156_636)
    assert tabelle["densita"].righe == ()  # the seed gives no surfaces
    assert tabelle["senza_sap"].righe[-2:] == (
        ("Totale", 23_549),
        ("Quota della popolazione dell'Ambito (%)", Decimal("15.0")),
    )
    ricognizione = dict(tabelle["ricognizione"].righe)
    assert (ricognizione["Comuni che hanno risposto"], ricognizione["Comuni dell'Ambito"]) == (29, 48)
    assert ricognizione["Tasso di risposta dei proprietari (%)"] == Decimal("80.6")
    assert ricognizione["Comuni che non hanno risposto"] == 19
    assert tabelle["a"].righe[-1] == ("Totale", 3_984, 3_850, 134)
    assert len(tabelle["a"].righe) == 34  # 32 comuni, ALER and the total
    assert tabelle["b"].righe[-1] == ("Totale", "", 45)
    assert tabelle["c"].righe[-1] == ("Totale", "", "", 106)
    assert tabelle["d"].righe == (("Totale", "", 0),)
    assert tabelle["e_turnover"].righe == (
        ("Comune di Cremona", "Cremona", 5),
        ("ALER Brescia-Cremona-Mantova", "Cremona", 1),
        ("Totale", "", 6),
    )
    assert len(tabelle["e_libere"].righe) == 38  # 20 of the comuni, 18 of ALER
    assert tabelle["g"].righe[-1][0] == "Totale" and tabelle["g"].righe[-1][-1] == 195
    assert tabelle["g_enti"].righe[-1][-1] == 195
    assert tabelle["ib"].righe[-1] == ("Totale", "", "", 7)
    assert tabelle["j"].righe[-1] == ("Totale", "", 17)
    assert tabelle["k"].righe[-1] == ("Totale", 185, 13, 0)
    assert len(tabelle["allegato_a"].righe) == 30
    assert len(tabelle["allegato_b_unita"].righe) == 57  # 18 free and 39 in carenza
    assert tabelle["allegato_b_unita"].righe[0][2:4] == ("3155513", "BS151842")
    assert len(tabelle["allegato_b_lotti"].righe) == 73
    assert [m[:2] for m in tabelle["misure"].righe] == [
        ("a", "Fondo morosità incolpevole"),
        ("b", "Misura unica per l'affitto"),
        ("c", "Misura complementare"),
        (
            "d",
            "Sostegno abitativo per l'integrazione del canone di locazione a favore di coniugi separati o divorziati",
        ),
        ("e", "Contributo regionale di solidarietà"),
    ]
    assert tabelle["misure"].righe[0][3] == Decimal("188331.50")
    assert tabelle["contributo_solidarieta"].righe[-1] == (
        "Totale",
        "",
        Decimal("1649013.75"),
        Decimal("129126.45"),
        Decimal("1778140.20"),
    )
    assert [r[0] for r in tabelle["riqualificazione"].righe][0] == "Città di Cremona"
    assert [r[0] for r in tabelle["progettualita"].righe] == [
        "Servizio di Tutor Condominiale",
        "Rigenerazione urbana «Giovani in Centro»",
        "Servizio di Housing Sociale",
        "Alloggi di housing sociale destinati ad anziani autosufficienti",
        "Alloggi di housing sociale destinati alla fragilità psichica",
        "Alloggi a canone calmierato",
    ]


def test_the_workbook_has_one_sheet_per_table_named_from_the_catalogue(piano_cremonese):
    fogli = leggi_xlsx(piano_xlsx(calcola_piano(piano_cremonese)).contenuto)
    assert list(fogli)[:6] == [
        "Popolazione per comune",
        "Popolazione per aggregazione",
        "Superficie e densità",
        "Comuni senza SAP",
        "Esito della ricognizione",
        "Esito della ricognizione – enti",
    ]
    assert fogli["b) Carenza manutentiva"][-1] == ["Totale", "", 45]
    assert fogli["a) Consistenza del patrimonio"][-1] == ["Totale", 3984, 3850, 134]
    assert fogli["Allegato B – libere e carenza"][1][2:4] == ["3155513", "BS151842"]
    assert len(fogli) == 31


def test_exports_read_the_computed_plan_and_never_recompute_it(piano_cremonese):
    """Whatever the computed plan says is what the files say: a hand-made result shows through."""
    calcolo = calcola_piano(piano_cremonese)
    ente = calcolo.b.righe[0].ente if calcolo.b.righe else calcolo.a.righe[0].ente
    finto = dataclasses.replace(
        calcolo, b=TabellaConteggi(righe=(RigaConteggio(ente, "Atlantide", 99),), totale=99)
    )
    righe = leggi_csv(tabella_csv(finto, "b").contenuto)
    assert righe == [
        ["Ente proprietario", "Comune", "Numero di U.I."],
        [ente.denominazione, "Atlantide", "99"],
        ["Totale", "", "99"],
    ]


def test_plan_exports_neutralise_formulas(piano_cremonese, enti):
    stato = StatoUnita.objects.filter(
        piano=piano_cremonese, stato=Stato.RISTRUTTURAZIONE, unita__ente=enti["cremona"]
    ).first()
    assert stato is not None
    stato.programma = "=cmd|' /C calc'!A0"
    stato.save()
    calcolo = calcola_piano(piano_cremonese)
    righe = leggi_csv(tabella_csv(calcolo, "c").contenuto)
    assert next(r[:3] for r in righe if "cmd" in r[2]) == [
        "Comune di Cremona",
        "Cremona",
        "'=cmd|' /C calc'!A0",
    ]
    fogli = leggi_xlsx(piano_xlsx(calcolo).contenuto)
    assert any(r[2] == "'=cmd|' /C calc'!A0" for r in fogli["c) Ristrutturazione"])


def test_csv_uses_decimal_commas(piano_cremonese):
    assert (
        esportazione.scrivi_csv(["a", "b"], [[1, Decimal("12.50")]]).decode("utf-8-sig")
        == "a;b\r\n1;12,50\r\n"
    )


# --------------------------------------------------------------------------------------------
# Pages and access
# --------------------------------------------------------------------------------------------


def test_ufficio_di_piano_downloads_the_plan_sections(client, piano_cremonese, utenti):
    client.force_login(utenti["ufficio"])
    pagina = client.get(reverse("patrimonio:piano_esportazioni", args=[piano_cremonese.pk]))
    assert pagina.status_code == 200
    assert "a) Consistenza del patrimonio" in pagina.content.decode()
    tutto = client.get(reverse("patrimonio:piano_esporta", args=[piano_cremonese.pk, "xlsx"]))
    assert tutto["Content-Type"] == esportazione.TIPI_MIME["xlsx"]
    assert 'attachment; filename="POA-2025-' in tutto["Content-Disposition"]
    assert "b) Carenza manutentiva" in leggi_xlsx(tutto.content)
    sezione = client.get(reverse("patrimonio:piano_esporta_sezione", args=[piano_cremonese.pk, "g", "csv"]))
    assert leggi_csv(sezione.content)[0][0] == "Ente proprietario"
    assert (
        client.get(
            reverse("patrimonio:piano_esporta_sezione", args=[piano_cremonese.pk, "zeta", "csv"])
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("patrimonio:piano_esporta", args=[piano_cremonese.pk, "ods"])).status_code == 404
    )


@pytest.mark.parametrize("ruolo", ["cremona", "assemblea"])
def test_plan_sections_are_for_the_ufficio_di_piano_only(client, piano_cremonese, utenti, ruolo):
    client.force_login(utenti[ruolo])
    assert client.get(reverse("patrimonio:piano_esportazioni", args=[piano_cremonese.pk])).status_code == 404
    assert (
        client.get(reverse("patrimonio:piano_esporta", args=[piano_cremonese.pk, "xlsx"])).status_code == 404
    )


def test_each_ente_downloads_its_own_units_and_template_only(client, piano_cremonese, enti, utenti):
    client.force_login(utenti["cremona"])
    for nome, formato in (
        ("unita_esporta", "xlsx"),
        ("unita_esporta", "csv"),
        ("modello", "xlsx"),
        ("modello", "ods"),
        ("modello", "csv"),
    ):
        proprio = client.get(
            reverse(f"patrimonio:{nome}", args=[piano_cremonese.pk, enti["cremona"].pk, formato])
        )
        assert proprio.status_code == 200, (nome, formato)
        assert proprio["Content-Type"] == esportazione.TIPI_MIME[formato]
        altrui = client.get(
            reverse(f"patrimonio:{nome}", args=[piano_cremonese.pk, enti["soresina"].pk, formato])
        )
        assert altrui.status_code == 404
    assert (
        client.get(
            reverse("patrimonio:unita_esporta", args=[piano_cremonese.pk, enti["cremona"].pk, "ods"])
        ).status_code
        == 404
    )
    client.logout()
    anonimo = client.get(reverse("patrimonio:modello", args=[piano_cremonese.pk, enti["cremona"].pk, "xlsx"]))
    assert anonimo.status_code == 302


def test_the_upload_page_offers_the_templates(client, piano_cremonese, enti, utenti):
    client.force_login(utenti["cremona"])
    pagina = client.get(reverse("patrimonio:caricamenti", args=[piano_cremonese.pk, enti["cremona"].pk]))
    testo = pagina.content.decode()
    assert pagina.status_code == 200
    assert "Modello Excel (.xlsx)" in testo
    assert reverse("patrimonio:modello", args=[piano_cremonese.pk, enti["cremona"].pk, "ods"]) in testo
    assert "Dati bloccati" in testo  # the fixture's answer was sent: no upload form
    assert "tutte le sezioni del piano" not in testo  # the comune is not the ufficio di piano


def test_ods_is_a_valid_opendocument_package(piano_cremonese, enti):
    import zipfile

    file = esportazione.modello_ente(piano=piano_cremonese, ente=enti["cremona"], formato="ods")
    with zipfile.ZipFile(io.BytesIO(file.contenuto)) as archivio:
        primo = archivio.infolist()[0]
        # ODF: the mimetype first, uncompressed, so that a program can recognise the file.
        assert (primo.filename, primo.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        assert archivio.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        assert {"META-INF/manifest.xml", "content.xml", "styles.xml"} <= set(archivio.namelist())
    assert file.contenuto[:4] == b"PK\x03\x04" and b"opendocument.spreadsheet" in file.contenuto[:100]


def test_characters_xml_cannot_hold_are_dropped_from_xlsx_and_ods(piano_cremonese, enti):
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    unita.indirizzo = "Via Roma\x0b1\x0c"  # (PostgreSQL refuses NUL: the import removes it)
    unita.save()
    for formato in ("xlsx", "ods"):
        file = esportazione.modello_ente(piano=piano_cremonese, ente=enti["cremona"], formato=formato)
        riga = next(r for r in leggi_xlsx(file.contenuto)["Unità abitative"] if r[1] == ID_DI_CREMONA)
        assert riga[6] == "Via Roma1"
