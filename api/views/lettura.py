"""Reads: ambiti, comuni, aggregazioni, enti, plans with their stage and rule set, frozen versions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.request import Request

from ambito.models import AggregazioneTerritoriale, Ambito, Comune
from patrimonio.models import EnteProprietario
from piano_annuale.models import PianoAnnuale, VersionePiano

from ..serializers import (
    AggregazioneSerializer,
    AmbitoSerializer,
    ComuneSerializer,
    EnteSerializer,
    PianoSerializer,
    VersioneSerializer,
)
from .base import Paginazione, VistaApi, ambiti_visibili, intero

AMBITO = OpenApiParameter(
    "ambito",
    OpenApiTypes.INT,
    description="L'ambito in cui si opera, per chi ne ha più d'uno (in alternativa l'intestazione X-Ambito).",
)


def _nel_territorio(queryset: QuerySet, user: Any, campo: str = "ambito_id") -> QuerySet:
    ambiti = ambiti_visibili(user)
    return queryset if ambiti is None else queryset.filter(**{f"{campo}__in": ambiti})


class Elenco(VistaApi, generics.ListAPIView):
    pagination_class = Paginazione


class Dettaglio(VistaApi, generics.RetrieveAPIView):
    pass


@extend_schema(tags=["territorio"], summary="Ambiti territoriali", parameters=[AMBITO])
class AmbitiView(Elenco):
    """Gli ambiti in cui l'utente opera (tutti per l'osservatore regionale e l'amministratore)."""

    serializer_class = AmbitoSerializer

    def get_queryset(self) -> QuerySet:
        return _nel_territorio(Ambito.objects.order_by("nome"), self.request.user, "pk")


@extend_schema(tags=["territorio"], summary="Un ambito territoriale", parameters=[AMBITO])
class AmbitoView(Dettaglio):
    serializer_class = AmbitoSerializer

    def get_queryset(self) -> QuerySet:
        return _nel_territorio(Ambito.objects.all(), self.request.user, "pk")


@extend_schema(
    tags=["territorio"],
    summary="Comuni",
    parameters=[
        AMBITO,
        OpenApiParameter("aggregazione", OpenApiTypes.INT, description="Solo i comuni di un'aggregazione."),
        OpenApiParameter("codice_istat", OpenApiTypes.STR, description="Il comune con questo codice ISTAT."),
    ],
)
class ComuniView(Elenco):
    """I comuni degli ambiti visibili, con codice ISTAT, aggregazione e superficie."""

    serializer_class = ComuneSerializer

    def get_queryset(self) -> QuerySet:
        comuni = _nel_territorio(Comune.objects.filter(ambito__isnull=False), self.request.user)
        if (
            aggregazione := intero(self.request.query_params.get("aggregazione"), "aggregazione")
        ) is not None:
            comuni = comuni.filter(aggregazione_id=aggregazione)
        if codice := self.request.query_params.get("codice_istat", "").strip():
            comuni = comuni.filter(codice_istat=codice)
        return comuni.order_by("nome", "pk")


@extend_schema(tags=["territorio"], summary="Aggregazioni territoriali", parameters=[AMBITO])
class AggregazioniView(Elenco):
    """Le aggregazioni territoriali (sub-ambiti) degli ambiti visibili."""

    serializer_class = AggregazioneSerializer

    def get_queryset(self) -> QuerySet:
        return _nel_territorio(AggregazioneTerritoriale.objects.all(), self.request.user).order_by(
            "ambito", "numero"
        )


@extend_schema(
    tags=["territorio"],
    summary="Enti proprietari",
    parameters=[AMBITO, OpenApiParameter("tipo", OpenApiTypes.STR, enum=["comune", "aler", "operatore"])],
)
class EntiView(Elenco):
    """Gli enti i cui dati l'utente legge: tutti quelli dell'ambito per l'ufficio di piano, il proprio
    per l'operatore di un comune o di ALER."""

    serializer_class = EnteSerializer

    def get_queryset(self) -> QuerySet:
        enti = EnteProprietario.objects.visibili_a(self.request.user)
        if tipo := self.request.query_params.get("tipo", "").strip():
            enti = enti.filter(tipo=tipo)
        return enti.order_by("ambito", "tipo", "denominazione", "pk")


def piani_raggiungibili(user: Any) -> QuerySet:
    """Plans the user reads (computed content) or takes part in (ricognizione)."""
    leggibili = PianoAnnuale.objects.visibili_a(user).values("pk")
    compilabili = PianoAnnuale.objects.compilabili_da(user).values("pk")
    piani = PianoAnnuale.objects.filter(pk__in=leggibili) | PianoAnnuale.objects.filter(pk__in=compilabili)
    return (
        _nel_territorio(piani, user)
        .select_related("ambito", "regole")
        .order_by("ambito__nome", "-anno", "pk")
    )


class _ConLeggibili(generics.GenericAPIView):
    def get_serializer_context(self) -> dict[str, Any]:
        contesto = dict(super().get_serializer_context())
        contesto["leggibili"] = set(
            PianoAnnuale.objects.visibili_a(self.request.user).values_list("pk", flat=True)
        )
        return contesto


@extend_schema(
    tags=["piani"],
    summary="Piani annuali",
    parameters=[
        AMBITO,
        OpenApiParameter("anno", OpenApiTypes.INT),
        OpenApiParameter("stato", OpenApiTypes.STR),
    ],
)
class PianiView(_ConLeggibili, Elenco):
    """I piani che l'utente legge o alla cui ricognizione partecipa, con lo stato dell'iter e le regole."""

    serializer_class = PianoSerializer

    def get_queryset(self) -> QuerySet:
        piani = piani_raggiungibili(self.request.user)
        if (anno := intero(self.request.query_params.get("anno"), "anno")) is not None:
            piani = piani.filter(anno=anno)
        if stato := self.request.query_params.get("stato", "").strip():
            piani = piani.filter(stato=stato)
        return piani


@extend_schema(tags=["piani"], summary="Un piano annuale", parameters=[AMBITO])
class PianoView(_ConLeggibili, Dettaglio):
    serializer_class = PianoSerializer

    def get_queryset(self) -> QuerySet:
        return piani_raggiungibili(self.request.user)


@extend_schema(tags=["versioni"], summary="Versioni congelate di un piano", parameters=[AMBITO])
class VersioniView(Elenco):
    """Le versioni congelate (inviata ad ALER, approvata), ciascuna con lo SHA-256 del suo JSON e del PDF."""

    serializer_class = VersioneSerializer

    def get_queryset(self) -> QuerySet:
        piano = get_object_or_404(PianoAnnuale.objects.visibili_a(self.request.user), pk=self.kwargs["piano"])
        return VersionePiano.objects.filter(piano=piano).select_related("creata_da").order_by("numero")


@extend_schema(tags=["versioni"], summary="Una versione congelata", parameters=[AMBITO])
class VersioneView(Dettaglio):
    serializer_class = VersioneSerializer
    lookup_field = "numero"

    def get_queryset(self) -> QuerySet:
        return VersionePiano.objects.visibili_a(self.request.user).filter(piano_id=self.kwargs["piano"])


@extend_schema(
    tags=["versioni"],
    summary="Il JSON di una versione congelata",
    parameters=[AMBITO],
    responses={
        (200, "application/json"): OpenApiResponse(
            OpenApiTypes.OBJECT, description="Esattamente il testo congelato, il cui SHA-256 è «dati_sha256»."
        )
    },
)
class VersioneDatiView(VistaApi):
    """Il piano calcolato come fu congelato, byte per byte: lo SHA-256 del corpo è quello della versione."""

    def get(self, request: Request, piano: int, numero: int) -> HttpResponse:
        versione = get_object_or_404(
            VersionePiano.objects.visibili_a(request.user), piano_id=piano, numero=numero
        )
        risposta = HttpResponse(versione.dati_json.encode(), content_type="application/json")
        risposta["ETag"] = f'"{versione.dati_sha256}"'
        return risposta
