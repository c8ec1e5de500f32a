"""Checks on Parte seconda: measures, residuals moved between measures, contributo di solidarietà,
avvisi (codes M01–M16)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from misure.models import Provenienza
from piano_annuale.calcolo.dati import DatiPiano
from piano_annuale.calcolo.helpers import (
    ZERO,
    chiave_nome,
    con_preposizione,
    elenco_italiano,
    in_euro,
    nome_aggregazione,
)
from piano_annuale.calcolo.tipi import Anomalia, MisuraCalcolata, PianoCalcolato

from .base import AVVISO, ERRORE

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
        residue, impegnate, erogate = m.risorse_residue, m.risorse_impegnate, m.erogato_su_impegno
        if residue is None or impegnate is None or erogate is None:
            continue
        atteso = impegnate - erogate
        if residue != atteso:
            yield Anomalia(
                "M03",
                ERRORE,
                f"{m.titolo}: le risorse residue ({in_euro(residue)}) non corrispondono alle risorse "
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


def aggregazione_del_riparto_diversa(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    comuni = {c.pk: c for c in dati.comuni}
    termine = dati.piano.ambito.termine_aggregazioni
    for q in sorted(dati.misure.quote_solidarieta, key=lambda q: q.pk):
        ente = dati.enti.get(q.ente_id)
        indicata = q.aggregazione_indicata
        if ente is None or indicata is None:
            continue
        comune = comuni.get(ente.comune_id) if ente.is_comune and ente.comune_id is not None else None
        if comune is None:
            yield Anomalia(
                "M11",
                AVVISO,
                f"Contributo regionale di solidarietà: la tabella di riparto colloca {ente.denominazione} "
                f"{con_preposizione('in', nome_aggregazione(indicata.numero, indicata.denominazione, termine))}, "
                "ma non è un comune dell'ambito: il piano lo elenca a parte.",
                PARTE_SECONDA,
                ente_id=ente.id,
            )
        elif comune.aggregazione_id != indicata.pk:
            propria = (
                nome_aggregazione(comune.aggregazione.numero, comune.aggregazione.denominazione, termine)
                if comune.aggregazione
                else "nessuna aggregazione"
            )
            yield Anomalia(
                "M11",
                AVVISO,
                f"Contributo regionale di solidarietà: la tabella di riparto colloca il comune di {comune.nome} "
                f"{con_preposizione('in', nome_aggregazione(indicata.numero, indicata.denominazione, termine))}, "
                f"ma il comune appartiene {con_preposizione('a', propria) if comune.aggregazione else 'a ' + propria}; il piano lo "
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
