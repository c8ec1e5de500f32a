"""Sessions read from the shared cache (``cached_db``, with Redis in production): one query fewer a
page, and a session ended at logout is gone from the cache as well as from the database."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.utenti import hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)


@pytest.fixture
def sessioni_in_cache(settings) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


def test_a_page_reads_the_session_from_the_cache_not_the_database(db, settings, django_assert_num_queries):
    utente = get_user_model().objects.create_user("sessione.cache", password="Prova-sessione-1")
    url = reverse("api:token")
    # The user, their tokens, their memberships (read once: the header lists them and they say whether
    # the user is the regional observer): and, with sessions in the database only, the session's row.
    for motore, query in (
        ("django.contrib.sessions.backends.db", 4),
        ("django.contrib.sessions.backends.cached_db", 3),
    ):
        settings.SESSION_ENGINE = motore
        client = Client()
        client.force_login(utente)
        assert client.get(url).status_code == 200
        with django_assert_num_queries(query):
            assert client.get(url).status_code == 200


def test_a_session_ended_at_logout_cannot_be_used_again(db, sessioni_in_cache):
    utente = get_user_model().objects.create_user("sessione.uscita", password="Prova-sessione-1")
    client = Client()
    client.force_login(utente)
    vecchio = client.cookies["sessionid"].value
    assert client.post(reverse("logout")).status_code == 302
    altro = Client()
    altro.cookies["sessionid"] = vecchio
    risposta = altro.get(reverse("api:token"))
    assert risposta.status_code == 302 and reverse("login") in risposta["Location"]
