"""A real browser for the end-to-end and accessibility tests: Playwright driving Debian's Chromium.

The browser is the system's (``/usr/bin/chromium``, or ``POA_CHROMIUM``): Playwright's own browser
downloads are never used. ``make test`` installs both (``scripts/install-system-deps.sh --dev`` and the
dev extra), so a missing browser fails the tests, saying what to install, instead of skipping them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from piano_annuale.services.carica import carica_piano

CHROMIUM = Path(os.environ.get("POA_CHROMIUM", "/usr/bin/chromium"))
ARGOMENTI_CHROMIUM = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
IMPATTI_BLOCCANTI = {"serious", "critical"}


@pytest.fixture(scope="module")
def navigatore() -> Iterator[Any]:
    """One headless Chromium per test module."""
    try:
        from playwright import sync_api
    except ImportError:
        pytest.fail("Playwright per Python non è installato: eseguire `make install-dev`.")
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium non trovato in {CHROMIUM}: eseguire `make install-dev` (pacchetto Debian «chromium»)."
        )
    # Playwright's sync API keeps an event loop in this thread; the test's own database calls are
    # still synchronous, so Django's guard against async contexts is lifted for these modules only.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGOMENTI_CHROMIUM)
            yield browser
            browser.close()


@pytest.fixture
def apri_pagina(navigatore, live_server) -> Iterator[Any]:
    """``apri_pagina()`` gives a new page in its own browser context (its own cookies: its own user)."""
    contesti = []

    def nuova(larghezza: int = 1280) -> Any:
        contesto = navigatore.new_context(
            base_url=live_server.url, locale="it-IT", viewport={"width": larghezza, "height": 900}
        )
        contesto.set_default_timeout(15_000)
        contesti.append(contesto)
        return contesto.new_page()

    yield nuova
    for contesto in contesti:
        contesto.close()


def accedi(pagina: Any, username: str, password: str) -> None:
    """Log in through the login form, as a user would."""
    pagina.goto("/accounts/login/")
    pagina.get_by_label("Nome utente").fill(username)
    pagina.get_by_label("Password").fill(password)
    pagina.get_by_role("button", name="Accedi").click()
    pagina.wait_for_load_state()


def violazioni_gravi(pagina: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page; return the serious and critical violations, briefly described."""
    # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
    # govern: a <script> tag (add_script_tag) would be an inline script, refused without a nonce.
    pagina.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    # axe tells an icon font's ligature («format_list_bulleted») from words only once the font has
    # loaded, as it has for a person looking at the page: wait for the page's fonts first.
    pagina.evaluate(
        "async () => { await document.fonts.load('20px \"Material Icons\"'); await document.fonts.ready; return true; }"
    )
    risultato = pagina.evaluate("async () => await axe.run(document)")
    return [
        {
            "regola": v["id"],
            "impatto": v["impact"],
            "descrizione": v["help"],
            "elementi": [n["target"] for n in v["nodes"]][:5],
        }
        for v in risultato["violations"]
        if v["impact"] in IMPATTI_BLOCCANTI
    ]


@pytest.fixture(scope="module")
def ripristina_dati_della_sessione(django_db_blocker) -> Iterator[None]:
    """Reload the session's Cremonese data once the module's live-server tests are done.

    Live-server tests run in real transactions and leave an empty database behind; the tests that
    pytest-django runs after them (those without a database of their own, which read the data the
    session loaded — e.g. the PDF's module fixtures) expect it, as ``tests/conftest.py`` loads it.
    """
    yield
    with django_db_blocker.unblock():
        # The loader restores the rule sets the flush removed, then loads the plan.
        carica_piano(percorso=settings.BASE_DIR / "fixtures" / "cremonese_2025.json")
