"""The ambito a signed-in person works in: chosen at login, changed from the header, kept in the session.

A person may hold memberships in several ambiti (the ALER officer). The access policy answers for the
ambito in use only (``accesso.ATTRIBUTO_AMBITO_IN_USO``), so each ambito's data is seen only while
working in it. The session holds the ambito's id; the middleware puts it on the request's user without
a query. The policy reads the person's memberships once per request, so a membership removed since is
simply no longer found from the next request on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from patrimonio.accesso import ambiti_di, appartenenze_di, imposta_ambito_in_uso
from patrimonio.segnali import CHIAVE_SESSIONE


def ambito_iniziale(user: Any) -> int | None:
    """The ambito a person starts in: the first of their memberships (by the ambito's name)."""
    ambiti = ambiti_di(user)
    return ambiti[0] if ambiti else None


def scegli_ambito(request: HttpRequest, ambito_id: int | None) -> bool:
    """Make ``ambito_id`` the request's and session's ambito in use, if the user holds a membership
    there; False (and nothing changed) otherwise."""
    if ambito_id is not None and ambito_id not in ambiti_di(request.user):
        return False
    request.session[CHIAVE_SESSIONE] = ambito_id
    imposta_ambito_in_uso(request.user, ambito_id)
    return True


class AmbitoInUso:
    """Puts the session's ambito in use on the request's user (after AuthenticationMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if CHIAVE_SESSIONE not in request.session:
                # Just signed in (``patrimonio.segnali``), or a session older than memberships.
                request.session[CHIAVE_SESSIONE] = ambito_iniziale(user)
            imposta_ambito_in_uso(user, request.session[CHIAVE_SESSIONE])
        return self.get_response(request)


__all__ = ["CHIAVE_SESSIONE", "AmbitoInUso", "appartenenze_di", "scegli_ambito"]
