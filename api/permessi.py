"""Permissions of the API beyond the access policy: a read-only token writes nothing."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from .models import TokenPersonale


class TokenInScrittura(BasePermission):
    """Writes refused (403) to a read-only token; the access policy still decides the rest."""

    message = "Questo token è in sola lettura: non può modificare alcun dato."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        token = request.auth
        return not (isinstance(token, TokenPersonale) and token.sola_lettura)
