"""The tables that depend on the plan's rule set: the parts that exist only under some rule sets,
d bis) (the 7 bis and 7 ter quotas per comune and ente proprietario), c bis) (the thresholds for the
categories of art. 14), the cost of works of section b) and the list of the units the avvisi offer
with that cost; and Allegato A, whose police quota columns follow the rules.

``rendering.tabelle`` registers them with the other parts of the catalogue; each reads the computed
plan only, and is asked only for a plan that has the part (``catalogo.presente``).
"""

from __future__ import annotations

from decimal import Decimal

from patrimonio.esportazione import Tabella
from piano_annuale.calcolo import PianoCalcolato
from piano_annuale.catalogo import voce
from piano_annuale.models import Stato

COSTO_NON_INDICATO = "costo non indicato"


def _titolo(chiave: str, parte: str = "") -> str:
    """«d bis) Quote 7 bis e 7 ter», or the section's letter and what this table of it holds."""
    v = voce(chiave)
    return f"{v.lettera} {parte}" if parte else v.nome


def _costo(costo: Decimal | None) -> Decimal | str:
    return COSTO_NON_INDICATO if costo is None else costo


def tabelle_dbis(p: PianoCalcolato) -> list[Tabella]:
    """d bis): one row per comune and ente proprietario, then each ente's units of each quota."""
    if p.dbis is None:
        return []
    righe = tuple(
        (
            c.comune,
            c.percentuale_7bis,
            c.percentuale_7ter,
            c.percentuale_totale,
            e.ente.denominazione,
            e.disponibili,
            e.unita_7bis,
            e.unita_7ter,
        )
        for c in p.dbis.righe
        for e in c.enti
    )
    disponibili = sum(c.disponibili for c in p.dbis.righe)
    totale = ("Totale", "", "", "", "", disponibili, p.dbis.totale_7bis, p.dbis.totale_7ter)
    per_ente = tuple(
        (e.ente.denominazione, e.disponibili, e.unita_7bis, e.unita_7ter) for e in p.dbis.per_ente
    )
    return [
        Tabella(
            "dbis",
            _titolo("dbis"),
            (
                "Comune",
                "% art. 7 bis",
                "% art. 7 ter",
                "% totale",
                "Ente proprietario",
                "U.I. disponibili",
                "U.I. art. 7 bis",
                "U.I. art. 7 ter",
            ),
            (*righe, totale),
            "dbis",
        ),
        Tabella(
            "dbis_enti",
            _titolo("dbis", "Quote per ente"),
            ("Ente proprietario", "U.I. disponibili", "U.I. art. 7 bis", "U.I. art. 7 ter"),
            (*per_ente, ("Totale", disponibili, p.dbis.totale_7bis, p.dbis.totale_7ter)),
            "dbis",
        ),
    ]


def tabelle_cbis(p: PianoCalcolato) -> list[Tabella]:
    """c bis): each ente's threshold, its categories and the units it may reserve («fino a»)."""
    if p.cbis is None:
        return []
    righe = tuple(
        (r.ente.denominazione, r.soglia, "; ".join(r.categorie), r.disponibili, r.unita_massime)
        for r in p.cbis.righe
    )
    return [
        Tabella(
            "cbis",
            _titolo("cbis"),
            ("Ente proprietario", "Soglia (%)", "Categorie", "U.I. disponibili", "U.I. fino a"),
            (*righe, ("Totale", "", "", "", p.cbis.totale_unita_massime)),
            "cbis",
        )
    ]


def tabelle_costi_b(p: PianoCalcolato) -> list[Tabella]:
    """b): each unit in carenza manutentiva with the estimated cost of its works."""
    if p.costi_b is None:
        return []
    righe = tuple(
        (
            u.ente.denominazione,
            u.comune,
            u.id_regionale or "non comunicato",
            u.codice_ente,
            _costo(u.costo),
            u.lavori,
        )
        for u in p.costi_b.unita
    )
    return [
        Tabella(
            "costi_b",
            _titolo("costi_b"),
            (
                "Ente proprietario",
                "Comune",
                "ID regionale",
                "Codice dell'ente",
                "Costo stimato dei lavori (€)",
                "Lavori",
            ),
            (*righe, ("Totale", "", "", "", p.costi_b.totale, f"{p.costi_b.senza_costo} senza costo")),
            "costi_b",
        )
    ]


def unita_per_gli_avvisi(p: PianoCalcolato) -> list[Tabella]:
    """The units the avvisi offer, one by one, where the rules require the cost of works: the free
    units (e), those in carenza manutentiva with their cost (b) and ALER's units in programmes with
    their lotto (Allegato B). Units counted but not named (turnover, the comuni's programmes) are in
    sections c) to f)."""
    if p.costi_b is None:
        return []
    righe: list[tuple[object, ...]] = []
    for u in p.e.libere:
        righe.append(
            (u.ente.denominazione, u.comune, u.id_regionale or "non comunicato", u.codice_ente)
            + (Stato(u.stato).label, "", "", "")
        )
    for c in p.costi_b.unita:
        righe.append(
            (c.ente.denominazione, c.comune, c.id_regionale or "non comunicato", c.codice_ente)
            + (Stato.CARENZA_MANUTENTIVA.label, "", _costo(c.costo), c.lavori)
        )
    for lotto in p.allegato_b.lotti:
        for u in lotto.unita:
            righe.append(
                (u.ente.denominazione, u.comune, u.id_regionale or "non comunicato", u.codice_ente)
                + (Stato(u.stato).label, lotto.programma, "", "")
            )
    return [
        Tabella(
            "unita_avvisi",
            _titolo("g", "Unità per gli avvisi"),
            (
                "Ente proprietario",
                "Comune",
                "ID regionale",
                "Codice dell'ente",
                "Stato nell'anno",
                "Programma / lotto",
                "Costo stimato dei lavori (€)",
                "Lavori",
            ),
            tuple(righe),
            "g",
        )
    ]


def tabella_allegato_a(p: PianoCalcolato) -> list[Tabella]:
    """The regional platform's report per ente. Under rules with the 7 ter quota (R.R. 2/2025) the
    Forze di Polizia column becomes «% art. 7 bis» and «% art. 7 ter», and «% c bis» follows."""
    con_7ter = bool(p.regole and p.regole.con_7ter)
    con_c_bis = bool(p.regole and p.regole.c_bis_massimo is not None)
    quote = ("% art. 7 bis", "% art. 7 ter") if con_7ter else ("% Forze di Polizia",)
    return [
        Tabella(
            "allegato_a",
            voce("allegato_a").nome,
            (
                "Ente proprietario",
                "U.I. SAS",
                "U.I. SAP",
                "U.I. disponibili nell'anno",
                "Libere e turn-over",
                "Carenza manutentiva",
                "Nuova edificazione o ristrutturazione",
                "Servizi abitativi transitori",
                f"Assegnate nel {p.piano.anno - 1}",
                "Conferite da privati",
                "Categoria aggiuntiva",
                "Soglia indigenti oltre il 20%",
                *quote,
                *(("% c bis",) if con_c_bis else ()),
            ),
            tuple(
                (
                    r.ente.denominazione,
                    r.sas,
                    r.sap,
                    r.disponibili,
                    r.libere_turnover,
                    r.carenza,
                    r.nuove_ristrutturate,
                    r.transitori,
                    r.assegnate_anno_precedente,
                    r.conferite,
                    r.categoria,
                    r.soglia_indigenti,
                    r.forze_polizia,
                    *((r.polizia_locale,) if con_7ter else ()),
                    *((r.soglia_c_bis,) if con_c_bis else ()),
                )
                for r in p.allegato_a
            ),
            "allegato_a",
        )
    ]
