"""One workbook per ente carries everything it declares (issue 14, point 3): units and states,
turnover, choices, consistenza (a), SAT (j) and the previous year's assignments (k). Every sheet is
optional and round-trips; every bad value is an error with its sheet, row, column, value and Italian
message; a re-upload confirms the carried-over states it lists; the ufficio di piano uploads on an
ente's behalf; «1.234» is a whole number. And the Italian of the upload's messages (point 10)."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.template import Context, Template
from django.urls import reverse

from ambito.italiano import con_articolo, con_preposizione, data_estesa, nome_con_preposizione
from patrimonio.esportazione import modello_ente, unita_ente
from patrimonio.importazione import analizza, anteprima, registra
from patrimonio.importazione.scrittura import Esito
from patrimonio.models import EnteProprietario, Ruolo, TipoEnte, UnitaAbitativa
from piano_annuale.controlli.vincoli import VINCOLI
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    Modifica,
    StatoUnita,
    TurnoverPrevisto,
)
from piano_annuale.services.ente import salva_unita
from tests.utenti import crea_operatore, hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)

CONSISTENZA = ["Comune", "Codice ISTAT", "Alloggi SAP", "Alloggi SAS", "Fonte"]
SAT = ["Comune", "Codice ISTAT", "U.I. destinate ai SAT"]
ASSEGNAZIONI = ["U.I. SAP assegnate nell'anno precedente", "di cui per mobilità", "di cui in deroga"]
TURNOVER = ["Comune", "Codice ISTAT", "Numero di alloggi"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def enti(piano_cremonese):
    enti = {
        "cremona": EnteProprietario.objects.select_related("comune").get(comune__nome="Cremona"),
        "soresina": EnteProprietario.objects.select_related("comune").get(comune__nome="Soresina"),
        "aler": EnteProprietario.objects.get(ambito=piano_cremonese.ambito, tipo=TipoEnte.ALER),
    }
    for ente in enti.values():
        riapri_per_il_test(piano_cremonese, ente)
    return enti


def xlsx(fogli: dict[str, list[list]], *, nascosti: tuple[str, ...] = ()) -> bytes:
    cartella = openpyxl.Workbook()
    vuoto = cartella.active
    assert vuoto is not None  # a new workbook has one sheet
    cartella.remove(vuoto)
    for nome, righe in fogli.items():
        foglio = cartella.create_sheet(nome)
        for riga in righe:
            foglio.append(riga)
        if nome in nascosti:
            foglio.sheet_state = "hidden"
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()


def esegui(piano, ente, contenuto: bytes, nome: str = "cartella.xlsx"):
    return analizza(contenuto=contenuto, nome_file=nome, piano=piano, ente=ente)


def errori(analisi) -> list[tuple]:
    return [(e.foglio, e.riga, e.colonna, e.valore, e.messaggio) for e in analisi.errori]


# --------------------------------------------------------------------------------------------
# The whole workbook round-trips
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("formato", ["xlsx", "ods"])
@pytest.mark.parametrize("quale", ["cremona", "aler"])
def test_the_workbook_with_every_sheet_uploaded_unchanged_changes_nothing(
    piano_cremonese, enti, formato, quale
):
    ente = enti[quale]
    modello = modello_ente(piano=piano_cremonese, ente=ente, formato=formato)
    if formato == "xlsx":
        nomi = openpyxl.load_workbook(io.BytesIO(modello.contenuto)).sheetnames
        assert nomi == [
            "Unità abitative",
            "Turnover",
            "Scelte",
            "Consistenza",
            "SAT",
            "Assegnazioni",
            "Istruzioni",
        ]
    analisi = esegui(piano_cremonese, ente, modello.contenuto, modello.nome)
    assert analisi.valida, errori(analisi)
    assert [f.tipo for f in analisi.dichiarati] == ["consistenza", "sat", "assegnazioni"]
    assert all(not f.cambi for f in analisi.dichiarati)
    assert analisi.turnover_presente and analisi.scelte_presenti
    assert not analisi.ci_sono_modifiche


def test_alers_unit_with_a_programme_and_another_state_is_reported_not_refused(piano_cremonese, enti):
    """The fixture's ALER unit in carenza with «LOTTO 2.2» (a contradiction the plan's checks show):
    uploaded as it is, it is a warning; the same programme on another unit is still an error."""
    modello = modello_ente(piano=piano_cremonese, ente=enti["aler"], formato="xlsx")
    analisi = esegui(piano_cremonese, enti["aler"], modello.contenuto)
    assert analisi.valida
    avvisi = [a for a in analisi.avvisi if "LOTTO 2.2" in a]
    assert avvisi == [
        "Foglio «Unità abitative», riga 48: il programma «LOTTO 2.2» è indicato per un'unità che non è in "
        "ristrutturazione. È già così nei dati dell'ente e resta segnalato dai controlli del piano: "
        "un'unità è contata in una sola sezione."
    ]


def test_the_unit_list_export_round_trips_too(piano_cremonese, enti):
    esportato = unita_ente(piano=piano_cremonese, ente=enti["cremona"], formato="xlsx")
    analisi = esegui(piano_cremonese, enti["cremona"], esportato.contenuto)
    assert analisi.valida, errori(analisi)
    assert not analisi.ci_sono_modifiche


# --------------------------------------------------------------------------------------------
# Each sheet alone
# --------------------------------------------------------------------------------------------


def test_a_consistenza_sheet_alone_changes_only_the_consistenza(piano_cremonese, enti):
    ente = enti["soresina"]
    contenuto = xlsx({"Consistenza": [CONSISTENZA, ["", "", "1.234", 9, "ricognizione 2026"]]})
    analisi = esegui(piano_cremonese, ente, contenuto)
    assert analisi.valida, errori(analisi)
    assert analisi.layout == [] and analisi.righe == 1
    (foglio,) = analisi.dichiarati
    assert [(c.voce, c.prima, c.dopo) for c in foglio.cambi] == [
        (
            "intero ente",
            {"sap": 112, "sas": 8, "fonte": "ricognizione 2025"},
            {"sap": 1234, "sas": 9, "fonte": "ricognizione 2026"},
        )
    ]
    dati = anteprima(analisi)
    assert dati["unita_presenti"] is False  # the preview does not speak of units the file has not
    assert dati["dichiarati"][0]["cambi"] == [
        {
            "voce": "intero ente",
            "prima": "SAP 112, SAS 8 (fonte: ricognizione 2025)",
            "dopo": "SAP 1.234, SAS 9 (fonte: ricognizione 2026)",
        }
    ]
    stati_prima = StatoUnita.objects.filter(piano=piano_cremonese, unita__ente=ente).count()
    esito = registra(analisi=analisi, utente=None)
    assert esito.descrizione() == "Caricamento registrato: consistenza del patrimonio aggiornata."
    riga = ConsistenzaDichiarata.objects.get(piano=piano_cremonese, ente=ente, comune__isnull=True)
    assert (riga.sap, riga.sas, riga.fonte) == (1234, 9, "ricognizione 2026")
    assert StatoUnita.objects.filter(piano=piano_cremonese, unita__ente=ente).count() == stati_prima
    voce = Modifica.objects.filter(modello="piano_annuale.consistenzadichiarata", oggetto_id=riga.pk).latest(
        "pk"
    )
    assert voce.origine == "importazione (cartella.xlsx)"
    assert voce.prima is not None and voce.dopo is not None
    assert (voce.prima["sap"], voce.dopo["sap"], voce.ente_id) == (112, 1234, ente.pk)


def test_a_sat_sheet_replaces_the_entes_sat_rows(piano_cremonese, enti):
    ente = enti["cremona"]
    contenuto = xlsx({"SAT": [SAT, ["CREMONA", "019036", 7], ["soresina", "", 2]]})
    analisi = esegui(piano_cremonese, ente, contenuto)
    assert analisi.valida, errori(analisi)
    (foglio,) = analisi.dichiarati
    assert [(c.voce, c.prima, c.dopo) for c in foglio.cambi] == [
        ("Cremona", {"numero": 5}, {"numero": 7}),
        ("Soresina", None, {"numero": 2}),
    ]
    registra(analisi=analisi, utente=None)
    assert dict(
        DestinazioneSAT.objects.filter(piano=piano_cremonese, ente=ente).values_list("comune__nome", "numero")
    ) == {"Cremona": 7, "Soresina": 2}
    # Uploaded again without Soresina, and Cremona at 0: both rows go.
    analisi = esegui(piano_cremonese, ente, xlsx({"SAT": [SAT, ["Cremona", "", 0]]}))
    assert [(c.voce, c.dopo) for c in analisi.dichiarati[0].cambi] == [("Cremona", None), ("Soresina", None)]
    registra(analisi=analisi, utente=None)
    assert not DestinazioneSAT.objects.filter(piano=piano_cremonese, ente=ente).exists()


def test_an_assignments_sheet_alone(piano_cremonese, enti):
    ente = enti["soresina"]
    analisi = esegui(piano_cremonese, ente, xlsx({"Assegnazioni": [ASSEGNAZIONI, [3, 1, 0]]}))
    assert analisi.valida, errori(analisi)
    assert [(c.prima, c.dopo) for c in analisi.dichiarati[0].cambi] == [
        (None, {"totale": 3, "mobilita": 1, "in_deroga": 0})
    ]
    registra(analisi=analisi, utente=None)
    riga = AssegnazioniAnnoPrecedente.objects.get(piano=piano_cremonese, ente=ente)
    assert (riga.totale, riga.mobilita, riga.in_deroga) == (3, 1, 0)


def test_a_turnover_sheet_alone_is_valid(piano_cremonese, enti):
    """The product's own turnover template (csv) was refused with «Il file non contiene unità
    abitative»; a workbook with only the «Turnover» sheet too."""
    ente = enti["soresina"]
    modello = modello_ente(piano=piano_cremonese, ente=ente, formato="csv", foglio="turnover")
    analisi = esegui(piano_cremonese, ente, modello.contenuto, modello.nome)
    assert analisi.valida, errori(analisi)
    assert not analisi.ci_sono_modifiche  # the template offers the comune's row at 0
    analisi = esegui(piano_cremonese, ente, xlsx({"Turnover": [TURNOVER, ["Soresina", "", "1.234"]]}))
    assert analisi.valida, errori(analisi)
    esito = registra(analisi=analisi, utente=None)
    assert esito.descrizione() == "Caricamento registrato: 1 comune del turn-over aggiornato."
    assert TurnoverPrevisto.objects.get(piano=piano_cremonese, ente=ente).numero == 1234


@pytest.mark.parametrize("foglio", ["consistenza", "sat", "assegnazioni", "turnover"])
def test_each_csv_template_alone_is_accepted_unchanged(piano_cremonese, enti, foglio):
    ente = enti["cremona"]
    modello = modello_ente(piano=piano_cremonese, ente=ente, formato="csv", foglio=foglio)
    analisi = esegui(piano_cremonese, ente, modello.contenuto, modello.nome)
    assert analisi.valida, errori(analisi)
    assert not analisi.ci_sono_modifiche
    if foglio != "turnover":
        assert [f.tipo for f in analisi.dichiarati] == [foglio]


def test_a_consistenza_not_communicated_round_trips(piano_cremonese, enti):
    ente = enti["soresina"]
    ConsistenzaDichiarata.objects.filter(piano=piano_cremonese, ente=ente).update(
        sap=None, sas=None, fonte=""
    )
    modello = modello_ente(piano=piano_cremonese, ente=ente, formato="csv", foglio="consistenza")
    assert "non comunicata;non comunicata" in modello.contenuto.decode("utf-8-sig")
    analisi = esegui(piano_cremonese, ente, modello.contenuto, modello.nome)
    assert analisi.valida, errori(analisi)
    assert not analisi.ci_sono_modifiche


# --------------------------------------------------------------------------------------------
# Bad values: sheet, row, column, value and message
# --------------------------------------------------------------------------------------------

NON_NUMERO = "Il valore non è un numero: indicare un numero intero (0 se nessuno)."


@pytest.mark.parametrize(
    ("foglio", "righe", "atteso"),
    [
        (
            "Consistenza",
            [CONSISTENZA, ["", "", "molti", 3, ""]],
            (2, "Alloggi SAP (colonna C)", "molti", NON_NUMERO),
        ),
        (
            "Consistenza",
            [CONSISTENZA, ["", "", -3, 3, ""]],
            (2, "Alloggi SAP (colonna C)", "-3", "Il numero non può essere negativo."),
        ),
        (
            "Consistenza",
            [CONSISTENZA, ["", "", 5, "", ""]],
            (2, "Alloggi SAS (colonna D)", "", VINCOLI["consistenza_sap_sas_entrambi_o_nessuno"]),
        ),
        (
            "Consistenza",
            [CONSISTENZA, ["", "", 5, 1, ""], ["", "", 6, 1, ""]],
            (
                3,
                "",
                "",
                "La consistenza dell'intero ente compare anche alla riga 2: indicarla una sola volta.",
            ),
        ),
        (
            "SAT",
            [SAT, ["Atlantide", "", 2]],
            (
                2,
                "Comune (colonna A)",
                "Atlantide",
                "Comune «Atlantide» sconosciuto: indicare il nome di un comune dell'ambito "
                "«Ambito Sociale Territoriale Cremonese» come nell'elenco ISTAT, oppure il codice ISTAT.",
            ),
        ),
        (
            "SAT",
            [SAT, ["Cremona", "", "2,5"]],
            (2, "U.I. destinate ai SAT (colonna C)", "2,5", "Indicare un numero intero."),
        ),
        (
            "SAT",
            [SAT, ["", "", 2]],
            (2, "Comune (colonna A)", "", "Indicare il comune a cui si riferisce il numero."),
        ),
        (
            "Assegnazioni",
            [ASSEGNAZIONI, [3, 5, 0]],
            (2, "di cui per mobilità (colonna B)", "5", VINCOLI["assegnazioni_mobilita_entro_totale"]),
        ),
        (
            "Assegnazioni",
            [ASSEGNAZIONI, [3, 0, 4]],
            (2, "di cui in deroga (colonna C)", "4", VINCOLI["assegnazioni_deroga_entro_totale"]),
        ),
        (
            "Assegnazioni",
            [ASSEGNAZIONI, ["", 1, 0]],
            (
                2,
                "U.I. SAP assegnate nell'anno precedente (colonna A)",
                "",
                "Indicare il numero (0 se nessuna).",
            ),
        ),
        (
            "Assegnazioni",
            [ASSEGNAZIONI, [3, 1, 0], [4, 1, 0]],
            (
                3,
                "",
                "",
                "Il foglio «Assegnazioni» ha una sola riga di valori, sotto le intestazioni: la prima è alla "
                "riga 2; cancellare le righe in più.",
            ),
        ),
    ],
)
def test_each_bad_value_is_an_error_with_row_column_value_and_message(
    piano_cremonese, enti, foglio, righe, atteso
):
    prima = sorted(ConsistenzaDichiarata.objects.values_list("pk", "sap", "sas"))
    analisi = esegui(piano_cremonese, enti["cremona"], xlsx({foglio: righe}))
    assert errori(analisi) == [(foglio, *atteso)]
    assert not analisi.ci_sono_modifiche or analisi.errori
    with pytest.raises(ValueError, match="Il file contiene errori"):
        registra(analisi=analisi, utente=None)
    assert sorted(ConsistenzaDichiarata.objects.values_list("pk", "sap", "sas")) == prima


def test_a_missing_column_is_named(piano_cremonese, enti):
    analisi = esegui(
        piano_cremonese, enti["cremona"], xlsx({"Consistenza": [["Comune", "Alloggi SAP"], ["", 3]]})
    )
    assert errori(analisi) == [
        (
            "Consistenza",
            1,
            "Alloggi SAS",
            "",
            "Manca la colonna «Alloggi SAS»: usare le intestazioni del modello scaricato da questo servizio.",
        )
    ]


def test_thousands_separator_in_counts_and_a_decimal_refused(piano_cremonese, enti):
    ente = enti["cremona"]
    analisi = esegui(
        piano_cremonese, ente, xlsx({"Consistenza": [CONSISTENZA, ["", "", "2.417", "1.019", "x"]]})
    )
    assert analisi.valida, errori(analisi)
    assert analisi.dichiarati[0].cambi[0].dopo == {"sap": 2417, "sas": 1019, "fonte": "x"}
    analisi = esegui(piano_cremonese, ente, xlsx({"Consistenza": [CONSISTENZA, ["", "", "1.234,5", 1, ""]]}))
    assert errori(analisi) == [
        ("Consistenza", 2, "Alloggi SAP (colonna C)", "1.234,5", "Indicare un numero intero.")
    ]


def test_a_hidden_sheet_is_reported_in_the_preview_even_with_errors(client, piano_cremonese, enti):
    ufficio = crea_operatore("ufficio.cartella", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    client.force_login(ufficio)
    contenuto = xlsx(
        {"SAT": [SAT, ["Atlantide", "", 1]], "Assegnazioni": [ASSEGNAZIONI, [1, 0, 0]]},
        nascosti=("Assegnazioni",),
    )
    risposta = _carica(client, piano_cremonese, enti["cremona"], contenuto)
    pagina = client.get(risposta["Location"]).content.decode()
    assert "Il foglio «Assegnazioni» è nascosto e non è stato letto" in pagina
    assert "Atlantide" in pagina


# --------------------------------------------------------------------------------------------
# Carried-over states, and the ufficio di piano on the ente's behalf
# --------------------------------------------------------------------------------------------


def test_a_reupload_confirms_the_carried_over_states_it_lists(piano_cremonese, enti):
    ente = enti["aler"]
    stati = StatoUnita.objects.filter(piano=piano_cremonese, unita__ente=ente)
    stati.update(da_confermare=True)
    quanti = stati.count()
    modello = modello_ente(piano=piano_cremonese, ente=ente, formato="xlsx")
    analisi = esegui(piano_cremonese, ente, modello.contenuto)
    assert analisi.valida, errori(analisi)
    assert len(analisi.da_confermare) == quanti == 130
    assert analisi.ci_sono_modifiche and not analisi.modifiche
    esito = registra(analisi=analisi, utente=None)
    assert esito.descrizione() == (
        "Caricamento registrato: 0 unità aggiunte, 0 modificate, 0 tolte, 130 invariate, "
        "130 stati ripresi dal piano precedente confermati."
    )
    assert not stati.filter(da_confermare=True).exists()
    voci = Modifica.objects.filter(
        modello="piano_annuale.statounita", ente_id=ente.pk, origine__startswith="importazione"
    )
    assert voci.count() == 130
    voce = voci.get(oggetto_id=stati.order_by("pk").values_list("pk", flat=True)[0])
    assert voce.prima is not None and voce.dopo is not None
    assert (voce.prima["da_confermare"], voce.dopo["da_confermare"]) == (True, False)
    # Uploaded again: nothing left to confirm, nothing changes.
    assert not esegui(piano_cremonese, ente, modello.contenuto).ci_sono_modifiche


def test_a_changed_carried_over_state_is_confirmed_by_the_change(piano_cremonese, enti):
    ente = enti["cremona"]
    stato = StatoUnita.objects.filter(piano=piano_cremonese, unita__ente=ente, stato="libera").earliest("pk")
    StatoUnita.objects.filter(pk=stato.pk).update(da_confermare=True)
    contenuto = modello_ente(piano=piano_cremonese, ente=ente, formato="csv").contenuto.decode("utf-8-sig")
    righe = list(csv.reader(io.StringIO(contenuto), delimiter=";"))
    colonna_stato, colonna_pk = righe[0].index("Stato nell'anno"), righe[0].index("ID interno")
    for riga in righe[1:]:
        if riga[colonna_pk] == str(stato.unita_id):
            riga[colonna_stato] = "carenza"
    uscita = io.StringIO()
    csv.writer(uscita, delimiter=";").writerows(righe)
    analisi = esegui(piano_cremonese, ente, uscita.getvalue().encode(), "unita.csv")
    assert analisi.valida, errori(analisi)
    assert [m.pk for m in analisi.modifiche] == [stato.unita_id] and analisi.da_confermare == []
    registra(analisi=analisi, utente=None)
    stato.refresh_from_db()
    assert (stato.stato, stato.da_confermare) == ("carenza", False)
    voce = Modifica.objects.filter(modello="piano_annuale.statounita", oggetto_id=stato.pk).latest("pk")
    assert voce.prima is not None and voce.dopo is not None
    assert (voce.prima["da_confermare"], voce.dopo["da_confermare"], voce.dopo["stato"]) == (
        True,
        False,
        "carenza",
    )


def _carica(client, piano, ente, contenuto: bytes, nome: str = "cartella.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("patrimonio:caricamenti", args=[piano.pk, ente.pk])
    return client.post(url, {"file": SimpleUploadedFile(nome, contenuto)})


def test_the_ufficio_di_piano_uploads_on_behalf_of_an_ente(client, piano_cremonese, enti):
    ente = enti["soresina"]
    ufficio = crea_operatore("ufficio.cartella", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    comunale = crea_operatore("soresina.cartella", piano_cremonese.ambito, Ruolo.COMUNE, ente)
    client.force_login(ufficio)
    elenco = client.get(
        reverse("patrimonio:caricamenti", args=[piano_cremonese.pk, ente.pk])
    ).content.decode()
    assert "State caricando i dati per conto del Comune di Soresina" in elenco
    risposta = _carica(client, piano_cremonese, ente, xlsx({"Assegnazioni": [ASSEGNAZIONI, [2, 0, 1]]}))
    pagina = client.get(risposta["Location"]).content.decode()
    assert "per conto del Comune di Soresina" in pagina
    assert "k) Assegnazioni dell&#x27;anno precedente" in pagina
    caricamento = ente.caricamenti.get()
    conferma = reverse("patrimonio:caricamento_conferma", args=[piano_cremonese.pk, ente.pk, caricamento.pk])
    client.post(conferma)
    caricamento.refresh_from_db()
    assert caricamento.stato == "confermato", caricamento.esito
    riga = AssegnazioniAnnoPrecedente.objects.get(piano=piano_cremonese, ente=ente)
    voce = Modifica.objects.get(modello="piano_annuale.assegnazioniannoprecedente", oggetto_id=riga.pk)
    assert voce.utente == ufficio
    assert voce.origine == f"importazione n. {caricamento.pk} (cartella.xlsx)"
    # The ente's own operator does not upload «per conto di».
    client.force_login(comunale)
    elenco = client.get(
        reverse("patrimonio:caricamenti", args=[piano_cremonese.pk, ente.pk])
    ).content.decode()
    assert "State caricando i dati per conto" not in elenco
    assert "(per conto dell'ente)" in elenco  # the ufficio's upload in the history


# --------------------------------------------------------------------------------------------
# Italian: plurals, articles, the first of the month (point 10)
# --------------------------------------------------------------------------------------------


def test_the_outcome_uses_italian_plurals():
    uno = Esito(aggiunte=1, modificate=1, rimosse=1, invariate=1, turnover=1, confermati=1)
    assert uno.descrizione() == (
        "Caricamento registrato: 1 unità aggiunta, 1 modificata, 1 tolta, 1 invariata, 1 stato ripreso dal "
        "piano precedente confermato, 1 comune del turn-over aggiornato."
    )
    molti = Esito(aggiunte=1234, modificate=2, rimosse=0, invariate=3, turnover=2)
    assert molti.descrizione() == (
        "Caricamento registrato: 1.234 unità aggiunte, 2 modificate, 0 tolte, 3 invariate, "
        "2 comuni del turn-over aggiornati."
    )


def test_the_entes_article_and_prepositions(enti):
    cremona, aler = enti["cremona"], enti["aler"]
    assert con_articolo(cremona) == "il Comune di Cremona"
    assert con_articolo(aler) == "l'ALER Brescia-Cremona-Mantova"
    assert con_preposizione(cremona, "di") == "del Comune di Cremona"
    assert con_preposizione(cremona, "per") == "per il Comune di Cremona"
    assert con_preposizione(aler, "di") == "dell'ALER Brescia-Cremona-Mantova"
    assert con_preposizione(aler, "per") == "per l'ALER Brescia-Cremona-Mantova"
    assert con_preposizione(aler, "a") == "all'ALER Brescia-Cremona-Mantova"
    # The signature of the letters to the Prefettura and the Polizia Locale.
    assert (
        nome_con_preposizione("Comune di Cremona", "comune", "per", maiuscola=True)
        == "Per il Comune di Cremona"
    )
    operatore = EnteProprietario(tipo=TipoEnte.OPERATORE, denominazione="Fondazione Casa")
    assert con_preposizione(operatore, "di") == "di Fondazione Casa"
    pagina = Template('{% load italiano %}Dati {{ e|preposizione:"di" }} · {{ e|con_articolo }}').render(
        Context({"e": cremona})
    )
    assert pagina == "Dati del Comune di Cremona · il Comune di Cremona"


def test_the_first_of_the_month_is_an_ordinal():
    assert data_estesa(datetime.date(2026, 12, 1)) == "1° dicembre 2026"
    assert data_estesa(datetime.date(2025, 2, 14)) == "14 febbraio 2025"
    assert data_estesa(None) == ""
    pagina = Template("{% load italiano %}{{ d|data_estesa }}").render(
        Context({"d": datetime.date(2027, 1, 1)})
    )
    assert pagina == "1° gennaio 2027"


def test_an_empty_add_a_unit_form_is_refused(client, piano_cremonese, enti):
    ente = enti["soresina"]
    client.force_login(crea_operatore("soresina.vuoto", piano_cremonese.ambito, Ruolo.COMUNE, ente))
    url = reverse("patrimonio:unita_nuova", args=[piano_cremonese.pk, ente.pk])
    prima = UnitaAbitativa.objects.filter(ente=ente).count()
    # What the browser sends when nothing is typed: the comune the page prefilled, the default service.
    risposta = client.post(url, {"comune": ente.comune_id, "tipo": "SAP", "stato": ""})
    assert risposta.status_code == 200
    assert (
        "Il modulo è vuoto: per aggiungere un&#x27;unità indicare almeno l&#x27;ID regionale, il codice "
        "dell&#x27;ente, l&#x27;indirizzo o lo stato nell&#x27;anno."
    ) in risposta.content.decode()
    assert UnitaAbitativa.objects.filter(ente=ente).count() == prima
    # A unit with only its state (no ID communicated) is still accepted.
    risposta = client.post(url, {"comune": ente.comune_id, "tipo": "SAP", "stato": "libera"})
    assert risposta.status_code == 302
    assert UnitaAbitativa.objects.filter(ente=ente).count() == prima + 1


def test_the_consistenza_per_comune_is_read_written_and_round_trips(piano_cremonese, enti):
    ente = enti["aler"]
    contenuto = xlsx(
        {
            "Consistenza": [
                CONSISTENZA,
                ["", "", 2417, 19, "ricognizione 2025"],
                ["Cremona", "019036", "1.500", 10, "ricognizione 2025"],
                ["Soresina", "", 120, 0, ""],
            ]
        }
    )
    analisi = esegui(piano_cremonese, ente, contenuto)
    assert analisi.valida, errori(analisi)
    assert [(c.voce, c.prima, c.dopo) for c in analisi.dichiarati[0].cambi] == [
        ("Cremona", None, {"sap": 1500, "sas": 10, "fonte": "ricognizione 2025"}),
        ("Soresina", None, {"sap": 120, "sas": 0, "fonte": ""}),
    ]
    registra(analisi=analisi, utente=None)
    righe = ConsistenzaDichiarata.objects.filter(piano=piano_cremonese, ente=ente)
    assert sorted((r.comune.nome if r.comune else "", r.sap, r.sas) for r in righe) == [
        ("", 2417, 19),
        ("Cremona", 1500, 10),
        ("Soresina", 120, 0),
    ]
    modello = modello_ente(piano=piano_cremonese, ente=ente, formato="xlsx")
    foglio = openpyxl.load_workbook(io.BytesIO(modello.contenuto))["Consistenza"]
    assert [list(r) for r in foglio.iter_rows(values_only=True)] == [
        CONSISTENZA,
        [None, None, 2417, 19, "ricognizione 2025"],
        ["Cremona", "019036", 1500, 10, "ricognizione 2025"],
        ["Soresina", enti["soresina"].comune.codice_istat, 120, 0, None],
    ]
    assert not esegui(piano_cremonese, ente, modello.contenuto).ci_sono_modifiche
    # The same comune twice is refused with both rows named.
    doppio = xlsx({"Consistenza": [CONSISTENZA, ["Cremona", "", 1, 1, ""], ["CREMONA", "", 2, 2, ""]]})
    assert errori(esegui(piano_cremonese, ente, doppio)) == [
        (
            "Consistenza",
            3,
            "",
            "",
            "Il comune di Cremona compare anche alla riga 2: indicare ogni comune una sola volta, con il "
            "numero complessivo.",
        )
    ]


@pytest.mark.parametrize(
    "nome", ["Unità abitative", "Scelte", "Consistenza", "SAT", "Assegnazioni", "Turnover"]
)
def test_each_sheet_of_the_template_alone_is_accepted(piano_cremonese, enti, nome):
    """The template with every sheet but one removed: valid, and nothing changes."""
    ente = enti["cremona"]
    libro = openpyxl.load_workbook(
        io.BytesIO(modello_ente(piano=piano_cremonese, ente=ente, formato="xlsx").contenuto)
    )
    for altro in list(libro.sheetnames):
        if altro != nome:
            libro.remove(libro[altro])
    uscita = io.BytesIO()
    libro.save(uscita)
    analisi = esegui(piano_cremonese, ente, uscita.getvalue())
    assert analisi.valida, errori(analisi)
    assert not analisi.ci_sono_modifiche


def test_a_unit_with_one_change_says_one_change(client, piano_cremonese, enti):
    ente = enti["soresina"]
    utente = crea_operatore("soresina.storico", piano_cremonese.ambito, Ruolo.COMUNE, ente)
    unita = salva_unita(
        piano=piano_cremonese,
        ente=ente,
        utente=utente,
        valori_unita={"comune_id": ente.comune_id, "indirizzo": "Via Roma 1"},
        valori_stato=None,
    )
    client.force_login(utente)
    pagina = client.get(reverse("patrimonio:unita_storico", args=[piano_cremonese.pk, ente.pk, unita.pk]))
    assert "1 modifica registrata." in pagina.content.decode()
