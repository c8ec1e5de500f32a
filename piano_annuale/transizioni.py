"""The plan's workflow as one table: every move, who makes it, its button, whether it needs a reason
and who is told.

ricognizione → bozza → inviata ad ALER → parere espresso → trasmessa all'Assemblea → approvata, and
back to bozza with a reason until approved. Everything that knows about the workflow reads this table:
the services enforce it (``piano_annuale.services.iter``), the database check constraint on
``PassaggioDiStato`` is generated from it (``piano_annuale.models.iter``), the iter panel draws its
steps and buttons from it (``piano_annuale.iter``) and the e-mails pick their recipients from it
(``piano_annuale.notifiche``). Who holds a role in which ambito is the access policy's business
(``patrimonio.accesso``).
"""

from __future__ import annotations

from dataclasses import dataclass

from patrimonio.accesso import Ruolo
from piano_annuale.models.piano import StatoPiano

# Every role of the ambito: the plan's arrival at the Assemblea and its approval concern them all.
TUTTI = (Ruolo.UFFICIO_DI_PIANO, Ruolo.ALER, Ruolo.COMUNE, Ruolo.ASSEMBLEA)


@dataclass(frozen=True)
class Fase:
    """A step of the workflow as the panel shows it."""

    stato: str
    etichetta: str


# The steps in their order: a move to an earlier step is a move back.
FASI: tuple[Fase, ...] = (
    Fase(StatoPiano.RICOGNIZIONE, "Ricognizione"),
    Fase(StatoPiano.BOZZA, "Bozza"),
    Fase(StatoPiano.INVIATA_ALER, "Parere ALER richiesto"),
    Fase(StatoPiano.PARERE_ESPRESSO, "Parere espresso"),
    Fase(StatoPiano.TRASMESSA_ASSEMBLEA, "All'Assemblea"),
    Fase(StatoPiano.APPROVATA, "Approvato"),
)
ORDINE = tuple(f.stato for f in FASI)


@dataclass(frozen=True)
class Transizione:
    """One allowed move of the plan from the state ``da`` to the state ``a``."""

    codice: str  # the move's name, shared by the rows of a move with several starting states
    da: str
    a: str
    ruolo: str  # the role that makes it (in the plan's ambito)
    etichetta: str  # the button's text
    vista: str  # the URL name (and #anchor) where the move is made, given the plan's id
    azione: str  # what the user tries to do, for messages: «Non è possibile {azione}»
    notificati: tuple[str, ...]  # roles told by e-mail once the move is made
    con_motivo: bool = False  # the move needs a reason, kept in the plan's history
    coerenza: bool = False  # refused while the computed plan has consistency errors
    risposte: bool = False  # refused while an observation of ALER waits for its answer
    spiegazione: str = ""  # what the move does, shown beside the button
    pagina: bool = False  # made on a page of its own (a link), not by a button that posts at once
    # Heavy or irreversible: the button leads to a page that says what will happen and asks to confirm.
    conferma: bool = False

    @property
    def ritorno(self) -> bool:
        """Whether the move goes back to an earlier step."""
        return ORDINE.index(self.a) < ORDINE.index(self.da)


def _riporta_in_bozza(da: str, notificati: tuple[str, ...]) -> Transizione:
    return Transizione(
        codice=RIPORTA_IN_BOZZA,
        da=da,
        a=StatoPiano.BOZZA,
        ruolo=Ruolo.UFFICIO_DI_PIANO,
        etichetta="Riporta in bozza",
        vista="piano_annuale:riporta_in_bozza",
        azione="riportarlo in bozza",
        # Going back concerns whoever had the plan in hand.
        notificati=notificati,
        con_motivo=True,
    )


CHIUDI_RICOGNIZIONE = "chiudi_ricognizione"
INVIA_ALER = "invia_aler"
ESPRIMI_PARERE = "esprimi_parere"
TRASMETTI = "trasmetti"
APPROVA = "approva"
RIPORTA_IN_BOZZA = "riporta_in_bozza"

TRANSIZIONI: tuple[Transizione, ...] = (
    Transizione(
        codice=CHIUDI_RICOGNIZIONE,
        da=StatoPiano.RICOGNIZIONE,
        a=StatoPiano.BOZZA,
        ruolo=Ruolo.UFFICIO_DI_PIANO,
        etichetta="Chiudi la ricognizione e passa alla bozza",
        vista="piano_annuale:chiudi_ricognizione",
        azione="chiudere la ricognizione",
        notificati=(Ruolo.UFFICIO_DI_PIANO,),
    ),
    Transizione(
        codice=INVIA_ALER,
        da=StatoPiano.BOZZA,
        a=StatoPiano.INVIATA_ALER,
        ruolo=Ruolo.UFFICIO_DI_PIANO,
        etichetta="Invia ad ALER per il parere",
        vista="piano_annuale:invia_aler",
        azione="inviare il piano ad ALER per il parere",
        notificati=(Ruolo.ALER, Ruolo.UFFICIO_DI_PIANO),
        coerenza=True,
        risposte=True,
        conferma=True,
        spiegazione="L'invio congela la versione attuale del piano (dati in JSON e PDF con filigrana "
        "«BOZZA») e la rende leggibile da ALER, che riceve una e-mail. I dati della ricognizione non sono "
        "più modificabili finché il piano non torna in bozza.",
    ),
    Transizione(
        codice=ESPRIMI_PARERE,
        da=StatoPiano.INVIATA_ALER,
        a=StatoPiano.PARERE_ESPRESSO,
        ruolo=Ruolo.ALER,
        etichetta="Osservazioni e parere di ALER",
        vista="piano_annuale:iter_piano#parere",
        pagina=True,
        azione="esprimere il parere",
        notificati=(Ruolo.UFFICIO_DI_PIANO, Ruolo.ALER),
    ),
    Transizione(
        codice=TRASMETTI,
        da=StatoPiano.PARERE_ESPRESSO,
        a=StatoPiano.TRASMESSA_ASSEMBLEA,
        ruolo=Ruolo.UFFICIO_DI_PIANO,
        etichetta="Trasmetti all'Assemblea dei Sindaci",
        vista="piano_annuale:trasmetti",
        azione="trasmettere il piano all'Assemblea dei Sindaci",
        notificati=TUTTI,
        risposte=True,
        conferma=True,
        spiegazione="Il piano, con il parere di ALER e le risposte alle osservazioni, diventa leggibile "
        "dai comuni e dai componenti dell'Assemblea dei Sindaci, che ricevono una e-mail.",
    ),
    Transizione(
        codice=APPROVA,
        da=StatoPiano.TRASMESSA_ASSEMBLEA,
        a=StatoPiano.APPROVATA,
        ruolo=Ruolo.UFFICIO_DI_PIANO,
        etichetta="Registra l'approvazione dell'Assemblea",
        vista="piano_annuale:approva",
        pagina=True,
        conferma=True,
        azione="registrare l'approvazione del piano",
        notificati=TUTTI,
        coerenza=True,
        risposte=True,
        spiegazione="Si registrano la data della seduta, il numero del verbale e il verbale firmato; il "
        "piano approvato viene congelato come PDF/A-3b.",
    ),
    _riporta_in_bozza(StatoPiano.INVIATA_ALER, (Ruolo.ALER, Ruolo.UFFICIO_DI_PIANO)),
    _riporta_in_bozza(StatoPiano.PARERE_ESPRESSO, (Ruolo.ALER, Ruolo.UFFICIO_DI_PIANO)),
    _riporta_in_bozza(StatoPiano.TRASMESSA_ASSEMBLEA, TUTTI),
)


def transizione(codice: str, da: str) -> Transizione | None:
    """The move ``codice`` from the state ``da``, or None when the table has no such move."""
    return next((t for t in TRANSIZIONI if t.codice == codice and t.da == da), None)


def transizione_tra(da: str, a: str) -> Transizione | None:
    """The move from ``da`` to ``a``, or None when the table does not allow it."""
    return next((t for t in TRANSIZIONI if t.da == da and t.a == a), None)


def uscenti(da: str) -> tuple[Transizione, ...]:
    """The moves that start from the state ``da``, forward first."""
    return tuple(sorted((t for t in TRANSIZIONI if t.da == da), key=lambda t: t.ritorno))


def _righe(codice: str) -> list[Transizione]:
    righe = [t for t in TRANSIZIONI if t.codice == codice]
    if not righe:
        raise KeyError(f"Nessuna mossa «{codice}» nella tabella delle transizioni.")
    return righe


def ruolo_di(codice: str) -> str:
    """The role that makes the move ``codice`` (the same from every state it starts from)."""
    return _righe(codice)[0].ruolo


def azione_di(codice: str) -> str:
    """What the move ``codice`` does, for messages («Non è possibile {azione}»)."""
    return _righe(codice)[0].azione


def stati_di_partenza(codice: str) -> tuple[str, ...]:
    """The states the move ``codice`` starts from."""
    return tuple(t.da for t in TRANSIZIONI if t.codice == codice)
