"""Backup and restore of an ambito (or of everything), with its files: ``esporta_ambito`` and
``ripristina``.

The archive (``.tar.gz``) holds ``manifest.json`` (the SHA-256 and size of every other member, the
row count of every model), ``dati.json`` (the rows, Django's JSON serializer, models in the order of
their foreign keys) and ``file/<name>`` for every file the rows name (frozen PDFs, verbali, uploads).

What an ambito is: every row whose foreign keys lead to it (a plan and all it holds, its comuni,
enti, units, operators, the history of its changes), plus every row those rows point to (the users
who acted, the rules and the measures they follow). A frozen file whose digest differs from the
recorded one stops the export: a backup never carries a tampered file as if it were good.

A restore only writes into an empty database (freshly migrated): it checks the manifest first, then
inserts every row in one transaction (the immutability triggers refuse only UPDATE and DELETE) and
writes the files; any failure leaves neither rows nor files behind.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import tarfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Q

FORMATO = "poa-copia-di-sicurezza"
VERSIONE = 1
MANIFESTO = "manifest.json"
DATI = "dati.json"
CARTELLA_FILE = "file/"
# The apps whose rows make an ambito, and the authentication rows they point to.
APP_DEL_DOMINIO = ("ambito", "patrimonio", "piano_annuale", "misure")
MODELLI_AUTENTICAZIONE = ("auth.User", "auth.Group")
# Rows a fresh database already holds, written by the migrations: a restore keeps them when equal.
DATI_DELLE_MIGRAZIONI = ("piano_annuale.RegoleAnno",)
# How deep the foreign keys are followed to find a model's ambito.
PROFONDITA = 4


class CopiaNonValida(Exception):
    """The archive, the database or a file is not as a backup or a restore needs: an Italian message."""


def _sha256(contenuto: bytes) -> str:
    return hashlib.sha256(contenuto).hexdigest()


def modelli_della_copia() -> list[type[models.Model]]:
    """The models a backup holds, each after the ones its foreign keys point to."""
    scelti: list[type[models.Model]] = [apps.get_model(label) for label in MODELLI_AUTENTICAZIONE]
    for app in APP_DEL_DOMINIO:
        scelti += list(apps.get_app_config(app).get_models())
    return _in_ordine(scelti)


def _in_ordine(modelli: list[type[models.Model]]) -> list[type[models.Model]]:
    """Topological order over the foreign keys (a model's own self-references aside)."""
    insieme = set(modelli)
    ordinati: list[type[models.Model]] = []
    visitati: set[type[models.Model]] = set()

    def visita(modello: type[models.Model], cammino: tuple[type[models.Model], ...]) -> None:
        if modello in visitati or modello in cammino:
            return
        for campo in modello._meta.concrete_fields:
            bersaglio = campo.related_model if campo.is_relation else None
            if isinstance(bersaglio, type) and bersaglio in insieme and bersaglio is not modello:
                visita(bersaglio, (*cammino, modello))
        visitati.add(modello)
        ordinati.append(modello)

    for modello in modelli:
        visita(modello, ())
    return ordinati


def percorsi_verso_ambito(modello: type[models.Model]) -> list[str]:
    """Every lookup path (``piano__ambito``) from ``modello`` to ``ambito.Ambito`` along its foreign keys."""
    ambito = apps.get_model("ambito", "Ambito")
    percorsi: list[str] = []

    def cammina(corrente: type[models.Model], prefisso: str, visti: tuple[type[models.Model], ...]) -> None:
        if len(visti) > PROFONDITA:
            return
        for campo in corrente._meta.concrete_fields:
            bersaglio = campo.related_model if campo.is_relation else None
            if not isinstance(bersaglio, type) or bersaglio in visti:
                continue
            if bersaglio is ambito:
                percorsi.append(f"{prefisso}{campo.name}")
            else:
                cammina(bersaglio, f"{prefisso}{campo.name}__", (*visti, bersaglio))

    cammina(modello, "", (modello,))
    return percorsi


@dataclass
class Selezione:
    """The primary keys chosen, model by model."""

    chiavi: dict[type[models.Model], set[Any]] = field(default_factory=lambda: defaultdict(set))

    def aggiungi(self, modello: type[models.Model], chiavi: Iterable[Any]) -> bool:
        """Add keys; whether any was new."""
        prima = len(self.chiavi[modello])
        self.chiavi[modello].update(k for k in chiavi if k is not None)
        return len(self.chiavi[modello]) > prima


def seleziona(ambito_id: int | None) -> Selezione:
    """The rows of ``ambito_id`` (all rows when None) and every row they point to."""
    modelli = modelli_della_copia()
    selezione = Selezione()
    ambito = apps.get_model("ambito", "Ambito")
    for modello in modelli:
        if ambito_id is None:
            selezione.aggiungi(modello, modello._base_manager.values_list("pk", flat=True))
        elif modello is ambito:
            selezione.aggiungi(
                modello, modello._base_manager.filter(pk=ambito_id).values_list("pk", flat=True)
            )
        elif percorsi := percorsi_verso_ambito(modello):
            condizione = Q()
            for percorso in percorsi:
                condizione |= Q(**{percorso: ambito_id})
            selezione.aggiungi(modello, modello._base_manager.filter(condizione).values_list("pk", flat=True))
    _chiudi(selezione, set(modelli))
    return selezione


def _chiudi(selezione: Selezione, ammessi: set[type[models.Model]]) -> None:
    """Add the rows the chosen rows point to (foreign keys and many-to-many), until none is missing."""
    cambiato = True
    while cambiato:
        cambiato = False
        for modello in list(selezione.chiavi):
            chiavi = list(selezione.chiavi[modello])
            if not chiavi:
                continue
            for campo in modello._meta.concrete_fields:
                bersaglio = campo.related_model if campo.is_relation else None
                if isinstance(bersaglio, type) and bersaglio in ammessi:
                    valori = modello._base_manager.filter(pk__in=chiavi).values_list(campo.attname, flat=True)
                    cambiato |= selezione.aggiungi(bersaglio, valori)
            for m2m in modello._meta.many_to_many:
                bersaglio = m2m.related_model
                if isinstance(bersaglio, type) and bersaglio in ammessi:
                    valori = modello._base_manager.filter(pk__in=chiavi).values_list(
                        f"{m2m.name}__pk", flat=True
                    )
                    cambiato |= selezione.aggiungi(bersaglio, valori)


def _file_dei_record(oggetti: list[models.Model]) -> Iterator[tuple[models.Model, models.FileField, str]]:
    for oggetto in oggetti:
        for campo in oggetto._meta.concrete_fields:
            if isinstance(campo, models.FileField):
                nome = getattr(oggetto, campo.attname) or ""
                if nome:
                    yield oggetto, campo, str(nome)


def _impronta_registrata(oggetto: models.Model, campo: models.FileField) -> str:
    """The digest recorded beside a file field (``pdf_sha256``, ``verbale_sha256``, ``sha256``), or ""."""
    for nome in (f"{campo.name}_sha256", "sha256"):
        try:
            oggetto._meta.get_field(nome)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist: no digest beside this file
            continue
        return str(getattr(oggetto, nome) or "")
    return ""


@dataclass(frozen=True)
class EsitoEsportazione:
    righe: dict[str, int]
    file: int
    byte: int
    avvisi: tuple[str, ...]


def esporta(percorso: Path, *, ambito_id: int | None) -> EsitoEsportazione:
    """Write the backup of ``ambito_id`` (everything when None) to ``percorso`` (a .tar.gz)."""
    ambito = apps.get_model("ambito", "Ambito")
    if ambito_id is not None and not ambito._base_manager.filter(pk=ambito_id).exists():
        raise CopiaNonValida(f"Nessun ambito con id {ambito_id}.")
    # One snapshot for every query of the export (PostgreSQL), unless a caller's transaction is open.
    istantanea = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if istantanea:
            with connection.cursor() as cursore:
                cursore.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        selezione = seleziona(ambito_id)
        oggetti: list[models.Model] = []
        righe: dict[str, int] = {}
        for modello in modelli_della_copia():
            chiavi = selezione.chiavi.get(modello, set())
            righe[modello._meta.label_lower] = len(chiavi)
            oggetti += list(modello._base_manager.filter(pk__in=chiavi).order_by("pk"))
        dati = serializers.serialize("json", oggetti, use_natural_foreign_keys=True, indent=1).encode()
        file, avvisi = _leggi_file(oggetti)
    manifesto: dict[str, Any] = {
        "formato": FORMATO,
        "versione": VERSIONE,
        "creato_il": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "ambito": (
            None
            if ambito_id is None
            else {"id": ambito_id, "nome": ambito._base_manager.get(pk=ambito_id).nome}
        ),
        "righe": righe,
        "dati": {"nome": DATI, "sha256": _sha256(dati), "byte": len(dati)},
        "file": {nome: {"sha256": _sha256(c), "byte": len(c)} for nome, c in file.items()},
        "file_mancanti": list(avvisi),
    }
    provvisorio = percorso.with_name(percorso.name + ".parziale")
    with tarfile.open(provvisorio, "w:gz") as archivio:
        _aggiungi(archivio, MANIFESTO, json.dumps(manifesto, ensure_ascii=False, indent=1).encode())
        _aggiungi(archivio, DATI, dati)
        for nome, contenuto in file.items():
            _aggiungi(archivio, CARTELLA_FILE + nome, contenuto)
    provvisorio.replace(percorso)  # a reader never sees half an archive
    return EsitoEsportazione(
        righe, len(file), sum(len(c) for c in file.values()), tuple(f"File mancante: {a}" for a in avvisi)
    )


def _leggi_file(oggetti: list[models.Model]) -> tuple[dict[str, bytes], list[str]]:
    """The bytes of every file the rows name; a frozen one must match its recorded digest."""
    file: dict[str, bytes] = {}
    mancanti: list[str] = []
    for oggetto, campo, nome in _file_dei_record(oggetti):
        registrata = _impronta_registrata(oggetto, campo)
        try:
            with default_storage.open(nome, "rb") as f:
                contenuto = f.read()
        except OSError as errore:
            if registrata:
                raise CopiaNonValida(
                    f"Il file congelato «{nome}» ({oggetto._meta.verbose_name} {oggetto.pk}) manca: "
                    "la copia di sicurezza non può essere completa."
                ) from errore
            mancanti.append(nome)  # a cache or an upload already gone: named in the manifest
            continue
        if registrata and _sha256(contenuto) != registrata:
            raise CopiaNonValida(
                f"Il file congelato «{nome}» ({oggetto._meta.verbose_name} {oggetto.pk}) non corrisponde "
                "all'impronta SHA-256 registrata: non viene copiato come se fosse integro."
            )
        file[nome] = contenuto
    return file, mancanti


def _aggiungi(archivio: tarfile.TarFile, nome: str, contenuto: bytes) -> None:
    info = tarfile.TarInfo(nome)
    info.size = len(contenuto)
    info.mode = 0o600
    archivio.addfile(info, io.BytesIO(contenuto))


# --------------------------------------------------------------------------------------------
# Restore
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EsitoRipristino:
    righe: dict[str, int]
    file: int


def leggi_archivio(percorso: Path) -> tuple[dict[str, Any], bytes, dict[str, bytes]]:
    """The manifest, the rows and the files of an archive, once every digest has been checked."""
    membri: dict[str, bytes] = {}
    try:
        with tarfile.open(percorso, "r:gz") as archivio:
            for membro in archivio.getmembers():
                if not membro.isfile():
                    raise CopiaNonValida(f"L'archivio contiene «{membro.name}», che non è un file.")
                estratto = archivio.extractfile(membro)
                membri[membro.name] = estratto.read() if estratto else b""
    except (OSError, EOFError, tarfile.TarError) as errore:
        raise CopiaNonValida(
            f"Il file «{percorso}» non è una copia di sicurezza leggibile ({errore})."
        ) from errore
    if MANIFESTO not in membri:
        raise CopiaNonValida("L'archivio non contiene il manifesto (manifest.json).")
    manifesto = json.loads(membri.pop(MANIFESTO))
    if manifesto.get("formato") != FORMATO or manifesto.get("versione") != VERSIONE:
        raise CopiaNonValida(
            "Il manifesto non è quello di una copia di sicurezza di POA (formato o versione)."
        )
    dati = membri.pop(DATI, None)
    if dati is None or _sha256(dati) != manifesto["dati"]["sha256"]:
        raise CopiaNonValida("I dati dell'archivio (dati.json) mancano o non corrispondono al manifesto.")
    file = {
        nome.removeprefix(CARTELLA_FILE): c for nome, c in membri.items() if nome.startswith(CARTELLA_FILE)
    }
    estranei = sorted(set(membri) - {CARTELLA_FILE + n for n in file})
    attesi = manifesto["file"]
    diversi = sorted(n for n in attesi if n not in file or _sha256(file[n]) != attesi[n]["sha256"])
    diversi += sorted(set(file) - set(attesi)) + estranei
    if diversi:
        raise CopiaNonValida(
            f"{len(diversi)} file dell'archivio mancano o non corrispondono al manifesto: "
            + ", ".join(diversi[:5])
        )
    return manifesto, dati, file


def _righe_presenti(manifesto: dict[str, Any]) -> list[str]:
    """The models of the backup that already hold rows here (those the migrations write aside)."""
    presenti = []
    preesistenti = {label.lower() for label in DATI_DELLE_MIGRAZIONI}
    for label in manifesto["righe"]:
        if label in preesistenti:
            continue
        modello = apps.get_model(label)
        if (numero := modello._base_manager.count()) > 0:
            nome = modello._meta.verbose_name if numero == 1 else modello._meta.verbose_name_plural
            presenti.append(f"{numero} {nome}")
    return presenti


def ripristina(percorso: Path) -> EsitoRipristino:
    """Restore the archive into this (empty) database and its files into the media storage."""
    manifesto, dati, file = leggi_archivio(percorso)
    if presenti := _righe_presenti(manifesto):
        raise CopiaNonValida(
            "Il ripristino si esegue solo in un database vuoto (appena migrato); questo contiene già "
            + ", ".join(presenti[:5])
            + "."
        )
    for nome, contenuto in file.items():
        if default_storage.exists(nome):
            with default_storage.open(nome, "rb") as f:
                if _sha256(f.read()) != _sha256(contenuto):
                    raise CopiaNonValida(
                        f"Esiste già un file diverso con il nome «{nome}»: ripristino interrotto."
                    )
    scritti: list[str] = []
    try:
        with transaction.atomic():
            _inserisci(dati)
            righe = _verifica_righe(manifesto)
            for nome, contenuto in file.items():
                if not default_storage.exists(nome):
                    salvato = default_storage.save(nome, ContentFile(contenuto))
                    scritti.append(salvato)
                    if salvato != nome:
                        raise CopiaNonValida(f"Il file «{nome}» non può essere ripristinato con il suo nome.")
    except Exception:
        for nome in scritti:
            default_storage.delete(nome)
        raise
    return EsitoRipristino({label: manifesto["righe"][label] for label in righe}, len(file))


def _inserisci(dati: bytes) -> None:
    """Insert every row (never UPDATE or DELETE), then realign the sequences of the primary keys."""
    preesistenti = {label.lower() for label in DATI_DELLE_MIGRAZIONI}
    if connection.vendor == "postgresql":  # rows that point at each other (ambito ↔ comune capofila)
        with connection.cursor() as cursore:
            cursore.execute("SET CONSTRAINTS ALL DEFERRED")
    rinviati = []
    modelli: set[type[models.Model]] = set()
    for oggetto in serializers.deserialize("json", dati, handle_forward_references=True):
        modello = type(oggetto.object)
        modelli.add(modello)
        if modello._meta.label_lower in preesistenti:
            esistente = modello._base_manager.filter(pk=oggetto.object.pk).first()
            if esistente is not None:
                if serializers.serialize("json", [esistente]) != serializers.serialize(
                    "json", [oggetto.object]
                ):
                    raise CopiaNonValida(
                        f"{modello._meta.verbose_name} {oggetto.object.pk} esiste già con altri valori: "
                        "il database non è quello atteso."
                    )
                continue
        oggetto.save()
        if oggetto.deferred_fields:
            rinviati.append(oggetto)
    for oggetto in rinviati:
        oggetto.save_deferred_fields()
    with connection.cursor() as cursore:
        for istruzione in connection.ops.sequence_reset_sql(no_style(), list(modelli)):
            cursore.execute(istruzione)


def _verifica_righe(manifesto: dict[str, Any]) -> dict[str, int]:
    """The rows now present, model by model: as many as the manifest says (at least, for migration data)."""
    preesistenti = {label.lower() for label in DATI_DELLE_MIGRAZIONI}
    righe = {}
    for label, attese in manifesto["righe"].items():
        presenti = apps.get_model(label)._base_manager.count()
        if presenti < attese or (presenti != attese and label not in preesistenti):
            raise CopiaNonValida(f"Dopo il ripristino {label} ha {presenti} righe invece di {attese}.")
        righe[label] = presenti
    return righe
