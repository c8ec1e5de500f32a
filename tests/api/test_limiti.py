"""Throttling per token, CSRF on session writes, and the bulk write's single transaction."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.credenziali import crea_token
from patrimonio.importazione import scrittura
from tests.utenti import fotografia

from .conftest import client_token
from .test_scrittura import _base, _righe_elenco


def test_each_token_has_its_own_budget(mondo, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min", "utente": "3/min"},
    }
    primo = client_token(mondo.token["comune"])
    for _ in range(3):
        assert primo.get("/api/v1/piani/").status_code == 200
    fermato = primo.get("/api/v1/piani/")
    assert fermato.status_code == 429
    assert fermato["Content-Type"] == "application/problem+json"
    assert fermato.json()["detail"].startswith("Troppe richieste con queste credenziali: riprovare tra ")
    assert "Retry-After" in fermato
    # Another token of the same user has a budget of its own.
    secondo = client_token(crea_token(utente=mondo.utenti["comune"], nome="Secondo")[1])
    assert secondo.get("/api/v1/piani/").status_code == 200


def test_a_session_write_needs_the_csrf_token(mondo):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(mondo.utenti["comune"])
    assert client.get(_base(mondo) + "consistenza/").status_code == 200
    prima = fotografia()
    risposta = client.put(_base(mondo) + "consistenza/", {"sap": 1, "sas": 1, "fonte": ""}, format="json")
    assert risposta.status_code == 403
    assert "CSRF" in risposta.json()["detail"]
    assert fotografia() == prima


def test_a_failure_in_the_middle_of_the_bulk_write_leaves_nothing_written(mondo, monkeypatch):
    def guasto(*args, **kwargs):
        raise RuntimeError("guasto simulato dopo la scrittura delle unità")

    # The history is inserted after the units and states: failing there proves they are rolled back.
    monkeypatch.setattr(scrittura, "inserisci_voci", guasto)
    client = client_token(mondo.token["comune"])
    client.raise_request_exception = False
    prima = fotografia()
    risposta = client.put(_base(mondo) + "unita/", {"unita": _righe_elenco(mondo)}, format="json")
    assert risposta.status_code == 500
    assert fotografia() == prima


@pytest.mark.parametrize("intestazione", ["Bearer", "Bearer a b", "Token poa_x"])
def test_a_malformed_authorization_header_is_refused(mondo, intestazione):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=intestazione)
    risposta = client.get("/api/v1/piani/")
    assert risposta.status_code == 401
