"""Writing what the declaration sheets change (consistenza, SAT, assignments), inside the import's
transaction, with the history of every row: the whole row before and after, recorded with one
``registra_modifiche``. A handful of rows per ente: written one by one, from the values the analysis
holds (no row is read again)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from ambito.models import Comune
from piano_annuale.models import AssegnazioniAnnoPrecedente, ConsistenzaDichiarata, DestinazioneSAT
from piano_annuale.services.errori import ModificaNonConsentita
from piano_annuale.storico import VoceModifica, istantanea, registra_modifiche

from .dichiarazioni import ASSEGNAZIONI, CONSISTENZA, PER_COMUNE, SAT
from .righe import Analisi

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MODELLI: dict[str, type[models.Model]] = {
    CONSISTENZA: ConsistenzaDichiarata,
    SAT: DestinazioneSAT,
    ASSEGNAZIONI: AssegnazioniAnnoPrecedente,
}
DESCRIZIONE_ESITO = {
    CONSISTENZA: "consistenza del patrimonio aggiornata",
    SAT: "unità destinate ai SAT aggiornate",
    ASSEGNAZIONI: "assegnazioni dell'anno precedente aggiornate",
}


def scrivi_dichiarati(analisi: Analisi, *, utente: User | None, origine: str) -> int:
    """Write the changes of the declaration sheets; return how many rows changed. Call it inside
    the import's transaction, after ``apri_modifica``."""
    fogli = [f for f in analisi.dichiarati if f.cambi]
    if not fogli:
        return 0
    piano, ente = analisi.piano, analisi.ente
    comuni = Comune.objects.in_bulk({c.comune_id for f in fogli for c in f.cambi if c.comune_id})
    voci: list[VoceModifica] = []
    for foglio in fogli:
        modello: Any = MODELLI[foglio.tipo]
        righe = modello.objects.filter(piano=piano, ente=ente)
        con_comune = foglio.tipo == SAT or (foglio.tipo == CONSISTENZA and PER_COMUNE)
        # Removed rows first: a comune's row may not meet the unique constraints half-way.
        for cambio in sorted(foglio.cambi, key=lambda c: c.dopo is not None):
            dove = {"comune": comuni[cambio.comune_id] if cambio.comune_id else None} if con_comune else {}
            if cambio.prima is None:
                oggetto = modello.objects.create(piano=piano, ente=ente, **dove, **(cambio.dopo or {}))
                voci.append(VoceModifica.creazione(oggetto))
                continue
            oggetto = modello(pk=cambio.pk, piano=piano, ente=ente, **dove, **cambio.prima)
            prima = istantanea(oggetto)
            if cambio.dopo is None:
                if righe.filter(pk=cambio.pk).delete()[0] != 1:
                    raise ModificaNonConsentita("I dati dell'ente sono cambiati: nulla è stato registrato.")
                voci.append(VoceModifica.eliminazione(oggetto))
                continue
            if righe.filter(pk=cambio.pk).update(**cambio.dopo) != 1:
                raise ModificaNonConsentita("I dati dell'ente sono cambiati: nulla è stato registrato.")
            for campo, valore in cambio.dopo.items():
                setattr(oggetto, campo, valore)
            voci.append(VoceModifica.modifica(oggetto, prima))
    return registra_modifiche(utente=utente, origine=origine, modifiche=voci)
