"""Year over year: the plan of the following year opens from the approved plan and starts from its data."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models, transaction

from ambito.models import Popolazione, data_popolazione_default
from patrimonio.models import EnteProprietario, UnitaAbitativa
from piano_annuale.models import (
    AzioneModifica,
    ConsistenzaDichiarata,
    PianoAnnuale,
    RegoleAnno,
    ScelteEnte,
    StatoPiano,
    StatoUnita,
    TestoPiano,
)
from piano_annuale.notifiche import notifica_nuovo_piano
from piano_annuale.services.errori import OperazioneNonValida
from piano_annuale.storico import VoceModifica, istantanea, registra_modifiche

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class EsitoNuovoPiano:
    piano: PianoAnnuale
    stati: int  # unit states carried over, to be confirmed
    testi: int
    scelte: int
    consistenze: int
    messaggi: int  # e-mails asking the enti to confirm
    data_popolazione_aggiornata: bool  # False: the population of the new date is not loaded yet


@dataclass(frozen=True)
class _Copiati:
    """The rows of the new plan copied from the previous one."""

    stati: list[StatoUnita]
    testi: list[TestoPiano]
    scelte: list[ScelteEnte]
    consistenze: list[ConsistenzaDichiarata]


def _apri_piano(piano: PianoAnnuale) -> tuple[PianoAnnuale, bool]:
    """Create the (empty) plan of the year after ``piano``; say whether its population is loaded."""
    anno = piano.anno + 1
    if piano.stato != StatoPiano.APPROVATA:
        raise OperazioneNonValida(
            f"Il piano {piano.anno} non è ancora approvato: il piano {anno} si apre dal piano approvato, "
            "di cui riprende i dati."
        )
    if PianoAnnuale.objects.filter(ambito_id=piano.ambito_id, anno=anno).exists():
        raise OperazioneNonValida(f"Il piano {anno} dell'{piano.ambito} esiste già.")
    data = data_popolazione_default(anno)
    aggiornata = Popolazione.objects.filter(comune__ambito_id=piano.ambito_id, data_riferimento=data).exists()
    triennio_in_corso = piano.triennio_fine is not None and piano.triennio_fine >= anno
    nuovo = PianoAnnuale.objects.create(
        ambito=piano.ambito,
        anno=anno,
        stato=StatoPiano.RICOGNIZIONE,
        # Until the new year's population is loaded, the plan counts last year's residents.
        data_popolazione=data if aggiornata else piano.data_popolazione,
        # The new plan records the rules in force on 1 January of its year.
        regole=RegoleAnno.objects.in_vigore_al(datetime.date(anno, 1, 1)),
        triennio_inizio=piano.triennio_inizio if triennio_in_corso else None,
        triennio_fine=piano.triennio_fine if triennio_in_corso else None,
    )
    return nuovo, aggiornata


def _scelte_riprese(s: ScelteEnte, nuovo: PianoAnnuale, quota_per_comune: bool, da_ente: bool) -> ScelteEnte:
    """An ente's choices carried into the new plan, marked «da confermare».

    When the rules move from a quota per ente (art. 7 bis until R.R. 2/2025) to the d bis) quota per
    comune, a comune's percentage becomes its 7 bis quota (7 ter at 0 %), and an ente that is not a
    comune (ALER, an operatore) has no quota of its own any more.
    """
    ente_comunale = s.ente.comune_id is not None
    passaggio = quota_per_comune and da_ente
    return ScelteEnte(
        piano=nuovo,
        ente_id=s.ente_id,
        soglia_indigenti_eccedente=s.soglia_indigenti_eccedente,
        categoria_aggiuntiva=s.categoria_aggiuntiva,
        motivazione_categoria=s.motivazione_categoria,
        quota_forze_polizia=s.quota_forze_polizia if (ente_comunale or not passaggio) else 0,
        quota_polizia_locale=0 if passaggio else s.quota_polizia_locale,
        soglia_c_bis=s.soglia_c_bis,
        categorie_c_bis=list(s.categorie_c_bis),
        da_confermare=True,
    )


def _copia(piano: PianoAnnuale, nuovo: PianoAnnuale) -> _Copiati:
    """Copy the unit states (to be confirmed), the narratives, the choices and the consistenze."""
    quota_per_comune = nuovo.regole_applicate().valori.quota_polizia.per == "comune"
    da_ente = piano.regole_applicate().valori.quota_polizia.per == "ente"
    return _Copiati(
        stati=StatoUnita.objects.bulk_create(
            StatoUnita(
                piano=nuovo,
                unita_id=s.unita_id,
                stato=s.stato,
                programma=s.programma,
                stato_origine=s.stato_origine,
                note=s.note,
                costo_lavori=s.costo_lavori,
                note_lavori=s.note_lavori,
                da_confermare=True,
            )
            for s in StatoUnita.objects.del_piano(piano).order_by("pk")
        ),
        testi=TestoPiano.objects.bulk_create(
            TestoPiano(piano=nuovo, sezione=t.sezione, testo=t.testo, aggiornato_da=t.aggiornato_da)
            for t in piano.testi.all()
        ),
        scelte=ScelteEnte.objects.bulk_create(
            _scelte_riprese(s, nuovo, quota_per_comune, da_ente)
            for s in ScelteEnte.objects.filter(piano=piano).select_related("ente")
        ),
        consistenze=ConsistenzaDichiarata.objects.bulk_create(
            ConsistenzaDichiarata(
                piano=nuovo, ente_id=c.ente_id, comune_id=c.comune_id, sap=c.sap, sas=c.sas, fonte=c.fonte
            )
            for c in ConsistenzaDichiarata.objects.filter(piano=piano)
        ),
    )


def _voci(nuovo: PianoAnnuale, copiati: _Copiati, enti_delle_unita: dict[int, int]) -> list[VoceModifica]:
    """The audit of the new plan and of every copied row (bulk_create gave them their ids)."""
    voci = [VoceModifica.creazione(nuovo)]
    voci += [
        VoceModifica(
            modello=StatoUnita,
            oggetto_id=s.pk,
            azione=AzioneModifica.CREAZIONE,
            dopo=istantanea(s),
            descrizione=f"Stato dell'unità n. {s.unita_id} nel piano {nuovo.anno}",
            piano=nuovo.pk,
            ente=enti_delle_unita.get(s.unita_id),
            unita=s.unita_id,
        )
        for s in copiati.stati
    ]
    righe: list[models.Model] = [*copiati.testi, *copiati.scelte, *copiati.consistenze]
    voci += [
        VoceModifica(
            modello=type(r),
            oggetto_id=r.pk,
            azione=AzioneModifica.CREAZIONE,
            dopo=istantanea(r),
            descrizione=f"{str(r._meta.verbose_name).capitalize()} – piano {nuovo.anno}",
            piano=nuovo.pk,
            ente=getattr(r, "ente_id", None),
        )
        for r in righe
    ]
    return voci


@transaction.atomic
def crea_piano_anno_successivo(
    *,
    piano: PianoAnnuale,
    utente: User,
    indirizzo_area: Callable[[PianoAnnuale, EnteProprietario], str] | None = None,
) -> EsitoNuovoPiano:
    """Open the plan of year N+1 from the approved plan of year N.

    Copies each unit's state of year N as the proposed state of N+1, marked «da confermare» (the
    units themselves are the ambito's registry, shared by the plans), the narratives, the enti's
    choices (h, i, i.b) and consistenze. Answers, turnover, SAT and assignments are the new year's
    own and start empty. Each ente with states to confirm is asked by e-mail to confirm them.
    """
    piano = PianoAnnuale.objects.select_for_update().select_related("ambito").get(pk=piano.pk)
    nuovo, aggiornata = _apri_piano(piano)
    copiati = _copia(piano, nuovo)
    enti_delle_unita = dict(UnitaAbitativa.objects.filter(stati__piano=nuovo).values_list("pk", "ente_id"))
    registra_modifiche(
        utente=utente,
        origine=f"nuovo piano {nuovo.anno} dal piano {piano.anno}",
        modifiche=_voci(nuovo, copiati, enti_delle_unita),
    )
    messaggi = 0
    if indirizzo_area is not None:
        enti = EnteProprietario.objects.filter(pk__in=set(enti_delle_unita.values()))
        messaggi = notifica_nuovo_piano(
            piano=nuovo, precedente=piano, indirizzi_area={e.pk: indirizzo_area(nuovo, e) for e in enti}
        )
    return EsitoNuovoPiano(
        piano=nuovo,
        stati=len(copiati.stati),
        testi=len(copiati.testi),
        scelte=len(copiati.scelte),
        consistenze=len(copiati.consistenze),
        messaggi=messaggi,
        data_popolazione_aggiornata=aggiornata,
    )
