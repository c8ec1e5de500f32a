"""Every endpoint and method of an ente's data, for each role by session and by token, against another
ente's and another ambito's objects: refused (403/404) and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from api.credenziali import crea_token
from patrimonio.models import EnteProprietario, Operatore, Ruolo, UnitaAbitativa
from piano_annuale.models import PianoAnnuale
from tests.utenti import fotografia

from .conftest import Mondo, client_sessione, client_token

UNITA_NUOVA = {"comune": None, "id_regionale": "APINUOVA1", "stato_nel_piano": {"stato": "libera"}}


def _chiamate(piano: PianoAnnuale, ente: EnteProprietario) -> list[tuple[str, str, Any]]:
    base = f"/api/v1/piani/{piano.pk}/enti/{ente.pk}/"
    unita = UnitaAbitativa.objects.filter(ente=ente).first()
    assert unita is not None
    comune = unita.comune_id
    corpo_unita = {**UNITA_NUOVA, "comune": comune}
    return [
        ("get", base + "unita/", None),
        ("post", base + "unita/", corpo_unita),
        (
            "put",
            base + "unita/",
            {"unita": [{"id_regionale": "APINUOVA2", "codice_istat": "", "comune": "x"}]},
        ),
        ("put", base + "unita/?dry_run=1", {"unita": []}),
        ("get", base + f"unita/{unita.pk}/", None),
        ("put", base + f"unita/{unita.pk}/", corpo_unita),
        ("patch", base + f"unita/{unita.pk}/", {"indirizzo": "Via Cambiata 1"}),
        ("delete", base + f"unita/{unita.pk}/", None),
        ("get", base + "turnover/", None),
        ("put", base + "turnover/", [{"comune": comune, "numero": 7}]),
        ("get", base + "sat/", None),
        ("put", base + "sat/", [{"comune": comune, "numero": 2}]),
        ("get", base + "consistenza/", None),
        ("put", base + "consistenza/", {"sap": 99, "sas": 1, "fonte": "API"}),
        ("get", base + "scelte/", None),
        ("put", base + "scelte/", {"quota_forze_polizia": 3}),
        ("get", base + "assegnazioni/", None),
        ("put", base + "assegnazioni/", {"totale": 9, "mobilita": 0, "in_deroga": 0}),
    ]


def _client(mondo: Mondo, ruolo: str, via: str) -> APIClient:
    return client_token(mondo.token[ruolo]) if via == "token" else client_sessione(mondo.utenti[ruolo])


# (role, target): every pair that must be refused. The ufficio di piano reaches every ente of its own
# ambito, so it is tested against the other ambito only; comune and ALER against both.
CASI = [
    ("comune", "altro_comune"),
    ("comune", "aler"),
    ("comune", "ente_altrove"),
    ("aler", "altro_comune"),
    ("aler", "ente_altrove"),
    ("ufficio", "ente_altrove"),
    ("assemblea", "comune"),
    ("assemblea", "ente_altrove"),
]


@pytest.mark.parametrize("via", ["sessione", "token"])
@pytest.mark.parametrize(("ruolo", "bersaglio"), CASI)
def test_another_entes_and_another_ambitos_data_are_refused_and_unchanged(mondo, ruolo, bersaglio, via):
    ente = getattr(mondo, bersaglio)
    piano = mondo.altro_piano if ente.ambito_id == mondo.altro_piano.ambito_id else mondo.piano
    client = _client(mondo, ruolo, via)
    prima = fotografia()
    for metodo, url, corpo in _chiamate(piano, ente):
        risposta = getattr(client, metodo)(url, corpo, format="json")
        assert risposta.status_code in (403, 404), (metodo, url, risposta.status_code, risposta.content[:300])
        assert risposta["Content-Type"] == "application/problem+json", (metodo, url)
        assert risposta.json()["detail"]
    assert fotografia() == prima


@pytest.mark.parametrize("via", ["sessione", "token"])
@pytest.mark.parametrize("ruolo", ["comune", "aler", "ufficio", "assemblea"])
def test_another_ambitos_plan_is_not_found(mondo, ruolo, via):
    client = _client(mondo, ruolo, via)
    altro = mondo.altro_piano.pk
    for url in (
        f"/api/v1/piani/{altro}/",
        f"/api/v1/piani/{altro}/calcolo/",
        f"/api/v1/piani/{altro}/calcolo/g/",
        f"/api/v1/piani/{altro}/versioni/",
        f"/api/v1/ambiti/{mondo.altro_piano.ambito_id}/",
    ):
        risposta = client.get(url)
        assert risposta.status_code == 404, (url, risposta.status_code)
    ambiti = client.get("/api/v1/ambiti/").json()["results"]
    assert [a["id"] for a in ambiti] == [mondo.piano.ambito_id]
    comuni = client.get("/api/v1/comuni/").json()["results"]
    assert {c["ambito"] for c in comuni} == {mondo.piano.ambito_id}


@pytest.mark.parametrize("ruolo", ["comune", "aler", "ufficio", "assemblea"])
def test_the_regional_overview_is_for_the_observer_and_the_administrator_only(mondo, ruolo):
    risposta = client_token(mondo.token[ruolo]).get("/api/v1/panoramica/")
    assert risposta.status_code == 403
    assert risposta.json()["detail"] == "La panoramica regionale è riservata all'osservatore regionale."
    ammesso = client_token(mondo.token["admin"]).get("/api/v1/panoramica/")
    assert ammesso.status_code == 200
    assert {r["ambito"] for r in ammesso.json()} >= {"Ambito API", "Ambito API altro"}


@pytest.mark.parametrize("ruolo", RUOLI_SCRIVENTI := ["comune", "aler", "ufficio"])
def test_a_read_only_token_is_refused_every_write(mondo, ruolo):
    ente = mondo.aler if ruolo == "aler" else mondo.comune
    client = client_token(mondo.token_lettura[ruolo])
    prima = fotografia()
    for metodo, url, corpo in _chiamate(mondo.piano, ente):
        risposta = getattr(client, metodo)(url, corpo, format="json")
        if metodo == "get":
            assert risposta.status_code == 200, (url, risposta.content[:200])
        else:
            assert risposta.status_code == 403, (metodo, url, risposta.status_code)
            assert (
                risposta.json()["detail"] == "Questo token è in sola lettura: non può modificare alcun dato."
            )
    assert fotografia() == prima


def test_the_regional_observer_reads_every_ambito_and_writes_nothing(mondo):
    osservatore = get_user_model().objects.create_user("api.osservatore")
    Operatore.objects.create(user=osservatore, ruolo=Ruolo.OSSERVATORE_REGIONALE)
    segreto = crea_token(utente=osservatore, nome="Regione")[1]
    client = client_token(segreto)
    piani = {p["id"] for p in client.get("/api/v1/piani/").json()["results"]}
    assert {mondo.piano.pk, mondo.altro_piano.pk} <= piani
    assert client.get(f"/api/v1/piani/{mondo.altro_piano.pk}/calcolo/").status_code == 200
    panoramica = client.get("/api/v1/panoramica/")
    assert panoramica.status_code == 200
    assert {r["ambito"] for r in panoramica.json()} >= {"Ambito API", "Ambito API altro"}
    prima = fotografia()
    for metodo, url, corpo in _chiamate(mondo.piano, mondo.comune):
        if metodo != "get":
            risposta = getattr(client, metodo)(url, corpo, format="json")
            assert risposta.status_code in (403, 404), (metodo, url, risposta.status_code)
    assert fotografia() == prima
