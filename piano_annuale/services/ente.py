"""What an ente declares for a plan's ricognizione, each write in one transaction.

Every write first calls ``apri_modifica``, whose gate ``blocca_per_scrittura`` locks the plan's row as
the workflow's transitions do and checks, under that lock, that the plan is open and the ente's answer
not sent (so no write commits after «Invia ad ALER» froze the version), and ends with ``registra_modifica`` (who changed the ente's data, when); each changed
row is also recorded in the audit (``piano_annuale.storico``: before and after). The views decide
*who* may call these functions (``visibili_a`` / ``modificabili_da``, i.e. ``patrimonio.accesso``);
these functions decide *when*: only while the plan is open and the ente's answer has not been given.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from ambito.italiano import con_preposizione, data_estesa
from ambito.models import Comune
from patrimonio.models import EnteProprietario, UnitaAbitativa
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    PianoAnnuale,
    PianoQuerySet,
    RispostaRicognizione,
    ScelteEnte,
    StatoRisposta,
    StatoUnita,
    TurnoverPrevisto,
)
from piano_annuale.services.errori import ModificaNonConsentita, OperazioneNonValida
from piano_annuale.services.versioni import perimetro_dell_ente, perimetro_unita, verifica_versione
from piano_annuale.storico import VoceModifica, istantanea, registra_modifiche, traccia

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# --------------------------------------------------------------------------------------------------
# When the ente's data may change


def _quando(momento: datetime.datetime | None) -> str:
    if momento is None:
        return "—"
    locale = timezone.localtime(momento)
    return f"{data_estesa(locale)} alle {locale:%H:%M}"


def motivo_blocco(*, piano: PianoAnnuale, risposta: RispostaRicognizione | None) -> str:
    """Why the ente's data cannot change now, in Italian; empty when it can.

    The plan must still be in the ricognizione (or a draft), and the ente's answer must not have
    been given ("inviata" or "nulla da dichiarare") unless the ufficio di piano reopened it.
    """
    if piano.stato not in PianoQuerySet.STATI_MODIFICABILI:
        return (
            f"Il piano {piano.anno} è nello stato «{piano.get_stato_display()}»: i dati della ricognizione "
            "non sono più modificabili."
        )
    if risposta is not None and risposta.ha_risposto:
        return (
            f"La risposta {con_preposizione(risposta.ente, 'di')} è stata inviata il {_quando(risposta.inviata_il)} "
            f"(«{risposta.get_stato_display()}»): i dati sono bloccati. Per modificarli occorre che "
            "l'ufficio di piano riapra la risposta."
        )
    return ""


def blocca_per_scrittura(piano_id: int, ente_id: int) -> PianoAnnuale:
    """The gate of every write of an ente's data: lock the plan's row, then check it may change.

    Call it first inside the write's ``transaction.atomic``. It takes ``select_for_update`` on the
    plan's row, the lock the workflow's transitions take (``services.iter``), and reads the plan's
    state and the ente's answer afresh under it: a write that holds the lock before «Invia ad ALER»
    commits before the freeze reads the data (so it is in the frozen version); one that waits for
    the lock reads the new state and is refused with ``ModificaNonConsentita``. Never a commit after
    the freeze. Returns the locked plan.
    """
    return _blocca(piano_id, ente_id)[0]


def _blocca(piano_id: int, ente_id: int) -> tuple[PianoAnnuale, RispostaRicognizione | None]:
    """The gate; also returns the ente's answer, locked (None if the ente has not started one)."""
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction the lock would end with the statement that takes it.
        raise TransactionManagementError("blocca_per_scrittura va chiamata dentro transaction.atomic.")
    piano = PianoAnnuale.objects.select_for_update().select_related("ambito").get(pk=piano_id)
    risposta = (
        RispostaRicognizione.objects.select_for_update()
        .select_related("ente")
        .filter(piano_id=piano_id, ente_id=ente_id)
        .first()
    )
    if motivo := motivo_blocco(piano=piano, risposta=risposta):
        raise ModificaNonConsentita(motivo)
    return piano, risposta


def apri_modifica(*, piano: PianoAnnuale, ente: EnteProprietario) -> RispostaRicognizione:
    """Pass the gate (``blocca_per_scrittura``) and return the ente's answer, locked.

    Call inside ``transaction.atomic``. Raises ``ModificaNonConsentita`` (see ``motivo_blocco``): the
    data of an ente that answered stays locked until the ufficio di piano reopens it, and nothing
    changes once the plan has left the ricognizione (or the draft).
    """
    if ente.ambito_id != piano.ambito_id:
        raise ModificaNonConsentita(f"{ente} non fa parte dell'ambito del piano {piano.anno}.")
    _, risposta = _blocca(piano.pk, ente.pk)
    if risposta is None:
        # Created under the plan's lock: no other write of the ente can create it meanwhile.
        risposta = RispostaRicognizione.objects.create(piano_id=piano.pk, ente=ente)
    return risposta


def registra_modifica(*, risposta: RispostaRicognizione, utente: User | None) -> None:
    """Record who changed the ente's data and when; the first change starts the answer."""
    if risposta.stato == StatoRisposta.NESSUNA:
        risposta.stato = StatoRisposta.IN_CORSO
    risposta.aggiornata_il = timezone.now()
    risposta.aggiornata_da = utente
    risposta.save(update_fields=["stato", "aggiornata_il", "aggiornata_da"])


def sostituisci_conteggi(
    *,
    modello: type[TurnoverPrevisto] | type[DestinazioneSAT],
    piano: PianoAnnuale,
    ente: EnteProprietario,
    numeri: Mapping[int, int],
    utente: User | None = None,
) -> None:
    """Make the ente's per-comune counts of ``modello`` in the plan exactly ``numeri``
    (comune id → count ≥ 1): rows of comuni not listed are deleted. Every change is audited."""
    comuni_validi = Comune.objects.dell_ambito(piano.ambito_id).filter(pk__in=numeri).in_bulk()
    if set(comuni_validi) != set(numeri):
        raise OperazioneNonValida("Si possono indicare solo comuni dell'ambito del piano.")
    righe = modello.objects.filter(piano=piano, ente=ente).select_related("ente", "comune")
    esistenti = {r.comune_id: r for r in righe}
    voci = [VoceModifica.eliminazione(r, ente=ente.pk) for c, r in esistenti.items() if c not in numeri]
    modello.objects.filter(piano=piano, ente=ente).exclude(comune_id__in=numeri).delete()
    for comune_id, numero in numeri.items():
        riga = esistenti.get(comune_id)
        if riga is None:
            riga = modello.objects.create(
                piano=piano, ente=ente, comune=comuni_validi[comune_id], numero=numero
            )
            voci.append(VoceModifica.creazione(riga))
        elif riga.numero != numero:
            prima = istantanea(riga)
            riga.numero = numero
            riga.save(update_fields=["numero"])
            voci.append(VoceModifica.modifica(riga, prima))
    registra_modifiche(utente=utente, origine="", modifiche=voci)


def salva_riga_dell_ente(
    *,
    modello: type[models.Model],
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: User | None,
    valori: Mapping[str, Any],
    chiave: Mapping[str, Any] | None = None,
) -> Any:
    """Create or update the ente's one row of ``modello`` in the plan and trace the change
    (``chiave``: more fields that pick the row, e.g. ``{"comune": None}`` for the ente's total).

    The caller holds the answer open (``apri_modifica``) and records the change on it."""
    chiave = dict(chiave or {})
    esistente = modello._default_manager.filter(piano=piano, ente=ente, **chiave).first()
    prima = istantanea(esistente) if esistente else None
    riga, _ = modello._default_manager.update_or_create(
        piano=piano, ente=ente, **chiave, defaults=dict(valori)
    )
    traccia(utente=utente, oggetto=riga, prima=prima)
    return riga


@transaction.atomic
def salva_scelte(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: User | None,
    valori: Mapping[str, Any],
    versione: str | None = None,
) -> ScelteEnte:
    """The ente's choices h, i, i.b or d bis, c bis, from the workspace's form or a spreadsheet's
    «Scelte» sheet (``utente`` None: an upload from the command line). ``versione``: the form's,
    refused with ``ModificaConcorrente`` if the choices changed since it was loaded."""
    risposta = apri_modifica(piano=piano, ente=ente)
    verifica_versione(perimetro_dell_ente(ScelteEnte, piano.pk, ente.pk, per_aggiornare=True), versione)
    scelte = salva_riga_dell_ente(modello=ScelteEnte, piano=piano, ente=ente, utente=utente, valori=valori)
    registra_modifica(risposta=risposta, utente=utente)
    return scelte


@transaction.atomic
def salva_sat(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: User,
    numeri: Mapping[int, int],
    versione: str | None = None,
) -> None:
    """Units the ente destines to servizi abitativi transitori, per comune (section j).
    ``versione``: the table's, refused if the counts changed since it was loaded."""
    risposta = apri_modifica(piano=piano, ente=ente)
    verifica_versione(perimetro_dell_ente(DestinazioneSAT, piano.pk, ente.pk, per_aggiornare=True), versione)
    sostituisci_conteggi(modello=DestinazioneSAT, piano=piano, ente=ente, numeri=numeri, utente=utente)
    registra_modifica(risposta=risposta, utente=utente)


@transaction.atomic
def salva_assegnazioni(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: User,
    valori: Mapping[str, int],
    versione: str | None = None,
) -> AssegnazioniAnnoPrecedente:
    """SAP units the ente assigned in the year before the plan (section k); ``versione`` as for the choices."""
    risposta = apri_modifica(piano=piano, ente=ente)
    verifica_versione(
        perimetro_dell_ente(AssegnazioniAnnoPrecedente, piano.pk, ente.pk, per_aggiornare=True), versione
    )
    assegnazioni = salva_riga_dell_ente(
        modello=AssegnazioniAnnoPrecedente, piano=piano, ente=ente, utente=utente, valori=valori
    )
    registra_modifica(risposta=risposta, utente=utente)
    return assegnazioni


# --------------------------------------------------------------------------------------------------
# Units and their state in the plan, turnover, consistenza


def _verifica_unita(unita: UnitaAbitativa, ente: EnteProprietario) -> None:
    if unita.pk is not None and unita.ente_id != ente.pk:
        raise ModificaNonConsentita(f"L'unità non appartiene {con_preposizione(ente, 'a')}.")


@transaction.atomic
def salva_unita(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: User,
    valori_unita: Mapping[str, Any],
    valori_stato: Mapping[str, Any] | None,
    unita: UnitaAbitativa | None = None,
    versione: str | None = None,
) -> UnitaAbitativa:
    """Create (``unita`` None) or change a unit of ``ente`` and its state in ``piano``.

    ``valori_stato`` None means the unit is not available in the year: its state in this plan is
    removed and the unit stays in the ente's registry. Saving a state carried over from last year's
    plan confirms it. ``versione``: the form's, refused with ``ModificaConcorrente`` if the unit or
    its state changed since the form was loaded.
    """
    risposta = apri_modifica(piano=piano, ente=ente)
    unita = unita if unita is not None else UnitaAbitativa()
    _verifica_unita(unita, ente)
    if unita.pk is not None:
        verifica_versione(perimetro_unita(piano.pk, unita.pk, per_aggiornare=True), versione)
    prima_unita = istantanea(UnitaAbitativa.objects.get(pk=unita.pk)) if unita.pk else None
    for campo, valore in valori_unita.items():
        setattr(unita, campo, valore)
    unita.ente = ente  # a form never moves a unit to another ente
    if not Comune.objects.filter(pk=unita.comune_id, ambito_id=piano.ambito_id).exists():
        raise OperazioneNonValida("Il comune dell'unità deve far parte dell'ambito del piano.")
    unita.save()
    traccia(utente=utente, oggetto=unita, prima=prima_unita, piano=piano.pk)
    stato = StatoUnita.objects.filter(piano=piano, unita=unita).first()
    prima_stato = istantanea(stato) if stato else None
    if valori_stato:
        stato, _ = StatoUnita.objects.update_or_create(
            piano=piano, unita=unita, defaults={**valori_stato, "da_confermare": False}
        )
        traccia(utente=utente, oggetto=stato, prima=prima_stato, ente=ente.pk)
    elif stato is not None:
        StatoUnita.objects.filter(pk=stato.pk).delete()  # the instance keeps its id for the audit
        traccia(utente=utente, oggetto=stato, prima=prima_stato, eliminato=True, ente=ente.pk)
    registra_modifica(risposta=risposta, utente=utente)
    return unita


@transaction.atomic
def elimina_unita(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: User,
    unita: UnitaAbitativa,
    versione: str | None = None,
) -> bool:
    """Remove the unit from the plan; delete it from the registry too unless another plan uses it.

    Returns True when the unit was deleted from the registry. A unit that other plans (e.g. last
    year's, already approved) still count is kept there, so those plans do not change.
    """
    risposta = apri_modifica(piano=piano, ente=ente)
    _verifica_unita(unita, ente)
    # A unit changed since the confirmation page was shown is not deleted blindly.
    verifica_versione(perimetro_unita(piano.pk, unita.pk, per_aggiornare=True), versione)
    # Deleted through querysets: the instances keep their ids, which the audit records.
    for stato in StatoUnita.objects.filter(piano=piano, unita=unita).select_related("unita__comune"):
        prima = istantanea(stato)
        StatoUnita.objects.filter(pk=stato.pk).delete()
        traccia(utente=utente, oggetto=stato, prima=prima, eliminato=True, ente=ente.pk)
    cancellata = not StatoUnita.objects.filter(unita=unita).exists()
    if cancellata:
        prima = istantanea(unita)
        UnitaAbitativa.objects.filter(pk=unita.pk).delete()
        traccia(utente=utente, oggetto=unita, prima=prima, eliminato=True, piano=piano.pk)
    registra_modifica(risposta=risposta, utente=utente)
    return cancellata


@transaction.atomic
def salva_turnover(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: User,
    numeri: Mapping[int, int],
    versione: str | None = None,
) -> None:
    """Units the ente expects to free up by turnover, per comune (a count, section e).
    ``versione``: the table's, refused if the counts changed since it was loaded."""
    risposta = apri_modifica(piano=piano, ente=ente)
    verifica_versione(perimetro_dell_ente(TurnoverPrevisto, piano.pk, ente.pk, per_aggiornare=True), versione)
    sostituisci_conteggi(modello=TurnoverPrevisto, piano=piano, ente=ente, numeri=numeri, utente=utente)
    registra_modifica(risposta=risposta, utente=utente)


@transaction.atomic
def salva_consistenza(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: User,
    valori: Mapping[str, Any],
    versione: str | None = None,
) -> ConsistenzaDichiarata:
    """The consistenza of the ente's patrimonio (section a): SAP and SAS, or neither (not communicated);
    ``versione`` as for the choices."""
    risposta = apri_modifica(piano=piano, ente=ente)
    verifica_versione(
        perimetro_dell_ente(ConsistenzaDichiarata, piano.pk, ente.pk, per_aggiornare=True), versione
    )
    consistenza = salva_riga_dell_ente(
        modello=ConsistenzaDichiarata,
        piano=piano,
        ente=ente,
        utente=utente,
        valori=valori,
        chiave={"comune": None},
    )
    registra_modifica(risposta=risposta, utente=utente)
    return consistenza


@transaction.atomic
def conferma_stati(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: User,
    unita: Collection[int] | None = None,
) -> int:
    """The ente confirms the states carried over from last year: the listed units, or all of them.

    Returns how many states were confirmed. Like every write of the ente's data, refused once the
    ente has answered or the plan has left the ricognizione.
    """
    risposta = apri_modifica(piano=piano, ente=ente)
    da_confermare = StatoUnita.objects.del_piano(piano).filter(unita__ente=ente, da_confermare=True)
    if unita is not None:
        da_confermare = da_confermare.filter(unita_id__in=list(unita))
    stati = list(da_confermare.select_related("unita__comune").order_by("pk"))
    if not stati:
        return 0
    voci = []
    for s in stati:
        prima = istantanea(s)
        s.da_confermare = False
        voci.append(VoceModifica.modifica(s, prima, ente=ente.pk))
    StatoUnita.objects.filter(pk__in=[s.pk for s in stati]).update(da_confermare=False)
    registra_modifiche(utente=utente, origine="conferma dello stato", modifiche=voci)
    registra_modifica(risposta=risposta, utente=utente)
    return len(stati)


# --------------------------------------------------------------------------------------------------
# The answer: sent, nothing to declare, reopened by the ufficio di piano


def _dati_dichiarati(piano: PianoAnnuale, ente: EnteProprietario) -> int:
    """Units and counts the ente declared for the plan (states, turnover, SAT)."""
    return (
        StatoUnita.objects.del_piano(piano).filter(unita__ente=ente).count()
        + sum(TurnoverPrevisto.objects.filter(piano=piano, ente=ente).values_list("numero", flat=True))
        + sum(DestinazioneSAT.objects.filter(piano=piano, ente=ente).values_list("numero", flat=True))
    )


def _chiudi_risposta(risposta: RispostaRicognizione, *, stato: str, utente: User) -> None:
    """Record the ente's answer as given (sent, or nothing to declare): from now on its data is locked."""
    prima = istantanea(risposta)
    adesso = timezone.now()
    risposta.stato = stato
    risposta.inviata_il = adesso
    risposta.aggiornata_il = adesso
    risposta.aggiornata_da = utente
    risposta.save(update_fields=["stato", "inviata_il", "aggiornata_il", "aggiornata_da"])
    traccia(utente=utente, oggetto=risposta, prima=prima)


@transaction.atomic
def dichiara_nulla(*, piano: PianoAnnuale, ente: EnteProprietario, utente: User) -> None:
    """Answer "nulla da dichiarare" — an answer in its own right (L.R. 16/2016 art. 6) — and lock."""
    risposta = apri_modifica(piano=piano, ente=ente)
    dichiarate = _dati_dichiarati(piano, ente)
    if dichiarate:
        raise OperazioneNonValida(
            f"Per il piano risultano {dichiarate} unità dichiarate (stati, turn-over o SAT): "
            "non è possibile rispondere «nulla da dichiarare». Rimuoverle oppure inviare la risposta."
        )
    _chiudi_risposta(risposta, stato=StatoRisposta.NIENTE_DA_DICHIARARE, utente=utente)


@transaction.atomic
def invia_risposta(*, piano: PianoAnnuale, ente: EnteProprietario, utente: User) -> None:
    """Submit the ente's answer to the ufficio di piano; its data is locked from now on."""
    risposta = apri_modifica(piano=piano, ente=ente)
    ha_dati = (
        _dati_dichiarati(piano, ente)
        or ConsistenzaDichiarata.objects.filter(piano=piano, ente=ente).exists()
        or ScelteEnte.objects.filter(piano=piano, ente=ente).exists()
        or AssegnazioniAnnoPrecedente.objects.filter(piano=piano, ente=ente).exists()
    )
    if not ha_dati:
        raise OperazioneNonValida(
            "Non risulta alcun dato da inviare. Se l'ente non ha nulla da dichiarare, usare il "
            "pulsante «Nulla da dichiarare»."
        )
    # States carried over from last year's plan are proposals until the ente confirms them.
    da_confermare = StatoUnita.objects.del_piano(piano).filter(unita__ente=ente, da_confermare=True).count()
    if da_confermare:
        raise OperazioneNonValida(
            f"{da_confermare} unità hanno ancora lo stato ripreso dal piano {piano.anno_precedente} da "
            "confermare: confermarle (o correggerle) nell'elenco delle unità prima di inviare la risposta."
        )
    _chiudi_risposta(risposta, stato=StatoRisposta.INVIATA, utente=utente)


@transaction.atomic
def riapri_risposta(*, piano: PianoAnnuale, ente: EnteProprietario, utente: User) -> None:
    """The ufficio di piano reopens a sent answer, so the ente can change its data and send again."""
    # The plan's lock first, as every write and transition takes it: no reopen after a freeze.
    bloccato = PianoAnnuale.objects.select_for_update().get(pk=piano.pk)
    if bloccato.stato not in PianoQuerySet.STATI_MODIFICABILI:
        raise ModificaNonConsentita(
            f"Il piano {piano.anno} non è più in ricognizione: le risposte non si possono riaprire."
        )
    risposta = RispostaRicognizione.objects.select_for_update().filter(piano=piano, ente=ente).first()
    if risposta is None or not risposta.ha_risposto:
        raise OperazioneNonValida(f"{ente} non ha inviato la risposta: non c'è nulla da riaprire.")
    # inviata_il keeps the date of the last submission.
    prima = istantanea(risposta)
    risposta.stato = StatoRisposta.RIAPERTA
    risposta.aggiornata_il = timezone.now()
    risposta.aggiornata_da = utente
    risposta.save(update_fields=["stato", "aggiornata_il", "aggiornata_da"])
    traccia(utente=utente, oggetto=risposta, prima=prima)
