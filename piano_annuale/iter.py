"""The plan's workflow as the pages and the document read it: what happened, and what comes next.

``note_di_chiusura`` is what the Note di chiusura print (ALER's parere with its observations and
the ufficio di piano's answers, the Assemblea's approval); it is also frozen with each version.
``quadro_iter`` is the workflow panel: the steps, the moves the user may make now, and why a move
is not possible yet. The moves themselves are the functions of ``services``.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.utils import timezone

from patrimonio.models import Operatore, Ruolo

from .models import (
    PASSAGGI_IN_AVANTI,
    STATI_RIPORTABILI_IN_BOZZA,
    Approvazione,
    OsservazioneAler,
    ParereAler,
    PassaggioDiStato,
    PianoAnnuale,
    StatoPiano,
    TipoVersione,
    VersionePiano,
)

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from .calcolo import Anomalia


# --------------------------------------------------------------------------------------------
# Note di chiusura
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParereRegistrato:
    data: datetime.date
    esito: str
    esito_descrizione: str
    testo: str
    protocollo: str
    versione: int  # number of the version ALER examined


@dataclass(frozen=True)
class OsservazioneRegistrata:
    versione: int  # number of the version the observation is about
    sezione: str
    sezione_descrizione: str
    testo: str
    scritta_il: datetime.date
    risposta: str
    risposta_il: datetime.date | None


@dataclass(frozen=True)
class ApprovazioneRegistrata:
    data: datetime.date
    verbale: str
    protocollo: str
    luogo: str
    presenti: int | None  # None when the presences were not recorded
    assenti: int | None
    quorum: int | None
    seduta_valida: bool | None


@dataclass(frozen=True)
class NoteChiusura:
    """ALER's parere on the last version sent to it, its pareri on earlier versions, every
    observation with the ufficio di piano's answer, and the approval."""

    parere: ParereRegistrato | None
    osservazioni: tuple[OsservazioneRegistrata, ...]
    approvazione: ApprovazioneRegistrata | None
    pareri_precedenti: tuple[ParereRegistrato, ...] = ()

    @property
    def piu_versioni(self) -> bool:
        """Whether the observations span several versions (the note then says which)."""
        return len({o.versione for o in self.osservazioni}) > 1

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _data_locale(momento: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(momento).date() if momento else None


def ultima_versione_inviata(piano: PianoAnnuale) -> VersionePiano | None:
    """The last version sent to ALER, with its parere if given (one query)."""
    return (
        VersionePiano.objects.filter(piano_id=piano.pk, tipo=TipoVersione.INVIATA_ALER)
        .select_related("parere")
        .order_by("-numero")
        .first()
    )


def note_di_chiusura(piano: PianoAnnuale) -> NoteChiusura:
    """What the Note di chiusura print, read with three queries.

    The parere is the one on the last version sent to ALER (a plan sent again after going back to
    bozza gets a new one); the observations of every version are kept, with their answers.
    """
    pareri = [
        ParereRegistrato(
            data=p.data,
            esito=p.esito,
            esito_descrizione=p.get_esito_display(),
            testo=p.testo.strip(),
            protocollo=p.protocollo,
            versione=p.versione.numero,
        )
        for p in ParereAler.objects.filter(piano_id=piano.pk)
        .select_related("versione")
        .order_by("versione__numero")
    ]
    inviata = ultima_versione_inviata(piano)
    parere = pareri[-1] if pareri and inviata is not None and pareri[-1].versione == inviata.numero else None
    osservazioni = tuple(
        OsservazioneRegistrata(
            versione=o.versione.numero,
            sezione=o.sezione,
            sezione_descrizione=o.get_sezione_display(),
            testo=o.testo.strip(),
            scritta_il=_data_locale(o.creata_il),
            risposta=o.risposta.strip(),
            risposta_il=_data_locale(o.risposta_il),
        )
        for o in OsservazioneAler.objects.filter(piano_id=piano.pk)
        .select_related("versione")
        .order_by("versione__numero", "creata_il", "pk")
    )
    approvazione = None
    registrata = (
        Approvazione.objects.filter(piano_id=piano.pk)
        .annotate(
            presenti=Count("presenze", filter=Q(presenze__presente=True)),
            assenti=Count("presenze", filter=Q(presenze__presente=False)),
        )
        .first()
    )
    if registrata is not None:
        con_presenze = registrata.presenti + registrata.assenti > 0
        approvazione = ApprovazioneRegistrata(
            data=registrata.data_seduta,
            verbale=registrata.numero_verbale,
            protocollo=registrata.protocollo,
            luogo=registrata.luogo,
            presenti=registrata.presenti if con_presenze else None,
            assenti=registrata.assenti if con_presenze else None,
            quorum=registrata.quorum,
            seduta_valida=registrata.seduta_valida,
        )
    return NoteChiusura(
        parere=parere,
        osservazioni=osservazioni,
        approvazione=approvazione,
        pareri_precedenti=tuple(p for p in pareri if p is not parere),
    )


# --------------------------------------------------------------------------------------------
# The workflow panel
# --------------------------------------------------------------------------------------------

PASSI = [
    (StatoPiano.RICOGNIZIONE, "Ricognizione"),
    (StatoPiano.BOZZA, "Bozza"),
    (StatoPiano.INVIATA_ALER, "Parere ALER richiesto"),
    (StatoPiano.PARERE_ESPRESSO, "Parere espresso"),
    (StatoPiano.TRASMESSA_ASSEMBLEA, "All'Assemblea"),
    (StatoPiano.APPROVATA, "Approvato"),
]


@dataclass(frozen=True)
class Passo:
    stato: str
    etichetta: str
    condizione: str  # "fatto", "corrente", "da_fare"


@dataclass(frozen=True)
class Azione:
    """A move the user may make now (``motivo_blocco`` empty) or will be able to make later."""

    codice: str  # chiudi_ricognizione, invia_aler, trasmetti, approva
    etichetta: str
    motivo_blocco: str = ""


@dataclass(frozen=True)
class QuadroIter:
    piano: PianoAnnuale
    passi: tuple[Passo, ...]
    ufficio_di_piano: bool  # may move the plan
    aler: bool  # may write observations and give the parere
    prossima: Azione | None  # the forward move of the ufficio di piano, if any
    riportabile_in_bozza: bool
    ultimi_passaggi: tuple[PassaggioDiStato, ...]
    osservazioni_senza_risposta: int
    parere: Any  # ParereAler of the last version sent, or None
    versione_in_esame: VersionePiano | None  # the last version sent to ALER
    versioni: int
    errori: tuple[Anomalia, ...]

    @property
    def approvato(self) -> bool:
        return self.piano.stato == StatoPiano.APPROVATA


ETICHETTE_AZIONI = {
    StatoPiano.RICOGNIZIONE: ("chiudi_ricognizione", "Chiudi la ricognizione e passa alla bozza"),
    StatoPiano.BOZZA: ("invia_aler", "Invia ad ALER per il parere"),
    StatoPiano.PARERE_ESPRESSO: ("trasmetti", "Trasmetti all'Assemblea dei Sindaci"),
    StatoPiano.TRASMESSA_ASSEMBLEA: ("approva", "Registra l'approvazione dell'Assemblea"),
}


def osservazioni_in_attesa(numero: int) -> str:
    """«3 osservazioni di ALER attendono …», in the singular for one."""
    if numero == 1:
        return "1 osservazione di ALER attende ancora la risposta dell'ufficio di piano"
    return f"{numero} osservazioni di ALER attendono ancora la risposta dell'ufficio di piano"


def e_operatore_aler(user: AbstractBaseUser | AnonymousUser, piano: PianoAnnuale) -> bool:
    """Whether ``user`` acts for ALER in the plan's ambito (superusers too)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Operatore.objects.di(user).con_ruolo(Ruolo.ALER).filter(ambito_id=piano.ambito_id).exists()


def quadro_iter(
    piano: PianoAnnuale,
    user: AbstractBaseUser | AnonymousUser,
    *,
    errori: tuple[Anomalia, ...],
    ufficio_di_piano: bool,
) -> QuadroIter:
    """The panel of the workflow for ``user``, in a fixed number of queries.

    ``errori`` are the blocking anomalies of the computed plan the caller already has.
    """
    indice = [s for s, _ in PASSI].index(piano.stato)
    passi = tuple(
        Passo(stato, etichetta, "fatto" if n < indice else "corrente" if n == indice else "da_fare")
        for n, (stato, etichetta) in enumerate(PASSI)
    )
    inviata = ultima_versione_inviata(piano)
    senza_risposta = OsservazioneAler.objects.filter(piano_id=piano.pk, risposta="").count()
    prossima = None
    if ufficio_di_piano and piano.stato in ETICHETTE_AZIONI:
        codice, etichetta = ETICHETTE_AZIONI[piano.stato]
        motivo = ""
        if codice in ("invia_aler", "approva") and errori:
            motivo = f"Il piano ha {len(errori)} errori di coerenza: vanno corretti prima di " + (
                "inviarlo ad ALER." if codice == "invia_aler" else "registrarne l'approvazione."
            )
        elif codice in ("invia_aler", "trasmetti", "approva") and senza_risposta:
            motivo = f"{osservazioni_in_attesa(senza_risposta)}."
        prossima = Azione(codice, etichetta, motivo)
    return QuadroIter(
        piano=piano,
        passi=passi,
        ufficio_di_piano=ufficio_di_piano,
        aler=piano.stato == StatoPiano.INVIATA_ALER and e_operatore_aler(user, piano),
        prossima=prossima,
        riportabile_in_bozza=ufficio_di_piano and piano.stato in STATI_RIPORTABILI_IN_BOZZA,
        ultimi_passaggi=tuple(
            PassaggioDiStato.objects.filter(piano_id=piano.pk)
            .select_related("utente")
            .order_by("-eseguito_il", "-pk")[:5]
        ),
        osservazioni_senza_risposta=senza_risposta,
        parere=getattr(inviata, "parere", None) if inviata else None,
        versione_in_esame=inviata,
        versioni=VersionePiano.objects.filter(piano_id=piano.pk).count(),
        errori=errori,
    )


def stato_successivo(stato: str) -> str | None:
    return PASSAGGI_IN_AVANTI.get(stato)
