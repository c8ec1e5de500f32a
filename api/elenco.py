"""The full unit list sent as JSON, laid out as the spreadsheet template's sheets, so that it goes
through the upload's own analysis (``analizza_fogli``: the same rows, messages and preview) and its
own write (``registra``: one transaction, only the rows that change, their history in bulk)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from patrimonio.importazione import Analisi, Errore, anteprima, limite
from patrimonio.importazione.analisi import analizza_fogli
from patrimonio.importazione.lettura import Foglio
from patrimonio.models import EnteProprietario
from patrimonio.resources import COLONNE_TURNOVER, NOME_FOGLIO_TURNOVER, NOME_FOGLIO_UNITA, colonne_unita
from piano_annuale.models import PianoAnnuale

from .errori import DatiNonValidi

# The JSON keys of a row and the template's column keys (``id`` is the template's hidden «ID interno»).
CHIAVI_UNITA = {"id": "pk"}
_COLONNA = re.compile(r"\s*\(colonna [A-Z]+\)$")


def _intestazioni(con_lavori: bool) -> list[tuple[str, str]]:
    """(column key, header) of the unit sheet under the plan's rules, without the ente's column."""
    return [(c.chiave, c.intestazione) for c in colonne_unita(con_lavori=con_lavori) if c.chiave != "ente"]


def _cella(valore: Any) -> Any:
    return "" if valore is None else valore


def fogli_dell_elenco(
    unita: Iterable[Mapping[str, Any]], turnover: Iterable[Mapping[str, Any]] | None, *, con_lavori: bool
) -> list[Foglio]:
    """The JSON rows as the template's sheets: header on row 1, the n-th row of the list on row n + 1."""
    colonne = _intestazioni(con_lavori)
    inverse = {v: k for k, v in CHIAVI_UNITA.items()}
    righe: list[list[Any]] = [[intestazione for _, intestazione in colonne]]
    righe.extend([_cella(riga.get(inverse.get(chiave, chiave))) for chiave, _ in colonne] for riga in unita)
    fogli = [Foglio(NOME_FOGLIO_UNITA, righe, altezza=len(righe))]
    if turnover is not None:
        colonne_t = [(c.chiave, c.intestazione) for c in COLONNE_TURNOVER]
        righe_t: list[list[Any]] = [[intestazione for _, intestazione in colonne_t]]
        righe_t.extend([_cella(riga.get(chiave)) for chiave, _ in colonne_t] for riga in turnover)
        fogli.append(Foglio(NOME_FOGLIO_TURNOVER, righe_t, altezza=len(righe_t)))
    return fogli


def _righe(
    valore: Any, elenco: str, errori: list[dict[str, Any]], *, obbligatorio: bool
) -> list[Mapping[str, Any]] | None:
    """The rows of one list, each an object of plain values (text, numbers, null): what a sheet's
    cells can hold. Checked here, row by row and cheaply; the cells' meaning is the analysis's."""
    if valore is None and not obbligatorio:
        return None
    if not isinstance(valore, list):
        errori.append({"elenco": elenco, "campo": elenco, "messaggio": "Indicare un elenco di oggetti."})
        return None
    for indice, riga in enumerate(valore, start=1):
        if not isinstance(riga, dict):
            errori.append(
                {"elenco": elenco, "riga": indice, "campo": "", "messaggio": "Ogni riga è un oggetto."}
            )
            continue
        for chiave, cella in riga.items():
            if cella is not None and (isinstance(cella, bool) or not isinstance(cella, str | int | float)):
                errori.append(
                    {
                        "elenco": elenco,
                        "riga": indice,
                        "campo": str(chiave),
                        "messaggio": "Il valore deve essere un testo, un numero o null.",
                    }
                )
    return valore


def righe_della_richiesta(dati: Any) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]] | None]:
    """The request's ``unita`` and optional ``turnover`` lists, or ``DatiNonValidi`` naming what is
    malformed (the body's shape; the cells are validated by the analysis, as a file's)."""
    if not isinstance(dati, dict):
        raise DatiNonValidi(
            [
                {
                    "campo": "",
                    "messaggio": "Il corpo è un oggetto con l'elenco «unita» (e, se serve, «turnover»).",
                }
            ]
        )
    errori: list[dict[str, Any]] = []
    if "unita" not in dati:
        errori.append({"elenco": "unita", "campo": "unita", "messaggio": "Manca l'elenco «unita»."})
    unita = _righe(dati.get("unita"), "unita", errori, obbligatorio=True)
    if unita is not None and len(unita) > limite("RIGHE_MASSIME"):
        raise DatiNonValidi(
            [
                {
                    "elenco": "unita",
                    "campo": "unita",
                    "messaggio": f"Al più {limite('RIGHE_MASSIME')} unità per elenco.",
                }
            ]
        )
    turnover = _righe(dati.get("turnover"), "turnover", errori, obbligatorio=False)
    if errori:
        raise DatiNonValidi(errori)
    return unita or [], turnover


def analizza_elenco(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    unita: list[Mapping[str, Any]],
    turnover: list[Mapping[str, Any]] | None,
    origine: str,
) -> Analisi:
    """What the full list would change, validated as the upload validates a file. Writes nothing."""
    con_lavori = piano.regole_applicate().valori.con_costo_lavori
    analisi = Analisi(piano=piano, ente=ente, nome_file=origine)
    return analizza_fogli(analisi, fogli_dell_elenco(unita, turnover, con_lavori=con_lavori))


def errori_del_elenco(analisi: Analisi, *, con_lavori: bool) -> list[dict[str, Any]]:
    """The analysis's errors as problem entries: the list (``unita`` or ``turnover``), the row in it
    (from 1), the JSON field, the value and the upload's own Italian message."""
    chiavi = {
        intestazione: CHIAVI_UNITA.get(chiave, chiave) for chiave, intestazione in _intestazioni(con_lavori)
    }
    chiavi_turnover = {c.intestazione: c.chiave for c in COLONNE_TURNOVER}
    voci = []
    for errore in analisi.errori:
        voci.append(_voce(errore, chiavi_turnover if errore.foglio == NOME_FOGLIO_TURNOVER else chiavi))
    return voci


def _voce(errore: Errore, chiavi: dict[str, str]) -> dict[str, Any]:
    elenco = "turnover" if errore.foglio == NOME_FOGLIO_TURNOVER else "unita"
    intestazione = _COLONNA.sub("", errore.colonna or "")
    voce: dict[str, Any] = {
        "elenco": elenco,
        "campo": chiavi.get(intestazione, intestazione),
        "messaggio": errore.messaggio,
    }
    if errore.riga is not None and errore.riga > 1:
        voce["riga"] = errore.riga - 1
    if errore.valore:
        voce["valore"] = errore.valore
    return voce


def anteprima_elenco(analisi: Analisi) -> dict[str, Any]:
    """The upload's preview of the analysis, as the spreadsheet's page shows it."""
    return anteprima(analisi)
