"""What the ufficio di piano records about the rules a plan follows: the rule set it applies, chosen
with a reason (a plan approved across a change of the law), and the triennale it belongs to; and the
platform administrator's loading of rule sets from a file (``carica_regole``).

Every write is one transaction and goes into the history with who, when, before and after.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from piano_annuale.controlli import messaggio_vincolo
from piano_annuale.models import PianoAnnuale, PianoQuerySet, RegoleAnno, StatoPiano, leggi_parametri
from piano_annuale.services.errori import ModificaNonConsentita, OperazioneNonValida
from piano_annuale.storico import Scrittura, istantanea, traccia

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ORIGINE_REGOLE = "scelta delle regole applicate"
ORIGINE_TRIENNIO = "piano triennale di riferimento"
ORIGINE_CARICAMENTO = "caricamento delle regole da file"


def _piano_da_modificare(piano: PianoAnnuale, cosa: str) -> PianoAnnuale:
    """The plan locked for the write; an approved plan keeps what it was approved with."""
    bloccato = PianoAnnuale.objects.select_for_update().get(pk=piano.pk)
    if bloccato.stato == StatoPiano.APPROVATA:
        raise ModificaNonConsentita(f"Il piano {bloccato.anno} è approvato: {cosa}.")
    return bloccato


@transaction.atomic
def scegli_regole(*, piano: PianoAnnuale, regole: RegoleAnno, motivo: str, utente: User) -> PianoAnnuale:
    """Apply ``regole`` to the plan instead of those it follows, for the stated reason.

    The computed plan reads ``piano.regole``, so the plan is recomputed under them from now on; the
    frozen versions keep the rules they were computed under.
    """
    motivo = motivo.strip()
    if not motivo:
        raise OperazioneNonValida("Indicare il motivo per cui il piano applica regole diverse.")
    bloccato = _piano_da_modificare(piano, "le regole applicate non si possono più cambiare")
    if bloccato.stato not in PianoQuerySet.STATI_MODIFICABILI:
        # The draft ALER and the Assemblea read was computed under the rules it shows: changing them
        # means a new draft, as any other change of the plan's figures.
        raise ModificaNonConsentita(
            f"Il piano {bloccato.anno} è già stato inviato ad ALER: per applicare regole diverse "
            "occorre riportarlo in bozza."
        )
    if bloccato.regole_id == regole.pk:
        raise OperazioneNonValida(f"Il piano applica già le regole «{regole.nome}».")
    prima = istantanea(bloccato)
    bloccato.regole = regole
    bloccato.motivo_regole = motivo
    bloccato.save(update_fields=["regole", "motivo_regole", "aggiornato_il"])
    traccia(utente=utente, oggetto=bloccato, prima=prima, origine=ORIGINE_REGOLE, motivo=motivo)
    return bloccato


@transaction.atomic
def registra_triennio(
    *, piano: PianoAnnuale, inizio: int | None, fine: int | None, utente: User
) -> PianoAnnuale:
    """Record the triennale the plan belongs to (first and last year), or none.

    The database refuses a triennale that is not three years containing the plan's year; the
    refusal becomes the catalogue's Italian message.
    """
    if (inizio is None) != (fine is None):
        raise OperazioneNonValida(
            "Indicare sia il primo sia l'ultimo anno del piano triennale, o nessuno dei due."
        )
    bloccato = _piano_da_modificare(piano, "il piano triennale di riferimento non si può più cambiare")
    prima = istantanea(bloccato)
    bloccato.triennio_inizio, bloccato.triennio_fine = inizio, fine
    try:
        with transaction.atomic():
            bloccato.save(update_fields=["triennio_inizio", "triennio_fine", "aggiornato_il"])
    except IntegrityError as errore:
        raise OperazioneNonValida(messaggio_vincolo(errore)) from None
    traccia(utente=utente, oggetto=bloccato, prima=prima, origine=ORIGINE_TRIENNIO)
    return bloccato


# --------------------------------------------------------------------------------------------
# Rule sets from a file (``manage.py carica_regole``)
# --------------------------------------------------------------------------------------------

CAMPI_REGOLE = ("codice", "nome", "riferimenti", "in_vigore_dal", "parametri")


@dataclass(frozen=True)
class EsitoCaricamento:
    create: tuple[str, ...]
    aggiornate: tuple[str, ...]
    invariate: tuple[str, ...]


def _voce_regole(indice: int, voce: Any) -> dict[str, Any]:
    """One entry of the file as the fields of a rule set, or a ValidationError naming it."""
    dove = f"Voce n. {indice}"
    if not isinstance(voce, dict):
        raise ValidationError(f"{dove}: ogni voce deve essere un oggetto JSON.")
    mancanti = [c for c in CAMPI_REGOLE if c not in voce]
    if mancanti:
        raise ValidationError(f"{dove}: mancano {', '.join(mancanti)}.")
    estranei = sorted(set(voce) - set(CAMPI_REGOLE))
    if estranei:
        raise ValidationError(f"{dove}: voci non previste: {', '.join(estranei)}.")
    dove = f"{dove} («{voce['codice']}»)"
    try:
        in_vigore_dal = datetime.date.fromisoformat(str(voce["in_vigore_dal"]))
    except ValueError:
        raise ValidationError(f"{dove}: «in_vigore_dal» deve essere una data AAAA-MM-GG.") from None
    try:
        leggi_parametri(voce["parametri"])
    except ValidationError as errore:
        raise ValidationError(f"{dove}: {' '.join(errore.messages)}") from None
    campi = {**voce, "in_vigore_dal": in_vigore_dal}
    try:
        RegoleAnno(**campi).clean_fields()
    except ValidationError as errore:
        dettagli = "; ".join(f"{campo}: {' '.join(m)}" for campo, m in errore.message_dict.items())
        raise ValidationError(f"{dove}: {dettagli}") from None
    return campi


def _controlla_insieme(voci: list[dict[str, Any]]) -> None:
    for campo, nome in (("codice", "codice"), ("in_vigore_dal", "data di entrata in vigore")):
        valori = [v[campo] for v in voci]
        ripetuti = sorted({str(x) for x in valori if valori.count(x) > 1})
        if ripetuti:
            raise ValidationError(f"Nel file la stessa {nome} compare più volte: {', '.join(ripetuti)}.")


def _controlla_date(campi: list[dict[str, Any]]) -> None:
    """Two rule sets cannot start on the same day: which would be in force?"""
    altre = dict(
        RegoleAnno.objects.filter(in_vigore_dal__in=[c["in_vigore_dal"] for c in campi]).values_list(
            "in_vigore_dal", "codice"
        )
    )
    for c in campi:
        codice = altre.get(c["in_vigore_dal"], c["codice"])
        if codice != c["codice"]:
            raise ValidationError(
                f"«{c['codice']}»: le regole «{codice}» sono già in vigore dal {c['in_vigore_dal']:%d/%m/%Y}."
            )


def _cambia_regole_usate(esistente: RegoleAnno, campi: dict[str, Any]) -> bool:
    return any(getattr(esistente, c) != campi[c] for c in CAMPI_REGOLE)


@transaction.atomic
def carica_regole(voci: Sequence[Any], *, utente: User | None = None) -> EsitoCaricamento:
    """Create or update the rule sets of ``voci`` (shaped like ``regole_2018_2025.json``).

    Every entry is checked first and the file is written all or nothing: a wrong entry, or a change
    to a rule set that an approved plan was computed under, raises a ValidationError and writes
    nothing. Unchanged rule sets are left alone.
    """
    if not isinstance(voci, list) or not voci:
        raise ValidationError("Il file deve contenere un elenco JSON non vuoto di regole.")
    campi = [_voce_regole(n, voce) for n, voce in enumerate(voci, start=1)]
    _controlla_insieme(campi)
    esistenti = {
        r.codice: r
        for r in RegoleAnno.objects.select_for_update().filter(codice__in=[c["codice"] for c in campi])
    }
    usate = set(
        PianoAnnuale.objects.filter(stato=StatoPiano.APPROVATA, regole__in=esistenti.values()).values_list(
            "regole__codice", flat=True
        )
    )
    cambiate = [
        c for c in campi if c["codice"] in esistenti and _cambia_regole_usate(esistenti[c["codice"]], c)
    ]
    bloccate = sorted(c["codice"] for c in cambiate if c["codice"] in usate)
    if bloccate:
        raise ValidationError(
            "Regole già applicate da un piano approvato: non si possono cambiare (caricarle con un nuovo "
            f"codice): {', '.join(bloccate)}."
        )
    _controlla_date(campi)
    nuove = [c for c in campi if c["codice"] not in esistenti]
    with Scrittura(utente=utente, origine=ORIGINE_CARICAMENTO) as scrittura:
        scrittura.osserva(RegoleAnno.objects.filter(codice__in=[c["codice"] for c in campi]))
        for c in cambiate:
            regole = esistenti[c["codice"]]
            for campo in CAMPI_REGOLE:
                setattr(regole, campo, c[campo])
            regole.save()
        for c in nuove:
            RegoleAnno(**c).save()
    return EsitoCaricamento(
        create=tuple(c["codice"] for c in nuove),
        aggiornate=tuple(c["codice"] for c in cambiate),
        invariate=tuple(c["codice"] for c in campi if c["codice"] in esistenti and c not in cambiate),
    )


# The rule sets since 2018, as their migration writes them.
REGOLE_PREDEFINITE = settings.BASE_DIR / "piano_annuale" / "migrations" / "dati" / "regole_2018_2025.json"


@transaction.atomic
def assicura_regole_predefinite(*, utente: User | None = None) -> tuple[str, ...]:
    """Create the rule sets since 2018 that the database lacks (after a ``flush``, say), leaving
    those it has as they are; return the codes created. Their migration writes them on every new
    database: this only restores them where something emptied the table."""
    voci = json.loads(REGOLE_PREDEFINITE.read_text(encoding="utf-8"))
    presenti = set(RegoleAnno.objects.values_list("codice", flat=True))
    mancanti = [v for v in voci if v["codice"] not in presenti]
    if not mancanti:
        return ()
    return carica_regole(mancanti, utente=utente).create
