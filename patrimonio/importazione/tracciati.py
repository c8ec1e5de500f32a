"""The header layouts a sheet may have: our template, the regional platform's two Allegato B lists,
the turnover sheet. Column specs (headers and aliases) come from ``patrimonio.resources``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from piano_annuale.models import Stato

from ..resources import (
    COLONNE_TURNOVER,
    COLONNE_UNITA,
    INTESTAZIONI_PIATTAFORMA_ELENCO,
    INTESTAZIONI_PIATTAFORMA_LOTTI,
    INTESTAZIONI_TURNOVER,
    INTESTAZIONI_UNITA,
    normalizza,
)
from .celle import lettera_colonna, testo
from .errori import Errore

LAYOUT_MODELLO = "modello"
LAYOUT_ELENCO = "piattaforma_elenco"
LAYOUT_LOTTI = "piattaforma_lotti"
LAYOUT_TURNOVER = "turnover"
DESCRIZIONE_LAYOUT = {
    LAYOUT_MODELLO: "modello del servizio (elenco completo delle unità dell'ente)",
    LAYOUT_ELENCO: "elenco della piattaforma regionale (unità libere e in carenza manutentiva, Allegato B)",
    LAYOUT_LOTTI: "elenco per lotto della piattaforma regionale (unità in ristrutturazione, Allegato B)",
    LAYOUT_TURNOVER: "alloggi previsti per turn-over per comune",
}
# The states a platform list speaks for: units in these states that it no longer lists lose them.
AMBITO_LAYOUT = {
    LAYOUT_ELENCO: {Stato.LIBERA, Stato.CARENZA_MANUTENTIVA},
    LAYOUT_LOTTI: {Stato.RISTRUTTURAZIONE},
}
RIGHE_CERCA_INTESTAZIONE = 20


@dataclass
class Intestazione:
    """The header row of a sheet: where each known column is, and what it is called there."""

    riga: int
    layout: str
    colonne: dict[str, int]  # column key → index in the row
    nomi: dict[str, str]  # column key → header as written, with its letter
    ignorate: list[str]


def _riconosci(
    valori: Sequence[Any], prima_colonna: int
) -> tuple[dict[str, int], dict[str, str], list[str], list[str], set[str]]:
    """Match a row's cells to the known headers of the unit and turnover sheets."""
    colonne: dict[str, int] = {}
    nomi: dict[str, str] = {}
    ignorate: list[str] = []
    doppie: list[str] = []
    normalizzate: set[str] = set()
    for indice, valore in enumerate(valori):
        scritto = testo(valore)
        if not scritto:
            continue
        chiave_testo = normalizza(scritto)
        normalizzate.add(chiave_testo)
        chiave = INTESTAZIONI_UNITA.get(chiave_testo) or INTESTAZIONI_TURNOVER.get(chiave_testo)
        etichetta = f"{scritto} (colonna {lettera_colonna(indice + prima_colonna)})"
        if chiave is None:
            ignorate.append(etichetta)
        elif chiave in colonne:
            doppie.append(etichetta)
        else:
            colonne[chiave] = indice
            nomi[chiave] = etichetta
    return colonne, nomi, ignorate, doppie, normalizzate


def _e_intestazione(colonne: dict[str, int]) -> bool:
    """A row is a header when it names at least two known columns, among them a unit's or a count."""
    return len(colonne) >= 2 and bool({"id_regionale", "stato", "numero", "codice_ente"} & set(colonne))


def trova_intestazione(
    riga: int, valori: Sequence[Any], prima_colonna: int, foglio: str, errori: list[Errore]
) -> Intestazione | None:
    colonne, nomi, ignorate, doppie, normalizzate = _riconosci(valori, prima_colonna)
    if not _e_intestazione(colonne):
        return None
    for etichetta in doppie:
        errori.append(
            Errore(riga, etichetta, "", "La colonna compare due volte: lasciarne una sola.", foglio)
        )
    if "numero" in colonne and not ({"id_regionale", "stato", "codice_ente"} & set(colonne)):
        layout, richieste = LAYOUT_TURNOVER, COLONNE_TURNOVER
        colonne.pop("id_regionale", None)
    else:
        richieste = COLONNE_UNITA
        if normalizzate & INTESTAZIONI_PIATTAFORMA_LOTTI:
            layout = LAYOUT_LOTTI
        elif normalizzate & INTESTAZIONI_PIATTAFORMA_ELENCO:
            layout = LAYOUT_ELENCO
        else:
            layout = LAYOUT_MODELLO
        if "numero" in colonne:  # a count column in a unit sheet is not ours
            ignorate.append(nomi.pop("numero"))
            colonne.pop("numero")
    for colonna in richieste:
        mancante = colonna.chiave not in colonne
        if colonna.chiave == "comune" and "codice_istat" in colonne:
            mancante = False  # the ISTAT code is enough to find the comune
        if colonna.obbligatoria and mancante:
            errori.append(
                Errore(
                    riga,
                    colonna.intestazione,
                    "",
                    f"Manca la colonna «{colonna.intestazione}». Le intestazioni devono essere quelle "
                    "del modello scaricato da questo servizio (o dell'elenco della piattaforma "
                    "regionale).",
                    foglio,
                )
            )
    return Intestazione(riga, layout, colonne, nomi, ignorate)
