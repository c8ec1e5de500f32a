"""The bulk list's JSON parser: the body read from the stream up to its own limit.

DRF's ``JSONParser`` reads ``request.body``, bounded by ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB), the
right limit for every other request; ALER's full list of 20,000 units is about 4 MB of JSON, so the
bulk endpoint alone reads up to ``POA_API_ELENCO_DIMENSIONE_MASSIMA`` bytes (64 MB by default, enough
for the upload's 200,000 rows) and answers 413 beyond it, before parsing anything.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser

DIMENSIONE_MASSIMA = 64 * 1024 * 1024


class TroppoGrande(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "L'elenco è troppo grande: dividerlo o usare il caricamento del foglio di calcolo."


def dimensione_massima() -> int:
    return int(getattr(settings, "POA_API_ELENCO_DIMENSIONE_MASSIMA", DIMENSIONE_MASSIMA))


class ParserElenco(BaseParser):
    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        massimo = dimensione_massima()
        contenuto = stream.read(massimo + 1) if stream is not None else b""
        if len(contenuto) > massimo:
            raise TroppoGrande(
                f"L'elenco supera {massimo // (1024 * 1024)} MB: dividerlo o usare il caricamento del foglio di calcolo."
            )
        try:
            return json.loads(contenuto.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as errore:
            raise ParseError(f"Il corpo non è JSON valido (UTF-8): {errore}.") from None
