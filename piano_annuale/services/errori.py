"""The refusals of the services: the Italian message says why, for the user who tried."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class ModificaNonConsentita(PermissionDenied):
    """The data cannot change now, or not by this user. The Italian message is shown to the user (403)."""


class OperazioneNonValida(ValueError):
    """The request contradicts the stored data; the Italian message says what to do instead."""
