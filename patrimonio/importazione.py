"""Spreadsheet upload of an ente's units and turnover: read → validate every row → preview → confirm.

The pipeline, for an ente and a plan:

1. **Read** (``leggi_file``): xlsx, xls and ods with python-calamine, which reads the values the
   spreadsheet saved (formulas are never evaluated); csv with the ``csv`` module, ``;`` or ``,``,
   UTF-8 (with or without BOM) or Windows-1252. Size, format and corruption are checked here.
2. **Validate** (``analizza``): the headers are matched to the columns of ``resources`` (our
   template, or the regional platform's two Allegato B layouts); then every row is checked against
   dictionaries prefetched with a handful of queries (the ambito's comuni by name and ISTAT code,
   the ente's units by ID regionale, codice and internal id, their state in the plan, the IDs that
   belong to other enti). Every problem becomes an ``Errore`` (sheet, row, column, value, Italian
   message); all rows are checked, none is written.
3. **Preview**: the difference with the database, computed in memory — units added, changed,
   removed, unchanged; counts per plan section before and after; turnover per comune.
4. **Confirm** (``registra``): one transaction, after ``apri_modifica`` has locked the ente's answer
   and checked its data may change; only the rows that change are written: ``bulk_create`` for new
   rows, one ``UPDATE … WHERE pk IN`` per set of identical new values and ``bulk_update`` for the
   rest, one ``DELETE`` per kind. Unchanged rows are not touched. An analysis with errors is never
   written.

What a file speaks for. Our template is the ente's full list: a unit it leaves out loses its state
in the plan and, when no other plan counts it, leaves the registry (as «Elimina» does in the
workspace). The regional platform's lists speak only for the states they carry: the list of free
and carenza units (Allegato B, first table) removes those two states from the units it no longer
lists, the lotto list does the same for units in renovation; other units are not touched. A
«Turnover» sheet, when present, replaces the ente's turnover counts.

A ``Caricamento`` keeps the original file, its preview and its outcome (``crea_caricamento``,
``analizza_caricamento``, ``conferma_caricamento``); files above
``POA_IMPORTAZIONE_RIGHE_IN_BACKGROUND`` rows are analysed and committed by the Celery tasks of
``patrimonio.tasks``. Between the preview and the confirmation the file is read again and its
changes must be exactly those previewed (``impronta``): otherwise the new preview is shown instead.

Who may upload for which ente is the views' business (``EnteProprietario.objects.modificabili_da``);
here a file can only ever touch the ente it is analysed for: rows of other enti, IDs regionali or
internal ids of other enti's units are errors.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from ambito.models import Comune
from patrimonio.models import EnteProprietario, TipoServizio, UnitaAbitativa
from piano_annuale.controlli import VINCOLI, messaggio_vincolo
from piano_annuale.models import (
    AzioneModifica,
    Caricamento,
    PianoAnnuale,
    RispostaRicognizione,
    Stato,
    StatoCaricamento,
    StatoUnita,
    TurnoverPrevisto,
)
from piano_annuale.services import ModificaNonConsentita, apri_modifica, registra_modifica
from piano_annuale.storico import VoceModifica, registra_modifiche

from .resources import (
    ASSEGNABILE_IN_LOTTO,
    COLONNE_TURNOVER,
    COLONNE_UNITA,
    INTESTAZIONI_PIATTAFORMA_ELENCO,
    INTESTAZIONI_PIATTAFORMA_LOTTI,
    INTESTAZIONI_TURNOVER,
    INTESTAZIONI_UNITA,
    NOME_FOGLIO_ISTRUZIONI,
    SEZIONE_DELLO_STATO,
    STATI_MODELLO,
    interpreta_servizio,
    interpreta_stato,
    normalizza,
)

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Limits (each can be set in settings)
# --------------------------------------------------------------------------------------------

# Files with more data rows than this are analysed and committed by a Celery task.
RIGHE_IN_BACKGROUND = 2_000
# Uploads larger than this are refused before being read or stored (bytes).
DIMENSIONE_MASSIMA = 20 * 1024 * 1024
# A sheet with more rows than this is refused (the limit guards memory, not the real data).
RIGHE_MASSIME = 200_000
# How many of each kind of change and of the errors the stored preview keeps (the counts are exact).
ELEMENTI_IN_ANTEPRIMA = 200
ERRORI_IN_ANTEPRIMA = 1_000

FORMATI = {"xlsx": "Excel (.xlsx)", "xls": "Excel 97-2003 (.xls)", "ods": "OpenDocument (.ods)", "csv": "CSV"}
VERSIONE_ANTEPRIMA = 1


def limite(nome: str) -> int:
    """A limit of this module, as overridden by ``settings.POA_IMPORTAZIONE_<NOME>``."""
    return int(getattr(settings, f"POA_IMPORTAZIONE_{nome}", globals()[nome]))


Avanzamento = Callable[[int], None]


def _nessun_avanzamento(percento: int) -> None:
    return None


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class FileNonValido(ValueError):
    """The file as a whole cannot be read; the message says why, in Italian."""


class DatiCambiati(Exception):
    """The ente's data changed between the analysis and the confirmation."""


@dataclass(slots=True)
class Errore:
    """A problem of the file: where (sheet, row, column), the value found, and what to do."""

    riga: int | None
    colonna: str
    valore: str
    messaggio: str
    foglio: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "foglio": self.foglio,
            "riga": self.riga,
            "colonna": self.colonna,
            "valore": neutralizza(self.valore),
            "messaggio": self.messaggio,
        }


# Values a spreadsheet program would run as a formula: echoed and exported with a leading «'».
_INIZI_PERICOLOSI = ("=", "+", "-", "@", "\t", "\r")


def neutralizza(valore: Any) -> Any:
    """Prefix ``'`` to a text that starts with ``=``, ``+``, ``-`` or ``@`` (formula injection)."""
    if isinstance(valore, str) and valore.startswith(_INIZI_PERICOLOSI):
        return "'" + valore
    return valore


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


@dataclass
class Foglio:
    """One sheet: its rows as lists of cell values (index 0 is row 1) and its first column."""

    nome: str
    righe: Iterable[list[Any]]
    prima_colonna: int = 0
    altezza: int = 0  # how many rows, for the progress bar


def estensione(nome_file: str) -> str:
    return PurePath(nome_file or "").suffix.lower().lstrip(".")


def verifica_file(*, nome_file: str, dimensione: int) -> str:
    """Check name and size before anything is read or stored; return the format."""
    formato = estensione(nome_file)
    if formato not in FORMATI:
        raise FileNonValido(
            f"Il file «{nome_file}» non è in un formato ammesso: caricare un foglio di calcolo "
            "Excel (.xlsx, .xls), OpenDocument (.ods) o un file CSV (.csv)."
        )
    massimo = limite("DIMENSIONE_MASSIMA")
    if dimensione > massimo:
        raise FileNonValido(
            f"Il file «{nome_file}» è troppo grande ({_in_mb(dimensione)}): la dimensione massima è "
            f"{_in_mb(massimo)}. Dividere l'elenco in più file o togliere i fogli non necessari."
        )
    if dimensione == 0:
        raise FileNonValido(f"Il file «{nome_file}» è vuoto.")
    return formato


def _in_mb(byte: int) -> str:
    return f"{byte / (1024 * 1024):.1f} MB".replace(".", ",")


def leggi_file(contenuto: bytes, nome_file: str) -> tuple[str, list[Foglio]]:
    """The file's format and its sheets. Raises ``FileNonValido`` for what is not a readable
    spreadsheet of an accepted format, too large or empty."""
    formato = verifica_file(nome_file=nome_file, dimensione=len(contenuto))
    if formato == "csv":
        return formato, [_foglio_csv(contenuto, nome_file)]
    return formato, _fogli_calamine(contenuto, nome_file, formato)


def _non_leggibile(nome_file: str, formato: str) -> FileNonValido:
    return FileNonValido(
        f"Il file «{nome_file}» non è un foglio di calcolo {FORMATI[formato]} leggibile: è danneggiato "
        "o è un altro tipo di file con l'estensione cambiata. Salvarlo di nuovo dal programma di "
        "foglio di calcolo e ricaricarlo."
    )


# Magic numbers: xlsx and ods are zip archives, xls an OLE2 compound document.
_FIRME = {"xlsx": (b"PK\x03\x04",), "ods": (b"PK\x03\x04",), "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)}


def _fogli_calamine(contenuto: bytes, nome_file: str, formato: str) -> list[Foglio]:
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    if not contenuto.startswith(_FIRME[formato]):
        raise _non_leggibile(nome_file, formato)
    # The zip must hold the kind of document its name says (an .ods renamed .xlsx is refused).
    if formato == "ods" and b"opendocument.spreadsheet" not in contenuto[:200]:
        raise _non_leggibile(nome_file, formato)
    if formato == "xlsx" and b"[Content_Types].xml" not in contenuto:
        raise _non_leggibile(nome_file, formato)
    try:
        cartella = CalamineWorkbook.from_filelike(io.BytesIO(contenuto))
        fogli = []
        for meta in cartella.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
                continue
            foglio = cartella.get_sheet_by_name(meta.name)
            if foglio.height > limite("RIGHE_MASSIME") + 1:
                raise FileNonValido(
                    f"Il foglio «{meta.name}» ha {foglio.height} righe: il massimo è "
                    f"{limite('RIGHE_MASSIME')}. Dividere l'elenco in più file."
                )
            # iter_rows yields every row from the first (row numbers stay those the user sees),
            # but starts at the first used column.
            inizio = foglio.start
            fogli.append(Foglio(meta.name, foglio.iter_rows(), inizio[1] if inizio else 0, foglio.height))
        return fogli
    except FileNonValido:
        raise
    except Exception as errore:  # calamine raises its own types and plain ValueErrors
        logger.info("File %s non leggibile: %s", nome_file, errore)
        raise _non_leggibile(nome_file, formato) from errore


def _foglio_csv(contenuto: bytes, nome_file: str) -> Foglio:
    for codifica in ("utf-8-sig", "cp1252"):
        try:
            testo = contenuto.decode(codifica)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _non_leggibile(nome_file, "csv")
    campione = testo[:8192]
    controllo = sum(1 for c in campione if c < " " and c not in "\t\r\n")
    if "\x00" in campione or controllo > len(campione) // 100:
        raise FileNonValido(
            f"Il file «{nome_file}» non è un file CSV di testo: sembra un file binario con "
            "l'estensione .csv. Esportare l'elenco come CSV dal programma di foglio di calcolo."
        )
    prima = next((riga for riga in campione.splitlines() if riga.strip()), "")
    separatore = max(";,\t", key=prima.count) if prima else ";"
    righe = list(csv.reader(io.StringIO(testo, newline=""), delimiter=separatore))
    if len(righe) > limite("RIGHE_MASSIME") + 1:
        raise FileNonValido(
            f"Il file ha {len(righe)} righe: il massimo è {limite('RIGHE_MASSIME')}. "
            "Dividere l'elenco in più file."
        )
    return Foglio("", righe, 0, len(righe))  # one table: errors name no sheet


def conta_righe(contenuto: bytes, nome_file: str) -> int:
    """About how many rows the file has (to choose the background path); 0 if unreadable."""
    formato = estensione(nome_file)
    try:
        if formato == "csv":
            return contenuto.count(b"\n") + 1
        from python_calamine import CalamineWorkbook

        cartella = CalamineWorkbook.from_filelike(io.BytesIO(contenuto))
        return sum(cartella.get_sheet_by_name(n).height for n in cartella.sheet_names)
    except Exception:
        return 0


# --------------------------------------------------------------------------------------------
# Cell values
# --------------------------------------------------------------------------------------------

_LETTERE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def lettera_colonna(indice: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    lettere = ""
    indice += 1
    while indice:
        indice, resto = divmod(indice - 1, 26)
        lettere = _LETTERE[resto] + lettere
    return lettere


def testo(valore: Any) -> str:
    """A cell as text: numbers without a spurious «.0», dates as dd/mm/yyyy, strip spaces, and undo
    the «'» this service prefixes to neutralised values (so its own files round-trip)."""
    if valore.__class__ is str:
        valore = valore.strip()
    elif valore is None:
        return ""
    elif valore.__class__ is float:
        valore = str(int(valore)) if valore.is_integer() else str(valore).replace(".", ",")
    elif valore.__class__ is bool:
        return "VERO" if valore else "FALSO"
    elif isinstance(valore, datetime.datetime | datetime.date):
        return valore.strftime("%d/%m/%Y")
    else:
        valore = str(valore).strip()
    if _CONTROLLO.search(valore):
        # Invisible control characters (NUL, Excel's \x0b line break…): PostgreSQL refuses NUL in
        # text and no spreadsheet format can write them back.
        valore = _CONTROLLO.sub(" ", valore).strip()
    if valore[:1] == "'" and valore[1:2] in ("=", "+", "-", "@"):
        return valore[1:]
    return valore


_CONTROLLO = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_INTERO = re.compile(r"^[+-]?\d+$")
_DECIMALE = re.compile(r"^[+-]?\d+[.,]\d*$")


def intero(valore: Any) -> tuple[int | None, str | None]:
    """A cell as a whole number: ``(numero, None)``, or ``(None, "decimale" | "testo")``."""
    if valore.__class__ is float:
        if valore.is_integer():
            return int(valore), None
        return None, "decimale"
    if valore.__class__ is int:
        return valore, None
    if valore.__class__ is bool or not isinstance(valore, str):
        return None, "testo"
    valore = valore.strip().replace(" ", "")
    if _INTERO.match(valore):
        return int(valore), None
    if _DECIMALE.match(valore):
        numero = float(valore.replace(",", "."))
        return (int(numero), None) if numero.is_integer() else (None, "decimale")
    return None, "testo"


# --------------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------------

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


def _intestazione(
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


# --------------------------------------------------------------------------------------------
# What the database holds, read once
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class UnitaEsistente:
    id_regionale: str | None
    codice_ente: str
    comune_id: int
    tipo: str
    indirizzo: str


@dataclass(slots=True)
class StatoEsistente:
    pk: int
    stato: str
    programma: str
    stato_origine: str
    note: str

    def valori(self) -> tuple[str, str, str, str]:
        return (self.stato, self.programma, self.stato_origine, self.note)


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
        for pk, id_regionale, codice, comune_id, tipo, indirizzo in UnitaAbitativa.objects.filter(
            ente=ente
        ).values_list("pk", "id_regionale", "codice_ente", "comune_id", "tipo", "indirizzo"):
            self.unita[pk] = UnitaEsistente(id_regionale, codice, comune_id, tipo, indirizzo)
            if id_regionale:
                self.per_id[id_regionale] = pk
            if codice:
                self.per_codice[codice] = pk
        self.stati: dict[int, StatoEsistente] = {
            unita_id: StatoEsistente(pk, stato, programma, origine, note)
            for pk, unita_id, stato, programma, origine, note in StatoUnita.objects.filter(
                piano=piano, unita__ente=ente
            ).values_list("pk", "unita_id", "stato", "programma", "stato_origine", "note")
        }
        self.turnover: dict[int, tuple[int, int]] = {
            comune_id: (pk, numero)
            for pk, comune_id, numero in TurnoverPrevisto.objects.filter(piano=piano, ente=ente).values_list(
                "pk", "comune_id", "numero"
            )
        }
        self.chiavi_ente = self._chiavi_ente(ente)

    @staticmethod
    def _chiavi_ente(ente: EnteProprietario) -> set[str]:
        """How a row may name this ente: its denominazione, «ALER» for ALER, «Comune di X»."""
        chiavi = {normalizza(ente.denominazione)}
        if ente.tipo == "aler":
            chiavi.add("aler")
        if ente.comune_id:
            nome = normalizza(ente.comune.nome)
            chiavi |= {nome, f"comune di {nome}", f"comune {nome}"}
        return chiavi

    def comuni_fuori_ambito(self, nomi: set[str], codici: set[str]) -> dict[str, str]:
        """Of names and ISTAT codes not in the ambito, those that are comuni elsewhere → their name."""
        trovati: dict[str, str] = {}
        if codici:
            for blocco in _a_blocchi(sorted(codici)):
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
    colonna_id = connection.ops.quote_name(UnitaAbitativa._meta.get_field("id_regionale").column)
    colonna_ente = connection.ops.quote_name(UnitaAbitativa._meta.get_field("ente").column)
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
        for blocco in _a_blocchi(id_regionali):
            trovati.update(
                UnitaAbitativa.objects.filter(id_regionale__in=blocco)
                .exclude(ente_id=ente_id)
                .values_list("id_regionale", flat=True)
            )
        return trovati
    with connection.cursor() as cursore:
        cursore.execute(sql, parametri)
        return {riga[0] for riga in cursore.fetchall()}


def _a_blocchi(valori: Sequence[Any], dimensione: int = 900) -> Iterator[Sequence[Any]]:
    """Slices small enough for any database's limit on query parameters."""
    for inizio in range(0, len(valori), dimensione):
        yield valori[inizio : inizio + dimensione]


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class RigaUnita:
    """A valid unit row, as the database will hold it. ``None`` in an optional field: keep."""

    foglio: str
    riga: int
    layout: str
    id_regionale: str | None
    codice_ente: str | None
    comune_id: int
    tipo: str | None
    indirizzo: str | None
    stato: str | None  # None: no state in the plan
    programma: str | None
    stato_origine: str | None  # the platform's text, when the state was written that way
    note: str | None
    pk: int | None = None  # the existing unit it is (set while matching)
    riferimento: int | None = None  # the internal id written in the file, if any


@dataclass(slots=True)
class RigaTurnover:
    foglio: str
    riga: int
    comune_id: int
    numero: int


@dataclass(slots=True)
class Modifica:
    """An existing unit whose registry fields or state in the plan change."""

    pk: int
    riga: RigaUnita
    campi: dict[str, Any]
    stato_prima: StatoEsistente | None
    stato_dopo: tuple[str, str, str, str] | None  # (stato, programma, stato_origine, note)


@dataclass
class Analisi:
    """Everything an upload would change, or why it cannot: the preview and what ``registra`` writes."""

    piano: PianoAnnuale
    ente: EnteProprietario
    nome_file: str
    formato: str = ""
    layout: list[str] = field(default_factory=list)
    righe: int = 0
    errori: list[Errore] = field(default_factory=list)
    avvisi: list[str] = field(default_factory=list)
    nuove: list[RigaUnita] = field(default_factory=list)
    modifiche: list[Modifica] = field(default_factory=list)
    # Units of the ente the file no longer lists: their state in the plan is removed …
    tolte_dal_piano: list[int] = field(default_factory=list)
    # … and, for a full list (our template), those no other plan counts leave the registry too.
    cancellate: list[int] = field(default_factory=list)
    invariate: int = 0
    turnover_presente: bool = False
    turnover_nuovi: list[RigaTurnover] = field(default_factory=list)
    turnover_modificati: list[tuple[int, RigaTurnover, int]] = field(default_factory=list)  # pk, riga, prima
    turnover_tolti: list[tuple[int, int, int]] = field(default_factory=list)  # pk, comune, prima
    sezioni_prima: Counter = field(default_factory=Counter)
    sezioni_dopo: Counter = field(default_factory=Counter)
    timbro: str = ""
    contesto: Contesto | None = None

    @property
    def valida(self) -> bool:
        return not self.errori

    @property
    def rimosse(self) -> list[int]:
        """Units removed from the plan or the registry (each once)."""
        return sorted(set(self.tolte_dal_piano) | set(self.cancellate))

    @property
    def ci_sono_modifiche(self) -> bool:
        return bool(
            self.nuove
            or self.modifiche
            or self.rimosse
            or self.turnover_nuovi
            or self.turnover_modificati
            or self.turnover_tolti
        )

    @property
    def impronta(self) -> str:
        """A digest of exactly what would be written: the preview a user confirms must be it."""
        h = hashlib.sha256()
        h.update(repr((self.ente.pk, self.piano.pk)).encode())
        for r in self.nuove:
            h.update(
                repr(
                    (r.id_regionale, r.codice_ente, r.comune_id, r.tipo, r.indirizzo, r.stato)
                    + (r.programma, r.stato_origine, r.note)
                ).encode()
            )
        for m in self.modifiche:
            h.update(repr((m.pk, sorted(m.campi.items()), m.stato_dopo)).encode())
        h.update(repr((self.tolte_dal_piano, self.cancellate)).encode())
        h.update(
            repr(
                (
                    [(t.comune_id, t.numero) for t in self.turnover_nuovi],
                    [(pk, t.numero) for pk, t, _ in self.turnover_modificati],
                    [pk for pk, _, _ in self.turnover_tolti],
                )
            ).encode()
        )
        return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------

# Plain strings: an Enum attribute costs a descriptor call in the loops over every row.
RISTRUTTURAZIONE = str(Stato.RISTRUTTURAZIONE.value)
SAP, SAS = str(TipoServizio.SAP.value), str(TipoServizio.SAS.value)
_ID_REGIONALE = re.compile(r"^[0-9A-Za-z./-]+$")
_ISTAT = re.compile(r"^\d{1,6}$")
LUNGHEZZE = {"id_regionale": 20, "codice_ente": 40, "indirizzo": 200, "programma": 120, "note": 300}
_TOTALE = re.compile(r"\btotale\b", re.IGNORECASE)


def _timbro(piano: PianoAnnuale, ente: EnteProprietario) -> str:
    """When the ente's data last changed through the services (every write records it)."""
    quando = (
        RispostaRicognizione.objects.filter(piano=piano, ente=ente)
        .values_list("aggiornata_il", flat=True)
        .first()
    )
    return quando.isoformat() if quando else ""


def analizza(
    *,
    contenuto: bytes,
    nome_file: str,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    avanzamento: Avanzamento = _nessun_avanzamento,
) -> Analisi:
    """Read and validate the whole file and compute what it would change. Writes nothing."""
    analisi = Analisi(piano=piano, ente=ente, nome_file=nome_file)
    # Read before the data, so a change made meanwhile is seen by ``registra``.
    analisi.timbro = _timbro(piano, ente)
    try:
        analisi.formato, fogli = leggi_file(contenuto, nome_file)
    except FileNonValido as errore:
        analisi.errori.append(Errore(None, "", "", str(errore)))
        return analisi
    avanzamento(5)
    contesto = Contesto(piano=piano, ente=ente)
    analisi.contesto = contesto
    avanzamento(10)
    try:
        _Lettore(analisi, contesto, avanzamento).leggi(fogli)
    except FileNonValido as errore:
        analisi.errori.append(Errore(None, "", "", str(errore)))
        return analisi
    except Exception as errore:  # a damaged sheet may fail only while its rows are read
        if "calamine" not in type(errore).__module__.lower() and not isinstance(errore, ValueError):
            raise
        analisi.errori.append(Errore(None, "", "", str(_non_leggibile(nome_file, analisi.formato))))
        return analisi
    avanzamento(60)
    _Confronto(analisi, contesto).esegui()
    avanzamento(70)
    return analisi


class _Lettore:
    """Turns every sheet's rows into valid ``RigaUnita`` / ``RigaTurnover`` or ``Errore``."""

    def __init__(self, analisi: Analisi, contesto: Contesto, avanzamento: Avanzamento) -> None:
        self.analisi = analisi
        self.contesto = contesto
        self.avanzamento = avanzamento
        self.errori = analisi.errori
        self.unita: list[RigaUnita] = []
        self.turnover: list[RigaTurnover] = []
        # Comuni the ambito does not know, looked up elsewhere once at the end: (name or code) → rows.
        self.comuni_ignoti: dict[tuple[str, str], list[Errore]] = defaultdict(list)
        # Memos of what the rows repeat thousands of times (only successes are remembered).
        self.righe_lette = 0  # data rows, valid or not
        self._enti_noti: dict[str, bool] = {}
        self._comuni_noti: dict[tuple[str, str], int] = {}

    def _dell_ente(self, scritto: str) -> bool:
        noto = self._enti_noti.get(scritto)
        if noto is None:
            noto = self._enti_noti[scritto] = normalizza(scritto) in self.contesto.chiavi_ente
        return noto

    # -- sheets

    def leggi(self, fogli: list[Foglio]) -> None:
        trovati = False
        prime_righe: list[tuple[str, list[str]]] = []
        for foglio in fogli:
            if normalizza(foglio.nome) == normalizza(NOME_FOGLIO_ISTRUZIONI):
                continue  # the template's own explanations
            trovati |= self._foglio(foglio, prime_righe)
        if not trovati:
            descrizione = "; ".join(
                (f"foglio «{n}»: " if n else "prima riga: ") + ", ".join(f"«{x}»" for x in v[:8])
                for n, v in prime_righe[:3]
            )
            attese = ", ".join(f"«{c.intestazione}»" for c in COLONNE_UNITA if c.obbligatoria)
            raise FileNonValido(
                "Le intestazioni delle colonne non sono state riconosciute"
                + (f" ({descrizione})" if descrizione else " (il file non contiene dati)")
                + f". Servono almeno le colonne {attese}: scaricare il modello da questa pagina e "
                "copiarvi i dati, senza cambiare la prima riga."
            )
        self.analisi.righe = self.righe_lette
        if not self.unita and not any(e.riga is not None for e in self.errori):
            raise FileNonValido(
                "Il file non contiene unità abitative: sotto le intestazioni non ci sono righe. Se "
                "l'ente non ha nulla da dichiarare, usare «Nulla da dichiarare» nella pagina dell'ente."
            )
        self._comuni_fuori_ambito()
        self.analisi.nuove = self.unita  # matched and split by _Confronto
        self.analisi.turnover_nuovi = self.turnover

    def _foglio(self, foglio: Foglio, prime_righe: list[tuple[str, list[str]]]) -> bool:
        intestazione: Intestazione | None = None
        trovata = False
        for indice, valori in enumerate(foglio.righe):
            numero = indice + 1
            if intestazione is None:
                if indice >= RIGHE_CERCA_INTESTAZIONE:
                    break
                intestazione = _intestazione(numero, valori, foglio.prima_colonna, foglio.nome, self.errori)
                if intestazione is None:
                    if (
                        any(testo(v) for v in valori)
                        and len(prime_righe) < 3
                        and not prime_righe_di(prime_righe, foglio.nome)
                    ):
                        prime_righe.append((foglio.nome, [testo(v) for v in valori if testo(v)]))
                    continue
                trovata = True
                self._nota_intestazione(intestazione, foglio.nome)
                continue
            if intestazione.layout == LAYOUT_TURNOVER:
                self._riga_turnover(foglio.nome, numero, valori, intestazione)
            else:
                nuova = self._riga_unita(foglio.nome, numero, valori, intestazione, foglio.prima_colonna)
                if nuova is not None:  # the header of a second table in the same sheet
                    intestazione = nuova
                    self._nota_intestazione(nuova, foglio.nome)
            if numero % 5000 == 0:
                self.avanzamento(min(59, 10 + numero * 50 // max(1, foglio.altezza)))
        return trovata

    def _nota_intestazione(self, intestazione: Intestazione, foglio: str) -> None:
        if intestazione.layout not in self.analisi.layout:
            self.analisi.layout.append(intestazione.layout)
        for colonna in intestazione.ignorate:
            self.analisi.avvisi.append(
                f"Foglio «{foglio}»: la colonna «{colonna}» non è riconosciuta ed è stata ignorata."
            )

    # -- one unit row

    def _riga_unita(
        self, foglio: str, numero: int, valori: list[Any], intestazione: Intestazione, prima_colonna: int
    ) -> Intestazione | None:
        col = intestazione.colonne
        nomi = intestazione.nomi
        n = len(valori)

        def cella(chiave: str) -> Any:
            i = col.get(chiave)
            return valori[i] if i is not None and i < n else ""

        id_regionale = testo(cella("id_regionale"))
        codice = testo(cella("codice_ente")) if "codice_ente" in col else None
        stato_testo = testo(cella("stato"))
        if not id_regionale and not codice:
            # Not a unit: an empty row, a subtotal («LOTTO 2.2 Totale»), or a second table's header.
            scritti = [testo(v) for v in valori]
            if not any(scritti):
                return None
            if any(_TOTALE.search(s) for s in scritti if s):
                return None
            nuova = _intestazione(numero, valori, prima_colonna, foglio, self.errori)
            if nuova is not None:
                return nuova
        self.righe_lette += 1
        errori_prima = len(self.errori)
        errore = self.errori.append

        # The ente: a row may only be of the ente the upload is for.
        if "ente" in col:
            ente_testo = testo(cella("ente"))
            if ente_testo and not self._dell_ente(ente_testo):
                errore(
                    Errore(
                        numero,
                        nomi["ente"],
                        ente_testo,
                        f"La riga è di «{ente_testo}»: da qui si possono caricare solo le unità di "
                        f"«{self.contesto.ente.denominazione}». Le unità di altri enti non vengono toccate.",
                        foglio,
                    )
                )

        riferimento: int | None = None
        if "pk" in col:
            grezzo = cella("pk")
            if testo(grezzo):
                numero_rif, problema = intero(grezzo)
                if problema or numero_rif is None or numero_rif <= 0:
                    errore(
                        Errore(
                            numero,
                            nomi["pk"],
                            testo(grezzo),
                            "L'ID interno deve essere il numero scritto dal modello: non modificarlo, "
                            "e lasciarlo vuoto per le unità nuove.",
                            foglio,
                        )
                    )
                elif numero_rif not in self.contesto.unita:
                    errore(
                        Errore(
                            numero,
                            nomi["pk"],
                            str(numero_rif),
                            f"L'ID interno {numero_rif} non è di un'unità di «{self.contesto.ente.denominazione}»: "
                            "non si possono modificare le unità di altri enti. Lasciare vuoto l'ID "
                            "interno per le unità nuove.",
                            foglio,
                        )
                    )
                else:
                    riferimento = numero_rif

        if id_regionale:
            if len(id_regionale) > LUNGHEZZE["id_regionale"]:
                errore(
                    Errore(
                        numero,
                        nomi["id_regionale"],
                        id_regionale,
                        "L'ID regionale è lungo al massimo 20 caratteri.",
                        foglio,
                    )
                )
            elif not _ID_REGIONALE.match(id_regionale):
                errore(
                    Errore(
                        numero,
                        nomi["id_regionale"],
                        id_regionale,
                        "L'ID regionale può contenere solo lettere, cifre, punto, barra e trattino "
                        "(senza spazi). Lasciarlo vuoto se non è stato comunicato.",
                        foglio,
                    )
                )
        if codice and len(codice) > LUNGHEZZE["codice_ente"]:
            errore(
                Errore(
                    numero,
                    nomi["codice_ente"],
                    codice,
                    "Il codice dell'ente è lungo al massimo 40 caratteri.",
                    foglio,
                )
            )

        comune_id = self._comune(foglio, numero, cella, col, nomi)

        tipo: str | None = None
        if "tipo" in col:
            tipo_testo = testo(cella("tipo"))
            if tipo_testo:
                tipo = interpreta_servizio(tipo_testo)
                if tipo is None:
                    errore(
                        Errore(
                            numero,
                            nomi["tipo"],
                            tipo_testo,
                            "Servizio non valido: indicare SAP (servizi abitativi pubblici) o SAS "
                            "(servizi abitativi sociali).",
                            foglio,
                        )
                    )

        indirizzo = self._testo_libero(foglio, numero, cella, col, nomi, "indirizzo", "L'indirizzo")
        programma = self._testo_libero(foglio, numero, cella, col, nomi, "programma", "Il programma o lotto")
        note = self._testo_libero(foglio, numero, cella, col, nomi, "note", "Le note")

        stato: str | None = None
        origine: str | None = None
        if stato_testo:
            stato, dalla_piattaforma = interpreta_stato(stato_testo)
            if stato is None:
                ammessi = ", ".join(STATI_MODELLO.values())
                errore(
                    Errore(
                        numero,
                        nomi["stato"],
                        stato_testo,
                        f"Stato non riconosciuto. Valori ammessi: {ammessi}; oppure i testi della "
                        "piattaforma regionale («LIBERO», «SFITTO PER CARENZE MANUTENTIVE (Assegnabile "
                        "in AM)», «1001 - ASSEGNABILE» con il lotto, «1006 - …» o «1007 - IN "
                        "MANUTENZIONE M.S.»). Lasciare vuoto se l'unità non è assegnabile nell'anno.",
                        foglio,
                    )
                )
            else:
                if dalla_piattaforma:
                    origine = stato_testo[:120]
                if stato == ASSEGNABILE_IN_LOTTO:
                    if programma:
                        stato = RISTRUTTURAZIONE
                    else:
                        stato = None
                        errore(
                            Errore(
                                numero,
                                nomi["stato"],
                                stato_testo,
                                "«1001 - ASSEGNABILE» indica un'unità di un lotto di ristrutturazione: "
                                "indicare il lotto nella colonna «Programma / lotto» (o «LOTTO»), "
                                "oppure lo stato dell'unità.",
                                foglio,
                            )
                        )
        elif intestazione.layout != LAYOUT_MODELLO:
            errore(
                Errore(
                    numero,
                    nomi["stato"],
                    "",
                    "Manca lo stato dell'unità: gli elenchi della piattaforma riportano solo unità "
                    "assegnabili.",
                    foglio,
                )
            )
        if programma and stato is not None and stato != RISTRUTTURAZIONE:
            errore(
                Errore(
                    numero,
                    nomi["programma"],
                    programma,
                    "Il programma o lotto si indica solo per le unità in ristrutturazione: "
                    "un'unità è contata in una sola sezione del piano.",
                    foglio,
                )
            )
        if note and not stato_testo:
            errore(
                Errore(
                    numero,
                    nomi["note"],
                    note,
                    "Le note si riferiscono allo stato nell'anno: indicare prima lo stato.",
                    foglio,
                )
            )
        if stato is not None and "programma" not in col and stato != RISTRUTTURAZIONE:
            programma = ""  # a list without lotti: its free and carenza units are in no programme
        if len(self.errori) == errori_prima and comune_id is not None:
            self.unita.append(
                RigaUnita(
                    foglio=foglio,
                    riga=numero,
                    layout=intestazione.layout,
                    id_regionale=id_regionale or None,
                    codice_ente=codice,
                    comune_id=comune_id,
                    tipo=tipo,
                    indirizzo=indirizzo,
                    stato=stato,
                    programma=programma,
                    stato_origine=origine,
                    note=note,
                    riferimento=riferimento,
                )
            )
        return None

    def _testo_libero(
        self,
        foglio: str,
        numero: int,
        cella: Callable[[str], Any],
        col: dict[str, int],
        nomi: dict[str, str],
        chiave: str,
        cosa: str,
    ) -> str | None:
        if chiave not in col:
            return None
        valore = testo(cella(chiave))
        if len(valore) > LUNGHEZZE[chiave]:
            self.errori.append(
                Errore(
                    numero,
                    nomi[chiave],
                    valore[:60] + "…",
                    f"{cosa} è lungo al massimo {LUNGHEZZE[chiave]} caratteri.",
                    foglio,
                )
            )
        return valore

    def _comune(
        self,
        foglio: str,
        numero: int,
        cella: Callable[[str], Any],
        col: dict[str, int],
        nomi: dict[str, str],
    ) -> int | None:
        """The comune of a row, by name and/or ISTAT code, which must agree and be of the ambito."""
        nome = testo(cella("comune")) if "comune" in col else ""
        codice = testo(cella("codice_istat")) if "codice_istat" in col else ""
        noto = self._comuni_noti.get((nome, codice))
        if noto is not None:
            return noto
        trovato = self._trova_comune(foglio, numero, nome, codice, nomi)
        if trovato is not None:
            self._comuni_noti[(nome, codice)] = trovato
        return trovato

    def _trova_comune(
        self, foglio: str, numero: int, nome: str, codice: str, nomi: dict[str, str]
    ) -> int | None:
        per_codice = per_nome = None
        if codice:
            if _ISTAT.match(codice):
                codice = codice.zfill(6)  # a spreadsheet turns «019036» into the number 19036
                per_codice = self.contesto.comuni_per_istat.get(codice)
            if per_codice is None:
                errore = Errore(
                    numero,
                    nomi["codice_istat"],
                    codice,
                    f"Il codice ISTAT {codice} non è di un comune dell'ambito «{self.contesto.piano.ambito}».",
                    foglio,
                )
                self.errori.append(errore)
                if _ISTAT.match(codice):
                    self.comuni_ignoti[("codice", codice)].append(errore)
                return None
        if nome:
            chiave = normalizza(nome)
            per_nome = self.contesto.comuni_per_nome.get(chiave)
            if per_nome is None and chiave.startswith("comune di "):  # «COMUNE DI CREMONA»
                per_nome = self.contesto.comuni_per_nome.get(chiave[len("comune di ") :])
            if per_nome is None:
                errore = Errore(
                    numero,
                    nomi["comune"],
                    nome,
                    f"Comune «{nome}» sconosciuto: indicare il nome di un comune dell'ambito "
                    f"«{self.contesto.piano.ambito}» come nell'elenco ISTAT, oppure il codice ISTAT.",
                    foglio,
                )
                self.errori.append(errore)
                self.comuni_ignoti[("nome", chiave)].append(errore)
                return None
        if per_nome and per_codice and per_nome.pk != per_codice.pk:
            self.errori.append(
                Errore(
                    numero,
                    nomi["codice_istat"],
                    codice,
                    f"Il codice ISTAT {codice} è del comune di {per_codice.nome}, non di «{nome}».",
                    foglio,
                )
            )
            return None
        trovato = per_nome or per_codice
        if trovato is None:
            self.errori.append(
                Errore(
                    numero,
                    nomi.get("comune") or nomi.get("codice_istat", "Comune"),
                    "",
                    "Indicare il comune in cui si trova l'unità.",
                    foglio,
                )
            )
            return None
        return trovato.pk

    def _comuni_fuori_ambito(self) -> None:
        """Say «not in the ambito» instead of «unknown» for comuni that exist elsewhere (one query)."""
        if not self.comuni_ignoti:
            return
        nomi = {v for k, v in self.comuni_ignoti if k == "nome"}
        codici = {v for k, v in self.comuni_ignoti if k == "codice"}
        altrove = self.contesto.comuni_fuori_ambito(nomi, codici)
        ambito = self.contesto.piano.ambito
        for (_, valore), errori in self.comuni_ignoti.items():
            if valore in altrove:
                for e in errori:
                    e.messaggio = (
                        f"Il comune di {altrove[valore]} non fa parte dell'ambito «{ambito}»: si possono "
                        "indicare solo unità che si trovano nei comuni dell'ambito."
                    )

    # -- one turnover row

    def _riga_turnover(self, foglio: str, numero: int, valori: list[Any], intestazione: Intestazione) -> None:
        col, nomi, n = intestazione.colonne, intestazione.nomi, len(valori)

        def cella(chiave: str) -> Any:
            i = col.get(chiave)
            return valori[i] if i is not None and i < n else ""

        scritti = [testo(v) for v in valori]
        if not any(scritti) or (any(_TOTALE.search(s) for s in scritti if s)):
            return
        self.righe_lette += 1
        errori_prima = len(self.errori)
        comune_id = self._comune(foglio, numero, cella, col, nomi)
        grezzo = cella("numero")
        quanti: int | None = None
        if not testo(grezzo):
            self.errori.append(
                Errore(numero, nomi["numero"], "", "Indicare il numero di alloggi (0 se nessuno).", foglio)
            )
        else:
            quanti, problema = intero(grezzo)
            if problema == "decimale":
                self.errori.append(
                    Errore(
                        numero,
                        nomi["numero"],
                        testo(grezzo),
                        "Il numero di alloggi deve essere un numero intero.",
                        foglio,
                    )
                )
            elif problema:
                self.errori.append(
                    Errore(
                        numero,
                        nomi["numero"],
                        testo(grezzo),
                        "Il valore non è un numero: indicare un numero intero di alloggi (0 se nessuno).",
                        foglio,
                    )
                )
            elif quanti is not None and quanti < 0:
                self.errori.append(
                    Errore(
                        numero,
                        nomi["numero"],
                        testo(grezzo),
                        "Il numero di alloggi non può essere negativo.",
                        foglio,
                    )
                )
        self.analisi.turnover_presente = True
        if len(self.errori) == errori_prima and comune_id is not None and quanti is not None:
            self.turnover.append(RigaTurnover(foglio, numero, comune_id, quanti))


def prime_righe_di(prime_righe: list[tuple[str, list[str]]], foglio: str) -> bool:
    return any(nome == foglio for nome, _ in prime_righe)


# --------------------------------------------------------------------------------------------
# Comparison with the database
# --------------------------------------------------------------------------------------------


def _descrivi_riga(r: RigaUnita) -> str:
    return f"riga {r.riga}" if not r.foglio else f"riga {r.riga} del foglio «{r.foglio}»"


class _Confronto:
    """Match every row to the ente's units, check uniqueness, and split into new, changed, removed."""

    def __init__(self, analisi: Analisi, contesto: Contesto) -> None:
        self.analisi = analisi
        self.c = contesto
        self.errori = analisi.errori

    def _errore(self, r: RigaUnita, colonna: str, valore: Any, messaggio: str) -> None:
        self.errori.append(Errore(r.riga, colonna, str(valore or ""), messaggio, r.foglio))

    def esegui(self) -> None:
        righe = self.analisi.nuove
        self.analisi.nuove = []
        abbinate = self._abbina(righe)
        self._id_di_altri_enti(righe)
        assenti = [pk for pk in self.c.unita if pk not in abbinate]
        self._assenti(assenti)
        self._unicita(righe)
        self._turnover()
        if self.errori:
            # Nothing is written while an error remains: the preview shows only the errors.
            self.analisi.nuove, self.analisi.modifiche = [], []
            self.analisi.tolte_dal_piano, self.analisi.cancellate = [], []
            self.analisi.turnover_nuovi, self.analisi.turnover_modificati = [], []
            self.analisi.turnover_tolti = []
            return
        self._differenze(righe)
        self._sezioni()

    # -- which existing unit each row is

    def _abbina(self, righe: list[RigaUnita]) -> dict[int, RigaUnita]:
        c = self.c
        abbinate: dict[int, RigaUnita] = {}
        visti_id: dict[str, RigaUnita] = {}
        visti_codice: dict[str, RigaUnita] = {}
        anonime: list[RigaUnita] = []
        for r in righe:
            if r.id_regionale:
                prima = visti_id.get(r.id_regionale)
                if prima is not None:
                    self._errore(
                        r,
                        "ID regionale",
                        r.id_regionale,
                        f"L'ID regionale {r.id_regionale} compare anche alla {_descrivi_riga(prima)}: "
                        "ogni unità va indicata una sola volta.",
                    )
                    continue
                visti_id[r.id_regionale] = r
            if r.codice_ente:
                prima = visti_codice.get(r.codice_ente)
                if prima is not None:
                    self._errore(
                        r,
                        "Codice dell'ente",
                        r.codice_ente,
                        f"Il codice {r.codice_ente} compare anche alla {_descrivi_riga(prima)}: "
                        "ogni unità va indicata una sola volta.",
                    )
                    continue
                visti_codice[r.codice_ente] = r
            pk = r.riferimento
            per_id = c.per_id.get(r.id_regionale) if r.id_regionale else None
            per_codice = c.per_codice.get(r.codice_ente) if r.codice_ente else None
            if pk is None:
                if per_id is not None and per_codice is not None and per_id != per_codice:
                    self._errore(
                        r,
                        "ID regionale",
                        r.id_regionale,
                        f"L'ID regionale {r.id_regionale} e il codice {r.codice_ente} sono di due unità "
                        "diverse dell'ente: correggere l'uno o l'altro.",
                    )
                    continue
                pk = per_id if per_id is not None else per_codice
            if pk is None:
                if not r.id_regionale and not r.codice_ente:
                    anonime.append(r)
                continue
            prima = abbinate.get(pk)
            if prima is not None:
                self._errore(
                    r,
                    "ID regionale",
                    r.id_regionale or r.codice_ente or r.riferimento,
                    f"Questa unità è già indicata alla {_descrivi_riga(prima)}: ogni unità va indicata "
                    "una sola volta.",
                )
                continue
            r.pk = pk
            abbinate[pk] = r
        self._abbina_anonime(anonime, abbinate)
        return abbinate

    def _abbina_anonime(self, anonime: list[RigaUnita], abbinate: dict[int, RigaUnita]) -> None:
        """Rows with neither ID nor codice nor internal id take the ente's units with neither, of the
        same comune (and, where possible, the same state), so re-uploading does not duplicate them."""
        if not anonime:
            return
        libere: dict[int, list[int]] = defaultdict(list)
        for pk, u in self.c.unita.items():
            if pk not in abbinate and not u.id_regionale and not u.codice_ente:
                libere[u.comune_id].append(pk)
        if not libere:
            return

        def stato_di(pk: int) -> str | None:
            stato = self.c.stati.get(pk)
            return stato.stato if stato else None

        # Closest first: same address and state, then same state, then any of the comune.
        passate: tuple[Callable[[RigaUnita, int], bool], ...] = (
            lambda r, pk: stato_di(pk) == r.stato and (r.indirizzo or "") == self.c.unita[pk].indirizzo,
            lambda r, pk: stato_di(pk) == r.stato,
            lambda r, pk: True,
        )
        for adatta in passate:
            for r in anonime:
                if r.pk is not None:
                    continue
                candidate = libere.get(r.comune_id) or []
                for pk in candidate:
                    if adatta(r, pk):
                        r.pk = pk
                        abbinate[pk] = r
                        candidate.remove(pk)
                        break

    # -- IDs of other enti

    def _id_di_altri_enti(self, righe: list[RigaUnita]) -> None:
        """An ID regionale the ente does not hold may not belong to any other unit (one query)."""
        ignoti = [r.id_regionale for r in righe if r.id_regionale and r.id_regionale not in self.c.per_id]
        if not ignoti:
            return
        altrui = id_regionali_altrui(ignoti, ente_id=self.c.ente.pk)
        if not altrui:
            return
        for r in righe:
            if r.id_regionale in altrui:
                self._errore(
                    r,
                    "ID regionale",
                    r.id_regionale,
                    f"L'ID regionale {r.id_regionale} è già attribuito a un'unità di un altro ente "
                    "proprietario: ogni ente può dichiarare solo le proprie unità. Verificare l'ID; "
                    "l'unità dell'altro ente non viene toccata.",
                )

    # -- units the file does not list

    def _assenti(self, assenti: list[int]) -> None:
        layout = set(self.analisi.layout) - {LAYOUT_TURNOVER}
        if not layout:
            return
        if LAYOUT_MODELLO in layout:
            # A full list: every unit it leaves out is removed from the plan, and from the registry
            # when no other plan counts it (as «Elimina» does in the workspace).
            altri_piani: set[int] = set()
            for blocco in _a_blocchi(assenti):
                altri_piani.update(
                    StatoUnita.objects.filter(unita_id__in=blocco)
                    .exclude(piano=self.c.piano)
                    .values_list("unita_id", flat=True)
                )
            self.analisi.tolte_dal_piano = [pk for pk in assenti if pk in self.c.stati]
            self.analisi.cancellate = [pk for pk in assenti if pk not in altri_piani]
            return
        # The platform's lists speak only for the states they list.
        ambito: set[str] = set().union(*(AMBITO_LAYOUT[lay] for lay in layout))
        self.analisi.tolte_dal_piano = [
            pk for pk in assenti if pk in self.c.stati and self.c.stati[pk].stato in ambito
        ]

    # -- IDs and codici must stay unique within the ente after the change

    def _unicita(self, righe: list[RigaUnita]) -> None:
        cancellate = set(self.analisi.cancellate)
        nel_file = {r.pk for r in righe if r.pk is not None}
        # The values that units not in the file keep.
        restano_id = {
            u.id_regionale: pk
            for pk, u in self.c.unita.items()
            if pk not in nel_file and pk not in cancellate and u.id_regionale
        }
        restano_codice = {
            u.codice_ente: pk
            for pk, u in self.c.unita.items()
            if pk not in nel_file and pk not in cancellate and u.codice_ente
        }
        for r in righe:
            if r.id_regionale and restano_id.get(r.id_regionale, r.pk) != r.pk:
                self._errore(
                    r,
                    "ID regionale",
                    r.id_regionale,
                    VINCOLI["unita_id_regionale_unico"]
                    + " L'unità che lo ha già è dell'ente ma non è in questo file.",
                )
            if r.codice_ente and restano_codice.get(r.codice_ente, r.pk) != r.pk:
                self._errore(
                    r,
                    "Codice dell'ente",
                    r.codice_ente,
                    VINCOLI["unita_codice_ente_unico_per_ente"]
                    + " L'unità che lo ha già non è in questo file.",
                )

    # -- turnover

    def _turnover(self) -> None:
        righe = self.analisi.turnover_nuovi
        self.analisi.turnover_nuovi = []
        if not self.analisi.turnover_presente:
            return
        visti: dict[int, RigaTurnover] = {}
        for t in righe:
            prima = visti.get(t.comune_id)
            if prima is not None:
                nome = self.c.comuni[t.comune_id].nome
                self.errori.append(
                    Errore(
                        t.riga,
                        "Comune",
                        nome,
                        f"Il comune di {nome} compare anche alla riga {prima.riga}: indicare ogni comune "
                        "una sola volta, con il numero complessivo.",
                        t.foglio,
                    )
                )
                continue
            visti[t.comune_id] = t
        for comune_id, t in visti.items():
            esistente = self.c.turnover.get(comune_id)
            if t.numero == 0:
                continue
            if esistente is None:
                self.analisi.turnover_nuovi.append(t)
            elif esistente[1] != t.numero:
                self.analisi.turnover_modificati.append((esistente[0], t, esistente[1]))
        self.analisi.turnover_tolti = [
            (pk, comune_id, numero)
            for comune_id, (pk, numero) in self.c.turnover.items()
            if comune_id not in visti or visti[comune_id].numero == 0
        ]

    # -- what changes

    def _differenze(self, righe: list[RigaUnita]) -> None:
        unita, stati = self.c.unita, self.c.stati
        nuove, modifiche = self.analisi.nuove, self.analisi.modifiche
        invariate = 0
        comune_ente = self.c.ente.comune_id
        fuori_comune = 0
        for r in righe:
            if comune_ente and r.comune_id != comune_ente:
                fuori_comune += 1
            prima = stati.get(r.pk) if r.pk is not None else None
            dopo = _stato_dopo(r, prima)
            if r.pk is None:
                nuove.append(r)
                continue
            u = unita[r.pk]
            campi: dict[str, Any] = {}
            if r.id_regionale != u.id_regionale:
                campi["id_regionale"] = r.id_regionale
            if r.codice_ente is not None and r.codice_ente != u.codice_ente:
                campi["codice_ente"] = r.codice_ente
            if r.comune_id != u.comune_id:
                campi["comune_id"] = r.comune_id
            if r.tipo is not None and r.tipo != u.tipo:
                campi["tipo"] = r.tipo
            if r.indirizzo is not None and r.indirizzo != u.indirizzo:
                campi["indirizzo"] = r.indirizzo
            cambia_stato = (prima.valori() if prima else None) != dopo
            if campi or cambia_stato:
                modifiche.append(Modifica(r.pk, r, campi, prima, dopo))
            else:
                invariate += 1
        self.analisi.invariate = invariate
        if fuori_comune:
            self.analisi.avvisi.append(
                f"{fuori_comune} unità si trovano in un comune diverso da quello dell'ente: verificare "
                "che il comune indicato sia quello in cui si trova l'alloggio."
            )
        sas = sum(1 for r in righe if r.stato and (r.tipo or _tipo_attuale(self.c, r)) == SAS)
        if sas:
            self.analisi.avvisi.append(
                f"{sas} unità SAS hanno uno stato nell'anno: le sezioni b–g del piano contano solo le "
                "unità SAP."
            )

    def _sezioni(self) -> None:
        """Units per state (SAP: what sections b–f count) before and after, and the turnover count."""
        prima, dopo = Counter(), Counter()
        unita, stati = self.c.unita, self.c.stati
        for pk, s in stati.items():
            if unita[pk].tipo == SAP:
                prima[s.stato] += 1
        tolte = set(self.analisi.tolte_dal_piano) | set(self.analisi.cancellate)
        cambiate = {m.pk: m for m in self.analisi.modifiche}
        for pk, s in stati.items():
            if pk in tolte:
                continue
            m = cambiate.get(pk)
            tipo = (m.campi.get("tipo") if m else None) or unita[pk].tipo
            stato = (m.stato_dopo[0] if m.stato_dopo else None) if m else s.stato
            if stato and tipo == SAP:
                dopo[stato] += 1
        for m in self.analisi.modifiche:
            if m.pk not in stati and m.stato_dopo and (m.campi.get("tipo") or unita[m.pk].tipo) == SAP:
                dopo[m.stato_dopo[0]] += 1
        for r in self.analisi.nuove:
            if r.stato and (r.tipo or SAP) == SAP:
                dopo[r.stato] += 1
        prima["turnover"] = sum(n for _, n in self.c.turnover.values())
        if self.analisi.turnover_presente:
            dopo["turnover"] = sum(t.numero for t in self._turnover_finale())
        else:
            dopo["turnover"] = prima["turnover"]
        self.analisi.sezioni_prima, self.analisi.sezioni_dopo = prima, dopo

    def _turnover_finale(self) -> list[RigaTurnover]:
        tolti = {pk for pk, _, _ in self.analisi.turnover_tolti}
        modificati = {pk: t for pk, t, _ in self.analisi.turnover_modificati}
        finale = list(self.analisi.turnover_nuovi)
        for comune_id, (pk, numero) in self.c.turnover.items():
            if pk in tolti:
                continue
            finale.append(modificati.get(pk) or RigaTurnover("", 0, comune_id, numero))
        return finale


def _tipo_attuale(contesto: Contesto, r: RigaUnita) -> str:
    return contesto.unita[r.pk].tipo if r.pk is not None else TipoServizio.SAP


def _stato_dopo(r: RigaUnita, prima: StatoEsistente | None) -> tuple[str, str, str, str] | None:
    """The unit's state in the plan after the upload; columns the file lacks keep their value."""
    if r.stato is None:
        return None
    if r.programma is not None:
        programma = r.programma
    else:
        programma = prima.programma if prima and r.stato == RISTRUTTURAZIONE else ""
    if r.stato_origine is not None:
        origine = r.stato_origine
    else:
        origine = prima.stato_origine if prima and prima.stato == r.stato else ""
    note = r.note if r.note is not None else (prima.note if prima else "")
    return (r.stato, programma, origine, note)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Esito:
    aggiunte: int
    modificate: int
    rimosse: int
    invariate: int
    turnover: int

    def descrizione(self) -> str:
        parti = [
            f"{self.aggiunte} unità aggiunte",
            f"{self.modificate} modificate",
            f"{self.rimosse} tolte",
            f"{self.invariate} invariate",
        ]
        if self.turnover:
            parti.append(f"{self.turnover} comuni del turn-over aggiornati")
        return "Caricamento registrato: " + ", ".join(parti) + "."


class ImportazioneNonValida(ValueError):
    """``registra`` was given an analysis that still has errors."""


def registra(
    *,
    analisi: Analisi,
    utente: AbstractBaseUser | None,
    caricamento: Caricamento | None = None,
) -> Esito:
    """Write what ``analisi`` found, in one transaction; only rows that change are written.

    Raises ``ImportazioneNonValida`` if errors remain, ``ModificaNonConsentita`` if the ente's data
    are locked (answer sent, plan past the ricognizione), ``DatiCambiati`` if they changed since the
    analysis, and lets ``IntegrityError`` through (another ente took an ID meanwhile): nothing is
    written in any of these cases.
    """
    if analisi.errori:
        raise ImportazioneNonValida("Il file contiene errori: nessun dato è stato registrato.")
    piano, ente = analisi.piano, analisi.ente
    with transaction.atomic():
        risposta = apri_modifica(piano=piano, ente=ente)
        quando = risposta.aggiornata_il.isoformat() if risposta.aggiornata_il else ""
        if quando != analisi.timbro:
            raise DatiCambiati(
                f"I dati di {ente} sono stati modificati dopo l'anteprima: ricaricare il file per vedere "
                "le modifiche aggiornate."
            )
        nuove_unita, nuovi_stati = _scrivi(analisi)
        registra_modifica(risposta=risposta, utente=utente)
        # The history of every unit and state the import wrote, in the same transaction.
        registra_modifiche(
            utente=utente,
            origine=_origine(analisi, caricamento),
            modifiche=_voci_storico(analisi, nuove_unita, nuovi_stati),
        )
        esito = Esito(
            aggiunte=len(analisi.nuove),
            modificate=len(analisi.modifiche),
            rimosse=len(analisi.rimosse),
            invariate=analisi.invariate,
            turnover=len(analisi.turnover_nuovi)
            + len(analisi.turnover_modificati)
            + len(analisi.turnover_tolti),
        )
        if caricamento is not None:
            _aggiorna_conteggi(caricamento, analisi)
            caricamento.stato = StatoCaricamento.CONFERMATO
            caricamento.progresso = 100
            caricamento.esito = esito.descrizione()
            caricamento.completato_il = timezone.now()
            caricamento.save()
            # Older previews of the same ente describe data that no longer exist.
            Caricamento.objects.filter(piano=piano, ente=ente, stato=StatoCaricamento.ANTEPRIMA).exclude(
                pk=caricamento.pk
            ).update(
                stato=StatoCaricamento.ANNULLATO,
                esito="Superato da un caricamento confermato in seguito: nulla è stato registrato.",
                completato_il=timezone.now(),
            )
    return esito


def _scrivi(analisi: Analisi) -> tuple[list[UnitaAbitativa], list[StatoUnita]]:
    """Write the analysis; return the units and the states it created (with their pks)."""
    piano, ente = analisi.piano, analisi.ente
    # 1. States the plan loses, then units that leave the registry (their IDs become free).
    if analisi.tolte_dal_piano:
        for blocco in _a_blocchi(analisi.tolte_dal_piano):
            StatoUnita.objects.filter(piano=piano, unita_id__in=blocco).delete()
    if analisi.cancellate:
        for blocco in _a_blocchi(analisi.cancellate):
            # Only this ente's units, whatever the analysis says.
            UnitaAbitativa.objects.filter(ente=ente, pk__in=blocco).delete()

    # 2. Changed units. IDs and codici that move between units are cleared first, so a swap never
    # meets the unique constraints half-way.
    liberare_id = [m.pk for m in analisi.modifiche if "id_regionale" in m.campi]
    liberare_codice = [m.pk for m in analisi.modifiche if "codice_ente" in m.campi]
    unita_dell_ente = UnitaAbitativa.objects.filter(ente=ente)  # m.pk is always one of the ente's
    for blocco in _a_blocchi(liberare_id):
        unita_dell_ente.filter(pk__in=blocco).update(id_regionale=None)
    for blocco in _a_blocchi(liberare_codice):
        unita_dell_ente.filter(pk__in=blocco).update(codice_ente="")
    _aggiorna(
        unita_dell_ente,
        UnitaAbitativa,
        [
            (m.pk, {("comune" if c == "comune_id" else c): v for c, v in m.campi.items()})
            for m in analisi.modifiche
            if m.campi
        ],
    )

    # 3. New units, then their states (the pks come back from the insert).
    if analisi.nuove:
        create = UnitaAbitativa.objects.bulk_create(
            [
                UnitaAbitativa(
                    ente_id=ente.pk,
                    comune_id=r.comune_id,
                    id_regionale=r.id_regionale,
                    codice_ente=r.codice_ente or "",
                    tipo=r.tipo or TipoServizio.SAP,
                    indirizzo=r.indirizzo or "",
                )
                for r in analisi.nuove
            ],
            batch_size=2000,
        )
    else:
        create = []
    nuovi_stati = [
        StatoUnita(
            piano_id=piano.pk,
            unita_id=u.pk,
            stato=r.stato,
            programma=r.programma or "",
            stato_origine=r.stato_origine or "",
            note=r.note or "",
        )
        for u, r in zip(create, analisi.nuove, strict=True)
        if r.stato
    ]
    stati_cambiati: list[tuple[int, dict[str, Any]]] = []
    stati_da_togliere: list[int] = []
    for m in analisi.modifiche:
        prima, dopo = m.stato_prima, m.stato_dopo
        if prima is None and dopo is not None:
            nuovi_stati.append(
                StatoUnita(
                    piano_id=piano.pk,
                    unita_id=m.pk,
                    stato=dopo[0],
                    programma=dopo[1],
                    stato_origine=dopo[2],
                    note=dopo[3],
                )
            )
        elif prima is not None and dopo is None:
            stati_da_togliere.append(prima.pk)
        elif prima is not None and dopo is not None and prima.valori() != dopo:
            nomi = ("stato", "programma", "stato_origine", "note")
            stati_cambiati.append(
                (prima.pk, {n: v for n, v, a in zip(nomi, dopo, prima.valori(), strict=True) if v != a})
            )
    for blocco in _a_blocchi(stati_da_togliere):
        StatoUnita.objects.filter(piano=piano, pk__in=blocco).delete()
    _aggiorna(StatoUnita.objects.filter(piano=piano, unita__ente=ente), StatoUnita, stati_cambiati)
    if nuovi_stati:
        StatoUnita.objects.bulk_create(nuovi_stati, batch_size=2000)

    # 4. Turnover: the sheet replaces the ente's counts.
    if analisi.turnover_tolti:
        TurnoverPrevisto.objects.filter(
            piano=piano, ente=ente, pk__in=[pk for pk, _, _ in analisi.turnover_tolti]
        ).delete()
    if analisi.turnover_modificati:
        TurnoverPrevisto.objects.bulk_update(
            [TurnoverPrevisto(pk=pk, numero=t.numero) for pk, t, _ in analisi.turnover_modificati],
            ["numero"],
        )
    if analisi.turnover_nuovi:
        TurnoverPrevisto.objects.bulk_create(
            TurnoverPrevisto(piano_id=piano.pk, ente_id=ente.pk, comune_id=t.comune_id, numero=t.numero)
            for t in analisi.turnover_nuovi
        )
    return create, nuovi_stati


def _origine(analisi: Analisi, caricamento: Caricamento | None) -> str:
    if caricamento is not None:
        return f"importazione n. {caricamento.pk} ({caricamento.nome_file})"
    return f"importazione ({analisi.nome_file})"


def _voci_storico(
    analisi: Analisi, nuove_unita: list[UnitaAbitativa], nuovi_stati: list[StatoUnita]
) -> list[VoceModifica]:
    """What the import changed, as the audit history records it: registry fields on the unit,
    the state in the plan on the unit's state row, before and after."""
    contesto = analisi.contesto
    riferimenti = {"piano": analisi.piano.pk, "ente": analisi.ente.pk}
    voci: list[VoceModifica] = []
    for unita in nuove_unita:
        voci.append(VoceModifica.creazione(unita, **riferimenti))
    for stato in nuovi_stati:
        voci.append(VoceModifica.creazione(stato, **riferimenti))
    for m in analisi.modifiche:
        esistente = contesto.unita.get(m.pk) if contesto else None
        if m.campi:
            prima = {campo: getattr(esistente, campo, None) for campo in m.campi} if esistente else None
            voci.append(
                VoceModifica(
                    modello=UnitaAbitativa,
                    oggetto_id=m.pk,
                    azione=AzioneModifica.MODIFICA,
                    prima=prima,
                    dopo=dict(m.campi),
                    unita=m.pk,
                    **riferimenti,
                )
            )
        if m.stato_prima is not None and m.stato_dopo != m.stato_prima.valori():
            nomi = ("stato", "programma", "stato_origine", "note")
            voci.append(
                VoceModifica(
                    modello=StatoUnita,
                    oggetto_id=m.stato_prima.pk,
                    azione=AzioneModifica.MODIFICA if m.stato_dopo else AzioneModifica.ELIMINAZIONE,
                    prima=dict(zip(nomi, m.stato_prima.valori(), strict=True)),
                    dopo=dict(zip(nomi, m.stato_dopo, strict=True)) if m.stato_dopo else None,
                    unita=m.pk,
                    **riferimenti,
                )
            )
    cancellate = set(analisi.cancellate)
    for pk in analisi.rimosse:
        stato = contesto.stati.get(pk) if contesto else None
        if stato is not None:
            voci.append(
                VoceModifica(
                    modello=StatoUnita,
                    oggetto_id=stato.pk,
                    azione=AzioneModifica.ELIMINAZIONE,
                    prima={"stato": stato.stato, "programma": stato.programma},
                    unita=None if pk in cancellate else pk,
                    **riferimenti,
                )
            )
        if pk in cancellate:
            esistente = contesto.unita.get(pk) if contesto else None
            voci.append(
                VoceModifica(
                    modello=UnitaAbitativa,
                    oggetto_id=pk,
                    azione=AzioneModifica.ELIMINAZIONE,
                    prima=(
                        {"id_regionale": esistente.id_regionale, "codice_ente": esistente.codice_ente}
                        if esistente
                        else None
                    ),
                    **riferimenti,
                )
            )
    return voci


# --------------------------------------------------------------------------------------------
# The preview, as stored with the upload and shown on its page
# --------------------------------------------------------------------------------------------

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
}


def _etichetta_stato(stato: str | None) -> str:
    return ETICHETTE_STATO.get(stato, "") if stato else "—"


def anteprima(analisi: Analisi) -> dict[str, Any]:
    """The preview as JSON-ready data: counts exact, lists cut at ``ELEMENTI_IN_ANTEPRIMA``.

    Every text that comes from the file is neutralised, as in any echo of the upload.
    """
    c = analisi.contesto
    quanti = limite("ELEMENTI_IN_ANTEPRIMA")
    n = neutralizza

    def comune(pk: int | None) -> str:
        return c.comuni[pk].nome if c is not None and pk in c.comuni else ""

    def riga(r: RigaUnita) -> dict[str, Any]:
        return {
            "foglio": r.foglio,
            "riga": r.riga,
            "id_regionale": n(r.id_regionale or ""),
            "codice_ente": n(r.codice_ente or ""),
            "comune": comune(r.comune_id),
            "servizio": r.tipo or TipoServizio.SAP,
            "stato": _etichetta_stato(r.stato),
            "programma": n(r.programma or ""),
        }

    def modifica(m: Modifica) -> dict[str, Any]:
        u = c.unita[m.pk]
        cambi = []
        for campo, valore in m.campi.items():
            prima = getattr(u, campo)
            if campo == "comune_id":
                prima, valore = comune(prima), comune(valore)
            cambi.append(
                {"campo": ETICHETTE_CAMPI[campo], "prima": n(prima or "—"), "dopo": n(valore or "—")}
            )
        prima_stato = m.stato_prima.valori() if m.stato_prima else (None, "", "", "")
        dopo_stato = m.stato_dopo or (None, "", "", "")
        for indice, campo in enumerate(("stato", "programma", "stato_origine", "note")):
            a, b = prima_stato[indice], dopo_stato[indice]
            if a != b and (a or b):
                if campo == "stato":
                    a, b = _etichetta_stato(a), _etichetta_stato(b)
                cambi.append({"campo": ETICHETTE_CAMPI[campo], "prima": n(a or "—"), "dopo": n(b or "—")})
        return {
            "foglio": m.riga.foglio,
            "riga": m.riga.riga,
            "id_regionale": n(u.id_regionale or ""),
            "codice_ente": n(u.codice_ente or ""),
            "comune": comune(u.comune_id),
            "cambi": cambi,
        }

    def rimossa(pk: int) -> dict[str, Any]:
        u = c.unita[pk]
        s = c.stati.get(pk)
        return {
            "id_regionale": n(u.id_regionale or ""),
            "codice_ente": n(u.codice_ente or ""),
            "comune": comune(u.comune_id),
            "stato": _etichetta_stato(s.stato if s else None),
            "dal_registro": pk in cancellate,
        }

    cancellate = set(analisi.cancellate)
    sezioni = [
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
    turnover = (
        [{"comune": comune(t.comune_id), "prima": 0, "dopo": t.numero} for t in analisi.turnover_nuovi]
        + [
            {"comune": comune(t.comune_id), "prima": prima, "dopo": t.numero}
            for _, t, prima in analisi.turnover_modificati
        ]
        + [
            {"comune": comune(comune_id), "prima": prima, "dopo": 0}
            for _, comune_id, prima in analisi.turnover_tolti
        ]
    )
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
        "ci_sono_modifiche": analisi.ci_sono_modifiche,
        "sezioni": sezioni if analisi.valida else [],
        "aggiunte": [riga(r) for r in analisi.nuove[:quanti]],
        "modificate": [modifica(m) for m in analisi.modifiche[:quanti]],
        "rimosse": [rimossa(pk) for pk in rimosse[:quanti]] if c is not None else [],
        "turnover": turnover[:quanti],
        "turnover_presente": analisi.turnover_presente,
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
    righe.extend(f"Avviso: {a}" for a in analisi.avvisi)
    return "\n".join(righe)


# --------------------------------------------------------------------------------------------
# The upload history: one Caricamento per file
# --------------------------------------------------------------------------------------------

MESSAGGIO_ERRORE_INTERNO = (
    "Non è stato possibile completare l'operazione per un errore interno: nessun dato è stato "
    "registrato. Riprovare; se l'errore si ripete, segnalarlo all'assistenza indicando il file e l'ora."
)


def crea_caricamento(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: AbstractBaseUser | None,
    nome_file: str,
    contenuto: bytes,
) -> Caricamento:
    """Keep the uploaded file and open its history entry. Raises ``FileNonValido`` for a file
    refused before reading (format by name, size): such a file is not stored."""
    nome = PurePath(nome_file).name or "caricamento"
    formato = verifica_file(nome_file=nome, dimensione=len(contenuto))
    from django.core.files.base import ContentFile

    caricamento = Caricamento(
        piano=piano,
        ente=ente,
        utente=utente,
        nome_file=nome[:255],
        formato=formato,
        stato=StatoCaricamento.IN_LETTURA,
    )
    caricamento.file.save(nome, ContentFile(contenuto), save=False)
    caricamento.save()
    return caricamento


def contenuto_di(upload: UploadedFile) -> bytes:
    """The uploaded bytes, refusing before reading anything past the size limit."""
    verifica_file(nome_file=upload.name or "", dimensione=upload.size or 0)
    return upload.read()


def in_background(contenuto: bytes, nome_file: str) -> bool:
    """Whether the file is large enough for the Celery task (and the progress bar)."""
    return conta_righe(contenuto, nome_file) > limite("RIGHE_IN_BACKGROUND")


def _progresso(pk: int, da: int, a: int) -> Avanzamento:
    """A progress callback that writes (one UPDATE, outside any transaction) only when it moves."""
    ultimo = [-1]

    def avanza(percento: int) -> None:
        valore = da + (a - da) * max(0, min(100, percento)) // 100
        if valore != ultimo[0]:
            ultimo[0] = valore
            Caricamento.objects.filter(pk=pk).update(progresso=valore)

    return avanza


def _leggi_contenuto(caricamento: Caricamento) -> bytes:
    with caricamento.file.open("rb") as f:
        return f.read()


def _aggiorna_conteggi(caricamento: Caricamento, analisi: Analisi) -> None:
    caricamento.righe = analisi.righe
    caricamento.aggiunte = len(analisi.nuove)
    caricamento.modificate = len(analisi.modifiche)
    caricamento.rimosse = len(analisi.rimosse)
    caricamento.invariate = analisi.invariate


def _salva_anteprima(caricamento: Caricamento, analisi: Analisi, *, premessa: str = "") -> None:
    _aggiorna_conteggi(caricamento, analisi)
    caricamento.errori = [e.as_dict() for e in analisi.errori[: limite("ERRORI_IN_ANTEPRIMA")]]
    caricamento.anteprima = anteprima(analisi)
    caricamento.progresso = 100
    if analisi.errori:
        caricamento.stato = StatoCaricamento.CON_ERRORI
        esito = (
            f"Il file contiene {len(analisi.errori)} errori: nessun dato è stato registrato. Correggere "
            "il file e caricarlo di nuovo."
        )
    elif not analisi.ci_sono_modifiche:
        caricamento.stato = StatoCaricamento.ANTEPRIMA
        esito = "Il file non cambia nulla: i dati dell'ente sono già quelli del file."
    else:
        caricamento.stato = StatoCaricamento.ANTEPRIMA
        esito = "Anteprima pronta: controllare le modifiche e confermarle per registrarle."
    caricamento.esito = f"{premessa} {esito}".strip()
    caricamento.save()


def _carica(caricamento_id: int) -> Caricamento:
    return Caricamento.objects.select_related("piano__ambito", "ente__comune", "utente").get(
        pk=caricamento_id
    )


def analizza_caricamento(caricamento_id: int, *, contenuto: bytes | None = None) -> Caricamento:
    """Read and validate an upload and store its preview (or its errors). Writes no ente data."""
    caricamento = _carica(caricamento_id)
    try:
        analisi = analizza(
            contenuto=contenuto if contenuto is not None else _leggi_contenuto(caricamento),
            nome_file=caricamento.nome_file,
            piano=caricamento.piano,
            ente=caricamento.ente,
            avanzamento=_progresso(caricamento.pk, 0, 99),
        )
        _salva_anteprima(caricamento, analisi)
    except Exception:
        logger.exception("Caricamento %s: analisi non riuscita", caricamento_id)
        Caricamento.objects.filter(pk=caricamento_id).update(
            stato=StatoCaricamento.FALLITO, esito=MESSAGGIO_ERRORE_INTERNO, completato_il=timezone.now()
        )
        caricamento.refresh_from_db()
    return caricamento


def prenota_conferma(caricamento: Caricamento) -> bool:
    """Move a preview to «in registrazione» exactly once (a double click confirms once)."""
    if not caricamento.anteprima.get("impronta"):
        return False
    return (
        Caricamento.objects.filter(pk=caricamento.pk, stato=StatoCaricamento.ANTEPRIMA).update(
            stato=StatoCaricamento.IN_SCRITTURA, progresso=0
        )
        == 1
    )


def conferma_caricamento(caricamento_id: int, *, utente_id: int | None) -> Caricamento:
    """Write a confirmed upload: read the file again, check its changes are exactly the previewed
    ones, and write them in one transaction; otherwise show the new preview or say why not."""
    caricamento = _carica(caricamento_id)
    if caricamento.stato != StatoCaricamento.IN_SCRITTURA:
        return caricamento
    from django.contrib.auth import get_user_model

    utente = get_user_model().objects.filter(pk=utente_id).first() if utente_id else None
    attesa = caricamento.anteprima.get("impronta", "")
    try:
        analisi = analizza(
            contenuto=_leggi_contenuto(caricamento),
            nome_file=caricamento.nome_file,
            piano=caricamento.piano,
            ente=caricamento.ente,
            avanzamento=_progresso(caricamento.pk, 0, 60),
        )
        if analisi.errori or analisi.impronta != attesa:
            _salva_anteprima(caricamento, analisi, premessa=_DATI_CAMBIATI)
            return caricamento
        Caricamento.objects.filter(pk=caricamento.pk).update(progresso=60)
        registra(analisi=analisi, utente=utente, caricamento=caricamento)
    except DatiCambiati:
        return _rianalizza(caricamento)
    except ModificaNonConsentita as errore:
        _fallito(caricamento, f"{errore} Nessun dato è stato registrato.")
    except IntegrityError as errore:
        _fallito(caricamento, f"{messaggio_vincolo(errore)} Nessun dato è stato registrato.")
    except Exception:
        logger.exception("Caricamento %s: registrazione non riuscita", caricamento_id)
        _fallito(caricamento, MESSAGGIO_ERRORE_INTERNO)
    caricamento.refresh_from_db()
    return caricamento


_DATI_CAMBIATI = (
    "I dati dell'ente sono cambiati dopo l'anteprima, quindi nulla è stato registrato: questa è "
    "l'anteprima aggiornata."
)


def _rianalizza(caricamento: Caricamento) -> Caricamento:
    analisi = analizza(
        contenuto=_leggi_contenuto(caricamento),
        nome_file=caricamento.nome_file,
        piano=caricamento.piano,
        ente=caricamento.ente,
    )
    _salva_anteprima(caricamento, analisi, premessa=_DATI_CAMBIATI)
    return caricamento


def _fallito(caricamento: Caricamento, esito: str) -> None:
    Caricamento.objects.filter(pk=caricamento.pk).update(
        stato=StatoCaricamento.FALLITO, esito=esito, progresso=100, completato_il=timezone.now()
    )


def annulla_caricamento(caricamento: Caricamento) -> bool:
    """Drop a preview that was not confirmed (the file stays in the history)."""
    return (
        Caricamento.objects.filter(
            pk=caricamento.pk, stato__in=[StatoCaricamento.ANTEPRIMA, StatoCaricamento.CON_ERRORI]
        ).update(stato=StatoCaricamento.ANNULLATO, completato_il=timezone.now())
        == 1
    )


def _aggiorna(righe: QuerySet, modello: type[Model], cambi: list[tuple[int, dict[str, Any]]]) -> None:
    """Write changed rows only, in as few statements as possible: rows that take the same new values
    (e.g. 300 units that become «libera») share one ``UPDATE … WHERE pk IN``; the rest go through one
    ``bulk_update`` per set of changed columns. ``righe`` confines every statement to the ente's rows."""
    per_valori: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
    for pk, valori in cambi:
        per_valori[tuple(sorted(valori.items()))].append(pk)
    singoli: dict[tuple[str, ...], list[Model]] = defaultdict(list)
    for valori, pks in per_valori.items():
        if len(pks) > 1:
            for blocco in _a_blocchi(pks):
                righe.filter(pk__in=blocco).update(**dict(valori))
        else:
            singoli[tuple(c for c, _ in valori)].append(modello(pk=pks[0], **dict(valori)))
    for campi, oggetti in singoli.items():
        # The ente's rows only, as the grouped updates: bulk_update itself filters by pk alone.
        if righe.filter(pk__in=[o.pk for o in oggetti]).count() != len(oggetti):
            raise ModificaNonConsentita(
                "Il caricamento riguarda righe di un altro ente: nulla è stato registrato."
            )
        righe.model.objects.bulk_update(oggetti, list(campi), batch_size=500)
