"""The Content-Security-Policy in a real browser: the main pages load without a single violation.

Chromium reports each blocked inline script, style attribute or foreign resource as a
``securitypolicyviolation`` event and a console error; both are collected (an init script, which the
browser runs outside the page's policy, listens for the events) while the pages load and their
scripts run.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from patrimonio.models import EnteProprietario, Ruolo, TipoEnte, UnitaAbitativa
from piano_annuale.models import DocumentoPiano, StatoDocumento
from piano_annuale.services.regole import assicura_regole_predefinite
from tests import navigatore as browser
from tests.builders import crea_ambito
from tests.navigatore import accedi, violazioni_gravi
from tests.utenti import PASSWORD, crea_operatore, hasher_veloce

navigatore = browser.navigatore
apri_pagina = browser.apri_pagina
ripristina_dati_della_sessione = browser.ripristina_dati_della_sessione

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures(hasher_veloce.__name__, "ripristina_dati_della_sessione"),
]

ASCOLTA_VIOLAZIONI = """
window.__violazioni = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violazioni.push(`${e.effectiveDirective} ${e.blockedURI || "inline"} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Sorvegliata:
    """A page whose CSP violations and console errors are kept, page by page."""

    def __init__(self, pagina: Any) -> None:
        self.pagina = pagina
        self.console: list[str] = []
        pagina.add_init_script(ASCOLTA_VIOLAZIONI)
        pagina.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)

    def apri(self, indirizzo: str, stato: int = 200) -> list[str]:
        """Open the page, let its scripts run; the violations seen (events and console)."""
        self.console.clear()
        risposta = self.pagina.goto(indirizzo)
        assert risposta.status == stato, indirizzo
        assert "script-src 'self'" in risposta.headers["content-security-policy"], indirizzo
        return self.violazioni()

    def violazioni(self) -> list[str]:
        self.pagina.wait_for_load_state("networkidle")
        eventi = self.pagina.evaluate("() => window.__violazioni")
        return eventi + [m for m in self.console if "Content Security Policy" in m]


@pytest.fixture
def ambito_csp() -> dict[str, Any]:
    # Live-server tests start from a flushed database: the plan's page needs the rule sets back.
    assicura_regole_predefinite()
    piano = crea_ambito(nome="Ambito di prova CSP", comuni=3, prefisso_istat="097")
    ambito = piano.ambito
    comune = EnteProprietario.objects.filter(ambito=ambito, tipo=TipoEnte.COMUNE).order_by("pk").first()
    assert comune is not None
    crea_operatore("ufficio.csp", ambito, Ruolo.UFFICIO_DI_PIANO)
    crea_operatore("comune.csp", ambito, Ruolo.COMUNE, comune)
    get_user_model().objects.create_superuser("admin.csp", "admin@prova.invalid", PASSWORD)
    return {"piano": piano, "comune": comune}


def test_public_pages_and_the_lockout_load_without_csp_violations(apri_pagina, db):
    pagina = Sorvegliata(apri_pagina())
    for indirizzo in ("/accounts/login/", "/accessibilita/", "/privacy/", "/accounts/password_reset/"):
        assert pagina.apri(indirizzo) == [], indirizzo
    assert pagina.apri("/non-esiste/", stato=404) == []
    # Five wrong passwords: the lockout page, in Italian, with no violation either.
    for _ in range(5):
        pagina.pagina.goto("/accounts/login/")
        pagina.pagina.get_by_label("Nome utente").fill("nessuno")
        pagina.pagina.get_by_label("Password").fill("sbagliata")
        pagina.pagina.get_by_role("button", name="Accedi").click()
    assert pagina.pagina.get_by_role("heading", name="Accesso bloccato").is_visible()
    assert "Troppi tentativi non riusciti" in pagina.pagina.get_by_role("alert").inner_text()
    assert pagina.violazioni() == []


def test_the_ufficio_di_piano_pages_load_without_csp_violations(apri_pagina, ambito_csp):
    piano, comune = ambito_csp["piano"], ambito_csp["comune"]
    unita = UnitaAbitativa.objects.filter(ente=comune).order_by("pk").first()
    assert unita is not None
    pagina = Sorvegliata(apri_pagina())
    accedi(pagina.pagina, "ufficio.csp", PASSWORD)
    area = f"/piani/{piano.pk}/enti/{comune.pk}/"
    for indirizzo in (
        "/",
        f"/piani/{piano.pk}/",
        f"/piani/{piano.pk}/ricognizione/",
        f"/piani/{piano.pk}/iter/",
        area,
        area + "unita/",
        area + f"unita/{unita.pk}/",
        area + "unita/nuova/",
        area + "turnover/",
        area + "consistenza/",
        area + "scelte/",
        area + "sat/",
        area + "assegnazioni/",
        area + "caricamenti/",
        f"/piani/{piano.pk}/misure/",
        f"/piani/{piano.pk}/esportazioni/",
        "/accessi-bloccati/",
        "/accounts/password_change/",
    ):
        assert pagina.apri(indirizzo) == [], indirizzo


def test_the_ufficio_di_piano_unlocks_a_locked_user_from_the_header_link(apri_pagina, ambito_csp):
    # The ufficio is logged in; then the comune's operator, from the same address (the live server's
    # clients are all 127.0.0.1), is locked out after five wrong passwords.
    pagina = Sorvegliata(apri_pagina())
    accedi(pagina.pagina, "ufficio.csp", PASSWORD)
    bloccato = Sorvegliata(apri_pagina())
    for _ in range(5):
        bloccato.pagina.goto("/accounts/login/")
        bloccato.pagina.get_by_label("Nome utente").fill("comune.csp")
        bloccato.pagina.get_by_label("Password").fill("sbagliata")
        bloccato.pagina.get_by_role("button", name="Accedi").click()
    assert bloccato.pagina.get_by_role("heading", name="Accesso bloccato").is_visible()

    pagina.pagina.goto("/")
    pagina.pagina.get_by_role("link", name="Accessi bloccati").click()
    riga = pagina.pagina.get_by_role("row").filter(has_text="comune.csp")
    assert "Bloccato" in riga.inner_text()
    assert violazioni_gravi(pagina.pagina) == []
    riga.get_by_role("button", name="Sblocca comune.csp").click()
    assert (
        "Accesso sbloccato per l'utente «comune.csp»: tolti 5 tentativi non riusciti."
        in pagina.pagina.get_by_role("status").first.inner_text()
    )
    assert pagina.violazioni() == []

    accedi(bloccato.pagina, "comune.csp", PASSWORD)
    assert bloccato.pagina.get_by_text("Utente collegato:").count() == 1


def test_the_pdf_progress_bar_is_drawn_by_the_static_script(apri_pagina, ambito_csp):
    piano = ambito_csp["piano"]
    documento = DocumentoPiano.objects.create(
        piano=piano, chiave="c" * 64, stato=StatoDocumento.IN_CORSO, progresso=40
    )
    pagina = Sorvegliata(apri_pagina())
    accedi(pagina.pagina, "ufficio.csp", PASSWORD)
    assert pagina.apri(f"/piani/{piano.pk}/pdf/{documento.pk}/") == []
    barra = pagina.pagina.locator("#avanzamento")
    # 40% of the bar's track: the width came from static/js/stato_documento.js, not a style attribute.
    assert barra.evaluate("b => b.style.width") == "40%"
    assert barra.get_attribute("style") is not None


def test_the_admin_pages_load_without_csp_violations(apri_pagina, ambito_csp):
    pagina = Sorvegliata(apri_pagina())
    assert pagina.apri("/admin/login/") == []
    accedi(pagina.pagina, "admin.csp", PASSWORD)
    for indirizzo in (
        "/admin/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        "/admin/patrimonio/enteproprietario/",
        "/admin/patrimonio/unitaabitativa/",
        "/admin/misure/misurapiano/import/",
        "/admin/misure/misurapiano/export/",
    ):
        assert pagina.apri(indirizzo) == [], indirizzo
    # The export page's «Select all», bound by a static script instead of an inline handler, works.
    campi = pagina.pagina.locator('.selectable-field-export-row input[type="checkbox"]')
    assert campi.count() > 1
    pagina.pagina.locator("input.select-toggle").uncheck()
    assert campi.evaluate_all("cs => cs.filter(c => c.checked).length") == 0
    pagina.pagina.locator("input.select-toggle").check()
    assert campi.evaluate_all("cs => cs.every(c => c.checked)") is True
    assert pagina.violazioni() == []
