"""Shared fixtures. The Cremonese 2025 plan is loaded once per test session from the project fixture.

Every test that uses the database runs in a transaction rolled back afterwards, so the loaded plan stays
as the fixture file says for the whole session. Tests that need it ask for ``piano_cremonese`` (golden
figures: sections, misure, PDF, exports); the others build a small ambito with ``tests/factories.py``
or ``tests/builders.py``. Live-server tests (``transaction=True``) empty the database when they end:
``tests/navigatore.py`` loads the plan again after their module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections
from pytest_django import DjangoDbBlocker

from config.celery import app as celery_app
from piano_annuale.calcolo.cache import svuota_cache
from piano_annuale.models import PianoAnnuale
from piano_annuale.services.carica import carica_piano

FIXTURE_CREMONESE = settings.BASE_DIR / "fixtures" / "cremonese_2025.json"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> None:  # noqa: PT004
    """Load the Cremonese 2025 data once, right after pytest-django has created the test database."""
    with django_db_blocker.unblock():
        carica_piano(percorso=FIXTURE_CREMONESE)


@pytest.fixture(autouse=True, scope="session")
def celery_eager() -> None:
    """Tasks run in the test process even where CI exports a broker: each test sees its own data."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True, scope="session")
def flush_con_trigger_sospesi() -> Iterator[None]:
    """Live-server and transactional tests empty the database when they end. On SQLite Django
    empties it with DELETE, which the immutability triggers refuse once a version is frozen or a plan
    approved (PostgreSQL empties it with TRUNCATE, which row triggers do not see): on SQLite the
    triggers are dropped for the flush and created again right after, as they were."""
    originale = flush.Command.handle

    def handle(self: flush.Command, *args: Any, **opzioni: Any) -> Any:
        connessione = connections[opzioni.get("database") or DEFAULT_DB_ALIAS]
        if connessione.vendor != "sqlite":
            return originale(self, *args, **opzioni)
        with connessione.cursor() as cursore:
            cursore.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%immutabile%'"
            )
            trigger = cursore.fetchall()
            for nome, _ in trigger:
                cursore.execute(f'DROP TRIGGER "{nome}"')
        try:
            return originale(self, *args, **opzioni)
        finally:
            with connessione.cursor() as cursore:
                for _, sql in trigger:
                    cursore.execute(sql)

    flush.Command.handle = handle  # type: ignore[method-assign]
    yield
    flush.Command.handle = originale  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def cache_vuota() -> None:
    """Each test starts with an empty cache: the computed plans of another test's data (same ids,
    same revision after its rollback) are never read, neither from the shared cache nor from this
    process's memory in front of it."""
    svuota_cache()


@pytest.fixture
def piano_cremonese(db: None) -> PianoAnnuale:
    """The plan the session loaded: read it, never load it again."""
    return PianoAnnuale.objects.select_related("ambito").get(ambito__nome__icontains="Cremonese", anno=2025)
