"""Onboarding end to end in a real browser: the platform administrator creates an ambito and invites
its ufficio di piano; the ufficio picks 12 comuni, two aggregazioni, ALER, invites three operators
and opens the first plan; an invited comune operator sets a password and enters a unit; the plan
page shows it. axe-core finds no serious or critical violation on the onboarding pages at 1366 and
390 px.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail

from ambito.models import AggregazioneTerritoriale, Ambito, Comune
from patrimonio.models import EnteProprietario, Operatore, Ruolo, TipoEnte, UnitaAbitativa
from piano_annuale.models import PianoAnnuale, StatoPiano
from piano_annuale.services.carica import carica_piano
from tests import navigatore as browser
from tests.navigatore import accedi, violazioni_gravi
from tests.utenti import PASSWORD, hasher_veloce

# The browser fixtures, shared with the other browser tests.
navigatore = browser.navigatore
apri_pagina = browser.apri_pagina
ripristina_dati_della_sessione = browser.ripristina_dati_della_sessione

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures(hasher_veloce.__name__, "ripristina_dati_della_sessione"),
]

NOME = "Ambito di prova del Basso Lodigiano"
NORD = [
    "Castiglione d'Adda",
    "Cavenago d'Adda",
    "Casaletto Lodigiano",
    "Borghetto Lodigiano",
    "Brembio",
    "Bertonico",
]
SUD = [
    "Codogno",
    "Casalpusterlengo",
    "Caselle Landi",
    "Castelnuovo Bocca d'Adda",
    "Corno Giovine",
    "Abbadia Cerreto",
]
LARGHEZZE = (1366, 390)
# This test walks through many pages: on a loaded machine a page may take longer than the usual 15 s.
ATTESA_MS = 60_000
# Where to save full-page screenshots of the onboarding pages, to look at them (unset: none).
CARTELLA_IMMAGINI = os.environ.get("POA_SCREENSHOT_INSEDIAMENTO", "")


def nuova(apri_pagina, larghezza: int):
    pagina = apri_pagina(larghezza=larghezza)
    pagina.set_default_timeout(ATTESA_MS)
    pagina.set_default_navigation_timeout(ATTESA_MS)
    return pagina


def link_dell_invito(indirizzo: str) -> str:
    messaggio = next(m for m in reversed(mail.outbox) if indirizzo in m.to)
    trovato = re.search(r"https?://[^/\s]+(/invito/\S+/)", str(messaggio.body))
    assert trovato, messaggio.body
    return trovato.group(1)


def imposta_password(pagina, indirizzo: str, password: str) -> None:
    pagina.goto(link_dell_invito(indirizzo))
    assert pagina.get_by_role("heading", name="Scelga la sua password").is_visible()
    pagina.locator("#id_new_password1").fill(password)
    pagina.locator("#id_new_password2").fill(password)
    pagina.get_by_role("button", name="Salva la password ed entra").click()
    pagina.get_by_text("Password impostata").wait_for()


def senza_violazioni(apri_pagina, utente: str, password: str, indirizzi: list[str]) -> None:
    for larghezza in LARGHEZZE:
        pagina = nuova(apri_pagina, larghezza)
        accedi(pagina, utente, password)
        for indirizzo in indirizzi:
            risposta = pagina.goto(indirizzo)
            assert risposta.status == 200, indirizzo
            assert violazioni_gravi(pagina) == [], (larghezza, indirizzo)
            if CARTELLA_IMMAGINI:
                nome = re.sub(r"[^a-z0-9]+", "-", indirizzo.lower()).strip("-")
                pagina.screenshot(
                    path=str(Path(CARTELLA_IMMAGINI) / f"{nome}-{larghezza}.png"), full_page=True
                )


def test_a_new_ambito_is_onboarded_in_the_browser_and_its_first_plan_computed(apri_pagina):
    # Live-server tests start from an empty database: the rule sets (and a first ambito, whose
    # comuni cannot be taken) come with the Cremonese plan.
    carica_piano(percorso=settings.BASE_DIR / "fixtures" / "cremonese_2025.json")
    get_user_model().objects.create_superuser("piattaforma", "piattaforma@example.org", PASSWORD)

    # 1. The platform administrator creates the ambito and invites its ufficio di piano.
    admin = nuova(apri_pagina, 1366)
    accedi(admin, "piattaforma", PASSWORD)
    admin.get_by_role("link", name="Ambiti della piattaforma").click()
    admin.get_by_label("Nome dell'ambito").fill(NOME)
    admin.get_by_role("button", name="Crea l'ambito").click()
    assert f"Ambito «{NOME}» creato" in admin.content()
    ambito = Ambito.objects.get(nome=NOME)
    scheda = admin.locator(f"#ambito-{ambito.pk}")
    scheda.get_by_label("Nome e cognome").fill("Giulia Neri")
    scheda.get_by_label("Indirizzo e-mail").fill("giulia.neri@lodigiano.example")
    scheda.get_by_role("button", name="Invia l'invito").click()
    assert "Invito inviato a giulia.neri@lodigiano.example" in admin.content()
    assert violazioni_gravi(admin) == []

    # 2. The ufficio di piano sets the password from the e-mail and goes through the steps.
    ufficio = nuova(apri_pagina, 1366)
    imposta_password(ufficio, "giulia.neri@lodigiano.example", "Piano-di-Zona-27!")
    ufficio.get_by_role("link", name="Ambito e operatori").click()
    assert ufficio.get_by_role("heading", name="1. Comuni dell'ambito").is_visible()
    # A comune of the Cremonese is refused, by name.
    ufficio.get_by_label("Elenco dei comuni").fill("Codogno\nCremona")
    ufficio.get_by_role("button", name="Aggiungi i comuni dell'elenco").click()
    assert (
        "Il Comune di Cremona appartiene già all'ambito «Ambito Sociale Territoriale Cremonese»."
        in ufficio.content()
    )
    ufficio.get_by_label("Elenco dei comuni").fill("\n".join(NORD + SUD))
    ufficio.get_by_role("button", name="Aggiungi i comuni dell'elenco").click()
    assert "12 comuni fanno ora parte dell'ambito." in ufficio.content()
    ufficio.get_by_label("Comune capofila").select_option(label="Codogno")
    ufficio.get_by_role("textbox", name="Ente strumentale").fill("Consorzio di prova")
    ufficio.get_by_role("button", name="Salva capofila ed ente strumentale").click()

    ufficio.get_by_role("link", name="Aggregazioni →").click()
    for nome in ("Nord", "Sud"):
        ufficio.get_by_label("Nome della nuova aggregazione").fill(nome)
        ufficio.get_by_role("button", name="Aggiungi l'aggregazione").click()
    for comuni, etichetta in ((NORD, "AT 1 – Nord"), (SUD, "AT 2 – Sud")):
        for comune in comuni:
            ufficio.get_by_label(comune, exact=True).select_option(label=etichetta)
    ufficio.get_by_role("button", name="Salva la collocazione").click()
    assert "12 comuni collocati." in ufficio.content()

    ufficio.get_by_role("link", name="Enti →").click()
    ufficio.get_by_label("ALER e U.O.G. competente").select_option(label="ALER Pavia-Lodi – U.O.G. di Lodi")
    ufficio.get_by_role("button", name="Aggiungi l'ALER").click()
    assert "ALER Pavia-Lodi (U.O.G. di Lodi) aggiunta" in ufficio.content()

    ufficio.get_by_role("link", name="Operatori →").click()
    ufficio.get_by_label("Persone da invitare").fill(
        "Codogno; Marco Bianchi; m.bianchi@codogno.example\n"
        "ALER Pavia-Lodi; Paola Verdi; p.verdi@aler-pavia-lodi.example\n"
        "assemblea; Anna Conti; sindaco@casalpusterlengo.example"
    )
    ufficio.get_by_role("button", name="Invia gli inviti").click()
    assert "3 inviti inviati." in ufficio.content()

    ufficio.get_by_role("link", name="Primo piano →").click()
    ufficio.get_by_label("Scadenza della ricognizione").fill("2027-02-15")
    ufficio.get_by_role("button", name="Apri il piano").click()
    assert "Il piano 2027 è aperto" in ufficio.content()

    piano = PianoAnnuale.objects.get(ambito=ambito)
    assert (piano.anno, piano.stato) == (2027, StatoPiano.RICOGNIZIONE)
    assert Comune.objects.filter(ambito=ambito).count() == 12
    assert AggregazioneTerritoriale.objects.filter(ambito=ambito).count() == 2
    assert not Comune.objects.filter(ambito=ambito, aggregazione__isnull=True).exists()
    assert EnteProprietario.objects.filter(ambito=ambito).count() == 13
    assert Operatore.objects.filter(ambito=ambito).count() == 4
    assert len(mail.outbox) == 4

    # 3. The comune's operator sets the password and enters one unit.
    comune = nuova(apri_pagina, 1366)
    imposta_password(comune, "m.bianchi@codogno.example", "Ricognizione-27!")
    codogno = EnteProprietario.objects.get(ambito=ambito, comune__nome="Codogno")
    comune.get_by_role("link", name=f"Dati dell'ente {piano.anno}").first.click()
    comune.get_by_role("link", name="Unità abitative", exact=True).click()
    comune.get_by_role("link", name="Aggiungi un'unità").click()
    comune.get_by_label("ID regionale").fill("LO-INS-0001")
    comune.get_by_label("Indirizzo").fill("Via Roma 1")
    comune.get_by_label("Stato nell'anno").select_option("libera")
    comune.get_by_role("button", name="Salva", exact=True).click()
    assert "Unità salvata" in comune.get_by_role("status").first.inner_text()
    assert UnitaAbitativa.objects.filter(id_regionale="LO-INS-0001", ente=codogno).exists()

    # 4. The ufficio di piano opens the computed plan and sees the unit and the population.
    ufficio.goto(f"/piani/{piano.pk}/")
    assert "LO-INS-0001" in ufficio.locator("#e").inner_text()
    assert "in 12 comuni" in ufficio.content()

    # 5. The onboarding pages, with their data, at desktop and phone widths.
    passi = [
        f"/ambiti/{ambito.pk}/insediamento/{passo}/"
        for passo in ("comuni", "aggregazioni", "enti", "operatori", "piano")
    ]
    senza_violazioni(
        apri_pagina, "giulia.neri@lodigiano.example", "Piano-di-Zona-27!", [*passi, f"{passi[0]}?q=cod"]
    )
    senza_violazioni(apri_pagina, "piattaforma", PASSWORD, ["/piattaforma/ambiti/"])
    pagina = nuova(apri_pagina, 390)
    assert pagina.goto(link_dell_invito("p.verdi@aler-pavia-lodi.example")).status == 200
    assert violazioni_gravi(pagina) == []
    assert EnteProprietario.objects.get(ambito=ambito, tipo=TipoEnte.ALER).uog == "U.O.G. di Lodi"
    assert Operatore.objects.get(user__email="p.verdi@aler-pavia-lodi.example").ruolo == Ruolo.ALER
