"""Versions of the ente's forms: a stale save is refused, never silently overwriting another change.

A form carries, in a hidden field, the version of the rows it shows as they were when the page was
loaded: a digest of their values (``storico.istantanea``, so bookkeeping columns do not count) and
the id of the last history row about them. The service compares it with the rows as they are, under
the write's locks (the plan's row, taken by ``ente.blocca_per_scrittura``, and the rows themselves):
if they changed, ``ModificaConcorrente`` says who changed what and when, read from the history
(``Modifica``), and nothing is written. The view keeps the user's input in the form and hands it the
current version, so saving again after reading the message is a deliberate choice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import ngettext

from ambito.italiano import data_estesa
from patrimonio.models import UnitaAbitativa
from piano_annuale.models import AzioneModifica, Modifica, StatoUnita
from piano_annuale.services.errori import OperazioneNonValida
from piano_annuale.storico import Cambio, RigaStorico, etichetta_modello, istantanea, righe_storico

# The name of the hidden field, in the forms and in the POST of the per-comune tables.
CAMPO_VERSIONE = "versione"

# How many history rows the refusal lists before «e altre N modifiche».
RIGHE_NEL_MESSAGGIO = 8

VERBI: dict[str, str] = {
    AzioneModifica.CREAZIONE.value: "ha inserito",
    AzioneModifica.MODIFICA.value: "ha modificato",
    AzioneModifica.ELIMINAZIONE.value: "ha eliminato",
}


class ModificaConcorrente(OperazioneNonValida):
    """The rows changed after the form was loaded. ``versione`` is their current version: the form
    carries it from now on, so the user saves again only after reading what the other change was."""

    def __init__(self, messaggio: str, *, versione: str) -> None:
        super().__init__(messaggio)
        self.versione = versione


@dataclass(frozen=True)
class Perimetro:
    """The rows a form shows (as they are now) and the history rows that describe their changes."""

    righe: tuple[models.Model, ...]
    storico: Q

    def impronta(self) -> str:
        """A digest of the rows' values: equal digests, equal data."""
        valori = sorted(
            [etichetta_modello(riga), riga.pk, istantanea(riga)] for riga in self.righe if riga.pk is not None
        )
        testo = json.dumps(valori, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(testo.encode()).hexdigest()[:32]

    def ultima_modifica(self) -> int:
        return Modifica.objects.filter(self.storico).aggregate(ultima=Max("pk"))["ultima"] or 0

    def versione(self) -> str:
        """What the form's hidden field holds: «digest.last history id»."""
        return f"{self.impronta()}.{self.ultima_modifica()}"


def perimetro_unita(piano_id: int, unita_id: int, *, per_aggiornare: bool = False) -> Perimetro:
    """The unit and its state in the plan; ``per_aggiornare`` locks both rows until the transaction ends."""
    unita = UnitaAbitativa.objects.filter(pk=unita_id)
    stati = StatoUnita.objects.filter(piano_id=piano_id, unita_id=unita_id)
    if per_aggiornare:
        unita, stati = unita.select_for_update(), stati.select_for_update()
    return Perimetro(
        righe=(*unita, *stati),
        storico=Q(modello=etichetta_modello(UnitaAbitativa), oggetto_id=unita_id)
        | Q(modello=etichetta_modello(StatoUnita), unita_id=unita_id, piano_id=piano_id),
    )


def perimetro_dell_ente(
    modello: type[models.Model], piano_id: int, ente_id: int, *, per_aggiornare: bool = False
) -> Perimetro:
    """The ente's rows of ``modello`` in the plan (one row, or one per comune); ``per_aggiornare``
    locks them until the transaction ends."""
    righe = modello._default_manager.filter(piano_id=piano_id, ente_id=ente_id).order_by("pk")
    if per_aggiornare:
        righe = righe.select_for_update()
    return Perimetro(
        righe=tuple(righe),
        storico=Q(modello=etichetta_modello(modello), piano_id=piano_id, ente_id=ente_id),
    )


def verifica_versione(perimetro: Perimetro, inviata: str | None) -> None:
    """Refuse the save when the rows are no longer those the form was loaded with.

    ``inviata`` is the form's hidden field; empty (a client that sends none, an upload) means no
    check. Call it under the write's locks (``per_aggiornare``), after the gate.
    """
    if not inviata:
        return
    impronta, _, ultima = inviata.partition(".")
    if impronta == perimetro.impronta():
        return
    raise ModificaConcorrente(
        messaggio_conflitto(perimetro, int(ultima) if ultima.isdigit() else None),
        versione=perimetro.versione(),
    )


def messaggio_conflitto(perimetro: Perimetro, dopo: int | None) -> str:
    """The Italian refusal: who changed the data, when, and which values, from the history rows
    recorded after the form was loaded (the last one if the form does not say when that was)."""
    modifiche = Modifica.objects.filter(perimetro.storico).select_related("utente")
    if dopo is not None:
        modifiche = modifiche.filter(pk__gt=dopo).order_by("pk")
        elenco = list(modifiche[: RIGHE_NEL_MESSAGGIO + 1])
        altre = modifiche.count() - RIGHE_NEL_MESSAGGIO if len(elenco) > RIGHE_NEL_MESSAGGIO else 0
    else:
        elenco, altre = list(modifiche.order_by("-pk")[:1]), 0
    righe = righe_storico(elenco[:RIGHE_NEL_MESSAGGIO], nascosti={"piano_id", "ente_id", "unita_id"})
    if righe:
        dettaglio = f"Nel frattempo {_descrivi(righe)}"
        if altre:
            dettaglio += ngettext(" e un'altra modifica", " e altre %(n)d modifiche", altre) % {"n": altre}
        dettaglio += "."
    else:
        dettaglio = "Nel frattempo questi dati sono stati modificati da un'altra operazione."
    return (
        f"{dettaglio} Le sue modifiche non sono state salvate: i valori che aveva inserito sono ancora "
        "nel modulo. Li confronti con quelli indicati e, se vuole comunque sostituirli, salvi di nuovo."
    )


def _quando(riga: RigaStorico) -> str:
    """«il 1° dicembre 2026 alle 15:04», as Italians write the first of the month."""
    momento = timezone.localtime(riga.modifica.eseguita_il)
    return f"il {data_estesa(momento)} alle {momento:%H:%M}"


def _in_ordine(riga: RigaStorico) -> list[Cambio]:
    """The changed fields in the model's order (PostgreSQL's jsonb does not keep the keys' order)."""
    try:
        modello = apps.get_model(riga.modifica.modello)
    except (LookupError, ValueError):
        return list(riga.cambi)
    ordine = {str(campo.verbose_name): n for n, campo in enumerate(modello._meta.concrete_fields)}
    return sorted(riga.cambi, key=lambda cambio: ordine.get(cambio.campo, len(ordine)))


def _cambio(azione: str, cambio: Cambio) -> str:
    """«indirizzo: «Via Roma 1» → «Via Roma 2»»; a new or deleted row's value alone."""
    if azione == AzioneModifica.CREAZIONE:
        return f"{cambio.campo}: «{cambio.dopo}»"
    if azione == AzioneModifica.ELIMINAZIONE:
        return f"{cambio.campo}: «{cambio.prima}»"
    return f"{cambio.campo}: «{cambio.prima}» → «{cambio.dopo}»"


def _descrivi(righe: Sequence[RigaStorico]) -> str:
    """«Anna Bianchi il 1° dicembre 2026 alle 15:04 ha modificato unità abitativa (indirizzo: «Via
    Roma 1» → «Via Roma 2»)», the rows of the same user and minute said once."""
    gruppi: list[tuple[str, list[str]]] = []
    for riga in righe:
        chi = f"{riga.chi} {_quando(riga)}"
        cambi = ", ".join(_cambio(riga.modifica.azione, c) for c in _in_ordine(riga))
        parte = (
            f"{VERBI.get(riga.modifica.azione, 'ha modificato')} {riga.tabella[:1].lower()}{riga.tabella[1:]}"
        )
        parte += f" ({cambi})" if cambi else ""
        if gruppi and gruppi[-1][0] == chi:
            gruppi[-1][1].append(parte)
        else:
            gruppi.append((chi, [parte]))
    return "; ".join(f"{chi} {' e '.join(parti)}" for chi, parti in gruppi)
