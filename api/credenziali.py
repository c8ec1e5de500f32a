"""Creating, revoking and checking personal API tokens, each write in one transaction with its history.

A token is ``poa_`` followed by 43 URL-safe characters (256 random bits). Only its SHA-256 is stored;
the first characters (``prefisso``) stay visible so the operator can tell tokens apart.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from piano_annuale.models import AzioneModifica
from piano_annuale.services.errori import OperazioneNonValida
from piano_annuale.storico import VoceModifica, registra_modifiche

from .models import TokenPersonale

if TYPE_CHECKING:
    from django.contrib.auth.models import User

INIZIO = "poa_"
LUNGHEZZA_PREFISSO = 12
# The last use is written at most this often: a token that reads every second must not write every second.
AGGIORNA_USO_OGNI = datetime.timedelta(minutes=1)
NOME_MASSIMO = 100
TOKEN_PER_UTENTE = 20


def impronta(segreto: str) -> str:
    return hashlib.sha256(segreto.encode()).hexdigest()


def _valori(token: TokenPersonale) -> dict[str, object]:
    """What the history keeps of a token: never its digest."""
    return {
        "nome": token.nome,
        "prefisso": token.prefisso,
        "sola_lettura": token.sola_lettura,
        "scadenza": token.scadenza.isoformat() if token.scadenza else None,
        "revocato_il": token.revocato_il.isoformat() if token.revocato_il else None,
        "user_id": token.user_id,
    }


def _voce(token: TokenPersonale, azione: str, prima: dict[str, object] | None) -> VoceModifica:
    dopo = _valori(token)
    return VoceModifica(
        modello=TokenPersonale,
        oggetto_id=token.pk,
        azione=azione,
        prima=prima,
        dopo=dopo,
        descrizione=f"Token di accesso «{token.nome}» ({token.prefisso}…)",
    )


@transaction.atomic
def crea_token(
    *,
    utente: User,
    nome: str,
    sola_lettura: bool = False,
    scadenza: datetime.datetime | None = None,
) -> tuple[TokenPersonale, str]:
    """A new token of ``utente``, and its secret: the only time the secret exists outside the client."""
    nome = nome.strip()
    if not nome:
        raise OperazioneNonValida("Indicare un nome per il token, ad es. «Gestionale ALER».")
    if len(nome) > NOME_MASSIMO:
        raise OperazioneNonValida(f"Il nome del token è lungo al massimo {NOME_MASSIMO} caratteri.")
    if scadenza is not None and scadenza <= timezone.now():
        raise OperazioneNonValida("La scadenza del token deve essere nel futuro.")
    attivi = TokenPersonale.objects.di(utente.pk).validi().count()
    if attivi >= TOKEN_PER_UTENTE:
        raise OperazioneNonValida(
            f"Si possono avere al più {TOKEN_PER_UTENTE} token attivi: revocarne uno prima di crearne un altro."
        )
    segreto = INIZIO + secrets.token_urlsafe(32)
    token = TokenPersonale.objects.create(
        user=utente,
        nome=nome,
        prefisso=segreto[:LUNGHEZZA_PREFISSO],
        impronta=impronta(segreto),
        sola_lettura=sola_lettura,
        scadenza=scadenza,
    )
    registra_modifiche(
        utente=utente, origine="token di accesso", modifiche=[_voce(token, AzioneModifica.CREAZIONE, None)]
    )
    return token, segreto


@transaction.atomic
def revoca_token(*, utente: User, token_id: int) -> TokenPersonale:
    """Revoke one of ``utente``'s own tokens (another user's token is not found)."""
    token = TokenPersonale.objects.select_for_update().di(utente.pk).filter(pk=token_id).first()
    if token is None:
        raise TokenPersonale.DoesNotExist("Token non trovato.")
    if token.revocato:
        raise OperazioneNonValida(f"Il token «{token.nome}» è già stato revocato.")
    prima = _valori(token)
    token.revocato_il = timezone.now()
    token.save(update_fields=["revocato_il"])
    registra_modifiche(
        utente=utente, origine="token di accesso", modifiche=[_voce(token, AzioneModifica.MODIFICA, prima)]
    )
    return token


def token_valido(segreto: str) -> TokenPersonale | None:
    """The valid token whose secret this is (with its user), or None. Records its use, at most once a
    minute."""
    if not segreto.startswith(INIZIO) or len(segreto) > 200:
        return None
    token = TokenPersonale.objects.validi().select_related("user").filter(impronta=impronta(segreto)).first()
    if token is None:
        return None
    adesso = timezone.now()
    if token.usato_il is None or adesso - token.usato_il >= AGGIORNA_USO_OGNI:
        TokenPersonale.objects.filter(pk=token.pk).update(usato_il=adesso)
        token.usato_il = adesso
    return token
