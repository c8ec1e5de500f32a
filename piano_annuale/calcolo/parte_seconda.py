"""Parte seconda of the plan (misure, avvisi, contributo di solidarietà, riqualificazione) and Parte
terza (altre progettualità), from the facts loaded in ``DatiMisure``."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from patrimonio.models import TipoEnte

from .dati import DatiPiano
from .helpers import LETTERE, ZERO, chiave_nome, elenco_italiano, nome_aggregazione
from .tipi import (
    AvvisoCalcolato,
    GruppoSolidarieta,
    InterventoCalcolato,
    MisuraCalcolata,
    ParteSeconda,
    ParteTerza,
    ProgettoCalcolato,
    RigaSolidarieta,
    TabellaSolidarieta,
    TotaleSolidarieta,
    VoceDiCui,
    VoceSintesiSolidarieta,
    VoceUtilizzo,
    ordina_enti,
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
    termine = dati.piano.ambito.termine_aggregazioni
    for q in dati.misure.quote_solidarieta:
        ente = dati.enti.get(q.ente_id)
        if ente is None:
            continue  # an ente of another ambito: reported by check M12, never counted
        comune = comuni.get(ente.comune_id) if ente.is_comune and ente.comune_id is not None else None
        if not ente.is_comune:
            chiave = (0, ordina_enti(ente)[0], tipi.get(ente.tipo, ente.tipo))
        elif comune is not None and comune.aggregazione is not None:
            at = comune.aggregazione
            chiave = (1, at.numero, nome_aggregazione(at.numero, at.denominazione, termine))
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

    return TabellaSolidarieta(
        anno_riparto=anno,
        delibera=str(riparto.delibera) if riparto and riparto.delibera else None,
        nota=riparto.nota.strip() if riparto else "",
        gruppi=gruppi,
        totale=_totale_solidarieta(per_ente.values()),
        sintesi=_sintesi_solidarieta(dati, per_ente, anno),
    )


def _sintesi_solidarieta(
    dati: DatiPiano, per_ente: dict[int, RigaSolidarieta], anno: int | None
) -> tuple[VoceSintesiSolidarieta, ...]:
    """The summary: comuni with a new allocation, with residuals only, with neither.

    Every comune of the ambito is counted: one without a row has neither.
    """
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
    return tuple(
        VoceSintesiSolidarieta(
            codice=codice,
            descrizione=_descrizione_sintesi(codice, len(nomi), anno),
            numero=len(nomi),
            comuni=tuple(sorted(nomi, key=chiave_nome)),
        )
        for codice, nomi in categorie.items()
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
