"""Tokens (revoked, expired, several ambiti), the computed plan (= the page's JSON = the frozen
version's), its ETag, the schema and its documentation pages."""

from __future__ import annotations

import datetime
import hashlib
import json

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.credenziali import crea_token, revoca_token
from api.models import TokenPersonale
from patrimonio.models import Operatore, Ruolo
from piano_annuale.models import Modifica, VersionePiano
from piano_annuale.services.iter import invia_ad_aler
from tests.builders import crea_ambito

from .conftest import client_token


def test_a_revoked_or_expired_or_unknown_token_gets_401(mondo):
    utente = mondo.utenti["comune"]
    token, segreto = crea_token(utente=utente, nome="Da revocare")
    assert client_token(segreto).get("/api/v1/piani/").status_code == 200
    revoca_token(utente=utente, token_id=token.pk)
    risposta = client_token(segreto).get("/api/v1/piani/")
    assert risposta.status_code == 401
    assert risposta.json()["detail"] == "Token non valido, scaduto o revocato."
    assert risposta["WWW-Authenticate"] == 'Bearer realm="api"'
    TokenPersonale.objects.filter(pk=token.pk).update(
        revocato_il=None, scadenza=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert client_token(segreto).get("/api/v1/piani/").status_code == 401
    assert client_token("poa_inventato").get("/api/v1/piani/").status_code == 401
    assert APIClient().get("/api/v1/piani/").status_code == 401


def test_tokens_are_stored_hashed_and_their_creation_and_revocation_are_in_the_history(mondo):
    utente = mondo.utenti["aler"]
    token, segreto = crea_token(utente=utente, nome="Gestionale ALER")
    assert token.impronta == hashlib.sha256(segreto.encode()).hexdigest()
    assert segreto not in json.dumps(list(TokenPersonale.objects.values()), default=str)
    revoca_token(utente=utente, token_id=token.pk)
    voci = Modifica.objects.filter(modello="api.tokenpersonale", oggetto_id=token.pk).order_by("pk")
    assert [v.azione for v in voci] == ["creazione", "modifica"]
    assert all(v.utente == utente for v in voci)
    assert all("impronta" not in (v.dopo or {}) for v in voci)


def test_the_profile_page_shows_the_secret_once_and_revokes(mondo):
    browser = Client()
    browser.force_login(mondo.utenti["comune"])
    risposta = browser.post(
        "/profilo/token/", {"nome": "Foglio di controllo", "sola_lettura": "on", "durata": "30"}
    )
    assert risposta.status_code == 200
    token = TokenPersonale.objects.get(nome="Foglio di controllo")
    testo = risposta.content.decode()
    assert "non sarà più mostrato" in testo
    assert token.sola_lettura and token.scadenza is not None
    di_nuovo = browser.get("/profilo/token/").content.decode()
    assert f"{token.prefisso}…" in di_nuovo and "non sarà più mostrato" not in di_nuovo
    assert browser.post(f"/profilo/token/{token.pk}/revoca/").status_code == 302
    token.refresh_from_db()
    assert token.revocato
    altrui = crea_token(utente=mondo.utenti["aler"], nome="Di ALER")[0]
    assert browser.post(f"/profilo/token/{altrui.pk}/revoca/").status_code == 404


def test_a_token_of_a_user_in_two_ambiti_names_the_ambito_in_use(mondo):
    utente = mondo.utenti["ufficio"]
    Operatore.objects.create(user=utente, ambito=mondo.altro_piano.ambito, ruolo=Ruolo.UFFICIO_DI_PIANO)
    client = client_token(mondo.token["ufficio"])
    senza = client.get("/api/v1/piani/")
    assert senza.status_code == 400
    assert "indicare quello in uso con ?ambito=<id>" in senza.json()["detail"]
    primo = client.get(f"/api/v1/piani/?ambito={mondo.piano.ambito_id}").json()["results"]
    assert [p["id"] for p in primo] == [mondo.piano.pk]
    secondo = client.get("/api/v1/piani/", HTTP_X_AMBITO=str(mondo.altro_piano.ambito_id)).json()["results"]
    assert [p["id"] for p in secondo] == [mondo.altro_piano.pk]
    # Working in the other ambito, the first one's ente data are out of reach.
    url = f"/api/v1/piani/{mondo.piano.pk}/enti/{mondo.comune.pk}/consistenza/?ambito={mondo.altro_piano.ambito_id}"
    assert client.get(url).status_code == 404
    estraneo = crea_ambito(nome="Ambito estraneo", comuni=1, prefisso_istat="099")
    assert client.get(f"/api/v1/piani/?ambito={estraneo.ambito_id}").status_code == 403


def test_the_computed_plan_is_the_pages_json_and_the_frozen_versions(mondo):
    client = client_token(mondo.token["ufficio"])
    url = f"/api/v1/piani/{mondo.piano.pk}/calcolo/"
    api = client.get(url)
    assert api.status_code == 200
    browser = Client()
    browser.force_login(mondo.utenti["ufficio"])
    pagina = browser.get(reverse("piano_annuale:piano_json", args=[mondo.piano.pk]))
    assert pagina.status_code == 200
    assert api.content == pagina.content
    versione = invia_ad_aler(piano=mondo.piano, utente=mondo.utenti["ufficio"])
    dopo = client.get(url)
    congelata = json.loads(versione.dati_json)
    congelata.pop("note_chiusura")
    assert json.loads(dopo.content) == congelata
    dati = client.get(f"/api/v1/piani/{mondo.piano.pk}/versioni/{versione.numero}/dati/")
    assert hashlib.sha256(dati.content).hexdigest() == versione.dati_sha256
    elenco = client.get(f"/api/v1/piani/{mondo.piano.pk}/versioni/").json()["results"]
    assert [(v["numero"], v["dati_sha256"]) for v in elenco] == [(versione.numero, versione.dati_sha256)]
    assert VersionePiano.objects.filter(piano=mondo.piano).count() == 1


def test_etag_gives_304_until_the_plan_changes(mondo):
    client = client_token(mondo.token["ufficio"])
    url = f"/api/v1/piani/{mondo.piano.pk}/calcolo/"
    prima = client.get(url)
    etag = prima["ETag"]
    non_cambiato = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert non_cambiato.status_code == 304 and non_cambiato.content == b""
    assert client.get(url + "g/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    sezione = client.get(url + "g/")
    assert json.loads(sezione.content) == json.loads(prima.content)["g"]
    comune = client_token(mondo.token["comune"])
    base = f"/api/v1/piani/{mondo.piano.pk}/enti/{mondo.comune.pk}/"
    assert (
        comune.put(base + "consistenza/", {"sap": 50, "sas": 0, "fonte": "x"}, format="json").status_code
        == 200
    )
    cambiato = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert cambiato.status_code == 200 and cambiato["ETag"] != etag
    assert client.get(url + "inesistente/").status_code == 404


def test_the_schema_and_its_pages_are_served_from_our_own_files(mondo):
    browser = Client()
    browser.force_login(mondo.utenti["comune"])
    schema = browser.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    documento = json.loads(schema.content)
    assert documento["info"]["title"] == "API del Piano Annuale dell'Offerta abitativa (POA)"
    assert "/api/v1/piani/{piano}/enti/{ente}/unita/" in documento["paths"]
    for pagina in ("/api/v1/documentazione/", "/api/v1/redoc/"):
        testo = browser.get(pagina).content.decode()
        assert "cdn" not in testo.lower() and "googleapis" not in testo
        assert "/static/drf_spectacular_sidecar/" in testo
    script = browser.get("/api/v1/documentazione/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
