"""Production settings refuse to start without their secrets.

Each case imports ``config.settings`` in a fresh interpreter, so the settings of this test run are
left alone.
"""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

IMPORTA_SETTINGS = """
from django.core.exceptions import ImproperlyConfigured
try:
    import config.settings
except ImproperlyConfigured as errore:
    print(errore)
    raise SystemExit(3)
print("importate")
"""


def in_un_altro_interprete(
    codice: str, senza: set[str], **variabili: str
) -> subprocess.CompletedProcess[str]:
    """Run ``codice`` in a fresh interpreter, with this environment minus ``senza`` plus ``variabili``."""
    ambiente = {nome: valore for nome, valore in os.environ.items() if nome not in senza}
    ambiente.update(variabili)
    return subprocess.run(
        [sys.executable, "-c", codice],
        cwd=settings.BASE_DIR,
        env=ambiente,
        capture_output=True,
        text=True,
        timeout=60,
    )


def importa_settings(**variabili: str) -> subprocess.CompletedProcess[str]:
    return in_un_altro_interprete(
        IMPORTA_SETTINGS, {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}, **variabili
    )


def test_settings_without_secret_key_refuse_to_load_with_debug_off():
    risultato = importa_settings(DEBUG="0", ALLOWED_HOSTS="poa.example.it")
    assert risultato.returncode == 3, risultato.stderr
    assert "SECRET_KEY è obbligatoria quando DEBUG è disattivato" in risultato.stdout


def test_settings_without_allowed_hosts_refuse_to_load_with_debug_off():
    risultato = importa_settings(DEBUG="0", SECRET_KEY="una-chiave-di-prova-abbastanza-lunga")
    assert risultato.returncode == 3, risultato.stderr
    assert "ALLOWED_HOSTS è obbligatoria quando DEBUG è disattivato" in risultato.stdout


def test_settings_load_with_debug_off_when_secret_key_and_allowed_hosts_are_set():
    risultato = importa_settings(
        DEBUG="0",
        SECRET_KEY="una-chiave-di-prova-abbastanza-lunga",
        ALLOWED_HOSTS="poa.example.it",
        EMAIL_HOST="smtp.example.it",  # with DEBUG off an SMTP server is required too
    )
    assert risultato.returncode == 0, risultato.stdout + risultato.stderr
    assert "importate" in risultato.stdout


def test_settings_load_without_any_variable_in_development():
    risultato = importa_settings()
    assert risultato.returncode == 0, risultato.stdout + risultato.stderr


STAMPA_MOTORE_SESSIONI = (
    "import config.settings as s; print(s.SESSION_ENGINE if hasattr(s, 'SESSION_ENGINE') else 'db')"
)


def motore_sessioni(**variabili: str) -> str:
    risultato = in_un_altro_interprete(
        STAMPA_MOTORE_SESSIONI, {"CACHE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}, **variabili
    )
    assert risultato.returncode == 0, risultato.stdout + risultato.stderr
    return risultato.stdout.strip().splitlines()[-1]


def test_sessions_are_read_from_redis_only_when_redis_is_the_shared_cache():
    assert (
        motore_sessioni(CACHE_URL="redis://127.0.0.1:6379/3") == "django.contrib.sessions.backends.cached_db"
    )
    # With each process's own locmem cache a session ended in one worker would live on in another.
    assert motore_sessioni() == "db"
