"""The plan loader never destroys silently (issue 13): what a load would overwrite or delete that was
not written by a load.

``carica_piano`` runs the whole load in its transaction, then asks ``perdite`` which of the rows the
load changed or deleted (its own history rows) had, just before, been written by something other
than a load — a user through the web pages, the admin, an import — or have no history at all (the
loader did not write them). If there are any, and the caller did not ask to replace them, it raises
``DatiInseritiDopoIlCaricamento`` and the transaction rolls everything back: the message says, per
table, how many rows would be lost and who changed the latest of them, and when.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Max
from django.utils import timezone

from piano_annuale.models import AzioneModifica, Modifica

# The origin of every load's history rows starts with it: «caricamento del file cremonese_2025.json»
# (this loader), «caricamento dei dati ISTAT dei comuni lombardi».
PREFISSO_CARICAMENTI = "caricamento"
BLOCCO = 2000  # ids per query


@dataclass(frozen=True)
class UltimaModifica:
    quando: datetime.datetime
    chi: str  # the username, or «senza utente»
    origine: str
    tabella: str


@dataclass(frozen=True)
class Perdite:
    """What the load would overwrite or delete, per table (its verbose name), with the most recent
    of those changes; ``senza_storico`` counts the rows that have no history at all."""

    per_tabella: dict[str, int]
    ultima: UltimaModifica | None
    senza_storico: int

    @property
    def totale(self) -> int:
        return sum(self.per_tabella.values())


class DatiInseritiDopoIlCaricamento(ValueError):
    """The load would overwrite or delete data entered since the last load: nothing was written."""

    def __init__(self, perdite: Perdite, *, nome_file: str) -> None:
        self.perdite = perdite
        righe = [
            f"Il caricamento di {nome_file} sostituirebbe dati inseriti dopo l'ultimo caricamento "
            "(dal sito, dall'amministrazione o da un'importazione): non è stato scritto nulla.",
            "Righe che verrebbero modificate o eliminate:",
            *(f"  {tabella}: {numero}" for tabella, numero in sorted(perdite.per_tabella.items())),
        ]
        if perdite.ultima is not None:
            u = perdite.ultima
            quando = timezone.localtime(u.quando).strftime("%d/%m/%Y alle %H:%M")
            origine = f", {u.origine}" if u.origine else ""
            righe.append(f"Ultima modifica: {quando}, {u.chi} ({u.tabella}{origine}).")
        if perdite.senza_storico:
            righe.append(f"Righe senza storico (non scritte da un caricamento): {perdite.senza_storico}.")
        righe.append("Per sostituirli comunque: carica_piano --sostituisci.")
        super().__init__("\n".join(righe))


def ultimo_id_storico() -> int:
    """The id of the latest history row: the load's own rows come after it."""
    return Modifica.objects.aggregate(ultimo=Max("id"))["ultimo"] or 0


def _tabella(modello: str) -> str:
    try:
        return str(apps.get_model(modello)._meta.verbose_name_plural)
    except LookupError:
        return modello


def perdite(*, dopo_id: int, origine: str) -> Perdite | None:
    """The rows the load (history rows after ``dopo_id`` with ``origine``) changed or deleted whose
    previous write was not a load, or that had no history; None when there are none."""
    toccate: dict[str, set[int]] = defaultdict(set)
    for modello, oggetto_id in (
        Modifica.objects.filter(id__gt=dopo_id, origine=origine)
        .exclude(azione=AzioneModifica.CREAZIONE)
        .values_list("modello", "oggetto_id")
    ):
        toccate[modello].add(oggetto_id)

    per_tabella: dict[str, int] = defaultdict(int)
    senza_storico = 0
    ultima: Modifica | None = None
    for modello, ids in toccate.items():
        elenco = sorted(ids)
        for inizio in range(0, len(elenco), BLOCCO):
            blocco = elenco[inizio : inizio + BLOCCO]
            precedenti = (
                Modifica.objects.filter(modello=modello, oggetto_id__in=blocco, id__lte=dopo_id)
                .select_related("utente")
                .order_by("oggetto_id", "-id")
            )
            ultime: dict[int, Modifica] = {}
            for precedente in precedenti:
                ultime.setdefault(precedente.oggetto_id, precedente)
            for oggetto_id in blocco:
                riga = ultime.get(oggetto_id)
                if riga is not None and riga.origine.startswith(PREFISSO_CARICAMENTI):
                    continue
                per_tabella[_tabella(modello)] += 1
                if riga is None:
                    senza_storico += 1
                elif ultima is None or riga.id > ultima.id:
                    ultima = riga
    if not per_tabella:
        return None
    return Perdite(
        per_tabella=dict(per_tabella),
        ultima=UltimaModifica(
            quando=ultima.eseguita_il,
            chi=f"utente «{ultima.utente.get_username()}»" if ultima.utente else "senza utente",
            origine=ultima.origine,
            tabella=_tabella(ultima.modello),
        )
        if ultima is not None
        else None,
        senza_storico=senza_storico,
    )
