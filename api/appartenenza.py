"""Which of the user's memberships an API request acts with: ``?ambito=<id>`` or the ``X-Ambito``
header, when the user belongs to several ambiti. Every ``visibili_a`` / ``modificabili_da`` of the
request then answers for that ambito only (``accesso.imposta_ambito_in_uso``), as the web pages do
for the ambito chosen in the header."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.request import Request

from patrimonio.accesso import ambiti_di, e_osservatore_regionale, imposta_ambito_in_uso

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def ambito_richiesto(request: Request) -> int | None:
    """The ambito the request names, if any (a malformed one is a 400)."""
    grezzo = (request.query_params.get("ambito") or request.headers.get("X-Ambito") or "").strip()
    if not grezzo:
        return None
    if not grezzo.isdigit() or len(grezzo) > 12:
        raise ParseError("L'ambito si indica con il suo numero identificativo, ad es. ?ambito=3.")
    return int(grezzo)


def applica_ambito(request: Request, user: User, *, dalla_sessione: bool = False) -> None:
    """Set the membership in use for ``user`` on this request, from ``?ambito`` / ``X-Ambito``.

    A session already carries the ambito chosen in the page header (``dalla_sessione``): the request
    changes it only when it names one. A token has no session: a user with memberships in several
    ambiti must name one; with one, that one is used. The regional observer and the platform
    administrator may name any ambito (they read every one; the observer writes nothing)."""
    scelto = ambito_richiesto(request)
    if scelto is None and dalla_sessione:
        return
    ambiti = ambiti_di(user)
    if scelto is None:
        if len(ambiti) > 1:
            elenco = ", ".join(str(a) for a in sorted(ambiti))
            raise ParseError(
                f"L'utente opera in più ambiti ({elenco}): indicare quello in uso con ?ambito=<id> o "
                "con l'intestazione X-Ambito."
            )
        if ambiti:
            imposta_ambito_in_uso(user, ambiti[0])
        return
    if scelto not in ambiti and not user.is_superuser and not e_osservatore_regionale(user):
        raise PermissionDenied(f"L'utente non opera nell'ambito {scelto}.")
    imposta_ambito_in_uso(user, scelto if scelto in ambiti else None)
