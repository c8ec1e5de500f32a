"""The whole plan of an ambito for a year, computed in one place.

``calcola_piano(piano)`` reads the stored facts with a fixed number of grouped queries (the same for
an ambito of 50 units or of 50,000) and returns one immutable ``PianoCalcolato``. Every rendering —
the page, the PDF, the exports, the API, the frozen versions — reads that result, so they cannot
disagree. Each part of the plan has its own typed function.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, Q

from ambito.models import Comune
from misure.models import (
    Avviso,
    InterventoRiqualificazione,
    Misura,
    MisuraPiano,
    Progettualita,
    Provenienza,
    QuotaErogata,
    QuotaSolidarieta,
    RipartoSolidarieta,
    UtilizzoResiduo,
)
from patrimonio.models import EnteProprietario, TipoEnte, TipoServizio, UnitaAbitativa
from piano_annuale.models import (
    RISPOSTE_DATE,
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    PianoAnnuale,
    RiepilogoDichiarato,
    RispostaRicognizione,
    ScelteEnte,
    Stato,
    StatoRisposta,
    StatoUnita,
    TurnoverPrevisto,
)

# Bump when the computation changes what it returns, so cached renderings are not reused.
VERSIONE_CALCOLO = 2  # 2: parte seconda e terza (misure)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def chiave_nome(nome: str) -> str:
    """Sort key that orders Italian names as a reader expects (accents and case ignored)."""
    senza_accenti = unicodedata.normalize("NFKD", nome).encode("ascii", "ignore").decode("ascii")
    return senza_accenti.casefold().replace("'", " ")


def percentuale(parte: int, totale: int, decimali: int = 0) -> Decimal | None:
    """``parte`` as a percentage of ``totale``, rounded half up; None when the total is zero."""
    if not totale:
        return None
    quanto = Decimal(1).scaleb(-decimali)
    return (Decimal(parte) * 100 / Decimal(totale)).quantize(quanto, rounding=ROUND_HALF_UP)


def quota_arrotondata_per_eccesso(percento: int, base: int) -> int:
    """``percento`` % of ``base`` rounded up (art. 7 bis R.R. 4/2017), in integer arithmetic."""
    return -(-percento * base // 100)


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ente:
    id: int
    denominazione: str
    tipo: str
    comune: str | None
    comune_id: int | None

    @property
    def is_comune(self) -> bool:
        return self.tipo == TipoEnte.COMUNE


@dataclass(frozen=True)
class InfoPiano:
    id: int
    anno: int
    ambito: str
    comune_capofila: str | None
    ente_strumentale: str
    stato: str
    stato_descrizione: str
    data_popolazione: datetime.date


@dataclass(frozen=True)
class RigaPopolazione:
    posizione: int
    comune_id: int
    comune: str
    codice_istat: str
    abitanti: int | None
    famiglie: int | None


@dataclass(frozen=True)
class GruppoAggregazione:
    numero: int | None
    denominazione: str
    righe: tuple[RigaPopolazione, ...]
    totale: int


@dataclass(frozen=True)
class RigaDensita:
    comune: str
    superficie_kmq: Decimal
    abitanti: int
    densita: Decimal  # inhabitants per km², one decimal


@dataclass(frozen=True)
class Demografia:
    data_riferimento: datetime.date
    numero_comuni: int
    totale_abitanti: int
    classifica: tuple[RigaPopolazione, ...]
    aggregazioni: tuple[GruppoAggregazione, ...]
    densita: tuple[RigaDensita, ...]
    comuni_senza_sap: tuple[str, ...]
    abitanti_comuni_senza_sap: int
    quota_popolazione_senza_sap: Decimal | None
    comuni_senza_dato: tuple[str, ...]


@dataclass(frozen=True)
class Gestione:
    gestore: Ente
    comuni: tuple[str, ...]


@dataclass(frozen=True)
class Ricognizione:
    comuni_totali: int
    comuni_rispondenti: int
    tasso_risposta: Decimal | None
    comuni_proprietari: int
    proprietari_rispondenti: int
    tasso_risposta_proprietari: Decimal | None
    non_rispondenti: int
    non_rispondenti_patrimonio_zero: tuple[str, ...]
    non_rispondenti_solo_aler: tuple[str, ...]
    non_rispondenti_proprietari: tuple[str, ...]
    non_rispondenti_altri: tuple[str, ...]
    altri_enti: tuple[tuple[str, str], ...]  # (ente, stato della risposta) for ALER and operatori
    gestioni: tuple[Gestione, ...]


@dataclass(frozen=True)
class RigaConsistenza:
    ente: Ente
    totale: int
    sap: int
    sas: int


@dataclass(frozen=True)
class SezioneA:
    righe: tuple[RigaConsistenza, ...]
    totale: int
    sap: int
    sas: int
    non_comunicata: tuple[Ente, ...]
    patrimonio_zero: tuple[Ente, ...]


@dataclass(frozen=True)
class RigaConteggio:
    ente: Ente
    comune: str
    numero: int


@dataclass(frozen=True)
class TabellaConteggi:
    righe: tuple[RigaConteggio, ...]
    totale: int


@dataclass(frozen=True)
class RigaProgramma:
    ente: Ente
    comune: str
    programma: str
    numero: int


@dataclass(frozen=True)
class SezioneC:
    righe: tuple[RigaProgramma, ...]
    per_comune: tuple[RigaConteggio, ...]
    totale: int


@dataclass(frozen=True)
class UnitaElencata:
    ente: Ente
    comune: str
    id_regionale: str | None
    codice_ente: str
    stato: str
    stato_origine: str
    programma: str


@dataclass(frozen=True)
class SezioneE:
    libere: tuple[UnitaElencata, ...]
    libere_per_comune: tuple[RigaConteggio, ...]
    turnover: tuple[RigaConteggio, ...]
    totale_libere: int
    totale_turnover: int

    @property
    def totale(self) -> int:
        return self.totale_libere + self.totale_turnover

    @property
    def tabella_turnover(self) -> TabellaConteggi:
        """The turnover counts shaped like the other per-ente tables (b, d, f, j)."""
        return TabellaConteggi(righe=self.turnover, totale=self.totale_turnover)


@dataclass(frozen=True)
class RigaDisponibili:
    """Units assignable in the year for an ente in a comune (section g); ``liberi`` = e (free + turnover)."""

    ente: Ente | None
    comune: str | None
    libere: int
    turnover: int
    liberi: int
    ristrutturazione: int
    nuova_edificazione: int
    carenza: int
    conferite: int
    totale: int


@dataclass(frozen=True)
class SezioneG:
    righe: tuple[RigaDisponibili, ...]
    per_ente: tuple[RigaDisponibili, ...]
    totale: RigaDisponibili


@dataclass(frozen=True)
class RigaSoglia:
    ente: Ente
    eccedenza: int
    soglia_complessiva: int


@dataclass(frozen=True)
class RigaCategoria:
    ente: Ente
    categoria: str
    motivazione: str


@dataclass(frozen=True)
class RigaForzePolizia:
    ente: Ente
    percentuale: int
    disponibili: int
    unita: int


@dataclass(frozen=True)
class SezioneIB:
    righe: tuple[RigaForzePolizia, ...]
    totale_unita: int


@dataclass(frozen=True)
class RigaAssegnazioni:
    ente: Ente
    totale: int
    mobilita: int
    in_deroga: int


@dataclass(frozen=True)
class SezioneK:
    righe: tuple[RigaAssegnazioni, ...]
    totale: int
    mobilita: int
    in_deroga: int


@dataclass(frozen=True)
class RigaAllegatoA:
    ente: Ente
    sas: int | None
    sap: int | None
    disponibili: int
    libere_turnover: int
    carenza: int
    nuove_ristrutturate: int
    transitori: int
    assegnate_anno_precedente: int
    conferite: int
    categoria: str
    soglia_indigenti: int
    forze_polizia: int


@dataclass(frozen=True)
class GruppoLotto:
    programma: str
    unita: tuple[UnitaElencata, ...]
    totale: int


@dataclass(frozen=True)
class AllegatoB:
    unita: tuple[UnitaElencata, ...]  # free and carenza units (sections b, e)
    lotti: tuple[GruppoLotto, ...]  # units in renovation programmes (section c)
    totale_lotti: int


@dataclass(frozen=True)
class RigaSintesiDisponibili:
    gruppo: str
    numero_comuni: int
    liberi: int
    ristrutturazione: int
    carenza: int
    conferite: int
    totale: int


@dataclass(frozen=True)
class QuoteSintesiDisponibili:
    gruppo: str
    liberi: Decimal | None
    ristrutturazione: Decimal | None
    carenza: Decimal | None
    conferite: Decimal | None
    totale: Decimal | None


@dataclass(frozen=True)
class RigaSintesiPatrimonio:
    gruppo: str
    numero_comuni: int
    sap: int
    sas: int
    totale: int


@dataclass(frozen=True)
class QuoteSintesiPatrimonio:
    gruppo: str
    sap: Decimal | None
    sas: Decimal | None
    totale: Decimal | None


@dataclass(frozen=True)
class Sintesi:
    """The two summary tables the Assemblea dei Sindaci receives (TAB 1 and TAB 2 of the verbale)."""

    disponibili: tuple[RigaSintesiDisponibili, ...]
    quote_disponibili: tuple[QuoteSintesiDisponibili, ...]
    patrimonio: tuple[RigaSintesiPatrimonio, ...]
    quote_patrimonio: tuple[QuoteSintesiPatrimonio, ...]


@dataclass(frozen=True)
class Anomalia:
    codice: str
    gravita: str  # "errore" blocks sending to ALER and approval; "avviso" does not
    messaggio: str
    sezione: str
    ente_id: int | None = None
    comune_id: int | None = None
    unita_id: int | None = None


@dataclass(frozen=True)
class PianoCalcolato:
    versione: int
    piano: InfoPiano
    demografia: Demografia
    ricognizione: Ricognizione
    a: SezioneA
    b: TabellaConteggi
    c: SezioneC
    d: TabellaConteggi
    e: SezioneE
    f: TabellaConteggi
    g: SezioneG
    h: tuple[RigaSoglia, ...]
    i: tuple[RigaCategoria, ...]
    ib: SezioneIB
    j: TabellaConteggi
    k: SezioneK
    allegato_a: tuple[RigaAllegatoA, ...]
    allegato_b: AllegatoB
    sintesi: Sintesi
    anomalie: tuple[Anomalia, ...]
    # Parte seconda (misure) and terza (altre progettualità); None only in results built by hand.
    parte_seconda: ParteSeconda | None = None
    parte_terza: ParteTerza | None = None

    @property
    def errori(self) -> tuple[Anomalia, ...]:
        return tuple(a for a in self.anomalie if a.gravita == "errore")

    @property
    def avvisi(self) -> tuple[Anomalia, ...]:
        return tuple(a for a in self.anomalie if a.gravita == "avviso")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def as_json(self, **kwargs: Any) -> str:
        return json.dumps(self.as_dict(), cls=EncoderPiano, ensure_ascii=False, **kwargs)


class EncoderPiano(json.JSONEncoder):
    """JSON for the computed plan: Decimals as strings (exact), dates as ISO 8601."""

    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return str(o)
        if isinstance(o, datetime.date):
            return o.isoformat()
        return super().default(o)


# --------------------------------------------------------------------------------------------
# The stored facts, read once
# --------------------------------------------------------------------------------------------


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
    consistenze: dict[int, ConsistenzaDichiarata]
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
    id_regionali: list[tuple[int, str, int]]  # (unit id, ID regionale, ente id)
    misure: DatiMisure  # Parte seconda and terza

    @classmethod
    def carica(cls, piano: PianoAnnuale) -> DatiPiano:
        piano = PianoAnnuale.objects.select_related("ambito__comune_capofila").get(pk=piano.pk)
        ambito = piano.ambito
        comuni = list(
            Comune.objects.dell_ambito(ambito)
            .con_popolazione(piano.data_popolazione)
            .select_related("aggregazione")
        )
        enti: dict[int, Ente] = {}
        gestori: dict[int, int | None] = {}
        for riga in EnteProprietario.objects.dell_ambito(ambito).values(
            "id", "denominazione", "tipo", "gestore_id", "comune_id", nome_comune=F("comune__nome")
        ):
            enti[riga["id"]] = Ente(
                riga["id"], riga["denominazione"], riga["tipo"], riga["nome_comune"], riga["comune_id"]
            )
            gestori[riga["id"]] = riga["gestore_id"]

        stati = StatoUnita.objects.del_piano(piano)
        conteggi = [
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
        elencate_qs = (
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
        elencate = [
            UnitaElencata(
                ente=enti[r["ente_id"]],
                comune=r["comune_nome"],
                id_regionale=r["id_regionale"],
                codice_ente=r["codice_ente"],
                stato=r["stato"],
                stato_origine=r["stato_origine"],
                programma=r["programma"],
            )
            for r in elencate_qs
            if r["ente_id"] in enti
        ]
        registro = UnitaAbitativa.objects.dell_ambito(ambito)
        return cls(
            piano=piano,
            comuni=comuni,
            enti=enti,
            gestori=gestori,
            consistenze={c.ente_id: c for c in ConsistenzaDichiarata.objects.filter(piano=piano)},
            conteggi=conteggi,
            turnover=list(TurnoverPrevisto.objects.filter(piano=piano).select_related("comune")),
            risposte={r.ente_id: r for r in RispostaRicognizione.objects.filter(piano=piano)},
            scelte={s.ente_id: s for s in ScelteEnte.objects.filter(piano=piano)},
            sat=list(DestinazioneSAT.objects.filter(piano=piano).select_related("comune")),
            assegnazioni={a.ente_id: a for a in AssegnazioniAnnoPrecedente.objects.filter(piano=piano)},
            riepiloghi={r.ente_id: r for r in RiepilogoDichiarato.objects.filter(piano=piano)},
            elencate=elencate,
            registro_per_tipo={(r["ente_id"], r["tipo"]): r["numero"] for r in registro.per_ente_e_tipo()},
            registro_coppie=set(registro.coppie_ente_comune()),
            due_sezioni=list(
                stati.in_due_sezioni().select_related("unita__ente", "unita__comune").order_by("unita__id")
            ),
            id_regionali=list(
                registro.filter(id_regionale__isnull=False).values_list("id", "id_regionale", "ente_id")
            ),
            misure=DatiMisure.carica(piano),
        )

    # Derived facts used by several sections.

    def ente_di_comune(self) -> dict[int, Ente]:
        """comune id → the comune's own ente."""
        return {e.comune_id: e for e in self.enti.values() if e.is_comune}

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


def ordina_enti(ente: Ente) -> tuple[int, str]:
    """Comuni first, then ALER, then operatori accreditati; alphabetically within each."""
    rango = {TipoEnte.COMUNE: 0, TipoEnte.ALER: 1, TipoEnte.OPERATORE: 2}.get(ente.tipo, 3)
    return rango, chiave_nome(ente.comune or ente.denominazione)


def ordina_righe(righe: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(sorted(righe, key=lambda r: (ordina_enti(r.ente), chiave_nome(r.comune))))


# --------------------------------------------------------------------------------------------
# The sections
# --------------------------------------------------------------------------------------------


def info_piano(dati: DatiPiano) -> InfoPiano:
    piano = dati.piano
    capofila = piano.ambito.comune_capofila
    return InfoPiano(
        id=piano.pk,
        anno=piano.anno,
        ambito=piano.ambito.nome,
        comune_capofila=capofila.nome if capofila else None,
        ente_strumentale=piano.ambito.ente_strumentale,
        stato=piano.stato,
        stato_descrizione=piano.get_stato_display(),
        data_popolazione=piano.data_popolazione,
    )


def demografia(dati: DatiPiano) -> Demografia:
    """Population ranking, population per aggregazione, density, and comuni without own SAP units."""
    comuni = dati.comuni
    ordinati = sorted(comuni, key=lambda c: (-(c.abitanti or 0), chiave_nome(c.nome)))
    classifica = tuple(
        RigaPopolazione(n, c.pk, c.nome, c.codice_istat, c.abitanti, c.famiglie)
        for n, c in enumerate(ordinati, start=1)
    )

    gruppi: dict[int | None, list[Comune]] = defaultdict(list)
    for comune in comuni:
        gruppi[comune.aggregazione.numero if comune.aggregazione else None].append(comune)
    aggregazioni = []
    posizione = 0
    for numero in sorted(gruppi, key=lambda n: (n is None, n or 0)):
        membri = sorted(gruppi[numero], key=lambda c: chiave_nome(c.nome))
        righe = []
        for comune in membri:
            posizione += 1
            righe.append(
                RigaPopolazione(
                    posizione, comune.pk, comune.nome, comune.codice_istat, comune.abitanti, comune.famiglie
                )
            )
        aggregazione = membri[0].aggregazione
        aggregazioni.append(
            GruppoAggregazione(
                numero=numero,
                denominazione=aggregazione.denominazione if aggregazione else "Senza aggregazione",
                righe=tuple(righe),
                totale=sum(c.abitanti or 0 for c in membri),
            )
        )

    densita = tuple(
        RigaDensita(
            comune=c.nome,
            superficie_kmq=c.superficie_kmq,
            abitanti=c.abitanti,
            densita=(Decimal(c.abitanti) / c.superficie_kmq).quantize(Decimal("0.1"), ROUND_HALF_UP),
        )
        for c in sorted(comuni, key=lambda c: chiave_nome(c.nome))
        if c.superficie_kmq and c.abitanti is not None
    )

    totale = sum(c.abitanti or 0 for c in comuni)
    enti = dati.ente_di_comune()
    senza_sap = []
    for comune in comuni:
        ente = enti.get(comune.pk)
        consistenza = dati.consistenze.get(ente.id) if ente else None
        # A comune whose consistenza was declared but not communicated does own units: not counted.
        if consistenza is None or (consistenza.comunicata and consistenza.sap == 0):
            senza_sap.append(comune)
    abitanti_senza_sap = sum(c.abitanti or 0 for c in senza_sap)
    return Demografia(
        data_riferimento=dati.piano.data_popolazione,
        numero_comuni=len(comuni),
        totale_abitanti=totale,
        classifica=classifica,
        aggregazioni=tuple(aggregazioni),
        densita=densita,
        comuni_senza_sap=tuple(sorted((c.nome for c in senza_sap), key=chiave_nome)),
        abitanti_comuni_senza_sap=abitanti_senza_sap,
        quota_popolazione_senza_sap=percentuale(abitanti_senza_sap, totale, 1),
        comuni_senza_dato=tuple(sorted((c.nome for c in comuni if c.abitanti is None), key=chiave_nome)),
    )


def ricognizione(dati: DatiPiano) -> Ricognizione:
    """Who answered the ricognizione, the response rates, and which comuni delegate management."""
    enti_comunali = [e for e in dati.enti.values() if e.is_comune]
    rispondenti = [e for e in enti_comunali if dati.ha_risposto(e.id)]
    proprietari = [e for e in enti_comunali if dati.possiede_patrimonio(e.id)]
    proprietari_rispondenti = [e for e in proprietari if dati.ha_risposto(e.id)]
    comuni_con_unita_altrui = {
        comune_id for ente_id, comune_id in dati.registro_coppie if not dati.enti[ente_id].is_comune
    }

    zero, solo_aler, proprietari_mancanti, altri = [], [], [], []
    for ente in sorted(enti_comunali, key=ordina_enti):
        if dati.ha_risposto(ente.id):
            continue
        consistenza = dati.consistenze.get(ente.id)
        if dati.possiede_patrimonio(ente.id):
            proprietari_mancanti.append(ente.comune)
        elif ente.comune_id in comuni_con_unita_altrui:
            solo_aler.append(ente.comune)
        elif consistenza is not None and consistenza.totale == 0:
            zero.append(ente.comune)
        else:
            altri.append(ente.comune)

    stato_risposta = dict(StatoRisposta.choices)
    altri_enti = tuple(
        (
            ente.denominazione,
            stato_risposta[dati.risposte[ente.id].stato] if ente.id in dati.risposte else "Nessuna risposta",
        )
        for ente in sorted(dati.enti.values(), key=ordina_enti)
        if not ente.is_comune
    )

    gestiti: dict[int, list[str]] = defaultdict(list)
    for ente_id, gestore_id in dati.gestori.items():
        if gestore_id is not None and gestore_id in dati.enti:
            gestiti[gestore_id].append(dati.enti[ente_id].comune or dati.enti[ente_id].denominazione)
    gestioni = tuple(
        Gestione(dati.enti[g], tuple(sorted(nomi, key=chiave_nome)))
        for g, nomi in sorted(gestiti.items(), key=lambda kv: ordina_enti(dati.enti[kv[0]]))
    )

    return Ricognizione(
        comuni_totali=len(dati.comuni),
        comuni_rispondenti=len(rispondenti),
        tasso_risposta=percentuale(len(rispondenti), len(dati.comuni), 1),
        comuni_proprietari=len(proprietari),
        proprietari_rispondenti=len(proprietari_rispondenti),
        tasso_risposta_proprietari=percentuale(len(proprietari_rispondenti), len(proprietari), 1),
        non_rispondenti=len(enti_comunali) - len(rispondenti),
        non_rispondenti_patrimonio_zero=tuple(zero),
        non_rispondenti_solo_aler=tuple(solo_aler),
        non_rispondenti_proprietari=tuple(proprietari_mancanti),
        non_rispondenti_altri=tuple(altri),
        altri_enti=altri_enti,
        gestioni=gestioni,
    )


def sezione_a(dati: DatiPiano) -> SezioneA:
    """a) Consistenza del patrimonio per ente proprietario: total, SAP, SAS."""
    righe, non_comunicata, zero = [], [], []
    for ente_id, consistenza in dati.consistenze.items():
        ente = dati.enti.get(ente_id)
        if ente is None:
            continue
        if not consistenza.comunicata:
            non_comunicata.append(ente)
        elif consistenza.totale == 0:
            zero.append(ente)
        else:
            righe.append(RigaConsistenza(ente, consistenza.totale, consistenza.sap, consistenza.sas))
    righe.sort(key=lambda r: ordina_enti(r.ente))
    return SezioneA(
        righe=tuple(righe),
        totale=sum(r.totale for r in righe),
        sap=sum(r.sap for r in righe),
        sas=sum(r.sas for r in righe),
        non_comunicata=tuple(sorted(non_comunicata, key=ordina_enti)),
        patrimonio_zero=tuple(sorted(zero, key=ordina_enti)),
    )


def _conteggi_sap(dati: DatiPiano, stato: str) -> dict[tuple[int, int], int]:
    """(ente, comune) ids → SAP units in ``stato``. Sections b–g count SAP units only."""
    somme: dict[tuple[int, int], int] = defaultdict(int)
    for c in dati.conteggi:
        if c.stato == stato and c.tipo == TipoServizio.SAP and c.ente_id in dati.enti:
            somme[(c.ente_id, c.comune_id)] += c.numero
    return somme


def _tabella(dati: DatiPiano, somme: dict[tuple[int, int], int]) -> TabellaConteggi:
    nomi = dati.nomi_comuni()
    righe = ordina_righe(RigaConteggio(dati.enti[e], nomi[c], n) for (e, c), n in somme.items() if n)
    return TabellaConteggi(righe=righe, totale=sum(r.numero for r in righe))


def sezione_b(dati: DatiPiano) -> TabellaConteggi:
    """b) SAP units in carenza manutentiva, assignable as they are (R.R. 4/2017 art. 10)."""
    return _tabella(dati, _conteggi_sap(dati, Stato.CARENZA_MANUTENTIVA))


def sezione_c(dati: DatiPiano) -> SezioneC:
    """c) SAP units in formalised renovation programmes, assignable in the year, per programme."""
    per_programma: dict[tuple[int, str, str], int] = defaultdict(int)
    for c in dati.conteggi:
        if c.stato == Stato.RISTRUTTURAZIONE and c.tipo == TipoServizio.SAP and c.ente_id in dati.enti:
            per_programma[(c.ente_id, c.comune_nome, c.programma)] += c.numero
    righe = tuple(
        sorted(
            (RigaProgramma(dati.enti[e], comune, prog, n) for (e, comune, prog), n in per_programma.items()),
            key=lambda r: (ordina_enti(r.ente), chiave_nome(r.comune), r.programma == "", r.programma),
        )
    )
    per_comune = _tabella(dati, _conteggi_sap(dati, Stato.RISTRUTTURAZIONE))
    return SezioneC(righe=righe, per_comune=per_comune.righe, totale=per_comune.totale)


def sezione_d(dati: DatiPiano) -> TabellaConteggi:
    """d) SAP units from new building, assignable in the year."""
    return _tabella(dati, _conteggi_sap(dati, Stato.NUOVA_EDIFICAZIONE))


def _turnover(dati: DatiPiano) -> dict[tuple[int, int], int]:
    somme: dict[tuple[int, int], int] = defaultdict(int)
    for t in dati.turnover:
        if t.ente_id in dati.enti:
            somme[(t.ente_id, t.comune_id)] += t.numero
    return somme


def sezione_e(dati: DatiPiano) -> SezioneE:
    """e) SAP units already free (listed), and units that will free up by turnover (counts)."""
    libere = tuple(
        sorted(
            (u for u in dati.elencate if u.stato == Stato.LIBERA),
            key=lambda u: (
                ordina_enti(u.ente),
                chiave_nome(u.comune),
                u.id_regionale is None,
                u.id_regionale or "",
            ),
        )
    )
    per_comune = _tabella(dati, _conteggi_sap(dati, Stato.LIBERA))
    turnover = _tabella(dati, _turnover(dati))
    return SezioneE(
        libere=libere,
        libere_per_comune=per_comune.righe,
        turnover=turnover.righe,
        totale_libere=per_comune.totale,
        totale_turnover=turnover.totale,
    )


def sezione_f(dati: DatiPiano) -> TabellaConteggi:
    """f) Units conferred by private owners and destined to SAP (L.R. 16/2016 art. 23 c. 2)."""
    return _tabella(dati, _conteggi_sap(dati, Stato.CONFERITA_PRIVATI))


def _riga_disponibili(ente: Ente | None, comune: str | None, valori: dict[str, int]) -> RigaDisponibili:
    libere, turnover = valori.get("libere", 0), valori.get("turnover", 0)
    parti = {
        "ristrutturazione": valori.get("ristrutturazione", 0),
        "nuova_edificazione": valori.get("nuova_edificazione", 0),
        "carenza": valori.get("carenza", 0),
        "conferite": valori.get("conferite", 0),
    }
    return RigaDisponibili(
        ente=ente,
        comune=comune,
        libere=libere,
        turnover=turnover,
        liberi=libere + turnover,
        totale=libere + turnover + sum(parti.values()),
        **parti,
    )


def sezione_g(dati: DatiPiano) -> SezioneG:
    """g) All SAP units assignable in the year, b + c + d + e + f, per ente and comune."""
    colonne = {
        "libere": _conteggi_sap(dati, Stato.LIBERA),
        "turnover": _turnover(dati),
        "ristrutturazione": _conteggi_sap(dati, Stato.RISTRUTTURAZIONE),
        "nuova_edificazione": _conteggi_sap(dati, Stato.NUOVA_EDIFICAZIONE),
        "carenza": _conteggi_sap(dati, Stato.CARENZA_MANUTENTIVA),
        "conferite": _conteggi_sap(dati, Stato.CONFERITA_PRIVATI),
    }
    per_coppia: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    per_ente: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totale: dict[str, int] = defaultdict(int)
    for nome, somme in colonne.items():
        for (ente_id, comune), n in somme.items():
            per_coppia[(ente_id, comune)][nome] = n
            per_ente[ente_id][nome] += n
            totale[nome] += n
    nomi = dati.nomi_comuni()
    righe = ordina_righe(
        _riga_disponibili(dati.enti[e], nomi[c], valori) for (e, c), valori in per_coppia.items()
    )
    righe = tuple(r for r in righe if r.totale)
    enti = tuple(
        sorted(
            (_riga_disponibili(dati.enti[e], None, valori) for e, valori in per_ente.items()),
            key=lambda r: ordina_enti(r.ente),
        )
    )
    return SezioneG(righe=righe, per_ente=enti, totale=_riga_disponibili(None, None, totale))


def sezione_h(dati: DatiPiano) -> tuple[RigaSoglia, ...]:
    """h) Comuni whose quota for indigenti exceeds 20%, and by how much."""
    righe = [
        RigaSoglia(dati.enti[s.ente_id], s.soglia_indigenti_eccedente, 20 + s.soglia_indigenti_eccedente)
        for s in dati.scelte.values()
        if s.soglia_indigenti_eccedente and s.ente_id in dati.enti
    ]
    return tuple(sorted(righe, key=lambda r: ordina_enti(r.ente)))


def sezione_i(dati: DatiPiano) -> tuple[RigaCategoria, ...]:
    """i) Comuni with an additional category of particular social relevance (L.R. 16/2016 art. 23 c. 3)."""
    righe = [
        RigaCategoria(dati.enti[s.ente_id], s.categoria_aggiuntiva.strip(), s.motivazione_categoria.strip())
        for s in dati.scelte.values()
        if s.categoria_aggiuntiva.strip() and s.ente_id in dati.enti
    ]
    return tuple(sorted(righe, key=lambda r: ordina_enti(r.ente)))


def sezione_ib(dati: DatiPiano, g: SezioneG) -> SezioneIB:
    """i.b) Forze di Polizia quota per ente and the units it yields, rounded up (R.R. 4/2017 art. 7 bis)."""
    disponibili = {r.ente.id: r.totale for r in g.per_ente}
    righe = []
    for s in dati.scelte.values():
        if s.quota_forze_polizia and s.ente_id in dati.enti:
            base = disponibili.get(s.ente_id, 0)
            righe.append(
                RigaForzePolizia(
                    ente=dati.enti[s.ente_id],
                    percentuale=s.quota_forze_polizia,
                    disponibili=base,
                    unita=quota_arrotondata_per_eccesso(s.quota_forze_polizia, base),
                )
            )
    righe.sort(key=lambda r: ordina_enti(r.ente))
    return SezioneIB(righe=tuple(righe), totale_unita=sum(r.unita for r in righe))


def sezione_j(dati: DatiPiano) -> TabellaConteggi:
    """j) Units destined to servizi abitativi transitori, per ente and comune (among those of g)."""
    somme: dict[tuple[int, int], int] = defaultdict(int)
    for s in dati.sat:
        if s.ente_id in dati.enti:
            somme[(s.ente_id, s.comune_id)] += s.numero
    return _tabella(dati, somme)


def sezione_k(dati: DatiPiano) -> SezioneK:
    """k) SAP units assigned in the previous year per ente, of which by mobilità and in deroga."""
    righe = tuple(
        sorted(
            (
                RigaAssegnazioni(dati.enti[a.ente_id], a.totale, a.mobilita, a.in_deroga)
                for a in dati.assegnazioni.values()
                if a.ente_id in dati.enti and a.totale
            ),
            key=lambda r: ordina_enti(r.ente),
        )
    )
    return SezioneK(
        righe=righe,
        totale=sum(r.totale for r in righe),
        mobilita=sum(r.mobilita for r in righe),
        in_deroga=sum(r.in_deroga for r in righe),
    )


def allegato_a(dati: DatiPiano, g: SezioneG, j: TabellaConteggi) -> tuple[RigaAllegatoA, ...]:
    """Allegato A: the per-ente report with the columns of the regional platform's report.

    One row per ente that answered the ricognizione, computed from the same facts as sections a–k.
    """
    disponibili = {r.ente.id: r for r in g.per_ente}
    sat: dict[int, int] = defaultdict(int)
    for r in j.righe:
        sat[r.ente.id] += r.numero
    righe = []
    for ente in dati.enti.values():
        if not dati.ha_risposto(ente.id):
            continue
        consistenza = dati.consistenze.get(ente.id)
        scelte = dati.scelte.get(ente.id)
        assegnazioni = dati.assegnazioni.get(ente.id)
        riga_g = disponibili.get(ente.id) or _riga_disponibili(ente, None, {})
        righe.append(
            RigaAllegatoA(
                ente=ente,
                sas=consistenza.sas if consistenza else None,
                sap=consistenza.sap if consistenza else None,
                disponibili=riga_g.totale,
                libere_turnover=riga_g.liberi,
                carenza=riga_g.carenza,
                nuove_ristrutturate=riga_g.nuova_edificazione + riga_g.ristrutturazione,
                transitori=sat[ente.id],
                assegnate_anno_precedente=assegnazioni.totale if assegnazioni else 0,
                conferite=riga_g.conferite,
                categoria=(scelte.categoria_aggiuntiva.strip() if scelte else "") or "NO",
                soglia_indigenti=scelte.soglia_indigenti_eccedente if scelte else 0,
                forze_polizia=scelte.quota_forze_polizia if scelte else 0,
            )
        )
    return tuple(sorted(righe, key=lambda r: ordina_enti(r.ente)))


def allegato_b(dati: DatiPiano) -> AllegatoB:
    """Allegato B: ALER's unit detail for sections b, c and e, renovation units grouped by lotto."""
    aler = [u for u in dati.elencate if u.ente.tipo == TipoEnte.ALER]
    chiave = lambda u: (chiave_nome(u.comune), u.id_regionale or "", u.codice_ente)  # noqa: E731
    unita = tuple(
        sorted((u for u in aler if u.stato in (Stato.LIBERA, Stato.CARENZA_MANUTENTIVA)), key=chiave)
    )
    per_lotto: dict[str, list[UnitaElencata]] = defaultdict(list)
    for u in aler:
        if u.stato in (Stato.RISTRUTTURAZIONE, Stato.NUOVA_EDIFICAZIONE):
            per_lotto[u.programma].append(u)
    lotti = tuple(
        GruppoLotto(programma or "Senza lotto", tuple(sorted(membri, key=chiave)), len(membri))
        for programma, membri in sorted(per_lotto.items(), key=lambda kv: (kv[0] == "", chiave_nome(kv[0])))
    )
    return AllegatoB(unita=unita, lotti=lotti, totale_lotti=sum(lotto.totale for lotto in lotti))


GRUPPI = ((TipoEnte.COMUNE, "COMUNI"), (TipoEnte.ALER, "ALER"), (TipoEnte.OPERATORE, "OPERATORI ACCREDITATI"))


def sintesi(dati: DatiPiano, a: SezioneA, g: SezioneG) -> Sintesi:
    """TAB 1 (units available in the year) and TAB 2 (patrimonio): comuni vs ALER, with shares.

    ``numero_comuni`` is, per group, the comuni where that group has units; the AMBITO row adds the
    groups up, as the Assemblea's tables do (a comune may appear under both). For the patrimonio the
    ALER row counts the comuni where only ALER owns units.
    """
    presenti = {tipo for tipo, _ in GRUPPI if any(e.tipo == tipo for e in dati.enti.values())}
    gruppi = [(tipo, nome) for tipo, nome in GRUPPI if tipo in presenti or tipo != TipoEnte.OPERATORE]

    disponibili = []
    for tipo, nome in gruppi:
        righe = [r for r in g.righe if r.ente.tipo == tipo]
        disponibili.append(
            RigaSintesiDisponibili(
                gruppo=nome,
                numero_comuni=len({r.comune for r in righe}),
                liberi=sum(r.liberi for r in righe),
                ristrutturazione=sum(r.ristrutturazione + r.nuova_edificazione for r in righe),
                carenza=sum(r.carenza for r in righe),
                conferite=sum(r.conferite for r in righe),
                totale=sum(r.totale for r in righe),
            )
        )
    ambito_d = RigaSintesiDisponibili(
        "AMBITO",
        *(
            sum(getattr(r, campo) for r in disponibili)
            for campo in ("numero_comuni", "liberi", "ristrutturazione", "carenza", "conferite", "totale")
        ),
    )
    quote_d = tuple(
        QuoteSintesiDisponibili(
            r.gruppo,
            *(
                percentuale(getattr(r, c), getattr(ambito_d, c))
                for c in ("liberi", "ristrutturazione", "carenza", "conferite", "totale")
            ),
        )
        for r in (*disponibili, ambito_d)
    )

    comuni_propri = {
        e.comune_id for e in dati.enti.values() if e.is_comune and dati.possiede_patrimonio(e.id)
    }
    patrimonio = []
    for tipo, nome in gruppi:
        righe = [r for r in a.righe if r.ente.tipo == tipo]
        if tipo == TipoEnte.COMUNE:
            numero = len(righe)
        else:
            numero = len(
                {
                    comune_id
                    for ente_id, comune_id in dati.registro_coppie
                    if dati.enti[ente_id].tipo == tipo and comune_id not in comuni_propri
                }
            )
        patrimonio.append(
            RigaSintesiPatrimonio(
                gruppo=nome,
                numero_comuni=numero,
                sap=sum(r.sap for r in righe),
                sas=sum(r.sas for r in righe),
                totale=sum(r.totale for r in righe),
            )
        )
    ambito_p = RigaSintesiPatrimonio(
        "AMBITO", *(sum(getattr(r, c) for r in patrimonio) for c in ("numero_comuni", "sap", "sas", "totale"))
    )
    quote_p = tuple(
        QuoteSintesiPatrimonio(
            r.gruppo, *(percentuale(getattr(r, c), getattr(ambito_p, c)) for c in ("sap", "sas", "totale"))
        )
        for r in (*patrimonio, ambito_p)
    )
    return Sintesi(
        disponibili=(*disponibili, ambito_d),
        quote_disponibili=quote_d,
        patrimonio=(*patrimonio, ambito_p),
        quote_patrimonio=quote_p,
    )


# --------------------------------------------------------------------------------------------
# The whole plan
# --------------------------------------------------------------------------------------------


def calcola_piano(piano: PianoAnnuale) -> PianoCalcolato:
    """Compute every part of the plan from the stored facts, with a fixed number of queries."""
    from piano_annuale.controlli import verifica  # the checks read the computed sections

    dati = DatiPiano.carica(piano)
    a = sezione_a(dati)
    g = sezione_g(dati)
    j = sezione_j(dati)
    calcolo = PianoCalcolato(
        versione=VERSIONE_CALCOLO,
        piano=info_piano(dati),
        demografia=demografia(dati),
        ricognizione=ricognizione(dati),
        a=a,
        b=sezione_b(dati),
        c=sezione_c(dati),
        d=sezione_d(dati),
        e=sezione_e(dati),
        f=sezione_f(dati),
        g=g,
        h=sezione_h(dati),
        i=sezione_i(dati),
        ib=sezione_ib(dati, g),
        j=j,
        k=sezione_k(dati),
        allegato_a=allegato_a(dati, g, j),
        allegato_b=allegato_b(dati),
        sintesi=sintesi(dati, a, g),
        parte_seconda=parte_seconda(dati),
        parte_terza=parte_terza(dati),
        anomalie=(),
    )
    return dataclasses.replace(calcolo, anomalie=verifica(dati, calcolo))


# --------------------------------------------------------------------------------------------
# Parte seconda (misure) and Parte terza (altre progettualità)
# --------------------------------------------------------------------------------------------

ZERO = Decimal("0.00")
LETTERE = "abcdefghijklmnopqrstuvwxyz"


def in_euro(valore: Decimal) -> str:
    """«€ 188.331,50»: an amount as the plan prints it, whatever the active language."""
    return "€ " + f"{valore:,.2f}".replace(",", "§").replace(".", ",").replace("§", ".")


def elenco_italiano(voci: Iterable[str]) -> str:
    """«A», «A e B», «A, B e C»."""
    voci = list(voci)
    return voci[0] if len(voci) == 1 else f"{', '.join(voci[:-1])} e {voci[-1]}" if voci else ""


@dataclass(frozen=True)
class VoceDiCui:
    """A «di cui» line of the paid resources: one source of funding, its amount and applications."""

    voce: str
    provenienza: str
    delibera: str | None
    residuo_di: tuple[str, ...]  # names of the measures whose residual financed it
    residuo_di_id: tuple[int, ...]
    importo: Decimal | None
    domande_approvate: int | None


@dataclass(frozen=True)
class VoceUtilizzo:
    """How part of a measure's residual is used."""

    voce: str
    misura_destinataria: str | None
    misura_destinataria_id: int | None
    importo: Decimal


@dataclass(frozen=True)
class MisuraCalcolata:
    """A measure as the plan prints it (letter a, b, …), with what the checks need to compare."""

    id: int
    misura_id: int
    codice: str
    lettera: str
    titolo: str
    riferimenti: str  # «DGR 6970/2022 e DGR 1001/2023»
    descrizione: str
    risorse_impegnate: Decimal | None
    risorse_erogate: Decimal | None
    risorse_residue: Decimal | None
    di_cui: tuple[VoceDiCui, ...]
    utilizzi_residuo: tuple[VoceUtilizzo, ...]
    domande_pervenute: int | None
    domande_approvate: int | None
    domande_respinte: int | None
    note: str
    rinnovo_previsto: bool

    @property
    def domande_per_fonte(self) -> tuple[VoceDiCui, ...]:
        return tuple(d for d in self.di_cui if d.domande_approvate is not None)

    @property
    def somma_di_cui(self) -> Decimal | None:
        """Sum of the «di cui» amounts; None when no line gives one."""
        importi = [d.importo for d in self.di_cui if d.importo is not None]
        return sum(importi, ZERO) if importi else None

    @property
    def domande_di_cui(self) -> int | None:
        domande = [d.domande_approvate for d in self.domande_per_fonte]
        return sum(domande) if domande else None

    @property
    def erogato_su_impegno(self) -> Decimal | None:
        """Paid out of the measure's own committed resources: its «impegno» lines, or all it paid
        when no «di cui» line gives an amount."""
        if self.somma_di_cui is None:
            return self.risorse_erogate
        return sum(
            (
                d.importo
                for d in self.di_cui
                if d.importo is not None and d.provenienza == Provenienza.IMPEGNO
            ),
            ZERO,
        )

    @property
    def erogato_da_residui(self) -> Decimal:
        return sum(
            (
                d.importo
                for d in self.di_cui
                if d.importo is not None and d.provenienza == Provenienza.RESIDUO
            ),
            ZERO,
        )

    @property
    def somma_utilizzi(self) -> Decimal | None:
        return sum((u.importo for u in self.utilizzi_residuo), ZERO) if self.utilizzi_residuo else None


@dataclass(frozen=True)
class AvvisoCalcolato:
    id: int
    titolo: str
    numero: str
    data: datetime.date | None
    delibera: str | None
    misure: tuple[str, ...]
    comuni: tuple[str, ...]  # the comuni of the ambito that joined, alphabetically
    comuni_aderenti: int
    comuni_totali: int
    note: str

    @property
    def adesione(self) -> str:
        """«39 su 48»."""
        return f"{self.comuni_aderenti} su {self.comuni_totali}"


@dataclass(frozen=True)
class RigaSolidarieta:
    ente: Ente
    comune: str  # the comune's name; the ente's name for ALER and operatori
    aggregazione: str
    riparto: Decimal
    residuo: Decimal
    totale: Decimal

    @property
    def assegnazione(self) -> Decimal:
        """The new allocation (riparto), under the name the PDF template reads."""
        return self.riparto


@dataclass(frozen=True)
class TotaleSolidarieta:
    riparto: Decimal
    residuo: Decimal
    totale: Decimal

    @property
    def assegnazione(self) -> Decimal:
        return self.riparto


@dataclass(frozen=True)
class GruppoSolidarieta:
    numero: int | None  # the aggregazione's number; None for ALER, operatori, comuni without one
    denominazione: str
    righe: tuple[RigaSolidarieta, ...]
    totale: TotaleSolidarieta


@dataclass(frozen=True)
class VoceSintesiSolidarieta:
    codice: str  # "con_riparto", "solo_residuo", "senza_contributo"
    descrizione: str
    numero: int
    comuni: tuple[str, ...]


@dataclass(frozen=True)
class TabellaSolidarieta:
    """The contributo regionale di solidarietà split per aggregazione, with subtotals and summary."""

    anno_riparto: int | None
    delibera: str | None
    nota: str
    gruppi: tuple[GruppoSolidarieta, ...]
    totale: TotaleSolidarieta
    sintesi: tuple[VoceSintesiSolidarieta, ...]

    @property
    def righe(self) -> tuple[RigaSolidarieta, ...]:
        return tuple(r for g in self.gruppi for r in g.righe)

    def conteggio(self, codice: str) -> int:
        return next(v.numero for v in self.sintesi if v.codice == codice)


@dataclass(frozen=True)
class InterventoCalcolato:
    contesto: str
    ente: str | None
    titolo: str
    descrizione: str
    finanziamento: str
    importo: Decimal | None
    alloggi: int | None


@dataclass(frozen=True)
class ParteSeconda:
    misure: tuple[MisuraCalcolata, ...]
    avvisi: tuple[AvvisoCalcolato, ...]
    contributo_solidarieta: TabellaSolidarieta | None
    riqualificazione: tuple[InterventoCalcolato, ...]
    misure_in_rinnovo: tuple[str, ...]  # measures expected to be renewed in the plan's year

    @property
    def riqualificazione_per_contesto(self) -> tuple[tuple[str, tuple[InterventoCalcolato, ...]], ...]:
        """The renovation funds grouped by territorial context, in the order they were entered."""
        contesti: dict[str, list[InterventoCalcolato]] = {}
        for intervento in self.riqualificazione:
            contesti.setdefault(intervento.contesto, []).append(intervento)
        return tuple((contesto, tuple(voci)) for contesto, voci in contesti.items())


@dataclass(frozen=True)
class ProgettoCalcolato:
    titolo: str
    descrizione: str
    promotore: str | None
    partner: str
    periodo: str
    data_inizio: datetime.date | None
    data_fine: datetime.date | None
    costo: Decimal | None
    finanziamento: str


@dataclass(frozen=True)
class ParteTerza:
    progetti: tuple[ProgettoCalcolato, ...]


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


def misure_del_piano(dati: DatiPiano) -> tuple[MisuraCalcolata, ...]:
    """Parte seconda a, b, c, …: each measure with its resources, «di cui» lines and applications."""
    fatti = dati.misure
    ordinate = sorted(fatti.misure, key=lambda m: (m.misura.ordine, chiave_nome(m.misura.nome)))
    risultato = []
    for n, m in enumerate(ordinate):
        # a) … z), then aa), ab), … as documents continue a lettered list.
        lettera = LETTERE[n] if n < len(LETTERE) else LETTERE[n // 26 - 1] + LETTERE[n % 26]
        di_cui = tuple(
            VoceDiCui(
                voce=q.voce,
                provenienza=q.provenienza,
                delibera=str(q.delibera) if q.delibera else None,
                residuo_di=tuple(nome for _, nome in fatti.residuo_di.get(q.pk, [])),
                residuo_di_id=tuple(misura_id for misura_id, _ in fatti.residuo_di.get(q.pk, [])),
                importo=q.importo,
                domande_approvate=q.domande_approvate,
            )
            for q in sorted(fatti.quote.get(m.pk, []), key=lambda q: (q.ordine, q.pk))
        )
        utilizzi = tuple(
            VoceUtilizzo(
                voce=u.voce,
                misura_destinataria=u.misura_destinataria.nome if u.misura_destinataria else None,
                misura_destinataria_id=u.misura_destinataria_id,
                importo=u.importo,
            )
            for u in sorted(fatti.utilizzi.get(m.pk, []), key=lambda u: (u.ordine, u.pk))
        )
        risultato.append(
            MisuraCalcolata(
                id=m.pk,
                misura_id=m.misura_id,
                codice=m.misura.codice,
                lettera=lettera,
                titolo=m.misura.nome,
                riferimenti=elenco_italiano(fatti.delibere_misure.get(m.misura_id, [])),
                descrizione=m.misura.descrizione.strip(),
                risorse_impegnate=m.risorse_impegnate,
                risorse_erogate=m.risorse_erogate,
                risorse_residue=m.risorse_residue,
                di_cui=di_cui,
                utilizzi_residuo=utilizzi,
                domande_pervenute=m.domande_pervenute,
                domande_approvate=m.domande_approvate,
                domande_respinte=m.domande_respinte,
                note=m.note.strip(),
                rinnovo_previsto=m.rinnovo_previsto,
            )
        )
    return tuple(risultato)


def avvisi_del_piano(dati: DatiPiano) -> tuple[AvvisoCalcolato, ...]:
    """The avvisi, the measures each opened and how many comuni of the ambito joined («39 su 48»)."""
    ambito_id = dati.piano.ambito_id
    risultato = []
    for a in sorted(
        dati.misure.avvisi, key=lambda a: (a.data is None, a.data or datetime.date.min, a.titolo)
    ):
        comuni = sorted(
            (nome for _, nome, ambito in dati.misure.comuni_avvisi.get(a.pk, []) if ambito == ambito_id),
            key=chiave_nome,
        )
        risultato.append(
            AvvisoCalcolato(
                id=a.pk,
                titolo=a.titolo,
                numero=a.numero,
                data=a.data,
                delibera=str(a.delibera) if a.delibera else None,
                misure=tuple(dati.misure.misure_avvisi.get(a.pk, [])),
                comuni=tuple(comuni),
                comuni_aderenti=len(comuni),
                comuni_totali=len(dati.comuni),
                note=a.note.strip(),
            )
        )
    return tuple(risultato)


def _totale_solidarieta(righe: Iterable[RigaSolidarieta]) -> TotaleSolidarieta:
    righe = list(righe)
    return TotaleSolidarieta(
        riparto=sum((r.riparto for r in righe), ZERO),
        residuo=sum((r.residuo for r in righe), ZERO),
        totale=sum((r.totale for r in righe), ZERO),
    )


def _descrizione_sintesi(codice: str, numero: int, anno: int | None) -> str:
    """The summary's sentence after the number, singular or plural as Italian wants it."""
    uno = numero == 1
    riparto = f" (riparto {anno})" if anno else ""
    if codice == "con_riparto":
        return f"{'comune che ha' if uno else 'comuni che hanno'} ricevuto una nuova assegnazione{riparto}"
    if codice == "solo_residuo":
        return (
            f"{'comune che non ha' if uno else 'comuni che non hanno'} ricevuto una nuova assegnazione ma "
            f"{'dispone' if uno else 'dispongono'} di residui degli anni precedenti"
        )
    return f"{'comune che non dispone' if uno else 'comuni che non dispongono'} del contributo, né da riparto né da residui"


def contributo_solidarieta(dati: DatiPiano) -> TabellaSolidarieta | None:
    """Parte seconda e): the solidarity split per aggregazione, with subtotals and the summary.

    Rows are grouped by the aggregazione of the ente's comune (the one of the demographic tables);
    ALER and operatori come first, as their own group. The summary counts every comune of the ambito:
    one without a row has neither a new allocation nor residuals.
    """
    riparto = dati.misure.riparto
    if riparto is None and not dati.misure.quote_solidarieta:
        return None
    anno = riparto.anno_riparto if riparto else None
    comuni = {c.pk: c for c in dati.comuni}
    tipi = dict(TipoEnte.choices)
    per_gruppo: dict[tuple[int, int, str], list[RigaSolidarieta]] = defaultdict(list)
    per_ente: dict[int, RigaSolidarieta] = {}
    for q in dati.misure.quote_solidarieta:
        ente = dati.enti.get(q.ente_id)
        if ente is None:
            continue  # an ente of another ambito: reported by check M12, never counted
        comune = comuni.get(ente.comune_id) if ente.is_comune else None
        if not ente.is_comune:
            chiave = (0, ordina_enti(ente)[0], tipi.get(ente.tipo, ente.tipo))
        elif comune is not None and comune.aggregazione is not None:
            at = comune.aggregazione
            etichetta = f"AT {at.numero} – {at.denominazione}" if at.denominazione else f"AT {at.numero}"
            chiave = (1, at.numero, etichetta)
        else:
            chiave = (2, 0, "Senza aggregazione")
        riga = RigaSolidarieta(
            ente=ente,
            comune=ente.comune or ente.denominazione,
            aggregazione=chiave[2],
            riparto=q.riparto,
            residuo=q.residuo,
            totale=q.totale,
        )
        per_gruppo[chiave].append(riga)
        per_ente[ente.id] = riga
    gruppi = tuple(
        GruppoSolidarieta(
            numero=chiave[1] if chiave[0] == 1 else None,
            denominazione=chiave[2],
            righe=tuple(sorted(righe, key=lambda r: chiave_nome(r.comune))),
            totale=_totale_solidarieta(righe),
        )
        for chiave, righe in sorted(per_gruppo.items())
    )

    categorie: dict[str, list[str]] = {"con_riparto": [], "solo_residuo": [], "senza_contributo": []}
    enti_comunali = dati.ente_di_comune()
    for comune in dati.comuni:
        ente = enti_comunali.get(comune.pk)
        riga = per_ente.get(ente.id) if ente else None
        if riga is not None and riga.riparto > 0:
            categorie["con_riparto"].append(comune.nome)
        elif riga is not None and riga.residuo > 0:
            categorie["solo_residuo"].append(comune.nome)
        else:
            categorie["senza_contributo"].append(comune.nome)
    sintesi = tuple(
        VoceSintesiSolidarieta(
            codice=codice,
            descrizione=_descrizione_sintesi(codice, len(nomi), anno),
            numero=len(nomi),
            comuni=tuple(sorted(nomi, key=chiave_nome)),
        )
        for codice, nomi in categorie.items()
    )
    return TabellaSolidarieta(
        anno_riparto=anno,
        delibera=str(riparto.delibera) if riparto and riparto.delibera else None,
        nota=riparto.nota.strip() if riparto else "",
        gruppi=gruppi,
        totale=_totale_solidarieta(per_ente.values()),
        sintesi=sintesi,
    )


def riqualificazione(dati: DatiPiano) -> tuple[InterventoCalcolato, ...]:
    """Access to funds for renovating public housing, per ente, in the order entered."""
    return tuple(
        InterventoCalcolato(
            contesto=i.contesto,
            ente=i.ente.denominazione if i.ente else None,
            titolo=i.titolo,
            descrizione=i.descrizione.strip(),
            finanziamento=i.finanziamento,
            importo=i.importo,
            alloggi=i.alloggi,
        )
        for i in sorted(dati.misure.riqualificazione, key=lambda i: (i.ordine, i.pk))
    )


def parte_seconda(dati: DatiPiano) -> ParteSeconda:
    """Parte seconda: measures a, b, …, avvisi, contributo di solidarietà, renovation funds."""
    misure = misure_del_piano(dati)
    return ParteSeconda(
        misure=misure,
        avvisi=avvisi_del_piano(dati),
        contributo_solidarieta=contributo_solidarieta(dati),
        riqualificazione=riqualificazione(dati),
        misure_in_rinnovo=tuple(m.titolo for m in misure if m.rinnovo_previsto),
    )


def parte_terza(dati: DatiPiano) -> ParteTerza:
    """Parte terza: the other projects against housing hardship, in the order entered."""
    return ParteTerza(
        progetti=tuple(
            ProgettoCalcolato(
                titolo=p.titolo,
                descrizione=p.descrizione.strip(),
                promotore=p.promotore.denominazione if p.promotore else None,
                partner=p.partner.strip(),
                periodo=p.periodo,
                data_inizio=p.data_inizio,
                data_fine=p.data_fine,
                costo=p.costo,
                finanziamento=p.finanziamento.strip(),
            )
            for p in sorted(dati.misure.progettualita, key=lambda p: (p.ordine, p.pk))
        )
    )
