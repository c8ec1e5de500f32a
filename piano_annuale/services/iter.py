"""The plan's workflow moves: ricognizione → bozza → inviata ad ALER → parere espresso → trasmessa
all'Assemblea → approvata, and back to bozza with a reason until approved; ALER's observations and
the ufficio di piano's answers.

Every move is a row of the workflow's table (``piano_annuale.transizioni``): it says from which state
the move starts, which role makes it (asked of ``patrimonio.accesso``), whether it needs a reason, a
coherent plan or every observation answered, and who is told. Each function is one transaction that
locks the plan's row first, so two users cannot move the same plan at once; it records the move
(``PassaggioDiStato`` and the audit) and tells the people concerned by e-mail after the commit.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ambito.models import Comune
from patrimonio.accesso import ha_ruolo
from piano_annuale.calcolo import Anomalia, calcola_piano
from piano_annuale.iter import osservazioni_in_attesa, ultima_versione_inviata
from piano_annuale.models import (
    PRIMO_GIORNO_POSSIBILE,
    Approvazione,
    EsitoParere,
    OsservazioneAler,
    ParereAler,
    PassaggioDiStato,
    PianoAnnuale,
    PresenzaAssemblea,
    SezionePiano,
    StatoPiano,
    TipoVersione,
    VersionePiano,
)
from piano_annuale.notifiche import notifica_passaggio
from piano_annuale.rendering.versioni import congela_versione
from piano_annuale.services.errori import ModificaNonConsentita, OperazioneNonValida
from piano_annuale.services.verbali import leggi_verbale
from piano_annuale.storico import istantanea, traccia
from piano_annuale.tasks import accoda_pdf_versione
from piano_annuale.transizioni import (
    APPROVA,
    CHIUDI_RICOGNIZIONE,
    ESPRIMI_PARERE,
    INVIA_ALER,
    RIPORTA_IN_BOZZA,
    TRASMETTI,
    Transizione,
    azione_di,
    ruolo_di,
    stati_di_partenza,
    transizione,
)
from piano_annuale.versioni_pdf import congela_senza_pdf, pdf_in_background

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class PianoConErrori(OperazioneNonValida):
    """The plan's consistency checks found errors: the move that needs a coherent plan is refused."""

    def __init__(self, messaggio: str, errori: tuple[Anomalia, ...]) -> None:
        super().__init__(messaggio)
        self.errori = errori


def _blocca_piano(piano: PianoAnnuale) -> PianoAnnuale:
    """The plan's row, locked until the end of the transaction and read afresh."""
    return PianoAnnuale.objects.select_for_update().select_related("ambito").get(pk=piano.pk)


def _rifiuto_di_stato(piano: PianoAnnuale, azione: str) -> OperazioneNonValida:
    return OperazioneNonValida(
        f"Il piano {piano.anno} è nello stato «{piano.get_stato_display()}»: non è possibile {azione}."
    )


def _richiedi_ruolo(piano: PianoAnnuale, utente: User, ruolo: str, *, azione: str) -> None:
    """Refuse a user who does not hold ``ruolo`` in the plan's ambito (``patrimonio.accesso``)."""
    if not ha_ruolo(utente, piano.ambito_id, ruolo):
        raise ModificaNonConsentita(f"Il suo profilo non consente di {azione} per il piano {piano.anno}.")


def _richiedi_coerenza(piano: PianoAnnuale, *, azione: str) -> None:
    """Refuse the move while the computed plan has errors, listing each of them."""
    errori = calcola_piano(piano).errori
    if errori:
        elenco = "\n".join(f"- {a.codice} ({a.sezione}): {a.messaggio}" for a in errori)
        numero = "1 errore di coerenza" if len(errori) == 1 else f"{len(errori)} errori di coerenza"
        raise PianoConErrori(
            f"Non è possibile {azione}: il piano ha {numero}, da correggere prima.\n{elenco}", errori
        )


def _richiedi_risposte(piano: PianoAnnuale, *, azione: str) -> None:
    """ALER's observations must all be answered: the answers go into the next version."""
    senza = OsservazioneAler.objects.filter(piano=piano, risposta="").count()
    if senza:
        raise OperazioneNonValida(f"Non è possibile {azione}: {osservazioni_in_attesa(senza)}.")


def _richiedi_transizione(piano: PianoAnnuale, codice: str, utente: User) -> Transizione:
    """The table's move ``codice`` from the (locked) plan's state, once its conditions hold.

    Refused when the table has no such move from the current state, when the user does not hold the
    move's role, when the move needs every observation answered or a coherent plan and it is not so.
    """
    mossa = transizione(codice, piano.stato)
    if mossa is None:
        raise _rifiuto_di_stato(piano, azione_di(codice))
    _richiedi_ruolo(piano, utente, mossa.ruolo, azione=mossa.azione)
    if mossa.risposte:
        _richiedi_risposte(piano, azione=mossa.azione)
    if mossa.coerenza:
        _richiedi_coerenza(piano, azione=mossa.azione)
    return mossa


def _sposta(piano: PianoAnnuale, mossa: Transizione, *, utente: User, motivo: str = "") -> PassaggioDiStato:
    """Make the move on the (locked) plan and record it in its history and in the audit."""
    if mossa.con_motivo and not motivo:
        raise OperazioneNonValida(f"Indicare il motivo: è necessario per {mossa.azione}.")
    prima = istantanea(piano)
    piano.stato = mossa.a
    piano.save(update_fields=["stato", "aggiornato_il"])
    passaggio = PassaggioDiStato.objects.create(
        piano=piano, da=mossa.da, a=mossa.a, utente=utente, motivo=motivo
    )
    traccia(utente=utente, oggetto=piano, prima=prima, motivo=motivo)
    return passaggio


class _FileScritti:
    """Files written during a transaction, deleted again if the transaction fails.

    The database rolls back by itself; the storage does not.
    """

    def __init__(self) -> None:
        self.file: list[Any] = []

    def __enter__(self) -> _FileScritti:
        return self

    def __exit__(self, tipo: type[BaseException] | None, *_: object) -> None:
        if tipo is not None:
            for file in self.file:
                file.delete(save=False)


def _congela(piano: PianoAnnuale, tipo: str, utente: User, scritti: _FileScritti) -> VersionePiano:
    """Freeze the version inside the move's transaction. With a worker the JSON and its digest are
    frozen here and the PDF is rendered in the background (``piano_annuale.versioni_pdf``); without
    one (demo, tests) the PDF is rendered here too."""
    if pdf_in_background():
        versione, documento = congela_senza_pdf(piano=piano, tipo=tipo, utente=utente)
        accoda_pdf_versione(documento.pk)
        return versione
    versione = congela_versione(piano=piano, tipo=tipo, utente=utente)
    scritti.file.append(versione.pdf)
    return versione


# --------------------------------------------------------------------------------------------------
# The ufficio di piano's moves


@transaction.atomic
def chiudi_ricognizione(*, piano: PianoAnnuale, utente: User, indirizzo_piano: str = "") -> PassaggioDiStato:
    """Close the ricognizione: the plan becomes a draft (its data can still be corrected)."""
    piano = _blocca_piano(piano)
    mossa = _richiedi_transizione(piano, CHIUDI_RICOGNIZIONE, utente)
    passaggio = _sposta(piano, mossa, utente=utente)
    notifica_passaggio(passaggio, indirizzo_piano=indirizzo_piano)
    return passaggio


def _registra_data_effettiva(passaggio: PassaggioDiStato, data: datetime.date | None) -> None:
    """Record the day the move really happened, when it is not the day it is recorded."""
    if data is not None and data != timezone.localdate():
        passaggio.avvenuto_il = data
        passaggio.save(update_fields=["avvenuto_il"])


def _data_del_passaggio(piano: PianoAnnuale, a: str) -> datetime.date | None:
    """The day the plan last reached the state ``a`` (the effective day when recorded)."""
    passaggio = PassaggioDiStato.objects.filter(piano=piano, a=a).order_by("-eseguito_il", "-pk").first()
    return passaggio.data if passaggio else None


def invia_ad_aler(
    *, piano: PianoAnnuale, utente: User, indirizzo_piano: str = "", data: datetime.date | None = None
) -> VersionePiano:
    """Send the draft to ALER for its parere preliminare (R.R. 4/2017 art. 4 c. 4).

    Refused while the plan has consistency errors or unanswered observations of an earlier round.
    Freezes the version ALER reads (JSON and watermarked PDF) and e-mails ALER. ``data`` is the day
    the draft really reached ALER (e.g. by PEC), when it is recorded later.
    """
    if data is not None and not PRIMO_GIORNO_POSSIBILE <= data <= timezone.localdate():
        raise OperazioneNonValida("La data dell'invio ad ALER non può essere successiva a oggi.")
    with _FileScritti() as scritti, transaction.atomic():
        piano = _blocca_piano(piano)
        mossa = _richiedi_transizione(piano, INVIA_ALER, utente)
        passaggio = _sposta(piano, mossa, utente=utente)
        _registra_data_effettiva(passaggio, data)
        versione = _congela(piano, TipoVersione.INVIATA_ALER, utente, scritti)
        notifica_passaggio(passaggio, indirizzo_piano=indirizzo_piano)
        return versione


@transaction.atomic
def riporta_in_bozza(
    *, piano: PianoAnnuale, utente: User, motivo: str, indirizzo_piano: str = ""
) -> PassaggioDiStato:
    """Take the plan back to bozza, e.g. to correct data after ALER's observations. Until approved."""
    motivo = motivo.strip()
    if not motivo:
        raise OperazioneNonValida("Indicare il motivo per cui il piano torna in bozza.")
    piano = _blocca_piano(piano)
    if piano.stato == StatoPiano.APPROVATA:
        raise OperazioneNonValida(
            f"Il piano {piano.anno} è stato approvato dall'Assemblea dei Sindaci: non può tornare in bozza."
        )
    mossa = _richiedi_transizione(piano, RIPORTA_IN_BOZZA, utente)
    passaggio = _sposta(piano, mossa, utente=utente, motivo=motivo)
    notifica_passaggio(passaggio, indirizzo_piano=indirizzo_piano)
    return passaggio


def _data_trasmissione_ammessa(piano: PianoAnnuale, data: datetime.date) -> None:
    """The transmission falls between ALER's parere on the version it read and today."""
    parere = ultima_versione_inviata(piano)
    dal = getattr(getattr(parere, "parere", None), "data", None) or PRIMO_GIORNO_POSSIBILE
    if not dal <= data <= timezone.localdate():
        raise OperazioneNonValida(
            f"La data della trasmissione deve essere compresa tra il {dal:%d/%m/%Y}, data del parere di "
            "ALER, e oggi."
        )


@transaction.atomic
def trasmetti_all_assemblea(
    *, piano: PianoAnnuale, utente: User, indirizzo_piano: str = "", data: datetime.date | None = None
) -> PassaggioDiStato:
    """Send the plan, with ALER's parere and the answers, to the Assemblea dei Sindaci.

    ``data`` is the day the plan was really sent to the mayors, when it is recorded later (not
    before ALER's parere, not after today); the move keeps who recorded it and when."""
    piano = _blocca_piano(piano)
    mossa = _richiedi_transizione(piano, TRASMETTI, utente)
    if data is not None:
        _data_trasmissione_ammessa(piano, data)
    passaggio = _sposta(piano, mossa, utente=utente)
    _registra_data_effettiva(passaggio, data)
    notifica_passaggio(passaggio, indirizzo_piano=indirizzo_piano)
    return passaggio


# --------------------------------------------------------------------------------------------------
# ALER's observations and parere, the ufficio di piano's answers


def _versione_in_esame(piano: PianoAnnuale) -> VersionePiano:
    versione = ultima_versione_inviata(piano)
    if versione is None:  # a plan moved to inviata_aler outside the services (e.g. loaded from a file)
        raise OperazioneNonValida(
            f"Per il piano {piano.anno} non risulta alcuna versione inviata ad ALER: l'ufficio di piano "
            "deve riportarlo in bozza e inviarlo di nuovo."
        )
    return versione


def _richiedi_esame_aler(piano: PianoAnnuale, utente: User, *, azione: str) -> None:
    """Observations are ALER's, written while its parere can still be given (the table's move)."""
    if piano.stato not in stati_di_partenza(ESPRIMI_PARERE):
        raise _rifiuto_di_stato(piano, azione)
    _richiedi_ruolo(piano, utente, ruolo_di(ESPRIMI_PARERE), azione=azione)


@transaction.atomic
def aggiungi_osservazione(*, piano: PianoAnnuale, utente: User, sezione: str, testo: str) -> OsservazioneAler:
    """ALER's observation on one part of the draft it was sent, until it gives its parere."""
    testo = testo.strip()
    if not testo:
        raise OperazioneNonValida("Scrivere il testo dell'osservazione.")
    if sezione not in SezionePiano.values:
        raise OperazioneNonValida("Scegliere la sezione del piano a cui si riferisce l'osservazione.")
    piano = _blocca_piano(piano)
    _richiedi_esame_aler(piano, utente, azione="aggiungere osservazioni")
    osservazione = OsservazioneAler.objects.create(
        piano=piano, versione=_versione_in_esame(piano), sezione=sezione, testo=testo, autore=utente
    )
    traccia(utente=utente, oggetto=osservazione, prima=None)
    return osservazione


@transaction.atomic
def aggiungi_osservazioni(
    *, piano: PianoAnnuale, utente: User, testi: Mapping[str, str]
) -> list[OsservazioneAler]:
    """Several observations of ALER at once, one per section (``testi`` maps a section to its text;
    blank texts are skipped): all written, or none."""
    scritte = {sezione: testo.strip() for sezione, testo in testi.items() if testo.strip()}
    if not scritte:
        raise OperazioneNonValida("Scrivere il testo di almeno un'osservazione.")
    sconosciute = [s for s in scritte if s not in SezionePiano.values]
    if sconosciute:
        raise OperazioneNonValida("Scegliere la sezione del piano a cui si riferisce l'osservazione.")
    piano = _blocca_piano(piano)
    _richiedi_esame_aler(piano, utente, azione="aggiungere osservazioni")
    versione = _versione_in_esame(piano)
    ordine = list(SezionePiano.values)
    osservazioni = []
    for sezione in sorted(scritte, key=ordine.index):
        osservazione = OsservazioneAler.objects.create(
            piano=piano, versione=versione, sezione=sezione, testo=scritte[sezione], autore=utente
        )
        traccia(utente=utente, oggetto=osservazione, prima=None)
        osservazioni.append(osservazione)
    return osservazioni


@transaction.atomic
def elimina_osservazione(*, osservazione: OsservazioneAler, utente: User) -> None:
    """ALER withdraws one of its observations, while the parere is still to be given."""
    piano = _blocca_piano(osservazione.piano)
    _richiedi_esame_aler(piano, utente, azione="ritirare osservazioni")
    prima = istantanea(osservazione)
    OsservazioneAler.objects.filter(pk=osservazione.pk).delete()
    traccia(utente=utente, oggetto=osservazione, prima=prima, eliminato=True)


@transaction.atomic
def rispondi_osservazione(*, osservazione: OsservazioneAler, utente: User, risposta: str) -> OsservazioneAler:
    """The ufficio di piano's answer to an observation (it may be revised until approval)."""
    risposta = risposta.strip()
    if not risposta:
        raise OperazioneNonValida("Scrivere il testo della risposta.")
    piano = _blocca_piano(osservazione.piano)
    if piano.stato == StatoPiano.APPROVATA:
        raise OperazioneNonValida(
            f"Il piano {piano.anno} è approvato: le risposte non sono più modificabili."
        )
    # Who answers is who takes the plan on after the parere (the ufficio di piano).
    _richiedi_ruolo(piano, utente, ruolo_di(TRASMETTI), azione="rispondere alle osservazioni")
    osservazione = OsservazioneAler.objects.select_for_update().get(pk=osservazione.pk)
    prima = istantanea(osservazione)
    osservazione.risposta = risposta
    osservazione.risposta_di = utente
    osservazione.risposta_il = timezone.now()
    osservazione.save(update_fields=["risposta", "risposta_di", "risposta_il"])
    traccia(utente=utente, oggetto=osservazione, prima=prima)
    return osservazione


@transaction.atomic
def esprimi_parere(
    *,
    piano: PianoAnnuale,
    utente: User,
    esito: str,
    testo: str,
    data: datetime.date,
    protocollo: str = "",
    indirizzo_piano: str = "",
) -> ParereAler:
    """ALER's parere on the version it was sent; the plan moves to «parere espresso»."""
    testo = testo.strip()
    if esito not in EsitoParere.values:
        raise OperazioneNonValida("Indicare l'esito del parere.")
    if esito != EsitoParere.FAVOREVOLE and not testo:
        raise OperazioneNonValida(
            f"Un parere «{EsitoParere(esito).label.lower()}» va motivato: scrivere il testo del parere."
        )
    piano = _blocca_piano(piano)
    mossa = _richiedi_transizione(piano, ESPRIMI_PARERE, utente)
    versione = _versione_in_esame(piano)
    # The day the draft reached ALER: the effective day of the sending when recorded, else the
    # day the version was frozen.
    ricevuta_il = (
        _data_del_passaggio(piano, StatoPiano.INVIATA_ALER) or timezone.localtime(versione.creata_il).date()
    )
    if not ricevuta_il <= data <= timezone.localdate():
        raise OperazioneNonValida(
            f"La data del parere deve essere compresa tra il {ricevuta_il:%d/%m/%Y}, giorno dell'invio "
            "della bozza ad ALER, e oggi."
        )
    parere = ParereAler.objects.create(
        piano=piano,
        versione=versione,
        esito=esito,
        testo=testo,
        data=data,
        protocollo=protocollo.strip(),
        espresso_da=utente,
    )
    traccia(utente=utente, oggetto=parere, prima=None)
    passaggio = _sposta(piano, mossa, utente=utente)
    notifica_passaggio(passaggio, indirizzo_piano=indirizzo_piano)
    return parere


# --------------------------------------------------------------------------------------------------
# The Assemblea dei Sindaci's approval


@dataclass(frozen=True)
class Presenza:
    presente: bool
    rappresentante: str = ""


def _data_seduta_ammessa(piano: PianoAnnuale, data_seduta: datetime.date) -> None:
    """The session falls between the plan's transmission to the Assemblea and today."""
    # The day the plan really reached the mayors (recorded as effective), else the day it was recorded.
    dal = _data_del_passaggio(piano, StatoPiano.TRASMESSA_ASSEMBLEA) or PRIMO_GIORNO_POSSIBILE
    if not dal <= data_seduta <= timezone.localdate():
        raise OperazioneNonValida(
            f"La data della seduta deve essere compresa tra il {dal:%d/%m/%Y}, giorno della trasmissione "
            "all'Assemblea, e oggi."
        )


def _validita_seduta(
    piano: PianoAnnuale, presenze: Mapping[int, Presenza], quorum: int | None, seduta_valida: bool | None
) -> bool | None:
    """Whether the session was valid: computed from the presences and the quorum when both are
    given (and then it must agree with ``seduta_valida``), else as the verbale records it. A session
    without quorum cannot approve."""
    comuni = set(Comune.objects.dell_ambito(piano.ambito_id).values_list("pk", flat=True))
    if not set(presenze) <= comuni:
        raise OperazioneNonValida("Le presenze si registrano solo per i comuni dell'ambito.")
    if quorum is not None and presenze:
        presenti = sum(p.presente for p in presenze.values())
        calcolata = presenti >= quorum
        if seduta_valida is not None and seduta_valida != calcolata:
            raise OperazioneNonValida(
                f"Con {presenti} comuni presenti e un quorum di {quorum} "
                f"la seduta {'è' if calcolata else 'non è'} valida, diversamente da quanto indicato."
            )
        seduta_valida = calcolata
    if seduta_valida is False:
        raise OperazioneNonValida(
            "La seduta non era valida (quorum non raggiunto): il piano non può risultare approvato."
        )
    return seduta_valida


def _controlli_approvazione(
    piano: PianoAnnuale,
    utente: User,
    data_seduta: datetime.date,
    presenze: Mapping[int, Presenza],
    quorum: int | None,
    seduta_valida: bool | None,
) -> tuple[Transizione, bool | None]:
    """Every condition of the approval, in the order the user fixes them; the move and the
    session's validity when they all hold."""
    mossa = _richiedi_transizione(piano, APPROVA, utente)
    _data_seduta_ammessa(piano, data_seduta)
    return mossa, _validita_seduta(piano, presenze, quorum, seduta_valida)


def verifica_approvazione(
    *,
    piano: PianoAnnuale,
    utente: User,
    data_seduta: datetime.date,
    presenze: Mapping[int, Presenza] | None = None,
    quorum: int | None = None,
    seduta_valida: bool | None = None,
) -> bool | None:
    """The approval's checks without writing anything, before the user confirms it: raises the
    refusal ``approva_piano`` would raise, else returns the session's validity."""
    piano = PianoAnnuale.objects.select_related("ambito").get(pk=piano.pk)
    return _controlli_approvazione(piano, utente, data_seduta, dict(presenze or {}), quorum, seduta_valida)[1]


def approva_piano(
    *,
    piano: PianoAnnuale,
    utente: User,
    data_seduta: datetime.date,
    numero_verbale: str,
    verbale: Any,
    protocollo: str = "",
    luogo: str = "",
    presenze: Mapping[int, Presenza] | None = None,
    quorum: int | None = None,
    seduta_valida: bool | None = None,
    indirizzo_piano: str = "",
) -> Approvazione:
    """Record the Assemblea dei Sindaci's approval and freeze the approved plan (PDF/A-3b).

    ``verbale`` is the signed verbale (an uploaded PDF). ``presenze`` maps comune ids of the ambito
    to who was present; with ``quorum`` (the comuni the regolamento requires) the session's validity
    is computed, otherwise ``seduta_valida`` is taken as the verbale records it. A session without
    quorum cannot approve. Refused while the plan has consistency errors or unanswered observations.
    """
    numero_verbale = numero_verbale.strip()
    if not numero_verbale:
        raise OperazioneNonValida("Indicare il numero del verbale dell'Assemblea dei Sindaci.")
    contenuto = leggi_verbale(verbale)
    with _FileScritti() as scritti, transaction.atomic():
        piano = _blocca_piano(piano)
        presenze = dict(presenze or {})
        mossa, valida = _controlli_approvazione(piano, utente, data_seduta, presenze, quorum, seduta_valida)
        approvazione = Approvazione(
            piano=piano,
            data_seduta=data_seduta,
            numero_verbale=numero_verbale,
            protocollo=protocollo.strip(),
            luogo=luogo.strip(),
            verbale_sha256=hashlib.sha256(contenuto).hexdigest(),
            quorum=quorum,
            seduta_valida=valida,
            registrata_da=utente,
        )
        nome = (
            f"verbale-assemblea-{piano.anno}-{re.sub(r'[^0-9A-Za-z]+', '-', numero_verbale).strip('-')}.pdf"
        )
        approvazione.verbale.save(nome, ContentFile(contenuto), save=False)
        scritti.file.append(approvazione.verbale)
        approvazione.save(force_insert=True)
        PresenzaAssemblea.objects.bulk_create(
            PresenzaAssemblea(
                approvazione=approvazione,
                comune_id=comune_id,
                presente=p.presente,
                rappresentante=p.rappresentante.strip()[:200],
            )
            for comune_id, p in presenze.items()
        )
        traccia(utente=utente, oggetto=approvazione, prima=None)
        passaggio = _sposta(piano, mossa, utente=utente)
        versione = _congela(piano, TipoVersione.APPROVATA, utente, scritti)
        enti_con_lettera = [
            r["ente"]["denominazione"] for r in versione.dati["ib"]["righe"] if r["unita"] > 0
        ]
        notifica_passaggio(passaggio, indirizzo_piano=indirizzo_piano, lettere=enti_con_lettera)
        return approvazione
