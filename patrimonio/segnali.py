"""Signal receivers of the registry app, connected when the app loads (``PatrimonioConfig``).

Kept free of model imports, so that the app config can import it before the models are ready.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

# Where the session keeps the ambito a person works in (``patrimonio.ambito_in_uso``).
CHIAVE_SESSIONE = "poa_ambito_in_uso"


@receiver(user_logged_in, dispatch_uid="poa_ambito_in_uso_all_accesso")
def all_accesso(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """At login the ambito is chosen afresh (the first where the person holds a membership): the
    middleware does it on the next request."""
    if request is not None and hasattr(request, "session"):
        request.session.pop(CHIAVE_SESSIONE, None)
