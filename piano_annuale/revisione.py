"""The plan's revision: one counter per plan, bumped in the same transaction as every write that can
change what the plan computes, so that the cached computation (``calcolo.cache``) is keyed by it.

A write names the rows it changed (the history's ``VoceModifica``: table, plan, ente, unit, values);
``Tocchi`` turns them into the plans concerned and ``aggiorna`` bumps them with one UPDATE:

- a row of one year's plan (the plan itself, or a table with a ``piano`` column): that plan;
- a row of the ambito's registry, shared by its plans (units, enti, comuni, misure): every plan of
  the ambito that is not approved — found by the database from the ids, in the same UPDATE;
- a row that names no ambito (a rule set, a population figure): every plan that is not approved;
- a row of a table no plan reads (``FUORI_DAI_PIANI``: API tokens): none.

Approved plans are never bumped: they are read from their frozen version, never from live data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from django.apps import apps
from django.db import models
from django.db.models import F, Q

from patrimonio.models import EnteProprietario, UnitaAbitativa
from piano_annuale.models import PianoAnnuale, StatoPiano


class Riferita(Protocol):
    """What a history entry says about the row it records (``storico.VoceModifica``)."""

    @property
    def modello(self) -> type[models.Model] | str: ...
    @property
    def piano(self) -> int | None: ...
    @property
    def ente(self) -> int | None: ...
    @property
    def unita(self) -> int | None: ...
    @property
    def prima(self) -> Mapping[str, Any] | None: ...
    @property
    def dopo(self) -> Mapping[str, Any] | None: ...


@cache
def _dell_anno(modello: type[models.Model] | str) -> bool:
    """Whether the table's rows belong to one year's plan (the plan, or a ``piano`` column)."""
    try:
        classe = apps.get_model(modello) if isinstance(modello, str) else modello
    except (LookupError, ValueError):
        return False  # an unknown table: its ids say nothing, every open plan is bumped
    if classe is PianoAnnuale:
        return True
    return any(c.name == "piano" and c.related_model is PianoAnnuale for c in classe._meta.concrete_fields)


# Tables that neither the computation nor any page of a plan reads: a write there concerns no plan.
# (An API token is read only to authenticate; without this, creating one would bump every open plan.)
FUORI_DAI_PIANI = frozenset({"api.tokenpersonale"})


def _fuori_dai_piani(modello: type[models.Model] | str) -> bool:
    etichetta = modello.lower() if isinstance(modello, str) else modello._meta.label_lower
    return etichetta in FUORI_DAI_PIANI


@dataclass
class Tocchi:
    """The plans a write concerns, gathered from its rows; ``aggiorna`` bumps them."""

    piani: set[int] = field(default_factory=set)  # these plans only
    ambiti: set[int] = field(default_factory=set)  # every open plan of these ambiti
    ambiti_dei_piani: set[int] = field(default_factory=set)  # … of these plans' ambiti
    enti: set[int] = field(default_factory=set)  # … of these enti's ambiti
    unita: set[int] = field(default_factory=set)  # … of these units' ambiti
    tutti: bool = False  # every open plan

    def aggiungi(self, voce: Riferita) -> None:
        if _fuori_dai_piani(voce.modello):
            return
        if _dell_anno(voce.modello) and voce.piano is not None:
            self.piani.add(voce.piano)
            return
        valori = [v for v in (voce.prima, voce.dopo) if v]
        ambiti = {v["ambito_id"] for v in valori if v.get("ambito_id") is not None}
        enti = {v["ente_id"] for v in valori if v.get("ente_id") is not None}
        if voce.ente is not None:
            enti.add(voce.ente)
        self.ambiti |= ambiti
        self.enti |= enti
        if voce.piano is not None:
            self.ambiti_dei_piani.add(voce.piano)
        if not (ambiti or enti or voce.piano is not None):
            if voce.unita is not None:
                self.unita.add(voce.unita)
            else:
                self.tutti = True

    def aggiorna(self) -> int:
        """Bump the plans concerned with one UPDATE (none when the write named nothing); return how
        many plans. Call it inside the write's transaction."""
        aperti = PianoAnnuale.objects.exclude(stato=StatoPiano.APPROVATA)
        if not self.tutti:
            condizione = Q(pk__in=sorted(self.piani)) if self.piani else Q()
            for ids, ambiti in (
                (self.ambiti_dei_piani, PianoAnnuale.objects.filter(pk__in=sorted(self.ambiti_dei_piani))),
                (self.enti, EnteProprietario.objects.filter(pk__in=sorted(self.enti))),
            ):
                if ids:
                    condizione |= Q(ambito_id__in=ambiti.order_by().values("ambito_id"))
            if self.unita:
                unita = UnitaAbitativa.objects.filter(pk__in=sorted(self.unita)).order_by()
                condizione |= Q(ambito_id__in=unita.values("ente__ambito_id"))
            if self.ambiti:
                condizione |= Q(ambito_id__in=sorted(self.ambiti))
            if not condizione:
                return 0
            aperti = aperti.filter(condizione)
        return aperti.update(revisione=F("revisione") + 1)


def aggiorna_revisioni(voci: Iterable[Riferita]) -> int:
    """Bump the revision of the plans the recorded changes concern (one UPDATE, none for no change)."""
    tocchi = Tocchi()
    vuoto = True
    for voce in voci:
        tocchi.aggiungi(voce)
        vuoto = False
    return 0 if vuoto else tocchi.aggiorna()


def aggiorna_revisioni_ambito(ambito_id: int) -> int:
    """Bump every open plan of the ambito (a write of its registry that records history itself)."""
    return (
        PianoAnnuale.objects.filter(ambito_id=ambito_id)
        .exclude(stato=StatoPiano.APPROVATA)
        .update(revisione=F("revisione") + 1)
    )
