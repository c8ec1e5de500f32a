"""The figures each ente declared on the regional platform (``RiepilogoDichiarato``), each write in one
transaction with its history.

Two paths write them: the ufficio di piano's upload of the platform's programming report, once for
all enti (``registra_report``, called by ``patrimonio.importazione.piattaforma_job``), and the ente's
own correction in its workspace (``salva_dichiarato``). The report is the ufficio's act: it may be
uploaded while the plan is open (ricognizione or draft), whatever the enti answered. The ente's
correction is a change of its declaration like any other: it passes the same gate
(``apri_modifica``: plan open, answer not sent or reopened).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from patrimonio.models import EnteProprietario
from piano_annuale.models import PianoAnnuale, PianoQuerySet, RiepilogoDichiarato
from piano_annuale.services.ente import apri_modifica, registra_modifica
from piano_annuale.services.errori import ModificaNonConsentita, OperazioneNonValida
from piano_annuale.services.versioni import perimetro_dell_ente, verifica_versione
from piano_annuale.storico import VoceModifica, istantanea, registra_modifiche, traccia

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# The declared figures, in the order of Allegato A. Those in NON_NULLI are always declared (0 when
# none); the others may be left empty on the platform, and empty is not zero.
CAMPI_DICHIARATI = (
    "sas",
    "sap",
    "disponibili",
    "libere_turnover",
    "carenza_manutentiva",
    "nuove_ristrutturate",
    "transitori",
    "assegnate_anno_precedente",
    "conferite_privati",
    "soglia_indigenti",
    "forze_polizia",
)
NON_NULLI = frozenset(
    {
        "disponibili",
        "libere_turnover",
        "carenza_manutentiva",
        "nuove_ristrutturate",
        "transitori",
        "conferite_privati",
    }
)
Valori = Mapping[str, int | None]


def dichiarati(piano: PianoAnnuale) -> dict[int, dict[str, int | None]]:
    """ente id → the figures it declared on the platform for the plan (one query)."""
    return {
        r["ente_id"]: {c: r[c] for c in CAMPI_DICHIARATI}
        for r in RiepilogoDichiarato.objects.filter(piano=piano).values("ente_id", *CAMPI_DICHIARATI)
    }


def _verifica(valori: Valori) -> dict[str, int | None]:
    sconosciuti = set(valori) - set(CAMPI_DICHIARATI)
    if sconosciuti:
        raise OperazioneNonValida(f"Campi non previsti: {', '.join(sorted(sconosciuti))}.")
    puliti: dict[str, int | None] = {}
    for campo, valore in valori.items():
        if valore is None and campo in NON_NULLI:
            valore = 0
        if valore is not None and valore < 0:
            raise OperazioneNonValida("I totali dichiarati non possono essere negativi.")
        puliti[campo] = valore
    return puliti


@transaction.atomic
def registra_report(
    *, piano: PianoAnnuale, utente: User | None, righe: Mapping[int, Valori], fonte: str, origine: str
) -> int:
    """Write the figures of the platform's report: ``righe`` is ente id → the values the file gives
    (columns it lacks are left as they are). Enti not listed are not touched. Returns how many enti's
    figures changed. Under the plan's lock, refused once the plan has left the ricognizione."""
    bloccato = PianoAnnuale.objects.select_for_update().get(pk=piano.pk)
    if bloccato.stato not in PianoQuerySet.STATI_MODIFICABILI:
        raise ModificaNonConsentita(
            f"Il piano {bloccato.anno} è nello stato «{bloccato.get_stato_display()}»: i totali dichiarati "
            "in piattaforma non sono più modificabili."
        )
    enti = set(
        EnteProprietario.objects.filter(ambito_id=bloccato.ambito_id, pk__in=righe).values_list(
            "pk", flat=True
        )
    )
    if enti != set(righe):
        raise OperazioneNonValida("Il report nomina enti che non fanno parte dell'ambito del piano.")
    esistenti = {
        r.ente_id: r
        for r in RiepilogoDichiarato.objects.select_for_update().filter(piano=bloccato, ente_id__in=righe)
    }
    adesso = timezone.now()
    voci = []
    for ente_id, valori in righe.items():
        puliti = _verifica(valori)
        riga = esistenti.get(ente_id)
        if riga is not None and all(getattr(riga, c) == v for c, v in puliti.items()):
            continue
        prima = istantanea(riga) if riga is not None else None
        if riga is None:
            riga = RiepilogoDichiarato(piano=bloccato, ente_id=ente_id)
        for campo, valore in puliti.items():
            setattr(riga, campo, valore)
        riga.fonte, riga.aggiornato_il, riga.aggiornato_da = fonte[:200], adesso, utente
        riga.save()
        voci.append(VoceModifica.creazione(riga) if prima is None else VoceModifica.modifica(riga, prima))
    registra_modifiche(utente=utente, origine=origine, modifiche=voci)
    return len(voci)


@transaction.atomic
def salva_dichiarato(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: User,
    valori: Valori,
    versione: str | None = None,
) -> RiepilogoDichiarato:
    """The ente corrects the figures it declared on the platform (its workspace's form).

    Like every change of the ente's declaration: refused once its answer is sent (until the ufficio
    di piano reopens it) or the plan has left the ricognizione; ``versione`` is the form's, refused
    if the figures changed since it was loaded."""
    risposta = apri_modifica(piano=piano, ente=ente)
    verifica_versione(
        perimetro_dell_ente(RiepilogoDichiarato, piano.pk, ente.pk, per_aggiornare=True), versione
    )
    puliti = _verifica(valori)
    riga = RiepilogoDichiarato.objects.filter(piano=piano, ente=ente).first()
    prima = istantanea(riga) if riga is not None else None
    if riga is None:
        riga = RiepilogoDichiarato(piano=piano, ente=ente)
    for campo, valore in puliti.items():
        setattr(riga, campo, valore)
    riga.fonte = "corretto nell'area dell'ente"
    riga.aggiornato_il, riga.aggiornato_da = timezone.now(), utente
    riga.save()
    traccia(utente=utente, oggetto=riga, prima=prima)
    registra_modifica(risposta=risposta, utente=utente)
    return riga
