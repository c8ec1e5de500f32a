"""The regional overview in a real browser (issue 13): axe-core finds no serious or critical
violation at 1366 and 390 px; the map is drawn, the figure is chosen with the form, the table sorts."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from patrimonio.models import Operatore, Ruolo
from piano_annuale.services.carica import carica_piano
from tests import navigatore as browser
from tests.navigatore import accedi, violazioni_gravi
from tests.utenti import PASSWORD, hasher_veloce

navigatore = browser.navigatore
apri_pagina = browser.apri_pagina
ripristina_dati_della_sessione = browser.ripristina_dati_della_sessione

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures(hasher_veloce.__name__, "ripristina_dati_della_sessione"),
]

# Where to keep the screenshots, when asked (POA_SCREENSHOT=/tmp/…): to look at the page.
CARTELLA_SCREENSHOT = os.environ.get("POA_SCREENSHOT", "")


@pytest.fixture
def osservatore() -> str:
    carica_piano(percorso=settings.BASE_DIR / "fixtures" / "cremonese_2025.json")
    utente = get_user_model().objects.create_user("osservatore", password=PASSWORD)
    Operatore.objects.create(user=utente, ambito=None, ruolo=Ruolo.OSSERVATORE_REGIONALE)
    return "osservatore"


@pytest.mark.parametrize("larghezza", [1366, 390])
def test_the_overview_has_no_serious_accessibility_violation(apri_pagina, osservatore, larghezza):
    pagina = apri_pagina(larghezza=larghezza)
    accedi(pagina, osservatore, PASSWORD)
    risposta = pagina.goto("/regione/")
    assert risposta.status == 200
    assert pagina.get_by_role("heading", name="Panoramica regionale").is_visible()
    mappa = pagina.get_by_role("img", name="Mappa della Lombardia", exact=False)
    assert mappa.is_visible()
    assert violazioni_gravi(pagina) == []
    if CARTELLA_SCREENSHOT:
        pagina.screenshot(path=f"{CARTELLA_SCREENSHOT}/panoramica-{larghezza}.png", full_page=True)

    # The figure on the map is chosen with the form (no script), the table sorts by a heading.
    pagina.get_by_label("Dato sulla mappa").select_option("tasso_risposta")
    pagina.get_by_role("button", name="Applica").click()
    pagina.wait_for_load_state()
    assert "figura=tasso_risposta" in pagina.url
    assert pagina.get_by_role("heading", name="Mappa: risposte alla ricognizione").is_visible()
    pagina.get_by_role("link", name="Abitanti").click()
    pagina.wait_for_load_state()
    assert pagina.locator('th[aria-sort="ascending"]').inner_text().startswith("Abitanti")
    assert violazioni_gravi(pagina) == []
