"""The ente's spreadsheet under the rules of the plan's year (issue 12): the cost of works of section
b) and the «Scelte» sheet (h, i, i.b or d bis, c bis), written by the template and the export, read
back by the upload with the workspace's own validation and written with its services."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model

from patrimonio.esportazione import modello_ente, unita_ente
from patrimonio.importazione import ImportazioneNonValida, analizza, anteprima, registra
from patrimonio.models import EnteProprietario, TipoEnte
from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import Modifica, PianoAnnuale, ScelteEnte, Stato, StatoUnita
from tests.piano_annuale.conftest import crea_piano_2027
from tests.utenti import riapri_per_il_test

UNITA, SCELTE = "Unità abitative", "Scelte"
COSTO, LAVORI = "Costo stimato dei lavori (€)", "Lavori previsti"
D_BIS_7BIS = "d bis) % art. 7 bis (Forze di Polizia, Vigili del Fuoco, Forze Armate)"
D_BIS_7TER = "d bis) % art. 7 ter (Polizia Locale)"
I_B = "i.b) % Forze di Polizia e Vigili del Fuoco (art. 7 bis)"
C_BIS, CATEGORIE = "c bis) Soglia %", "c bis) Categorie"
INTESTAZIONI_2025 = [
    "Ente proprietario",
    "ID regionale",
    "Codice dell'ente",
    "Comune",
    "Codice ISTAT",
    "Servizio",
    "Indirizzo",
    "Stato nell'anno",
    "Programma / lotto",
    "Note",
    "ID interno",
]


@pytest.fixture
def piano_2027(piano_cremonese: PianoAnnuale) -> PianoAnnuale:
    return crea_piano_2027(piano_cremonese, get_user_model().objects.create_user("ufficio.h10", password="x"))


def ente(nome: str) -> EnteProprietario:
    return EnteProprietario.objects.select_related("comune").get(denominazione=nome)


def cartella(contenuto: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(contenuto))


def salva(libro: openpyxl.Workbook) -> bytes:
    uscita = io.BytesIO()
    libro.save(uscita)
    return uscita.getvalue()


def righe(foglio) -> list[list]:
    return [list(r) for r in foglio.iter_rows(values_only=True)]


def cella(foglio, intestazione: str, unita_id: int | None = None):
    """The cell of ``intestazione`` in the unit's row, found by its internal id (or in the only row
    of values)."""
    testata = [c.value for c in foglio[1]]
    colonna = testata.index(intestazione) + 1
    if unita_id is None:
        return foglio.cell(row=2, column=colonna)
    id_col = testata.index("ID interno") + 1
    riga = next(r for r in range(2, foglio.max_row + 1) if foglio.cell(r, id_col).value == unita_id)
    return foglio.cell(row=riga, column=colonna)


def con_motivazione(libro: openpyxl.Workbook) -> None:
    """Cremona's category i) of 2025 has no motivazione, which the form asks for with any change."""
    cella(libro[SCELTE], "i) Motivazione della categoria aggiuntiva").value = "Emergenza abitativa"


def unita_libera(piano: PianoAnnuale, nome_ente: str) -> StatoUnita:
    return (
        StatoUnita.objects.filter(piano=piano, unita__ente__denominazione=nome_ente, stato=Stato.LIBERA)
        .select_related("unita")
        .order_by("unita__id_regionale")
        .first()
    ) or pytest.fail(f"{nome_ente} has no free unit in the fixture")


def carica(piano: PianoAnnuale, nome_ente: str, contenuto: bytes, nome: str = "modello.xlsx"):
    return analizza(contenuto=contenuto, nome_file=nome, piano=piano, ente=ente(nome_ente))


def errori(analisi) -> list[tuple]:
    return [(e.foglio, e.riga, e.colonna, e.valore, e.messaggio) for e in analisi.errori]


# --------------------------------------------------------------------------------------------
# What the template and the export write
# --------------------------------------------------------------------------------------------


def test_the_2027_template_has_the_cost_columns_and_the_choices_sheet_with_cremona_12_and_3(piano_2027):
    libro = cartella(modello_ente(piano=piano_2027, ente=ente("Comune di Cremona"), formato="xlsx").contenuto)
    assert libro.sheetnames == [UNITA, "Turnover", SCELTE, "Consistenza", "SAT", "Assegnazioni", "Istruzioni"]
    assert righe(libro[UNITA])[0] == [*INTESTAZIONI_2025[:-1], COSTO, LAVORI, "ID interno"]
    assert libro[UNITA].column_dimensions["M"].hidden  # the internal id, after the two new columns
    scelte = dict(zip(*righe(libro[SCELTE]), strict=True))
    assert (scelte[D_BIS_7BIS], scelte[D_BIS_7TER], scelte[C_BIS]) == (12, 3, 0)
    assert I_B not in scelte
    istruzioni = [r[1] for r in righe(libro["Istruzioni"]) if r[0] in (UNITA, SCELTE)]
    assert COSTO in istruzioni and D_BIS_7TER in istruzioni


def test_the_2027_choices_of_aler_have_only_c_bis(piano_2027):
    libro = cartella(
        unita_ente(piano=piano_2027, ente=ente("ALER Brescia-Cremona-Mantova"), formato="xlsx").contenuto
    )
    assert righe(libro[SCELTE]) == [[C_BIS, CATEGORIE], [0, None]]


def test_the_cremonese_2025_export_has_no_cost_columns_and_its_choices_sheet_has_the_i_b_column_only(
    piano_cremonese,
):
    cremona = cartella(
        unita_ente(piano=piano_cremonese, ente=ente("Comune di Cremona"), formato="xlsx").contenuto
    )
    assert righe(cremona[UNITA])[0] == INTESTAZIONI_2025
    testata = righe(cremona[SCELTE])[0]
    assert [t for t in testata if "%" in t and ("7 bis" in t or "7 ter" in t or "c bis" in t)] == [I_B]
    assert not any(t.startswith(("d bis", "c bis")) for t in testata)
    aler = cartella(
        unita_ente(piano=piano_cremonese, ente=ente("ALER Brescia-Cremona-Mantova"), formato="xlsx").contenuto
    )
    assert righe(aler[SCELTE])[0] == [I_B]
    csv = modello_ente(piano=piano_cremonese, ente=ente("Comune di Cremona"), formato="csv").contenuto
    assert COSTO not in csv.decode("utf-8-sig")


# --------------------------------------------------------------------------------------------
# What the upload reads and writes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("formato", ["xlsx", "ods"])
def test_the_2027_template_uploaded_unchanged_changes_nothing(piano_2027, formato):
    """Nothing changes but the states carried over from 2025, which the upload confirms as they are
    (issue 14: a re-upload confirms the carried-over states of the rows it lists)."""
    modello = modello_ente(piano=piano_2027, ente=ente("Comune di Cremona"), formato=formato)
    analisi = carica(piano_2027, "Comune di Cremona", modello.contenuto, modello.nome)
    assert analisi.valida, errori(analisi)
    assert analisi.scelte_presenti
    assert (analisi.nuove, analisi.modifiche, analisi.rimosse) == ([], [], [])
    assert (analisi.invariate, analisi.scelte_cambi) == (22, [])
    confermati = StatoUnita.objects.filter(pk__in=analisi.da_confermare)
    assert confermati.count() == len(analisi.da_confermare) > 0
    assert not confermati.filter(da_confermare=False).exists()


def test_a_cost_and_new_quotas_are_written_with_their_history_and_the_plan_shows_them(piano_2027):
    libera = unita_libera(piano_2027, "Comune di Cremona")
    id_regionale, pk = libera.unita.id_regionale, libera.unita_id
    libro = cartella(modello_ente(piano=piano_2027, ente=ente("Comune di Cremona"), formato="xlsx").contenuto)
    cella(libro[UNITA], "Stato nell'anno", pk).value = "carenza"
    cella(libro[UNITA], COSTO, pk).value = "15.000,00"
    cella(libro[UNITA], LAVORI, pk).value = "Impianti e serramenti"
    con_motivazione(libro)
    cella(libro[SCELTE], D_BIS_7BIS).value = 15
    cella(libro[SCELTE], D_BIS_7TER).value = 5

    analisi = carica(piano_2027, "Comune di Cremona", salva(libro))
    assert analisi.valida, errori(analisi)
    dati = anteprima(analisi)
    assert dati["conteggi"]["modificate"] == 1
    assert {(c["campo"], c["prima"], c["dopo"]) for c in dati["modificate"][0]["cambi"]} >= {
        (COSTO, "—", "15.000,00"),
        (LAVORI, "—", "Impianti e serramenti"),
    }
    assert [(s["prima"], s["dopo"]) for s in dati["scelte"]] == [
        ("—", "Emergenza abitativa"),
        (12, 15),
        (3, 5),
    ]
    assert dati["scelte"][1]["campo"].startswith(D_BIS_7BIS)

    esito = registra(analisi=analisi, utente=None)

    assert esito.scelte and "scelte dell'ente aggiornate" in esito.descrizione()
    stato = StatoUnita.objects.get(pk=libera.pk)
    assert (stato.stato, stato.costo_lavori, stato.note_lavori) == (
        Stato.CARENZA_MANUTENTIVA,
        Decimal("15000.00"),
        "Impianti e serramenti",
    )
    scelte = ScelteEnte.objects.get(piano=piano_2027, ente=ente("Comune di Cremona"))
    assert (scelte.quota_forze_polizia, scelte.quota_polizia_locale, scelte.da_confermare) == (15, 5, False)
    voce_stato = Modifica.objects.get(
        modello="piano_annuale.statounita", oggetto_id=libera.pk, origine="importazione (modello.xlsx)"
    )
    assert voce_stato.prima is not None and voce_stato.dopo is not None
    assert (voce_stato.prima["costo_lavori"], voce_stato.dopo["costo_lavori"]) == (None, "15000.00")
    assert voce_stato.dopo["note_lavori"] == "Impianti e serramenti"
    voce_scelte = Modifica.objects.filter(modello="piano_annuale.scelteente", oggetto_id=scelte.pk).latest(
        "pk"
    )
    assert voce_scelte.prima is not None and voce_scelte.dopo is not None
    assert (voce_scelte.prima["quota_polizia_locale"], voce_scelte.dopo["quota_polizia_locale"]) == (3, 5)

    for formato in ("xlsx", "ods", "csv"):  # the cost written back as the export writes it
        di_nuovo = modello_ente(piano=piano_2027, ente=ente("Comune di Cremona"), formato=formato)
        analisi = carica(piano_2027, "Comune di Cremona", di_nuovo.contenuto, di_nuovo.nome)
        assert analisi.valida and not analisi.ci_sono_modifiche, (formato, errori(analisi))

    calcolo = calcola_piano(piano_2027)
    assert calcolo.dbis is not None and calcolo.costi_b is not None
    cremona = next(r for r in calcolo.dbis.righe if r.comune == "Cremona")
    assert (cremona.percentuale_7bis, cremona.percentuale_7ter) == (15, 5)
    costo = next(u for u in calcolo.costi_b.unita if u.id_regionale == id_regionale)
    assert (costo.costo, costo.lavori) == (Decimal("15000.00"), "Impianti e serramenti")


def test_d_bis_15_and_8_is_refused_with_the_forms_message_and_nothing_is_written(piano_2027):
    libro = cartella(modello_ente(piano=piano_2027, ente=ente("Comune di Cremona"), formato="xlsx").contenuto)
    con_motivazione(libro)
    cella(libro[SCELTE], D_BIS_7BIS).value = 15
    cella(libro[SCELTE], D_BIS_7TER).value = 8
    analisi = carica(piano_2027, "Comune di Cremona", salva(libro))
    assert errori(analisi) == [
        (
            SCELTE,
            2,
            f"{D_BIS_7TER} (colonna E)",
            "8",
            "Le due quote insieme (23%) superano il 20% che la lett. d bis) consente per comune.",
        )
    ]
    with pytest.raises(ImportazioneNonValida):
        registra(analisi=analisi, utente=None)
    scelte = ScelteEnte.objects.get(piano=piano_2027, ente=ente("Comune di Cremona"))
    assert (scelte.quota_forze_polizia, scelte.quota_polizia_locale) == (12, 3)


def test_a_cost_on_a_free_unit_is_a_row_error_with_the_forms_message(piano_2027):
    pk = unita_libera(piano_2027, "Comune di Cremona").unita_id
    libro = cartella(modello_ente(piano=piano_2027, ente=ente("Comune di Cremona"), formato="xlsx").contenuto)
    costo = cella(libro[UNITA], COSTO, pk)
    costo.value = 5000
    analisi = carica(piano_2027, "Comune di Cremona", salva(libro))
    assert errori(analisi) == [
        (
            UNITA,
            costo.row,
            f"{COSTO} (colonna K)",
            "5000",
            "Il costo e gli interventi si indicano solo per le unità in carenza manutentiva.",
        )
    ]


def test_a_cost_is_read_the_italian_way_and_a_bad_one_is_named_by_row_column_and_value(piano_2027):
    soresina = StatoUnita.objects.filter(
        piano=piano_2027, unita__ente__denominazione="Comune di Soresina", stato=Stato.CARENZA_MANUTENTIVA
    ).order_by("unita_id")
    prima, seconda = list(soresina)
    libro = cartella(
        modello_ente(piano=piano_2027, ente=ente("Comune di Soresina"), formato="xlsx").contenuto
    )
    cella(libro[UNITA], COSTO, prima.unita_id).value = "1.234"
    sbagliata = cella(libro[UNITA], COSTO, seconda.unita_id)
    sbagliata.value = "mille euro"
    analisi = carica(piano_2027, "Comune di Soresina", salva(libro))
    assert errori(analisi) == [
        (
            UNITA,
            sbagliata.row,
            f"{COSTO} (colonna K)",
            "mille euro",
            "«mille euro» non è un importo: scrivere ad es. 188.331,50.",
        )
    ]
    sbagliata.value = None
    analisi = carica(piano_2027, "Comune di Soresina", salva(libro))
    assert analisi.valida, errori(analisi)
    registra(analisi=analisi, utente=None)
    prima.refresh_from_db()
    assert prima.costo_lavori == Decimal("1234.00")


def test_a_file_with_only_the_choices_sheet_is_valid_and_takes_categories_by_name_or_code(piano_2027):
    libro = cartella(
        unita_ente(piano=piano_2027, ente=ente("ALER Brescia-Cremona-Mantova"), formato="xlsx").contenuto
    )
    for nome in (UNITA, "Turnover"):
        del libro[nome]
    cella(libro[SCELTE], C_BIS).value = "10%"
    cella(libro[SCELTE], CATEGORIE).value = "anziani; Appartenenti alle Forze Armate"
    stati_di_aler = StatoUnita.objects.filter(piano=piano_2027, unita__ente__tipo=TipoEnte.ALER)
    quanti = stati_di_aler.count()
    analisi = carica(piano_2027, "ALER Brescia-Cremona-Mantova", salva(libro))
    assert analisi.valida, errori(analisi)
    assert (analisi.nuove, analisi.modifiche, analisi.rimosse) == ([], [], [])
    registra(analisi=analisi, utente=None)
    scelte = ScelteEnte.objects.get(piano=piano_2027, ente__tipo=TipoEnte.ALER)
    assert (scelte.soglia_c_bis, scelte.categorie_c_bis) == (10, ["anziani", "forze_armate"])
    assert stati_di_aler.count() == quanti  # the units were not in the file, and stay as they are


def test_an_unknown_category_names_the_ones_the_law_allows(piano_2027):
    libro = cartella(
        unita_ente(piano=piano_2027, ente=ente("ALER Brescia-Cremona-Mantova"), formato="xlsx").contenuto
    )
    del libro[UNITA]
    cella(libro[SCELTE], C_BIS).value = 10
    cella(libro[SCELTE], CATEGORIE).value = "Studenti"
    analisi = carica(piano_2027, "ALER Brescia-Cremona-Mantova", salva(libro))
    [(foglio, riga, colonna, valore, messaggio)] = errori(analisi)
    assert (foglio, riga, colonna, valore) == (SCELTE, 2, f"{CATEGORIE} (colonna B)", "Studenti")
    assert messaggio.startswith(
        "Categoria non prevista dalle regole del piano. Indicare una o più tra: Anziani; "
    )


def test_under_the_2025_rules_cost_columns_are_ignored_with_a_warning(piano_cremonese):
    cremona = ente("Comune di Cremona")
    riapri_per_il_test(piano_cremonese, cremona)
    libro = cartella(modello_ente(piano=piano_cremonese, ente=cremona, formato="xlsx").contenuto)
    foglio = libro[UNITA]
    foglio.insert_cols(11)
    foglio.cell(row=1, column=11).value = COSTO
    foglio.cell(row=2, column=11).value = "15.000,00"
    analisi = carica(piano_cremonese, "Comune di Cremona", salva(libro))
    assert analisi.valida, errori(analisi)
    assert not analisi.ci_sono_modifiche
    assert analisi.avvisi == [
        f"Foglio «{UNITA}»: la colonna «{COSTO} (colonna K)» non è prevista dalle regole del piano 2025 ed è "
        "stata ignorata."
    ]
