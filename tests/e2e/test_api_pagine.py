"""The API's pages in a real browser: «I miei token di accesso» (the secret shown once; axe, 1366 and
390 px) and the documentation, Swagger UI and Redoc from the sidecar's files, with no CSP violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from api.models import TokenPersonale
from patrimonio.models import EnteProprietario, Ruolo, TipoEnte
from tests import navigatore as browser
from tests.builders import crea_ambito
from tests.e2e.test_csp import Sorvegliata
from tests.navigatore import accedi, violazioni_gravi
from tests.utenti import PASSWORD, crea_operatore, hasher_veloce

navigatore = browser.navigatore
apri_pagina = browser.apri_pagina
ripristina_dati_della_sessione = browser.ripristina_dati_della_sessione

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures(hasher_veloce.__name__, "ripristina_dati_della_sessione"),
]

# Where the screenshots go, when asked (POA_SCREENSHOT=cartella).
CARTELLA = os.environ.get("POA_SCREENSHOT", "")


@pytest.fixture
def operatore() -> str:
    piano = crea_ambito(nome="Ambito di prova API", comuni=2, prefisso_istat="097")
    comune = EnteProprietario.objects.filter(ambito=piano.ambito, tipo=TipoEnte.COMUNE).first()
    crea_operatore("comune.api", piano.ambito, Ruolo.COMUNE, comune)
    return "comune.api"


@pytest.mark.parametrize("larghezza", [1366, 390])
def test_the_token_page_creates_shows_once_and_revokes(apri_pagina, operatore, larghezza):
    pagina = Sorvegliata(apri_pagina(larghezza))
    accedi(pagina.pagina, operatore, PASSWORD)
    assert pagina.apri("/profilo/token/") == []
    p = pagina.pagina
    p.get_by_label("Nome del token").fill("Gestionale del comune")
    p.get_by_role("button", name="Crea il token").click()
    p.wait_for_load_state()
    segreto = p.get_by_label("Token", exact=True).input_value()
    assert segreto.startswith("poa_") and len(segreto) > 40
    assert p.get_by_role("status").get_by_text("non sarà più mostrato").is_visible()
    assert violazioni_gravi(p) == []
    if CARTELLA:
        p.screenshot(path=str(Path(CARTELLA) / f"token_{larghezza}.png"), full_page=True)
    assert pagina.violazioni() == []
    p.goto("/profilo/token/")
    assert segreto not in p.content()
    p.get_by_role("button", name="Revoca il token Gestionale del comune").click()
    p.wait_for_load_state()
    assert TokenPersonale.objects.get(nome="Gestionale del comune").revocato


def _esterna(indirizzo: str) -> bool:
    return not indirizzo.startswith(("http://localhost", "http://127.0.0.1", "data:", "blob:"))


@pytest.mark.parametrize("indirizzo", ["/api/v1/documentazione/", "/api/v1/redoc/"])
def test_the_documentation_loads_from_our_files_without_csp_violations(apri_pagina, operatore, indirizzo):
    pagina = Sorvegliata(apri_pagina())
    esterne: list[str] = []
    pagina.pagina.on("requestfinished", lambda r: esterne.append(r.url) if _esterna(r.url) else None)
    accedi(pagina.pagina, operatore, PASSWORD)
    violazioni = pagina.apri(indirizzo)
    p = pagina.pagina
    if "documentazione" in indirizzo:
        p.get_by_text("API del Piano Annuale dell'Offerta abitativa (POA)").first.wait_for()
    else:
        p.get_by_role("heading", name="API del Piano Annuale dell'Offerta abitativa (POA)").first.wait_for()
    if CARTELLA:
        p.screenshot(path=str(Path(CARTELLA) / f"doc_{indirizzo.strip('/').replace('/', '_')}.png"))
    # Redoc's attribution logo points at cdn.redoc.ly (no option turns it off): our policy blocks it, so
    # nothing is loaded from a CDN, and Redoc hides the image when it fails to load.
    assert [v for v in violazioni if "cdn.redoc.ly/redoc/logo-mini.svg" not in v] == []
    assert [u for u in esterne if "cdn.redoc.ly/redoc/logo-mini.svg" not in u] == []
