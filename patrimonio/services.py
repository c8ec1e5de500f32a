"""Writes of an ente's units and counts, each in one transaction.

Every function first calls ``apri_modifica`` (the plan is open, the ente's answer is not sent; the
answer row is locked) and ends with ``registra_modifica`` (who changed what, when). Who may call them
is decided by the views with ``EnteProprietario.objects.modificabili_da``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction

from ambito.models import Comune
from piano_annuale.services import (
    ModificaNonConsentita,
    OperazioneNonValida,
    apri_modifica,
    registra_modifica,
    sostituisci_conteggi,
)

from .models import ConsistenzaDichiarata, EnteProprietario, StatoUnita, TurnoverPrevisto, UnitaAbitativa

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from piano_annuale.models import PianoAnnuale


def _verifica_unita(unita: UnitaAbitativa, ente: EnteProprietario) -> None:
    if unita.pk is not None and unita.ente_id != ente.pk:
        raise ModificaNonConsentita(f"L'unità non appartiene a {ente}.")


@transaction.atomic
def salva_unita(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: AbstractBaseUser,
    valori_unita: Mapping[str, Any],
    valori_stato: Mapping[str, Any] | None,
    unita: UnitaAbitativa | None = None,
) -> UnitaAbitativa:
    """Create (``unita`` None) or change a unit of ``ente`` and its state in ``piano``.

    ``valori_stato`` None means the unit is not available in the year: its state in this plan is
    removed and the unit stays in the ente's registry.
    """
    risposta = apri_modifica(piano=piano, ente=ente)
    unita = unita if unita is not None else UnitaAbitativa()
    _verifica_unita(unita, ente)
    for campo, valore in valori_unita.items():
        setattr(unita, campo, valore)
    unita.ente = ente  # a form never moves a unit to another ente
    if not Comune.objects.filter(pk=unita.comune_id, ambito_id=piano.ambito_id).exists():
        raise OperazioneNonValida("Il comune dell'unità deve far parte dell'ambito del piano.")
    unita.save()
    if valori_stato:
        StatoUnita.objects.update_or_create(piano=piano, unita=unita, defaults=dict(valori_stato))
    else:
        StatoUnita.objects.filter(piano=piano, unita=unita).delete()
    registra_modifica(risposta=risposta, utente=utente)
    return unita


@transaction.atomic
def elimina_unita(
    *, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser, unita: UnitaAbitativa
) -> bool:
    """Remove the unit from the plan; delete it from the registry too unless another plan uses it.

    Returns True when the unit was deleted from the registry. A unit that other plans (e.g. last
    year's, already approved) still count is kept there, so those plans do not change.
    """
    risposta = apri_modifica(piano=piano, ente=ente)
    _verifica_unita(unita, ente)
    StatoUnita.objects.filter(piano=piano, unita=unita).delete()
    cancellata = not StatoUnita.objects.filter(unita=unita).exists()
    if cancellata:
        unita.delete()
    registra_modifica(risposta=risposta, utente=utente)
    return cancellata


@transaction.atomic
def salva_turnover(
    *, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser, numeri: Mapping[int, int]
) -> None:
    """Units the ente expects to free up by turnover, per comune (a count, section e)."""
    risposta = apri_modifica(piano=piano, ente=ente)
    sostituisci_conteggi(modello=TurnoverPrevisto, piano=piano, ente=ente, numeri=numeri)
    registra_modifica(risposta=risposta, utente=utente)


@transaction.atomic
def salva_consistenza(
    *, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser, valori: Mapping[str, Any]
) -> ConsistenzaDichiarata:
    """The consistenza of the ente's patrimonio (section a): SAP and SAS, or neither (not communicated)."""
    risposta = apri_modifica(piano=piano, ente=ente)
    consistenza, _ = ConsistenzaDichiarata.objects.update_or_create(
        piano=piano, ente=ente, defaults=dict(valori)
    )
    registra_modifica(risposta=risposta, utente=utente)
    return consistenza
