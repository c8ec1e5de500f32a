"""The bulk endpoint: the ente's whole unit list replaced, as uploading the full workbook does."""

from __future__ import annotations

from typing import Any

from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from patrimonio.accesso import utente_di
from patrimonio.importazione import registra
from patrimonio.views.base import carica_area

from ..elenco import analizza_elenco, anteprima_elenco, errori_del_elenco, righe_della_richiesta
from ..errori import DatiNonValidi
from ..models import TokenPersonale
from ..parser import ParserElenco
from ..serializers import ElencoCompletoSerializer
from .ente import UnitaElencoView
from .lettura import AMBITO

DRY_RUN = OpenApiParameter(
    "dry_run",
    OpenApiTypes.BOOL,
    description="1: nulla è registrato, la risposta è l'anteprima delle modifiche (la stessa del foglio di calcolo).",
)


def origine(request: Request) -> str:
    """Where the history says the changes come from."""
    token = request.auth
    if isinstance(token, TokenPersonale):
        return f"API v1, token «{token.nome}» ({token.prefisso}…)"
    return "API v1, sessione"


class UnitaCollezioneView(UnitaElencoView):
    """Le unità dell'ente: elenco (GET), una nuova (POST), l'elenco completo che sostituisce il
    registro dell'ente (PUT), come il caricamento del modello di foglio di calcolo completo."""

    def get_parsers(self) -> list[Any]:
        # Only the full list may be larger than DATA_UPLOAD_MAX_MEMORY_SIZE (``api.parser``).
        if getattr(self, "request", None) is not None and self.request.method == "PUT":
            return [ParserElenco()]
        return super().get_parsers()

    @extend_schema(
        tags=["dati dell'ente"],
        summary="Sostituisci l'elenco completo delle unità",
        operation_id="unita_elenco_completo",
        description="L'elenco sostituisce per intero le unità dell'ente, con la stessa semantica del "
        "caricamento del modello completo: unità aggiunte, modificate e tolte (tolte dal piano e, se "
        "nessun altro piano le conta, dal registro). La richiesta è idempotente: ripeterla non cambia "
        "nulla. Una riga non valida fa rifiutare tutto l'elenco, con la riga e il campo in errore; "
        "altrimenti tutto è registrato in una sola transazione, con lo storico di ogni riga.",
        parameters=[AMBITO, DRY_RUN],
        request=ElencoCompletoSerializer,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="L'anteprima (con dry_run) o l'esito.")
        },
    )
    def put(self, request: Request, piano: int, ente: int) -> Response:
        prova = request.query_params.get("dry_run", "").strip().lower() in {"1", "true", "si", "sì", "yes"}
        area = carica_area(request, piano, ente, per_modifica=not prova)
        # The body's shape only (``ElencoCompletoSerializer`` documents it): the cells are validated by
        # the upload's own analysis, row by row, with its messages.
        unita, turnover = righe_della_richiesta(request.data)
        analisi = analizza_elenco(
            piano=area.piano, ente=area.ente, unita=unita, turnover=turnover, origine=origine(request)
        )
        if analisi.errori:
            con_lavori = area.piano.regole_applicate().valori.con_costo_lavori
            raise DatiNonValidi(
                errori_del_elenco(analisi, con_lavori=con_lavori),
                ngettext(
                    "L'elenco contiene %(n)d errore: nulla è stato registrato.",
                    "L'elenco contiene %(n)d errori: nulla è stato registrato.",
                    len(analisi.errori),
                )
                % {"n": len(analisi.errori)},
            )
        if prova:
            return Response({"dry_run": True, "anteprima": anteprima_elenco(analisi)})
        esito = registra(analisi=analisi, utente=utente_di(request))
        return Response(
            {
                "dry_run": False,
                "aggiunte": esito.aggiunte,
                "modificate": esito.modificate,
                "rimosse": esito.rimosse,
                "invariate": esito.invariate,
                "turnover": esito.turnover,
                "esito": esito.descrizione(),
            }
        )
