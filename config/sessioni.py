"""The idle timeout of sessions without a database write on every request.

``SESSION_SAVE_EVERY_REQUEST`` would renew the session's expiry with an UPDATE (and two SAVEPOINTs)
on each page, the largest share of a cached page's queries. This middleware marks the session as
changed only when its last renewal is older than ``RINNOVO_SECONDI``, so the idle limit holds
within that margin (29–30 minutes for a 30-minute limit) at one write a minute per active user.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

RINNOVO_SECONDI = 60
CHIAVE = "_poa_rinnovata"


class RinnovoSessione:
    """Renew an authenticated session's expiry at most once every ``RINNOVO_SECONDI``; it must come
    after SessionMiddleware, so that the session is saved on the way out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        risposta = self.get_response(request)
        sessione = getattr(request, "session", None)
        if sessione is None or "_auth_user_id" not in sessione:
            return risposta
        ora = int(time.time())
        if ora - int(sessione.get(CHIAVE, 0)) >= RINNOVO_SECONDI:
            sessione[CHIAVE] = ora  # marks it modified: SessionMiddleware saves it with a new expiry
        return risposta
