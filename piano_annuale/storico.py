"""The audit of every change: who changed which row, when, and its values before and after.

The service functions record each change they make with ``traccia``; writers of many rows at once
(the spreadsheet import, the new plan of the following year) describe their changes as
``VoceModifica`` and record them with one ``registra_modifiche`` call (``bulk_create``). Recording
is explicit because the demo runs on SQLite, where trigger-based history libraries do not work.
Writes made through generic machinery (the Django admin, the misure pages, the narratives, the
misure loader) use ``Scrittura``: it reads the rows a write may touch before and after it and
records every difference in bulk, deletions with the whole row and what they cascade to.

The history pages read the rows back with ``righe_storico``, which turns stored ids and codes into
what the user knows (comune names, state labels) with one query per referenced table.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models, router
from django.db.models.deletion import Collector
from django.utils import timezone

from patrimonio.models import UnitaAbitativa

from .models import AzioneModifica, Modifica, PianoAnnuale
from .revisione import aggiorna_revisioni

if TYPE_CHECKING:
    from django.contrib.auth.models import User

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

    def riga(self, *, utente: User | None, origine: str, motivo: str, quando: datetime.datetime) -> Modifica:
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
    utente: User | None,
    origine: str,
    modifiche: Iterable[VoceModifica],
    motivo: str = "",
) -> int:
    """Record many changes with one ``bulk_create`` (e.g. an import's rows); return how many.

    Call it in the same transaction as the writes it describes, so both are kept or neither; the
    revision of the plans they concern is bumped there too (``revisione``).
    ``origine`` says where the changes come from, e.g. «importazione n. 12 (unita.xlsx)».
    """
    quando = timezone.now()
    utente = utente if getattr(utente, "is_authenticated", False) else None
    voci = list(modifiche)
    righe = [m.riga(utente=utente, origine=origine, motivo=motivo, quando=quando) for m in voci]
    Modifica.objects.bulk_create(righe, batch_size=1000)
    aggiorna_revisioni(voci)  # the plans these changes concern are computed again (one UPDATE)
    return len(righe)


def traccia(
    *,
    utente: User | None,
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
    aggiorna_revisioni([voce])
    return riga


# --------------------------------------------------------------------------------------------
# Recording a write by reading its rows before and after
# --------------------------------------------------------------------------------------------

# The domain tables: every change of their rows belongs in the history.
APP_TRACCIATE = ("ambito", "patrimonio", "piano_annuale", "misure")

Chiave = tuple[str, Any]  # («misure.avviso», pk)
Letti = dict[Chiave, tuple[models.Model, Valori]]


def tracciato(modello: type[models.Model]) -> bool:
    """Whether changes of ``modello`` are recorded: the tables of the four apps, except the history
    itself and the hidden tables of many-to-many relations (the owner's row lists those ids)."""
    opts = modello._meta
    return opts.app_label in APP_TRACCIATE and not opts.auto_created and modello is not Modifica


def istantanea_intera(oggetto: models.Model) -> Valori:
    """Every column of a saved row, bookkeeping ones included, and the sorted ids of its
    many-to-many relations (from the prefetch cache when there is one): what a deletion keeps."""
    valori: Valori = {
        campo.attname: _valore_json(getattr(oggetto, campo.attname))
        for campo in oggetto._meta.concrete_fields
        if not campo.primary_key
    }
    for campo in oggetto._meta.many_to_many:
        valori[campo.name] = sorted(o.pk for o in getattr(oggetto, campo.name).all())
    return valori


def _senza_contabilita(valori: Valori) -> Valori:
    """The values without the bookkeeping columns, which change on every save."""
    return {
        k: v
        for k, v in valori.items()
        if k not in CAMPI_IGNORATI and k.removesuffix("_id") not in CAMPI_IGNORATI
    }


def _descrizione(oggetto: models.Model) -> str:
    """The row's name; for a row whose related rows are gone too, its table and id."""
    try:
        return str(oggetto)[:300]
    except ObjectDoesNotExist:
        return f"{oggetto._meta.verbose_name} n. {oggetto.pk}"[:300]


class Scrittura:
    """One write of domain rows, recorded as the difference between its rows before and after.

    Before writing, name the rows the write may touch: ``osserva`` a QuerySet (read now and again at
    the end: rows that appear in it were created, rows that vanish were deleted) or
    ``osserva_oggetti`` (rows, saved or not yet, read by primary key). ``elimina`` deletes rows with
    whatever their deletion cascades to or empties (``SET_NULL``), all observed first. ``registra``
    (or leaving the ``with`` block without an error) reads the rows again and records every
    difference with one ``bulk_create``: a creation with its values, a change with before and after,
    a deletion with the whole row. Cost: one query per observed set (and per many-to-many field)
    before and after, and one insert. Use it inside the write's transaction.
    """

    def __init__(
        self,
        *,
        utente: User | AnonymousUser | None,
        origine: str,
        motivo: str = "",
        **riferimenti: int | None,
    ) -> None:
        self.utente = None if utente is None or isinstance(utente, AnonymousUser) else utente
        self.origine = origine
        self.motivo = motivo
        self.riferimenti = riferimenti  # e.g. piano=…, for rows whose own columns do not say it
        self._prima: Letti = {}
        self._descrizioni: dict[Chiave, str] = {}
        self._insiemi: list[models.QuerySet] = []
        self._oggetti: list[tuple[models.Model, Any]] = []  # (row, its primary key when observed)
        self._chiavi: list[tuple[type[models.Model], Any]] = []

    def __enter__(self) -> Scrittura:
        return self

    def __exit__(self, tipo: type[BaseException] | None, *_: Any) -> None:
        if tipo is None:
            self.registra()

    def osserva(self, righe: models.QuerySet) -> None:
        if tracciato(righe.model):
            self._insiemi.append(righe.all())
            self._ricorda(self._leggi(righe.all()))

    def osserva_oggetti(self, oggetti: Iterable[models.Model]) -> None:
        nuovi = [(o, o.pk) for o in oggetti if tracciato(type(o))]
        self._oggetti.extend(nuovi)
        self._ricorda(self._per_chiave((type(o), pk) for o, pk in nuovi))

    def osserva_eliminazione(self, oggetti: models.QuerySet | Iterable[models.Model]) -> Collector:
        """Observe the rows that deleting ``oggetti`` removes or changes; return Django's collector,
        ready to ``delete()`` them (``ProtectedError`` if a protected row refers to them)."""
        righe: list[models.Model] | models.QuerySet[models.Model]
        if isinstance(oggetti, models.QuerySet):
            modello: type[models.Model] | None = oggetti.model
            pks = list(oggetti.values_list("pk", flat=True))
            righe = oggetti.model._base_manager.filter(pk__in=pks).order_by()
        else:
            righe = [o for o in oggetti if o.pk is not None]
            modello = type(righe[0]) if righe else None
        # The origin of the deletion, as Django's delete() gives it to the signals.
        origine = righe if isinstance(righe, models.QuerySet) else (righe[0] if righe else None)
        collector = Collector(using=router.db_for_write(modello or Modifica), origin=origine)
        if modello is None:
            return collector
        collector.collect(righe)
        chiavi = [(m, o.pk) for m, istanze in collector.data.items() for o in istanze]
        for insieme in collector.fast_deletes:
            chiavi += [(insieme.model, pk) for pk in insieme.values_list("pk", flat=True)]
        for (campo, _valore), elenchi in collector.field_updates.items():
            # Each entry is a QuerySet or a list of instances (typed as a single instance in the stubs).
            for svuotate in cast(list[Iterable[models.Model]], elenchi):
                ids = (
                    svuotate.values_list("pk", flat=True)
                    if isinstance(svuotate, models.QuerySet)
                    else [r.pk for r in svuotate]
                )
                chiavi += [(campo.model, pk) for pk in ids]
        nascoste: dict[type[models.Model], list[Any]] = defaultdict(list)
        for m, pk in chiavi:
            if m._meta.auto_created:
                nascoste[m].append(pk)
        for tabella, pks in nascoste.items():
            chiavi += self._proprietari(tabella, pks)
        chiavi = [(m, pk) for m, pk in chiavi if tracciato(m)]
        self._chiavi.extend(chiavi)
        letti = self._per_chiave(chiavi)
        self._ricorda(letti)
        # Named now: once deleted, a row's name may need rows deleted with it.
        self._descrizioni.update({chiave: _descrizione(o) for chiave, (o, _) in letti.items()})
        return collector

    def elimina(self, oggetti: models.QuerySet | Iterable[models.Model]) -> int:
        """Delete ``oggetti`` as ``QuerySet.delete()`` would; return how many rows went."""
        collector = self.osserva_eliminazione(oggetti)
        if not collector.data and not collector.fast_deletes:
            return 0
        eliminate, _ = collector.delete()
        return eliminate

    def registra(self) -> int:
        """Record every difference since the rows were observed; return how many history rows."""
        dopo: Letti = {}
        for righe in self._insiemi:
            dopo.update(self._leggi(righe.all()))
        dopo.update(self._per_chiave([*self._chiavi, *((type(o), pk or o.pk) for o, pk in self._oggetti)]))
        # A row that left every observed set but still exists was changed, not deleted.
        dopo.update(self._per_chiave((type(o), k[1]) for k, (o, _) in self._prima.items() if k not in dopo))
        voci = []
        for chiave in dict.fromkeys([*self._prima, *dopo]):
            if chiave not in dopo:
                oggetto, prima = self._prima[chiave]
                voci.append(self._voce(chiave, oggetto, AzioneModifica.ELIMINAZIONE, prima, None))
                continue
            oggetto, valori = dopo[chiave]
            if chiave not in self._prima:
                voci.append(
                    self._voce(chiave, oggetto, AzioneModifica.CREAZIONE, None, _senza_contabilita(valori))
                )
                continue
            prima, valori = _senza_contabilita(self._prima[chiave][1]), _senza_contabilita(valori)
            if prima != valori:
                voci.append(self._voce(chiave, oggetto, AzioneModifica.MODIFICA, prima, valori))
        self._prima, self._descrizioni, self._insiemi, self._oggetti, self._chiavi = {}, {}, [], [], []
        return registra_modifiche(
            utente=self.utente, origine=self.origine, modifiche=voci, motivo=self.motivo
        )

    def _voce(
        self, chiave: Chiave, oggetto: models.Model, azione: str, prima: Valori | None, dopo: Valori | None
    ) -> VoceModifica:
        riferimenti = riferimenti_di(oggetto)
        for nome, valore in self.riferimenti.items():
            if riferimenti.get(nome) is None:
                riferimenti[nome] = valore
        descrizione = self._descrizioni.get(chiave) or _descrizione(oggetto)
        return VoceModifica(
            modello=type(oggetto),
            oggetto_id=oggetto.pk,
            azione=azione,
            prima=prima,
            dopo=dopo,
            descrizione=descrizione,
            **riferimenti,
        )

    @staticmethod
    def _proprietari(tabella: type[models.Model], pks: list[Any]) -> list[tuple[type[models.Model], Any]]:
        """The rows whose many-to-many list loses these rows of the relation's hidden table."""
        proprietario = cast(type[models.Model], tabella._meta.auto_created)
        relazione = next(c for c in proprietario._meta.many_to_many if c.remote_field.through is tabella)
        colonna = relazione.m2m_column_name()  # the hidden table's column naming the owner
        righe = tabella._base_manager.filter(pk__in=pks).values_list(colonna, flat=True)
        return [(proprietario, pk) for pk in righe]

    def _ricorda(self, letti: Letti) -> None:
        for chiave, valori in letti.items():
            self._prima.setdefault(chiave, valori)

    @staticmethod
    def _leggi(righe: models.QuerySet) -> Letti:
        molti = [campo.name for campo in righe.model._meta.many_to_many]
        if molti:
            righe = righe.prefetch_related(*molti)
        return {(righe.model._meta.label_lower, o.pk): (o, istantanea_intera(o)) for o in righe}

    def _per_chiave(self, chiavi: Iterable[tuple[type[models.Model], Any]]) -> Letti:
        """The rows with these primary keys, read with one query per table."""
        per_modello: dict[type[models.Model], set[Any]] = defaultdict(set)
        for modello, pk in chiavi:
            if pk is not None:
                per_modello[modello._meta.concrete_model or modello].add(pk)
        letti: Letti = {}
        for modello, pks in per_modello.items():
            letti.update(self._leggi(modello._base_manager.filter(pk__in=pks)))
        return letti


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
        trovato = modello._meta.get_field(nome)
    except FieldDoesNotExist:
        return None
    return trovato if isinstance(trovato, models.Field) else None  # a reverse relation stores nothing


class _Nomi:
    """Names of the rows that foreign keys in the history point to, read once per table."""

    def __init__(self, modifiche: list[Modifica]) -> None:
        richiesti: dict[type[models.Model], set[Any]] = defaultdict(set)
        for m in modifiche:
            modello = _modello(m.modello)
            for valori in (m.prima or {}, m.dopo or {}):
                for nome, valore in valori.items():
                    campo = _campo(modello, nome)
                    if campo is not None and campo.related_model is not None and valore is not None:
                        # A many-to-many relation holds a list of ids.
                        richiesti[campo.related_model].update(
                            valore if isinstance(valore, list) else [valore]
                        )
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
            if campo.related_model is not None:
                nomi = self.nomi.get(campo.related_model, {})
                if isinstance(valore, list):
                    return ", ".join(nomi.get(v, f"n. {v}") for v in valore) or "—"
                return nomi.get(valore, f"n. {valore}")
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
