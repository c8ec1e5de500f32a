"""Errors as RFC 9457 problem details (``application/problem+json``): an Italian ``title`` and
``detail``, the HTTP ``status``, and for invalid data the ``errors`` at fault, each with its field
and, for a list, its row (``riga``, from 1)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as PermessoNegatoDjango
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from patrimonio.importazione import DatiCambiati
from piano_annuale.controlli.vincoli import messaggio_vincolo
from piano_annuale.services.errori import ModificaNonConsentita, OperazioneNonValida
from piano_annuale.services.versioni import ModificaConcorrente

TIPO_PROBLEMA = "application/problem+json"

TITOLI = {
    400: "Richiesta non valida",
    401: "Autenticazione richiesta",
    403: "Operazione non consentita",
    404: "Risorsa non trovata",
    405: "Metodo non consentito",
    406: "Formato della risposta non disponibile",
    409: "Conflitto con i dati attuali",
    412: "I dati sono cambiati",
    413: "Richiesta troppo grande",
    415: "Formato dei dati non supportato",
    422: "Dati non validi",
    429: "Troppe richieste",
    500: "Errore interno",
}


class DatiNonValidi(exceptions.APIException):
    """Invalid data, with the errors at fault already as problem entries."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "I dati inviati non sono validi: nulla è stato registrato."

    def __init__(self, errori: list[dict[str, Any]], detail: str | None = None) -> None:
        super().__init__(detail or self.default_detail)
        self.errori = errori


def problema(
    stato: int, detail: str, *, errori: list[dict[str, Any]] | None = None, **altro: Any
) -> Response:
    dati: dict[str, Any] = {
        "type": "about:blank",
        "title": TITOLI.get(stato, "Errore"),
        "status": stato,
        "detail": detail,
    }
    if errori:
        dati["errors"] = errori
    dati.update(altro)
    return Response(dati, status=stato, content_type=TIPO_PROBLEMA)


def _appiattisci(dettaglio: Any, campo: str = "", riga: int | None = None) -> list[dict[str, Any]]:
    """DRF's nested validation errors as a flat list: field (dotted path), row (from 1), message."""
    if isinstance(dettaglio, dict):
        voci = []
        for chiave, valore in dettaglio.items():
            if riga is None and str(chiave).isdigit():  # a list's row, as DRF keys it (from 0)
                voci.extend(_appiattisci(valore, campo, int(chiave) + 1))
                continue
            nome = str(chiave) if chiave != "non_field_errors" else ""
            voci.extend(_appiattisci(valore, f"{campo}.{nome}" if campo and nome else (nome or campo), riga))
        return voci
    if isinstance(dettaglio, list):
        if dettaglio and all(isinstance(v, dict | list) for v in dettaglio):
            voci = []
            for indice, valore in enumerate(dettaglio):
                if valore:
                    voci.extend(_appiattisci(valore, campo, indice + 1 if riga is None else riga))
            return voci
        return [voce for valore in dettaglio for voce in _appiattisci(valore, campo, riga)]
    voce: dict[str, Any] = {"campo": campo, "messaggio": str(dettaglio)}
    if riga is not None:
        voce["riga"] = riga
    return [voce]


def gestore_errori(eccezione: Exception, contesto: dict[str, Any]) -> Response | None:
    """DRF's exception handler, answering every refusal as a problem detail in Italian."""
    if isinstance(eccezione, DatiNonValidi):
        return problema(eccezione.status_code, str(eccezione.detail), errori=eccezione.errori)
    if isinstance(eccezione, ModificaNonConsentita):
        return problema(403, str(eccezione) or TITOLI[403])
    if isinstance(eccezione, ModificaConcorrente):
        return problema(409, str(eccezione), versione=eccezione.versione)
    if isinstance(eccezione, DatiCambiati):
        return problema(409, str(eccezione))
    if isinstance(eccezione, OperazioneNonValida):
        return problema(422, str(eccezione))
    if isinstance(eccezione, RequestDataTooBig):
        return problema(413, "Il corpo della richiesta è troppo grande.")
    if isinstance(eccezione, IntegrityError):
        return problema(409, messaggio_vincolo(eccezione))
    if isinstance(eccezione, exceptions.ValidationError):
        errori = _appiattisci(eccezione.detail)
        return problema(400, "I dati inviati non sono validi: nulla è stato registrato.", errori=errori)
    if isinstance(eccezione, Http404):
        return problema(404, "La risorsa richiesta non esiste o non è accessibile con queste credenziali.")
    if isinstance(eccezione, PermessoNegatoDjango):
        return problema(403, str(eccezione) or "Operazione non consentita con queste credenziali.")
    risposta = exception_handler(eccezione, contesto)
    if risposta is None:
        return None  # a server error: Django's 500 page, logged
    dettaglio = risposta.data.get("detail", "") if isinstance(risposta.data, dict) else ""
    if isinstance(eccezione, exceptions.NotAuthenticated):
        dettaglio = "Autenticarsi con la sessione del browser o con un token (Authorization: Bearer <token>)."
    elif isinstance(eccezione, exceptions.Throttled):
        attesa = getattr(eccezione, "wait", None)
        dettaglio = "Troppe richieste con queste credenziali" + (
            f": riprovare tra {int(attesa) + 1} secondi." if attesa is not None else "."
        )
    elif isinstance(eccezione, exceptions.MethodNotAllowed):
        dettaglio = f"Il metodo {contesto['request'].method} non è consentito su questa risorsa."
    nuova = problema(risposta.status_code, str(dettaglio) or TITOLI.get(risposta.status_code, "Errore"))
    for nome, valore in risposta.items():  # WWW-Authenticate, Retry-After, Allow
        if nome.lower() != "content-type":
            nuova[nome] = valore
    return nuova
