"""End to end, in a real browser: a comune answers, the ufficio di piano sees it, ALER is kept out.

These tests run against pytest-django's live server, so their database is emptied after each test
(the session's Cremonese data is not there): each builds its own ambito with ``crea_ambito``.
"""

from __future__ import annotations

import re

import pytest

from patrimonio.models import EnteProprietario, Ruolo, TipoEnte, UnitaAbitativa
from piano_annuale.models import PianoAnnuale, RispostaRicognizione, StatoRisposta
from tests import navigatore as browser
from tests.builders import crea_ambito
from tests.navigatore import accedi
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
def ambito_e2e() -> dict:
    piano = crea_ambito(nome="Ambito di prova E2E", comuni=3, prefisso_istat="096")
    ambito = piano.ambito
    comune = EnteProprietario.objects.filter(ambito=ambito, tipo=TipoEnte.COMUNE).order_by("pk").first()
    altro = EnteProprietario.objects.filter(ambito=ambito, tipo=TipoEnte.COMUNE).order_by("pk").last()
    aler = EnteProprietario.objects.get(ambito=ambito, tipo=TipoEnte.ALER)
    # The builder's enti have all answered: this comune has not, yet.
    RispostaRicognizione.objects.filter(piano=piano, ente=comune).update(
        stato=StatoRisposta.NESSUNA, inviata_il=None
    )
    utente_comune = crea_operatore("mario.rossi", ambito, Ruolo.COMUNE, comune)
    utente_comune.first_name, utente_comune.last_name = "Mario", "Rossi"
    utente_comune.save()
    return {
        "piano": piano,
        "comune": comune,
        "altro": altro,
        "aler": aler,
        "ufficio": crea_operatore("giulia.ufficio", ambito, Ruolo.UFFICIO_DI_PIANO),
        "utente_comune": utente_comune,
        "utente_aler": crea_operatore("paolo.aler", ambito, Ruolo.ALER, aler),
    }


def test_comune_adds_a_unit_and_submits_then_the_ufficio_di_piano_sees_both(apri_pagina, ambito_e2e):
    piano: PianoAnnuale = ambito_e2e["piano"]
    comune: EnteProprietario = ambito_e2e["comune"]

    # The comune's operator logs in and finds their ente's workspace from the home page.
    pagina = apri_pagina()
    accedi(pagina, "mario.rossi", PASSWORD)
    pagina.get_by_role("link", name=f"Dati del {comune.denominazione}").click()
    pagina.get_by_role("link", name="Unità abitative", exact=True).click()
    pagina.get_by_role("link", name="Aggiungi un'unità").click()

    # A first try with a mistake: the message appears next to the field.
    pagina.get_by_label("ID regionale").fill("E2E 0001")
    pagina.get_by_role("button", name="Salva", exact=True).click()
    errore = pagina.locator("#id_id_regionale_error")
    assert "solo lettere, cifre" in errore.inner_text()
    assert pagina.get_by_label("ID regionale").get_attribute("aria-invalid") == "true"

    pagina.get_by_label("ID regionale").fill("E2E-0001")
    pagina.get_by_label("Indirizzo").fill("Via delle Prove 1")
    pagina.get_by_label("Stato nell'anno").select_option("libera")
    pagina.get_by_role("button", name="Salva", exact=True).click()
    assert "Unità salvata" in pagina.get_by_role("status").first.inner_text()
    assert pagina.get_by_role("cell", name="E2E-0001", exact=True).is_visible()
    assert UnitaAbitativa.objects.filter(id_regionale="E2E-0001", ente=comune).exists()

    # Submit: the data is locked.
    pagina.get_by_role("link", name="Riepilogo e invio").click()
    pagina.get_by_role("link", name="Invia la risposta all'ufficio di piano…").click()
    # The confirmation page says what sending does; warnings, if any, are acknowledged first.
    assert pagina.get_by_role("heading", name="Invia la risposta all'ufficio di piano").is_visible()
    avvisi = pagina.get_by_label("Ho letto gli avvisi e invio comunque la risposta")
    if avvisi.count():
        avvisi.check()
        pagina.get_by_role("button", name="Invia comunque").click()
    else:
        pagina.get_by_role("button", name="Conferma l'invio").click()
    assert "Risposta inviata all'ufficio di piano" in pagina.content()
    assert pagina.get_by_text("Dati bloccati").is_visible()
    assert pagina.get_by_role("link", name="Invia la risposta all'ufficio di piano…").count() == 0
    assert RispostaRicognizione.objects.get(piano=piano, ente=comune).stato == StatoRisposta.INVIATA

    # The ufficio di piano sees the answer in the dashboard…
    ufficio = apri_pagina()
    accedi(ufficio, "giulia.ufficio", PASSWORD)
    ufficio.get_by_role("link", name=f"Ricognizione {piano.anno}").first.click()
    riga = ufficio.get_by_role("row").filter(has=ufficio.get_by_role("link", name=comune.denominazione))
    assert "Inviata" in riga.inner_text()
    assert "Mario Rossi" in riga.inner_text()

    # …and the unit in the plan, among the units already free (section e).
    ufficio.goto(f"/piani/{piano.pk}/")
    sezione_e = ufficio.locator("#e")
    assert "E2E-0001" in sezione_e.inner_text()


def test_aler_operator_cannot_open_a_comunes_workspace(apri_pagina, ambito_e2e):
    piano, comune = ambito_e2e["piano"], ambito_e2e["comune"]
    unita = UnitaAbitativa.objects.filter(ente=comune).first()
    assert unita is not None
    pagina = apri_pagina()
    accedi(pagina, "paolo.aler", PASSWORD)
    assert pagina.get_by_role("link", name=f"Dati del {comune.denominazione}").count() == 0

    for indirizzo in (f"/piani/{piano.pk}/enti/{comune.pk}/", f"/piani/{piano.pk}/enti/{comune.pk}/unita/"):
        risposta = pagina.goto(indirizzo)
        assert risposta.status == 404
        assert pagina.get_by_role("heading", name="Pagina non trovata").is_visible()
        assert unita.id_regionale not in pagina.content()

    # Its own workspace opens.
    risposta = pagina.goto(f"/piani/{piano.pk}/enti/{ambito_e2e['aler'].pk}/unita/")
    assert risposta.status == 200
    assert re.search(r"\d+ unità", pagina.content())
