"""Checks on Parte prima: units, consistenza and declared totals, SAT, Forze di Polizia, turnover,
ricognizione (codes U, C, D, S, F, T, R)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from patrimonio.models import TipoServizio
from piano_annuale.calcolo.allegati import riga_allegato_a_di
from piano_annuale.calcolo.dati import DatiPiano
from piano_annuale.calcolo.helpers import quota_arrotondata_per_eccesso
from piano_annuale.calcolo.tipi import Anomalia, PianoCalcolato
from piano_annuale.models import StatoRisposta

from .base import AVVISO, ERRORE, STATI, descrivi_unita, nome_ente

# --------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------


def unita_in_due_sezioni(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for s in dati.due_sezioni:
        u = s.unita
        yield Anomalia(
            "U01",
            ERRORE,
            f"L'unità {descrivi_unita(u.id_regionale, u.codice_ente)} di {u.ente} nel comune di {u.comune} è dichiarata "
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
            elenco = ", ".join(f"«{i}» ({nome_ente(dati, e)})" for _, i, e in membri)
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
        gruppi.items(), key=lambda kv: (nome_ente(dati, kv[0][0]), kv[0][2], kv[0][3])
    ):
        yield Anomalia(
            "U03",
            AVVISO,
            f"{nome_ente(dati, ente_id)}: {numero} unità «{STATI[stato]}» nel comune di {comune} senza ID regionale "
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
                f"{nome_ente(dati, c.ente_id)}: {c.numero} unità «{STATI[c.stato]}» nel comune di {c.comune_nome}, "
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
                f"{nome_ente(dati, c.ente_id)}: {c.numero} unità SAS nel comune di {c.comune_nome} "
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
            if dichiarate is not None and elencate > dichiarate:
                yield Anomalia(
                    "C01",
                    ERRORE,
                    f"{nome_ente(dati, ente_id)} elenca {elencate} unità {tipo} ma ne ha dichiarate {dichiarate} "
                    "nella consistenza del patrimonio.",
                    "a",
                    ente_id=ente_id,
                )


def consistenza_per_comune_diversa(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    """The breakdown per comune adds up to the ente's total (section a), type by type."""
    for ente_id, per_comune in sorted(
        dati.consistenze_per_comune.items(), key=lambda kv: nome_ente(dati, kv[0])
    ):
        totale = dati.consistenze.get(ente_id)
        if ente_id not in dati.enti or not per_comune:
            continue
        comunicate = [c for c in per_comune.values() if c.comunicata]
        sap, sas = sum(c.sap or 0 for c in comunicate), sum(c.sas or 0 for c in comunicate)
        if totale is None or not totale.comunicata:
            yield Anomalia(
                "C03",
                AVVISO,
                f"{nome_ente(dati, ente_id)} ha dichiarato la consistenza in {len(per_comune)} comuni ma non "
                "quella complessiva: la tabella a) non la riporta.",
                "a",
                ente_id=ente_id,
            )
        elif len(comunicate) == len(per_comune) and (sap, sas) != (totale.sap, totale.sas):
            yield Anomalia(
                "C03",
                AVVISO,
                f"{nome_ente(dati, ente_id)}: la consistenza per comune somma {sap} alloggi SAP e {sas} SAS, "
                f"quella complessiva ne dichiara {totale.sap} SAP e {totale.sas} SAS.",
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
    for ente_id in sorted(enti_con_unita - set(dati.consistenze), key=lambda e: nome_ente(dati, e)):
        if ente_id in dati.enti:
            yield Anomalia(
                "C02",
                AVVISO,
                f"{nome_ente(dati, ente_id)} ha unità abitative registrate ma nessuna consistenza dichiarata "
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
    # Every ente that declared figures is compared, in Allegato A or not yet (not answered yet:
    # the ente sees the error before sending; reopened: it still blocks).
    calcolati = {r.ente.id: r for r in calcolo.allegato_a}
    for ente_id, riepilogo in sorted(
        ((e, r) for e, r in dati.riepiloghi.items() if e in dati.enti), key=lambda kv: nome_ente(dati, kv[0])
    ):
        riga = calcolati.get(ente_id) or riga_allegato_a_di(dati, dati.enti[ente_id], calcolo.g, calcolo.j)
        for campo, descrizione, fonte, calcolato in CAMPI_RIEPILOGO + CAMPI_RIEPILOGO_RIPETUTI:
            dichiarato, risulta = getattr(riepilogo, campo), calcolato(riga)
            # An empty platform cell declares nothing; an unknown consistenza cannot be compared.
            if dichiarato is not None and risulta is not None and dichiarato != risulta:
                yield Anomalia(
                    "D01",
                    ERRORE,
                    f"{nome_ente(dati, ente_id)} ha dichiarato in piattaforma {dichiarato} {descrizione}, ma "
                    f"{fonte} ne risultano {risulta}.",
                    "Allegato A",
                    ente_id=ente_id,
                )


# --------------------------------------------------------------------------------------------
# SAT, Forze di Polizia, turnover
# --------------------------------------------------------------------------------------------


def sat_oltre_disponibili(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    disponibili = {(r.ente.id, r.comune): r.totale for r in calcolo.g.righe if r.ente is not None}
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
    disponibili = {ente_id: r.totale for ente_id, r in calcolo.g.per_ente_id().items()}
    sat: dict[int, int] = defaultdict(int)
    for r in calcolo.j.righe:
        sat[r.ente.id] += r.numero
    for ente_id, numero in sorted(sat.items(), key=lambda kv: nome_ente(dati, kv[0])):
        base = disponibili.get(ente_id, 0)
        if numero * 100 > base * 10:
            dieci_per_cento = str(Decimal(base) / 10).replace(".", ",")
            yield Anomalia(
                "S02",
                AVVISO,
                f"{nome_ente(dati, ente_id)} destina ai SAT {numero} unità su {base} disponibili nell'anno, "
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
    # Where the ente owns units: listed in the registry, or declared in its consistenza per comune
    # (an ente whose units are not all listed one by one, e.g. ALER, declares them there).
    coppie = dati.coppie_ente_comune()
    for t in dati.turnover:
        ente = dati.enti.get(t.ente_id)
        if ente is None:
            continue
        proprie = ente.is_comune and ente.comune_id == t.comune_id and dati.possiede_patrimonio(ente.id)
        if not proprie and (t.ente_id, t.comune_id) not in coppie:
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
                f"{nome_ente(dati, ente_id)} ha risposto «nulla da dichiarare» ma per il piano risultano "
                f"{dichiarate[ente_id]} unità dichiarate (stati, turn-over o SAT).",
                "ricognizione",
                ente_id=ente_id,
            )
