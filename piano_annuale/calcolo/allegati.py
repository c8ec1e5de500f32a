"""The annexes: Allegato A (the per-ente report of the regional platform), Allegato B (ALER's unit
detail) and the Sintesi for the Assemblea dei Sindaci (TAB 1 and TAB 2).

They are computed from the same sections as the plan's tables (a, g, j), never counted again.
"""

from __future__ import annotations

from collections import defaultdict

from patrimonio.models import TipoEnte
from piano_annuale.models import Stato

from .dati import DatiPiano
from .helpers import chiave_nome, percentuale
from .parte_prima import riga_disponibili
from .tipi import (
    AllegatoB,
    Ente,
    GruppoLotto,
    QuoteSintesiDisponibili,
    QuoteSintesiPatrimonio,
    RigaAllegatoA,
    RigaDisponibili,
    RigaSintesiDisponibili,
    RigaSintesiPatrimonio,
    SezioneA,
    SezioneG,
    Sintesi,
    TabellaConteggi,
    UnitaElencata,
    ordina_enti,
)


def allegato_a(dati: DatiPiano, g: SezioneG, j: TabellaConteggi) -> tuple[RigaAllegatoA, ...]:
    """Allegato A: the per-ente report with the columns of the regional platform's report.

    One row per ente that answered the ricognizione (a reopened answer still counts: the ente is
    correcting it), computed from the same facts as sections a–k.
    """
    disponibili = g.per_ente_id()
    sat = _sat_per_ente(j)
    righe = [
        riga_allegato_a(dati, ente, disponibili, sat)
        for ente in dati.enti.values()
        if dati.nel_piano(ente.id)
    ]
    return tuple(sorted(righe, key=lambda r: ordina_enti(r.ente)))


def _sat_per_ente(j: TabellaConteggi) -> dict[int, int]:
    sat: dict[int, int] = defaultdict(int)
    for r in j.righe:
        sat[r.ente.id] += r.numero
    return sat


def riga_allegato_a_di(dati: DatiPiano, ente: Ente, g: SezioneG, j: TabellaConteggi) -> RigaAllegatoA:
    """The Allegato A row of one ente, whether or not it has answered yet (check D01 compares an
    ente's declared figures with it before the ente sends its answer)."""
    return riga_allegato_a(dati, ente, g.per_ente_id(), _sat_per_ente(j))


def riga_allegato_a(
    dati: DatiPiano, ente: Ente, disponibili: dict[int, RigaDisponibili], sat: dict[int, int]
) -> RigaAllegatoA:
    quota = dati.regole.valori.quota_polizia
    consistenza = dati.consistenze.get(ente.id)
    scelte = dati.scelte.get(ente.id)
    assegnazioni = dati.assegnazioni.get(ente.id)
    riga_g = disponibili.get(ente.id) or riga_disponibili(ente, None, {})
    return RigaAllegatoA(
        ente=ente,
        sas=consistenza.sas if consistenza else None,
        sap=consistenza.sap if consistenza else None,
        disponibili=riga_g.totale,
        libere_turnover=riga_g.liberi,
        carenza=riga_g.carenza,
        nuove_ristrutturate=riga_g.nuove_ristrutturate,
        transitori=sat.get(ente.id, 0),
        assegnate_anno_precedente=assegnazioni.totale if assegnazioni else 0,
        conferite=riga_g.conferite,
        categoria=(scelte.categoria_aggiuntiva.strip() if scelte else "") or "NO",
        soglia_indigenti=scelte.soglia_indigenti_eccedente if scelte else 0,
        forze_polizia=scelte.quota_forze_polizia if scelte else 0,
        polizia_locale=scelte.quota_polizia_locale if scelte and quota.con_7ter else 0,
        soglia_c_bis=scelte.soglia_c_bis if scelte and dati.regole.valori.con_c_bis else 0,
        nulla_da_dichiarare=dati.nulla_da_dichiarare(ente.id),
    )


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


GRUPPI: tuple[tuple[str, str], ...] = (
    (TipoEnte.COMUNE, "COMUNI"),
    (TipoEnte.ALER, "ALER"),
    (TipoEnte.OPERATORE, "OPERATORI ACCREDITATI"),
)


def sintesi(dati: DatiPiano, a: SezioneA, g: SezioneG) -> Sintesi:
    """TAB 1 (units available in the year) and TAB 2 (patrimonio): comuni vs ALER, with shares.

    ``numero_comuni`` is, per group, the comuni where that group has units; the AMBITO row adds the
    groups up, as the Assemblea's tables do (a comune may appear under both). For the patrimonio the
    ALER row counts the comuni where only ALER owns units: listed in the registry or declared in its
    consistenza per comune.
    """
    presenti = {tipo for tipo, _ in GRUPPI if any(e.tipo == tipo for e in dati.enti.values())}
    gruppi = [(tipo, nome) for tipo, nome in GRUPPI if tipo in presenti or tipo != TipoEnte.OPERATORE]
    disponibili, quote_d = _sintesi_disponibili(gruppi, g)
    patrimonio, quote_p = _sintesi_patrimonio(dati, gruppi, a)
    return Sintesi(
        disponibili=disponibili,
        quote_disponibili=quote_d,
        patrimonio=patrimonio,
        quote_patrimonio=quote_p,
    )


def _sintesi_disponibili(
    gruppi: list[tuple[str, str]], g: SezioneG
) -> tuple[tuple[RigaSintesiDisponibili, ...], tuple[QuoteSintesiDisponibili, ...]]:
    """TAB 1: section g per group of enti, the AMBITO row, and each group's share of it."""
    disponibili = []
    for tipo, nome in gruppi:
        righe = [r for r in g.righe if r.ente is not None and r.ente.tipo == tipo]
        disponibili.append(
            RigaSintesiDisponibili(
                gruppo=nome,
                numero_comuni=len({r.comune for r in righe}),
                liberi=sum(r.liberi for r in righe),
                ristrutturazione=sum(r.nuove_ristrutturate for r in righe),
                carenza=sum(r.carenza for r in righe),
                conferite=sum(r.conferite for r in righe),
                totale=sum(r.totale for r in righe),
            )
        )
    ambito = RigaSintesiDisponibili(
        "AMBITO",
        *(
            sum(getattr(r, campo) for r in disponibili)
            for campo in ("numero_comuni", "liberi", "ristrutturazione", "carenza", "conferite", "totale")
        ),
    )
    quote = tuple(
        QuoteSintesiDisponibili(
            r.gruppo,
            *(
                percentuale(getattr(r, c), getattr(ambito, c))
                for c in ("liberi", "ristrutturazione", "carenza", "conferite", "totale")
            ),
        )
        for r in (*disponibili, ambito)
    )
    return (*disponibili, ambito), quote


def _sintesi_patrimonio(
    dati: DatiPiano, gruppi: list[tuple[str, str]], a: SezioneA
) -> tuple[tuple[RigaSintesiPatrimonio, ...], tuple[QuoteSintesiPatrimonio, ...]]:
    """TAB 2: section a per group of enti, the AMBITO row, and each group's share of it."""
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
                    for ente_id, comune_id in dati.coppie_ente_comune()
                    if ente_id in dati.enti
                    and dati.enti[ente_id].tipo == tipo
                    and comune_id not in comuni_propri
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
    ambito = RigaSintesiPatrimonio(
        "AMBITO", *(sum(getattr(r, c) for r in patrimonio) for c in ("numero_comuni", "sap", "sas", "totale"))
    )
    quote = tuple(
        QuoteSintesiPatrimonio(
            r.gruppo, *(percentuale(getattr(r, c), getattr(ambito, c)) for c in ("sap", "sas", "totale"))
        )
        for r in (*patrimonio, ambito)
    )
    return (*patrimonio, ambito), quote
