"""How the API knows who calls: the browser session (with its CSRF token, as DRF checks it) or a
personal token in ``Authorization: Bearer <token>``. Both set the membership in use (``appartenenza``)."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from .appartenenza import applica_ambito
from .credenziali import token_valido
from .models import TokenPersonale


class AutenticazioneToken(BaseAuthentication):
    """``Authorization: Bearer poa_…``: the token's user, with ``request.auth`` the token."""

    parola = b"bearer"

    def authenticate(self, request: Request) -> tuple[Any, TokenPersonale] | None:
        parti = get_authorization_header(request).split()
        if not parti or parti[0].lower() != self.parola:
            return None
        if len(parti) != 2:
            raise AuthenticationFailed("Intestazione Authorization non valida: usare «Bearer <token>».")
        try:
            segreto = parti[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Il token contiene caratteri non validi.") from None
        token = token_valido(segreto)
        if token is None:
            raise AuthenticationFailed("Token non valido, scaduto o revocato.")
        if not token.user.is_active:
            raise AuthenticationFailed("L'utente del token è disattivato.")
        applica_ambito(request, token.user)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Present: a request without credentials gets 401 (with this header), not 403.
        return 'Bearer realm="api"'


class AutenticazioneSessione(SessionAuthentication):
    """The browser session, CSRF enforced on writes (DRF's own check)."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        risultato = super().authenticate(request)
        if risultato is not None:
            applica_ambito(request, risultato[0], dalla_sessione=True)
        return risultato
