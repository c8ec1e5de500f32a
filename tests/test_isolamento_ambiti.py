"""Two ambiti on one deployment: nothing of one is read or changed from the other, through any URL.

Every URL of the project (pages, exports, PDF, files, API, onboarding, the admin) is walked with the
other ambito's objects in its path, by every role of the first ambito, with GET and POST: the answer
is a refusal (403/404/405, or the admin's login page) and not one row of the database changes. The
pages without an object in their path (lists, home pages) never name the other ambito's data. A URL
added to the project with a path parameter this test does not know makes it fail, so that the new
URL is covered too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from api.credenziali import crea_token
from misure.models import Avviso, Misura, MisuraPiano
from patrimonio.models import Operatore, Ruolo, UnitaAbitativa
from piano_annuale.models import OsservazioneAler, StatoPiano, VersionePiano
from tests.factories import CaricamentoFactory, DocumentoPianoFactory
from tests.percorso import Ambito, crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a  # noqa: F401
from tests.utenti import crea_operatore, hasher_veloce  # noqa: F401

# Text that only the other ambito's pages contain (its name is in its enti's and plan's names).
NOME_ALTRO = "Ambito Zeta Riservato"
SEGNI_DELL_ALTRO = (NOME_ALTRO, "Comune di prova 097-")

# Public flows reached by a signed link, whose path holds no object of an ambito.
SENZA_OGGETTI = {"password_reset_confirm", "insediamento:invito"}
APP_DEL_PROGETTO = ("ambito", "patrimonio", "piano_annuale", "misure", "api")


@dataclass
class Altro:
    """The other ambito and one object of each kind a URL can name."""

    a: Ambito
    oggetti: dict[str, Any]


def _percorsi() -> Iterator[tuple[str, URLPattern]]:
    """Every URL pattern of the project (but the admin's, walked apart) with its namespaced name."""

    def scendi(voci: list[Any], spazio: str) -> Iterator[tuple[str, URLPattern]]:
        for voce in voci:
            if isinstance(voce, URLResolver):
                if voce.namespace == "admin":
                    continue
                yield from scendi(
                    voce.url_patterns, f"{spazio}{voce.namespace}:" if voce.namespace else spazio
                )
            elif voce.name:
                yield f"{spazio}{voce.name}", voce

    yield from scendi(get_resolver().url_patterns, "")


def _parametri(nome: str, schema: URLPattern) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", str(schema.pattern))


def _valore(nome: str, parametro: str, o: dict[str, Any]) -> Any:
    """The other ambito's object a URL names with ``parametro``."""
    if parametro == "pk":
        if nome.startswith("misure:"):
            return o["avviso"] if "avviso" in nome else o["misura"]
        if nome in {"api:ambito"} or nome.startswith("insediamento:"):
            return o["ambito"]
        if nome == "api:unita":
            return o["unita"]
        if nome.startswith("api:token"):
            return o["token"]
        return o["piano"]
    valori = {
        "piano": o["piano"],
        "piano_pk": o["piano"],
        "ente": o["ente"],
        "comune": o["comune"],
        "unita": o["unita"],
        "caricamento": o["caricamento"],
        "documento_pk": o["documento"],
        "osservazione": o["osservazione"],
        "versione": o["versione"],
        "numero": o["numero_versione"],
        "sezione": "a",
        "formato": "csv",
    }
    if parametro not in valori:
        raise AssertionError(
            f"L'URL «{nome}» ha il parametro «{parametro}» che questo test non conosce: aggiungerlo a _valore."
        )
    return valori[parametro]


def fotografia_completa() -> dict[str, list[tuple]]:
    """Every row of every table of the project's apps (and the users), to prove nothing changed."""
    modelli = [m for app in APP_DEL_PROGETTO for m in apps.get_app_config(app).get_models()]
    righe = {m._meta.label: list(m._default_manager.order_by("pk").values_list()) for m in modelli}
    # A login sets ``last_login``: every other column of the users counts.
    campi = [f.attname for f in User._meta.concrete_fields if f.attname != "last_login"]
    righe["auth.User"] = list(User.objects.order_by("pk").values_list(*campi))
    return righe


@pytest.fixture
def due_ambiti(db, hasher_veloce, media, pdf_veloce) -> tuple[Ambito, Altro]:  # noqa: F811
    primo = crea_ambito_con_utenti("Ambito Alfa", prefisso_istat="093")
    altro = crea_ambito_con_utenti(NOME_ALTRO, prefisso_istat="097")
    piano = porta_a(altro, StatoPiano.INVIATA_ALER)
    versione = VersionePiano.objects.filter(piano=piano).order_by("numero").first()
    assert versione is not None
    osservazione = OsservazioneAler.objects.create(
        piano=piano,
        versione=versione,
        autore=altro.operatore_aler,
        sezione="a",
        testo="Verificare i dati di Zeta.",
    )
    unita = UnitaAbitativa.objects.filter(ente=altro.ente_comune).first()
    misura = MisuraPiano.objects.create(piano=piano, misura=Misura.objects.create(codice="zeta", nome="Zeta"))
    avviso = Avviso.objects.create(piano=piano, titolo="Avviso Zeta", numero="7/Z")
    token, _ = crea_token(utente=altro.operatore_aler, nome="Gestionale Zeta")
    comune = altro.ente_comune.comune
    assert unita is not None and comune is not None
    oggetti = {
        "ambito": piano.ambito_id,
        "piano": piano.pk,
        "ente": altro.ente_comune.pk,
        "comune": comune.pk,
        "unita": unita.pk,
        "caricamento": CaricamentoFactory.create(piano=piano, ente=altro.ente_comune).pk,
        "documento": DocumentoPianoFactory.create(piano=piano).pk,
        "osservazione": osservazione.pk,
        "versione": versione.pk,
        "numero_versione": versione.numero,
        "misura": misura.pk,
        "avviso": avviso.pk,
        "token": token.pk,
    }
    return primo, Altro(altro, oggetti)


def _utenti(primo: Ambito) -> dict[str, User]:
    return {
        "ufficio di piano": primo.ufficio,
        "comune": primo.operatore_comune,
        "ALER": primo.operatore_aler,
        "Assemblea": primo.sindaco,
    }


RIFIUTI = {403, 404, 405}


@pytest.mark.parametrize("ruolo", ["ufficio di piano", "comune", "ALER", "Assemblea"])
def test_no_role_of_one_ambito_reads_or_changes_the_other_through_any_url(due_ambiti, ruolo):
    primo, altro = due_ambiti
    client = Client()
    client.force_login(_utenti(primo)[ruolo])
    prima = fotografia_completa()
    aperti: list[str] = []
    provati = 0
    for nome, schema in _percorsi():
        parametri = _parametri(nome, schema)
        if nome in SENZA_OGGETTI or nome.startswith(("login", "logout", "password_")):
            continue
        if not parametri:
            risposta = client.get(reverse(nome))
            testo = risposta.content.decode("utf-8", "replace") if risposta.status_code == 200 else ""
            if any(segno in testo for segno in SEGNI_DELL_ALTRO):
                aperti.append(f"GET {nome}: nomina l'altro ambito")
            continue
        indirizzo = reverse(nome, kwargs={p: _valore(nome, p, altro.oggetti) for p in parametri})
        for metodo in (client.get, client.post):
            risposta = metodo(indirizzo)
            provati += 1
            if risposta.status_code not in RIFIUTI:
                aperti.append(f"{metodo.__name__.upper()} {indirizzo} ({nome}): {risposta.status_code}")
    assert aperti == []
    assert provati > 100
    assert fotografia_completa() == prima


def test_the_admin_is_closed_to_every_role_of_an_ambito(due_ambiti):
    primo, altro = due_ambiti
    client = Client()
    prima = fotografia_completa()
    indirizzi = []
    for modello in admin.site._registry:
        info = (modello._meta.app_label, modello._meta.model_name)
        indirizzi.append(reverse("admin:{}_{}_changelist".format(*info)))
        oggetto = modello._default_manager.order_by("-pk").first()
        if oggetto is not None:
            indirizzi.append(reverse("admin:{}_{}_change".format(*info), args=[oggetto.pk]))
    assert len(indirizzi) > 20
    for utente in _utenti(primo).values():
        client.force_login(utente)
        for indirizzo in [reverse("admin:index"), *indirizzi]:
            for metodo in (client.get, client.post):
                risposta = metodo(indirizzo)
                assert risposta.status_code == 302, (utente, indirizzo)
                assert risposta["Location"].startswith(reverse("admin:login")), indirizzo
    assert fotografia_completa() == prima


def test_a_staff_user_who_is_not_a_superuser_cannot_use_the_admin(due_ambiti):
    primo, _ = due_ambiti
    primo.ufficio.is_staff = True
    primo.ufficio.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(primo.ufficio)
    risposta = client.get(reverse("admin:patrimonio_operatore_changelist"))
    assert risposta.status_code == 302
    assert risposta["Location"].startswith(reverse("admin:login"))


def test_an_aler_officer_with_two_memberships_sees_each_ambito_only_while_working_in_it(due_ambiti):
    primo, altro = due_ambiti
    aler_primo = primo.aler
    aler_altro = altro.a.aler
    persona = crea_operatore("aler.due.ambiti", primo.piano.ambito, Ruolo.ALER, aler_primo)
    Operatore.objects.create(user=persona, ambito=altro.a.piano.ambito, ruolo=Ruolo.ALER, ente=aler_altro)
    area_primo = reverse("patrimonio:area_ente", args=[primo.piano.pk, aler_primo.pk])
    area_altro = reverse("patrimonio:area_ente", args=[altro.a.piano.pk, aler_altro.pk])
    client = Client()
    client.force_login(persona)

    # It starts in the first ambito by name («Ambito Alfa»), and the header offers the other.
    home = client.get(reverse("piano_annuale:home")).content.decode()
    assert "Ambito in cui lavora" in home
    assert f'<option value="{altro.a.piano.ambito_id}">{NOME_ALTRO}</option>' in home
    assert client.get(area_primo).status_code == 200
    assert client.get(area_altro).status_code == 404
    assert (
        client.get(reverse("patrimonio:unita_elenco", args=[altro.a.piano.pk, aler_altro.pk])).status_code
        == 404
    )

    risposta = client.post(reverse("patrimonio:cambia_ambito"), {"ambito": altro.a.piano.ambito_id})
    assert risposta.status_code == 302
    assert client.get(area_altro).status_code == 200
    assert client.get(area_primo).status_code == 404
    pagina = client.get(reverse("piano_annuale:home")).content.decode()
    assert "Ambito Alfa" not in pagina.split("Ambito in cui lavora")[0]

    # An ambito where the person holds no membership cannot be chosen.
    terzo = crea_ambito_con_utenti("Ambito Terzo", prefisso_istat="091").piano.ambito_id
    assert client.post(reverse("patrimonio:cambia_ambito"), {"ambito": terzo}).status_code == 403
    assert client.get(area_altro).status_code == 200


def test_a_regional_observer_reads_every_plan_and_changes_nothing(due_ambiti):
    primo, altro = due_ambiti
    osservatore = User.objects.create_user("osservatore.prova")
    Operatore.objects.create(user=osservatore, ambito=None, ruolo=Ruolo.OSSERVATORE_REGIONALE)
    client = Client()
    client.force_login(osservatore)
    for a in (primo, altro.a):
        assert client.get(reverse("piano_annuale:piano_detail", args=[a.piano.pk])).status_code == 200
        assert client.get(reverse("piano_annuale:piano_json", args=[a.piano.pk])).status_code == 200
    # The enti's own data is not the observer's to read, let alone change.
    ente = altro.a.ente_comune
    assert client.get(reverse("patrimonio:area_ente", args=[altro.a.piano.pk, ente.pk])).status_code == 404
    prima = fotografia_completa()
    for nome, schema in _percorsi():
        parametri = _parametri(nome, schema)
        # Asking for the PDF of a plan is reading it (the rendering is a cache, not the plan's data).
        pdf = nome in {
            "piano_annuale:piano_pdf",
            "piano_annuale:documento_scarica",
            "piano_annuale:versione_pdf_riprova",
        }
        if not parametri or pdf or nome in SENZA_OGGETTI or nome.startswith("api:token"):
            continue
        indirizzo = reverse(nome, kwargs={p: _valore(nome, p, altro.oggetti) for p in parametri})
        risposta = client.post(indirizzo)
        # A page that only shows the plan answers a POST as a GET; every write is refused.
        assert risposta.status_code in RIFIUTI or (
            risposta.status_code == 200 and client.get(indirizzo).status_code == 200
        ), (nome, risposta.status_code)
    assert fotografia_completa() == prima


def test_the_ufficio_dashboard_lists_its_own_enti_and_none_of_the_other_ambito(due_ambiti):
    primo, altro = due_ambiti
    client = Client()
    client.force_login(primo.ufficio)
    cruscotto = client.get(reverse("piano_annuale:cruscotto", args=[primo.piano.pk])).content.decode()
    assert primo.aler.denominazione in cruscotto
    assert primo.ente_comune.denominazione in cruscotto
    assert altro.a.aler.denominazione not in cruscotto
    assert altro.a.ente_comune.denominazione not in cruscotto
