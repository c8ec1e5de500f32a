"""Throttling per token: each token its own budget (``POA_API`` rates in settings), the browser
session one per user. The rates are read on every request, so tests and deployments can change them."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .models import TokenPersonale


class LimitePerToken(SimpleRateThrottle):
    """Requests per token (``token`` rate) or, without a token, per user (``utente`` rate)."""

    def get_rate(self) -> str | None:
        return None  # chosen per request in allow_request

    def allow_request(self, request: Request, view: Any) -> bool:
        token = request.auth if isinstance(request.auth, TokenPersonale) else None
        self.scope = "token" if token is not None else "utente"
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[assignment]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, TokenPersonale):
            ident = f"token{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"utente{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
