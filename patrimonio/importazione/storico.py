"""The history rows of an import, built from the values the analysis already holds.

Every row the import writes gets one history row: the unit or state created (its whole «after»),
changed (its whole «before» and «after»), or deleted (its whole «before»), and so the turnover
counts. Values and descriptions come from memory — the analysis's ``Contesto`` and the objects the
bulk inserts returned — never from a foreign key: ``str()`` of a unit reads its comune, of a state
its unit and comune, three queries per row that a 20,000-row upload cannot afford. The values have
the keys ``piano_annuale.storico.istantanea`` gives (column names), the descriptions the text the
models' ``__str__`` gives; a test holds both to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from patrimonio.models import UnitaAbitativa
from piano_annuale.models import AzioneModifica, Caricamento, Stato, StatoUnita, TurnoverPrevisto
from piano_annuale.storico import VoceModifica

from .contesto import Contesto, StatoEsistente, UnitaEsistente
from .righe import Analisi

CAMPI_STATO = ("stato", "programma", "stato_origine", "note")
_NOMI_STATO = {str(valore): str(etichetta) for valore, etichetta in Stato.choices}

Valori = dict[str, Any]


@dataclass
class Scritte:
    """The rows the import inserted, with the pks the database gave them."""

    unita: list[UnitaAbitativa] = field(default_factory=list)
    stati: list[StatoUnita] = field(default_factory=list)
    turnover: list[TurnoverPrevisto] = field(default_factory=list)


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


def valori_unita(ente_id: int, u: UnitaEsistente) -> Valori:
    return {
        "ente_id": ente_id,
        "comune_id": u.comune_id,
        "id_regionale": u.id_regionale,
        "codice_ente": u.codice_ente,
        "tipo": u.tipo,
        "indirizzo": u.indirizzo,
    }


def valori_stato(
    piano_id: int, unita_id: int, valori: tuple[str, str, str, str], da_confermare: bool
) -> Valori:
    return {
        "piano_id": piano_id,
        "unita_id": unita_id,
        **dict(zip(CAMPI_STATO, valori, strict=True)),
        "da_confermare": da_confermare,
    }


def _valori_nuova_unita(u: UnitaAbitativa) -> Valori:
    return {
        "ente_id": u.ente_id,
        "comune_id": u.comune_id,
        "id_regionale": u.id_regionale,
        "codice_ente": u.codice_ente,
        "tipo": u.tipo,
        "indirizzo": u.indirizzo,
    }


def _valori_turnover(piano_id: int, ente_id: int, comune_id: int, numero: int) -> Valori:
    return {"piano_id": piano_id, "ente_id": ente_id, "comune_id": comune_id, "numero": numero}


class _Voci:
    """Builds the history rows of one import: every method appends to ``self.voci``."""

    def __init__(self, analisi: Analisi, contesto: Contesto) -> None:
        self.analisi = analisi
        self.c = contesto
        self.piano_id, self.ente_id = analisi.piano.pk, analisi.ente.pk
        self.voci: list[VoceModifica] = []
        # Each unit's description after the import (the states' descriptions start with it).
        self.descrizioni: dict[int, str] = {}

    def _voce(
        self,
        modello: type[UnitaAbitativa | StatoUnita | TurnoverPrevisto],
        pk: int,
        azione: str,
        prima: Valori | None,
        dopo: Valori | None,
        descrizione: str,
        unita: int | None = None,
    ) -> None:
        self.voci.append(
            VoceModifica(
                modello=modello,
                oggetto_id=pk,
                azione=azione,
                prima=prima,
                dopo=dopo,
                descrizione=descrizione,
                piano=self.piano_id,
                ente=self.ente_id,
                unita=unita,
            )
        )

    def _comune(self, pk: int) -> str:
        return self.c.nomi_comuni.get(pk, "")

    def _descrivi(self, u: UnitaEsistente) -> str:
        return descrizione_unita(u.id_regionale, u.codice_ente, self._comune(u.comune_id))

    def nuove(self, scritte: Scritte) -> None:
        for u in scritte.unita:
            descrizione = descrizione_unita(u.id_regionale, u.codice_ente, self._comune(u.comune_id))
            self.descrizioni[u.pk] = descrizione
            self._voce(
                UnitaAbitativa,
                u.pk,
                AzioneModifica.CREAZIONE,
                None,
                _valori_nuova_unita(u),
                descrizione,
                u.pk,
            )

    def modificate(self) -> None:
        """Changed units (whole before and after) and changed or dropped states."""
        for m in self.analisi.modifiche:
            u = self.c.unita[m.pk]
            prima = valori_unita(self.ente_id, u)
            if m.campi:
                dopo = prima | m.campi
                descrizione = descrizione_unita(
                    dopo["id_regionale"], dopo["codice_ente"], self._comune(dopo["comune_id"])
                )
                self._voce(UnitaAbitativa, m.pk, AzioneModifica.MODIFICA, prima, dopo, descrizione, m.pk)
            else:
                descrizione = self._descrivi(u)
            self.descrizioni[m.pk] = descrizione
            s = m.stato_prima
            if s is None or m.stato_dopo == s.valori():
                continue  # a new state is recorded with the inserted ones
            prima_stato = valori_stato(self.piano_id, m.pk, s.valori(), s.da_confermare)
            if m.stato_dopo is None:
                self._voce(
                    StatoUnita,
                    s.pk,
                    AzioneModifica.ELIMINAZIONE,
                    prima_stato,
                    None,
                    descrizione_stato(descrizione, s.stato),
                    m.pk,
                )
            else:
                dopo_stato = valori_stato(self.piano_id, m.pk, m.stato_dopo, s.da_confermare)
                self._voce(
                    StatoUnita,
                    s.pk,
                    AzioneModifica.MODIFICA,
                    prima_stato,
                    dopo_stato,
                    descrizione_stato(descrizione, m.stato_dopo[0]),
                    m.pk,
                )

    def stati_nuovi(self, scritte: Scritte) -> None:
        for s in scritte.stati:
            dopo = valori_stato(
                s.piano_id, s.unita_id, (s.stato, s.programma, s.stato_origine, s.note), s.da_confermare
            )
            descrizione = descrizione_stato(self.descrizioni[s.unita_id], s.stato)
            self._voce(StatoUnita, s.pk, AzioneModifica.CREAZIONE, None, dopo, descrizione, s.unita_id)

    def rimosse(self) -> None:
        """States the plan loses and units that leave the registry: each with its whole before."""
        cancellate = set(self.analisi.cancellate)
        for pk in self.analisi.rimosse:
            u = self.c.unita[pk]
            descrizione = self._descrivi(u)
            s: StatoEsistente | None = self.c.stati.get(pk)
            if s is not None:
                prima = valori_stato(self.piano_id, pk, s.valori(), s.da_confermare)
                self._voce(
                    StatoUnita,
                    s.pk,
                    AzioneModifica.ELIMINAZIONE,
                    prima,
                    None,
                    descrizione_stato(descrizione, s.stato),
                    pk,
                )
            if pk in cancellate:
                prima = valori_unita(self.ente_id, u)
                self._voce(UnitaAbitativa, pk, AzioneModifica.ELIMINAZIONE, prima, None, descrizione, pk)

    def turnover(self, scritte: Scritte) -> None:
        ente = str(self.analisi.ente)

        def descrizione(comune_id: int, numero: int) -> str:
            return f"{ente} – {self._comune(comune_id)}: {numero}"

        for t in scritte.turnover:
            dopo = _valori_turnover(self.piano_id, self.ente_id, t.comune_id, t.numero)
            self._voce(
                TurnoverPrevisto,
                t.pk,
                AzioneModifica.CREAZIONE,
                None,
                dopo,
                descrizione(t.comune_id, t.numero),
            )
        for pk, riga, numero in self.analisi.turnover_modificati:
            prima = _valori_turnover(self.piano_id, self.ente_id, riga.comune_id, numero)
            dopo = prima | {"numero": riga.numero}
            self._voce(
                TurnoverPrevisto,
                pk,
                AzioneModifica.MODIFICA,
                prima,
                dopo,
                descrizione(riga.comune_id, riga.numero),
            )
        for pk, comune_id, numero in self.analisi.turnover_tolti:
            prima = _valori_turnover(self.piano_id, self.ente_id, comune_id, numero)
            self._voce(
                TurnoverPrevisto, pk, AzioneModifica.ELIMINAZIONE, prima, None, descrizione(comune_id, numero)
            )


def voci_storico(analisi: Analisi, scritte: Scritte) -> list[VoceModifica]:
    """What the import changed, as the history records it: units on the unit, states in the plan
    on the state row, turnover counts on theirs; each row whole, before and after."""
    assert analisi.contesto is not None  # an analysis without errors always has its context
    voci = _Voci(analisi, analisi.contesto)
    voci.nuove(scritte)
    voci.modificate()
    voci.stati_nuovi(scritte)
    voci.rimosse()
    voci.turnover(scritte)
    return voci.voci
