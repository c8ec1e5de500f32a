"""«Riapri la risposta» in a browser (issue 14, point 4): the workspace's link opens a page that says
what reopening does, with no serious or critical axe violation at 1366 px and at 390 px; its button
reopens and the message names the ente with its article."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from patrimonio.models import EnteProprietario, Ruolo
from piano_annuale.models import RispostaRicognizione, StatoRisposta
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

# Screenshots for a person to look at, when asked: POA_SCREENSHOT=/a/folder
CARTELLA_IMMAGINI = os.environ.get("POA_SCREENSHOT", "")


def guarda(pagina: Any, nome: str) -> None:
    if CARTELLA_IMMAGINI:
        pagina.screenshot(path=str(Path(CARTELLA_IMMAGINI) / f"{nome}.png"), full_page=True)


def test_reopening_is_confirmed_on_a_page_that_says_what_happens(apri_pagina, settings):
    piano = carica_piano(percorso=settings.BASE_DIR / "fixtures" / "cremonese_2025.json")
    cremona = EnteProprietario.objects.get(comune__nome="Cremona")
    crea_operatore("ufficio.piano", piano.ambito, Ruolo.UFFICIO_DI_PIANO)
    for larghezza in (390, 1366):
        pagina = apri_pagina(larghezza)
        accedi(pagina, "ufficio.piano", PASSWORD)
        pagina.goto(reverse("patrimonio:area_ente", args=[piano.pk, cremona.pk]))
        pagina.get_by_role("link", name="Riapri la risposta…").click()
        assert pagina.get_by_role("heading", name="Riaprire la risposta del Comune di Cremona?").is_visible()
        assert violazioni_gravi(pagina) == []
        guarda(pagina, f"riapri-{larghezza}")
    assert RispostaRicognizione.objects.get(piano=piano, ente=cremona).stato == StatoRisposta.INVIATA
    pagina.get_by_role("button", name="Conferma la riapertura").click()
    pagina.wait_for_url(re.compile(rf"/enti/{cremona.pk}/$"))
    assert "Risposta del Comune di Cremona riaperta" in pagina.content()
    assert RispostaRicognizione.objects.get(piano=piano, ente=cremona).stato == StatoRisposta.RIAPERTA
