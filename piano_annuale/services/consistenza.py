"""The consistenza per comune: the optional breakdown of an ente's patrimonio over the comuni where it
owns units (``ConsistenzaDichiarata`` rows with a comune). Section a keeps reading the ente's total;
TAB 2 and check T01 read the comuni declared here besides the units listed one by one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db import transaction

from ambito.models import Comune
from patrimonio.models import EnteProprietario
from piano_annuale.models import ConsistenzaDichiarata, PianoAnnuale
from piano_annuale.services.ente import apri_modifica, registra_modifica
from piano_annuale.services.errori import OperazioneNonValida
from piano_annuale.services.versioni import perimetro_dell_ente, verifica_versione
from piano_annuale.storico import VoceModifica, istantanea, registra_modifiche

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def salva_consistenza_per_comune(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: User | None,
    numeri: Mapping[int, tuple[int, int]],
    fonte: str = "",
    versione: str | None = None,
) -> int:
    """Make the ente's consistenza per comune exactly ``numeri`` (comune id → (SAP, SAS)); comuni not
    listed lose their row. Returns how many rows changed. The ente's total (no comune) is not touched.
    Refused like every change of the ente's data once its answer is sent or the plan has left the
    ricognizione; ``versione`` is the form's."""
    risposta = apri_modifica(piano=piano, ente=ente)
    verifica_versione(
        perimetro_dell_ente(ConsistenzaDichiarata, piano.pk, ente.pk, per_aggiornare=True), versione
    )
    validi = Comune.objects.dell_ambito(piano.ambito_id).filter(pk__in=numeri).in_bulk()
    if set(validi) != set(numeri):
        raise OperazioneNonValida("Si possono indicare solo comuni dell'ambito del piano.")
    if any(sap < 0 or sas < 0 for sap, sas in numeri.values()):
        raise OperazioneNonValida("Il numero di alloggi non può essere negativo.")
    righe = ConsistenzaDichiarata.objects.filter(piano=piano, ente=ente, comune__isnull=False).select_related(
        "ente", "comune"
    )
    esistenti = {r.comune_id: r for r in righe}
    voci = [VoceModifica.eliminazione(r, ente=ente.pk) for c, r in esistenti.items() if c not in numeri]
    ConsistenzaDichiarata.objects.filter(
        pk__in=[r.pk for c, r in esistenti.items() if c not in numeri]
    ).delete()
    for comune_id, (sap, sas) in numeri.items():
        riga = esistenti.get(comune_id)
        if riga is None:
            riga = ConsistenzaDichiarata.objects.create(
                piano=piano, ente=ente, comune=validi[comune_id], sap=sap, sas=sas, fonte=fonte
            )
            voci.append(VoceModifica.creazione(riga))
        elif (riga.sap, riga.sas) != (sap, sas):
            prima = istantanea(riga)
            riga.sap, riga.sas = sap, sas
            riga.save(update_fields=["sap", "sas"])
            voci.append(VoceModifica.modifica(riga, prima))
    registra_modifiche(utente=utente, origine="consistenza per comune", modifiche=voci)
    registra_modifica(risposta=risposta, utente=utente)
    return len(voci)
