"""Frozen versions whose PDF is rendered in the background (issue 17: heavy work off the request).

«Invia ad ALER» and «Approva» decide and freeze inside their transaction: the computed plan and its
Note di chiusura as JSON, with its SHA-256, exactly as ``congela_versione`` writes them. Only the PDF,
seconds of WeasyPrint, is left to a Celery task: a ``DocumentoPiano`` linked to the version shows its
progress, and the task attaches the file and its digest to the version once (the only change the
database allows a frozen version, migration 0012). The PDF is rendered from the frozen JSON, not from
the live data, so it shows what was frozen even if the plan moved on meanwhile.

Without a broker (demo, tests: tasks run eagerly) the PDF is rendered in the transaction, as before.
"""

from __future__ import annotations

import hashlib
from typing import Any

from celery import current_app
from django.core.files.base import ContentFile
from django.db.models import Max

from piano_annuale.calcolo import calcola_piano
from piano_annuale.calcolo.serializzazione import da_json, piano_da_json
from piano_annuale.iter import NoteChiusura, note_di_chiusura
from piano_annuale.models import DocumentoPiano, PianoAnnuale, StatoDocumento, TipoVersione, VersionePiano
from piano_annuale.rendering.pdf import Avanzamento, genera_pdf, nome_file
from piano_annuale.rendering.versioni import json_versione, sha256


def pdf_in_background() -> bool:
    """Whether a worker renders the PDFs (a broker is configured and tasks are not run eagerly)."""
    return not current_app.conf.task_always_eager


def congela_senza_pdf(*, piano: PianoAnnuale, tipo: str, utente: Any) -> tuple[VersionePiano, DocumentoPiano]:
    """Freeze the plan's JSON now (call it inside the transaction that moves the plan) and open the
    document row whose task will render the version's PDF; the caller queues it after the commit."""
    testo = json_versione(calcola_piano(piano), note_di_chiusura(piano))
    numero = (VersionePiano.objects.filter(piano=piano).aggregate(n=Max("numero"))["n"] or 0) + 1
    versione = VersionePiano.objects.create(
        piano=piano, numero=numero, tipo=tipo, dati_json=testo, dati_sha256=sha256(testo), creata_da=utente
    )
    documento = DocumentoPiano.objects.create(
        piano=piano,
        versione=versione,
        # The key of a version's document names the version: two versions may freeze equal data.
        chiave=hashlib.sha256(f"versione:{versione.pk}".encode()).hexdigest(),
        definitivo=tipo == TipoVersione.APPROVATA,
        stato=StatoDocumento.IN_CODA,
        richiesto_da=utente if getattr(utente, "is_authenticated", False) else None,
    )
    return versione, documento


def allega_pdf(versione: VersionePiano, *, avanzamento: Avanzamento | None = None) -> bytes:
    """Render the version's PDF from its frozen JSON and attach it with its digest, once.

    Returns the PDF's bytes. A version that already has its PDF (a second delivery) keeps it."""
    dati = versione.dati
    calcolo = piano_da_json(dati)
    note = da_json(NoteChiusura, dati["note_chiusura"])
    approvata = versione.tipo == TipoVersione.APPROVATA
    generato = genera_pdf(
        versione.piano, calcolo=calcolo, note=note, forza_bozza=not approvata, avanzamento=avanzamento
    )
    if generato.definitivo != approvata:
        raise ValueError(f"La versione {versione.tipo} non corrisponde allo stato del piano.")
    piano = versione.piano
    base = nome_file(piano.ambito.nome, piano.anno, definitiva=approvata).removesuffix(".pdf")
    versione.pdf.save(f"{base}-v{versione.numero}.pdf", ContentFile(generato.contenuto), save=False)
    allegato = VersionePiano.objects.filter(pk=versione.pk, pdf="").update(
        pdf=versione.pdf.name, pdf_sha256=sha256(generato.contenuto)
    )
    if not allegato:  # attached by an earlier delivery meanwhile: drop this copy
        versione.pdf.delete(save=False)
        versione.refresh_from_db()
    return generato.contenuto
