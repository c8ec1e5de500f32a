"""What every check shares: the two severities, the catalogue entry, how an ente and a unit are named."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from piano_annuale.calcolo.dati import DatiPiano
from piano_annuale.calcolo.tipi import Anomalia, PianoCalcolato
from piano_annuale.models import Stato

ERRORE = "errore"  # blocks sending the draft to ALER and the approval
AVVISO = "avviso"  # shown, blocks nothing

STATI = dict(Stato.choices)


@dataclass(frozen=True)
class Controllo:
    codice: str
    gravita: str
    titolo: str
    sezione: str
    esegui: Callable[[DatiPiano, PianoCalcolato], Iterator[Anomalia]]


def nome_ente(dati: DatiPiano, ente_id: int) -> str:
    return dati.enti[ente_id].denominazione


def descrivi_unita(id_regionale: str | None, codice_ente: str) -> str:
    """«0190360000123 (A-12)»: a unit as the messages name it."""
    ident = id_regionale or "senza ID regionale"
    return f"{ident} ({codice_ente})" if codice_ente else ident
