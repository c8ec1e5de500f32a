"""The Assemblea's signed verbale: checked to be a PDF within the size limit, and kept aside while
the approval form is corrected or confirmed, so the user uploads it once.

A verbale kept aside is a file under ``temporanei/verbali/`` in the media storage and a signed token
(``django.core.signing``) that names it, the plan and the user: the form carries the token in a hidden
field and shows «File già caricato: …»; a token of another plan or user, altered or older than a day
is ignored. The approval copies the bytes into the approval's own file and the kept one is deleted;
kept files older than a day are deleted whenever a new one is kept.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.utils import timezone

from piano_annuale.services.errori import OperazioneNonValida

logger = logging.getLogger(__name__)

# The largest signed verbale accepted: a scanned multi-page PDF, not an archive of annexes.
DIMENSIONE_MASSIMA_VERBALE = 20 * 1024 * 1024
CARTELLA = "temporanei/verbali"
SALE = "piano_annuale.verbale_temporaneo"
DURATA = datetime.timedelta(days=1)


def leggi_verbale(file: Any) -> bytes:
    """The signed verbale's bytes, once checked to be a PDF within the size limit."""
    nome = getattr(file, "name", "") or ""
    if not nome.lower().endswith(".pdf"):
        raise OperazioneNonValida("Il verbale firmato deve essere un file PDF (estensione .pdf).")
    dimensione = getattr(file, "size", None)
    if dimensione is not None and dimensione > DIMENSIONE_MASSIMA_VERBALE:
        raise OperazioneNonValida(
            f"Il verbale supera la dimensione massima di {DIMENSIONE_MASSIMA_VERBALE // (1024 * 1024)} MB."
        )
    file.seek(0)
    contenuto = file.read(DIMENSIONE_MASSIMA_VERBALE + 1)
    if len(contenuto) > DIMENSIONE_MASSIMA_VERBALE:
        raise OperazioneNonValida(
            f"Il verbale supera la dimensione massima di {DIMENSIONE_MASSIMA_VERBALE // (1024 * 1024)} MB."
        )
    if not contenuto.startswith(b"%PDF-"):
        raise OperazioneNonValida("Il file caricato non è un PDF valido: caricare il verbale firmato in PDF.")
    return contenuto


@dataclass(frozen=True)
class VerbaleCaricato:
    """A verbale kept aside: where it is, the name it was uploaded with, and the form's token."""

    percorso: str
    nome: str
    gettone: str

    def apri(self) -> File:
        """The kept file, named as uploaded (``leggi_verbale`` checks the name and the bytes again)."""
        return File(default_storage.open(self.percorso, "rb"), name=self.nome)

    def scarta(self) -> None:
        default_storage.delete(self.percorso)


def conserva_verbale(file: Any, *, piano_id: int, utente_id: int) -> VerbaleCaricato:
    """Check the uploaded verbale and keep it aside for the next submission of the form."""
    contenuto = leggi_verbale(file)
    _pulisci_scaduti()
    nome = (getattr(file, "name", "") or "verbale.pdf").rsplit("/", 1)[-1][:200]
    percorso = default_storage.save(f"{CARTELLA}/{uuid.uuid4().hex}.pdf", ContentFile(contenuto))
    gettone = signing.dumps({"f": percorso, "n": nome, "p": piano_id, "u": utente_id}, salt=SALE)
    return VerbaleCaricato(percorso=percorso, nome=nome, gettone=gettone)


def riprendi_verbale(gettone: str, *, piano_id: int, utente_id: int) -> VerbaleCaricato | None:
    """The verbale kept for this plan and user by an earlier submission, if the token is genuine,
    recent and its file still there; None otherwise."""
    if not gettone:
        return None
    try:
        dati = signing.loads(gettone, salt=SALE, max_age=DURATA)
    except signing.BadSignature:
        return None
    if dati.get("p") != piano_id or dati.get("u") != utente_id:
        return None
    percorso = str(dati.get("f", ""))
    if not percorso.startswith(f"{CARTELLA}/") or not default_storage.exists(percorso):
        return None
    return VerbaleCaricato(percorso=percorso, nome=str(dati.get("n", "verbale.pdf")), gettone=gettone)


def _pulisci_scaduti() -> None:
    """Delete the kept verbali older than a day (forms abandoned without approving)."""
    limite = timezone.now() - DURATA
    try:
        _, file = default_storage.listdir(CARTELLA)
    except (FileNotFoundError, NotImplementedError):
        return
    for nome in file:
        percorso = f"{CARTELLA}/{nome}"
        try:
            if default_storage.get_modified_time(percorso) < limite:
                default_storage.delete(percorso)
        except (FileNotFoundError, NotImplementedError):
            continue
