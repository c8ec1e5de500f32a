"""The plan page's surface and density (issue 13) in a real browser: the Cremonese plan with the
shipped ISTAT surfaces and one comune without, at 1366 and 390 px wide, with no serious or critical
axe-core violation; the aggregazioni named with the ambito's own word."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from ambito.management.commands.carica_comuni_istat import carica_comuni_istat
from ambito.models import Comune
from patrimonio.models import Ruolo
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

# Where to keep the screenshots, to look at them (POA_SCREENSHOT=/tmp/cartella); none by default.
CARTELLA = os.environ.get("POA_SCREENSHOT")


@pytest.mark.parametrize("larghezza", [1366, 390])
def test_the_density_of_the_aggregazioni_and_the_ambito_reads_well_and_is_accessible(apri_pagina, larghezza):
    piano = carica_piano(percorso=settings.BASE_DIR / "fixtures" / "cremonese_2025.json")
    carica_comuni_istat(province={"CR"})
    Comune.objects.filter(codice_istat="019007").update(superficie_kmq=None)  # Bordolano
    ambito = piano.ambito
    ambito.termine_aggregazioni = "sub-ambito"
    ambito.save()
    crea_operatore("ufficio", ambito, Ruolo.UFFICIO_DI_PIANO)

    pagina = apri_pagina(larghezza)
    accedi(pagina, "ufficio", PASSWORD)
    assert pagina.goto(f"/piani/{piano.pk}/").status == 200
    tabella = pagina.get_by_role("table", name="Superficie e densità per aggregazione e dell'ambito")
    tabella.scroll_into_view_if_needed()
    assert tabella.get_by_role("row").count() == 1 + 7 + 1
    assert tabella.get_by_role("row").nth(7).inner_text().split("\t")[:2] == [
        "sub-ambito 7 – Cremona",
        "70,56",
    ]
    assert "Totale ambito *" in tabella.inner_text()
    nota = pagina.get_by_text("* Superficie non registrata per 1 comune (Bordolano)")
    assert nota.is_visible()
    assert violazioni_gravi(pagina) == []
    if CARTELLA:
        tabella.screenshot(path=str(Path(CARTELLA) / f"densita_{larghezza}.png"))
