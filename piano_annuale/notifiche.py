"""E-mails of the plan's workflow: each move tells the people concerned.

Who is concerned depends on the move, as the workflow's table says (``transizioni``: ALER when the
draft is sent for its parere or taken back, the ufficio di piano when the parere arrives, every role
when the plan reaches the Assemblea and when it is approved); who holds those roles, and which
offices are written to beside them, is the access policy's answer (``patrimonio.accesso``). Each
address gets its own message (no list of the others' addresses), sent once the transaction that made
the move has committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string

from patrimonio.accesso import RUOLI_CON_ENTE, operatori_attivi, q_enti_notificati
from patrimonio.models import EnteProprietario

from .models import PassaggioDiStato, PianoAnnuale
from .transizioni import transizione_tra

logger = logging.getLogger(__name__)


def ruoli_interessati(passaggio: PassaggioDiStato) -> tuple[str, ...]:
    """The roles a move concerns, as the workflow's table says (``transizioni``)."""
    transizione = transizione_tra(passaggio.da, passaggio.a)
    return transizione.notificati if transizione is not None else ()


def indirizzi(piano: PianoAnnuale, ruoli: Iterable[str]) -> list[str]:
    """E-mail addresses of the ambito's active operators with one of ``ruoli``, and of the offices the
    access policy adds for them (ALER's); each address once, in a stable order."""
    ruoli = tuple(ruoli)
    trovati: dict[str, str] = {}
    operatori = (
        operatori_attivi(ruoli, piano.ambito_id)
        .exclude(user__email="")
        .order_by("ruolo", "user__email")
        .values_list("user__email", flat=True)
    )
    enti = (
        EnteProprietario.objects.dell_ambito(piano.ambito_id)
        .filter(q_enti_notificati(ruoli))
        .exclude(email="")
        .values_list("email", flat=True)
    )
    for indirizzo in [*operatori, *enti]:
        trovati.setdefault(indirizzo.strip().lower(), indirizzo.strip())
    return list(trovati.values())


def indirizzi_dell_ente(ente: EnteProprietario) -> list[str]:
    """The ente's address and its active operators' addresses, without repetitions.

    Expects ``ente.operatori`` prefetched with the active operators (``operatori_attivi``) and users.
    """
    indirizzi: dict[str, str] = {}
    for indirizzo in [ente.email, *(o.user.email for o in ente.operatori.all())]:
        if indirizzo:
            indirizzi.setdefault(indirizzo.strip().lower(), indirizzo.strip())
    return list(indirizzi.values())


def _messaggi(oggetto: str, testo: str, destinatari: Sequence[str]) -> list[EmailMessage]:
    return [EmailMessage(subject=oggetto, body=testo, to=[indirizzo]) for indirizzo in destinatari]


def _invia(messaggi: list[EmailMessage]) -> None:
    """Send after the move is committed; a mail server down must not undo a recorded move."""

    def invio() -> None:
        try:
            get_connection().send_messages(messaggi)
        except Exception:  # the move is recorded: log the failure for the operators, do not raise
            logger.exception("Invio delle notifiche dell'iter non riuscito (%d messaggi)", len(messaggi))

    if messaggi:
        transaction.on_commit(invio)


def notifica_passaggio(
    passaggio: PassaggioDiStato, *, indirizzo_piano: str = "", lettere: Sequence[str] = ()
) -> list[str]:
    """E-mail the people concerned by a move of the plan; return the addresses written to.

    ``indirizzo_piano`` is the plan page's absolute address; ``lettere`` names the enti that have a
    letter to the Prefettura to send (at approval).
    """
    piano = passaggio.piano
    destinatari = indirizzi(piano, ruoli_interessati(passaggio))
    contesto = {
        "piano": piano,
        "passaggio": passaggio,
        "ritorno": passaggio.e_ritorno,
        "indirizzo_piano": indirizzo_piano,
        "lettere": lettere,
        "chi": passaggio.utente.get_full_name() or passaggio.utente.get_username(),
    }
    oggetto = " ".join(render_to_string("piano_annuale/iter/email/passaggio_oggetto.txt", contesto).split())
    testo = render_to_string("piano_annuale/iter/email/passaggio.txt", contesto)
    _invia(_messaggi(oggetto, testo, destinatari))
    return destinatari


def notifica_nuovo_piano(
    *, piano: PianoAnnuale, precedente: PianoAnnuale, indirizzi_area: dict[int, str]
) -> int:
    """Ask every ente of the ambito with states carried over to confirm them; return the messages.

    ``indirizzi_area`` maps each ente's id to the absolute address of its workspace in the new plan.
    """
    operatori = operatori_attivi(RUOLI_CON_ENTE).select_related("user")
    enti = (
        EnteProprietario.objects.dell_ambito(piano.ambito_id)
        .filter(pk__in=indirizzi_area)
        .prefetch_related(Prefetch("operatori", queryset=operatori))
        .order_by("tipo", "denominazione")
    )
    messaggi: list[EmailMessage] = []
    novita = piano.regole_applicate().valori.novita_rispetto_a(precedente.regole_applicate().valori)
    for ente in enti:
        contesto = {
            "piano": piano,
            "precedente": precedente,
            "ente": ente,
            "indirizzo_area": indirizzi_area[ente.pk],
            "novita": novita,
        }
        oggetto = " ".join(
            render_to_string("piano_annuale/iter/email/nuovo_piano_oggetto.txt", contesto).split()
        )
        testo = render_to_string("piano_annuale/iter/email/nuovo_piano.txt", contesto)
        messaggi += _messaggi(oggetto, testo, indirizzi_dell_ente(ente))
    _invia(messaggi)
    return len(messaggi)
