"""The audit of every change: who changed which row, when, and its values before and after.

The service functions record each change they make with ``traccia``; writers of many rows at once
(the spreadsheet import, the new plan of the following year) describe their changes as
``VoceModifica`` and record them with one ``registra_modifiche`` call (``bulk_create``). Recording
is explicit because the demo runs on SQLite, where trigger-based history libraries do not work.

The history pages read the rows back with ``righe_storico``, which turns stored ids and codes into
what the user knows (comune names, state labels) with one query per referenced table.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from patrimonio.models import UnitaAbitativa

from .models import AzioneModifica, Modifica, PianoAnnuale

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

Valori = dict[str, Any]

# Bookkeeping columns that change on every save and say nothing about the data.
CAMPI_IGNORATI = {"id", "aggiornato_il", "aggiornata_il", "aggiornata_da", "aggiornato_da"}


def _valore_json(valore: Any) -> Any:
    """A field value as JSON can hold it (dates ISO 8601, Decimals as exact strings)."""
    if isinstance(valore, datetime.datetime | datetime.date):
        return valore.isoformat()
    if isinstance(valore, Decimal):
        return str(valore)
    if isinstance(valore, models.fields.files.FieldFile):
        return valore.name or ""
    return valore


def istantanea(oggetto: models.Model, campi: Iterable[str] | None = None) -> Valori:
    """The row's values keyed by column name (``comune_id`` for a foreign key), JSON-ready."""
    valori: Valori = {}
    for campo in oggetto._meta.concrete_fields:
        if campo.name in CAMPI_IGNORATI or campo.attname in CAMPI_IGNORATI:
            continue
        if campi is not None and campo.name not in campi and campo.attname not in campi:
            continue
        valori[campo.attname] = _valore_json(getattr(oggetto, campo.attname))
    return valori


def etichetta_modello(modello: type[models.Model] | models.Model | str) -> str:
    """«patrimonio.unitaabitativa»: how ``Modifica.modello`` names a table."""
    if isinstance(modello, str):
        return modello.lower()
    return modello._meta.label_lower


@dataclass(frozen=True)
class VoceModifica:
    """One change, as a bulk writer describes it to ``registra_modifiche``.

    ``prima`` / ``dopo`` hold the row's values (``istantanea`` gives them for an instance; a writer
    that knows only the columns it changes may give just those). ``piano``, ``ente`` and ``unita``
    are ids: they put the change in the history of that plan, ente and unit.
    """

    modello: type[models.Model] | str
    oggetto_id: int
    azione: str
    prima: Valori | None = None
    dopo: Valori | None = None
    descrizione: str = ""
    piano: int | None = None
    ente: int | None = None
    unita: int | None = None

    @classmethod
    def creazione(cls, oggetto: models.Model, **riferimenti: Any) -> VoceModifica:
        return cls._di(oggetto, AzioneModifica.CREAZIONE, None, istantanea(oggetto), riferimenti)

    @classmethod
    def eliminazione(cls, oggetto: models.Model, **riferimenti: Any) -> VoceModifica:
        return cls._di(oggetto, AzioneModifica.ELIMINAZIONE, istantanea(oggetto), None, riferimenti)

    @classmethod
    def modifica(cls, oggetto: models.Model, prima: Valori, **riferimenti: Any) -> VoceModifica:
        return cls._di(oggetto, AzioneModifica.MODIFICA, prima, istantanea(oggetto), riferimenti)

    @classmethod
    def _di(
        cls,
        oggetto: models.Model,
        azione: str,
        prima: Valori | None,
        dopo: Valori | None,
        riferimenti: Mapping[str, Any],
    ) -> VoceModifica:
        dedotti = riferimenti_di(oggetto)
        dedotti.update({k: v for k, v in riferimenti.items() if v is not None})
        return cls(
            modello=type(oggetto),
            oggetto_id=oggetto.pk,
            azione=azione,
            prima=prima,
            dopo=dopo,
            descrizione=str(oggetto)[:300],
            **dedotti,
        )

    def riga(
        self, *, utente: AbstractBaseUser | None, origine: str, motivo: str, quando: datetime.datetime
    ) -> Modifica:
        return Modifica(
            modello=etichetta_modello(self.modello),
            oggetto_id=self.oggetto_id,
            descrizione=self.descrizione[:300],
            azione=self.azione,
            prima=self.prima,
            dopo=self.dopo,
            utente=utente,
            eseguita_il=quando,
            origine=origine[:200],
            motivo=motivo,
            piano_id=self.piano,
            ente_id=self.ente,
            unita_id=self.unita,
        )


def riferimenti_di(oggetto: models.Model) -> dict[str, int | None]:
    """The plan, ente and unit a row belongs to, as far as its own columns say."""
    return {
        "piano": oggetto.pk if isinstance(oggetto, PianoAnnuale) else getattr(oggetto, "piano_id", None),
        "ente": getattr(oggetto, "ente_id", None),
        "unita": oggetto.pk if isinstance(oggetto, UnitaAbitativa) else getattr(oggetto, "unita_id", None),
    }


def registra_modifiche(
    *,
    utente: AbstractBaseUser | None,
    origine: str,
    modifiche: Iterable[VoceModifica],
    motivo: str = "",
) -> int:
    """Record many changes with one ``bulk_create`` (e.g. an import's rows); return how many.

    Call it in the same transaction as the writes it describes, so both are kept or neither.
    ``origine`` says where the changes come from, e.g. «importazione n. 12 (unita.xlsx)».
    """
    quando = timezone.now()
    utente = utente if getattr(utente, "is_authenticated", False) else None
    righe = [m.riga(utente=utente, origine=origine, motivo=motivo, quando=quando) for m in modifiche]
    Modifica.objects.bulk_create(righe, batch_size=1000)
    return len(righe)


def traccia(
    *,
    utente: AbstractBaseUser | None,
    oggetto: models.Model,
    prima: Valori | None,
    eliminato: bool = False,
    origine: str = "",
    motivo: str = "",
    **riferimenti: int | None,
) -> Modifica | None:
    """Record one change of ``oggetto`` made by a service; nothing when no value changed.

    ``prima`` is ``istantanea(oggetto)`` taken before the change (None for a new row); with
    ``eliminato`` the row has just been deleted and ``prima`` is all there is.
    """
    if eliminato:
        assert prima is not None
        voce = VoceModifica._di(oggetto, AzioneModifica.ELIMINAZIONE, prima, None, riferimenti)
    elif prima is None:
        voce = VoceModifica.creazione(oggetto, **riferimenti)
    else:
        voce = VoceModifica.modifica(oggetto, prima, **riferimenti)
        if voce.prima == voce.dopo:
            return None
    utente = utente if getattr(utente, "is_authenticated", False) else None
    riga = voce.riga(utente=utente, origine=origine, motivo=motivo, quando=timezone.now())
    riga.save(force_insert=True)
    return riga


# --------------------------------------------------------------------------------------------
# Reading the history back
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cambio:
    campo: str  # the field's Italian label
    prima: str
    dopo: str


@dataclass(frozen=True)
class RigaStorico:
    modifica: Modifica
    tabella: str  # «Unità abitativa», «Stato dell'unità nel piano»
    cambi: tuple[Cambio, ...] = field(default_factory=tuple)

    @property
    def chi(self) -> str:
        utente = self.modifica.utente
        if utente is None:
            return "procedura automatica"
        return utente.get_full_name() or utente.get_username()


def _modello(etichetta: str) -> type[models.Model] | None:
    try:
        return apps.get_model(etichetta)
    except (LookupError, ValueError):
        return None


def _campo(modello: type[models.Model] | None, nome: str) -> models.Field | None:
    if modello is None:
        return None
    for campo in modello._meta.concrete_fields:
        if nome in (campo.attname, campo.name):
            return campo
    try:
        return modello._meta.get_field(nome)
    except FieldDoesNotExist:
        return None


class _Nomi:
    """Names of the rows that foreign keys in the history point to, read once per table."""

    def __init__(self, modifiche: list[Modifica]) -> None:
        richiesti: dict[type[models.Model], set[Any]] = defaultdict(set)
        for m in modifiche:
            modello = _modello(m.modello)
            for valori in (m.prima or {}, m.dopo or {}):
                for nome, valore in valori.items():
                    campo = _campo(modello, nome)
                    if campo is not None and campo.is_relation and valore is not None:
                        richiesti[campo.related_model].add(valore)
        self.nomi: dict[type[models.Model], dict[Any, str]] = {
            modello: {o.pk: str(o) for o in modello._default_manager.filter(pk__in=ids)}
            for modello, ids in richiesti.items()
        }

    def testo(self, campo: models.Field | None, valore: Any) -> str:
        if valore is None or valore == "":
            return "—"
        if isinstance(valore, bool):
            return "sì" if valore else "no"
        if campo is not None:
            if campo.is_relation:
                return self.nomi.get(campo.related_model, {}).get(valore, f"n. {valore}")
            if campo.choices:
                return str(dict(campo.flatchoices).get(valore, valore))
            if isinstance(campo, models.DateTimeField) and isinstance(valore, str):
                try:
                    momento = timezone.localtime(datetime.datetime.fromisoformat(valore))
                except ValueError:
                    return valore
                return momento.strftime("%d/%m/%Y %H:%M")
            if isinstance(campo, models.DateField) and isinstance(valore, str):
                try:
                    return datetime.date.fromisoformat(valore).strftime("%d/%m/%Y")
                except ValueError:
                    return valore
        return str(valore)


def _etichetta(campo: models.Field | None, nome: str) -> str:
    if campo is not None and getattr(campo, "verbose_name", None):
        return str(campo.verbose_name)
    return nome.removesuffix("_id").replace("_", " ")


def righe_storico(modifiche: Iterable[Modifica], *, nascosti: Collection[str] = ()) -> list[RigaStorico]:
    """Each recorded change with its fields as «label: before → after», in the user's words.

    A change lists the fields whose value differs; a creation the values given; a deletion the
    values the row had. ``nascosti`` are columns the page already says (its plan, its unit).
    Expects ``utente`` selected with the rows.
    """
    elenco = list(modifiche)
    nomi = _Nomi(elenco)
    righe = []
    for m in elenco:
        modello = _modello(m.modello)
        prima, dopo = m.prima or {}, m.dopo or {}
        cambi = []
        for nome in dict.fromkeys([*prima, *dopo]):
            if nome in CAMPI_IGNORATI or nome in nascosti:
                continue
            vecchio, nuovo = prima.get(nome), dopo.get(nome)
            if m.azione == AzioneModifica.MODIFICA and vecchio == nuovo:
                continue
            if m.azione != AzioneModifica.MODIFICA and (vecchio if m.dopo is None else nuovo) in (None, ""):
                continue
            campo = _campo(modello, nome)
            cambi.append(
                Cambio(
                    campo=_etichetta(campo, nome),
                    prima=nomi.testo(campo, vecchio) if m.prima is not None else "—",
                    dopo=nomi.testo(campo, nuovo) if m.dopo is not None else "—",
                )
            )
        tabella = str(modello._meta.verbose_name) if modello is not None else m.modello
        righe.append(RigaStorico(modifica=m, tabella=tabella[:1].upper() + tabella[1:], cambi=tuple(cambi)))
    return righe
