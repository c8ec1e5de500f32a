"""Schemathesis against the API's own OpenAPI schema, in process (WSGI, no network), bounded in
examples per operation: no server error and every response as the schema says (status, content
type, body)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from patrimonio.models import UnitaAbitativa

from .conftest import Mondo

_documento = SchemaGenerator().get_schema(request=None, public=True)
# Examples and random cases, valid and invalid, 5 per operation; no coverage or stateful phase (the
# whole run takes a few minutes on a laptop), deterministic so that CI sees the same cases.
CONFIGURAZIONE = schemathesis.Config.from_dict(
    {
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"mode": "all", "max-examples": 5, "deterministic": True, "database": "none"},
    }
)
schema = schemathesis.openapi.from_dict(_documento, config=CONFIGURAZIONE)
schema.app = get_wsgi_application()

CONTROLLI = [status_code_conformance, content_type_conformance, response_schema_conformance]


def _parametri_reali(case: schemathesis.Case, mondo: Mondo) -> None:
    """Most generated ids name nothing (a 404 is right, and checked); half the cases name real objects."""
    parametri = case.path_parameters or {}
    if hash(repr(sorted(parametri.items()))) % 2:
        return
    unita = UnitaAbitativa.objects.filter(ente=mondo.comune).first()
    reali = {
        "piano": mondo.piano.pk,
        "ente": mondo.comune.pk,
        "id": unita.pk if unita else 1,
        "numero": 1,
        "sezione": "g",
    }
    for nome in parametri:
        if nome in reali:
            parametri[nome] = reali[nome]


@pytest.fixture
def connessione_del_test() -> Iterator[None]:
    """The WSGI handler closes the database connection at the end of each request (``request_finished``),
    which on PostgreSQL would close the test's own transaction: as Django's test client does, the
    handler leaves it open for the test."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("connessione_del_test")
@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_answers_as_its_schema_says(case: schemathesis.Case, mondo: Mondo) -> None:
    _parametri_reali(case, mondo)
    risposta = case.call(headers={"Authorization": f"Bearer {mondo.token['comune']}"})
    assert risposta.status_code < 500, (case.method, case.formatted_path, risposta.text[:500])
    case.validate_response(risposta, checks=CONTROLLI)
