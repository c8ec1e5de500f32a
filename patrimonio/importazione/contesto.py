"""What the database holds for an upload, read once: the ambito's comuni, the ente's units, their
state in the plan and the ente's turnover, each with one query."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from ambito.models import Comune
from patrimonio.models import EnteProprietario, UnitaAbitativa
from piano_annuale.models import PianoAnnuale, StatoUnita, TurnoverPrevisto

from ..resources import normalizza
from .sql import colonne

# Every column of the rows an import may change or delete: the history keeps them whole.
COLONNE_UNITA = colonne(UnitaAbitativa)
COLONNE_STATO = colonne(StatoUnita)
COLONNE_TURNOVER = colonne(TurnoverPrevisto)


@dataclass(slots=True)
class UnitaEsistente:
    id_regionale: str | None
    codice_ente: str
    comune_id: int
    tipo: str
    indirizzo: str
    riga: tuple[Any, ...] = ()  # every column, in the order of COLONNE_UNITA


@dataclass(slots=True)
class StatoEsistente:
    pk: int
    stato: str
    programma: str
    stato_origine: str
    note: str
    costo_lavori: Decimal | None = None
    note_lavori: str = ""
    riga: tuple[Any, ...] = ()  # every column, in the order of COLONNE_STATO
    da_confermare: bool = False  # carried over from last year's plan, not yet confirmed

    def valori(self) -> tuple[str, str, str, str, Decimal | None, str]:
        """As ``righe.ValoriStato``: what the import compares and writes."""
        return (
            self.stato,
            self.programma,
            self.stato_origine,
            self.note,
            self.costo_lavori,
            self.note_lavori,
        )


@dataclass
class ComuneNoto:
    pk: int
    nome: str
    codice_istat: str


class Contesto:
    """The ambito's comuni and the ente's units, states and turnover, each read with one query."""

    def __init__(self, *, piano: PianoAnnuale, ente: EnteProprietario) -> None:
        self.piano = piano
        self.ente = ente
        self.regole = piano.regole_applicate().valori  # which columns the plan's rules have
        comuni = [
            ComuneNoto(*riga)
            for riga in Comune.objects.filter(ambito_id=piano.ambito_id).values_list(
                "pk", "nome", "codice_istat"
            )
        ]
        self.comuni = {c.pk: c for c in comuni}
        self.comuni_per_nome = {normalizza(c.nome): c for c in comuni}
        self.comuni_per_istat = {c.codice_istat: c for c in comuni}
        self.unita: dict[int, UnitaEsistente] = {}
        self.per_id: dict[str, int] = {}
        self.per_codice: dict[str, int] = {}
        u = [
            COLONNE_UNITA.index(c) for c in ("id_regionale", "codice_ente", "comune_id", "tipo", "indirizzo")
        ]
        for pk, *riga in UnitaAbitativa.objects.filter(ente=ente).values_list("pk", *COLONNE_UNITA):
            id_regionale, codice = riga[u[0]], riga[u[1]]
            self.unita[pk] = UnitaEsistente(
                id_regionale, codice, riga[u[2]], riga[u[3]], riga[u[4]], tuple(riga)
            )
            if id_regionale:
                self.per_id[id_regionale] = pk
            if codice:
                self.per_codice[codice] = pk
        s = [
            COLONNE_STATO.index(c)
            for c in (
                "unita_id",
                "stato",
                "programma",
                "stato_origine",
                "note",
                "costo_lavori",
                "note_lavori",
                "da_confermare",
            )
        ]
        self.stati: dict[int, StatoEsistente] = {}
        for pk, *riga in StatoUnita.objects.filter(piano=piano, unita__ente=ente).values_list(
            "pk", *COLONNE_STATO
        ):
            self.stati[riga[s[0]]] = StatoEsistente(
                pk,
                riga[s[1]],
                riga[s[2]],
                riga[s[3]],
                riga[s[4]],
                riga[s[5]],
                riga[s[6]],
                tuple(riga),
                bool(riga[s[7]]),
            )
        # comune → (pk, numero), and each count's whole row by pk.
        self.turnover: dict[int, tuple[int, int]] = {}
        self.righe_turnover: dict[int, tuple[Any, ...]] = {}
        t = [COLONNE_TURNOVER.index(c) for c in ("comune_id", "numero")]
        for pk, *riga in TurnoverPrevisto.objects.filter(piano=piano, ente=ente).values_list(
            "pk", *COLONNE_TURNOVER
        ):
            self.turnover[riga[t[0]]] = (pk, riga[t[1]])
            self.righe_turnover[pk] = tuple(riga)
        self.chiavi_ente = self._chiavi_ente(ente)
        # Every comune a unit of the ente is in, by name, for the history's descriptions: those of
        # the ambito are known; a unit elsewhere (old data) costs one more query.
        self.nomi_comuni: dict[int, str] = {c.pk: c.nome for c in comuni}
        altrove = {u.comune_id for u in self.unita.values()} - self.nomi_comuni.keys()
        if altrove:
            self.nomi_comuni.update(Comune.objects.filter(pk__in=altrove).values_list("pk", "nome"))

    @staticmethod
    def _chiavi_ente(ente: EnteProprietario) -> set[str]:
        """How a row may name this ente: its denominazione, «ALER» for ALER, «Comune di X»."""
        chiavi = {normalizza(ente.denominazione)}
        if ente.tipo == "aler":
            chiavi.add("aler")
        if ente.comune is not None:
            nome = normalizza(ente.comune.nome)
            chiavi |= {nome, f"comune di {nome}", f"comune {nome}"}
        return chiavi

    def comuni_fuori_ambito(self, nomi: set[str], codici: set[str]) -> dict[str, str]:
        """Of names and ISTAT codes not in the ambito, those that are comuni elsewhere → their name."""
        trovati: dict[str, str] = {}
        if codici:
            for blocco in a_blocchi(sorted(codici)):
                for codice, nome in Comune.objects.filter(codice_istat__in=blocco).values_list(
                    "codice_istat", "nome"
                ):
                    trovati[codice] = nome
        if nomi:
            for nome in Comune.objects.exclude(ambito_id=self.piano.ambito_id).values_list("nome", flat=True):
                chiave = normalizza(nome)
                if chiave in nomi:
                    trovati[chiave] = nome
        return trovati


def id_regionali_altrui(id_regionali: list[str], *, ente_id: int) -> set[str]:
    """Which of ``id_regionali`` belong to units of enti other than ``ente_id``.

    One query for any number of IDs: the list goes as one array (PostgreSQL) or one JSON text
    (SQLite), so 100,000 IDs cost neither 100,000 parameters nor Django's per-value preparation.
    """
    tabella = connection.ops.quote_name(UnitaAbitativa._meta.db_table)
    colonna_id = connection.ops.quote_name("id_regionale")
    colonna_ente = connection.ops.quote_name("ente_id")
    if connection.vendor == "postgresql":
        sql = f"SELECT {colonna_id} FROM {tabella} WHERE {colonna_ente} <> %s AND {colonna_id} = ANY(%s)"
        parametri: list[Any] = [ente_id, list(id_regionali)]
    elif connection.vendor == "sqlite":
        sql = (
            f"SELECT {colonna_id} FROM {tabella} WHERE {colonna_ente} <> %s "
            f"AND {colonna_id} IN (SELECT value FROM json_each(%s))"
        )
        parametri = [ente_id, json.dumps(id_regionali)]
    else:
        trovati: set[str] = set()
        for blocco in a_blocchi(id_regionali):
            trovati.update(
                valore
                for valore in UnitaAbitativa.objects.filter(id_regionale__in=blocco)
                .exclude(ente_id=ente_id)
                .values_list("id_regionale", flat=True)
                if valore
            )
        return trovati
    with connection.cursor() as cursore:
        cursore.execute(sql, parametri)
        return {riga[0] for riga in cursore.fetchall()}


def a_blocchi(valori: Sequence[Any], dimensione: int = 900) -> Iterator[Sequence[Any]]:
    """Slices small enough for any database's limit on query parameters."""
    for inizio in range(0, len(valori), dimensione):
        yield valori[inizio : inizio + dimensione]
