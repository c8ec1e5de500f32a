"""What every API view shares: authentication, permissions, throttling, pagination, problem details."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from patrimonio.accesso import operatore_di, vede_la_regione

from ..autenticazione import AutenticazioneSessione, AutenticazioneToken
from ..limiti import LimitePerToken
from ..permessi import TokenInScrittura


class Paginazione(PageNumberPagination):
    page_size = 100
    page_query_param = "pagina"
    page_size_query_param = "per_pagina"
    max_page_size = 1000
    invalid_page_message = "Pagina non valida: le pagine vanno da 1 all'ultima."
    page_query_description = "Il numero della pagina, da 1."
    page_size_query_description = "Quanti elementi per pagina (al più 1.000; 100 se non indicato)."


class VistaApi(APIView):
    """An API view: session or token, authenticated, read-only tokens refused on writes, per-token limits."""

    authentication_classes = [AutenticazioneToken, AutenticazioneSessione]
    permission_classes = [IsAuthenticated, TokenInScrittura]
    throttle_classes = [LimitePerToken]


__all__ = ["Paginazione", "VistaApi", "ambiti_visibili", "intero", "vede_la_regione"]


def ambiti_visibili(user: Any) -> list[int] | None:
    """The ambiti ``user`` reads through the membership in use; None: every ambito."""
    if vede_la_regione(user):
        return None
    operatore = operatore_di(user)
    return [operatore.ambito_id] if operatore is not None and operatore.ambito_id else []


def intero(valore: str | None, nome: str) -> int | None:
    """A query parameter that must be a whole number (a malformed one is a 400)."""
    if valore in (None, ""):
        return None
    assert valore is not None
    if not valore.strip().isdigit() or len(valore) > 12:
        raise ValidationError({nome: [f"Il parametro «{nome}» deve essere un numero intero."]})
    return int(valore)
