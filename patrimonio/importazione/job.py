"""The upload's life: one ``Caricamento`` per file keeps the original, its preview and its outcome.
Large files are analysed and committed by the Celery tasks of ``patrimonio.tasks``, which call
``analizza_caricamento`` and ``conferma_caricamento``; these never raise: whatever goes wrong ends
in the upload's state and message.

Faults: a task claims its job (``prendi_lavoro``: progress 0 → 1) so a second delivery does nothing;
the end of a job writes only if the upload is still in the state it started from (a cancelled
upload stays cancelled); «Annulla» works in every state but the final ones, and «Riprova» reads the
file again after a failure or a dead job (``piano_annuale.lavori`` sweeps those)."""

from __future__ import annotations

import logging
from pathlib import PurePath
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import ngettext

from patrimonio.models import EnteProprietario
from piano_annuale.controlli.vincoli import messaggio_vincolo
from piano_annuale.lavori import MESSAGGIO_CODA_NON_RAGGIUNGIBILE, caricamento_fermo
from piano_annuale.models import Caricamento, PianoAnnuale, StatoCaricamento
from piano_annuale.services.errori import ModificaNonConsentita

from .analisi import analizza
from .anteprima import anteprima
from .dichiarazioni import numero_leggibile
from .errori import DatiCambiati
from .lettura import conta_righe, verifica_file
from .limiti import Avanzamento, limite
from .righe import Analisi
from .scrittura import aggiorna_conteggi, registra

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

MESSAGGIO_ERRORE_INTERNO = (
    "Non è stato possibile completare l'operazione per un errore interno: nessun dato è stato "
    "registrato. Riprovare; se l'errore si ripete, segnalarlo all'assistenza indicando il file e l'ora."
)


def crea_caricamento(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: User | None,
    nome_file: str,
    contenuto: bytes,
) -> Caricamento:
    """Keep the uploaded file and open its history entry. Raises ``FileNonValido`` for a file
    refused before reading (format by name, size): such a file is not stored."""
    nome = PurePath(nome_file).name or "caricamento"
    formato = verifica_file(nome_file=nome, dimensione=len(contenuto))
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
    """Whether the file is large enough for the Celery task (and the progress bar): measured, not
    parsed, and only as far as the threshold."""
    soglia = limite("RIGHE_IN_BACKGROUND")
    return conta_righe(contenuto, nome_file, fino_a=soglia) > soglia


def _progresso(pk: int, da: int, a: int) -> Avanzamento:
    """A progress callback that writes (one UPDATE, outside any transaction) only when it moves."""
    ultimo = [-1]

    def avanza(percento: int) -> None:
        valore = da + (a - da) * max(0, min(100, percento)) // 100
        if valore != ultimo[0]:
            ultimo[0] = valore
            Caricamento.objects.filter(pk=pk).update(progresso=valore, aggiornato_il=timezone.now())

    return avanza


def _leggi_contenuto(caricamento: Caricamento) -> bytes:
    with caricamento.file.open("rb") as f:
        return f.read()


def _salva_anteprima(caricamento: Caricamento, analisi: Analisi, *, da: str, premessa: str = "") -> bool:
    """Store the preview, only if the upload is still in state ``da`` (not cancelled meanwhile)."""
    aggiorna_conteggi(caricamento, analisi)
    caricamento.errori = [e.as_dict() for e in analisi.errori[: limite("ERRORI_IN_ANTEPRIMA")]]
    caricamento.anteprima = anteprima(analisi)
    caricamento.progresso = 100
    if analisi.errori:
        caricamento.stato = StatoCaricamento.CON_ERRORI
        esito = ngettext(
            "Il file contiene %(n)s errore: nessun dato è stato registrato. Correggere il file e "
            "caricarlo di nuovo.",
            "Il file contiene %(n)s errori: nessun dato è stato registrato. Correggere il file e "
            "caricarlo di nuovo.",
            len(analisi.errori),
        ) % {"n": numero_leggibile(len(analisi.errori))}
    elif not analisi.ci_sono_modifiche:
        caricamento.stato = StatoCaricamento.ANTEPRIMA
        esito = "Il file non cambia nulla: i dati dell'ente sono già quelli del file."
    else:
        caricamento.stato = StatoCaricamento.ANTEPRIMA
        esito = "Anteprima pronta: controllare le modifiche e confermarle per registrarle."
    caricamento.esito = f"{premessa} {esito}".strip()
    with transaction.atomic():
        if not Caricamento.objects.select_for_update().filter(pk=caricamento.pk, stato=da).exists():
            return False
        caricamento.save()
    return True


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
            avanzamento=_progresso(caricamento.pk, 1, 99),
        )
        if not _salva_anteprima(caricamento, analisi, da=StatoCaricamento.IN_LETTURA):
            caricamento.refresh_from_db()
    except Exception:
        logger.exception("Caricamento %s: analisi non riuscita", caricamento_id)
        Caricamento.objects.filter(pk=caricamento_id, stato=StatoCaricamento.IN_LETTURA).update(
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
    utente = get_user_model().objects.filter(pk=utente_id).first() if utente_id else None
    attesa = caricamento.anteprima.get("impronta", "")
    try:
        analisi = analizza(
            contenuto=_leggi_contenuto(caricamento),
            nome_file=caricamento.nome_file,
            piano=caricamento.piano,
            ente=caricamento.ente,
            avanzamento=_progresso(caricamento.pk, 1, 60),
        )
        if analisi.errori or analisi.impronta != attesa:
            _salva_anteprima(caricamento, analisi, da=StatoCaricamento.IN_SCRITTURA, premessa=_DATI_CAMBIATI)
            caricamento.refresh_from_db()
            return caricamento
        Caricamento.objects.filter(pk=caricamento.pk).update(progresso=60, aggiornato_il=timezone.now())
        with transaction.atomic():
            # The upload's row stays locked until the write commits: «Annulla» either comes first
            # (and nothing is written) or finds the upload confirmed.
            if (
                Caricamento.objects.select_for_update()
                .filter(pk=caricamento.pk, stato=StatoCaricamento.IN_SCRITTURA)
                .exists()
            ):
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
    _salva_anteprima(caricamento, analisi, da=StatoCaricamento.IN_SCRITTURA, premessa=_DATI_CAMBIATI)
    caricamento.refresh_from_db()
    return caricamento


def _fallito(caricamento: Caricamento, esito: str) -> None:
    Caricamento.objects.filter(pk=caricamento.pk, stato=StatoCaricamento.IN_SCRITTURA).update(
        stato=StatoCaricamento.FALLITO, esito=esito, progresso=100, completato_il=timezone.now()
    )


# States a job may still leave: «Annulla» works in each of them.
STATI_ANNULLABILI = (
    StatoCaricamento.IN_LETTURA,
    StatoCaricamento.ANTEPRIMA,
    StatoCaricamento.CON_ERRORI,
    StatoCaricamento.IN_SCRITTURA,
    StatoCaricamento.FALLITO,
)
MESSAGGIO_REGISTRAZIONE_IN_CORSO = (
    "La registrazione di questo caricamento è in corso e non può più essere annullata: attendere che "
    "finisca (la pagina si aggiorna da sola)."
)
MESSAGGIO_NON_ANNULLABILE = "Questo caricamento è già concluso: non c'è nulla da annullare."
MESSAGGIO_NON_RIPROVABILE = "Questo caricamento non è fallito né interrotto: non c'è nulla da riprovare."


def annulla_caricamento(caricamento: Caricamento) -> str:
    """Cancel an upload in any state but the final ones; '' when done, else why not.

    While it is being written the upload's row is locked by the writing transaction: then it is too
    late, and the user is told so at once instead of waiting for the lock."""
    try:
        with transaction.atomic():
            riga = (
                Caricamento.objects.select_for_update(nowait=True)
                .filter(pk=caricamento.pk, stato__in=STATI_ANNULLABILI)
                .first()
            )
            if riga is None:
                return MESSAGGIO_NON_ANNULLABILE
            Caricamento.objects.filter(pk=riga.pk).update(
                stato=StatoCaricamento.ANNULLATO, completato_il=timezone.now(), aggiornato_il=timezone.now()
            )
    except DatabaseError:  # the row is locked: the write is committing right now
        return MESSAGGIO_REGISTRAZIONE_IN_CORSO
    return ""


def riprovabile(caricamento: Caricamento) -> bool:
    """Whether «Riprova» applies: the upload failed, or its job died or was lost."""
    return caricamento.stato == StatoCaricamento.FALLITO or caricamento_fermo(caricamento)


def riprova_caricamento(caricamento: Caricamento) -> bool:
    """Start reading the file again after a failure or a dead job: back to «in lettura» (queued).
    A failed write is never repeated blindly: the new preview is confirmed again."""
    if not riprovabile(caricamento):
        return False
    stati = [StatoCaricamento.FALLITO, StatoCaricamento.IN_LETTURA, StatoCaricamento.IN_SCRITTURA]
    return (
        Caricamento.objects.filter(pk=caricamento.pk, stato__in=stati).update(
            stato=StatoCaricamento.IN_LETTURA,
            progresso=0,
            esito="",
            errori=[],
            anteprima={},
            completato_il=None,
            aggiornato_il=timezone.now(),
        )
        == 1
    )


def prendi_lavoro(caricamento_id: int, stato: str) -> bool:
    """Claim a queued job for this delivery (progress 0 → 1 in ``stato``), atomically. A second
    delivery of the same message finds it taken and does nothing; if the first one died, its
    heartbeat stops and the sweep fails the upload, to be retried."""
    return (
        Caricamento.objects.filter(pk=caricamento_id, stato=stato, progresso=0).update(
            progresso=1, aggiornato_il=timezone.now()
        )
        == 1
    )


def non_accodato(caricamento_id: int) -> None:
    """The broker refused the job: a read fails (to retry), a confirmation goes back to its preview."""
    ora = timezone.now()
    Caricamento.objects.filter(pk=caricamento_id, stato=StatoCaricamento.IN_LETTURA).update(
        stato=StatoCaricamento.FALLITO, esito=MESSAGGIO_CODA_NON_RAGGIUNGIBILE, completato_il=ora
    )
    Caricamento.objects.filter(pk=caricamento_id, stato=StatoCaricamento.IN_SCRITTURA).update(
        stato=StatoCaricamento.ANTEPRIMA, esito=MESSAGGIO_CODA_NON_RAGGIUNGIBILE, progresso=100
    )
