"""Shared fixtures. The Cremonese 2025 plan is loaded once per test database from the project fixture."""

from __future__ import annotations

import pytest
from django.conf import settings

from piano_annuale.models import PianoAnnuale

FIXTURE_CREMONESE = settings.BASE_DIR / "fixtures" / "cremonese_2025.json"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # noqa: PT004
    """Load the Cremonese 2025 data once; each test runs in a transaction rolled back afterwards."""
    from piano_annuale.services.carica import carica_piano

    with django_db_blocker.unblock():
        carica_piano(percorso=FIXTURE_CREMONESE)


@pytest.fixture(autouse=True, scope="session")
def celery_eager():
    """Tasks run in the test process even where CI exports a broker: each test sees its own data."""
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture
def piano_cremonese(db) -> PianoAnnuale:
    return PianoAnnuale.objects.select_related("ambito").get(ambito__nome__icontains="Cremonese", anno=2025)
