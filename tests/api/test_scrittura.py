"""An ente's own writes through the API: the workspace's rules and messages, the history carries the
token's operator; the bulk list behaves as uploading the full workbook."""

from __future__ import annotations

import csv
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext

from patrimonio.importazione import analizza, anteprima
from patrimonio.models import UnitaAbitativa
from piano_annuale.models import ConsistenzaDichiarata, Modifica, StatoUnita, TurnoverPrevisto
from tests.utenti import fotografia

from .conftest import client_token


def _base(mondo, ente=None) -> str:
    return f"/api/v1/piani/{mondo.piano.pk}/enti/{(ente or mondo.comune).pk}/"


def test_a_comune_token_declares_its_consistenza_with_history_under_its_operator(mondo):
    client = client_token(mondo.token["comune"])
    risposta = client.put(
        _base(mondo) + "consistenza/", {"sap": 31, "sas": 4, "fonte": "gestionale"}, format="json"
    )
    assert risposta.status_code == 200, risposta.content
    assert risposta.json() == {"sap": 31, "sas": 4, "fonte": "gestionale"}
    riga = ConsistenzaDichiarata.objects.get(piano=mondo.piano, ente=mondo.comune, comune__isnull=True)
    assert (riga.sap, riga.sas) == (31, 4)
    voce = Modifica.objects.filter(modello="piano_annuale.consistenzadichiarata", oggetto_id=riga.pk).latest(
        "pk"
    )
    assert voce.utente == mondo.utenti["comune"]
    assert voce.dopo is not None and voce.dopo["sap"] == 31


def test_the_forms_rules_and_italian_messages_refuse_bad_data_and_write_nothing(mondo):
    client = client_token(mondo.token["comune"])
    prima = fotografia()
    risposta = client.put(_base(mondo) + "consistenza/", {"sap": 3}, format="json")
    assert risposta.status_code == 422
    assert risposta["Content-Type"] == "application/problem+json"
    corpo = risposta.json()
    assert corpo["title"] == "Dati non validi"
    assert corpo["errors"] == [
        {"campo": "sas", "messaggio": "Indicare sia gli alloggi SAP sia gli alloggi SAS, o nessuno dei due."}
    ]
    risposta = client.put(
        _base(mondo) + "assegnazioni/", {"totale": 2, "mobilita": 5, "in_deroga": 0}, format="json"
    )
    assert risposta.status_code == 422
    assert risposta.json()["errors"][0]["campo"] == "mobilita"
    risposta = client.put(
        _base(mondo) + "turnover/", [{"comune": mondo.comune.comune_id, "numero": 0}], format="json"
    )
    assert risposta.status_code == 400
    assert risposta.json()["errors"] == [
        {
            "campo": "numero",
            "riga": 1,
            "messaggio": "Indicare almeno 1; per togliere il comune non indicarlo.",
        }
    ]
    assert fotografia() == prima


def test_units_created_changed_and_removed_one_by_one(mondo):
    client = client_token(mondo.token["comune"])
    comune_id = mondo.comune.comune_id
    risposta = client.post(
        _base(mondo) + "unita/",
        {"comune": comune_id, "id_regionale": "API0001", "stato_nel_piano": {"stato": "libera"}},
        format="json",
    )
    assert risposta.status_code == 201, risposta.content
    creata = risposta.json()
    assert creata["stato_nel_piano"]["stato"] == "libera"
    url = _base(mondo) + f"unita/{creata['id']}/"
    risposta = client.patch(
        url, {"stato_nel_piano": {"stato": "libera", "programma": "LOTTO 1"}}, format="json"
    )
    assert risposta.status_code == 422
    assert risposta.json()["errors"] == [
        {
            "campo": "programma",
            "messaggio": "Il programma o lotto si indica solo per le unità in ristrutturazione: "
            "un'unità è contata in una sola sezione del piano.",
        }
    ]
    risposta = client.patch(url, {"indirizzo": "Via Roma 1"}, format="json")
    assert risposta.status_code == 200
    assert risposta.json()["indirizzo"] == "Via Roma 1"
    assert risposta.json()["stato_nel_piano"]["stato"] == "libera"
    assert client.delete(url).status_code == 204
    assert not UnitaAbitativa.objects.filter(pk=creata["id"]).exists()
    voci = Modifica.objects.filter(unita_id=creata["id"]).values_list("utente__username", flat=True)
    assert set(voci) == {"api.comune"}


def _righe_elenco(mondo) -> list[dict]:
    """The comune's current units as the bulk list's rows, one changed, one added, one left out."""
    righe = []
    for u in UnitaAbitativa.objects.filter(ente=mondo.comune).order_by("pk"):
        stato = StatoUnita.objects.filter(piano=mondo.piano, unita=u).first()
        righe.append(
            {
                "id_regionale": u.id_regionale,
                "codice_istat": u.comune.codice_istat,
                "tipo": u.tipo,
                "stato": stato.stato if stato else "",
                "programma": stato.programma if stato else "",
            }
        )
    righe[0]["stato"] = "nuova"  # changed
    righe.pop()  # removed
    righe.append(
        {"id_regionale": "APIBULK1", "codice_istat": mondo.comune.comune.codice_istat, "stato": "libera"}
    )
    return righe


def _csv(righe: list[dict]) -> bytes:
    colonne = ["ID regionale", "Codice ISTAT", "Servizio", "Stato nell'anno", "Programma / lotto"]
    chiavi = ["id_regionale", "codice_istat", "tipo", "stato", "programma"]
    testo = io.StringIO()
    scrittore = csv.writer(testo, delimiter=";")
    scrittore.writerow(colonne)
    for r in righe:
        scrittore.writerow([r.get(k, "") or "" for k in chiavi])
    return testo.getvalue().encode()


def _senza_formato(dati: dict) -> dict:
    dati = {k: v for k, v in dati.items() if k not in ("formato", "impronta")}
    for elenco in ("aggiunte", "modificate"):
        dati[elenco] = [{k: v for k, v in voce.items() if k != "foglio"} for voce in dati[elenco]]
    return dati


def test_bulk_dry_run_is_the_spreadsheets_preview_for_the_same_data(mondo):
    righe = _righe_elenco(mondo)
    prima = fotografia()
    risposta = client_token(mondo.token["comune"]).put(
        _base(mondo) + "unita/?dry_run=1", {"unita": righe}, format="json"
    )
    assert risposta.status_code == 200, risposta.content
    assert fotografia() == prima
    api = risposta.json()["anteprima"]
    foglio = anteprima(
        analizza(contenuto=_csv(righe), nome_file="unita.csv", piano=mondo.piano, ente=mondo.comune)
    )
    assert _senza_formato(api) == _senza_formato(foglio)
    assert api["conteggi"] | {} == foglio["conteggi"]
    assert (api["conteggi"]["aggiunte"], api["conteggi"]["modificate"], api["conteggi"]["rimosse"]) == (
        1,
        1,
        1,
    )


def test_bulk_commit_in_one_transaction_idempotent_with_the_tokens_operator_in_history(mondo):
    client = client_token(mondo.token["comune"])
    righe = _righe_elenco(mondo)
    with CaptureQueriesContext(connection) as query:
        risposta = client.put(_base(mondo) + "unita/", {"unita": righe}, format="json")
    assert risposta.status_code == 200, risposta.content
    esito = risposta.json()
    assert (esito["aggiunte"], esito["modificate"], esito["rimosse"]) == (1, 1, 1)
    scritture = [
        q["sql"] for q in query.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")
    ]
    assert scritture, "the write was made"
    inizi = [
        q["sql"] for q in query.captured_queries if "SAVEPOINT" in q["sql"] and "RELEASE" not in q["sql"]
    ]
    assert len(inizi) >= 1  # inside the request's transaction(s): registra's atomic block
    voci = Modifica.objects.filter(origine__startswith="importazione (API v1, token «Token comune»")
    assert voci.count() >= 3
    assert set(voci.values_list("utente__username", flat=True)) == {"api.comune"}
    assert UnitaAbitativa.objects.filter(id_regionale="APIBULK1", ente=mondo.comune).exists()
    # The same list again changes nothing.
    prima = fotografia()
    di_nuovo = client.put(_base(mondo) + "unita/", {"unita": righe}, format="json").json()
    assert (di_nuovo["aggiunte"], di_nuovo["modificate"], di_nuovo["rimosse"]) == (0, 0, 0)
    assert di_nuovo["invariate"] == len(righe)
    # registra_modifica records the time of the write; nothing else moves.
    dopo = fotografia()
    assert {k: v for k, v in dopo.items() if k != "RispostaRicognizione"} == {
        k: v for k, v in prima.items() if k != "RispostaRicognizione"
    }


def test_a_bad_row_writes_nothing_and_names_the_row_and_field(mondo):
    righe = _righe_elenco(mondo)
    righe.insert(1, {"id_regionale": "APIBAD 1", "comune": "Atlantide", "stato": "libera"})
    prima = fotografia()
    risposta = client_token(mondo.token["comune"]).put(
        _base(mondo) + "unita/",
        {"unita": righe, "turnover": [{"codice_istat": "097001", "numero": -1}]},
        format="json",
    )
    assert risposta.status_code == 422
    corpo = risposta.json()
    assert corpo["detail"] == "L'elenco contiene 3 errori: nulla è stato registrato."
    errori = {(e["elenco"], e.get("riga"), e["campo"]) for e in corpo["errors"]}
    assert errori == {("unita", 2, "id_regionale"), ("unita", 2, "comune"), ("turnover", 1, "numero")}
    messaggi = {e["campo"]: e["messaggio"] for e in corpo["errors"]}
    assert messaggi["numero"] == "Il numero di alloggi non può essere negativo."
    assert fotografia() == prima
    assert not TurnoverPrevisto.objects.filter(numero__lt=0).exists()


def test_the_full_list_has_its_own_size_limit_not_djangos(mondo, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200  # far below the list: the bulk endpoint reads its own way
    client = client_token(mondo.token["comune"])
    righe = _righe_elenco(mondo)
    risposta = client.put(_base(mondo) + "unita/?dry_run=1", {"unita": righe}, format="json")
    assert risposta.status_code == 200, risposta.content
    settings.POA_API_ELENCO_DIMENSIONE_MASSIMA = 100
    troppo = client.put(_base(mondo) + "unita/?dry_run=1", {"unita": righe}, format="json")
    assert troppo.status_code == 413
    assert troppo.json()["title"] == "Richiesta troppo grande"
    # Any other write keeps Django's limit.
    altro = client.put(_base(mondo) + "consistenza/", {"sap": 1, "sas": 1, "fonte": "x" * 300}, format="json")
    assert altro.status_code == 413
    assert altro.json()["detail"] == "Il corpo della richiesta è troppo grande."


def test_the_etag_of_an_entes_data_guards_against_a_stale_write(mondo):
    comune = client_token(mondo.token["comune"])
    ufficio = client_token(mondo.token["ufficio"])
    url = _base(mondo) + "consistenza/"
    letta = comune.get(url)
    versione = letta["ETag"]
    assert ufficio.put(url, {"sap": 12, "sas": 1, "fonte": "ufficio"}, format="json").status_code == 200
    prima = fotografia()
    tardiva = comune.put(
        url, {"sap": 99, "sas": 9, "fonte": "vecchia"}, format="json", HTTP_IF_MATCH=versione
    )
    assert tardiva.status_code == 409
    corpo = tardiva.json()
    assert "api.ufficio" in corpo["detail"] and corpo["versione"]
    assert fotografia() == prima
    nuova = comune.get(url)["ETag"]
    assert (
        comune.put(
            url, {"sap": 99, "sas": 9, "fonte": "nuova"}, format="json", HTTP_IF_MATCH=nuova
        ).status_code
        == 200
    )
