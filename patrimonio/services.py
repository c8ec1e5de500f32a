"""Writes of an ente's units and counts, each in one transaction.

Every function first calls ``apri_modifica`` (the plan is open, the ente's answer is not sent; the
answer row is locked) and ends with ``registra_modifica`` (who changed what, when). Each change of a
row is also recorded in the audit (``piano_annuale.storico``: before and after). Who may call them
is decided by the views with ``EnteProprietario.objects.modificabili_da``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction

from ambito.models import Comune
from patrimonio.models import EnteProprietario, UnitaAbitativa
from piano_annuale.models import ConsistenzaDichiarata, StatoUnita, TurnoverPrevisto
from piano_annuale.services import (
    ModificaNonConsentita,
    OperazioneNonValida,
    apri_modifica,
    registra_modifica,
    salva_riga_dell_ente,
    sostituisci_conteggi,
)
from piano_annuale.storico import istantanea, traccia

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
    removed and the unit stays in the ente's registry. Saving a state carried over from last year's
    plan confirms it.
    """
    risposta = apri_modifica(piano=piano, ente=ente)
    unita = unita if unita is not None else UnitaAbitativa()
    _verifica_unita(unita, ente)
    prima_unita = istantanea(UnitaAbitativa.objects.get(pk=unita.pk)) if unita.pk else None
    for campo, valore in valori_unita.items():
        setattr(unita, campo, valore)
    unita.ente = ente  # a form never moves a unit to another ente
    if not Comune.objects.filter(pk=unita.comune_id, ambito_id=piano.ambito_id).exists():
        raise OperazioneNonValida("Il comune dell'unità deve far parte dell'ambito del piano.")
    unita.save()
    traccia(utente=utente, oggetto=unita, prima=prima_unita, piano=piano.pk)
    stato = StatoUnita.objects.filter(piano=piano, unita=unita).first()
    prima_stato = istantanea(stato) if stato else None
    if valori_stato:
        stato, _ = StatoUnita.objects.update_or_create(
            piano=piano, unita=unita, defaults={**valori_stato, "da_confermare": False}
        )
        traccia(utente=utente, oggetto=stato, prima=prima_stato, ente=ente.pk)
    elif stato is not None:
        StatoUnita.objects.filter(pk=stato.pk).delete()  # the instance keeps its id for the audit
        traccia(utente=utente, oggetto=stato, prima=prima_stato, eliminato=True, ente=ente.pk)
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
    # Deleted through querysets: the instances keep their ids, which the audit records.
    for stato in StatoUnita.objects.filter(piano=piano, unita=unita).select_related("unita__comune"):
        prima = istantanea(stato)
        StatoUnita.objects.filter(pk=stato.pk).delete()
        traccia(utente=utente, oggetto=stato, prima=prima, eliminato=True, ente=ente.pk)
    cancellata = not StatoUnita.objects.filter(unita=unita).exists()
    if cancellata:
        prima = istantanea(unita)
        UnitaAbitativa.objects.filter(pk=unita.pk).delete()
        traccia(utente=utente, oggetto=unita, prima=prima, eliminato=True, piano=piano.pk)
    registra_modifica(risposta=risposta, utente=utente)
    return cancellata


@transaction.atomic
def salva_turnover(
    *, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser, numeri: Mapping[int, int]
) -> None:
    """Units the ente expects to free up by turnover, per comune (a count, section e)."""
    risposta = apri_modifica(piano=piano, ente=ente)
    sostituisci_conteggi(modello=TurnoverPrevisto, piano=piano, ente=ente, numeri=numeri, utente=utente)
    registra_modifica(risposta=risposta, utente=utente)


@transaction.atomic
def salva_consistenza(
    *, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser, valori: Mapping[str, Any]
) -> ConsistenzaDichiarata:
    """The consistenza of the ente's patrimonio (section a): SAP and SAS, or neither (not communicated)."""
    risposta = apri_modifica(piano=piano, ente=ente)
    consistenza = salva_riga_dell_ente(
        modello=ConsistenzaDichiarata, piano=piano, ente=ente, utente=utente, valori=valori
    )
    registra_modifica(risposta=risposta, utente=utente)
    return consistenza
