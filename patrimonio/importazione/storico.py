"""The history rows of an import, built from the values the analysis already holds.

Every row the import writes gets one history row: the unit or state created (its whole «after»),
changed (its whole «before» and «after»), or deleted (its whole «before»), and so the turnover
counts. Values and descriptions come from memory — the whole rows the analysis's ``Contesto`` read,
the values the inserts were given and the pks they returned — never from a foreign key: ``str()``
of a unit reads its comune, of a state its unit and comune, three queries per row that a
20,000-row upload cannot afford. The values have the keys ``piano_annuale.storico.istantanea``
gives (column names), the descriptions the text the models' ``__str__`` gives; tests hold both to
it. The rows are generated as they are inserted, 10,000 per statement (``inserisci_voci``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from patrimonio.models import UnitaAbitativa
from piano_annuale.models import (
    AzioneModifica,
    Caricamento,
    Modifica,
    Stato,
    StatoUnita,
    TurnoverPrevisto,
)

from .contesto import (
    COLONNE_STATO,
    COLONNE_TURNOVER,
    COLONNE_UNITA,
    Contesto,
    StatoEsistente,
    UnitaEsistente,
)
from .righe import Analisi, ValoriStato
from .sql import inserisci

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CAMPI_STATO = ("stato", "programma", "stato_origine", "note", "costo_lavori", "note_lavori")
_NOMI_STATO = {str(valore): str(etichetta) for valore, etichetta in Stato.choices}

Valori = dict[str, Any]
Inserita = tuple[int, list[Any]]  # a new row's pk and its values, in the order of ``sql.colonne``


@dataclass
class Scritte:
    """The rows the import inserted, with the pks the database gave them."""

    unita: list[Inserita] = field(default_factory=list)
    stati: list[Inserita] = field(default_factory=list)
    turnover: list[Inserita] = field(default_factory=list)


def origine_di(analisi: Analisi, caricamento: Caricamento | None) -> str:
    """«importazione n. 12 (unita.xlsx)»: where the history says the changes come from."""
    if caricamento is not None:
        return f"importazione n. {caricamento.pk} ({caricamento.nome_file})"
    return f"importazione ({analisi.nome_file})"


# -- descriptions, as the models' __str__ writes them


def descrizione_unita(id_regionale: str | None, codice_ente: str, comune: str) -> str:
    """What ``str(UnitaAbitativa)`` gives, from the values: «U.I. 36501269 (CR-1) – Cremona»."""
    codice = f" ({codice_ente})" if codice_ente else ""
    return f"U.I. {id_regionale or 'ID non comunicato'}{codice} – {comune}"


def descrizione_stato(unita: str, stato: str) -> str:
    """What ``str(StatoUnita)`` gives: the unit's description and the state's label."""
    return f"{unita}: {_NOMI_STATO.get(stato, stato)}"


# -- whole rows, keyed as istantanea keys them


def valori_unita(u: UnitaEsistente) -> Valori:
    """A unit's whole row as the analysis read it."""
    return dict(zip(COLONNE_UNITA, u.riga, strict=True))


def valori_stato(s: StatoEsistente, dopo: ValoriStato | None = None) -> Valori:
    """A state's whole row as the analysis read it; with ``dopo``, as the import leaves it."""
    valori = dict(zip(COLONNE_STATO, s.riga, strict=True))
    if dopo is not None:
        valori.update(zip(CAMPI_STATO, dopo, strict=True))
        valori["da_confermare"] = False  # a state the import writes is the ente's own
    return valori


# The history row of one changed row: table, id, description, action, before, after, unit. The
# plan and the ente are the import's; who, when and why are the same for all its rows.
Voce = tuple[str, int, str, str, Valori | None, Valori | None, int | None]

_UNITA = UnitaAbitativa._meta.label_lower
_STATO = StatoUnita._meta.label_lower
_TURNOVER = TurnoverPrevisto._meta.label_lower
# Plain strings: the loops below run once per row written.
_CREAZIONE = str(AzioneModifica.CREAZIONE.value)
_MODIFICA = str(AzioneModifica.MODIFICA.value)
_ELIMINAZIONE = str(AzioneModifica.ELIMINAZIONE.value)


class _Voci:
    """Builds the history rows of one import: each method yields those of one kind of change."""

    def __init__(self, analisi: Analisi, contesto: Contesto) -> None:
        self.analisi = analisi
        self.c = contesto
        self.piano_id, self.ente_id = analisi.piano.pk, analisi.ente.pk
        # Each unit's description after the import (the states' descriptions start with it).
        self.descrizioni: dict[int, str] = {}

    def _comune(self, pk: int) -> str:
        return self.c.nomi_comuni.get(pk, "")

    def _descrivi(self, u: UnitaEsistente) -> str:
        return descrizione_unita(u.id_regionale, u.codice_ente, self._comune(u.comune_id))

    def nuove(self, scritte: Scritte) -> Iterator[Voce]:
        descrizioni, nomi = self.descrizioni, self.c.nomi_comuni
        for pk, valori in scritte.unita:
            dopo = dict(zip(COLONNE_UNITA, valori, strict=True))
            descrizione = descrizione_unita(
                dopo["id_regionale"], dopo["codice_ente"], nomi.get(dopo["comune_id"], "")
            )
            descrizioni[pk] = descrizione
            yield (_UNITA, pk, descrizione, _CREAZIONE, None, dopo, pk)

    def modificate(self) -> Iterator[Voce]:
        """Changed units (whole before and after) and changed or dropped states."""
        for m in self.analisi.modifiche:
            u = self.c.unita[m.pk]
            prima = valori_unita(u)
            if m.campi:
                dopo = prima | m.campi
                descrizione = descrizione_unita(
                    dopo["id_regionale"], dopo["codice_ente"], self._comune(dopo["comune_id"])
                )
                yield (_UNITA, m.pk, descrizione, _MODIFICA, prima, dopo, m.pk)
            else:
                descrizione = self._descrivi(u)
            self.descrizioni[m.pk] = descrizione
            s = m.stato_prima
            if s is None or m.stato_dopo == s.valori():
                continue  # a new state is recorded with the inserted ones
            prima_stato = valori_stato(s)
            if m.stato_dopo is None:
                descrizione_s = descrizione_stato(descrizione, s.stato)
                yield (_STATO, s.pk, descrizione_s, _ELIMINAZIONE, prima_stato, None, m.pk)
            else:
                dopo_stato = valori_stato(s, m.stato_dopo)
                descrizione_s = descrizione_stato(descrizione, m.stato_dopo[0])
                yield (_STATO, s.pk, descrizione_s, _MODIFICA, prima_stato, dopo_stato, m.pk)

    def stati_nuovi(self, scritte: Scritte) -> Iterator[Voce]:
        descrizioni = self.descrizioni
        for pk, valori in scritte.stati:
            dopo = dict(zip(COLONNE_STATO, valori, strict=True))
            descrizione = descrizione_stato(descrizioni[dopo["unita_id"]], dopo["stato"])
            yield (_STATO, pk, descrizione, _CREAZIONE, None, dopo, dopo["unita_id"])

    def confermate(self) -> Iterator[Voce]:
        """States carried over from last year that the file confirms as they are."""
        if not self.analisi.da_confermare:
            return
        unita_dello_stato = {s.pk: u for u, s in self.c.stati.items()}
        for pk in self.analisi.da_confermare:
            unita_id = unita_dello_stato[pk]
            s = self.c.stati[unita_id]
            prima = valori_stato(s)
            dopo = prima | {"da_confermare": False}
            descrizione = descrizione_stato(
                self.descrizioni.get(unita_id) or self._descrivi(self.c.unita[unita_id]), s.stato
            )
            yield (_STATO, pk, descrizione, _MODIFICA, prima, dopo, unita_id)

    def rimosse(self) -> Iterator[Voce]:
        """States the plan loses and units that leave the registry: each with its whole before."""
        cancellate = set(self.analisi.cancellate)
        for pk in self.analisi.rimosse:
            u = self.c.unita[pk]
            descrizione = self._descrivi(u)
            s: StatoEsistente | None = self.c.stati.get(pk)
            if s is not None:
                prima = valori_stato(s)
                yield (
                    (_STATO, s.pk, descrizione_stato(descrizione, s.stato), _ELIMINAZIONE, prima, None, pk)
                )
            if pk in cancellate:
                yield (_UNITA, pk, descrizione, _ELIMINAZIONE, valori_unita(u), None, pk)

    def turnover(self, scritte: Scritte) -> Iterator[Voce]:
        ente, righe = str(self.analisi.ente), self.c.righe_turnover

        def descrizione(comune_id: int, numero: int) -> str:
            return f"{ente} – {self._comune(comune_id)}: {numero}"

        for pk, valori in scritte.turnover:
            dopo = dict(zip(COLONNE_TURNOVER, valori, strict=True))
            yield (
                (_TURNOVER, pk, descrizione(dopo["comune_id"], dopo["numero"]), _CREAZIONE, None, dopo, None)
            )
        for pk, riga, _ in self.analisi.turnover_modificati:
            prima = dict(zip(COLONNE_TURNOVER, righe[pk], strict=True))
            dopo = prima | {"numero": riga.numero}
            yield (_TURNOVER, pk, descrizione(riga.comune_id, riga.numero), _MODIFICA, prima, dopo, None)
        for pk, comune_id, numero in self.analisi.turnover_tolti:
            prima = dict(zip(COLONNE_TURNOVER, righe[pk], strict=True))
            yield (_TURNOVER, pk, descrizione(comune_id, numero), _ELIMINAZIONE, prima, None, None)


def voci_storico(analisi: Analisi, scritte: Scritte) -> Iterator[Voce]:
    """What the import changed, as the history records it: units on the unit, states in the plan
    on the state row, turnover counts on theirs; each row whole, before and after. A generator: the
    rows are inserted as they come, a block at a time."""
    assert analisi.contesto is not None  # an analysis without errors always has its context
    voci = _Voci(analisi, analisi.contesto)
    yield from voci.nuove(scritte)
    yield from voci.modificate()  # fills the descriptions of the changed units…
    yield from voci.stati_nuovi(scritte)  # … that their new states start with
    yield from voci.confermate()
    yield from voci.rimosse()
    yield from voci.turnover(scritte)


# --------------------------------------------------------------------------------------------
# One INSERT for every history row
# --------------------------------------------------------------------------------------------

# What each history row carries, in the order of ``Voce``; the rest is the same for all rows.
_PER_RIGA = ("modello", "oggetto_id", "descrizione", "azione", "prima", "dopo", "unita_id")


def inserisci_voci(
    voci: Iterable[Voce],
    *,
    analisi: Analisi,
    utente: User | None,
    origine: str,
    motivo: str = "",
) -> int:
    """Record the history rows of an import with one ``INSERT`` per 10,000 rows; return how many.
    Call it in the transaction of the writes it describes.

    The rows ``piano_annuale.storico.registra_modifiche`` would write, without its model instances
    and per-field preparation: for 20,000 new units (40,000 history rows) its ``bulk_create`` took
    three times the insert of the units themselves, and the benchmark allows half of it.
    """
    utente_id = utente.pk if utente is not None and getattr(utente, "is_authenticated", False) else None
    costanti = {
        "piano_id": analisi.piano.pk,
        "ente_id": analisi.ente.pk,
        "utente_id": utente_id,
        "eseguita_il": timezone.now(),
        "origine": origine[:200],
        "motivo": motivo,
    }
    lunghezza = Modifica._meta.get_field("descrizione").max_length or 300
    contate = 0

    def righe() -> Iterator[Voce]:
        nonlocal contate
        for v in voci:
            contate += 1
            yield v if len(v[2]) <= lunghezza else (v[0], v[1], v[2][:lunghezza], *v[3:])

    inserisci(Modifica, _PER_RIGA, righe(), costanti=costanti)
    return contate
