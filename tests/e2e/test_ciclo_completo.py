"""The whole yearly cycle in a browser, with no admin page (issue 14): on the Cremonese 2025 data the
ufficio di piano uploads the regional platform's report (D01 of Bordolano, Formigara and Pessina
fixed after a preview), reopens ALER's answer; ALER corrects its declared figures and its unit from
the links of its own checks and sends its answer again; the ufficio fixes Parte seconda from the
plan page's links, sends the plan to ALER after a confirmation page; ALER writes two observations
from the plan page and gives its parere; the ufficio answers them on the plan page, transmits the
plan, records the presences of the seduta of 14 February 2025 (30 comuni of 48) and approves.

PDFs are a stand-in (``pdf_veloce``): the rendering has its own tests. Screenshots of the steps at
1366 px (and of the confirmation and the approval at 390 px) go to ``POA_SCREENSHOT_DIR`` if set.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from ambito.models import Comune
from patrimonio.models import EnteProprietario, Ruolo, TipoEnte
from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import (
    Approvazione,
    OsservazioneAler,
    PianoAnnuale,
    PresenzaAssemblea,
    StatoPiano,
    TipoVersione,
    VersionePiano,
)
from piano_annuale.services.carica import carica_piano
from tests import navigatore as browser
from tests.navigatore import accedi, violazioni_gravi
from tests.percorso import VERBALE_PDF, fixture_media, fixture_pdf_veloce
from tests.utenti import PASSWORD, crea_operatore, hasher_veloce

navigatore = browser.navigatore
apri_pagina = browser.apri_pagina
ripristina_dati_della_sessione = browser.ripristina_dati_della_sessione
__all__ = ["fixture_media", "fixture_pdf_veloce"]  # fixtures, used by name

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures(hasher_veloce.__name__, "ripristina_dati_della_sessione", "media", "pdf_veloce"),
]

# The report's layout (the seed's Allegato A) and the rows that fix three enti's D01 errors; ALER's
# row is left out: ALER corrects its own figures in its workspace.
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
RIGHE = [
    ["COMUNE DI BORDOLANO", 0, 10, 3, 3, 0, 0, 1, 0, 0, "NO", 0, 0],
    ["COMUNE DI FORMIGARA", 3, 0, 0, 0, 0, 0, 0, 0, 0, "NO", 0, 0],
    ["COMUNE DI PESSINA CREMONESE", 0, 9, 3, 3, 0, 0, 0, 0, 0, "NO", 0, 0],
]
# The comuni absent from the seduta of 14/02/2025 (the seed's verbale: 30 present, 18 absent).
ASSENTI = [
    "Annicco", "Bordolano", "Cappella Cantone", "Castelvisconti", "Cella Dati", "Corte de' Cortesi",
    "Crotta d'Adda", "Derovere", "Gabbioneta", "Gerre de' Caprioli", "Grontardo", "Isola Dovarese",
    "Pescarolo", "Pizzighettone", "San Daniele Po", "Sesto", "Torre de' Picenardi", "Volongo",
]  # fmt: skip


def report_piattaforma() -> bytes:
    cartella = openpyxl.Workbook()
    foglio = cartella.active
    assert foglio is not None
    foglio.title = "Allegato A"
    foglio.append(["A L L E G A T O A -"])
    foglio.append(INTESTAZIONE)
    for riga in RIGHE:
        foglio.append(riga)
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()


def errori(piano: PianoAnnuale) -> list[str]:
    return sorted(a.codice for a in calcola_piano(piano).errori)


def foto(pagina, nome: str) -> None:
    cartella = os.environ.get("POA_SCREENSHOT_DIR")
    if cartella:
        pagina.screenshot(path=str(Path(cartella) / f"{nome}.png"), full_page=True)


def apri_errori(pagina) -> None:
    """Open the plan page's group of errors (collapsed by severity) to reach their links."""
    gruppo = pagina.locator("details.gruppo-errore")
    if gruppo.count() and gruppo.get_attribute("open") is None:
        gruppo.locator("summary").click()


def stato_mostrato(pagina) -> str:
    return " ".join(pagina.locator(".alert, [role=status], [role=alert]").all_inner_texts())


@pytest.fixture
def cremonese() -> dict:
    piano = carica_piano(percorso=settings.BASE_DIR / "fixtures" / "cremonese_2025.json")
    ambito = piano.ambito
    aler = EnteProprietario.objects.get(ambito=ambito, tipo=TipoEnte.ALER)
    crea_operatore("ufficio.piano", ambito, Ruolo.UFFICIO_DI_PIANO, email="ufficio@cremonese.invalid")
    crea_operatore("aler.cremona", ambito, Ruolo.ALER, aler, email="aler@cremonese.invalid")
    crea_operatore("assemblea", ambito, Ruolo.ASSEMBLEA)
    return {"piano": piano, "aler": aler}


def test_the_whole_cycle_in_the_browser_without_the_admin(apri_pagina, cremonese):
    piano: PianoAnnuale = cremonese["piano"]
    aler: EnteProprietario = cremonese["aler"]
    assert errori(piano) == ["D01", "D01", "D01", "D01", "D01", "D01", "M07", "M10", "M10", "U01"]
    dettaglio = reverse("piano_annuale:piano_detail", args=[piano.pk])

    # 1. The ufficio di piano uploads the platform's report once for all enti: preview, then confirm.
    ufficio = apri_pagina(1366)
    accedi(ufficio, "ufficio.piano", PASSWORD)
    ufficio.goto(reverse("piano_annuale:cruscotto", args=[piano.pk]))
    ufficio.get_by_role(
        "link", name=re.compile(r"^Totali dichiarati nella piattaforma regionale: carica")
    ).click()
    ufficio.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "report-piattaforma.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": report_piattaforma(),
            }
        ],
    )
    ufficio.get_by_role("button", name="Carica e mostra l'anteprima").click()
    ufficio.get_by_role("button", name="Conferma e registra").click()
    assert "Totali dichiarati in piattaforma registrati: 3 enti aggiornati" in stato_mostrato(ufficio)
    assert errori(piano) == ["D01", "D01", "M07", "M10", "M10", "U01"]  # ALER's two are left

    # 2. From the plan page's D01 link, the ufficio opens ALER's data and reopens its answer.
    ufficio.goto(dettaglio)
    apri_errori(ufficio)
    ufficio.get_by_role("link", name=re.compile(r"Apri i dati dell'ente dell'anomalia D01")).first.click()
    ufficio.get_by_role("link", name="Riapri la risposta…").click()
    assert ufficio.get_by_role(
        "heading", name="Riaprire la risposta dell'ALER Brescia-Cremona-Mantova?"
    ).is_visible()
    ufficio.get_by_role("button", name="Conferma la riapertura").click()
    assert "Risposta dell'ALER Brescia-Cremona-Mantova riaperta" in stato_mostrato(ufficio)

    # 3. ALER corrects a declared figure and its unit from the links of its own checks, then sends.
    operatore_aler = apri_pagina(1366)
    accedi(operatore_aler, "aler.cremona", PASSWORD)
    operatore_aler.goto(reverse("patrimonio:area_ente", args=[piano.pk, aler.pk]))
    operatore_aler.get_by_role("link", name=re.compile(r"^Correggi i totali dichiarati")).first.click()
    operatore_aler.locator("input[name=libere_turnover]").fill("19")
    operatore_aler.locator("input[name=nuove_ristrutturate]").fill("73")
    operatore_aler.get_by_role("button", name="Salva", exact=True).click()
    operatore_aler.goto(reverse("patrimonio:area_ente", args=[piano.pk, aler.pk]))
    operatore_aler.get_by_role("link", name=re.compile(r"^Apri l'unità")).first.click()
    operatore_aler.get_by_label("Programma / lotto").fill("")
    operatore_aler.get_by_role("button", name="Salva le modifiche").click()
    assert errori(piano) == ["M07", "M10", "M10"]
    operatore_aler.goto(reverse("patrimonio:area_ente", args=[piano.pk, aler.pk]))
    operatore_aler.get_by_role("link", name=re.compile(r"^Invia la risposta")).click()
    avvisi = operatore_aler.get_by_label("Ho letto gli avvisi e invio comunque la risposta")
    if avvisi.count():
        avvisi.check()
        operatore_aler.get_by_role("button", name="Invia comunque").click()
    else:
        operatore_aler.get_by_role("button", name="Conferma l'invio").click()

    # 4. The ufficio fixes Parte seconda from the plan page's links.
    ufficio.goto(dettaglio)
    apri_errori(ufficio)
    ufficio.get_by_role("link", name=re.compile(r"^Apri la misura")).first.click()
    ufficio.locator("input[name=quote-1-importo]").fill("78.427,06")
    ufficio.get_by_label("Risorse complessive erogate (€)").fill("266.758,56")  # 188.331,50 + 78.427,06
    ufficio.get_by_role("button", name="Salva", exact=True).click()
    ufficio.goto(dettaglio)
    apri_errori(ufficio)
    ufficio.get_by_role("link", name=re.compile(r"^Apri il riparto della solidarietà")).first.click()
    ufficio.locator("input[name=riparto-dichiarati_con_riparto]").fill("3")
    ufficio.locator("input[name=riparto-dichiarati_senza_contributo]").fill("27")
    ufficio.get_by_role("button", name="Salva", exact=True).click()
    assert errori(piano) == []

    # 5. «Invia ad ALER»: a confirmation page says what will happen; the button then runs the step.
    ufficio.goto(dettaglio)
    ufficio.get_by_role("link", name="Invia ad ALER per il parere…").first.click()
    assert ufficio.get_by_role("heading", name="Inviare il piano ad ALER per il parere?").is_visible()
    assert "Sarà congelata la versione n. 1 del piano" in ufficio.content()
    assert violazioni_gravi(ufficio) == []
    foto(ufficio, "01-conferma-invio-1366")
    stretta = apri_pagina(390)
    accedi(stretta, "ufficio.piano", PASSWORD)
    stretta.goto(ufficio.url)
    assert violazioni_gravi(stretta) == []
    foto(stretta, "01-conferma-invio-390")
    ufficio.get_by_role("button", name="Conferma l'invio ad ALER").click()
    ufficio.wait_for_url(re.compile(r"/iter/$"))
    assert "inviato ad ALER per il parere" in stato_mostrato(ufficio)
    piano.refresh_from_db()
    assert piano.stato == StatoPiano.INVIATA_ALER

    # 6. ALER is told on its home page, writes two observations from the plan page, gives its parere.
    operatore_aler.goto("/")
    assert "Un piano attende il parere di ALER" in operatore_aler.content()
    operatore_aler.get_by_role("link", name=re.compile(r"leggi la bozza e scrivi le osservazioni")).click()
    operatore_aler.get_by_label(re.compile(r"^Osservazione su «a\)")).fill(
        "La consistenza SAS di ALER va verificata con la piattaforma."
    )
    operatore_aler.get_by_label(re.compile(r"^Osservazione su «k\)")).fill(
        "Le assegnazioni 2024 per mobilità non sono indicate."
    )
    # With JavaScript each field sits at the end of its section.
    assert operatore_aler.locator("section#a #osservazioni-a").count() == 1
    assert violazioni_gravi(operatore_aler) == []
    foto(operatore_aler, "02-osservazioni-aler-1366")
    operatore_aler.locator("#modulo-osservazioni-aler").get_by_role(
        "button", name="Registra le osservazioni"
    ).click()
    assert "2 osservazioni registrate." in stato_mostrato(operatore_aler)
    operatore_aler.goto(reverse("piano_annuale:iter_piano", args=[piano.pk]) + "#parere")
    operatore_aler.get_by_text(
        "Favorevole con osservazioni", exact=True
    ).click()  # Bootstrap Italia's radio label
    operatore_aler.get_by_label("Testo del parere").fill(
        "Favorevole, con le osservazioni sulle sezioni a) e k)."
    )
    operatore_aler.get_by_role("button", name="Registra il parere").click()
    assert "Parere registrato" in stato_mostrato(operatore_aler)

    # 7. The ufficio answers both on the plan page, beside their sections.
    for _ in range(2):
        ufficio.goto(dettaglio)
        attesa = ufficio.locator("article.osservazione:has(.senza-risposta)").first
        attesa.get_by_label("Risposta dell'ufficio di piano").fill("Verificato e corretto nel piano.")
        attesa.get_by_role("button", name=re.compile(r"^Salva la risposta")).click()
        assert "Risposta registrata" in stato_mostrato(ufficio)
    assert OsservazioneAler.objects.filter(piano=piano).exclude(risposta="").count() == 2

    # 8. «Trasmetti»: confirmed, with the day of the transmission.
    ufficio.goto(dettaglio)
    ufficio.get_by_role("link", name="Trasmetti all'Assemblea dei Sindaci…").first.click()
    assert "le risposte a 2 osservazioni" in ufficio.content()
    ufficio.get_by_role("button", name="Conferma la trasmissione").click()
    assert "trasmesso all'Assemblea dei Sindaci" in stato_mostrato(ufficio)

    # 9. The approval as the verbale records it: all present, then the 18 absent unticked; a summary.
    ufficio.goto(dettaglio)
    ufficio.get_by_role("link", name="Registra l'approvazione dell'Assemblea").first.click()
    ufficio.get_by_label("Numero del verbale").fill("01/2025")
    ufficio.get_by_label("Protocollo del verbale").fill("10.64 / 2025")
    ufficio.get_by_label("Luogo della seduta").fill("Sala Coppetti – Cremona Solidale")
    ufficio.get_by_label("Verbale firmato (PDF)").set_input_files(
        files=[
            {"name": "25-02 SIND 01 VERBALE 14FEB.pdf", "mimeType": "application/pdf", "buffer": VERBALE_PDF}
        ]
    )
    ufficio.get_by_text("Tutti presenti", exact=True).click()  # Bootstrap Italia's checkbox label
    nomi = list(Comune.objects.filter(ambito=piano.ambito).values_list("nome", flat=True))
    assenti = [n for n in nomi if any(n.lower().startswith(a.lower()) for a in ASSENTI)]
    assert len(nomi) == 48 and len(assenti) == 18
    for nome in assenti:
        # The label is read by screen readers only: the box itself is clicked.
        ufficio.get_by_label(f"{nome} presente", exact=True).uncheck(force=True)
    assert (
        ufficio.locator("#conteggio-presenze").inner_text()
        == "Presenti 30 comuni su 48 · quorum 25: seduta valida."
    )
    assert violazioni_gravi(ufficio) == []
    foto(ufficio, "03-approvazione-1366")
    ufficio.get_by_role("button", name="Prosegui: riepilogo e conferma").click()
    assert "presenti 30 comuni su 48, quorum 25: seduta valida" in ufficio.content(), stato_mostrato(ufficio)
    assert violazioni_gravi(ufficio) == []
    foto(ufficio, "04-riepilogo-approvazione-1366")
    ufficio.get_by_role("button", name="Conferma l'approvazione").click()
    assert "Approvazione registrata" in stato_mostrato(ufficio)

    piano.refresh_from_db()
    assert piano.stato == StatoPiano.APPROVATA
    approvazione = Approvazione.objects.get(piano=piano)
    assert (approvazione.numero_verbale, approvazione.quorum, approvazione.seduta_valida) == (
        "01/2025",
        25,
        True,
    )
    assert PresenzaAssemblea.objects.filter(approvazione=approvazione, presente=True).count() == 30
    assert VersionePiano.objects.filter(piano=piano, tipo=TipoVersione.APPROVATA).count() == 1
    approvata = VersionePiano.objects.get(piano=piano, tipo=TipoVersione.APPROVATA).dati["note_chiusura"]
    assert len(approvata["approvazione"]["presenze"]) == 48
    assert [o["risposta"] for o in approvata["osservazioni"]] == ["Verificato e corretto nel piano."] * 2
    # No page of the Django admin was opened by anyone.
    assert all("/admin/" not in p.url for p in (ufficio, operatore_aler, stretta))
