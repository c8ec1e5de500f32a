"""The OpenAPI schema's shared parts: the two ways to authenticate, and the problem details every
operation may answer with (RFC 9457, ``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .errori import TIPO_PROBLEMA, TITOLI


class SchemaToken(OpenApiAuthenticationExtension):
    target_class = "api.autenticazione.AutenticazioneToken"
    name = "tokenPersonale"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Un token personale creato nella pagina «I miei token di accesso» del profilo.",
        }


class SchemaSessione(SessionScheme):
    target_class = "api.autenticazione.AutenticazioneSessione"


PROBLEMA = {
    "type": "object",
    "description": "Un errore come «problem details» (RFC 9457), in italiano.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string", "description": "Il tipo di errore."},
        "status": {"type": "integer", "description": "Il codice HTTP."},
        "detail": {"type": "string", "description": "Che cosa è successo e che cosa fare."},
        "errors": {
            "type": "array",
            "description": "I dati in errore: l'elenco, la riga (da 1), il campo, il valore e il messaggio.",
            "items": {
                "type": "object",
                "properties": {
                    "elenco": {"type": "string"},
                    "riga": {"type": "integer"},
                    "campo": {"type": "string"},
                    "valore": {"type": "string"},
                    "messaggio": {"type": "string"},
                },
                "required": ["campo", "messaggio"],
            },
        },
        "versione": {"type": "string", "description": "Con 409: la versione attuale dei dati."},
    },
    "required": ["title", "status", "detail"],
}

LETTURA = ("400", "401", "403", "404", "406", "429")
SCRITTURA = (*LETTURA, "409", "413", "415", "422")


def errori_nello_schema(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular's post-processing hook: every operation documents its problem responses."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problema"] = PROBLEMA
    riferimento = {"$ref": "#/components/schemas/Problema"}
    for operazioni in result.get("paths", {}).values():
        for metodo, operazione in operazioni.items():
            if not isinstance(operazione, dict) or "responses" not in operazione:
                continue
            codici = LETTURA if metodo in ("get", "head", "options") else SCRITTURA
            for codice in codici:
                operazione["responses"].setdefault(
                    codice,
                    {"description": TITOLI[int(codice)], "content": {TIPO_PROBLEMA: {"schema": riferimento}}},
                )
    return result
