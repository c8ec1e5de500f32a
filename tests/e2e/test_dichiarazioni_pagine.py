"""The pages of the declared platform figures, the ente's checks and the consistenza per comune in a
browser, at 1366 px and at 390 px: axe-core finds no serious or critical violation; the platform
report goes from the upload to the preview and the confirmation (issue 14, points 1, 2 and 10)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from patrimonio.models import EnteProprietario, Ruolo, TipoEnte
from piano_annuale.models import RiepilogoDichiarato, RispostaRicognizione, StatoRisposta
from piano_annuale.services.carica import carica_piano
from tests import navigatore as browser
from tests.navigatore import accedi, violazioni_gravi
from tests.utenti import PASSWORD, crea_operatore, hasher_veloce

navigatore = browser.navigatore
apri_pagina = browser.apri_pagina
ripristina_dati_della_sessione = browser.ripristina_dati_della_sessione

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures(hasher_veloce.__name__, "ripristina_dati_della_sessione"),
]

LARGHEZZE = (1366, 390)
# Screenshots for a person to look at, when asked: POA_SCREENSHOT=/a/folder
CARTELLA_IMMAGINI = os.environ.get("POA_SCREENSHOT", "")


def report() -> bytes:
    cartella = openpyxl.Workbook()
    foglio = cartella.active
    assert foglio is not None
    foglio.append(
        [
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
        ]
    )
    foglio.append(["COMUNE DI BORDOLANO", 0, 10, 3, 3, 0, 0, 1, 0, 0])
    foglio.append(["COMUNE DI MILANO", 0, 10, 3, 3, 0, 0, 1, 0, 0])
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()


def guarda(pagina: Any, nome: str) -> None:
    if CARTELLA_IMMAGINI:
        pagina.screenshot(path=str(Path(CARTELLA_IMMAGINI) / f"{nome}.png"), full_page=True)


@pytest.fixture
def demo(settings, tmp_path) -> dict[str, Any]:
    settings.MEDIA_ROOT = tmp_path / "media"
    piano = carica_piano(percorso=settings.BASE_DIR / "fixtures" / "cremonese_2025.json")
    aler = EnteProprietario.objects.get(ambito=piano.ambito, tipo=TipoEnte.ALER)
    # ALER is correcting its answer: its forms are open.
    RispostaRicognizione.objects.filter(piano=piano, ente=aler).update(stato=StatoRisposta.RIAPERTA)
    crea_operatore("ufficio.piano", piano.ambito, Ruolo.UFFICIO_DI_PIANO)
    crea_operatore("aler.cremona", piano.ambito, Ruolo.ALER, aler)
    return {"piano": piano, "aler": aler}


def test_the_pages_at_both_widths_and_the_report_from_upload_to_confirmation(apri_pagina, demo):
    piano, aler = demo["piano"], demo["aler"]
    trovate: dict[str, list[dict]] = {}

    ufficio = apri_pagina(larghezza=1366)
    accedi(ufficio, "ufficio.piano", PASSWORD)
    ufficio.goto(reverse("patrimonio:piattaforma", args=[piano.pk]))
    ufficio.get_by_label("Report della piattaforma regionale").set_input_files(
        files=[{"name": "report.xlsx", "mimeType": "application/octet-stream", "buffer": report()}]
    )
    ufficio.get_by_role("button", name="Carica e mostra l'anteprima").click()
    assert "Nessun ente dell'ambito" in ufficio.content()
    errori = ufficio.url
    ufficio.goto(reverse("patrimonio:piattaforma", args=[piano.pk]))
    ufficio.get_by_label("Report della piattaforma regionale").set_input_files(
        files=[{"name": "report.xlsx", "mimeType": "application/octet-stream", "buffer": _solo_bordolano()}]
    )
    ufficio.get_by_role("button", name="Carica e mostra l'anteprima").click()
    anteprima = ufficio.url
    assert "1 ente con totali nuovi o cambiati, 0 invariati." in ufficio.content()
    for larghezza in LARGHEZZE:
        ufficio.set_viewport_size({"width": larghezza, "height": 900})
        for nome, indirizzo in (
            ("piattaforma", reverse("patrimonio:piattaforma", args=[piano.pk])),
            ("piattaforma-errori", errori),
            ("piattaforma-anteprima", anteprima),
        ):
            ufficio.goto(indirizzo)
            guarda(ufficio, f"{nome}-{larghezza}")
            if gravi := violazioni_gravi(ufficio):
                trovate[f"ufficio {larghezza}px {nome}"] = gravi
    ufficio.set_viewport_size({"width": 1366, "height": 900})
    ufficio.goto(anteprima)
    ufficio.get_by_role("button", name="Conferma e registra").click()
    assert "Totali dichiarati in piattaforma registrati: 1 ente aggiornato, 0 invariati." in ufficio.content()
    assert RiepilogoDichiarato.objects.get(piano=piano, ente__comune__nome="Bordolano").transitori == 1

    operatore = apri_pagina(larghezza=1366)
    accedi(operatore, "aler.cremona", PASSWORD)
    for larghezza in LARGHEZZE:
        operatore.set_viewport_size({"width": larghezza, "height": 900})
        for nome in ("area_ente", "dichiarato", "consistenza_comuni", "invia"):
            risposta = operatore.goto(reverse(f"patrimonio:{nome}", args=[piano.pk, aler.pk]))
            assert risposta is not None and risposta.status == 200, nome
            guarda(operatore, f"aler-{nome}-{larghezza}")
            if gravi := violazioni_gravi(operatore):
                trovate[f"aler {larghezza}px {nome}"] = gravi
    assert trovate == {}

    # ALER follows its D01 link, corrects the figure, and the error is gone from its page.
    operatore.set_viewport_size({"width": 1366, "height": 900})
    operatore.goto(reverse("patrimonio:area_ente", args=[piano.pk, aler.pk]))
    operatore.get_by_role("link", name="Correggi i totali dichiarati").first.click()
    operatore.get_by_label("U.I. libere e che si libereranno per turn-over").fill("19")
    operatore.get_by_label("U.I. da nuova edificazione, ristrutturazione, recupero").fill("73")
    operatore.get_by_role("button", name="Salva", exact=True).click()
    assert "Totali dichiarati in piattaforma salvati." in operatore.content()
    operatore.goto(reverse("patrimonio:area_ente", args=[piano.pk, aler.pk]))
    assert "1 errore da correggere prima dell'invio." in operatore.content()  # U01 is left
    assert "ha dichiarato in piattaforma" not in operatore.content()


def _solo_bordolano() -> bytes:
    cartella = openpyxl.load_workbook(io.BytesIO(report()))
    foglio = cartella.active
    assert foglio is not None
    foglio.delete_rows(3)
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()
