"""The parts of the plan that depend on the rule set it is computed under.

- which rules apply (``info_regole``), printed on the plan page and in the normative section;
- d bis) since R.R. 2/2025: per comune, a percentage up to the rule set's limit split into the 7 bis
  quota (Forze di Polizia, Vigili del Fuoco, Forze Armate) and the 7 ter quota (Polizia Locale); the
  units of each quota per ente proprietario in that comune, rounded as the rule set says;
- c bis) since R.R. 2/2025: per ente proprietario, its threshold for the categories of art. 14;
- b) since L.R. 18/2025: the estimated cost of works of each unit in carenza manutentiva.

Under rule sets without a part, its function returns None and the renderings leave it out.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from piano_annuale.models import Stato

from .dati import DatiPiano
from .helpers import chiave_nome
from .parte_prima import conteggi_sap, turnover_per_coppia
from .tipi import (
    CostiCarenza,
    InfoRegole,
    RigaCBis,
    RigaQuotaComune,
    RigaQuotaEnte,
    SezioneCBis,
    SezioneDBis,
    SezioneG,
    TotaleQuotaEnte,
    UnitaCarenza,
    ordina_enti,
)

# The states whose SAP units are «disponibili nel corso dell'anno» (section g, b + c + d + e + f).
STATI_DISPONIBILI = (
    Stato.CARENZA_MANUTENTIVA,
    Stato.RISTRUTTURAZIONE,
    Stato.NUOVA_EDIFICAZIONE,
    Stato.LIBERA,
    Stato.CONFERITA_PRIVATI,
)


def arrotonda(percento: int, base: int, modo: str) -> int:
    """``percento`` % of ``base`` in whole units, rounded up («eccesso») or down («difetto»)."""
    if modo == "eccesso":
        return -(-percento * base // 100)
    return percento * base // 100


def info_regole(dati: DatiPiano) -> InfoRegole:
    regole, valori = dati.regole, dati.regole.valori
    quota = valori.quota_polizia
    return InfoRegole(
        codice=regole.codice,
        nome=regole.nome,
        riferimenti=regole.riferimenti,
        in_vigore_dal=regole.in_vigore_dal,
        scelte_dall_ufficio=bool(dati.piano.motivo_regole),
        motivo=dati.piano.motivo_regole,
        quota_per=quota.per,
        quota_massimo=quota.massimo,
        con_7ter=quota.con_7ter,
        arrotondamento=quota.arrotondamento,
        destinatario_7bis=quota.destinatario_7bis,
        destinatario_7ter=quota.destinatario_7ter,
        interpretazione=quota.interpretazione,
        c_bis_massimo=valori.c_bis_massimo,
        costo_lavori=valori.costo_lavori_carenza,
        aggiornamento_triennale=valori.aggiornamento_triennale,
    )


def disponibili_per_coppia(dati: DatiPiano) -> dict[tuple[int, int], int]:
    """(ente, comune) ids → SAP units available in the year (the rows of section g)."""
    somme: dict[tuple[int, int], int] = defaultdict(int)
    for stato in STATI_DISPONIBILI:
        for coppia, n in conteggi_sap(dati, stato).items():
            somme[coppia] += n
    for coppia, n in turnover_per_coppia(dati).items():
        somme[coppia] += n
    return somme


def sezione_dbis(dati: DatiPiano) -> SezioneDBis | None:
    """d bis) Per comune, the 7 bis and 7 ter percentages and their units per ente proprietario."""
    quota = dati.regole.valori.quota_polizia
    if quota.per != "comune":
        return None
    disponibili = disponibili_per_coppia(dati)
    per_comune: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (ente_id, comune_id), n in disponibili.items():
        per_comune[comune_id].append((ente_id, n))
    righe = []
    for comune in dati.comuni:
        ente_comune = dati.ente_di_comune().get(comune.pk)
        scelte = dati.scelte.get(ente_comune.id) if ente_comune else None
        if ente_comune is None or scelte is None:
            continue
        p7bis, p7ter = scelte.quota_forze_polizia, scelte.quota_polizia_locale if quota.con_7ter else 0
        if not (p7bis or p7ter):
            continue
        enti = tuple(
            sorted(
                (
                    RigaQuotaEnte(
                        ente=dati.enti[ente_id],
                        disponibili=n,
                        unita_7bis=arrotonda(p7bis, n, quota.arrotondamento),
                        unita_7ter=arrotonda(p7ter, n, quota.arrotondamento_7ter),
                    )
                    for ente_id, n in per_comune.get(comune.pk, [])
                    if n
                ),
                key=lambda r: ordina_enti(r.ente),
            )
        )
        righe.append(
            RigaQuotaComune(
                comune=comune.nome,
                comune_id=comune.pk,
                ente_id=ente_comune.id,
                percentuale_7bis=p7bis,
                percentuale_7ter=p7ter,
                percentuale_totale=p7bis + p7ter,
                disponibili=sum(r.disponibili for r in enti),
                unita_7bis=sum(r.unita_7bis for r in enti),
                unita_7ter=sum(r.unita_7ter for r in enti),
                enti=enti,
            )
        )
    righe.sort(key=lambda r: chiave_nome(r.comune))
    return SezioneDBis(
        righe=tuple(righe),
        per_ente=_totali_per_ente(righe),
        totale_7bis=sum(r.unita_7bis for r in righe),
        totale_7ter=sum(r.unita_7ter for r in righe),
    )


def _totali_per_ente(righe: list[RigaQuotaComune]) -> tuple[TotaleQuotaEnte, ...]:
    somme: dict[int, list[int]] = {}
    enti = {}
    for riga in righe:
        for r in riga.enti:
            enti[r.ente.id] = r.ente
            valori = somme.setdefault(r.ente.id, [0, 0, 0])
            valori[0] += r.disponibili
            valori[1] += r.unita_7bis
            valori[2] += r.unita_7ter
    totali = (TotaleQuotaEnte(enti[e], d, u7bis, u7ter) for e, (d, u7bis, u7ter) in somme.items())
    return tuple(sorted(totali, key=lambda r: ordina_enti(r.ente)))


def sezione_cbis(dati: DatiPiano, g: SezioneG) -> SezioneCBis | None:
    """c bis) The threshold each ente proprietario set for the categories of art. 14, «recepita»."""
    valori = dati.regole.valori
    if not valori.con_c_bis:
        return None
    nomi = {c.codice: c.nome for c in valori.categorie}
    disponibili = {ente_id: r.totale for ente_id, r in g.per_ente_id().items()}
    righe = [
        RigaCBis(
            ente=dati.enti[s.ente_id],
            soglia=s.soglia_c_bis,
            categorie=tuple(nomi.get(codice, codice) for codice in s.categorie_c_bis),
            disponibili=disponibili.get(s.ente_id, 0),
            unita_massime=arrotonda(s.soglia_c_bis, disponibili.get(s.ente_id, 0), "difetto"),
        )
        for s in dati.scelte.values()
        if s.soglia_c_bis and s.ente_id in dati.enti
    ]
    righe.sort(key=lambda r: ordina_enti(r.ente))
    return SezioneCBis(righe=tuple(righe), totale_unita_massime=sum(r.unita_massime for r in righe))


def costi_carenza(dati: DatiPiano) -> CostiCarenza | None:
    """b) The units in carenza manutentiva with the estimated cost of their works (L.R. 18/2025)."""
    if not dati.regole.valori.con_costo_lavori:
        return None
    unita = sorted(
        (
            UnitaCarenza(
                unita_id=s.unita_id,
                ente=dati.enti[s.unita.ente_id],
                comune=s.unita.comune.nome,
                id_regionale=s.unita.id_regionale,
                codice_ente=s.unita.codice_ente,
                costo=s.costo_lavori,
                lavori=s.note_lavori,
            )
            for s in dati.carenze
            if s.unita.ente_id in dati.enti
        ),
        key=lambda u: (ordina_enti(u.ente), chiave_nome(u.comune), u.id_regionale or "", u.codice_ente),
    )
    return CostiCarenza(
        unita=tuple(unita),
        totale=sum((u.costo for u in unita if u.costo is not None), Decimal("0.00")),
        senza_costo=sum(1 for u in unita if u.costo is None),
    )
