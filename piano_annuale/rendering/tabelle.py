"""The plan's parts as tables: one function per part of the catalogue that holds figures.

``tabelle_del_piano`` walks ``piano_annuale.catalogo`` in order and asks, for each part with figures
(``Natura.DATI``) that the plan has under its rules (``catalogo.presente``), the function of
``TABELLE`` that lays it out: a part without one is an error, so a new part of the catalogue cannot
be forgotten by the exports. The parts of some rule sets only are laid out in ``tabelle_regole``. Everything is read from the
computed plan (``calcola_piano``), never recomputed here; titles come from the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ambito.italiano import con_preposizione
from patrimonio.esportazione import Tabella
from piano_annuale.calcolo import (
    PianoCalcolato,
    TabellaConteggi,
    TabellaSolidarieta,
    UnitaElencata,
)
from piano_annuale.catalogo import CATALOGO, Natura, presente, voce
from piano_annuale.models import Stato
from piano_annuale.rendering.tabelle_demografia import tabelle_aggregazioni, tabelle_densita
from piano_annuale.rendering.tabelle_regole import (
    tabella_allegato_a,
    tabelle_cbis,
    tabelle_costi_b,
    tabelle_dbis,
    unita_per_gli_avvisi,
)

ETICHETTE_STATO = {s.value: s.label for s in Stato}


def _titolo(chiave: str, parte: str = "") -> str:
    """A table's title (and sheet name) from the catalogue: the part's short label, or its letter
    or annex label followed by what this table of the part holds."""
    v = voce(chiave)
    if not parte:
        return v.nome
    if v.lettera:
        return f"{v.lettera} {parte}"
    return f"{v.etichetta or v.breve} – {parte}"


def _ente(riga: Any) -> str:
    return riga.ente.denominazione if riga.ente else "Totale"


def _conteggi(voce_: str, codice: str, titolo: str, tabella: TabellaConteggi) -> Tabella:
    righe = [(r.ente.denominazione, r.comune, r.numero) for r in tabella.righe]
    righe.append(("Totale", "", tabella.totale))
    return Tabella(codice, titolo, ("Ente proprietario", "Comune", "Numero di U.I."), tuple(righe), voce_)


def _elenco(
    voce_: str, codice: str, titolo: str, unita: Iterable[UnitaElencata], *, con_lotto: bool = False
) -> Tabella:
    intestazioni = ["Ente proprietario", "Tipologia dell'ente", "ID regionale", "Codice dell'ente", "Comune"]
    if con_lotto:
        intestazioni.append("Programma / lotto")
    intestazioni += ["Stato nell'anno", "Stato come dichiarato"]
    righe = []
    for u in unita:
        riga = [
            u.ente.denominazione,
            u.ente.tipo.upper(),
            u.id_regionale or "non comunicato",
            u.codice_ente,
            u.comune,
        ]
        if con_lotto:
            riga.append(u.programma)
        riga += [ETICHETTE_STATO.get(u.stato, u.stato), u.stato_origine]
        righe.append(tuple(riga))
    return Tabella(codice, titolo, tuple(intestazioni), tuple(righe), voce_)


# --------------------------------------------------------------------------------------------
# Parte prima: demographics and ricognizione
# --------------------------------------------------------------------------------------------


def _popolazione(p: PianoCalcolato) -> list[Tabella]:
    d = p.demografia
    righe = tuple((r.posizione, r.comune, r.codice_istat, r.abitanti, r.famiglie) for r in d.classifica)
    return [
        Tabella(
            "popolazione",
            _titolo("popolazione"),
            ("Posizione", "Comune", "Codice ISTAT", "Abitanti", "Famiglie"),
            righe + (("", "Totale", "", d.totale_abitanti, ""),),
            "popolazione",
        )
    ]


def _senza_sap(p: PianoCalcolato) -> list[Tabella]:
    d = p.demografia
    abitanti = {r.comune: r.abitanti for r in d.classifica}
    righe = tuple((comune, abitanti.get(comune)) for comune in d.comuni_senza_sap)
    return [
        Tabella(
            "senza_sap",
            _titolo("senza_sap"),
            ("Comune", "Abitanti"),
            righe
            + (
                ("Totale", d.abitanti_comuni_senza_sap),
                ("Quota della popolazione dell'Ambito (%)", d.quota_popolazione_senza_sap),
            ),
            "senza_sap",
        )
    ]


def _ricognizione(p: PianoCalcolato) -> list[Tabella]:
    r = p.ricognizione
    esiti = (
        ("Comuni dell'Ambito", r.comuni_totali),
        ("Comuni che hanno risposto", r.comuni_rispondenti),
        ("Tasso di risposta (%)", r.tasso_risposta),
        ("Comuni proprietari di patrimonio", r.comuni_proprietari),
        ("Comuni proprietari che hanno risposto", r.proprietari_rispondenti),
        ("Tasso di risposta dei proprietari (%)", r.tasso_risposta_proprietari),
        ("Comuni che non hanno risposto", r.non_rispondenti),
    )
    enti: list[tuple[str, str]] = [
        *(
            (c, "Non ha risposto: patrimonio certificato pari a zero")
            for c in r.non_rispondenti_patrimonio_zero
        ),
        *((c, "Non ha risposto: patrimonio solo di ALER") for c in r.non_rispondenti_solo_aler),
        *((c, "Non ha risposto: patrimonio proprio") for c in r.non_rispondenti_proprietari),
        *((c, "Non ha risposto") for c in r.non_rispondenti_altri),
        *((nome, f"Risposta: {stato.lower()}") for nome, stato in r.altri_enti),
        *((c, f"Gestione delegata {con_preposizione(g.gestore, 'a')}") for g in r.gestioni for c in g.comuni),
    ]
    return [
        Tabella("ricognizione", _titolo("ricognizione"), ("Voce", "Valore"), esiti, "ricognizione"),
        Tabella(
            "ricognizione_enti",
            _titolo("ricognizione", "enti"),
            ("Comune o ente", "Esito"),
            tuple(enti),
            "ricognizione",
        ),
    ]


# --------------------------------------------------------------------------------------------
# Parte prima: sections a–k
# --------------------------------------------------------------------------------------------


def _a(p: PianoCalcolato) -> list[Tabella]:
    righe = tuple((r.ente.denominazione, r.totale, r.sap, r.sas) for r in p.a.righe)
    return [
        Tabella(
            "a",
            _titolo("a"),
            ("Ente proprietario", "Totale U.I.", "U.I. SAP", "U.I. SAS"),
            righe + (("Totale", p.a.totale, p.a.sap, p.a.sas),),
            "a",
        )
    ]


def _c(p: PianoCalcolato) -> list[Tabella]:
    righe = tuple((r.ente.denominazione, r.comune, r.programma or "Senza lotto", r.numero) for r in p.c.righe)
    return [
        Tabella(
            "c",
            _titolo("c"),
            ("Ente proprietario", "Comune", "Programma / lotto", "Numero di U.I."),
            righe + (("Totale", "", "", p.c.totale),),
            "c",
        )
    ]


def _e(p: PianoCalcolato) -> list[Tabella]:
    turnover = TabellaConteggi(righe=p.e.turnover, totale=p.e.totale_turnover)
    return [
        _elenco("e", "e_libere", _titolo("e", "Unità già libere"), p.e.libere),
        _conteggi("e", "e_turnover", _titolo("e", "Turn-over previsto"), turnover),
    ]


def _g(p: PianoCalcolato) -> list[Tabella]:
    colonne = (
        "Ristrutturazione",
        "Nuova edificazione",
        "Carenza manutentiva",
        "Conferite da privati",
        "Totale",
    )
    righe = tuple(
        (
            _ente(r),
            r.comune or "",
            r.libere,
            r.turnover,
            r.liberi,
            r.ristrutturazione,
            r.nuova_edificazione,
            r.carenza,
            r.conferite,
            r.totale,
        )
        for r in (*p.g.righe, p.g.totale)
    )
    per_ente = tuple(
        (_ente(r), r.liberi, r.ristrutturazione, r.nuova_edificazione, r.carenza, r.conferite, r.totale)
        for r in (*p.g.per_ente, p.g.totale)
    )
    return [
        Tabella(
            "g",
            _titolo("g"),
            ("Ente proprietario", "Comune", "Già libere", "Turn-over", "Libere e turn-over", *colonne),
            righe,
            "g",
        ),
        Tabella(
            "g_enti",
            _titolo("g", "Disponibili per ente"),
            ("Ente proprietario", "Libere e turn-over", *colonne),
            per_ente,
            "g",
        ),
        *unita_per_gli_avvisi(p),
    ]


def _h(p: PianoCalcolato) -> list[Tabella]:
    return [
        Tabella(
            "h",
            _titolo("h"),
            ("Ente proprietario", "Eccedenza (punti %)", "Soglia complessiva (%)"),
            tuple((r.ente.denominazione, r.eccedenza, r.soglia_complessiva) for r in p.h),
            "h",
        )
    ]


def _i(p: PianoCalcolato) -> list[Tabella]:
    return [
        Tabella(
            "i",
            _titolo("i"),
            ("Ente proprietario", "Categoria", "Motivazione"),
            tuple((r.ente.denominazione, r.categoria, r.motivazione) for r in p.i),
            "i",
        )
    ]


def _ib(p: PianoCalcolato) -> list[Tabella]:
    righe = tuple((r.ente.denominazione, r.percentuale, r.disponibili, r.unita) for r in p.ib.righe)
    return [
        Tabella(
            "ib",
            _titolo("ib"),
            ("Ente proprietario", "Quota (%)", "U.I. disponibili", "U.I. destinate"),
            righe + (("Totale", "", "", p.ib.totale_unita),),
            "ib",
        )
    ]


def _k(p: PianoCalcolato) -> list[Tabella]:
    righe = tuple((r.ente.denominazione, r.totale, r.mobilita, r.in_deroga) for r in p.k.righe)
    return [
        Tabella(
            "k",
            _titolo("k"),
            (
                "Ente proprietario",
                f"U.I. assegnate nel {p.piano.anno - 1}",
                "di cui per mobilità",
                "di cui in deroga",
            ),
            righe + (("Totale", p.k.totale, p.k.mobilita, p.k.in_deroga),),
            "k",
        )
    ]


# --------------------------------------------------------------------------------------------
# Parte seconda and terza
# --------------------------------------------------------------------------------------------


def _misure(p: PianoCalcolato) -> list[Tabella]:
    misure = p.parte_seconda.misure if p.parte_seconda else ()
    return [
        Tabella(
            "misure",
            _titolo("misure"),
            (
                "Lettera",
                "Misura",
                "Riferimenti",
                "Risorse impegnate (€)",
                "Risorse erogate (€)",
                "Risorse residue (€)",
                "Domande pervenute",
                "Domande approvate",
                "Domande respinte",
            ),
            tuple(
                (
                    m.lettera,
                    m.titolo,
                    m.riferimenti,
                    m.risorse_impegnate,
                    m.risorse_erogate,
                    m.risorse_residue,
                    m.domande_pervenute,
                    m.domande_approvate,
                    m.domande_respinte,
                )
                for m in misure
            ),
            "misure",
        )
    ]


def _avvisi(p: PianoCalcolato) -> list[Tabella]:
    avvisi = p.parte_seconda.avvisi if p.parte_seconda else ()
    return [
        Tabella(
            "avvisi",
            _titolo("avvisi"),
            (
                "Avviso",
                "Numero",
                "Data",
                "Delibera",
                "Misure",
                "Comuni aderenti",
                "Comuni dell'Ambito",
                "Note",
            ),
            tuple(
                (
                    a.titolo,
                    a.numero,
                    a.data,
                    a.delibera,
                    "; ".join(a.misure),
                    a.comuni_aderenti,
                    a.comuni_totali,
                    a.note,
                )
                for a in avvisi
            ),
            "avvisi",
        )
    ]


def _solidarieta(p: PianoCalcolato) -> list[Tabella]:
    contributo: TabellaSolidarieta | None = (
        p.parte_seconda.contributo_solidarieta if p.parte_seconda else None
    )
    righe: list[tuple[Any, ...]] = []
    if contributo is not None:
        righe = [
            (gruppo.denominazione, r.comune, r.riparto, r.residuo, r.totale)
            for gruppo in contributo.gruppi
            for r in gruppo.righe
        ]
        totale = contributo.totale
        righe.append(("Totale", "", totale.riparto, totale.residuo, totale.totale))
    return [
        Tabella(
            "contributo_solidarieta",
            _titolo("solidarieta"),
            ("Aggregazione", "Comune", "Riparto (€)", "Residuo (€)", "Totale (€)"),
            tuple(righe),
            "solidarieta",
        )
    ]


def _riqualificazione(p: PianoCalcolato) -> list[Tabella]:
    interventi = p.parte_seconda.riqualificazione if p.parte_seconda else ()
    return [
        Tabella(
            "riqualificazione",
            _titolo("riqualificazione"),
            ("Contesto", "Ente", "Intervento", "Descrizione", "Finanziamento", "Importo (€)", "Alloggi"),
            tuple(
                (i.contesto, i.ente, i.titolo, i.descrizione, i.finanziamento, i.importo, i.alloggi)
                for i in interventi
            ),
            "riqualificazione",
        )
    ]


def _progettualita(p: PianoCalcolato) -> list[Tabella]:
    progetti = p.parte_terza.progetti if p.parte_terza else ()
    return [
        Tabella(
            "progettualita",
            _titolo("progettualita"),
            ("Progetto", "Promotore", "Partner", "Periodo", "Costo (€)", "Finanziamento", "Descrizione"),
            tuple(
                (x.titolo, x.promotore, x.partner, x.periodo, x.costo, x.finanziamento, x.descrizione)
                for x in progetti
            ),
            "progettualita",
        )
    ]


# --------------------------------------------------------------------------------------------
# Annexes, summary, checks
# --------------------------------------------------------------------------------------------


def _allegato_b(p: PianoCalcolato) -> list[Tabella]:
    nei_lotti = (u for lotto in p.allegato_b.lotti for u in lotto.unita)
    return [
        _elenco(
            "allegato_b", "allegato_b_unita", _titolo("allegato_b", "libere e carenza"), p.allegato_b.unita
        ),
        _elenco("allegato_b", "allegato_b_lotti", _titolo("allegato_b", "lotti"), nei_lotti, con_lotto=True),
    ]


def _sintesi(p: PianoCalcolato) -> list[Tabella]:
    s = p.sintesi
    disponibili = tuple(
        (r.gruppo, r.numero_comuni, r.liberi, r.ristrutturazione, r.carenza, r.conferite, r.totale)
        for r in s.disponibili
    ) + tuple(
        (f"{q.gruppo} (%)", "", q.liberi, q.ristrutturazione, q.carenza, q.conferite, q.totale)
        for q in s.quote_disponibili
    )
    patrimonio = tuple((r.gruppo, r.numero_comuni, r.sap, r.sas, r.totale) for r in s.patrimonio) + tuple(
        (f"{q.gruppo} (%)", "", q.sap, q.sas, q.totale) for q in s.quote_patrimonio
    )
    return [
        Tabella(
            "sintesi_disponibili",
            _titolo("sintesi", "TAB 1, disponibili"),
            (
                "Gruppo",
                "Numero di comuni",
                "Liberi e turn-over",
                "Ristrutturazione",
                "Carenza manutentiva",
                "Conferite",
                "Totale",
            ),
            disponibili,
            "sintesi",
        ),
        Tabella(
            "sintesi_patrimonio",
            _titolo("sintesi", "TAB 2, patrimonio"),
            ("Gruppo", "Numero di comuni", "U.I. SAP", "U.I. SAS", "Totale"),
            patrimonio,
            "sintesi",
        ),
    ]


def _controlli(p: PianoCalcolato) -> list[Tabella]:
    return [
        Tabella(
            "anomalie",
            _titolo("controlli"),
            ("Codice", "Gravità", "Sezione", "Messaggio"),
            tuple((a.codice, a.gravita, a.sezione, a.messaggio) for a in p.anomalie),
            "controlli",
        )
    ]


# The tables of each part of the catalogue that holds figures.
TABELLE: dict[str, Callable[[PianoCalcolato], list[Tabella]]] = {
    "popolazione": _popolazione,
    "aggregazioni": tabelle_aggregazioni,
    "densita": tabelle_densita,
    "senza_sap": _senza_sap,
    "ricognizione": _ricognizione,
    "a": _a,
    "b": lambda p: [_conteggi("b", "b", _titolo("b"), p.b)],
    "costi_b": tabelle_costi_b,
    "c": _c,
    "cbis": tabelle_cbis,
    "d": lambda p: [_conteggi("d", "d", _titolo("d"), p.d)],
    "dbis": tabelle_dbis,
    "e": _e,
    "f": lambda p: [_conteggi("f", "f", _titolo("f"), p.f)],
    "g": _g,
    "h": _h,
    "i": _i,
    "ib": _ib,
    "j": lambda p: [_conteggi("j", "j", _titolo("j"), p.j)],
    "k": _k,
    "misure": _misure,
    "avvisi": _avvisi,
    "solidarieta": _solidarieta,
    "riqualificazione": _riqualificazione,
    "progettualita": _progettualita,
    "allegato_a": tabella_allegato_a,
    "allegato_b": _allegato_b,
    "sintesi": _sintesi,
    "controlli": _controlli,
}


def tabelle_del_piano(calcolo: PianoCalcolato) -> list[Tabella]:
    """Every part of the plan that holds figures under its rules, as tables, in the catalogue's
    order. A part with nothing recorded still has its table, with the headers only."""
    return [
        t
        for v in CATALOGO
        if v.natura == Natura.DATI and presente(v, calcolo)
        for t in TABELLE[v.chiave](calcolo)
    ]
