"""The stored facts the computation reads, loaded once with a fixed number of queries.

``DatiPiano.carica(piano)`` runs the same grouped queries for an ambito of 50 units or of 50,000;
the sections (``parte_prima``, ``parte_seconda``, ``allegati``) and the checks (``controlli``) only
read what it loaded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import CharField, Count, F, Func, Q, QuerySet, Value
from django.db.models.functions import Replace, Upper

from ambito.models import Ambito, Comune
from misure.models import (
    Avviso,
    InterventoRiqualificazione,
    Misura,
    MisuraPiano,
    Progettualita,
    QuotaErogata,
    QuotaSolidarieta,
    RipartoSolidarieta,
    UtilizzoResiduo,
)
from patrimonio.models import (
    ID_REGIONALE_IRREGOLARE,
    EnteProprietario,
    TipoEnte,
    TipoServizio,
    UnitaAbitativa,
    UnitaQuerySet,
)
from piano_annuale.models import (
    RISPOSTE_DATE,
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    PianoAnnuale,
    RegoleAnno,
    RiepilogoDichiarato,
    RispostaRicognizione,
    ScelteEnte,
    Stato,
    StatoRisposta,
    StatoUnita,
    StatoUnitaQuerySet,
    TurnoverPrevisto,
)

from .tipi import Ente, UnitaElencata


@dataclass
class DatiMisure:
    """The stored facts of Parte seconda and terza, read with a fixed number of queries (12)."""

    misure: list[MisuraPiano]
    delibere_misure: dict[int, list[str]]  # misura id → «DGR 6970/2022», … by year
    quote: dict[int, list[QuotaErogata]]  # misura_piano id → «di cui» lines
    residuo_di: dict[int, list[tuple[int, str]]]  # quota id → (misura id, nome)
    utilizzi: dict[int, list[UtilizzoResiduo]]  # misura_piano id → uses of the residual
    avvisi: list[Avviso]
    misure_avvisi: dict[int, list[str]]  # avviso id → names of the measures it opened
    comuni_avvisi: dict[int, list[tuple[int, str, int | None]]]  # avviso id → (comune, nome, ambito)
    riparto: RipartoSolidarieta | None
    quote_solidarieta: list[QuotaSolidarieta]
    riqualificazione: list[InterventoRiqualificazione]
    progettualita: list[Progettualita]

    @classmethod
    def carica(cls, piano: PianoAnnuale) -> DatiMisure:
        delibere: dict[int, list[str]] = defaultdict(list)
        for misura_id, numero, anno in (
            Misura.delibere.through.objects.filter(misura__dati_annuali__piano=piano)
            .order_by("delibera__anno", "delibera__numero")
            .values_list("misura_id", "delibera__numero", "delibera__anno")
        ):
            delibere[misura_id].append(f"DGR {numero}/{anno}")
        quote: dict[int, list[QuotaErogata]] = defaultdict(list)
        for quota in QuotaErogata.objects.filter(misura_piano__piano=piano).select_related("delibera"):
            quote[quota.misura_piano_id].append(quota)
        residuo_di: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for quota_id, misura_id, nome in (
            QuotaErogata.residuo_di.through.objects.filter(quotaerogata__misura_piano__piano=piano)
            .order_by("misura__ordine", "misura__nome")
            .values_list("quotaerogata_id", "misura_id", "misura__nome")
        ):
            residuo_di[quota_id].append((misura_id, nome))
        utilizzi: dict[int, list[UtilizzoResiduo]] = defaultdict(list)
        for uso in UtilizzoResiduo.objects.filter(misura_piano__piano=piano).select_related(
            "misura_destinataria"
        ):
            utilizzi[uso.misura_piano_id].append(uso)
        misure_avvisi: dict[int, list[str]] = defaultdict(list)
        for avviso_id, nome in (
            Avviso.misure.through.objects.filter(avviso__piano=piano)
            .order_by("misura__ordine", "misura__nome")
            .values_list("avviso_id", "misura__nome")
        ):
            misure_avvisi[avviso_id].append(nome)
        comuni_avvisi: dict[int, list[tuple[int, str, int | None]]] = defaultdict(list)
        for avviso_id, comune_id, nome, ambito_id in Avviso.comuni_aderenti.through.objects.filter(
            avviso__piano=piano
        ).values_list("avviso_id", "comune_id", "comune__nome", "comune__ambito_id"):
            comuni_avvisi[avviso_id].append((comune_id, nome, ambito_id))
        return cls(
            misure=list(MisuraPiano.objects.filter(piano=piano).select_related("misura")),
            delibere_misure=delibere,
            quote=quote,
            residuo_di=residuo_di,
            utilizzi=utilizzi,
            avvisi=list(Avviso.objects.filter(piano=piano).select_related("delibera")),
            misure_avvisi=misure_avvisi,
            comuni_avvisi=comuni_avvisi,
            riparto=RipartoSolidarieta.objects.filter(piano=piano).select_related("delibera").first(),
            quote_solidarieta=list(
                QuotaSolidarieta.objects.filter(piano=piano).select_related("ente", "aggregazione_indicata")
            ),
            riqualificazione=list(
                InterventoRiqualificazione.objects.filter(piano=piano).select_related("ente")
            ),
            progettualita=list(Progettualita.objects.filter(piano=piano).select_related("promotore")),
        )


@dataclass
class Conteggio:
    ente_id: int
    comune_id: int
    comune_nome: str
    comune_ambito_id: int | None
    tipo: str
    stato: str
    programma: str
    numero: int
    senza_id: int


@dataclass
class DatiPiano:
    """Everything the computation reads, loaded with a fixed number of queries."""

    piano: PianoAnnuale
    comuni: list[Comune]
    enti: dict[int, Ente]
    gestori: dict[int, int | None]  # ente id → gestore id
    consistenze: dict[int, ConsistenzaDichiarata]  # the ente's total (section a)
    # ente id → comune id → the consistenza declared there (the optional breakdown per comune)
    consistenze_per_comune: dict[int, dict[int, ConsistenzaDichiarata]]
    conteggi: list[Conteggio]
    turnover: list[TurnoverPrevisto]
    risposte: dict[int, RispostaRicognizione]
    scelte: dict[int, ScelteEnte]
    sat: list[DestinazioneSAT]
    assegnazioni: dict[int, AssegnazioniAnnoPrecedente]
    riepiloghi: dict[int, RiepilogoDichiarato]
    elencate: list[UnitaElencata]  # free units of every ente, and every listed unit of ALER
    registro_per_tipo: dict[tuple[int, str], int]  # (ente, SAP/SAS) → units in the registry
    registro_coppie: set[tuple[int, int]]  # (ente, comune) where the ente has units
    due_sezioni: list[StatoUnita]
    # (unit id, ID regionale, ente id) of the units whose normalised ID another unit shares
    id_regionali: list[tuple[int, str, int]]
    misure: DatiMisure  # Parte seconda and terza
    regole: RegoleAnno  # the rule set the plan is computed under
    carenze: list[StatoUnita]  # units in carenza manutentiva with their cost, where the rules ask for it

    @classmethod
    def carica(cls, piano: PianoAnnuale) -> DatiPiano:
        piano = PianoAnnuale.objects.select_related("ambito__comune_capofila").get(pk=piano.pk)
        ambito = piano.ambito
        comuni = list(
            Comune.objects.dell_ambito(ambito)
            .con_popolazione(piano.data_popolazione)
            .select_related("aggregazione")
        )
        enti, gestori = _enti(ambito)
        stati = StatoUnita.objects.del_piano(piano)
        registro = UnitaAbitativa.objects.dell_ambito(ambito)
        regole = _regole(piano)
        totali: dict[int, ConsistenzaDichiarata] = {}
        per_comune: dict[int, dict[int, ConsistenzaDichiarata]] = defaultdict(dict)
        for c in ConsistenzaDichiarata.objects.filter(piano=piano).order_by("ente_id", "comune_id"):
            if c.comune_id is None:
                totali[c.ente_id] = c
            else:
                per_comune[c.ente_id][c.comune_id] = c
        return cls(
            piano=piano,
            comuni=comuni,
            enti=enti,
            gestori=gestori,
            consistenze=totali,
            consistenze_per_comune=dict(per_comune),
            conteggi=_conteggi(stati),
            turnover=list(TurnoverPrevisto.objects.filter(piano=piano).select_related("comune")),
            risposte={r.ente_id: r for r in RispostaRicognizione.objects.filter(piano=piano)},
            scelte={s.ente_id: s for s in ScelteEnte.objects.filter(piano=piano)},
            sat=list(DestinazioneSAT.objects.filter(piano=piano).select_related("comune")),
            assegnazioni={a.ente_id: a for a in AssegnazioniAnnoPrecedente.objects.filter(piano=piano)},
            riepiloghi={r.ente_id: r for r in RiepilogoDichiarato.objects.filter(piano=piano)},
            elencate=_elencate(stati, enti),
            registro_per_tipo={(r["ente_id"], r["tipo"]): r["numero"] for r in registro.per_ente_e_tipo()},
            registro_coppie=set(registro.coppie_ente_comune()),
            due_sezioni=list(
                stati.in_due_sezioni().select_related("unita__ente", "unita__comune").order_by("unita__id")
            ),
            id_regionali=_id_regionali_ripetuti(registro),
            misure=DatiMisure.carica(piano),
            regole=regole,
            carenze=(
                list(
                    stati.filter(stato=Stato.CARENZA_MANUTENTIVA, unita__tipo=TipoServizio.SAP)
                    .select_related("unita__comune")
                    .order_by()
                )
                if regole.valori.con_costo_lavori
                else []
            ),
        )

    # Derived facts used by several sections.

    def ente_di_comune(self) -> dict[int, Ente]:
        """comune id → the comune's own ente."""
        return {e.comune_id: e for e in self.enti.values() if e.is_comune and e.comune_id is not None}

    def nomi_comuni(self) -> dict[int, str]:
        """comune id → name, for every comune a unit, a count or a choice refers to."""
        nomi = {c.pk: c.nome for c in self.comuni}
        nomi.update((c.comune_id, c.comune_nome) for c in self.conteggi)
        nomi.update((t.comune_id, t.comune.nome) for t in self.turnover)
        nomi.update((s.comune_id, s.comune.nome) for s in self.sat)
        return nomi

    def possiede_patrimonio(self, ente_id: int) -> bool:
        """An ente owns units when its consistenza is above zero or is declared but not communicated."""
        consistenza = self.consistenze.get(ente_id)
        if consistenza is None:
            return False
        return not consistenza.comunicata or (consistenza.totale or 0) > 0

    def ha_risposto(self, ente_id: int) -> bool:
        risposta = self.risposte.get(ente_id)
        return risposta is not None and risposta.stato in RISPOSTE_DATE

    def nel_piano(self, ente_id: int) -> bool:
        """Whether the ente's answer counts in the plan: given, or given and reopened by the ufficio
        di piano for a correction (its data still counts, and its errors still block)."""
        risposta = self.risposte.get(ente_id)
        return risposta is not None and (
            risposta.stato in RISPOSTE_DATE or risposta.stato == StatoRisposta.RIAPERTA
        )

    def nulla_da_dichiarare(self, ente_id: int) -> bool:
        risposta = self.risposte.get(ente_id)
        return risposta is not None and risposta.stato == StatoRisposta.NIENTE_DA_DICHIARARE

    def comuni_dichiarati(self, ente_id: int) -> set[int]:
        """The comuni where the ente declared, in its consistenza per comune, that it owns units."""
        return {
            comune_id
            for comune_id, c in self.consistenze_per_comune.get(ente_id, {}).items()
            if not c.comunicata or (c.totale or 0) > 0
        }

    def coppie_ente_comune(self) -> set[tuple[int, int]]:
        """(ente, comune) where the ente owns units: listed in the registry or declared per comune."""
        dichiarate = {
            (ente_id, comune_id)
            for ente_id in self.consistenze_per_comune
            for comune_id in self.comuni_dichiarati(ente_id)
        }
        return self.registro_coppie | dichiarate


def _regole(piano: PianoAnnuale) -> RegoleAnno:
    """The plan's recorded rule set, or the one in force on 1 January of its year: one query either way,
    so the computation's cost does not depend on whether the plan recorded its rules."""
    if piano.regole_id is not None:
        return RegoleAnno.objects.get(pk=piano.regole_id)
    regole = RegoleAnno.objects.in_vigore_al(piano.data_riferimento_regole)
    if regole is None:
        raise RegoleAnno.DoesNotExist(
            f"Nessuna regola in vigore al {piano.data_riferimento_regole:%d/%m/%Y}."
        )
    return regole


class _LTrim(Func):
    """``LTRIM(text, characters)``: the two-argument form PostgreSQL and SQLite share (Django's
    ``LTrim`` strips spaces only)."""

    function = "LTRIM"
    arity = 2
    output_field = CharField()


def id_regionale_normalizzato(campo: str = "id_regionale") -> _LTrim:
    """The database's form of ``controlli.normalizza_id_regionale``: no separators, upper case, no
    leading zeros. The stored ID holds only letters, digits, «.», «/» and «-» (a check constraint),
    so removing those three separators is the whole of the regex."""
    senza: Func = F(campo)  # type: ignore[assignment]  # an expression, as Replace takes
    for separatore in (".", "/", "-"):
        senza = Replace(senza, Value(separatore), Value(""))
    return _LTrim(Upper(senza), Value("0"))


def _id_regionali_ripetuti(registro: UnitaQuerySet) -> list[tuple[int, str, int]]:
    """The units whose normalised ID regionale another unit of the ambito shares, grouped by the
    database (GROUP BY … HAVING COUNT > 1) in one query; within a group, the registry's order.

    Identical IDs are refused by the unique constraint, so every group of two or more holds an ID that
    normalisation changes (``ID_REGIONALE_IRREGOLARE``, found through a partial index); the other
    members' stored IDs are that ID or its normalised form (found through the unique index). Only those
    candidates are grouped: the whole registry is neither read nor normalised.
    """
    irregolari = registro.filter(id_regionale__regex=ID_REGIONALE_IRREGOLARE).order_by()
    valori = irregolari.values_list("id_regionale").union(
        irregolari.annotate(chiave=id_regionale_normalizzato()).values_list("chiave")
    )
    candidati = registro.filter(id_regionale__in=valori).annotate(chiave=id_regionale_normalizzato())
    ripetute: QuerySet = (
        candidati.order_by()
        .values("chiave")
        .annotate(quante=Count("pk"))
        .filter(quante__gt=1)
        .values("chiave")
    )
    return list(candidati.filter(chiave__in=ripetute).values_list("id", "id_regionale", "ente_id"))


def _enti(ambito: Ambito) -> tuple[dict[int, Ente], dict[int, int | None]]:
    """The enti of the ambito (one query), and who manages each one's units."""
    enti: dict[int, Ente] = {}
    gestori: dict[int, int | None] = {}
    for riga in EnteProprietario.objects.dell_ambito(ambito).values(
        "id", "denominazione", "tipo", "gestore_id", "comune_id", nome_comune=F("comune__nome")
    ):
        enti[riga["id"]] = Ente(
            riga["id"], riga["denominazione"], riga["tipo"], riga["nome_comune"], riga["comune_id"]
        )
        gestori[riga["id"]] = riga["gestore_id"]
    return enti, gestori


def _conteggi(stati: StatoUnitaQuerySet) -> list[Conteggio]:
    """Units per ente, comune, type, state and programme (one grouped query)."""
    return [
        Conteggio(
            ente_id=r["ente_id"],
            comune_id=r["comune_id"],
            comune_nome=r["comune_nome"],
            comune_ambito_id=r["comune_ambito_id"],
            tipo=r["tipo"],
            stato=r["stato"],
            programma=r["programma"],
            numero=r["numero"],
            senza_id=r["senza_id"],
        )
        for r in stati.per_ente_comune_stato().annotate(
            comune_nome=F("unita__comune__nome"), comune_ambito_id=F("unita__comune__ambito_id")
        )
    ]


def _elencate(stati: StatoUnitaQuerySet, enti: dict[int, Ente]) -> list[UnitaElencata]:
    """The units listed one by one: free units of every ente, and every listed unit of ALER."""
    righe = (
        stati.filter(Q(stato=Stato.LIBERA) | Q(unita__ente__tipo=TipoEnte.ALER))
        .values(
            "stato",
            "stato_origine",
            "programma",
            ente_id=F("unita__ente_id"),
            comune_nome=F("unita__comune__nome"),
            id_regionale=F("unita__id_regionale"),
            codice_ente=F("unita__codice_ente"),
        )
        .order_by()
    )
    return [
        UnitaElencata(
            ente=enti[r["ente_id"]],
            comune=r["comune_nome"],
            id_regionale=r["id_regionale"],
            codice_ente=r["codice_ente"],
            stato=r["stato"],
            stato_origine=r["stato_origine"],
            programma=r["programma"],
        )
        for r in righe
        if r["ente_id"] in enti
    ]
