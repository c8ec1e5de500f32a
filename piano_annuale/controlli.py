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

from ambito.models import AggregazioneTerritoriale
from misure.models import VINCOLI_MISURE, Provenienza
from patrimonio.models import TipoServizio
from piano_annuale.models import Stato

from .calcolo import (
    ZERO,
    Anomalia,
    DatiPiano,
    MisuraCalcolata,
    PianoCalcolato,
    chiave_nome,
    elenco_italiano,
    in_euro,
    quota_arrotondata_per_eccesso,
)
from .models import StatoRisposta

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


# --------------------------------------------------------------------------------------------
# Parte seconda: measures, residuals moved between measures, contributo di solidarietà, avvisi
# --------------------------------------------------------------------------------------------

PARTE_SECONDA = "Parte seconda"


def _misure(calcolo: PianoCalcolato) -> tuple[MisuraCalcolata, ...]:
    return calcolo.parte_seconda.misure if calcolo.parte_seconda else ()


def erogato_diverso_dal_di_cui(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for m in _misure(calcolo):
        somma = m.somma_di_cui
        if somma is None or m.risorse_erogate == somma:
            continue
        if m.risorse_erogate is None:
            testo = f"le voci «di cui» sommano {in_euro(somma)} ma le risorse erogate non sono indicate."
        else:
            testo = (
                f"le risorse erogate ({in_euro(m.risorse_erogate)}) non corrispondono alla somma delle voci "
                f"«di cui» ({in_euro(somma)}): differenza {in_euro(abs(m.risorse_erogate - somma))}."
            )
        yield Anomalia("M01", ERRORE, f"{m.titolo}: {testo}", PARTE_SECONDA)


def domande_diverse_dalle_fonti(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for m in _misure(calcolo):
        somma = m.domande_di_cui
        if somma is None or m.domande_approvate == somma:
            continue
        approvate = "non indicate" if m.domande_approvate is None else str(m.domande_approvate)
        yield Anomalia(
            "M02",
            ERRORE,
            f"{m.titolo}: le domande approvate e finanziate ({approvate}) non corrispondono alla somma delle "
            f"domande finanziate per fonte ({somma}).",
            PARTE_SECONDA,
        )


def residuo_diverso_da_impegnato_meno_erogato(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for m in _misure(calcolo):
        impegnate, erogate = m.risorse_impegnate, m.erogato_su_impegno
        if None in (m.risorse_residue, impegnate, erogate):
            continue
        atteso = impegnate - erogate
        if m.risorse_residue != atteso:
            yield Anomalia(
                "M03",
                ERRORE,
                f"{m.titolo}: le risorse residue ({in_euro(m.risorse_residue)}) non corrispondono alle risorse "
                f"impegnate ({in_euro(impegnate)}) meno quelle erogate a valere sull'impegno "
                f"({in_euro(erogate)}), cioè {in_euro(atteso) if atteso >= 0 else '− ' + in_euro(-atteso)}.",
                PARTE_SECONDA,
            )


def utilizzi_diversi_dal_residuo(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for m in _misure(calcolo):
        somma = m.somma_utilizzi
        if somma is None or m.risorse_residue == somma:
            continue
        if m.risorse_residue is None:
            testo = (
                f"indica come sono utilizzati {in_euro(somma)} di residuo ma non indica le risorse residue."
            )
        else:
            testo = (
                f"le risorse residue ({in_euro(m.risorse_residue)}) non corrispondono alla somma dei loro "
                f"utilizzi ({in_euro(somma)}): differenza {in_euro(abs(m.risorse_residue - somma))}."
            )
        yield Anomalia("M04", ERRORE, f"{m.titolo}: {testo}", PARTE_SECONDA)


def erogato_oltre_impegno(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for m in _misure(calcolo):
        impegnate, erogate = m.risorse_impegnate, m.erogato_su_impegno
        if impegnate is None or erogate is None or erogate <= impegnate:
            continue
        if m.somma_di_cui is None:
            testo = (
                f"le risorse erogate ({in_euro(erogate)}) superano quelle impegnate ({in_euro(impegnate)}) di "
                f"{in_euro(erogate - impegnate)}, e nessuna voce «di cui» indica da quali altre fonti provenga "
                "la differenza."
            )
        else:
            testo = (
                f"le voci «di cui» a valere sulle risorse impegnate sommano {in_euro(erogate)}, oltre le risorse "
                f"impegnate ({in_euro(impegnate)}) di {in_euro(erogate - impegnate)}."
            )
        yield Anomalia("M05", ERRORE, f"{m.titolo}: {testo}", PARTE_SECONDA)


def erogato_oltre_impegnato_da_altre_fonti(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for m in _misure(calcolo):
        impegnate, erogate = m.risorse_impegnate, m.risorse_erogate
        if impegnate is None or erogate is None or erogate <= impegnate:
            continue
        if m.erogato_su_impegno is not None and m.erogato_su_impegno > impegnate:
            continue  # M05: the commitment itself is exceeded
        yield Anomalia(
            "M06",
            AVVISO,
            f"{m.titolo}: le risorse erogate ({in_euro(erogate)}) superano quelle impegnate "
            f"({in_euro(impegnate)}) di {in_euro(erogate - impegnate)}, finanziati da residui di altre misure "
            "o da altri finanziamenti: le risorse impegnate indicate non comprendono tutte le fonti della misura.",
            PARTE_SECONDA,
        )


def residui_trasferiti_non_coincidenti(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    """What a measure says it received from other measures' residuals against what they say they gave."""
    misure = _misure(calcolo)
    nomi = {m.misura_id: m.titolo for m in misure}
    dichiarati: dict[int, Decimal] = {
        m.misura_id: m.erogato_da_residui for m in misure if m.erogato_da_residui
    }
    destinati: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for m in misure:
        for u in m.utilizzi_residuo:
            if u.misura_destinataria_id is not None:
                destinati[u.misura_destinataria_id][m.titolo] += u.importo
                nomi.setdefault(u.misura_destinataria_id, u.misura_destinataria or "")
    for misura_id in sorted(set(dichiarati) | set(destinati), key=lambda i: chiave_nome(nomi[i])):
        ricevuto = dichiarati.get(misura_id, ZERO)
        fonti = destinati.get(misura_id, {})
        dato = sum(fonti.values(), ZERO)
        if ricevuto == dato:
            continue
        elenco = ", ".join(f"{nome} {in_euro(importo)}" for nome, importo in fonti.items())
        yield Anomalia(
            "M07",
            ERRORE,
            f"{nomi[misura_id]}: le voci «di cui» finanziate con residui di altre misure sommano "
            f"{in_euro(ricevuto)}, ma i residui che le altre misure destinano a questa sono {in_euro(dato)} "
            f"({elenco or 'nessuna misura ne destina'}): differenza {in_euro(abs(ricevuto - dato))}.",
            PARTE_SECONDA,
        )


def residuo_attribuito_senza_destinazione(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    misure = {m.misura_id: m for m in _misure(calcolo)}
    for m in misure.values():
        for d in m.di_cui:
            for origine_id, origine in zip(d.residuo_di_id, d.residuo_di, strict=True):
                fonte = misure.get(origine_id)
                if fonte is None:
                    perche = f"«{origine}» non ha dati nel piano."
                elif any(u.misura_destinataria_id == m.misura_id for u in fonte.utilizzi_residuo):
                    continue
                else:
                    perche = f"«{origine}» non destina alcuna parte del proprio residuo a «{m.titolo}»."
                yield Anomalia(
                    "M08",
                    AVVISO,
                    f"{m.titolo}: la voce «{d.voce}» indica fondi dai residui di «{origine}», ma {perche}",
                    PARTE_SECONDA,
                )


def stesse_risorse_impegnate(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    per_importo: dict[Decimal, list[str]] = defaultdict(list)
    for m in _misure(calcolo):
        if m.risorse_impegnate:
            per_importo[m.risorse_impegnate].append(m.titolo)
    for importo, titoli in sorted(per_importo.items()):
        if len(titoli) > 1:
            yield Anomalia(
                "M09",
                AVVISO,
                f"{elenco_italiano(titoli)} indicano le stesse risorse impegnate ({in_euro(importo)}): "
                "verificare che la cifra non sia stata ripetuta per errore.",
                PARTE_SECONDA,
            )


SINTESI_DICHIARATA = (
    ("con_riparto", "dichiarati_con_riparto", "comuni con una nuova assegnazione"),
    ("solo_residuo", "dichiarati_solo_residuo", "comuni con i soli residui degli anni precedenti"),
    ("senza_contributo", "dichiarati_senza_contributo", "comuni senza contributo né residui"),
)


def sintesi_solidarieta_diversa(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    riparto = dati.misure.riparto
    tabella = calcolo.parte_seconda.contributo_solidarieta if calcolo.parte_seconda else None
    if riparto is None or tabella is None:
        return
    for codice, campo, descrizione in SINTESI_DICHIARATA:
        dichiarati = getattr(riparto, campo)
        voce = next(v for v in tabella.sintesi if v.codice == codice)
        if dichiarati is not None and dichiarati != voce.numero:
            nomi = f" ({', '.join(voce.comuni)})" if 0 < voce.numero <= 5 else ""
            yield Anomalia(
                "M10",
                ERRORE,
                f"Contributo regionale di solidarietà: la sintesi dichiara {dichiarati} {descrizione}, ma dalla "
                f"tabella di riparto ne risultano {voce.numero}{nomi}.",
                PARTE_SECONDA,
            )


def _nome_aggregazione(at: AggregazioneTerritoriale) -> str:
    return f"AT {at.numero} – {at.denominazione}" if at.denominazione else f"AT {at.numero}"


def aggregazione_del_riparto_diversa(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    comuni = {c.pk: c for c in dati.comuni}
    for q in sorted(dati.misure.quote_solidarieta, key=lambda q: q.pk):
        ente = dati.enti.get(q.ente_id)
        indicata = q.aggregazione_indicata
        if ente is None or indicata is None:
            continue
        comune = comuni.get(ente.comune_id) if ente.is_comune else None
        if comune is None:
            yield Anomalia(
                "M11",
                AVVISO,
                f"Contributo regionale di solidarietà: la tabella di riparto colloca {ente.denominazione} "
                f"nell'{_nome_aggregazione(indicata)}, ma non è un comune dell'ambito: il piano lo elenca a parte.",
                PARTE_SECONDA,
                ente_id=ente.id,
            )
        elif comune.aggregazione_id != indicata.pk:
            propria = (
                _nome_aggregazione(comune.aggregazione) if comune.aggregazione else "nessuna aggregazione"
            )
            yield Anomalia(
                "M11",
                AVVISO,
                f"Contributo regionale di solidarietà: la tabella di riparto colloca il comune di {comune.nome} "
                f"nell'{_nome_aggregazione(indicata)}, ma il comune appartiene all'{propria}; il piano lo "
                "raggruppa nella sua aggregazione.",
                PARTE_SECONDA,
                ente_id=ente.id,
                comune_id=comune.pk,
            )


def solidarieta_ente_fuori_ambito(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for q in dati.misure.quote_solidarieta:
        if q.ente_id not in dati.enti:
            yield Anomalia(
                "M12",
                ERRORE,
                f"Contributo regionale di solidarietà: la riga di «{q.ente.denominazione}» riguarda un ente che "
                f"non fa parte dell'ambito «{dati.piano.ambito.nome}»: non è conteggiata.",
                PARTE_SECONDA,
                ente_id=q.ente_id,
            )


def comune_senza_riga_nel_riparto(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    if not dati.misure.quote_solidarieta:
        return
    con_riga = {q.ente_id for q in dati.misure.quote_solidarieta}
    enti = dati.ente_di_comune()
    for comune in sorted(dati.comuni, key=lambda c: chiave_nome(c.nome)):
        ente = enti.get(comune.pk)
        if ente is None or ente.id not in con_riga:
            yield Anomalia(
                "M13",
                AVVISO,
                f"Contributo regionale di solidarietà: nessuna riga per il comune di {comune.nome}; è contato tra "
                "i comuni senza contributo né residui.",
                PARTE_SECONDA,
                ente_id=ente.id if ente else None,
                comune_id=comune.pk,
            )


def avviso_con_comuni_fuori_ambito(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for avviso in sorted(dati.misure.avvisi, key=lambda a: a.titolo):
        fuori = sorted(
            (
                nome
                for _, nome, ambito in dati.misure.comuni_avvisi.get(avviso.pk, [])
                if ambito != dati.piano.ambito_id
            ),
            key=chiave_nome,
        )
        if fuori:
            yield Anomalia(
                "M14",
                ERRORE,
                f"L'avviso «{avviso.titolo}» elenca tra i comuni aderenti {elenco_italiano(fuori)}, che non "
                f"{'fa' if len(fuori) == 1 else 'fanno'} parte dell'ambito «{dati.piano.ambito.nome}»: non "
                f"{'è contato' if len(fuori) == 1 else 'sono contati'}.",
                PARTE_SECONDA,
            )


def avviso_per_misura_senza_dati(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    nel_piano = {m.titolo for m in _misure(calcolo)}
    for avviso in calcolo.parte_seconda.avvisi if calcolo.parte_seconda else ():
        for misura in avviso.misure:
            if misura not in nel_piano:
                yield Anomalia(
                    "M15",
                    AVVISO,
                    f"L'avviso «{avviso.titolo}» apre la misura «{misura}», che non ha dati nel piano.",
                    PARTE_SECONDA,
                )


def quota_da_residui_incompleta(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    for m in _misure(calcolo):
        for d in m.di_cui:
            if d.provenienza == Provenienza.RESIDUO and not d.residuo_di:
                testo = "è indicata come finanziata con residui di altre misure, ma non dice di quali misure."
            elif d.provenienza != Provenienza.RESIDUO and d.residuo_di:
                testo = (
                    f"indica i residui di {elenco_italiano(d.residuo_di)} ma non la provenienza «residui di "
                    "altre misure»."
                )
            else:
                continue
            yield Anomalia("M16", ERRORE, f"{m.titolo}: la voce «{d.voce}» {testo}", PARTE_SECONDA)


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
    # Parte seconda
    Controllo(
        "M01",
        ERRORE,
        "Erogato diverso dalla somma delle voci «di cui»",
        "Parte seconda",
        erogato_diverso_dal_di_cui,
    ),
    Controllo(
        "M02",
        ERRORE,
        "Domande approvate diverse dalla somma per fonte",
        "Parte seconda",
        domande_diverse_dalle_fonti,
    ),
    Controllo(
        "M03",
        ERRORE,
        "Residuo diverso da impegnato meno erogato",
        "Parte seconda",
        residuo_diverso_da_impegnato_meno_erogato,
    ),
    Controllo(
        "M04", ERRORE, "Residuo diverso dai suoi utilizzi", "Parte seconda", utilizzi_diversi_dal_residuo
    ),
    Controllo(
        "M05",
        ERRORE,
        "Erogato a valere sull'impegno oltre l'impegnato",
        "Parte seconda",
        erogato_oltre_impegno,
    ),
    Controllo(
        "M06",
        AVVISO,
        "Erogato oltre l'impegnato, coperto da altre fonti",
        "Parte seconda",
        erogato_oltre_impegnato_da_altre_fonti,
    ),
    Controllo(
        "M07",
        ERRORE,
        "Residui passati tra misure che non coincidono",
        "Parte seconda",
        residui_trasferiti_non_coincidenti,
    ),
    Controllo(
        "M08",
        AVVISO,
        "Residuo attribuito a una misura che non lo destina",
        "Parte seconda",
        residuo_attribuito_senza_destinazione,
    ),
    Controllo(
        "M09", AVVISO, "Stesse risorse impegnate per più misure", "Parte seconda", stesse_risorse_impegnate
    ),
    Controllo(
        "M10",
        ERRORE,
        "Sintesi del contributo di solidarietà diversa dalla tabella",
        "Parte seconda",
        sintesi_solidarieta_diversa,
    ),
    Controllo(
        "M11",
        AVVISO,
        "Aggregazione del riparto diversa da quella del comune",
        "Parte seconda",
        aggregazione_del_riparto_diversa,
    ),
    Controllo(
        "M12",
        ERRORE,
        "Contributo di solidarietà a un ente fuori ambito",
        "Parte seconda",
        solidarieta_ente_fuori_ambito,
    ),
    Controllo(
        "M13",
        AVVISO,
        "Comune senza riga nel riparto del contributo",
        "Parte seconda",
        comune_senza_riga_nel_riparto,
    ),
    Controllo(
        "M14", ERRORE, "Avviso con comuni fuori dall'ambito", "Parte seconda", avviso_con_comuni_fuori_ambito
    ),
    Controllo(
        "M15", AVVISO, "Avviso per una misura senza dati", "Parte seconda", avviso_per_misura_senza_dati
    ),
    Controllo(
        "M16",
        ERRORE,
        "Voce «di cui» da residui senza misura di origine",
        "Parte seconda",
        quota_da_residui_incompleta,
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
    # Parte seconda e terza (misure): the same messages the forms show.
    **{vincolo.name: str(vincolo.violation_error_message) for vincolo in VINCOLI_MISURE},
}


def messaggio_vincolo(errore: IntegrityError) -> str:
    """The Italian message for a row the database refused, naming the rule it breaks."""
    testo = str(errore)
    for nome, messaggio in VINCOLI.items():
        if nome in testo:
            return messaggio
    return "I dati non rispettano un vincolo di integrità del piano e non sono stati salvati."
