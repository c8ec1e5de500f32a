"""Reminders of the ricognizione: an e-mail to every ente of the ambito that has not answered yet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.mail import EmailMessage, get_connection
from django.db.models import Prefetch
from django.template.loader import render_to_string

from patrimonio.accesso import RUOLI_CON_ENTE, operatori_attivi
from patrimonio.models import EnteProprietario
from piano_annuale.models import PianoAnnuale, RispostaRicognizione
from piano_annuale.notifiche import indirizzi_dell_ente


@dataclass(frozen=True)
class EsitoPromemoria:
    enti: tuple[str, ...]  # enti reminded
    indirizzi: int  # e-mail addresses written to
    senza_indirizzo: tuple[str, ...]  # enti without answer and without any address


def invia_promemoria(
    *, piano: PianoAnnuale, indirizzo_area: Callable[[EnteProprietario], str]
) -> EsitoPromemoria:
    """E-mail every ente of the plan's ambito that has not answered a reminder with the deadline.

    ``indirizzo_area(ente)`` is the absolute address of the ente's workspace, put in the message.
    Writes nothing to the database.
    """
    rispondenti = RispostaRicognizione.objects.filter(piano=piano).date().values("ente_id")
    enti = (
        EnteProprietario.objects.dell_ambito(piano.ambito_id)
        .exclude(pk__in=rispondenti)
        .select_related("ambito")
        .prefetch_related(
            Prefetch("operatori", queryset=operatori_attivi(RUOLI_CON_ENTE).select_related("user"))
        )
        .order_by("tipo", "denominazione")
    )
    messaggi, raggiunti, senza_indirizzo = [], [], []
    for ente in enti:
        destinatari = indirizzi_dell_ente(ente)
        if not destinatari:
            senza_indirizzo.append(ente.denominazione)
            continue
        contesto = {"piano": piano, "ente": ente, "indirizzo_area": indirizzo_area(ente)}
        oggetto = " ".join(render_to_string("piano_annuale/email/promemoria_oggetto.txt", contesto).split())
        testo = render_to_string("piano_annuale/email/promemoria.txt", contesto)
        messaggi.append(EmailMessage(subject=oggetto, body=testo, to=destinatari))
        raggiunti.append(ente.denominazione)
    if messaggi:
        get_connection().send_messages(messaggi)
    return EsitoPromemoria(
        enti=tuple(raggiunti),
        indirizzi=sum(len(m.to) for m in messaggi),
        senza_indirizzo=tuple(senza_indirizzo),
    )
