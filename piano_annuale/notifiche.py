"""E-mails of the plan's workflow: each move tells the people concerned.

Who is concerned depends on the move: ALER when the draft is sent for its parere (or taken back),
the ufficio di piano when the parere arrives, the mayors, the comuni and ALER when the plan reaches
the Assemblea and when it is approved. Each address gets its own message (no list of the others'
addresses), sent once the transaction that made the move has committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string

from patrimonio.models import EnteProprietario, Operatore, Ruolo, TipoEnte

from .models import PassaggioDiStato, PianoAnnuale, StatoPiano

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)

TUTTI = (Ruolo.UFFICIO_DI_PIANO, Ruolo.ALER, Ruolo.COMUNE, Ruolo.ASSEMBLEA)
# Who is told of a move to each state.
RUOLI_PER_STATO: dict[str, tuple[str, ...]] = {
    StatoPiano.BOZZA: (Ruolo.UFFICIO_DI_PIANO,),
    StatoPiano.INVIATA_ALER: (Ruolo.ALER, Ruolo.UFFICIO_DI_PIANO),
    StatoPiano.PARERE_ESPRESSO: (Ruolo.UFFICIO_DI_PIANO, Ruolo.ALER),
    StatoPiano.TRASMESSA_ASSEMBLEA: TUTTI,
    StatoPiano.APPROVATA: TUTTI,
}


def ruoli_interessati(passaggio: PassaggioDiStato) -> tuple[str, ...]:
    """The roles a move concerns. Going back to bozza concerns whoever had the plan in hand."""
    if passaggio.e_ritorno:
        return (
            TUTTI
            if passaggio.da == StatoPiano.TRASMESSA_ASSEMBLEA
            else RUOLI_PER_STATO[StatoPiano.INVIATA_ALER]
        )
    return RUOLI_PER_STATO[passaggio.a]


def indirizzi(piano: PianoAnnuale, ruoli: Iterable[str]) -> list[str]:
    """E-mail addresses of the ambito's active operators with one of ``ruoli``, and of ALER's office
    when ALER is concerned; each address once, in a stable order."""
    ruoli = tuple(ruoli)
    trovati: dict[str, str] = {}
    operatori = (
        Operatore.objects.filter(ambito_id=piano.ambito_id, ruolo__in=ruoli, user__is_active=True)
        .exclude(user__email="")
        .order_by("ruolo", "user__email")
        .values_list("user__email", flat=True)
    )
    enti = (
        EnteProprietario.objects.dell_ambito(piano.ambito_id)
        .filter(tipo=TipoEnte.ALER)
        .exclude(email="")
        .values_list("email", flat=True)
        if Ruolo.ALER in ruoli
        else []
    )
    for indirizzo in [*operatori, *enti]:
        trovati.setdefault(indirizzo.strip().lower(), indirizzo.strip())
    return list(trovati.values())


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
    from .services import destinatari_promemoria  # services imports this module

    operatori = (
        Operatore.objects.con_ruolo(Ruolo.COMUNE, Ruolo.ALER)
        .filter(user__is_active=True)
        .select_related("user")
    )
    enti = (
        EnteProprietario.objects.dell_ambito(piano.ambito_id)
        .filter(pk__in=indirizzi_area)
        .prefetch_related(Prefetch("operatori", queryset=operatori))
        .order_by("tipo", "denominazione")
    )
    messaggi: list[EmailMessage] = []
    for ente in enti:
        contesto = {
            "piano": piano,
            "precedente": precedente,
            "ente": ente,
            "indirizzo_area": indirizzi_area[ente.pk],
        }
        oggetto = " ".join(
            render_to_string("piano_annuale/iter/email/nuovo_piano_oggetto.txt", contesto).split()
        )
        testo = render_to_string("piano_annuale/iter/email/nuovo_piano.txt", contesto)
        messaggi += _messaggi(oggetto, testo, destinatari_promemoria(ente))
    _invia(messaggi)
    return len(messaggi)
