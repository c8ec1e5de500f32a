"""The regional overview: every ambito with the stage of its current plan, its deadlines, the
ricognizione's response rate, the units available in the year by category, its registry, the Forze
di Polizia and SAT units, its population and the units per 1,000 inhabitants.

Its cost does not grow with the number of ambiti: ``panoramica_regionale()`` runs the same queries
(``QUERY_PANORAMICA``) whether the region holds 2 ambiti or 90, and never computes a plan:

- the ambiti with their current plan (the latest year), population, enti and answers: one query with
  subqueries;
- the registry (SAP/SAS units per ambito), the declared states of the current plans' units, their
  turnover, SAT units, Forze di Polizia choices, the rule sets, and the approved plans' figures read
  from their frozen version's JSON inside the database: one grouped query each.

The figures that exist only in the computed plan (section g by category, i.b / d bis, j) come from,
in order: the frozen version's JSON for an approved plan; the computation in the cache for an open
plan (a small summary of it is cached beside it under the same revision, so the next overview reads
a few numbers, not the whole plan); otherwise a summary computed here from those grouped queries with
the computation's own rules (``calcolo.regole.arrotonda``), which the tests check against
``calcola_piano``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, F, IntegerField, JSONField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce

from ambito.models import Ambito, Popolazione
from patrimonio.models import EnteProprietario, TipoServizio, UnitaAbitativa
from piano_annuale.calcolo import PianoCalcolato, arrotonda, quota_arrotondata_per_eccesso
from piano_annuale.calcolo.cache import chiave, in_transazione
from piano_annuale.calcolo.regole import STATI_DISPONIBILI
from piano_annuale.calcolo.serializzazione import piano_da_json
from piano_annuale.models import (
    RISPOSTE_DATE,
    DestinazioneSAT,
    PianoAnnuale,
    RegoleAnno,
    RispostaRicognizione,
    ScelteEnte,
    Stato,
    StatoPiano,
    StatoUnita,
    TipoVersione,
    TurnoverPrevisto,
    VersionePiano,
)
from piano_annuale.models.regole import Parametri

# The database queries of one overview, whatever the number of ambiti (the tests assert it).
QUERY_PANORAMICA = 8

# Where the figures of section g, i.b / d bis and j of a plan come from.
FONTE_APPROVATA = "versione approvata"
FONTE_CACHE = "piano calcolato"
FONTE_DICHIARAZIONI = "dichiarazioni"
NESSUN_PIANO = "nessuno"  # the stage filter's value for ambiti without a plan

DURATA_RIEPILOGO = 7 * 24 * 3600


@dataclass(frozen=True)
class Disponibili:
    """The figures of a plan that only its computation states: SAP units available in the year by
    category (section g), the Forze di Polizia units (i.b until R.R. 2/2025, d bis art. 7 bis since)
    and the Polizia Locale ones (d bis art. 7 ter), the SAT units (j)."""

    libere: int = 0
    turnover: int = 0
    carenza: int = 0
    nuove_ristrutturate: int = 0
    conferite: int = 0
    totale: int = 0
    forze_polizia: int = 0
    polizia_locale: int = 0
    sat: int = 0

    @classmethod
    def dal_calcolo(cls, calcolo: PianoCalcolato) -> Disponibili:
        g = calcolo.g.totale
        return cls(
            libere=g.libere,
            turnover=g.turnover,
            carenza=g.carenza,
            nuove_ristrutturate=g.ristrutturazione + g.nuova_edificazione,
            conferite=g.conferite,
            totale=g.totale,
            forze_polizia=calcolo.ib.totale_unita + (calcolo.dbis.totale_7bis if calcolo.dbis else 0),
            polizia_locale=calcolo.dbis.totale_7ter if calcolo.dbis else 0,
            sat=calcolo.j.totale,
        )


@dataclass(frozen=True)
class RigaPanoramica:
    """One ambito in the regional overview."""

    ambito_id: int
    ambito: str
    provincia: str
    capofila: str
    piano_id: int | None
    anno: int | None
    stato: str  # a ``StatoPiano`` value, or ``NESSUN_PIANO``
    stato_descrizione: str
    scadenza_ricognizione: datetime.date | None
    scadenza_approvazione: datetime.date | None
    enti: int
    risposte: int
    tasso_risposta: Decimal | None
    libere: int
    turnover: int
    carenza: int
    nuove_ristrutturate: int
    conferite: int
    disponibili_sap: int
    disponibili_sas: int
    patrimonio_sap: int
    patrimonio_sas: int
    forze_polizia: int
    polizia_locale: int
    sat: int
    abitanti: int | None
    disponibili_per_mille: Decimal | None
    sap_per_mille: Decimal | None
    fonte: str  # where the computed figures come from (``FONTE_*``), "" without a plan


def per_mille(parte: int, abitanti: int | None) -> Decimal | None:
    """``parte`` per 1,000 inhabitants, two decimals; None without a population."""
    if not abitanti:
        return None
    return (Decimal(parte) * 1000 / Decimal(abitanti)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _tasso(parte: int, totale: int) -> Decimal | None:
    if not totale:
        return None
    return (Decimal(parte) * 100 / Decimal(totale)).quantize(Decimal("0.1"), ROUND_HALF_UP)


# --------------------------------------------------------------------------------------------
# The queries
# --------------------------------------------------------------------------------------------


def piani_correnti() -> Any:
    """Each ambito's latest plan, as a subquery (``piano__in=``)."""
    successivi = PianoAnnuale.objects.filter(ambito_id=OuterRef("ambito_id"), anno__gt=OuterRef("anno"))
    return PianoAnnuale.objects.filter(~Exists(successivi)).values("pk")


def _conta(queryset: Any, gruppo: str) -> Coalesce:
    """``COUNT(*)`` of ``queryset`` grouped by ``gruppo``, as a correlated subquery (0 when none)."""
    return Coalesce(
        Subquery(queryset.order_by().values(gruppo).annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def _ambiti() -> list[dict[str, Any]]:
    """Every ambito with its current plan, population at the plan's date, enti and answers (1 query)."""
    piano = PianoAnnuale.objects.filter(ambito_id=OuterRef("pk")).order_by("-anno")
    abitanti = (
        Popolazione.objects.filter(
            comune__ambito_id=OuterRef("pk"), data_riferimento=OuterRef("data_popolazione")
        )
        .order_by()
        .values("comune__ambito_id")
        .annotate(s=Sum("abitanti"))
        .values("s")[:1]
    )
    risposte = RispostaRicognizione.objects.filter(
        piano_id=OuterRef("piano_id"), ente__ambito_id=OuterRef("pk"), stato__in=RISPOSTE_DATE
    )
    righe = (
        Ambito.objects.annotate(
            piano_id=Subquery(piano.values("pk")[:1]),
            anno=Subquery(piano.values("anno")[:1]),
            stato=Subquery(piano.values("stato")[:1]),
            scadenza_ricognizione=Subquery(piano.values("scadenza_ricognizione")[:1]),
            data_popolazione=Subquery(piano.values("data_popolazione")[:1]),
            revisione=Subquery(piano.values("revisione")[:1]),
            regole_id=Subquery(piano.values("regole_id")[:1]),
            capofila=F("comune_capofila__nome"),
            provincia=F("comune_capofila__provincia"),
            abitanti=Subquery(abitanti),
            n_enti=_conta(EnteProprietario.objects.filter(ambito_id=OuterRef("pk")), "ambito_id"),
            n_risposte=_conta(risposte, "piano_id"),
        )
        .order_by("nome")
        .values(
            "pk",
            "nome",
            "piano_id",
            "anno",
            "stato",
            "scadenza_ricognizione",
            "revisione",
            "regole_id",
            "capofila",
            "provincia",
            "abitanti",
            "n_enti",
            "n_risposte",
        )
    )
    return [dict(r) for r in righe]


def _registro() -> dict[int, dict[str, int]]:
    """ambito id → SAP and SAS units in its enti's registries (1 grouped query)."""
    return {
        r["ambito_id"]: {"sap": r["sap"], "sas": r["sas"]}
        for r in UnitaAbitativa.objects.values(ambito_id=F("ente__ambito_id"))
        .annotate(
            sap=Count("pk", filter=Q(tipo=TipoServizio.SAP)), sas=Count("pk", filter=Q(tipo=TipoServizio.SAS))
        )
        .order_by()
    }


@dataclass
class _Dichiarazioni:
    """What the current plans' enti declared, grouped by the database (5 queries)."""

    # plan → (ente, comune) → state → SAP units; plan → SAS units available
    sap: dict[int, dict[tuple[int, int], dict[str, int]]]
    sas: dict[int, int]
    turnover: dict[int, dict[tuple[int, int], int]]
    sat: dict[int, int]
    # plan → (ente, its comune or None, 7 bis %, 7 ter %)
    scelte: dict[int, list[tuple[int, int | None, int, int]]]
    regole: list[RegoleAnno]

    @classmethod
    def carica(cls) -> _Dichiarazioni:
        correnti = piani_correnti()
        sap: dict[int, dict[tuple[int, int], dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
        sas: dict[int, int] = defaultdict(int)
        for r in (
            StatoUnita.objects.filter(
                piano__in=correnti,
                stato__in=STATI_DISPONIBILI,
                unita__ente__ambito_id=F("piano__ambito_id"),
            )
            .values("piano_id", "stato", ente_id=F("unita__ente_id"), comune_id=F("unita__comune_id"))
            .annotate(
                n_sap=Count("pk", filter=Q(unita__tipo=TipoServizio.SAP)),
                n_sas=Count("pk", filter=Q(unita__tipo=TipoServizio.SAS)),
            )
            .order_by()
        ):
            if r["n_sap"]:
                sap[r["piano_id"]][(r["ente_id"], r["comune_id"])][r["stato"]] = r["n_sap"]
            sas[r["piano_id"]] += r["n_sas"]
        turnover: dict[int, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
        for piano_id, ente_id, comune_id, numero in TurnoverPrevisto.objects.filter(
            piano__in=correnti, ente__ambito_id=F("piano__ambito_id")
        ).values_list("piano_id", "ente_id", "comune_id", "numero"):
            turnover[piano_id][(ente_id, comune_id)] += numero
        sat = dict(
            DestinazioneSAT.objects.filter(piano__in=correnti, ente__ambito_id=F("piano__ambito_id"))
            .values("piano_id")
            .annotate(n=Sum("numero"))
            .order_by()
            .values_list("piano_id", "n")
        )
        scelte: dict[int, list[tuple[int, int | None, int, int]]] = defaultdict(list)
        for piano_id, ente_id, comune_id, ambito_comune, ambito_piano, p7bis, p7ter in (
            ScelteEnte.objects.filter(piano__in=correnti, ente__ambito_id=F("piano__ambito_id"))
            .filter(Q(quota_forze_polizia__gt=0) | Q(quota_polizia_locale__gt=0))
            .values_list(
                "piano_id",
                "ente_id",
                "ente__comune_id",
                "ente__comune__ambito_id",
                "piano__ambito_id",
                "quota_forze_polizia",
                "quota_polizia_locale",
            )
        ):
            # A comune's d bis) quota counts only for a comune of the plan's ambito.
            scelte[piano_id].append(
                (ente_id, comune_id if ambito_comune == ambito_piano else None, p7bis, p7ter)
            )
        return cls(
            sap=sap,
            sas=sas,
            turnover=turnover,
            sat=sat,
            scelte=scelte,
            regole=list(RegoleAnno.objects.order_by("in_vigore_dal")),
        )

    def parametri(self, anno: int, regole_id: int | None) -> Parametri | None:
        """The plan's rule set: the recorded one, or the one in force on 1 January of its year."""
        if regole_id is not None:
            return next((r.valori for r in self.regole if r.pk == regole_id), None)
        in_vigore = [r for r in self.regole if r.in_vigore_dal <= datetime.date(anno, 1, 1)]
        return in_vigore[-1].valori if in_vigore else None

    def disponibili(self, piano_id: int, parametri: Parametri | None) -> Disponibili:
        """The plan's figures as ``calcola_piano`` states them, from the grouped declarations."""
        coppie: dict[tuple[int, int], int] = defaultdict(int)
        per_stato: dict[str, int] = defaultdict(int)
        for coppia, stati in self.sap.get(piano_id, {}).items():
            for stato, n in stati.items():
                per_stato[stato] += n
                coppie[coppia] += n
        turnover = self.turnover.get(piano_id, {})
        for coppia, n in turnover.items():
            coppie[coppia] += n
        forze_polizia, polizia_locale = self._quote(piano_id, parametri, coppie)
        totale_turnover = sum(turnover.values())
        return Disponibili(
            libere=per_stato[Stato.LIBERA],
            turnover=totale_turnover,
            carenza=per_stato[Stato.CARENZA_MANUTENTIVA],
            nuove_ristrutturate=per_stato[Stato.RISTRUTTURAZIONE] + per_stato[Stato.NUOVA_EDIFICAZIONE],
            conferite=per_stato[Stato.CONFERITA_PRIVATI],
            totale=sum(per_stato.values()) + totale_turnover,
            forze_polizia=forze_polizia,
            polizia_locale=polizia_locale,
            sat=self.sat.get(piano_id) or 0,
        )

    def _quote(
        self, piano_id: int, parametri: Parametri | None, coppie: dict[tuple[int, int], int]
    ) -> tuple[int, int]:
        """The Forze di Polizia and Polizia Locale units, as sections i.b and d bis compute them."""
        if parametri is None:
            return 0, 0
        quota = parametri.quota_polizia
        scelte = self.scelte.get(piano_id, [])
        if quota.per == "ente":
            per_ente: dict[int, int] = defaultdict(int)
            for (ente_id, _), n in coppie.items():
                per_ente[ente_id] += n
            return sum(
                quota_arrotondata_per_eccesso(p7bis, per_ente[e]) for e, _, p7bis, _ in scelte if p7bis
            ), 0
        per_comune: dict[int, list[int]] = defaultdict(list)
        for (_, comune_id), n in coppie.items():
            if n:
                per_comune[comune_id].append(n)
        u7bis = u7ter = 0
        for _, comune_scelto, p7bis, p7ter in scelte:
            if comune_scelto is None:
                continue
            p7ter_in_vigore = p7ter if quota.con_7ter else 0
            for n in per_comune.get(comune_scelto, []):
                u7bis += arrotonda(p7bis, n, quota.arrotondamento)
                u7ter += arrotonda(p7ter_in_vigore, n, quota.arrotondamento_7ter)
        return u7bis, u7ter


# The keys of an approved version's JSON that the overview reads, by ``Disponibili`` field.
_CHIAVI_JSON = {
    "libere": "g__totale__libere",
    "turnover": "g__totale__turnover",
    "carenza": "g__totale__carenza",
    "ristrutturazione": "g__totale__ristrutturazione",
    "nuova_edificazione": "g__totale__nuova_edificazione",
    "conferite": "g__totale__conferite",
    "totale": "g__totale__totale",
    "ib": "ib__totale_unita",
    "u7bis": "dbis__totale_7bis",
    "u7ter": "dbis__totale_7ter",
    "sat": "j__totale",
}


def _approvate() -> dict[int, Disponibili]:
    """plan → its figures as approved, read from the approved version's JSON by the database (1 query)."""
    righe = (
        VersionePiano.objects.filter(
            tipo=TipoVersione.APPROVATA, piano__in=piani_correnti(), piano__stato=StatoPiano.APPROVATA
        )
        .annotate(contenuto=Cast("dati_json", JSONField()))
        .annotate(**{nome: KT(f"contenuto__{percorso}") for nome, percorso in _CHIAVI_JSON.items()})
        .values("piano_id", *_CHIAVI_JSON)
    )

    def intero(valore: Any) -> int:
        return int(valore) if valore not in (None, "") else 0

    return {
        r["piano_id"]: Disponibili(
            libere=intero(r["libere"]),
            turnover=intero(r["turnover"]),
            carenza=intero(r["carenza"]),
            nuove_ristrutturate=intero(r["ristrutturazione"]) + intero(r["nuova_edificazione"]),
            conferite=intero(r["conferite"]),
            totale=intero(r["totale"]),
            forze_polizia=intero(r["ib"]) + intero(r["u7bis"]),
            polizia_locale=intero(r["u7ter"]),
            sat=intero(r["sat"]),
        )
        for r in righe
    }


def _chiave_riepilogo(chiave_piano: str) -> str:
    return f"{chiave_piano}:panoramica"


def _dalla_cache(chiavi: dict[int, str]) -> dict[int, Disponibili]:
    """plan → its figures from the cached computation, for the plans whose computation is cached.

    Two cache round trips at most, no database query: the small summaries first; for the plans that
    have none, the whole computation, whose summary is then stored beside it."""
    if not chiavi or in_transazione():
        return {}
    try:
        riepiloghi = cache.get_many([_chiave_riepilogo(c) for c in chiavi.values()])
        trovati = {
            p: riepiloghi[_chiave_riepilogo(c)]
            for p, c in chiavi.items()
            if isinstance(riepiloghi.get(_chiave_riepilogo(c)), Disponibili)
        }
        mancanti = {p: c for p, c in chiavi.items() if p not in trovati}
        if not mancanti:
            return trovati
        calcolati = cache.get_many(list(mancanti.values()))
        nuovi: dict[str, Disponibili] = {}
        for piano_id, c in mancanti.items():
            valore = calcolati.get(c)
            if isinstance(valore, str):
                valore = piano_da_json(valore)
            if isinstance(valore, PianoCalcolato):
                trovati[piano_id] = nuovi[_chiave_riepilogo(c)] = Disponibili.dal_calcolo(valore)
        if nuovi:
            cache.set_many(nuovi, timeout=DURATA_RIEPILOGO)
        return trovati
    except Exception:  # the cache is an optimisation: the declarations give the same figures
        return {}


# --------------------------------------------------------------------------------------------
# The overview
# --------------------------------------------------------------------------------------------


def scadenza_approvazione(anno: int) -> datetime.date:
    """The plan's approval deadline in the law: 31 December of the year before (R.R. 4/2017 art. 4)."""
    return datetime.date(anno - 1, 12, 31)


def panoramica_regionale() -> tuple[RigaPanoramica, ...]:
    """Every ambito, by name, with its figures: ``QUERY_PANORAMICA`` queries whatever their number."""
    ambiti = _ambiti()
    registro = _registro()
    dichiarazioni = _Dichiarazioni.carica()
    approvate = _approvate()
    aperti = {
        a["piano_id"]: chiave(a["piano_id"], a["revisione"], a["regole_id"])
        for a in ambiti
        if a["piano_id"] is not None and a["piano_id"] not in approvate
    }
    in_cache = _dalla_cache(aperti)
    stati = dict(StatoPiano.choices)
    righe = []
    for a in ambiti:
        piano_id = a["piano_id"]
        fonte = ""
        disponibili = Disponibili()
        if piano_id in approvate:
            disponibili, fonte = approvate[piano_id], FONTE_APPROVATA
        elif piano_id in in_cache:
            disponibili, fonte = in_cache[piano_id], FONTE_CACHE
        elif piano_id is not None:
            parametri = dichiarazioni.parametri(a["anno"], a["regole_id"])
            disponibili, fonte = dichiarazioni.disponibili(piano_id, parametri), FONTE_DICHIARAZIONI
        sas = dichiarazioni.sas.get(piano_id, 0) if piano_id is not None else 0
        patrimonio = registro.get(a["pk"], {})
        patrimonio_sap, patrimonio_sas = patrimonio.get("sap", 0), patrimonio.get("sas", 0)
        righe.append(
            RigaPanoramica(
                ambito_id=a["pk"],
                ambito=a["nome"],
                provincia=a["provincia"] or "",
                capofila=a["capofila"] or "",
                piano_id=piano_id,
                anno=a["anno"],
                stato=a["stato"] or NESSUN_PIANO,
                stato_descrizione=stati.get(a["stato"], "Nessun piano"),
                scadenza_ricognizione=a["scadenza_ricognizione"],
                scadenza_approvazione=scadenza_approvazione(a["anno"]) if a["anno"] else None,
                enti=a["n_enti"],
                risposte=a["n_risposte"],
                tasso_risposta=_tasso(a["n_risposte"], a["n_enti"]) if piano_id is not None else None,
                libere=disponibili.libere,
                turnover=disponibili.turnover,
                carenza=disponibili.carenza,
                nuove_ristrutturate=disponibili.nuove_ristrutturate,
                conferite=disponibili.conferite,
                disponibili_sap=disponibili.totale,
                disponibili_sas=sas,
                patrimonio_sap=patrimonio_sap,
                patrimonio_sas=patrimonio_sas,
                forze_polizia=disponibili.forze_polizia,
                polizia_locale=disponibili.polizia_locale,
                sat=disponibili.sat,
                abitanti=a["abitanti"],
                disponibili_per_mille=per_mille(disponibili.totale + sas, a["abitanti"]),
                sap_per_mille=per_mille(patrimonio_sap, a["abitanti"]),
                fonte=fonte,
            )
        )
    return tuple(righe)
