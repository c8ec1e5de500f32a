"""Every main page, for every role of the demo, at 1366 px and at 390 px: axe-core finds no serious or
critical violation (issue 14, point 9). Scrolling tables are keyboard-reachable regions with a name,
and on small screens their first column stays in view.

The users are the demo's (``manage.py demo``), on the Cremonese 2025 plan loaded in the test: the
ufficio di piano, two comuni, ALER, the Assemblea and the platform administrator. ALER and the
Assemblea read the plan once it reaches them: their test sends it to the Assemblea first.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from misure.models import MisuraPiano
from patrimonio.models import EnteProprietario, Ruolo, TipoEnte
from piano_annuale.models import PianoAnnuale, RispostaRicognizione, StatoPiano, StatoRisposta
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


@pytest.fixture
def demo() -> dict[str, Any]:
    """The Cremonese 2025 plan and the demo's users, as ``manage.py demo`` makes them."""
    piano = carica_piano(percorso=settings.BASE_DIR / "fixtures" / "cremonese_2025.json")
    ambito = piano.ambito
    cremona = EnteProprietario.objects.get(denominazione="Comune di Cremona")
    soresina = EnteProprietario.objects.get(denominazione="Comune di Soresina")
    aler = EnteProprietario.objects.get(ambito=ambito, tipo=TipoEnte.ALER)
    # Soresina is compiling its answer: its forms are open.
    RispostaRicognizione.objects.filter(piano=piano, ente=soresina).update(stato=StatoRisposta.IN_CORSO)
    crea_operatore("ufficio.piano", ambito, Ruolo.UFFICIO_DI_PIANO)
    crea_operatore("comune.cremona", ambito, Ruolo.COMUNE, cremona)
    crea_operatore("comune.soresina", ambito, Ruolo.COMUNE, soresina)
    crea_operatore("aler.cremona", ambito, Ruolo.ALER, aler)
    crea_operatore("assemblea", ambito, Ruolo.ASSEMBLEA)
    get_user_model().objects.create_superuser("admin", password=PASSWORD)
    return {"piano": piano, "cremona": cremona, "soresina": soresina, "aler": aler}


def area(piano: PianoAnnuale, ente: EnteProprietario, nome: str = "area_ente") -> str:
    return reverse(f"patrimonio:{nome}", args=[piano.pk, ente.pk])


def violazioni(apri_pagina, utente: str, indirizzi: list[str]) -> dict[str, list[dict]]:
    """Each page at each width: its serious and critical violations (none expected)."""
    trovate: dict[str, list[dict]] = {}
    pagina = apri_pagina(larghezza=LARGHEZZE[0])
    accedi(pagina, utente, PASSWORD)
    for larghezza in LARGHEZZE:
        pagina.set_viewport_size({"width": larghezza, "height": 900})
        for indirizzo in indirizzi:
            risposta = pagina.goto(indirizzo)
            assert risposta is not None and risposta.status == 200, (utente, indirizzo)
            if gravi := violazioni_gravi(pagina):
                trovate[f"{utente} {larghezza}px {indirizzo}"] = gravi
    return trovate


def test_the_ufficio_comuni_and_administrator_pages_at_both_widths(apri_pagina, demo):
    piano, cremona, soresina, aler = demo["piano"], demo["cremona"], demo["soresina"], demo["aler"]
    misura = MisuraPiano.objects.filter(piano=piano).order_by("pk").first()
    assert misura is not None
    pk = piano.pk
    ufficio = [
        reverse("piano_annuale:home"),
        reverse("piano_annuale:piano_detail", args=[pk]),
        reverse("piano_annuale:cruscotto", args=[pk]),
        reverse("piano_annuale:iter_piano", args=[pk]),
        reverse("piano_annuale:storico_piano", args=[pk]),
        reverse("piano_annuale:piano_testi", args=[pk]),
        reverse("misure:panoramica", args=[pk]),
        reverse("misure:misura", args=[pk, misura.pk]),
        reverse("misure:solidarieta", args=[pk]),
        area(piano, aler),
        area(piano, aler, "unita_elenco"),
        area(piano, aler, "caricamenti"),
    ]
    comune = [
        reverse("piano_annuale:home"),
        area(piano, soresina),
        area(piano, soresina, "unita_elenco"),
        area(piano, soresina, "caricamenti"),
        area(piano, soresina, "scelte"),
    ]
    trovate = {
        **violazioni(apri_pagina, "ufficio.piano", ufficio),
        **violazioni(apri_pagina, "comune.soresina", comune),
        **violazioni(apri_pagina, "comune.cremona", [reverse("piano_annuale:home"), area(piano, cremona)]),
        **violazioni(apri_pagina, "admin", ufficio[:4]),
    }
    assert trovate == {}


def test_the_plan_as_aler_and_the_assemblea_read_it_at_both_widths(apri_pagina, demo):
    piano, aler = demo["piano"], demo["aler"]
    PianoAnnuale.objects.filter(pk=piano.pk).update(stato=StatoPiano.TRASMESSA_ASSEMBLEA)
    lettura = [
        reverse("piano_annuale:home"),
        reverse("piano_annuale:piano_detail", args=[piano.pk]),
        reverse("piano_annuale:iter_piano", args=[piano.pk]),
    ]
    trovate = {
        **violazioni(
            apri_pagina, "aler.cremona", [*lettura, area(piano, aler), area(piano, aler, "unita_elenco")]
        ),
        **violazioni(apri_pagina, "assemblea", lettura),
    }
    assert trovate == {}


def test_scrolling_tables_are_named_regions_reachable_by_keyboard_with_the_first_column_in_view(
    apri_pagina, demo
):
    piano = demo["piano"]
    pagina = apri_pagina(larghezza=390)
    accedi(pagina, "ufficio.piano", PASSWORD)
    pagina.goto(reverse("piano_annuale:piano_detail", args=[piano.pk]))
    regione = pagina.get_by_role(
        "region", name="Tabella g): unità assegnabili nell'anno (scorre in orizzontale)"
    )
    assert regione.get_attribute("tabindex") == "0"
    regione.focus()
    for _ in range(8):
        pagina.keyboard.press("ArrowRight")
    assert regione.evaluate("e => e.scrollLeft") > 0  # the keyboard scrolls it
    # The ente's column stays where it was while the figures scroll under it.
    prima_cella = regione.locator("tbody tr").first.locator("td").first
    assert prima_cella.evaluate("e => getComputedStyle(e).position") == "sticky"
    assert (
        prima_cella.evaluate(
            "e => e.getBoundingClientRect().left - e.closest('.table-responsive').getBoundingClientRect().left"
        )
        < 2
    )
    # Every scrolling table of the page is a named region reachable by keyboard.
    senza = pagina.evaluate(
        """() => [...document.querySelectorAll('.table-responsive')]
             .filter(e => e.getAttribute('tabindex') !== '0' || e.getAttribute('role') !== 'region' || !e.getAttribute('aria-label'))
             .length"""
    )
    assert senza == 0
    # On a small screen the index is a closed <details> above the content.
    indice = pagina.locator("details.indice-compatto")
    assert indice.is_visible() and indice.get_attribute("open") is None
    assert not pagina.locator(".indice-laterale").is_visible()
