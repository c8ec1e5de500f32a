"""Helpers for the tests of roles and pages: users with a role, and a snapshot of the enti's data."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Model

from ambito.models import Ambito
from patrimonio.models import EnteProprietario, Operatore, UnitaAbitativa
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    PianoAnnuale,
    RispostaRicognizione,
    ScelteEnte,
    StatoRisposta,
    StatoUnita,
    TurnoverPrevisto,
)

PASSWORD = "Prova-ruoli-2025"

# Every table an ente's workspace can write to.
MODELLI_DELL_ENTE: tuple[type[Model], ...] = (
    UnitaAbitativa,
    StatoUnita,
    TurnoverPrevisto,
    ConsistenzaDichiarata,
    RispostaRicognizione,
    ScelteEnte,
    DestinazioneSAT,
    AssegnazioniAnnoPrecedente,
)


def crea_operatore(
    username: str,
    ambito: Ambito,
    ruolo: str,
    ente: EnteProprietario | None = None,
    *,
    email: str = "",
    nome: str = "",
    cognome: str = "",
) -> User:
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=email, first_name=nome, last_name=cognome
    )
    Operatore.objects.create(user=user, ambito=ambito, ruolo=ruolo, ente=ente)
    return user


def fotografia() -> dict[str, list[tuple]]:
    """Every row of the enti's data, to prove a refused request changed nothing."""
    return {
        modello.__name__: list(modello._default_manager.order_by("pk").values_list())
        for modello in MODELLI_DELL_ENTE
    }


def riapri_per_il_test(piano: PianoAnnuale, ente: EnteProprietario) -> None:
    """Put the ente's answer back to "no answer", so its data can be changed (the fixture sent most)."""
    RispostaRicognizione.objects.update_or_create(
        piano=piano, ente=ente, defaults={"stato": StatoRisposta.NESSUNA, "inviata_il": None}
    )


@pytest.fixture
def hasher_veloce(settings) -> None:
    """Users are created by the dozen: a fast password hasher keeps the tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
