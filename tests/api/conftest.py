"""Two small ambiti, a user and a token for each role, API clients by session or by token."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from api.credenziali import crea_token
from patrimonio.models import EnteProprietario, Ruolo, TipoEnte
from piano_annuale.models import PianoAnnuale
from tests.builders import crea_ambito
from tests.utenti import crea_operatore, riapri_per_il_test


@dataclass
class Mondo:
    piano: PianoAnnuale
    altro_piano: PianoAnnuale
    comune: EnteProprietario  # the comune operator's own ente
    altro_comune: EnteProprietario  # another ente of the same ambito
    aler: EnteProprietario
    ente_altrove: EnteProprietario  # an ente of the other ambito
    utenti: dict[str, User]
    token: dict[str, str]
    token_lettura: dict[str, str]


RUOLI = ("ufficio", "comune", "aler", "assemblea")


@pytest.fixture
def mondo(db, settings) -> Mondo:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    piano = crea_ambito(nome="Ambito API", comuni=3, prefisso_istat="097")
    altro = crea_ambito(nome="Ambito API altro", comuni=2, prefisso_istat="098")
    comuni = list(EnteProprietario.objects.filter(ambito=piano.ambito, tipo=TipoEnte.COMUNE).order_by("pk"))
    aler = EnteProprietario.objects.get(ambito=piano.ambito, tipo=TipoEnte.ALER)
    ente_altrove = EnteProprietario.objects.filter(ambito=altro.ambito, tipo=TipoEnte.COMUNE).first()
    assert ente_altrove is not None
    for ente in [*comuni, aler, ente_altrove]:
        riapri_per_il_test(piano if ente.ambito_id == piano.ambito_id else altro, ente)
    utenti = {
        "ufficio": crea_operatore("api.ufficio", piano.ambito, Ruolo.UFFICIO_DI_PIANO),
        "comune": crea_operatore("api.comune", piano.ambito, Ruolo.COMUNE, comuni[0]),
        "aler": crea_operatore("api.aler", piano.ambito, Ruolo.ALER, aler),
        "assemblea": crea_operatore("api.assemblea", piano.ambito, Ruolo.ASSEMBLEA),
        "admin": get_user_model().objects.create_superuser("api.admin", "admin@prova.invalid", "x"),
    }
    token = {r: crea_token(utente=u, nome=f"Token {r}")[1] for r, u in utenti.items()}
    lettura = {r: crea_token(utente=u, nome=f"Lettura {r}", sola_lettura=True)[1] for r, u in utenti.items()}
    return Mondo(piano, altro, comuni[0], comuni[1], aler, ente_altrove, utenti, token, lettura)


def client_token(segreto: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {segreto}")
    return client


def client_sessione(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client
