"""The computed plan: exactly the JSON the plan's page serves and the frozen versions keep
(``calcolo.json_del_piano``), with an ETag from the computation's cache key; one section of it."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from piano_annuale.calcolo import PianoCalcolato, chiave_attuale, json_del_piano
from piano_annuale.models import PianoAnnuale

from .base import VistaApi
from .lettura import AMBITO

SEZIONI = tuple(campo.name for campo in dataclasses.fields(PianoCalcolato))

SE_NON_CAMBIATO = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description="L'ETag di una risposta precedente: se il piano non è cambiato la risposta è 304, senza corpo.",
)


def etag_del_piano(piano: PianoAnnuale) -> str | None:
    """The plan's ETag: a digest of its computation's cache key (revision, rules, version), which
    changes with every write that can change the plan. None while the plan cannot be cached."""
    chiave = chiave_attuale(piano)
    if chiave is None:
        return None
    return '"' + hashlib.sha256(chiave.encode()).hexdigest()[:40] + '"'


def _non_cambiato(request: Request, etag: str | None) -> bool:
    if etag is None:
        return False
    richiesti = request.headers.get("If-None-Match", "")
    if richiesti.strip() == "*":
        return True
    return etag in {e.strip().removeprefix("W/") for e in richiesti.split(",")}


def _piano_leggibile(request: Request, pk: int) -> PianoAnnuale:
    return get_object_or_404(PianoAnnuale.objects.visibili_a(request.user), pk=pk)


def _con_etag(risposta: HttpResponse, etag: str | None) -> HttpResponse:
    if etag is not None:
        risposta["ETag"] = etag
    risposta["Cache-Control"] = "private, no-cache"
    return risposta


@extend_schema(
    tags=["piani"],
    summary="Il piano calcolato",
    parameters=[AMBITO, SE_NON_CAMBIATO],
    responses={
        (200, "application/json"): OpenApiResponse(
            OpenApiTypes.OBJECT,
            description="Ogni sezione, totale e anomalia: lo stesso JSON della pagina del piano e delle "
            "versioni congelate.",
        ),
        304: OpenApiResponse(description="Il piano non è cambiato dall'ETag indicato."),
    },
)
class CalcoloView(VistaApi):
    """Il piano calcolato, come lo legge chi lo chiede (dallo stato dell'iter che il suo ruolo consente)."""

    @extend_schema(operation_id="piano_calcolato")
    def get(self, request: Request, piano: int) -> HttpResponse:
        oggetto = _piano_leggibile(request, piano)
        etag = etag_del_piano(oggetto)
        if _non_cambiato(request, etag):
            return _con_etag(HttpResponseNotModified(), etag)
        return _con_etag(HttpResponse(json_del_piano(oggetto), content_type="application/json"), etag)


@extend_schema(
    tags=["piani"],
    summary="Una sezione del piano calcolato",
    parameters=[
        AMBITO,
        SE_NON_CAMBIATO,
        OpenApiParameter("sezione", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(SEZIONI)),
    ],
    responses={
        (200, "application/json"): OpenApiResponse(
            OpenApiTypes.ANY, description="La sezione com'è nel JSON del piano calcolato."
        ),
        304: OpenApiResponse(description="Il piano non è cambiato dall'ETag indicato."),
    },
)
class SezioneView(VistaApi):
    """Una sola parte del piano calcolato (ad es. «g», «allegato_a», «anomalie»), presa dal suo JSON."""

    @extend_schema(operation_id="sezione_del_piano_calcolato")
    def get(self, request: Request, piano: int, sezione: str) -> HttpResponse:
        if sezione not in SEZIONI:
            raise NotFound(f"La sezione «{sezione}» non esiste. Sezioni: {', '.join(SEZIONI)}.")
        oggetto = _piano_leggibile(request, piano)
        etag = etag_del_piano(oggetto)
        if _non_cambiato(request, etag):
            return _con_etag(HttpResponseNotModified(), etag)
        parte = json.loads(json_del_piano(oggetto))[sezione]
        testo = json.dumps(parte, ensure_ascii=False, indent=2)
        return _con_etag(HttpResponse(testo, content_type="application/json"), etag)
