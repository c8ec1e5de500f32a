"""Controlli di coerenza: the named checks that find contradictions in a plan's input data.

Each check has a code, a severity and an Italian message naming the ente, comune or unit at fault.
Errors block sending the draft to ALER and the approval; warnings are shown. Rules that a single
row can break are database constraints instead (``VINCOLI``): the database refuses such a row, and
``messaggio_vincolo`` turns the refusal into the Italian message the user sees.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError

from patrimonio.models import Stato, TipoServizio

from .models import StatoRisposta
from .sezioni import Anomalia, DatiPiano, PianoCalcolato, quota_arrotondata_per_eccesso

ERRORE = "errore"
AVVISO = "avviso"

STATI = dict(Stato.choices)


@dataclass(frozen=True)
class Controllo:
    codice: str
    gravita: str
    titolo: str
    sezione: str
    esegui: Callable[[DatiPiano, PianoCalcolato], Iterator[Anomalia]]


def _ente(dati: DatiPiano, ente_id: int) -> str:
    return dati.enti[ente_id].denominazione


def _unita(id_regionale: str | None, codice_ente: str) -> str:
    ident = id_regionale or "senza ID regionale"
    return f"{ident} ({codice_ente})" if codice_ente else ident


# --------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------


def unita_in_due_sezioni(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for s in dati.due_sezioni:
        u = s.unita
        yield Anomalia(
            "U01",
            ERRORE,
            f"L'unità {_unita(u.id_regionale, u.codice_ente)} di {u.ente} nel comune di {u.comune} è dichiarata "
            f"«{STATI[s.stato]}» ma è inserita anche nel programma di ristrutturazione «{s.programma}»: "
            "va contata in una sola sezione.",
            "b–f",
            ente_id=u.ente_id,
            comune_id=u.comune_id,
            unita_id=u.pk,
        )


def normalizza_id_regionale(valore: str) -> str:
    """The form of an ID regionale used to compare them: no separators, no leading zeros."""
    return re.sub(r"[\s./-]", "", valore).upper().lstrip("0")


def id_regionale_ripetuto(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    # Identical IDs are refused by the database; these differ only in how they were written.
    gruppi: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    for unita_id, id_regionale, ente_id in dati.id_regionali:
        gruppi[normalizza_id_regionale(id_regionale)].append((unita_id, id_regionale, ente_id))
    for chiave, membri in sorted(gruppi.items()):
        if len(membri) > 1:
            elenco = ", ".join(f"«{i}» ({_ente(dati, e)})" for _, i, e in membri)
            yield Anomalia(
                "U02",
                ERRORE,
                f"L'ID regionale {chiave} è attribuito a {len(membri)} unità diverse: {elenco}.",
                "b–f",
                ente_id=membri[0][2],
                unita_id=membri[0][0],
            )


def unita_senza_id(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    gruppi: dict[tuple[int, int, str, str], int] = defaultdict(int)
    for c in dati.conteggi:
        if c.senza_id and c.ente_id in dati.enti:
            gruppi[(c.ente_id, c.comune_id, c.comune_nome, c.stato)] += c.senza_id
    for (ente_id, comune_id, comune, stato), numero in sorted(
        gruppi.items(), key=lambda kv: (_ente(dati, kv[0][0]), kv[0][2], kv[0][3])
    ):
        yield Anomalia(
            "U03",
            AVVISO,
            f"{_ente(dati, ente_id)}: {numero} unità «{STATI[stato]}» nel comune di {comune} senza ID regionale "
            "(non comunicato).",
            "b–f",
            ente_id=ente_id,
            comune_id=comune_id,
        )


def unita_fuori_ambito(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for c in dati.conteggi:
        if c.comune_ambito_id != dati.piano.ambito_id and c.ente_id in dati.enti:
            yield Anomalia(
                "U04",
                ERRORE,
                f"{_ente(dati, c.ente_id)}: {c.numero} unità «{STATI[c.stato]}» nel comune di {c.comune_nome}, "
                f"comune che non fa parte dell'ambito «{dati.piano.ambito.nome}».",
                "b–f",
                ente_id=c.ente_id,
                comune_id=c.comune_id,
            )


def unita_sas_nelle_sezioni_sap(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for c in dati.conteggi:
        if c.tipo == TipoServizio.SAS and c.ente_id in dati.enti:
            yield Anomalia(
                "U05",
                AVVISO,
                f"{_ente(dati, c.ente_id)}: {c.numero} unità SAS nel comune di {c.comune_nome} "
                f"dichiarate «{STATI[c.stato]}»; le sezioni b–g contano solo le unità SAP, perciò non "
                "sono conteggiate.",
                "b–f",
                ente_id=c.ente_id,
                comune_id=c.comune_id,
            )


# --------------------------------------------------------------------------------------------
# Consistenza and declared totals
# --------------------------------------------------------------------------------------------


def unita_oltre_consistenza(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for ente_id, consistenza in dati.consistenze.items():
        if ente_id not in dati.enti or not consistenza.comunicata:
            continue
        for tipo, dichiarate in ((TipoServizio.SAP, consistenza.sap), (TipoServizio.SAS, consistenza.sas)):
            elencate = dati.registro_per_tipo.get((ente_id, tipo), 0)
            if elencate > dichiarate:
                yield Anomalia(
                    "C01",
                    ERRORE,
                    f"{_ente(dati, ente_id)} elenca {elencate} unità {tipo} ma ne ha dichiarate {dichiarate} "
                    "nella consistenza del patrimonio.",
                    "a",
                    ente_id=ente_id,
                )


def consistenza_non_comunicata(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for ente in calcolo.a.non_comunicata:
        yield Anomalia(
            "C02",
            AVVISO,
            f"{ente.denominazione} possiede patrimonio abitativo pubblico ma non ne ha comunicato la "
            "consistenza: non compare nella tabella a).",
            "a",
            ente_id=ente.id,
        )
    enti_con_unita = {ente_id for ente_id, _ in dati.registro_per_tipo}
    for ente_id in sorted(enti_con_unita - set(dati.consistenze), key=lambda e: _ente(dati, e)):
        if ente_id in dati.enti:
            yield Anomalia(
                "C02",
                AVVISO,
                f"{_ente(dati, ente_id)} ha unità abitative registrate ma nessuna consistenza dichiarata "
                "per il piano.",
                "a",
                ente_id=ente_id,
            )


UNITA = "dalle unità e dai conteggi elencati"
CAMPI_RIEPILOGO = (
    ("disponibili", "U.I. disponibili nell'anno", UNITA, lambda r: r.disponibili),
    ("libere_turnover", "U.I. libere e per turn-over", UNITA, lambda r: r.libere_turnover),
    ("carenza_manutentiva", "U.I. in carenza manutentiva", UNITA, lambda r: r.carenza),
    (
        "nuove_ristrutturate",
        "U.I. di nuova edificazione o ristrutturazione",
        UNITA,
        lambda r: r.nuove_ristrutturate,
    ),
    (
        "transitori",
        "U.I. per servizi abitativi transitori",
        "dalle destinazioni ai SAT (sezione j)",
        lambda r: r.transitori,
    ),
    ("conferite_privati", "U.I. conferite da privati", UNITA, lambda r: r.conferite),
)


# Columns the platform report repeats from section a and from the ente's choices (h, i.b, k).
CONSISTENZA = "dalla consistenza dichiarata (sezione a)"
SCELTE = "dalle scelte dell'ente nel piano"
CAMPI_RIEPILOGO_RIPETUTI = (
    ("sap", "U.I. SAP", CONSISTENZA, lambda r: r.sap),
    ("sas", "U.I. SAS", CONSISTENZA, lambda r: r.sas),
    (
        "assegnate_anno_precedente",
        "U.I. assegnate l'anno precedente",
        "dalle assegnazioni dichiarate (sezione k)",
        lambda r: r.assegnate_anno_precedente,
    ),
    (
        "soglia_indigenti",
        "punti di soglia per gli indigenti oltre il 20%",
        SCELTE,
        lambda r: r.soglia_indigenti,
    ),
    ("forze_polizia", "% di U.I. per le Forze di Polizia", SCELTE, lambda r: r.forze_polizia),
)


def riepilogo_diverso_dalle_unita(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    calcolati = {r.ente.id: r for r in calcolo.allegato_a}
    for ente_id, riepilogo in sorted(dati.riepiloghi.items(), key=lambda kv: _ente(dati, kv[0])):
        riga = calcolati.get(ente_id)
        if riga is None:
            continue
        for campo, descrizione, fonte, calcolato in CAMPI_RIEPILOGO + CAMPI_RIEPILOGO_RIPETUTI:
            dichiarato, risulta = getattr(riepilogo, campo), calcolato(riga)
            # An empty platform cell declares nothing; an unknown consistenza cannot be compared.
            if dichiarato is not None and risulta is not None and dichiarato != risulta:
                yield Anomalia(
                    "D01",
                    ERRORE,
                    f"{_ente(dati, ente_id)} ha dichiarato in piattaforma {dichiarato} {descrizione}, ma "
                    f"{fonte} ne risultano {risulta}.",
                    "Allegato A",
                    ente_id=ente_id,
                )


# --------------------------------------------------------------------------------------------
# SAT, Forze di Polizia, turnover
# --------------------------------------------------------------------------------------------


def sat_oltre_disponibili(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    disponibili = {(r.ente.id, r.comune): r.totale for r in calcolo.g.righe}
    for r in calcolo.j.righe:
        base = disponibili.get((r.ente.id, r.comune), 0)
        if r.numero > base:
            yield Anomalia(
                "S01",
                ERRORE,
                f"{r.ente.denominazione} destina {r.numero} unità ai servizi abitativi transitori nel comune di {r.comune}, "
                f"ma vi ha {base} unità disponibili nell'anno: le unità SAT devono essere tra quelle della "
                "tabella g).",
                "j",
                ente_id=r.ente.id,
            )


def sat_oltre_dieci_per_cento(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    disponibili = {r.ente.id: r.totale for r in calcolo.g.per_ente}
    sat: dict[int, int] = defaultdict(int)
    for r in calcolo.j.righe:
        sat[r.ente.id] += r.numero
    for ente_id, numero in sorted(sat.items(), key=lambda kv: _ente(dati, kv[0])):
        base = disponibili.get(ente_id, 0)
        if numero * 100 > base * 10:
            dieci_per_cento = str(Decimal(base) / 10).replace(".", ",")
            yield Anomalia(
                "S02",
                AVVISO,
                f"{_ente(dati, ente_id)} destina ai SAT {numero} unità su {base} disponibili nell'anno, "
                f"oltre il 10% ({dieci_per_cento} unità).",
                "j",
                ente_id=ente_id,
            )


def forze_polizia_senza_unita(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for r in calcolo.ib.righe:
        if r.disponibili == 0:
            yield Anomalia(
                "F01",
                AVVISO,
                f"{r.ente.denominazione} riserva il {r.percentuale}% delle unità alle Forze di Polizia ma non ha "
                "unità disponibili nell'anno: la quota non produce alcuna unità.",
                "i.b",
                ente_id=r.ente.id,
            )
        elif r.unita != quota_arrotondata_per_eccesso(r.percentuale, r.disponibili):  # pragma: no cover
            raise AssertionError("quota Forze di Polizia calcolata in modo incoerente")


def turnover_senza_unita(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for t in dati.turnover:
        ente = dati.enti.get(t.ente_id)
        if ente is None:
            continue
        proprie = ente.is_comune and ente.comune_id == t.comune_id and dati.possiede_patrimonio(ente.id)
        if not proprie and (t.ente_id, t.comune_id) not in dati.registro_coppie:
            yield Anomalia(
                "T01",
                ERRORE,
                f"{ente.denominazione} prevede {t.numero} unità liberate per turn-over nel comune di {t.comune.nome}, dove "
                "non possiede unità abitative.",
                "e",
                ente_id=ente.id,
                comune_id=t.comune_id,
            )


# --------------------------------------------------------------------------------------------
# Ricognizione
# --------------------------------------------------------------------------------------------


def proprietario_senza_risposta(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for ente in sorted(dati.enti.values(), key=lambda e: e.denominazione):
        if ente.is_comune and dati.possiede_patrimonio(ente.id) and not dati.ha_risposto(ente.id):
            yield Anomalia(
                "R01",
                AVVISO,
                f"{ente.denominazione} possiede patrimonio abitativo pubblico ma non ha risposto alla "
                "ricognizione (L.R. 16/2016 art. 6).",
                "ricognizione",
                ente_id=ente.id,
            )


def niente_da_dichiarare_con_unita(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    dichiarate: dict[int, int] = defaultdict(int)
    for c in dati.conteggi:
        dichiarate[c.ente_id] += c.numero
    for t in dati.turnover:
        dichiarate[t.ente_id] += t.numero
    for s in dati.sat:
        dichiarate[s.ente_id] += s.numero
    for ente_id, risposta in dati.risposte.items():
        if (
            risposta.stato == StatoRisposta.NIENTE_DA_DICHIARARE
            and dichiarate.get(ente_id)
            and ente_id in dati.enti
        ):
            yield Anomalia(
                "R02",
                ERRORE,
                f"{_ente(dati, ente_id)} ha risposto «nulla da dichiarare» ma per il piano risultano "
                f"{dichiarate[ente_id]} unità dichiarate (stati, turn-over o SAT).",
                "ricognizione",
                ente_id=ente_id,
            )


CONTROLLI: tuple[Controllo, ...] = (
    Controllo("U01", ERRORE, "Unità in due sezioni", "b–f", unita_in_due_sezioni),
    Controllo("U02", ERRORE, "Stesso ID regionale su più unità", "b–f", id_regionale_ripetuto),
    Controllo("U03", AVVISO, "Unità senza ID regionale", "b–f", unita_senza_id),
    Controllo("U04", ERRORE, "Unità in un comune fuori dall'ambito", "b–f", unita_fuori_ambito),
    Controllo("U05", AVVISO, "Unità SAS dichiarate nelle sezioni SAP", "b–f", unita_sas_nelle_sezioni_sap),
    Controllo("C01", ERRORE, "Unità elencate oltre la consistenza dichiarata", "a", unita_oltre_consistenza),
    Controllo("C02", AVVISO, "Consistenza non comunicata", "a", consistenza_non_comunicata),
    Controllo(
        "D01",
        ERRORE,
        "Totali dichiarati diversi dalle unità elencate",
        "Allegato A",
        riepilogo_diverso_dalle_unita,
    ),
    Controllo("S01", ERRORE, "Unità SAT oltre le disponibili", "j", sat_oltre_disponibili),
    Controllo("S02", AVVISO, "Unità SAT oltre il 10%", "j", sat_oltre_dieci_per_cento),
    Controllo(
        "F01", AVVISO, "Quota Forze di Polizia senza unità disponibili", "i.b", forze_polizia_senza_unita
    ),
    Controllo("T01", ERRORE, "Turn-over dove l'ente non ha unità", "e", turnover_senza_unita),
    Controllo(
        "R01", AVVISO, "Comune proprietario senza risposta", "ricognizione", proprietario_senza_risposta
    ),
    Controllo(
        "R02",
        ERRORE,
        "«Nulla da dichiarare» con unità dichiarate",
        "ricognizione",
        niente_da_dichiarare_con_unita,
    ),
)


def verifica(dati: DatiPiano, calcolo: PianoCalcolato) -> tuple[Anomalia, ...]:
    """Run every check; errors first, then warnings, each in catalogue order."""
    anomalie = [a for controllo in CONTROLLI for a in controllo.esegui(dati, calcolo)]
    return tuple(sorted(anomalie, key=lambda a: a.gravita != ERRORE))


# --------------------------------------------------------------------------------------------
# Rules enforced by the database
# --------------------------------------------------------------------------------------------

VINCOLI: dict[str, str] = {
    "scelte_forze_polizia_0_10": (
        "La quota di unità per le Forze di Polizia e i Vigili del Fuoco va da 0 a 10% (art. 7 bis R.R. 4/2017)."
    ),
    "scelte_soglia_indigenti_0_80": "La soglia per gli indigenti eccedente il 20% va da 0 a 80 punti percentuali.",
    "assegnazioni_mobilita_entro_totale": (
        "Le assegnazioni per mobilità non possono superare il totale delle assegnazioni dell'anno precedente."
    ),
    "assegnazioni_deroga_entro_totale": (
        "Le assegnazioni in deroga non possono superare il totale delle assegnazioni dell'anno precedente."
    ),
    "unita_id_regionale_unico": "Questo ID regionale è già attribuito a un'altra unità abitativa.",
    "unita_codice_ente_unico_per_ente": "Questo codice è già usato dall'ente per un'altra unità abitativa.",
    "stato_unico_per_unita_e_piano": "L'unità ha già uno stato in questo piano: un'unità sta in una sola sezione.",
    "consistenza_sap_sas_entrambi_o_nessuno": "Indicare sia gli alloggi SAP sia gli alloggi SAS, o nessuno dei due.",
    "turnover_positivo": "Il numero di alloggi liberati per turn-over deve essere almeno 1.",
    "sat_positivo": "Il numero di unità destinate ai SAT deve essere almeno 1.",
    "comune_codice_istat_6_cifre": "Il codice ISTAT è composto da 6 cifre.",
}


def messaggio_vincolo(errore: IntegrityError) -> str:
    """The Italian message for a row the database refused, naming the rule it breaks."""
    testo = str(errore)
    for nome, messaggio in VINCOLI.items():
        if nome in testo:
            return messaggio
    return "I dati non rispettano un vincolo di integrità del piano e non sono stati salvati."
