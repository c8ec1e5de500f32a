"""Production locked down (issue 16, item 6): login throttling and its unlock, Content-Security-Policy,
HSTS and ``check --deploy``, the idle session timeout, and SMTP required with DEBUG off.

Settings that only production loads (DEBUG off) are checked in a fresh interpreter, so this test
run's settings are left alone.
"""

from __future__ import annotations

import datetime
import html
import os
import subprocess
import sys
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config import sessioni
from patrimonio.blocchi import indirizzo_client
from patrimonio.models import Ruolo
from piano_annuale.models import AzioneModifica, Modifica
from tests.factories import AmbitoFactory
from tests.utenti import PASSWORD, crea_operatore, hasher_veloce

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(hasher_veloce.__name__)]

MESSAGGIO_BLOCCO = (
    "Troppi tentativi non riusciti: l'accesso con questo nome utente o da questo indirizzo è "
    "bloccato per 30 minuti. Riprovi più tardi oppure chieda all'ufficio di piano di sbloccarlo."
)


@pytest.fixture
def ambiti() -> dict[str, Any]:
    lodi, pavia = AmbitoFactory.create(nome="Ambito di Lodi"), AmbitoFactory.create(nome="Ambito di Pavia")
    return {
        "lodi": lodi,
        "pavia": pavia,
        "ufficio_lodi": crea_operatore("ufficio.lodi", lodi, Ruolo.UFFICIO_DI_PIANO),
        "sindaco_lodi": crea_operatore("sindaco.lodi", lodi, Ruolo.ASSEMBLEA),
        "sindaco_pavia": crea_operatore("sindaco.pavia", pavia, Ruolo.ASSEMBLEA),
    }


def accedi(client: Client, username: str, password: str, *, ip: str = "10.0.0.1", url: str = "") -> int:
    """POST the login form as a browser would; the response's status."""
    risposta = client.post(
        url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )
    return risposta.status_code


def sbaglia(client: Client, username: str, volte: int, *, ip: str = "10.0.0.1", url: str = "") -> list[int]:
    return [accedi(client, username, "sbagliata", ip=ip, url=url) for _ in range(volte)]


def leggi(risposta: HttpResponse) -> str:
    """The page's text with HTML escapes read (Django writes «l'» as «l&#x27;»)."""
    return html.unescape(risposta.content.decode())


def collegato(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Login throttling --------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_user_out_even_with_the_right_password(client, ambiti):
    assert settings.AXES_FAILURE_LIMIT == 5
    # Four failures answer with the login page again; the fifth locks.
    assert sbaglia(client, "sindaco.lodi", 5) == [200, 200, 200, 200, 429]
    risposta = client.post(reverse("login"), {"username": "sindaco.lodi", "password": PASSWORD})
    assert risposta.status_code == 429
    assert MESSAGGIO_BLOCCO in leggi(risposta)
    assert not collegato(client)


def test_the_lock_by_username_holds_from_another_address(client, ambiti):
    sbaglia(client, "sindaco.lodi", 5, ip="10.0.0.1")
    assert accedi(client, "sindaco.lodi", PASSWORD, ip="192.0.2.7") == 429
    assert not collegato(client)


def test_the_lock_by_address_holds_for_another_username(client, ambiti):
    for n in range(5):
        accedi(client, f"indovinato.{n}", "sbagliata", ip="198.51.100.9")
    assert accedi(client, "sindaco.pavia", PASSWORD, ip="198.51.100.9") == 429
    assert not collegato(client)
    # From another address the same user logs in.
    assert accedi(client, "sindaco.pavia", PASSWORD, ip="198.51.100.10") == 302
    assert collegato(client)


def test_the_admin_login_is_throttled_with_the_same_message(client, ambiti):
    User.objects.create_superuser("piattaforma", "admin@prova.invalid", PASSWORD)
    admin_login = reverse("admin:login")
    assert sbaglia(client, "piattaforma", 5, url=admin_login)[-1] == 429
    risposta = client.post(admin_login, {"username": "piattaforma", "password": PASSWORD})
    assert risposta.status_code == 429
    assert MESSAGGIO_BLOCCO in leggi(risposta)
    assert not collegato(client)


def test_after_the_cool_off_the_user_logs_in_again(client, ambiti):
    sbaglia(client, "sindaco.lodi", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=31))
    assert accedi(client, "sindaco.lodi", PASSWORD) == 302
    assert collegato(client)


def test_a_successful_login_does_not_reset_the_address_limit(client, ambiti):
    # Four guesses at other usernames, then the guesser's own account logs in: the address's count
    # stands, and the fifth guess locks the address.
    for n in range(4):
        accedi(Client(), f"indovinato.{n}", "sbagliata", ip="203.0.113.50")
    assert accedi(Client(), "sindaco.pavia", PASSWORD, ip="203.0.113.50") == 302
    assert accedi(Client(), "indovinato.4", "sbagliata", ip="203.0.113.50") == 429
    assert accedi(client, "sindaco.pavia", PASSWORD, ip="203.0.113.50") == 429
    assert not collegato(client)


def test_behind_a_trusted_proxy_the_address_is_the_one_the_proxy_saw(settings):
    richiesta = RequestFactory().post(
        "/accounts/login/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.4"
    )
    settings.POA_PROXY_FIDATI = 0
    assert indirizzo_client(richiesta) == "172.18.0.5"
    settings.POA_PROXY_FIDATI = 1
    assert indirizzo_client(richiesta) == "203.0.113.4"  # the forged first entry is ignored


# --- Unlock -------------------------------------------------------------------------------------------


def test_the_ufficio_di_piano_unlocks_a_user_of_its_ambito_and_the_history_records_it(client, ambiti):
    sbaglia(Client(), "sindaco.lodi", 5)
    client.force_login(ambiti["ufficio_lodi"])
    pagina = client.get(reverse("accessi_bloccati"))
    assert pagina.status_code == 200
    elenco = leggi(pagina)
    assert "sindaco.lodi" in elenco
    assert "Bloccato" in elenco
    assert "Per indirizzo" not in elenco  # addresses are the platform admin's

    risposta = client.post(reverse("accessi_bloccati"), {"username": "sindaco.lodi"}, follow=True)
    assert "Accesso sbloccato per l'utente «sindaco.lodi»: tolti 5 tentativi non riusciti." in leggi(risposta)
    assert AccessAttempt.objects.filter(username="sindaco.lodi").count() == 0
    storia = Modifica.objects.get(modello="axes.accessattempt")
    assert storia.azione == AzioneModifica.ELIMINAZIONE
    assert storia.utente == ambiti["ufficio_lodi"]
    assert storia.origine == "sblocco dell'accesso"
    assert storia.prima is not None
    assert storia.prima["username"] == "sindaco.lodi"
    assert storia.prima["failures_since_start"] == 5
    assert accedi(Client(), "sindaco.lodi", PASSWORD) == 302


def test_the_unlock_message_counts_the_failures_in_italian(client, ambiti):
    client.force_login(ambiti["ufficio_lodi"])
    sbaglia(Client(), "sindaco.lodi", 1)
    risposta = client.post(reverse("accessi_bloccati"), {"username": "sindaco.lodi"}, follow=True)
    assert "Accesso sbloccato per l'utente «sindaco.lodi»: tolto 1 tentativo non riuscito." in leggi(risposta)
    risposta = client.post(reverse("accessi_bloccati"), {"username": "sindaco.lodi"}, follow=True)
    assert "Nessun tentativo non riuscito da sbloccare per l'utente «sindaco.lodi»." in leggi(risposta)


def test_the_ufficio_di_piano_cannot_unlock_a_user_of_another_ambito(client, ambiti):
    sbaglia(Client(), "sindaco.pavia", 5)
    client.force_login(ambiti["ufficio_lodi"])
    assert "sindaco.pavia" not in client.get(reverse("accessi_bloccati")).content.decode()
    risposta = client.post(reverse("accessi_bloccati"), {"username": "sindaco.pavia"}, follow=True)
    assert "Non può sbloccare l'utente «sindaco.pavia»: non è del suo ambito." in leggi(risposta)
    assert AccessAttempt.objects.get(username="sindaco.pavia").failures_since_start == 5
    assert not Modifica.objects.filter(modello="axes.accessattempt").exists()
    # Nor an address.
    client.post(reverse("accessi_bloccati"), {"indirizzo": "10.0.0.1"})
    assert AccessAttempt.objects.filter(ip_address="10.0.0.1").count() == 1


def test_only_the_ufficio_di_piano_and_the_platform_admin_open_the_unlock_page(client, ambiti):
    client.force_login(ambiti["sindaco_lodi"])
    assert client.get(reverse("accessi_bloccati")).status_code == 403
    assert client.post(reverse("accessi_bloccati"), {"username": "sindaco.lodi"}).status_code == 403
    assert "Accessi bloccati" not in client.get(reverse("piano_annuale:home")).content.decode()
    client.force_login(ambiti["ufficio_lodi"])
    assert (
        'href="/accessi-bloccati/">Accessi bloccati</a>'
        in client.get(reverse("piano_annuale:home")).content.decode()
    )
    anonimo = Client().get(reverse("accessi_bloccati"))
    assert anonimo.status_code == 302
    assert anonimo["Location"].startswith(reverse("login"))


def test_the_platform_admin_unlocks_an_address(client, ambiti):
    for n in range(5):
        accedi(Client(), f"indovinato.{n}", "sbagliata", ip="198.51.100.9")
    client.force_login(User.objects.create_superuser("piattaforma", "admin@prova.invalid", PASSWORD))
    assert "198.51.100.9" in leggi(client.get(reverse("accessi_bloccati")))
    risposta = client.post(reverse("accessi_bloccati"), {"indirizzo": "198.51.100.9"}, follow=True)
    assert "Accesso sbloccato per l'indirizzo 198.51.100.9: tolti 5 tentativi non riusciti." in leggi(
        risposta
    )
    assert Modifica.objects.filter(modello="axes.accessattempt").count() == 5
    assert accedi(Client(), "sindaco.lodi", PASSWORD, ip="198.51.100.9") == 302


# --- Headers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("nome", ["login", "admin:login", "ambito:accessibilita"])
def test_every_page_has_a_content_security_policy_without_unsafe_inline(client, nome):
    risposta = client.get(reverse(nome))
    assert risposta.status_code == 200
    politica = risposta["Content-Security-Policy"]
    direttive = dict(d.strip().split(" ", 1) for d in politica.split(";"))
    assert direttive["default-src"] == "'self'"
    assert direttive["script-src"] == "'self'"
    assert direttive["style-src"] == "'self'"
    assert direttive["object-src"] == "'none'"
    assert direttive["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in politica
    assert "unsafe-eval" not in politica


def test_the_not_found_page_has_the_policy_too(client):
    risposta = client.get("/non-esiste/")
    assert risposta.status_code == 404
    assert "script-src 'self'" in risposta["Content-Security-Policy"]


# --- Sessions -----------------------------------------------------------------------------------------


def test_a_session_ends_after_thirty_idle_minutes_and_with_the_browser(client, ambiti):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    client.force_login(ambiti["ufficio_lodi"])
    risposta = client.get(reverse("piano_annuale:home"))
    assert risposta.status_code == 200
    cookie = risposta.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    sessione = Session.objects.get(session_key=client.session.session_key)
    rimasti = (sessione.expire_date - timezone.now()).total_seconds()
    assert 29 * 60 < rimasti <= 30 * 60

    # A request within a minute of the last renewal writes nothing (no UPDATE of the session).
    fine = sessione.expire_date
    with CaptureQueriesContext(connection) as query:
        assert client.get(reverse("piano_annuale:home")).status_code == 200
    assert not [q for q in query.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert Session.objects.get(pk=sessione.pk).expire_date == fine

    # Each request after a minute pushes the end back: 20 minutes idle, one request, 30 minutes again.
    dati = client.session
    dati[sessioni.CHIAVE] = dati[sessioni.CHIAVE] - 20 * 60
    dati.save()
    Session.objects.filter(pk=sessione.pk).update(expire_date=timezone.now() + datetime.timedelta(minutes=10))
    assert client.get(reverse("piano_annuale:home")).status_code == 200
    rimasti = (Session.objects.get(pk=sessione.pk).expire_date - timezone.now()).total_seconds()
    assert rimasti > 29 * 60

    # Past the idle limit the user is asked to log in again.
    Session.objects.filter(pk=sessione.pk).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    risposta = client.get(reverse("accessi_bloccati"))
    assert risposta.status_code == 302
    assert risposta["Location"].startswith(reverse("login"))


# --- Production settings, in a fresh interpreter ---------------------------------------------------------

IMPORTA_SETTINGS = """
from django.core.exceptions import ImproperlyConfigured
try:
    import config.settings as s
except ImproperlyConfigured as errore:
    print(errore)
    raise SystemExit(3)
print("backend", s.EMAIL_BACKEND)
"""
PRODUZIONE = {
    "DEBUG": "0",
    "SECRET_KEY": "una-chiave-di-produzione-lunga-e-casuale-di-almeno-cinquanta-caratteri-9f3k",
    "ALLOWED_HOSTS": "poa.example.it",
    "EMAIL_HOST": "smtp.example.it",
}


def esegui(argomenti: list[str], **variabili: str) -> subprocess.CompletedProcess[str]:
    """Run Python with only the given settings variables (the rest of this run's env is kept)."""
    ambiente = {
        nome: valore
        for nome, valore in os.environ.items()
        if nome not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}
        and not nome.startswith(("EMAIL_", "SECURE_", "POA_EMAIL"))
    }
    ambiente.update(variabili)
    return subprocess.run(
        [sys.executable, *argomenti],
        cwd=settings.BASE_DIR,
        env=ambiente,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_has_no_warning_under_production_settings():
    risultato = esegui(["manage.py", "check", "--deploy"], **PRODUZIONE)
    uscita = risultato.stdout + risultato.stderr
    assert risultato.returncode == 0, uscita
    assert "System check identified no issues (0 silenced)." in uscita
    assert "WARNING" not in uscita and "security.W" not in uscita


def test_hsts_and_ssl_redirect_are_on_in_production_and_configurable():
    codice = (
        "import config.settings as s; print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    )
    predefinito = esegui(["-c", codice], **PRODUZIONE)
    assert predefinito.stdout.strip() == "31536000 True ('HTTP_X_FORWARDED_PROTO', 'https') True"
    cambiato = esegui(
        ["-c", codice],
        **PRODUZIONE,
        SECURE_HSTS_SECONDS="3600",
        SECURE_SSL_REDIRECT="0",
        SECURE_PROXY_SSL_HEADER="",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
    )
    assert cambiato.stdout.strip() == "3600 False None False"


def test_with_debug_off_the_console_e_mail_backend_is_refused():
    senza_smtp = {k: v for k, v in PRODUZIONE.items() if k != "EMAIL_HOST"}
    rifiutato = esegui(["-c", IMPORTA_SETTINGS], **senza_smtp)
    assert rifiutato.returncode == 3, rifiutato.stderr
    assert rifiutato.stdout.strip() == (
        "Con DEBUG disattivato serve un server SMTP: impostare EMAIL_HOST (ed EMAIL_PORT, "
        "EMAIL_HOST_USER, EMAIL_HOST_PASSWORD). Per scrivere le e-mail nel log del server, "
        "solo per prova, impostare POA_EMAIL_CONSOLE_CONSENTITA=1."
    )
    esplicito = esegui(
        ["-c", IMPORTA_SETTINGS],
        **senza_smtp,
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
    )
    assert esplicito.returncode == 3


def test_the_console_backend_is_allowed_in_production_only_when_asked_for():
    senza_smtp = {k: v for k, v in PRODUZIONE.items() if k != "EMAIL_HOST"}
    consentito = esegui(["-c", IMPORTA_SETTINGS], **senza_smtp, POA_EMAIL_CONSOLE_CONSENTITA="1")
    assert consentito.returncode == 0, consentito.stdout + consentito.stderr
    assert consentito.stdout.strip() == "backend django.core.mail.backends.console.EmailBackend"


def test_with_an_smtp_host_production_sends_through_smtp():
    risultato = esegui(["-c", IMPORTA_SETTINGS], **PRODUZIONE)
    assert risultato.returncode == 0, risultato.stdout + risultato.stderr
    assert risultato.stdout.strip() == "backend django.core.mail.backends.smtp.EmailBackend"
