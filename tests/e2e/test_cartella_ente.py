"""The one workbook in a real browser (issue 14, point 3): the ufficio di piano uploads, on behalf of
a comune, a workbook with turnover, consistenza, SAT, assignments and a hidden sheet; the preview says
«per conto del Comune di Soresina», lists each sheet's changes and the hidden sheet, and has no
serious or critical accessibility violation at 1366 and 390 px; confirming writes."""

from __future__ import annotations

import openpyxl
import pytest

from patrimonio.models import EnteProprietario, Ruolo
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    DestinazioneSAT,
    Modifica,
    RispostaRicognizione,
    StatoRisposta,
)
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


def cartella(percorso) -> None:
    libro = openpyxl.Workbook()
    vuoto = libro.active
    assert vuoto is not None
    libro.remove(vuoto)
    fogli: dict[str, list[list[object]]] = {
        "Turnover": [["Comune", "Codice ISTAT", "Numero di alloggi"], ["Soresina", "", 2]],
        "Consistenza": [
            ["Comune", "Codice ISTAT", "Alloggi SAP", "Alloggi SAS", "Fonte"],
            ["", "", "1.120", 8, ""],
        ],
        "SAT": [["Comune", "Codice ISTAT", "U.I. destinate ai SAT"], ["Soresina", "", 1]],
        "Assegnazioni": [
            ["U.I. SAP assegnate nell'anno precedente", "di cui per mobilità", "di cui in deroga"],
            [4, 1, 0],
        ],
        "Appunti": [["nota"], ["da non leggere"]],
    }
    for nome, righe in fogli.items():
        foglio = libro.create_sheet(nome)
        for riga in righe:
            foglio.append(riga)
    libro["Appunti"].sheet_state = "hidden"
    libro.save(percorso)


def test_the_ufficio_uploads_a_whole_workbook_for_a_comune(apri_pagina, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    piano = carica_piano(percorso=settings.BASE_DIR / "fixtures" / "cremonese_2025.json")
    soresina = EnteProprietario.objects.get(comune__nome="Soresina")
    RispostaRicognizione.objects.filter(piano=piano, ente=soresina).update(
        stato=StatoRisposta.IN_CORSO, inviata_il=None
    )
    ufficio = crea_operatore("ufficio", piano.ambito, Ruolo.UFFICIO_DI_PIANO)
    file = tmp_path / "soresina.xlsx"
    cartella(file)

    pagina = apri_pagina(1366)
    accedi(pagina, "ufficio", PASSWORD)
    pagina.goto(f"/piani/{piano.pk}/enti/{soresina.pk}/caricamenti/")
    assert pagina.get_by_text("State caricando i dati per conto del Comune di Soresina").is_visible()
    assert violazioni_gravi(pagina) == []
    pagina.get_by_label("Foglio di calcolo da caricare").set_input_files(str(file))
    pagina.get_by_role("button", name="Carica e controlla").click()
    pagina.wait_for_load_state()
    testo = (
        pagina.locator("main").inner_text() if pagina.locator("main").count() else pagina.inner_text("body")
    )
    assert "per conto del Comune di Soresina" in testo
    assert "Il foglio «Appunti» è nascosto e non è stato letto" in testo
    assert "a) Consistenza del patrimonio: 1 riga cambiata" in testo
    assert "SAP 1.120, SAS 8" in testo
    assert "0 unità invariate" not in testo  # the file has no unit sheet
    assert violazioni_gravi(pagina) == []
    anteprima = pagina.url

    stretta = apri_pagina(390)
    accedi(stretta, "ufficio", PASSWORD)
    stretta.goto(anteprima)
    assert violazioni_gravi(stretta) == []

    pagina.get_by_role("button", name="Conferma e registra le modifiche").click()
    pagina.wait_for_load_state()
    assert pagina.get_by_text("Caricamento registrato").first.is_visible()
    assert DestinazioneSAT.objects.get(piano=piano, ente=soresina).numero == 1
    riga = AssegnazioniAnnoPrecedente.objects.get(piano=piano, ente=soresina)
    assert (riga.totale, riga.mobilita) == (4, 1)
    voce = Modifica.objects.get(modello="piano_annuale.assegnazioniannoprecedente", oggetto_id=riga.pk)
    assert voce.utente_id == ufficio.pk
