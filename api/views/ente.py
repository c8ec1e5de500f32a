"""An ente's own data in a plan: units with their state, turnover, SAT, consistenza, choices and
last year's assignments. Reads and writes reach the ente as the workspace does (``carica_area``:
``compilabili_da`` and ``visibili_a`` / ``modificabili_da``); writes are validated by the workspace's
own forms — the rules the pages and the spreadsheet's «Scelte» sheet apply — and saved by its
services (``piano_annuale.services.ente``), each in one transaction with its history."""

from __future__ import annotations

from typing import Any

from django.db.models import F, FilteredRelation, Q, QuerySet
from django.forms import BaseForm
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from ambito.models import Comune
from patrimonio.forms import ConsistenzaForm, StatoUnitaForm, UnitaForm
from patrimonio.models import UnitaAbitativa
from patrimonio.views.base import Area, carica_area
from piano_annuale.forms import AssegnazioniForm, ScelteForm
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    ScelteEnte,
    Stato,
    StatoUnita,
    TurnoverPrevisto,
)
from piano_annuale.services.ente import (
    elimina_unita,
    salva_assegnazioni,
    salva_consistenza,
    salva_sat,
    salva_scelte,
    salva_turnover,
    salva_unita,
)
from piano_annuale.services.versioni import Perimetro, perimetro_dell_ente, perimetro_unita

from ..errori import DatiNonValidi
from ..serializers import (
    AssegnazioniSerializer,
    ConsistenzaSerializer,
    ConteggioSerializer,
    ScelteSerializer,
    UnitaSerializer,
)
from .base import Paginazione, VistaApi, intero
from .lettura import AMBITO

SE_CORRISPONDE = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description="La versione letta (campo «versione» delle pagine dell'ente): se i dati sono cambiati nel "
    "frattempo la scrittura è rifiutata con 409.",
)


def errori_dei_moduli(*moduli: BaseForm) -> list[dict[str, Any]]:
    """The forms' Italian errors as problem entries (field, message)."""
    return [
        {"campo": "" if campo == "__all__" else campo, "messaggio": errore["message"]}
        for modulo in moduli
        for campo, errori in modulo.errors.get_json_data().items()
        for errore in errori
    ]


def _versione(request: Request) -> str | None:
    """The version the client read (``If-Match``, as the ETag of its GET gave it)."""
    valore = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    return valore or None


def con_versione(risposta: Response, perimetro: Perimetro) -> Response:
    """The rows' version as the ETag: sent back in ``If-Match``, a write made on stale data is a 409."""
    risposta["ETag"] = f'"{perimetro.versione()}"'
    return risposta


def _utente(request: Request) -> Any:
    return request.user


def _dati(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ValidationError({"": ["Il corpo della richiesta deve essere un oggetto JSON."]})
    return request.data


# ---- Units -------------------------------------------------------------------------------------


def unita_con_stato(queryset: QuerySet, area_piano_id: int) -> QuerySet:
    return queryset.annotate(
        nel_piano=FilteredRelation("stati", condition=Q(stati__piano_id=area_piano_id))
    ).annotate(stato_piano=F("nel_piano__stato"))


def filtra_unita(queryset: QuerySet, request: Request) -> QuerySet:
    """The list's filters: ente, comune (id or ISTAT code), state in the plan (or «nessuno»), service."""
    parametri = request.query_params
    if (ente := intero(parametri.get("ente"), "ente")) is not None:
        queryset = queryset.filter(ente_id=ente)
    comune = parametri.get("comune", "").strip()
    if comune:
        if len(comune) == 6 and comune.isdigit():
            queryset = queryset.filter(Q(comune__codice_istat=comune) | Q(comune_id=int(comune)))
        else:
            queryset = queryset.filter(comune_id=intero(comune, "comune"))
    stato = parametri.get("stato", "").strip()
    if stato == "nessuno":
        queryset = queryset.filter(stato_piano__isnull=True)
    elif stato:
        if stato not in Stato.values:
            raise ValidationError({"stato": [f"Stato non valido: {', '.join(Stato.values)} o «nessuno»."]})
        queryset = queryset.filter(stato_piano=stato)
    if tipo := parametri.get("tipo", "").strip():
        queryset = queryset.filter(tipo=tipo)
    return queryset


FILTRI_UNITA = [
    OpenApiParameter("comune", OpenApiTypes.STR, description="Identificativo o codice ISTAT del comune."),
    OpenApiParameter(
        "stato", OpenApiTypes.STR, enum=[*Stato.values, "nessuno"], description="Lo stato nel piano."
    ),
    OpenApiParameter("tipo", OpenApiTypes.STR, enum=["SAP", "SAS"]),
]


def stati_di(piano_id: int, unita: list[UnitaAbitativa]) -> dict[int, StatoUnita]:
    return {
        s.unita_id: s for s in StatoUnita.objects.filter(piano_id=piano_id, unita__in=[u.pk for u in unita])
    }


class _UnitaBase(VistaApi):
    serializer_class = UnitaSerializer

    def _area(self, request: Request, piano: int, ente: int, *, scrittura: bool = False) -> Area:
        return carica_area(request, piano, ente, per_modifica=scrittura)

    def _risposta(self, area: Area, unita: UnitaAbitativa, stato_http: int = 200) -> Response:
        contesto = {"stati": stati_di(area.piano.pk, [unita])}
        risposta = Response(UnitaSerializer(unita, context=contesto).data, status=stato_http)
        return con_versione(risposta, perimetro_unita(area.piano.pk, unita.pk))

    def _salva(
        self, request: Request, area: Area, istanza: UnitaAbitativa | None, parziale: bool
    ) -> UnitaAbitativa:
        dati = _dati(request)
        attuale = istanza or UnitaAbitativa(ente=area.ente)
        stato = StatoUnita.objects.filter(piano=area.piano, unita=istanza).first() if istanza else None
        valori_unita = {
            "id_regionale": attuale.id_regionale or "",
            "codice_ente": attuale.codice_ente,
            "comune": attuale.comune_id or "",
            "tipo": attuale.tipo,
            "indirizzo": attuale.indirizzo,
        }
        valori_stato: dict[str, Any] = {}
        if stato is not None:
            valori_stato = {
                campo: getattr(stato, campo)
                for campo in ("stato", "programma", "note", "costo_lavori", "note_lavori")
            }
        if not parziale:
            valori_unita = {"tipo": "SAP"}
            valori_stato = {}
        for campo in ("id_regionale", "codice_ente", "comune", "tipo", "indirizzo"):
            if campo in dati:
                valori_unita[campo] = "" if dati[campo] is None else dati[campo]
        if "stato_nel_piano" in dati:
            nuovo = dati["stato_nel_piano"]
            if nuovo is not None and not isinstance(nuovo, dict):
                raise ValidationError({"stato_nel_piano": ["Indicare un oggetto con lo stato, o null."]})
            valori_stato = {
                k: ("" if v is None and k != "costo_lavori" else v) for k, v in (nuovo or {}).items()
            }
        regole = area.piano.regole_applicate().valori
        form = UnitaForm(valori_unita, instance=attuale, ente=area.ente, piano=area.piano)
        form_stato = StatoUnitaForm(
            valori_stato, instance=stato or StatoUnita(piano=area.piano), regole=regole
        )
        if not (form.is_valid() & form_stato.is_valid()):
            raise DatiNonValidi(errori_dei_moduli(form, form_stato))
        return salva_unita(
            piano=area.piano,
            ente=area.ente,
            utente=_utente(request),
            valori_unita={campo: form.cleaned_data[campo] for campo in UnitaForm.Meta.fields},
            valori_stato=form_stato.valori(),
            unita=istanza,
            versione=_versione(request),
        )


@extend_schema(tags=["dati dell'ente"], parameters=[AMBITO])
class UnitaElencoView(_UnitaBase):
    """Le unità dell'ente con il loro stato nel piano."""

    pagination_class = Paginazione

    @extend_schema(summary="Unità dell'ente", parameters=FILTRI_UNITA, responses=UnitaSerializer(many=True))
    def get(self, request: Request, piano: int, ente: int) -> Response:
        area = self._area(request, piano, ente)
        unita = unita_con_stato(
            UnitaAbitativa.objects.visibili_a(request.user).filter(ente=area.ente), area.piano.pk
        )
        unita = filtra_unita(unita, request).order_by("comune__nome", "id_regionale", "codice_ente", "pk")
        paginatore = Paginazione()
        pagina = paginatore.paginate_queryset(unita, request, view=self) or []
        contesto = {"stati": stati_di(area.piano.pk, list(pagina))}
        return paginatore.get_paginated_response(UnitaSerializer(pagina, many=True, context=contesto).data)

    @extend_schema(summary="Aggiungi un'unità", request=UnitaSerializer, responses={201: UnitaSerializer})
    def post(self, request: Request, piano: int, ente: int) -> Response:
        area = self._area(request, piano, ente, scrittura=True)
        unita = self._salva(request, area, None, parziale=False)
        return self._risposta(area, unita, status.HTTP_201_CREATED)


@extend_schema(tags=["dati dell'ente"], parameters=[AMBITO])
class UnitaView(_UnitaBase):
    """Un'unità dell'ente e il suo stato nel piano."""

    def _unita(self, request: Request, area: Area, pk: int) -> UnitaAbitativa:
        return get_object_or_404(
            UnitaAbitativa.objects.visibili_a(request.user).filter(ente=area.ente), pk=pk
        )

    @extend_schema(summary="Un'unità")
    def get(self, request: Request, piano: int, ente: int, pk: int) -> Response:
        area = self._area(request, piano, ente)
        return self._risposta(area, self._unita(request, area, pk))

    @extend_schema(summary="Sostituisci un'unità", parameters=[SE_CORRISPONDE])
    def put(self, request: Request, piano: int, ente: int, pk: int) -> Response:
        area = self._area(request, piano, ente, scrittura=True)
        unita = self._salva(request, area, self._unita(request, area, pk), parziale=False)
        return self._risposta(area, unita)

    @extend_schema(summary="Modifica un'unità", parameters=[SE_CORRISPONDE])
    def patch(self, request: Request, piano: int, ente: int, pk: int) -> Response:
        area = self._area(request, piano, ente, scrittura=True)
        unita = self._salva(request, area, self._unita(request, area, pk), parziale=True)
        return self._risposta(area, unita)

    @extend_schema(summary="Togli un'unità dal piano", parameters=[SE_CORRISPONDE], responses={204: None})
    def delete(self, request: Request, piano: int, ente: int, pk: int) -> Response:
        area = self._area(request, piano, ente, scrittura=True)
        unita = self._unita(request, area, pk)
        elimina_unita(
            piano=area.piano,
            ente=area.ente,
            utente=_utente(request),
            unita=unita,
            versione=_versione(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---- Per-comune counts: turnover (e) and SAT (j) ----------------------------------------------------


class _ConteggiView(VistaApi):
    modello: type[TurnoverPrevisto] | type[DestinazioneSAT]

    def _elenco(self, area: Area) -> list[dict[str, int]]:
        righe = self.modello.objects.filter(piano=area.piano, ente=area.ente).order_by("comune__nome")
        return [{"comune": r.comune_id, "numero": r.numero} for r in righe]

    def _risposta(self, area: Area) -> Response:
        return con_versione(
            Response(self._elenco(area)), perimetro_dell_ente(self.modello, area.piano.pk, area.ente.pk)
        )

    def get(self, request: Request, piano: int, ente: int) -> Response:
        return self._risposta(carica_area(request, piano, ente))

    def put(self, request: Request, piano: int, ente: int) -> Response:
        area = carica_area(request, piano, ente, per_modifica=True)
        serializer = ConteggioSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        numeri: dict[int, int] = {}
        comuni = dict(Comune.objects.dell_ambito(area.piano.ambito_id).values_list("pk", "nome"))
        errori = []
        for indice, riga in enumerate(serializer.validated_data, start=1):
            comune = riga["comune"]
            if comune not in comuni:
                errori.append(
                    {"riga": indice, "campo": "comune", "messaggio": "Scegliere un comune dell'ambito."}
                )
            elif comune in numeri:
                errori.append(
                    {
                        "riga": indice,
                        "campo": "comune",
                        "messaggio": f"Il comune di {comuni[comune]} è già indicato in un'altra riga.",
                    }
                )
            numeri[comune] = riga["numero"]
        if errori:
            raise DatiNonValidi(errori)
        self.salva(
            piano=area.piano,
            ente=area.ente,
            utente=_utente(request),
            numeri=numeri,
            versione=_versione(request),
        )
        return Response(self._elenco(area))

    def salva(self, **argomenti: Any) -> None:
        raise NotImplementedError


CONTEGGI = ConteggioSerializer(many=True)


@extend_schema(tags=["dati dell'ente"], parameters=[AMBITO])
class TurnoverView(_ConteggiView):
    """e) Le unità che l'ente prevede si liberino per turn-over, per comune (un numero, non un elenco)."""

    modello = TurnoverPrevisto

    @extend_schema(summary="Turn-over per comune", responses=CONTEGGI)
    def get(self, request: Request, piano: int, ente: int) -> Response:
        return super().get(request, piano, ente)

    @extend_schema(
        summary="Sostituisci il turn-over", request=CONTEGGI, responses=CONTEGGI, parameters=[SE_CORRISPONDE]
    )
    def put(self, request: Request, piano: int, ente: int) -> Response:
        return super().put(request, piano, ente)

    def salva(self, **argomenti: Any) -> None:
        salva_turnover(**argomenti)


@extend_schema(tags=["dati dell'ente"], parameters=[AMBITO])
class SatView(_ConteggiView):
    """j) Le unità che l'ente destina ai servizi abitativi transitori, per comune."""

    modello = DestinazioneSAT

    @extend_schema(summary="SAT per comune", responses=CONTEGGI)
    def get(self, request: Request, piano: int, ente: int) -> Response:
        return super().get(request, piano, ente)

    @extend_schema(
        summary="Sostituisci i SAT", request=CONTEGGI, responses=CONTEGGI, parameters=[SE_CORRISPONDE]
    )
    def put(self, request: Request, piano: int, ente: int) -> Response:
        return super().put(request, piano, ente)

    def salva(self, **argomenti: Any) -> None:
        salva_sat(**argomenti)


# ---- One row per ente: consistenza (a), choices (h, i, i.b / c bis, d bis), assignments (k) -----------


def _riga(modello: Any, area: Area) -> Any:
    righe = modello.objects.filter(piano=area.piano, ente=area.ente)
    if modello is ConsistenzaDichiarata and any(f.name == "comune" for f in modello._meta.fields):
        righe = righe.filter(comune__isnull=True)  # the ente's own figure, not a comune's
    return righe.first()


def _valori(istanza: Any, campi: list[str]) -> dict[str, Any]:
    return {campo: getattr(istanza, campo) for campo in campi} if istanza is not None else {}


VUOTA_CONSISTENZA: dict[str, Any] = {"sap": None, "sas": None, "fonte": ""}
VUOTE_ASSEGNAZIONI: dict[str, Any] = {"totale": 0, "mobilita": 0, "in_deroga": 0}


def _una_riga(modello: Any, area: Area, campi: list[str], vuota: dict[str, Any]) -> Response:
    """The ente's row of ``modello`` (``vuota`` when it has none yet), with its version as the ETag."""
    dati = _valori(_riga(modello, area), campi) or vuota
    return con_versione(Response(dati), perimetro_dell_ente(modello, area.piano.pk, area.ente.pk))


@extend_schema(tags=["dati dell'ente"], parameters=[AMBITO])
class ConsistenzaView(VistaApi):
    """a) La consistenza del patrimonio dell'ente: alloggi SAP e SAS (entrambi, o nessuno se non comunicata)."""

    campi = ["sap", "sas", "fonte"]

    @extend_schema(summary="Consistenza", responses=ConsistenzaSerializer)
    def get(self, request: Request, piano: int, ente: int) -> Response:
        area = carica_area(request, piano, ente)
        return _una_riga(ConsistenzaDichiarata, area, self.campi, VUOTA_CONSISTENZA)

    @extend_schema(
        summary="Dichiara la consistenza",
        request=ConsistenzaSerializer,
        responses=ConsistenzaSerializer,
        parameters=[SE_CORRISPONDE],
    )
    def put(self, request: Request, piano: int, ente: int) -> Response:
        area = carica_area(request, piano, ente, per_modifica=True)
        dati = {campo: ("" if valore is None else valore) for campo, valore in _dati(request).items()}
        istanza = _riga(ConsistenzaDichiarata, area) or ConsistenzaDichiarata(
            piano=area.piano, ente=area.ente
        )
        form = ConsistenzaForm(dati, instance=istanza)
        if not form.is_valid():
            raise DatiNonValidi(errori_dei_moduli(form))
        valori = {campo: form.cleaned_data[campo] for campo in self.campi}
        salva_consistenza(
            piano=area.piano,
            ente=area.ente,
            utente=_utente(request),
            valori=valori,
            versione=_versione(request),
        )
        return _una_riga(ConsistenzaDichiarata, area, self.campi, VUOTA_CONSISTENZA)


@extend_schema(tags=["dati dell'ente"], parameters=[AMBITO])
class ScelteView(VistaApi):
    """Le scelte dell'ente come le prevedono le regole del piano: h) soglia indigenti, i) categoria
    aggiuntiva, i.b) quota Forze di Polizia o, dal R.R. 2/2025, d bis) e c bis)."""

    def _campi(self, area: Area) -> list[str]:
        form = ScelteForm(ente=area.ente, regole=area.piano.regole_applicate().valori)
        return [*form.fields, "da_confermare"]

    @extend_schema(summary="Scelte dell'ente", responses=ScelteSerializer)
    def get(self, request: Request, piano: int, ente: int) -> Response:
        area = carica_area(request, piano, ente)
        return _una_riga(ScelteEnte, area, self._campi(area), {})

    @extend_schema(
        summary="Salva le scelte",
        request=ScelteSerializer,
        responses=ScelteSerializer,
        parameters=[SE_CORRISPONDE],
    )
    def put(self, request: Request, piano: int, ente: int) -> Response:
        area = carica_area(request, piano, ente, per_modifica=True)
        istanza = _riga(ScelteEnte, area) or ScelteEnte(piano=area.piano, ente=area.ente)
        form = ScelteForm(
            _dati(request), instance=istanza, ente=area.ente, regole=area.piano.regole_applicate().valori
        )
        if not form.is_valid():
            raise DatiNonValidi(errori_dei_moduli(form))
        salva_scelte(
            piano=area.piano,
            ente=area.ente,
            utente=_utente(request),
            valori=form.valori(),
            versione=_versione(request),
        )
        return _una_riga(ScelteEnte, area, self._campi(area), {})


@extend_schema(tags=["dati dell'ente"], parameters=[AMBITO])
class AssegnazioniView(VistaApi):
    """k) Le unità SAP assegnate dall'ente nell'anno precedente, di cui per mobilità e in deroga."""

    campi = ["totale", "mobilita", "in_deroga"]

    @extend_schema(summary="Assegnazioni dell'anno precedente", responses=AssegnazioniSerializer)
    def get(self, request: Request, piano: int, ente: int) -> Response:
        area = carica_area(request, piano, ente)
        return _una_riga(AssegnazioniAnnoPrecedente, area, self.campi, VUOTE_ASSEGNAZIONI)

    @extend_schema(
        summary="Dichiara le assegnazioni",
        request=AssegnazioniSerializer,
        responses=AssegnazioniSerializer,
        parameters=[SE_CORRISPONDE],
    )
    def put(self, request: Request, piano: int, ente: int) -> Response:
        area = carica_area(request, piano, ente, per_modifica=True)
        istanza = _riga(AssegnazioniAnnoPrecedente, area) or AssegnazioniAnnoPrecedente(
            piano=area.piano, ente=area.ente
        )
        form = AssegnazioniForm(_dati(request), instance=istanza)
        if not form.is_valid():
            raise DatiNonValidi(errori_dei_moduli(form))
        salva_assegnazioni(
            piano=area.piano,
            ente=area.ente,
            utente=_utente(request),
            valori=form.valori(),
            versione=_versione(request),
        )
        return _una_riga(AssegnazioniAnnoPrecedente, area, self.campi, VUOTE_ASSEGNAZIONI)
