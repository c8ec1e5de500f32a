"""The preview, as stored with the upload and shown on its page, and as plain text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from misure.formati import scrivi_importo
from patrimonio.models import TipoServizio
from piano_annuale.models import Stato

from ..resources import SEZIONE_DELLO_STATO, STATI_MODELLO
from .contesto import Contesto
from .dichiarazioni import TRACCIATI, descrivi
from .errori import neutralizza
from .limiti import FORMATI, VERSIONE_ANTEPRIMA, limite
from .righe import Analisi, Modifica, RigaUnita
from .tracciati import DESCRIZIONE_LAYOUT, LAYOUT_TURNOVER

ETICHETTE_STATO = {s: f"{SEZIONE_DELLO_STATO[s]}) {Stato(s).label}" for s in STATI_MODELLO}
ETICHETTE_CAMPI = {
    "id_regionale": "ID regionale",
    "codice_ente": "Codice dell'ente",
    "comune_id": "Comune",
    "tipo": "Servizio",
    "indirizzo": "Indirizzo",
    "stato": "Stato nell'anno",
    "programma": "Programma / lotto",
    "stato_origine": "Stato come dichiarato",
    "note": "Note",
    "costo_lavori": "Costo stimato dei lavori (€)",
    "note_lavori": "Lavori previsti",
}
_CAMPI_STATO = ("stato", "programma", "stato_origine", "note", "costo_lavori", "note_lavori")
_SENZA_STATO = (None, "", "", "", None, "")


def _etichetta_stato(stato: str | None) -> str:
    return ETICHETTE_STATO.get(stato, "") if stato else "—"


def _comune(c: Contesto | None, pk: int | None) -> str:
    return c.comuni[pk].nome if c is not None and pk in c.comuni else ""


def _aggiunta(c: Contesto | None, r: RigaUnita) -> dict[str, Any]:
    n = neutralizza
    return {
        "foglio": r.foglio,
        "riga": r.riga,
        "id_regionale": n(r.id_regionale or ""),
        "codice_ente": n(r.codice_ente or ""),
        "comune": _comune(c, r.comune_id),
        "servizio": r.tipo or TipoServizio.SAP,
        "stato": _etichetta_stato(r.stato),
        "programma": n(r.programma or ""),
    }


def _modificata(c: Contesto, m: Modifica) -> dict[str, Any]:
    """A changed unit: each field that changes, before and after, in the user's words."""
    n = neutralizza
    u = c.unita[m.pk]
    cambi = []
    for campo, valore in m.campi.items():
        prima = getattr(u, campo)
        if campo == "comune_id":
            prima, valore = _comune(c, prima), _comune(c, valore)
        cambi.append({"campo": ETICHETTE_CAMPI[campo], "prima": n(prima or "—"), "dopo": n(valore or "—")})
    prima_stato: tuple[Any, ...] = m.stato_prima.valori() if m.stato_prima else _SENZA_STATO
    dopo_stato: tuple[Any, ...] = m.stato_dopo or _SENZA_STATO
    for indice, campo in enumerate(_CAMPI_STATO):
        a, b = prima_stato[indice], dopo_stato[indice]
        if a != b and (a or b):
            if campo == "stato":
                a, b = _etichetta_stato(a), _etichetta_stato(b)
            elif campo == "costo_lavori":
                a, b = _importo(a), _importo(b)
            cambi.append({"campo": ETICHETTE_CAMPI[campo], "prima": n(a or "—"), "dopo": n(b or "—")})
    return {
        "foglio": m.riga.foglio,
        "riga": m.riga.riga,
        "id_regionale": n(u.id_regionale or ""),
        "codice_ente": n(u.codice_ente or ""),
        "comune": _comune(c, u.comune_id),
        "cambi": cambi,
    }


def _importo(valore: Any) -> str:
    return scrivi_importo(valore) if isinstance(valore, Decimal) else ""


def _rimossa(c: Contesto, pk: int, cancellate: set[int]) -> dict[str, Any]:
    u = c.unita[pk]
    s = c.stati.get(pk)
    return {
        "id_regionale": neutralizza(u.id_regionale or ""),
        "codice_ente": neutralizza(u.codice_ente or ""),
        "comune": _comune(c, u.comune_id),
        "stato": _etichetta_stato(s.stato if s else None),
        "dal_registro": pk in cancellate,
    }


def _sezioni(analisi: Analisi) -> list[dict[str, Any]]:
    """Units per plan section (b–f) and the turnover count (e), before and after."""
    sezioni: list[dict[str, Any]] = [
        {
            "codice": SEZIONE_DELLO_STATO[s],
            "etichetta": ETICHETTE_STATO[s],
            "prima": analisi.sezioni_prima.get(s, 0),
            "dopo": analisi.sezioni_dopo.get(s, 0),
        }
        for s in STATI_MODELLO
    ]
    sezioni.insert(
        4,
        {
            "codice": "e",
            "etichetta": "e) Alloggi previsti per turn-over (numero)",
            "prima": analisi.sezioni_prima.get("turnover", 0),
            "dopo": analisi.sezioni_dopo.get("turnover", 0),
        },
    )
    for voce in sezioni:
        voce["differenza"] = voce["dopo"] - voce["prima"]
    return sezioni


def _turnover(analisi: Analisi) -> list[dict[str, Any]]:
    c = analisi.contesto
    return (
        [{"comune": _comune(c, t.comune_id), "prima": 0, "dopo": t.numero} for t in analisi.turnover_nuovi]
        + [
            {"comune": _comune(c, t.comune_id), "prima": prima, "dopo": t.numero}
            for _, t, prima in analisi.turnover_modificati
        ]
        + [
            {"comune": _comune(c, comune_id), "prima": prima, "dopo": 0}
            for _, comune_id, prima in analisi.turnover_tolti
        ]
    )


def _scelta(valore: Any) -> Any:
    """A choice as the preview shows it: numbers as they are, texts neutralised, empty as «—»."""
    if valore in (None, ""):
        return "—"
    return valore if isinstance(valore, int) else neutralizza(str(valore))


def anteprima(analisi: Analisi) -> dict[str, Any]:
    """The preview as JSON-ready data: counts exact, lists cut at ``ELEMENTI_IN_ANTEPRIMA``.

    Every text that comes from the file is neutralised, as in any echo of the upload.
    """
    c = analisi.contesto
    quanti = limite("ELEMENTI_IN_ANTEPRIMA")
    cancellate = set(analisi.cancellate)
    turnover = _turnover(analisi)
    rimosse = analisi.rimosse
    return {
        "versione": VERSIONE_ANTEPRIMA,
        "impronta": analisi.impronta if analisi.valida else "",
        "formato": analisi.formato,
        "layout": [DESCRIZIONE_LAYOUT[lay] for lay in analisi.layout],
        "righe": analisi.righe,
        "conteggi": {
            "aggiunte": len(analisi.nuove),
            "modificate": len(analisi.modifiche),
            "rimosse": len(rimosse),
            "cancellate": len(cancellate),
            "invariate": analisi.invariate,
            "errori": len(analisi.errori),
            "turnover": len(turnover),
        },
        # States carried over from last year that the file lists as they are: confirmed.
        "confermati": len(analisi.da_confermare),
        "ci_sono_modifiche": analisi.ci_sono_modifiche,
        "sezioni": _sezioni(analisi) if analisi.valida else [],
        "aggiunte": [_aggiunta(c, r) for r in analisi.nuove[:quanti]],
        "modificate": [_modificata(c, m) for m in analisi.modifiche[:quanti]] if c is not None else [],
        "rimosse": [_rimossa(c, pk, cancellate) for pk in rimosse[:quanti]] if c is not None else [],
        "turnover": turnover[:quanti],
        "turnover_presente": analisi.turnover_presente,
        # Whether the file lists units at all (a file of turnover or consistenza alone does not).
        "unita_presenti": any(lay != LAYOUT_TURNOVER for lay in analisi.layout),
        "scelte_presenti": analisi.scelte_presenti,
        "scelte": [
            {"campo": campo, "prima": _scelta(prima), "dopo": _scelta(dopo)}
            for campo, prima, dopo in analisi.scelte_cambi
        ],
        "dichiarati": [
            {
                "tipo": f.tipo,
                "foglio": neutralizza(f.foglio),
                "titolo": TRACCIATI[f.tipo].titolo,
                "cambi": [
                    {
                        "voce": c.voce,
                        "prima": neutralizza(descrivi(f.tipo, c.prima)),
                        "dopo": neutralizza(descrivi(f.tipo, c.dopo)),
                    }
                    for c in f.cambi[:quanti]
                ],
            }
            for f in analisi.dichiarati
        ],
        "avvisi": analisi.avvisi[:quanti],
        "limite": quanti,
    }


def riepilogo_testuale(analisi: Analisi) -> str:
    """The preview as plain text (management command, logs)."""
    dati = anteprima(analisi)
    righe = [f"File: {analisi.nome_file} ({FORMATI.get(analisi.formato, analisi.formato or '?')})"]
    if dati["layout"]:
        righe.append("Formato riconosciuto: " + "; ".join(dati["layout"]))
    righe.append(f"Righe lette: {analisi.righe}")
    if analisi.errori:
        righe.append(f"ERRORI ({len(analisi.errori)}): nessun dato può essere registrato.")
        for e in analisi.errori[: limite("ERRORI_IN_ANTEPRIMA")]:
            dove = f"{e.foglio} " if e.foglio else ""
            dove += f"riga {e.riga}" if e.riga else "file"
            colonna = f", colonna {e.colonna}" if e.colonna else ""
            valore = f", valore «{neutralizza(e.valore)}»" if e.valore else ""
            righe.append(f"  - {dove}{colonna}{valore}: {e.messaggio}")
        return "\n".join(righe)
    k = dati["conteggi"]
    righe.append(
        f"Unità aggiunte: {k['aggiunte']}, modificate: {k['modificate']}, tolte: {k['rimosse']} "
        f"(di cui cancellate dal registro: {k['cancellate']}), invariate: {k['invariate']}."
    )
    righe.append("Sezioni (unità SAP):  prima → dopo")
    for s in dati["sezioni"]:
        righe.append(f"  {s['etichetta']}: {s['prima']} → {s['dopo']}")
    for voce in dati["turnover"]:
        righe.append(f"  Turn-over {voce['comune']}: {voce['prima']} → {voce['dopo']}")
    for voce in dati["scelte"]:
        righe.append(f"  Scelte, {voce['campo']}: {voce['prima']} → {voce['dopo']}")
    if dati["confermati"]:
        righe.append(f"Stati ripresi dal piano precedente confermati: {dati['confermati']}.")
    for foglio in dati["dichiarati"]:
        if not foglio["cambi"]:
            righe.append(f"{foglio['titolo']}: invariato.")
        for voce in foglio["cambi"]:
            righe.append(f"  {foglio['titolo']}, {voce['voce']}: {voce['prima']} → {voce['dopo']}")
    righe.extend(f"Avviso: {a}" for a in analisi.avvisi)
    return "\n".join(righe)
