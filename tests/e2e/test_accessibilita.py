"""Accessibility in a real browser: axe-core finds no serious or critical violation on the main pages.

axe-core is vendored in ``tests/vendor/axe-core`` (MPL-2.0) and injected into each page. The pages
are those of the Cremonese 2025 plan, loaded inside the test (live-server tests start from an empty
database), seen by the role that uses them.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from patrimonio.models import EnteProprietario, Ruolo, TipoEnte, UnitaAbitativa
from piano_annuale.models import RispostaRicognizione, StatoRisposta
from piano_annuale.services.carica import carica_piano
from tests import navigatore as browser
from tests.navigatore import accedi, violazioni_gravi
from tests.piano_annuale.conftest import crea_piano_2027
from tests.utenti import PASSWORD, crea_operatore, hasher_veloce

# The browser fixtures, shared with the other browser tests.
navigatore = browser.navigatore
apri_pagina = browser.apri_pagina
ripristina_dati_della_sessione = browser.ripristina_dati_della_sessione

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures(hasher_veloce.__name__, "ripristina_dati_della_sessione"),
]


@pytest.fixture
def cremonese() -> dict:
    piano = carica_piano(percorso=settings.BASE_DIR / "fixtures" / "cremonese_2025.json")
    ambito = piano.ambito
    soresina = EnteProprietario.objects.get(comune__nome="Soresina")
    aler = EnteProprietario.objects.get(ambito=ambito, tipo=TipoEnte.ALER)
    # Soresina is compiling its answer: its forms are open.
    RispostaRicognizione.objects.filter(piano=piano, ente=soresina).update(stato=StatoRisposta.IN_CORSO)
    crea_operatore("ufficio", ambito, Ruolo.UFFICIO_DI_PIANO)
    crea_operatore("soresina", ambito, Ruolo.COMUNE, soresina)
    return {"piano": piano, "soresina": soresina, "aler": aler}


def controlla(pagina, indirizzo: str) -> list[dict]:
    risposta = pagina.goto(indirizzo)
    assert risposta.status == 200, indirizzo
    return violazioni_gravi(pagina)


def test_public_pages_have_no_serious_accessibility_violation(apri_pagina, db):
    pagina = apri_pagina()
    for indirizzo in ("/accounts/login/", "/accessibilita/", "/privacy/", "/accounts/password_reset/"):
        assert controlla(pagina, indirizzo) == [], indirizzo


def test_login_page_with_an_error_has_no_serious_accessibility_violation(apri_pagina, db):
    pagina = apri_pagina()
    pagina.goto("/accounts/login/")
    pagina.get_by_label("Nome utente").fill("nessuno")
    pagina.get_by_label("Password").fill("sbagliata")
    pagina.get_by_role("button", name="Accedi").click()
    assert pagina.get_by_role("alert").is_visible()
    assert violazioni_gravi(pagina) == []


def test_ufficio_di_piano_pages_have_no_serious_accessibility_violation(apri_pagina, cremonese):
    piano, aler = cremonese["piano"], cremonese["aler"]
    unita = UnitaAbitativa.objects.filter(ente=aler, stati__piano=piano).order_by("pk").first()
    assert unita is not None
    pagina = apri_pagina()
    accedi(pagina, "ufficio", PASSWORD)
    for indirizzo in (
        "/",
        f"/piani/{piano.pk}/ricognizione/",
        f"/piani/{piano.pk}/",
        f"/piani/{piano.pk}/enti/{aler.pk}/",
        f"/piani/{piano.pk}/enti/{aler.pk}/unita/",
        f"/piani/{piano.pk}/enti/{aler.pk}/unita/{unita.pk}/",
        "/accounts/password_change/",
    ):
        assert controlla(pagina, indirizzo) == [], indirizzo


def test_comune_workspace_and_forms_have_no_serious_accessibility_violation(apri_pagina, cremonese):
    piano, soresina = cremonese["piano"], cremonese["soresina"]
    area = f"/piani/{piano.pk}/enti/{soresina.pk}/"
    pagina = apri_pagina()
    accedi(pagina, "soresina", PASSWORD)
    for indirizzo in (
        "",
        "unita/",
        "unita/nuova/",
        "turnover/",
        "consistenza/",
        "scelte/",
        "sat/",
        "assegnazioni/",
    ):
        assert controlla(pagina, area + indirizzo) == [], indirizzo

    # A form with errors: messages next to the fields and the summary at the top.
    pagina.goto(area + "unita/nuova/")
    pagina.get_by_label("ID regionale").fill("con spazi")
    pagina.get_by_label("Stato nell'anno").select_option("libera")
    pagina.get_by_label("Programma / lotto").fill("LOTTO 1")
    pagina.get_by_role("button", name="Salva", exact=True).click()
    assert pagina.locator(".invalid-feedback").count() >= 2
    assert violazioni_gravi(pagina) == []


def test_mobile_layout_has_no_serious_accessibility_violation(apri_pagina, cremonese):
    piano, soresina = cremonese["piano"], cremonese["soresina"]
    pagina = apri_pagina(larghezza=375)
    accedi(pagina, "soresina", PASSWORD)
    assert controlla(pagina, f"/piani/{piano.pk}/enti/{soresina.pk}/unita/nuova/") == []


def test_the_first_tab_stop_is_the_skip_link_to_the_content(apri_pagina, db):
    pagina = apri_pagina()
    pagina.goto("/accounts/login/")
    pagina.keyboard.press("Tab")
    attivo = pagina.evaluate(
        "() => [document.activeElement.textContent.trim(), document.activeElement.getAttribute('href')]"
    )
    assert attivo == ["Vai al contenuto principale", "#contenuto"]
    pagina.keyboard.press("Enter")
    pagina.keyboard.press("Tab")
    # From the skip link, the next stop is inside the main content: the username field.
    assert pagina.evaluate("() => document.activeElement.id") == "id_username"


@pytest.mark.parametrize("larghezza", [1366, 390])
def test_the_2027_plan_under_the_new_rules_has_no_serious_accessibility_violation(
    apri_pagina, cremonese, larghezza
):
    piano = crea_piano_2027(cremonese["piano"], get_user_model().objects.create_user("apertura.2027"))
    cremona = EnteProprietario.objects.get(denominazione="Comune di Cremona")
    crea_operatore("cremona", piano.ambito, Ruolo.COMUNE, cremona)
    pagina = apri_pagina(larghezza=larghezza)
    accedi(pagina, "ufficio", PASSWORD)
    # The plan page with d bis), c bis) and the costs of b); the iter page with the rules applied.
    for indirizzo in (f"/piani/{piano.pk}/", f"/piani/{piano.pk}/iter/"):
        assert controlla(pagina, indirizzo) == [], indirizzo
    pagina = apri_pagina(larghezza=larghezza)
    accedi(pagina, "cremona", PASSWORD)
    for indirizzo in ("", "scelte/", "unita/"):
        assert controlla(pagina, f"/piani/{piano.pk}/enti/{cremona.pk}/{indirizzo}") == [], indirizzo
