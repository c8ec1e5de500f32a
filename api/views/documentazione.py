"""The OpenAPI schema and its two readers, Swagger UI and Redoc, from drf-spectacular-sidecar's own
static files (nothing from a CDN). Their pages carry the request's CSP nonce on their one inline
style and script, so they work under the project's Content-Security-Policy without 'unsafe-inline'."""

from __future__ import annotations

from csp.decorators import csp_update
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from .. import schema  # noqa: F401  (registers the schema's authentication extensions)
from ..autenticazione import AutenticazioneSessione, AutenticazioneToken


class SchemaView(SpectacularAPIView):
    authentication_classes = [AutenticazioneToken, AutenticazioneSessione]


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI: the page, then its start-up script as a file of its own (no inline script)."""

    authentication_classes = [AutenticazioneSessione]
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"


class RedocView(SpectacularRedocView):
    """Redoc, started by ``api/redoc_avvio.js`` with the page's nonce (its styled-components styles
    carry it) and without the search, whose worker would be a blob: script."""

    authentication_classes = [AutenticazioneSessione]
    template_name = "api/redoc.html"
    url_name = "api:schema"


# The two <style> elements the Redoc bundle's style loader creates while it loads, before any option
# (hence the nonce) is known: allowed on this page only, by the hash of their fixed content (an empty
# one, and the bundle's base CSS). A new sidecar version that changes them fails tests/e2e/test_api_pagine.
STILI_DI_REDOC = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
]
redoc = csp_update({"style-src": STILI_DI_REDOC})(RedocView.as_view())


@csrf_exempt  # it writes nothing, and answers every method alike
def nessuna_risorsa(request: HttpRequest) -> JsonResponse:
    """An address of the API that names no resource: 404 as a problem detail."""
    return JsonResponse(
        {
            "type": "about:blank",
            "title": "Risorsa non trovata",
            "status": 404,
            "detail": "L'indirizzo non corrisponde a nessuna risorsa dell'API: vedere /api/v1/schema/.",
        },
        status=404,
        content_type="application/problem+json",
    )
