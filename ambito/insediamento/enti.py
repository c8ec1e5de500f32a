"""The enti of an onboarding ambito: one per comune (made with the comune, ``territorio``), the
ALER chosen from the five Lombard ones with their U.O.G., accredited operators by name, which comuni
delegate the management of their units to which ente, and the enti's e-mail addresses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import ProtectedError

from ambito import istat
from ambito.italiano import nome_con_preposizione
from ambito.models import Ambito
from patrimonio.models import EnteProprietario, TipoEnte
from piano_annuale.services.errori import OperazioneNonValida
from piano_annuale.storico import Scrittura

from .errori import ORIGINE, DatiNonValidi
from .territorio import nome_pulito

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def aler_lombarda(denominazione: str) -> istat.AlerLombarda | None:
    return next((a for a in istat.ALER_LOMBARDE if a.denominazione == denominazione), None)


def _nuovo_ente(ambito: Ambito, utente: User, **valori: str) -> EnteProprietario:
    if EnteProprietario.objects.filter(ambito=ambito, denominazione__iexact=valori["denominazione"]).exists():
        raise OperazioneNonValida(f"L'ente «{valori['denominazione']}» è già nell'ambito.")
    ente = EnteProprietario(ambito=ambito, **valori)
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva_oggetti([ente])
        ente.save()
    return ente


@transaction.atomic
def aggiungi_aler(*, ambito: Ambito, denominazione: str, uog: str, utente: User) -> EnteProprietario:
    """One of the Lombard ALER, with the U.O.G. competent for the ambito."""
    aler = aler_lombarda(denominazione)
    if aler is None:
        raise OperazioneNonValida("Scegliere una delle ALER lombarde.")
    if uog not in aler.uog:
        raise OperazioneNonValida(
            f"Scegliere una U.O.G. {nome_con_preposizione(aler.denominazione, TipoEnte.ALER, 'di')}: {', '.join(aler.uog)}."
        )
    if EnteProprietario.objects.filter(
        ambito=ambito, tipo=TipoEnte.ALER, denominazione=denominazione
    ).exists():
        raise OperazioneNonValida(f"{aler.denominazione} è già tra gli enti dell'ambito.")
    return _nuovo_ente(ambito, utente, tipo=TipoEnte.ALER, denominazione=aler.denominazione, uog=uog)


@transaction.atomic
def aggiungi_operatore_accreditato(*, ambito: Ambito, denominazione: str, utente: User) -> EnteProprietario:
    denominazione = nome_pulito(denominazione)[:200]
    if not denominazione:
        raise OperazioneNonValida("Indicare la denominazione dell'operatore accreditato.")
    return _nuovo_ente(ambito, utente, tipo=TipoEnte.OPERATORE, denominazione=denominazione)


@transaction.atomic
def elimina_ente(*, ente: EnteProprietario, utente: User) -> None:
    """Remove an ALER or accredited operator added by mistake (a comune's ente goes with its comune)."""
    if ente.is_comune:
        raise OperazioneNonValida("L'ente di un comune si toglie togliendo il comune dall'ambito.")
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        try:
            scrittura.elimina(EnteProprietario.objects.filter(pk=ente.pk))
        except ProtectedError:
            raise OperazioneNonValida(
                f"«{ente}» ha già unità, operatori o enti che gli affidano la gestione: non si può eliminare."
            ) from None


@transaction.atomic
def imposta_gestori(*, ambito: Ambito, gestori: Mapping[int, int | None], utente: User) -> int:
    """Which ente manages each ente's units (id → gestore id, None: itself); return the changes."""
    enti = {
        e.pk: e
        for e in EnteProprietario.objects.select_for_update().filter(ambito=ambito, pk__in=list(gestori))
    }
    if len(enti) != len(gestori):
        raise OperazioneNonValida("Uno degli enti indicati non appartiene all'ambito.")
    validi = set(
        EnteProprietario.objects.filter(ambito=ambito)
        .exclude(tipo=TipoEnte.COMUNE)
        .values_list("pk", flat=True)
    )
    errori = []
    for pk, gestore in gestori.items():
        if gestore is not None and (gestore not in validi or gestore == pk):
            errori.append(f"«{enti[pk]}»: il gestore dev'essere ALER o un operatore accreditato dell'ambito.")
    if errori:
        raise DatiNonValidi(errori)
    cambiati = 0
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva_oggetti(enti.values())
        for pk, gestore in gestori.items():
            if enti[pk].gestore_id != gestore:
                enti[pk].gestore_id = gestore
                enti[pk].save(update_fields=["gestore"])
                cambiati += 1
    return cambiati


def indirizzo_valido(indirizzo: str) -> str:
    """The address trimmed, or ``ValidationError`` with the Italian message."""
    indirizzo = (indirizzo or "").strip()
    try:
        validate_email(indirizzo)
    except ValidationError:
        raise ValidationError(f"«{indirizzo}» non è un indirizzo e-mail valido.") from None
    return indirizzo


@transaction.atomic
def imposta_email_enti(*, ambito: Ambito, indirizzi: Mapping[int, str], utente: User) -> int:
    """The enti's own addresses (the office the reminders also reach); "" clears one."""
    enti = {
        e.pk: e
        for e in EnteProprietario.objects.select_for_update().filter(ambito=ambito, pk__in=list(indirizzi))
    }
    if len(enti) != len(indirizzi):
        raise OperazioneNonValida("Uno degli enti indicati non appartiene all'ambito.")
    puliti: dict[int, str] = {}
    errori = []
    for pk, indirizzo in indirizzi.items():
        try:
            puliti[pk] = indirizzo_valido(indirizzo) if (indirizzo or "").strip() else ""
        except ValidationError as errore:
            errori.append(f"{enti[pk]}: {errore.messages[0]}")
    if errori:
        raise DatiNonValidi(errori)
    cambiati = 0
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva_oggetti(enti.values())
        for pk, indirizzo in puliti.items():
            if enti[pk].email != indirizzo:
                enti[pk].email = indirizzo
                enti[pk].save(update_fields=["email"])
                cambiati += 1
    return cambiati
