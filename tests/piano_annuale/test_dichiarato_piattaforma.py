"""The figures declared on the regional platform (check D01) where they belong (issue 14, point 1).

The ufficio di piano uploads the platform's report (the seed's Allegato A layout, one row per ente)
once for all enti, with a preview and row errors; each ente corrects its own figures in its
workspace; a reopened ente's D01 errors still count and still block «Invia ad ALER».
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from patrimonio.models import EnteProprietario, Ruolo, TipoEnte
from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import (
    CaricamentoPiattaforma,
    Modifica,
    RiepilogoDichiarato,
    RispostaRicognizione,
    StatoCaricamento,
    StatoRisposta,
)
from piano_annuale.services.iter import PianoConErrori, invia_ad_aler
from tests.utenti import crea_operatore, hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)

ALER = "ALER Brescia-Cremona-Mantova"
# The seed's Allegato A header (document 002, «A L L E G A T O A»), as the platform prints it.
INTESTAZIONE = [
    "Ragione Sociale Ente Proprietario",
    "Numero U.I. per Servizi Abitativi Sociali (SAS)",
    "Numero U.I. per Servizi Abitativi Pubblici (SAP)",
    "Numero complessivo U.I. disponibili nell'anno",
    "Numero U.I. libere e che si libereranno per effetto del turn-over",
    "Numero U.I. in carenza manutentiva assegnabili nello stato di fatto",
    "Numero U.I. disponibili per nuova edificazione, ristrutturazione, recupero, riqualificazione",
    "Numero U.I. per servizi abitativi transitori",
    "Numero U.I. assegnate l'anno precedente",
    "Numero U.I. conferite da privati",
    "Altra categoria di particolare rilevanza sociale",
    "Soglia % eccedente il 20% per indigenti",
    "% U.I. destinate a Forze di Polizia e Corpo nazionale dei Vigili del Fuoco",
]
# The seed's rows of the five enti D01 is about, corrected where the seed contradicts itself
# (ALER 19 free + turnover and 73 renovated; Bordolano 1 SAT; Formigara 3 SAS; Pessina 0 renovated),
# and Cremona's row unchanged.
RIGHE_CORRETTE = [
    ["ALER BRESCIA - CREMONA - MANTOVA", 19, 2417, 131, 19, 39, 73, 5, 154, 0, "NO", 0, 0],
    ["COMUNE DI BORDOLANO", 0, 10, 3, 3, 0, 0, 1, 0, 0, "NO", 0, 0],
    ["COMUNE DI FORMIGARA", 3, 0, 0, 0, 0, 0, 0, 0, 0, "NO", 0, 0],
    ["COMUNE DI PESSINA CREMONESE", 0, 9, 3, 3, 0, 0, 0, 0, 0, "NO", 0, 0],
    ["COMUNE DI CREMONA", 93, 931, 27, 8, 0, 19, 5, 24, 0, "soggetti beneficiari…", 10, 5],
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def xlsx(righe: list[list]) -> bytes:
    cartella = openpyxl.Workbook()
    foglio = cartella.active
    assert foglio is not None
    foglio.title = "Allegato A"
    foglio.append(["A L L E G A T O A -"])
    foglio.append(INTESTAZIONE)
    for riga in righe:
        foglio.append(riga)
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()


def codici(piano) -> list[tuple[str, str]]:
    return [(a.codice, a.messaggio) for a in calcola_piano(piano).anomalie if a.codice == "D01"]


def carica(client, piano, contenuto: bytes, nome: str = "report-piattaforma.xlsx"):
    file = io.BytesIO(contenuto)
    file.name = nome
    return client.post(reverse("patrimonio:piattaforma", args=[piano.pk]), {"file": file})


@pytest.fixture
def ufficio(piano_cremonese):
    return crea_operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)


def test_the_platform_report_uploaded_once_fixes_the_d01_errors_after_a_preview(
    client, piano_cremonese, ufficio
):
    assert len(codici(piano_cremonese)) == 6  # ALER twice, Bordolano, Formigara twice, Pessina
    client.force_login(ufficio)
    risposta = carica(client, piano_cremonese, xlsx(RIGHE_CORRETTE))
    caricamento = CaricamentoPiattaforma.objects.get()
    assert risposta["Location"] == reverse(
        "patrimonio:piattaforma_caricamento", args=[piano_cremonese.pk, caricamento.pk]
    )
    assert caricamento.stato == StatoCaricamento.ANTEPRIMA and caricamento.errori == []
    modifiche = {
        m["ente"]: [(c["campo"], c["prima"], c["dopo"]) for c in m["campi"]]
        for m in caricamento.anteprima["modifiche"]
    }
    assert modifiche == {
        ALER: [("libere_turnover", 18, 19), ("nuove_ristrutturate", 74, 73)],
        "Comune di Bordolano": [("transitori", 0, 1)],
        "Comune di Formigara": [("sas", 0, 3), ("sap", 3, 0)],
        "Comune di Pessina Cremonese": [("nuove_ristrutturate", 3, 0)],
    }
    assert caricamento.anteprima["invariati"] == 1
    # The preview names the enti the file leaves as they are (30 declared, 5 in the file).
    assert len(caricamento.anteprima["assenti"]) == 25
    pagina = client.get(risposta["Location"]).content.decode()
    assert "4 enti con totali nuovi o cambiati, 1 invariato." in pagina
    assert "U.I. libere e per turn-over" in pagina
    # Nothing is written before the confirmation.
    assert len(codici(piano_cremonese)) == 6

    conferma = client.post(
        reverse("patrimonio:piattaforma_conferma", args=[piano_cremonese.pk, caricamento.pk]), follow=True
    )
    assert (
        "Totali dichiarati in piattaforma registrati: 4 enti aggiornati, 1 invariato."
        in conferma.content.decode()
    )
    assert codici(piano_cremonese) == []
    aler = RiepilogoDichiarato.objects.get(piano=piano_cremonese, ente__denominazione=ALER)
    assert (aler.libere_turnover, aler.nuove_ristrutturate) == (19, 73)
    assert aler.fonte.startswith("report della piattaforma regionale «report-piattaforma.xlsx» del ")
    assert aler.aggiornato_da == ufficio
    # Each changed ente has its history row, with the upload as its origin.
    storia = Modifica.objects.filter(modello="piano_annuale.riepilogodichiarato", utente=ufficio)
    assert storia.count() == 4
    assert {m.origine for m in storia} == {
        f"report della piattaforma n. {caricamento.pk} (report-piattaforma.xlsx)"
    }


def test_each_bad_value_of_the_report_is_a_row_error_and_nothing_is_written(client, piano_cremonese, ufficio):
    prima = list(RiepilogoDichiarato.objects.order_by("pk").values_list())
    righe = [
        ["COMUNE DI MILANO", 0, 3, 0, 0, 0, 0, 0, 0, 0, "NO", 0, 0],
        ["COMUNE DI FORMIGARA", 3, -1, 0, 0, 0, 0, 0, 0, 0, "NO", 0, 0],
        ["COMUNE DI BORDOLANO", 0, 10, 2.5, 3, 0, 0, 1, 0, 0, "NO", 0, 0],
        ["COMUNE DI PESSINA CREMONESE", 0, 9, 3, 3, 0, 0, 0, 0, 0, "NO", "90%", 0],
        ["COMUNE DI CREMONA", 93, 931, "tanti", 8, 0, 19, 5, 24, 0, "NO", 10, 5],
        ["Comune di Formigara", 3, 0, 0, 0, 0, 0, 0, 0, 0, "NO", 0, 0],
        ["COMUNE DI SORESINA", 8, 112, "", 0, 2, 9, 0, 0, 0, "NO", 0, 10],
    ]
    client.force_login(ufficio)
    carica(client, piano_cremonese, xlsx(righe))
    caricamento = CaricamentoPiattaforma.objects.get()
    assert caricamento.stato == StatoCaricamento.CON_ERRORI
    assert caricamento.errori == [
        {
            "foglio": "Allegato A",
            "riga": 3,
            "colonna": "Ragione Sociale Ente Proprietario (A)",
            "valore": "COMUNE DI MILANO",
            "messaggio": "Nessun ente dell'ambito «Ambito Sociale Territoriale Cremonese» ha questo nome: scriverlo "
            "come nel servizio (ad es. «Comune di Cremona») o come nel report della piattaforma (ad es. «COMUNE DI "
            "CREMONA»).",
        },
        {
            "foglio": "Allegato A",
            "riga": 4,
            "colonna": "U.I. SAP (C)",
            "valore": "'-1",  # neutralised as every upload's values (formula injection)
            "messaggio": "Il numero non può essere negativo.",
        },
        {
            "foglio": "Allegato A",
            "riga": 5,
            "colonna": "U.I. disponibili nell'anno (D)",
            "valore": "2,5",
            "messaggio": "Indicare un numero intero, senza decimali.",
        },
        {
            "foglio": "Allegato A",
            "riga": 6,
            "colonna": "Soglia % eccedente il 20% per indigenti (L)",
            "valore": "90%",
            "messaggio": "La percentuale va da 0 a 80.",
        },
        {
            "foglio": "Allegato A",
            "riga": 7,
            "colonna": "U.I. disponibili nell'anno (D)",
            "valore": "tanti",
            "messaggio": "Indicare un numero intero (ad es. 12), non un testo.",
        },
        {
            "foglio": "Allegato A",
            "riga": 8,
            "colonna": "Ragione Sociale Ente Proprietario (A)",
            "valore": "Comune di Formigara",
            "messaggio": "Comune di Formigara compare già alla riga 4: lasciare una sola riga per ente.",
        },
        {
            "foglio": "Allegato A",
            "riga": 9,
            "colonna": "U.I. disponibili nell'anno (D)",
            "valore": "",
            "messaggio": "Manca il numero: scrivere 0 se non ce ne sono.",
        },
    ]
    assert caricamento.esito == (
        "Il file contiene 7 errori: correggerli e caricare di nuovo il file. Non è stato registrato nulla."
    )
    pagina = client.get(
        reverse("patrimonio:piattaforma_caricamento", args=[piano_cremonese.pk, caricamento.pk])
    )
    assert "Conferma e registra" not in pagina.content.decode()
    assert (
        client.post(
            reverse("patrimonio:piattaforma_conferma", args=[piano_cremonese.pk, caricamento.pk])
        ).status_code
        == 302
    )
    assert list(RiepilogoDichiarato.objects.order_by("pk").values_list()) == prima


def test_a_file_without_the_report_is_refused_with_its_reason(client, piano_cremonese, ufficio):
    client.force_login(ufficio)
    carica(client, piano_cremonese, b"Ente;Numero\nCremona;3\n", nome="altro.csv")
    caricamento = CaricamentoPiattaforma.objects.get()
    assert caricamento.stato == StatoCaricamento.FALLITO
    assert caricamento.esito.startswith(
        "Il file non contiene il report della piattaforma regionale: serve una riga di intestazione con "
        "«Ragione Sociale Ente Proprietario»"
    )


def test_only_the_ufficio_di_piano_of_the_ambito_uploads_the_report(client, piano_cremonese):
    cremona = EnteProprietario.objects.get(comune__nome="Cremona")
    comune = crea_operatore("cremona", piano_cremonese.ambito, Ruolo.COMUNE, cremona)
    client.force_login(comune)
    assert client.get(reverse("patrimonio:piattaforma", args=[piano_cremonese.pk])).status_code == 404
    assert carica(client, piano_cremonese, xlsx(RIGHE_CORRETTE)).status_code == 404
    assert not CaricamentoPiattaforma.objects.exists()
    # Nor does the comune reach the ricognizione dashboard, the page that links to the upload.
    assert client.get(reverse("piano_annuale:cruscotto", args=[piano_cremonese.pk])).status_code == 404


def test_the_ricognizione_dashboard_links_to_the_report_upload(client, piano_cremonese, ufficio):
    client.force_login(ufficio)
    pagina = client.get(reverse("piano_annuale:cruscotto", args=[piano_cremonese.pk])).content.decode()
    caricamento = reverse("patrimonio:piattaforma", args=[piano_cremonese.pk])
    assert (
        f'<a href="{caricamento}">Totali dichiarati nella piattaforma regionale: carica il report per tutti gli '
        "enti</a>"
    ) in pagina


def test_an_ente_corrects_its_declared_figures_in_its_workspace(client, piano_cremonese):
    aler = EnteProprietario.objects.get(ambito=piano_cremonese.ambito, tipo=TipoEnte.ALER)
    utente = crea_operatore("aler", piano_cremonese.ambito, Ruolo.ALER, aler)
    client.force_login(utente)
    indirizzo = reverse("patrimonio:dichiarato", args=[piano_cremonese.pk, aler.pk])
    pagina = client.get(indirizzo).content.decode()
    assert "Totali dichiarati nella piattaforma regionale" in pagina
    assert pagina.count('<span class="badge bg-danger">diverso</span>') == 2
    valori = {
        "sas": "19",
        "sap": "2417",
        "disponibili": "131",
        "libere_turnover": "19",
        "carenza_manutentiva": "39",
        "nuove_ristrutturate": "73",
        "transitori": "5",
        "assegnate_anno_precedente": "154",
        "conferite_privati": "0",
        "soglia_indigenti": "0",
        "forze_polizia": "0",
    }
    # ALER's answer was sent: its declaration is locked until the ufficio di piano reopens it.
    assert client.post(indirizzo, valori).status_code == 403
    riapri_per_il_test(piano_cremonese, aler)
    assert client.post(indirizzo, {**valori, "disponibili": ""}).status_code == 200
    assert client.post(indirizzo, valori)["Location"] == indirizzo
    assert [m for _, m in codici(piano_cremonese) if m.startswith(ALER)] == []
    riga = RiepilogoDichiarato.objects.get(piano=piano_cremonese, ente=aler)
    assert (riga.fonte, riga.aggiornato_da) == ("corretto nell'area dell'ente", utente)
    (modifica,) = Modifica.objects.filter(modello="piano_annuale.riepilogodichiarato", utente=utente)
    assert modifica.prima is not None and modifica.dopo is not None
    assert (modifica.prima["libere_turnover"], modifica.dopo["libere_turnover"]) == (18, 19)


def test_a_reopened_entes_d01_errors_still_count_and_block_sending_to_aler(piano_cremonese, ufficio):
    pessina = EnteProprietario.objects.get(comune__nome="Pessina Cremonese")
    RispostaRicognizione.objects.filter(piano=piano_cremonese, ente=pessina).update(
        stato=StatoRisposta.RIAPERTA
    )
    calcolo = calcola_piano(piano_cremonese)
    # Reopened to correct it, its answer still counts: its row stays in Allegato A…
    assert "Comune di Pessina Cremonese" in {r.ente.denominazione for r in calcolo.allegato_a}
    # …and its D01 error is still found (before, the reopened ente left Allegato A and D01 skipped it).
    assert (
        "Comune di Pessina Cremonese ha dichiarato in piattaforma 3 U.I. di nuova edificazione o "
        "ristrutturazione, ma dalle unità e dai conteggi elencati ne risultano 0."
    ) in [m for _, m in codici(piano_cremonese)]
    with pytest.raises(PianoConErrori) as rifiuto:
        invia_ad_aler(piano=piano_cremonese, utente=ufficio)
    assert "D01 (Allegato A): Comune di Pessina Cremonese ha dichiarato in piattaforma 3" in str(
        rifiuto.value
    )


def test_d01_compares_an_ente_that_has_not_answered_yet(piano_cremonese):
    # So that the ente sees the error before sending (its checks in the workspace).
    pessina = EnteProprietario.objects.get(comune__nome="Pessina Cremonese")
    riapri_per_il_test(piano_cremonese, pessina)
    assert any(m.startswith("Comune di Pessina Cremonese ha dichiarato") for _, m in codici(piano_cremonese))


def test_the_plan_pages_d01_link_opens_the_entes_declared_figures(client, piano_cremonese, ufficio):
    aler = EnteProprietario.objects.get(ambito=piano_cremonese.ambito, tipo=TipoEnte.ALER)
    client.force_login(ufficio)
    pagina = client.get(reverse("piano_annuale:piano_detail", args=[piano_cremonese.pk])).content.decode()
    dichiarato = reverse("patrimonio:dichiarato", args=[piano_cremonese.pk, aler.pk])
    assert (
        f'<a href="{dichiarato}">Apri i dati dell&#x27;ente<span class="visually-hidden"> dell\'anomalia D01'
        in pagina
    )
    # The ufficio di piano reads the ente's page too, and reopens the sent answer from there.
    assert "Riapri la risposta" in client.get(dichiarato).content.decode()
