"""Invitations: a person gets a membership of an ambito (role, and the ente they act for) and one
e-mail. A new person gets a user without a usable password and a link to set it, which expires
(``GeneratoreInviti``, ``POA_INVITO_GIORNI`` days, 7 by default) and works once; someone who
already has a login (e.g. an ALER officer in another ambito) gets the new membership and an e-mail
saying so. Messages leave once the transaction has committed, one per person."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from ambito.models import Ambito
from patrimonio.accesso import RUOLI_CON_ENTE, Operatore, Ruolo
from patrimonio.models import EnteProprietario, TipoEnte
from piano_annuale.models import AzioneModifica
from piano_annuale.services.errori import OperazioneNonValida
from piano_annuale.storico import Scrittura, VoceModifica, registra_modifiche

from .enti import indirizzo_valido
from .errori import ORIGINE, DatiNonValidi, riga
from .normalizza import chiave
from .territorio import nome_pulito

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

GIORNI_VALIDITA = 7
# The user's columns the history keeps when an invitation creates a login (never the password).
CAMPI_UTENTE = ("username", "email", "first_name", "last_name")


def giorni_validita() -> int:
    return int(getattr(settings, "POA_INVITO_GIORNI", GIORNI_VALIDITA))


class GeneratoreInviti(PasswordResetTokenGenerator):
    """Django's password-reset token (bound to the user's password and last login, so it works
    once), with its own salt and its own validity: an invitation is read days later."""

    key_salt = "ambito.insediamento.inviti.GeneratoreInviti"

    def check_token(self, user: User | None, token: str | None) -> bool:
        if not (user and token):
            return False
        try:
            marca, _ = token.split("-")
            emesso = base36_to_int(marca)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, emesso, segreto), token)
            for segreto in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - emesso <= giorni_validita() * 24 * 3600


generatore_inviti = GeneratoreInviti()

# Builds the absolute address of the set-password page from the uid and the token.
IndirizzoInvito = Callable[[str, str], str]


@dataclass(frozen=True)
class Invito:
    """One person to invite: their role in the ambito, the ente they act for, name and address."""

    ruolo: str
    ente: EnteProprietario | None
    nome: str
    email: str


@dataclass(frozen=True)
class EsitoInvito:
    user: User
    operatore: Operatore
    nuovo_utente: bool  # False: an existing login got a new membership


def _nome_e_cognome(nome: str) -> tuple[str, str]:
    parti = nome_pulito(nome).split(" ", 1)
    return parti[0][:150], (parti[1] if len(parti) > 1 else "")[:150]


def _username_libero(email: str) -> str:
    User = get_user_model()
    base = email.lower()[:140]
    candidato, n = base, 1
    while User.objects.filter(username__iexact=candidato).exists():
        n += 1
        candidato = f"{base}-{n}"
    return candidato


def controlla(ambito: Ambito, invito: Invito) -> Invito:
    """The invitation with its address checked; ``ValidationError`` with the Italian reason."""
    email = indirizzo_valido(invito.email)
    if not nome_pulito(invito.nome):
        raise ValidationError("Indicare nome e cognome della persona.")
    if invito.ruolo in RUOLI_CON_ENTE and invito.ente is None:
        raise ValidationError("Indicare l'ente per cui la persona opera.")
    if invito.ente is not None and invito.ente.ambito_id != ambito.pk:
        raise ValidationError(f"«{invito.ente}» non è un ente dell'ambito «{ambito}».")
    utenti = list(get_user_model().objects.filter(email__iexact=email))
    if len(utenti) > 1:
        raise ValidationError(
            f"Più utenti hanno l'indirizzo {email}: l'amministratore della piattaforma deve correggerli."
        )
    if (
        utenti
        and Operatore.objects.filter(
            user=utenti[0], ambito=ambito, ruolo=invito.ruolo, ente=invito.ente
        ).exists()
    ):
        raise ValidationError(f"{email} ha già questo ruolo nell'ambito.")
    return Invito(
        invito.ruolo, invito.ente if invito.ruolo in RUOLI_CON_ENTE else None, nome_pulito(invito.nome), email
    )


def _messaggio(esito: EsitoInvito, ambito: Ambito, mittente: str, indirizzo: IndirizzoInvito) -> EmailMessage:
    user = esito.user
    contesto = {
        "user": user,
        "ambito": ambito,
        "operatore": esito.operatore,
        "ruolo": Ruolo(esito.operatore.ruolo).label,
        "mittente": mittente,
        "giorni": giorni_validita(),
        "nuovo": esito.nuovo_utente,
    }
    if esito.nuovo_utente:
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        contesto["collegamento"] = indirizzo(uid, generatore_inviti.make_token(user))
    oggetto = " ".join(render_to_string("ambito/insediamento/email/invito_oggetto.txt", contesto).split())
    testo = render_to_string("ambito/insediamento/email/invito.txt", contesto)
    return EmailMessage(subject=oggetto, body=testo, to=[user.email])


def _invia(messaggi: list[EmailMessage]) -> None:
    def invio() -> None:
        try:
            get_connection().send_messages(messaggi)
        except Exception:  # the memberships are recorded; the ufficio can invite again
            logger.exception("Invio degli inviti non riuscito (%d messaggi)", len(messaggi))

    if messaggi:
        transaction.on_commit(invio)


@transaction.atomic
def invita(
    *,
    ambito: Ambito,
    inviti: Sequence[Invito],
    utente: User,
    indirizzo: IndirizzoInvito,
    invia_email: bool = True,
) -> list[EsitoInvito]:
    """Invite these people to the ambito, all or none; one e-mail each after the commit
    (``invia_email`` False: none, for the demo's people, whose password is known)."""
    errori = []
    controllati = []
    indirizzi: dict[str, int] = {}
    for numero, invito in enumerate(inviti, start=1):
        try:
            controllato = controlla(ambito, invito)
        except ValidationError as errore:
            errori.append(riga(numero, errore.messages[0]) if len(inviti) > 1 else errore.messages[0])
            continue
        if controllato.email.lower() in indirizzi:
            errori.append(
                riga(numero, f"{controllato.email} è già nella riga {indirizzi[controllato.email.lower()]}.")
            )
            continue
        indirizzi[controllato.email.lower()] = numero
        controllati.append(controllato)
    if errori:
        raise DatiNonValidi(errori)
    if not controllati:
        raise OperazioneNonValida("Nessuna persona da invitare.")
    modello_utente = get_user_model()
    esiti = []
    utenti_creati: list[User] = []
    mittente = utente.get_full_name() or utente.get_username()
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva(Operatore.objects.filter(ambito=ambito))
        for invito in controllati:
            user = modello_utente.objects.filter(email__iexact=invito.email).first()
            nuovo = user is None
            if user is None:
                nome, cognome = _nome_e_cognome(invito.nome)
                user = modello_utente(
                    username=_username_libero(invito.email),
                    email=invito.email,
                    first_name=nome,
                    last_name=cognome,
                )
                user.set_unusable_password()
                user.save()
                utenti_creati.append(user)
            operatore = Operatore.objects.create(
                user=user, ambito=ambito, ruolo=invito.ruolo, ente=invito.ente
            )
            esiti.append(EsitoInvito(user=user, operatore=operatore, nuovo_utente=nuovo))
    # The users' own rows (never their password) beside the memberships the history already has.
    registra_modifiche(
        utente=utente,
        origine=ORIGINE,
        modifiche=[
            VoceModifica(
                modello="auth.user",
                oggetto_id=u.pk,
                azione=AzioneModifica.CREAZIONE,
                dopo={c: getattr(u, c) for c in CAMPI_UTENTE},
                descrizione=u.get_username(),
            )
            for u in utenti_creati
        ],
    )
    if invia_email:
        _invia([_messaggio(e, ambito, mittente, indirizzo) for e in esiti])
    return esiti


# -- the list pasted or uploaded: ente, name, e-mail ------------------------------------------

# What the «ente» column may say for the roles that act for no ente.
RUOLI_SENZA_ENTE = {
    "ufficio di piano": Ruolo.UFFICIO_DI_PIANO,
    "ufficio": Ruolo.UFFICIO_DI_PIANO,
    "assemblea": Ruolo.ASSEMBLEA,
    "assemblea dei sindaci": Ruolo.ASSEMBLEA,
}
# The role of a person acting for an ente, by the ente's kind.
RUOLO_PER_TIPO = {TipoEnte.COMUNE: Ruolo.COMUNE, TipoEnte.ALER: Ruolo.ALER, TipoEnte.OPERATORE: Ruolo.COMUNE}


def _indice_enti(ambito: Ambito) -> dict[str, EnteProprietario]:
    indice: dict[str, EnteProprietario] = {}
    enti = list(EnteProprietario.objects.filter(ambito=ambito).select_related("comune"))
    for ente in enti:
        indice[chiave(ente.denominazione)] = ente
        if ente.comune is not None:
            indice.setdefault(chiave(ente.comune.nome), ente)
    aler = [e for e in enti if e.tipo == TipoEnte.ALER]
    if len(aler) == 1:
        indice.setdefault("aler", aler[0])
    return indice


def inviti_da_righe(ambito: Ambito, righe: Sequence[Sequence[str]]) -> list[Invito]:
    """The invitations a pasted or uploaded list (ente, name, e-mail) asks for; ``DatiNonValidi``
    naming each row whose ente is not the ambito's."""
    indice = _indice_enti(ambito)
    inviti, errori = [], []
    for numero, valori in enumerate(righe, start=1):
        if len(valori) < 3:
            errori.append(riga(numero, "servono tre colonne: ente, nome e cognome, e-mail."))
            continue
        voce_ente, nome, email = valori[0], valori[1], valori[2]
        ruolo_senza_ente = RUOLI_SENZA_ENTE.get(chiave(voce_ente))
        if ruolo_senza_ente is not None:
            inviti.append(Invito(ruolo_senza_ente, None, nome, email))
            continue
        ente = indice.get(chiave(voce_ente))
        if ente is None:
            errori.append(riga(numero, f"«{voce_ente}» non è un ente dell'ambito."))
            continue
        inviti.append(Invito(RUOLO_PER_TIPO[TipoEnte(ente.tipo)], ente, nome, email))
    if errori:
        raise DatiNonValidi(errori)
    return inviti


@transaction.atomic
def imposta_email_operatori(*, ambito: Ambito, indirizzi: dict[int, str], utente: User) -> int:
    """Change the addresses of the ambito's operators (by membership id); return how many changed.

    The address is the user's, shared by their memberships in other ambiti: it is where every
    ambito's reminders reach them."""
    operatori = {
        o.pk: o
        for o in Operatore.objects.select_related("user").filter(ambito=ambito, pk__in=list(indirizzi))
    }
    if len(operatori) != len(indirizzi):
        raise OperazioneNonValida("Uno degli operatori indicati non appartiene all'ambito.")
    errori, puliti = [], {}
    User = get_user_model()
    for pk, indirizzo in indirizzi.items():
        try:
            puliti[pk] = indirizzo_valido(indirizzo)
        except ValidationError as errore:
            errori.append(f"{operatori[pk].user.get_full_name() or operatori[pk].user}: {errore.messages[0]}")
            continue
        if User.objects.filter(email__iexact=puliti[pk]).exclude(pk=operatori[pk].user_id).exists():
            errori.append(f"{puliti[pk]} è già l'indirizzo di un altro utente.")
    if errori:
        raise DatiNonValidi(errori)
    voci = []
    for pk, indirizzo in puliti.items():
        user = operatori[pk].user
        if user.email != indirizzo:
            voci.append(
                VoceModifica(
                    modello="auth.user",
                    oggetto_id=user.pk,
                    azione=AzioneModifica.MODIFICA,
                    prima={"email": user.email},
                    dopo={"email": indirizzo},
                    descrizione=user.get_username(),
                )
            )
            user.email = indirizzo
            user.save(update_fields=["email"])
    registra_modifiche(utente=utente, origine=ORIGINE, modifiche=voci)
    return len(voci)


def reinvia(*, operatore: Operatore, utente: User, indirizzo: IndirizzoInvito) -> str:
    """Send the invitation again (a new link) to a person who has not set a password yet; return
    the address written to."""
    if operatore.user.has_usable_password():
        raise OperazioneNonValida(
            f"{operatore.user.get_full_name() or operatore.user} ha già scelto la password: "
            "se l'ha dimenticata, può chiederne una nuova dalla pagina di accesso."
        )
    if operatore.ambito is None:
        raise OperazioneNonValida("L'invito riguarda un ambito.")
    mittente = utente.get_full_name() or utente.get_username()
    esito = EsitoInvito(user=operatore.user, operatore=operatore, nuovo_utente=True)
    _invia([_messaggio(esito, operatore.ambito, mittente, indirizzo)])
    return operatore.user.email


@transaction.atomic
def revoca(*, operatore: Operatore, utente: User) -> None:
    """Remove a membership of the ambito (the person keeps their login and other memberships)."""
    if operatore.user_id == utente.pk:
        raise OperazioneNonValida(
            "Non si può togliere il proprio ruolo: lo faccia un altro utente dell'ufficio."
        )
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.elimina(Operatore.objects.filter(pk=operatore.pk))
