"""The regional overview (``piano_annuale.panoramica``), for the regional observer and the platform
administrator only."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from piano_annuale.panoramica import RigaPanoramica, panoramica_regionale

from .base import VistaApi, vede_la_regione


def _campo(tipo: Any) -> serializers.Field:
    testo = str(tipo)
    nullo = "None" in testo
    if "Decimal" in testo:
        return serializers.DecimalField(
            max_digits=14, decimal_places=2, allow_null=nullo, coerce_to_string=True
        )
    if "date" in testo:
        return serializers.DateField(allow_null=nullo)
    if "int" in testo:
        return serializers.IntegerField(allow_null=nullo)
    return serializers.CharField(allow_null=nullo)


# One field per column of the overview, typed as the dataclass types it.
RigaPanoramicaSerializer = type(
    "RigaPanoramicaSerializer",
    (serializers.Serializer,),
    {campo.name: _campo(campo.type) for campo in dataclasses.fields(RigaPanoramica)},
)


def _valore(valore: Any) -> Any:
    if isinstance(valore, Decimal):
        return str(valore)
    if isinstance(valore, datetime.date):
        return valore.isoformat()
    return valore


@extend_schema(
    tags=["regione"], summary="Panoramica regionale", responses=RigaPanoramicaSerializer(many=True)
)
class PanoramicaView(VistaApi):
    """Ogni ambito con lo stato del piano corrente, le scadenze, il tasso di risposta, le unità
    disponibili per categoria, il patrimonio e le unità ogni 1.000 abitanti. Solo per l'osservatore
    regionale e l'amministratore della piattaforma."""

    def get(self, request: Request) -> Response:
        if not vede_la_regione(request.user):
            raise PermissionDenied("La panoramica regionale è riservata all'osservatore regionale.")
        righe = [
            {nome: _valore(valore) for nome, valore in dataclasses.asdict(riga).items()}
            for riga in panoramica_regionale()
        ]
        return Response(righe)
