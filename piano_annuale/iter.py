"""The plan's workflow as the pages and the document read it: what happened, and what comes next.

``note_di_chiusura`` is what the Note di chiusura print (ALER's parere with its observations and
the ufficio di piano's answers, the Assemblea's approval); it is also frozen with each version.
``quadro_iter`` is the workflow panel: the steps, the moves the user may make now, and why a move
is not possible yet, drawn from the workflow's table (``transizioni``). The moves themselves are
the functions of ``services.iter``.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from ambito import italiano
from patrimonio.accesso import ha_ruolo, ruoli_nell_ambito

from .calcolo import Anomalia
from .models import (
    Approvazione,
    OsservazioneAler,
    ParereAler,
    PassaggioDiStato,
    PianoAnnuale,
    StatoPiano,
    TipoVersione,
    VersionePiano,
)
from .notifiche import indirizzi
from .transizioni import (
    APPROVA,
    ESPRIMI_PARERE,
    FASI,
    INVIA_ALER,
    ORDINE,
    RIPORTA_IN_BOZZA,
    TRASMETTI,
    Transizione,
    azione_di,
    ruolo_di,
    transizione,
    uscenti,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


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
class PresenzaRegistrata:
    """A comune at the session that approved the plan, as the verbale lists it."""

    comune: str
    presente: bool
    rappresentante: str = ""


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
    comuni: int | None = None  # present + absent: the comuni of the Assemblea the note counts
    presenze: tuple[PresenzaRegistrata, ...] = ()  # the presence list, by comune's name
    trasmesso_il: datetime.date | None = None  # the day the plan really reached the Assemblea


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
    """The last version sent to ALER, with its parere if given (one query; the frozen JSON, which a
    large plan makes megabytes long, is read only if asked for)."""
    return (
        VersionePiano.objects.filter(piano_id=piano.pk, tipo=TipoVersione.INVIATA_ALER)
        .defer("dati_json")
        .select_related("parere")
        .order_by("-numero")
        .first()
    )


def note_di_chiusura(piano: PianoAnnuale) -> NoteChiusura:
    """What the Note di chiusura print, read with three queries (five once approved).

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
            scritta_il=timezone.localtime(o.creata_il).date(),
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
        elenco = tuple(
            PresenzaRegistrata(comune=p.comune.nome, presente=p.presente, rappresentante=p.rappresentante)
            for p in registrata.presenze.select_related("comune").order_by("comune__nome")
        )
        trasmissione = (
            PassaggioDiStato.objects.filter(piano_id=piano.pk, a=StatoPiano.TRASMESSA_ASSEMBLEA)
            .order_by("-eseguito_il", "-pk")
            .first()
        )
        approvazione = ApprovazioneRegistrata(
            data=registrata.data_seduta,
            verbale=registrata.numero_verbale,
            protocollo=registrata.protocollo,
            luogo=registrata.luogo,
            presenti=registrata.presenti if con_presenze else None,
            assenti=registrata.assenti if con_presenze else None,
            quorum=registrata.quorum,
            seduta_valida=registrata.seduta_valida,
            comuni=registrata.presenti + registrata.assenti if con_presenze else None,
            presenze=elenco,
            trasmesso_il=trasmissione.data if trasmissione else None,
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


@dataclass(frozen=True)
class Passo:
    stato: str
    etichetta: str
    condizione: str  # "fatto", "corrente", "da_fare"


@dataclass(frozen=True)
class Azione:
    """A move of the table the user may make now (``motivo_blocco`` empty) or once it is unblocked."""

    codice: str  # the table's code: chiudi_ricognizione, invia_aler, esprimi_parere, trasmetti, approva
    etichetta: str
    url: str  # the page that makes the move (``pagina``), or where its button posts
    pagina: bool
    spiegazione: str = ""
    motivo_blocco: str = ""
    conferma: bool = False  # the button leads to the confirmation page (a link), not a post


@dataclass(frozen=True)
class QuadroIter:
    piano: PianoAnnuale
    passi: tuple[Passo, ...]
    ufficio_di_piano: bool  # follows the plan (answers, history, next year)
    aler: bool  # may write observations and give the parere now
    prossima: Azione | None  # the forward move the user may make from the current state, if any
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


def osservazioni_in_attesa(numero: int) -> str:
    """«3 osservazioni di ALER attendono …», in the singular for one."""
    if numero == 1:
        return "1 osservazione di ALER attende ancora la risposta dell'ufficio di piano"
    return f"{numero} osservazioni di ALER attendono ancora la risposta dell'ufficio di piano"


def _motivo_blocco(mossa: Transizione, errori: tuple[Anomalia, ...], senza_risposta: int) -> str:
    """Why the move cannot be made yet, by the table's conditions; empty when it can."""
    if mossa.coerenza and errori:
        return f"Il piano ha {len(errori)} errori di coerenza: vanno corretti prima di {mossa.azione}."
    if mossa.risposte and senza_risposta:
        return f"{osservazioni_in_attesa(senza_risposta)}."
    return ""


def _azione(piano: PianoAnnuale, mossa: Transizione, motivo_blocco: str) -> Azione:
    nome, _, ancora = mossa.vista.partition("#")
    return Azione(
        codice=mossa.codice,
        etichetta=mossa.etichetta,
        url=reverse(nome, args=[piano.pk]) + (f"#{ancora}" if ancora else ""),
        pagina=mossa.pagina,
        conferma=mossa.conferma,
        spiegazione=mossa.spiegazione,
        motivo_blocco=motivo_blocco,
    )


def quadro_iter(
    piano: PianoAnnuale,
    user: User | AnonymousUser,
    *,
    errori: tuple[Anomalia, ...],
    ufficio_di_piano: bool,
) -> QuadroIter:
    """The panel of the workflow for ``user``, in a fixed number of queries.

    The steps and the moves come from the workflow's table (``transizioni``), the user's roles in
    the ambito from the access policy; ``errori`` are the blocking anomalies of the computed plan
    the caller already has, ``ufficio_di_piano`` whether the user follows the plan (the caller asked
    ``PianoAnnuale.objects.dell_ufficio_di_piano``).
    """
    indice = ORDINE.index(piano.stato)
    passi = tuple(
        Passo(f.stato, f.etichetta, "fatto" if n < indice else "corrente" if n == indice else "da_fare")
        for n, f in enumerate(FASI)
    )
    inviata = ultima_versione_inviata(piano)
    senza_risposta = OsservazioneAler.objects.filter(piano_id=piano.pk, risposta="").count()
    ruoli = ruoli_nell_ambito(user, piano.ambito_id)
    mosse = [t for t in uscenti(piano.stato) if t.ruolo in ruoli]
    avanti = next((t for t in mosse if not t.ritorno), None)
    return QuadroIter(
        piano=piano,
        passi=passi,
        ufficio_di_piano=ufficio_di_piano,
        aler=any(t.codice == ESPRIMI_PARERE for t in mosse),
        prossima=_azione(piano, avanti, _motivo_blocco(avanti, errori, senza_risposta)) if avanti else None,
        riportabile_in_bozza=any(t.codice == RIPORTA_IN_BOZZA for t in mosse),
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


def puo_esprimere_il_parere(user: User | AnonymousUser, piano: PianoAnnuale) -> bool:
    """Whether ``user`` holds, in the plan's ambito, the role that writes ALER's observations and parere."""
    return ha_ruolo(user, piano.ambito_id, ruolo_di(ESPRIMI_PARERE))


def data_estesa(data: datetime.date) -> str:
    """«14 febbraio 2025», «1° dicembre 2026»: the first of the month as Italians write it
    (``ambito.italiano``, the one way dates are written)."""
    return italiano.data_estesa(data)


# --------------------------------------------------------------------------------------------
# Confirmations: what a heavy or irreversible step will do, said before it is made
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conferma:
    """The confirmation of a step: what it will do, the button that makes it, or why it cannot be
    made now (then the page shows no button)."""

    titolo: str
    pulsante: str
    conseguenze: tuple[str, ...]
    in_corso: str  # the button's text while the request runs
    motivo_blocco: str = ""


def _destinatari(piano: PianoAnnuale, ruoli: tuple[str, ...], chi: str) -> str:
    numero = len(indirizzi(piano, ruoli))
    if not numero:
        return f"Nessuna e-mail sarà inviata: {chi} non ha indirizzi registrati."
    return ngettext(
        "%(n)d persona (%(chi)s) riceverà una e-mail.",
        "%(n)d persone (%(chi)s) riceveranno una e-mail.",
        numero,
    ) % {"n": numero, "chi": chi}


def conferma_mossa(piano: PianoAnnuale, codice: str, errori: tuple[Anomalia, ...]) -> Conferma:
    """The confirmation of the table's move ``codice`` from the plan's state: «Invia ad ALER»,
    «Trasmetti», «Registra l'approvazione»."""
    mossa = transizione(codice, piano.stato)
    if mossa is None:
        return Conferma(
            titolo=f"Il piano {piano.anno} è nello stato «{piano.get_stato_display()}»",
            pulsante="",
            conseguenze=(),
            in_corso="",
            motivo_blocco=f"Non è possibile {azione_di(codice)} da questo stato.",
        )
    senza_risposta = OsservazioneAler.objects.filter(piano_id=piano.pk, risposta="").count()
    blocco = _motivo_blocco(mossa, errori, senza_risposta)
    numero = VersionePiano.objects.filter(piano_id=piano.pk).count() + 1
    if codice == INVIA_ALER:
        conseguenze: tuple[str, ...] = (
            f"Sarà congelata la versione n. {numero} del piano: i dati calcolati (JSON) e il PDF con la "
            "filigrana «BOZZA», con la loro impronta SHA-256. Il PDF si prepara in pochi secondi e se ne "
            "vede l'avanzamento.",
            "ALER potrà leggere la bozza, scrivere le sue osservazioni accanto a ciascuna sezione ed "
            "esprimere il parere preliminare (art. 4, comma 4, R.R. 4/2017).",
            "I dati della ricognizione non saranno più modificabili, né dall'ufficio di piano né dagli "
            "enti, finché il piano non torna in bozza.",
            _destinatari(piano, mossa.notificati, "ALER e l'ufficio di piano"),
        )
        return Conferma(
            "Inviare il piano ad ALER per il parere?",
            "Conferma l'invio ad ALER",
            conseguenze,
            "Invio in corso…",
            blocco,
        )
    if codice == TRASMETTI:
        risposte = OsservazioneAler.objects.filter(piano_id=piano.pk).exclude(risposta="").count()
        conseguenze = (
            "Il piano, con il parere di ALER e "
            + ngettext("la risposta a %(n)d osservazione", "le risposte a %(n)d osservazioni", risposte)
            % {"n": risposte}
            + ", diventa leggibile dai comuni e dai componenti dell'Assemblea dei Sindaci.",
            "I dati del piano restano quelli della versione esaminata da ALER: per cambiarli il piano "
            "deve tornare in bozza e passare di nuovo dal parere di ALER.",
            _destinatari(piano, mossa.notificati, "comuni, ALER, Assemblea e ufficio di piano"),
        )
        return Conferma(
            "Trasmettere il piano all'Assemblea dei Sindaci?",
            "Conferma la trasmissione",
            conseguenze,
            "Trasmissione in corso…",
            blocco,
        )
    if codice == APPROVA:
        conseguenze = (
            f"Il piano {piano.anno} risulterà approvato: l'approvazione, le presenze e il piano approvato "
            "non potranno più essere modificati né eliminati.",
            f"Sarà congelata la versione definitiva n. {numero} (PDF/A-3b con i dati allegati in JSON e "
            "CSV): il PDF si prepara in pochi secondi e se ne vede l'avanzamento.",
            "Saranno disponibili le lettere alla Prefettura degli enti con unità riservate alle Forze di "
            "Polizia.",
            _destinatari(piano, mossa.notificati, "comuni, ALER, Assemblea e ufficio di piano"),
        )
        return Conferma(
            "Registrare l'approvazione del piano?",
            "Conferma l'approvazione",
            conseguenze,
            "Registrazione in corso…",
            blocco,
        )
    raise KeyError(f"Nessuna conferma per la mossa «{codice}».")


def conferma_nuovo_anno(piano: PianoAnnuale, enti: int) -> Conferma:
    """The confirmation of «Nuovo piano per l'anno N+1»."""
    successivo = piano.anno + 1
    return Conferma(
        titolo=f"Creare il piano {successivo}?",
        pulsante=f"Conferma: crea il piano {successivo}",
        conseguenze=(
            f"Sarà creato il piano {successivo} nello stato «Ricognizione», con le regole in vigore al "
            f"1° gennaio {successivo}.",
            f"Il nuovo piano riprende dal piano {piano.anno} lo stato di ciascuna unità (da confermare da "
            "parte di ogni ente), i testi, le scelte degli enti e le consistenze dichiarate.",
            ngettext(
                "%(n)d ente riceverà una e-mail con la richiesta di confermare i propri dati.",
                "%(n)d enti riceveranno una e-mail con la richiesta di confermare i propri dati.",
                enti,
            )
            % {"n": enti},
            "Il piano si crea una sola volta per anno: non si può annullare dall'applicazione.",
        ),
        in_corso="Creazione in corso…",
    )
