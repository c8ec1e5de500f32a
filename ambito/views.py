"""Pages of the service itself: the accessibility statement and the privacy notice."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# When the accessibility statement below was written and last reviewed (update on each review).
DATA_DICHIARAZIONE = datetime.date(2026, 11, 23)


def contatto_servizio() -> str:
    """Where users write about accessibility and data protection: ``EMAIL_SERVIZIO`` if configured,
    else the address the service sends its e-mails from."""
    return getattr(settings, "EMAIL_SERVIZIO", "") or settings.DEFAULT_FROM_EMAIL


def accessibilita(request: HttpRequest) -> HttpResponse:
    """The dichiarazione di accessibilità (public, like the login page)."""
    return render(
        request,
        "ambito/accessibilita.html",
        {"data_dichiarazione": DATA_DICHIARAZIONE, "contatto": contatto_servizio()},
    )


def privacy(request: HttpRequest) -> HttpResponse:
    """The informativa sul trattamento dei dati personali (public)."""
    return render(request, "ambito/privacy.html", {"contatto": contatto_servizio()})
