"""Login, logout, password change and reset: Italian pages, e-mail for the reset, the page frame."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from patrimonio.models import Ruolo
from piano_annuale.models import PianoAnnuale
from tests.factories import PianoAnnualeFactory
from tests.utenti import PASSWORD, crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)


@pytest.fixture
def piano(db) -> PianoAnnuale:
    return PianoAnnualeFactory.create(ambito__nome="Ambito della Valle di Prova")


@pytest.fixture
def ufficio(piano):
    return crea_operatore("ufficio", piano.ambito, Ruolo.UFFICIO_DI_PIANO, email="udp@prova.invalid")


def test_login_page_is_an_italian_pa_service_page(client, db):
    testo = client.get(reverse("login")).content.decode()
    assert '<html lang="it">' in testo
    assert "Vai al contenuto principale" in testo
    assert reverse("ambito:accessibilita") in testo and reverse("ambito:privacy") in testo
    assert "/static/vendor/bootstrap-italia/css/bootstrap-italia.min.css" in testo
    assert "cdn" not in testo.lower() and "googleapis" not in testo


def test_login_with_wrong_password_says_so_in_italian(client, ufficio):
    risposta = client.post(reverse("login"), {"username": "ufficio", "password": "sbagliata"})
    assert risposta.status_code == 200
    assert "Nome utente o password non corretti" in risposta.content.decode()


def test_login_logout_round_trip_shows_the_user_and_the_ambito(client, ufficio):
    assert "Ambito della Valle di Prova" not in client.get(reverse("login")).content.decode()
    risposta = client.post(reverse("login"), {"username": "ufficio", "password": PASSWORD}, follow=True)
    testo = risposta.content.decode()
    assert "Ufficio di piano" in testo and "Ambito della Valle di Prova" in testo
    risposta = client.post(reverse("logout"), follow=True)
    assert risposta.redirect_chain[-1][0] == reverse("login")
    assert client.get(reverse("piano_annuale:home")).status_code == 302


def test_password_change_needs_the_old_password(client, ufficio):
    client.force_login(ufficio)
    pagina = reverse("password_change")
    assert "Cambia password" in client.get(pagina).content.decode()
    risposta = client.post(
        pagina,
        {"old_password": "no", "new_password1": "Nuova-Password-77", "new_password2": "Nuova-Password-77"},
    )
    assert 'id="id_old_password_error"' in risposta.content.decode()
    risposta = client.post(
        pagina,
        {
            "old_password": PASSWORD,
            "new_password1": "Nuova-Password-77",
            "new_password2": "Nuova-Password-77",
        },
        follow=True,
    )
    assert "Password cambiata" in risposta.content.decode()
    assert get_user_model().objects.get(username="ufficio").check_password("Nuova-Password-77")


def test_password_reset_sends_an_italian_email_with_a_working_link(client, ufficio):
    risposta = client.post(reverse("password_reset"), {"email": "udp@prova.invalid"}, follow=True)
    assert "Controlli la posta" in risposta.content.decode()
    assert len(mail.outbox) == 1
    messaggio = mail.outbox[0]
    assert messaggio.subject == "Piano annuale dell'offerta abitativa – nuova password"
    assert "«ufficio»" in messaggio.body
    trovato = re.search(r"https?://[^/]+(/\S+)", str(messaggio.body))
    assert trovato, messaggio.body
    collegamento = trovato.group(1)
    risposta = client.get(collegamento, follow=True)
    assert "Imposta una nuova password" in risposta.content.decode()
    risposta = client.post(
        risposta.redirect_chain[-1][0],
        {"new_password1": "Altra-Password-88", "new_password2": "Altra-Password-88"},
        follow=True,
    )
    assert "Password impostata" in risposta.content.decode()
    assert get_user_model().objects.get(username="ufficio").check_password("Altra-Password-88")


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, db):
    risposta = client.post(reverse("password_reset"), {"email": "nessuno@prova.invalid"}, follow=True)
    assert "Controlli la posta" in risposta.content.decode()
    assert mail.outbox == []


def test_accessibility_statement_and_privacy_note_are_public(client, db):
    testo = client.get(reverse("ambito:accessibilita")).content.decode()
    assert "Dichiarazione di accessibilità" in testo
    assert "parzialmente conforme" in testo and "WCAG" in testo
    assert "23 novembre 2026" in testo
    assert "mailto:" in testo
    assert "Difensore civico per il digitale" in testo
    assert "cookie" in client.get(reverse("ambito:privacy")).content.decode()
