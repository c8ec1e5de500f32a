"""The upload of the platform's report (``piattaforma``): keep the file, analyse it into a preview of
the changes ente by ente, confirm exactly what was previewed (or show the new preview), cancel.

The report has one row per ente (a few dozen rows): it is read in the request, in the isolated
reader like every spreadsheet; no background job is needed.
"""

from __future__ import annotations

import logging
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from patrimonio.models import EnteProprietario
from piano_annuale.models import CaricamentoPiattaforma, PianoAnnuale, StatoCaricamento
from piano_annuale.services.errori import OperazioneNonValida
from piano_annuale.services.piattaforma import NON_NULLI, dichiarati, registra_report

from .errori import DatiCambiati, FileNonValido
from .lettura import verifica_file
from .piattaforma import CAMPI_REPORT, ETICHETTE_REPORT, AnalisiReport, IndiceEnti, impronta, leggi_report

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)
ERRORI_IN_ANTEPRIMA = 200


def crea_caricamento_piattaforma(
    *, piano: PianoAnnuale, utente: User | None, nome_file: str, contenuto: bytes
) -> CaricamentoPiattaforma:
    """Keep the uploaded report. Raises ``FileNonValido`` for a file refused before reading."""
    nome = PurePath(nome_file).name or "report.xlsx"
    verifica_file(nome_file=nome, dimensione=len(contenuto))
    caricamento = CaricamentoPiattaforma(piano=piano, utente=utente, nome_file=nome[:255])
    caricamento.file.save(nome, ContentFile(contenuto), save=False)
    caricamento.save()
    return caricamento


def _enti(piano: PianoAnnuale) -> IndiceEnti:
    return IndiceEnti(EnteProprietario.objects.filter(ambito_id=piano.ambito_id).select_related("comune"))


def _modifiche(piano: PianoAnnuale, analisi: AnalisiReport) -> tuple[list[dict[str, Any]], int]:
    """The changes the report makes, ente by ente (field, now, after), and how many enti stay as they are."""
    attuali = dichiarati(piano)
    modifiche, invariati = [], 0
    for riga in analisi.righe:
        prima = attuali.get(riga.ente_id)
        campi = []
        for campo in CAMPI_REPORT:
            if campo not in riga.valori:
                continue
            dopo = riga.valori[campo]
            if dopo is None and campo in NON_NULLI:
                dopo = 0
            ora = prima.get(campo) if prima is not None else None
            if prima is None or ora != dopo:
                campi.append(
                    {"campo": campo, "etichetta": ETICHETTE_REPORT[campo], "prima": ora, "dopo": dopo}
                )
        if campi:
            modifiche.append(
                {
                    "ente_id": riga.ente_id,
                    "ente": riga.ente,
                    "riga": riga.riga,
                    "nuovo": prima is None,
                    "campi": campi,
                    "valori": riga.valori,
                }
            )
        else:
            invariati += 1
    return modifiche, invariati


def _analizza(caricamento: CaricamentoPiattaforma, contenuto: bytes) -> tuple[AnalisiReport, dict[str, Any]]:
    piano = caricamento.piano
    analisi = leggi_report(contenuto, caricamento.nome_file, _enti(piano), piano.ambito.nome)
    modifiche, invariati = _modifiche(piano, analisi)
    nel_file = {r.ente_id for r in analisi.righe}
    assenti = (
        EnteProprietario.objects.filter(ambito_id=piano.ambito_id, riepiloghi__piano=piano)
        .exclude(pk__in=nel_file)
        .order_by("denominazione")
        .values_list("denominazione", flat=True)
    )
    anteprima = {
        "righe": analisi.lette,
        "modifiche": modifiche,
        "invariati": invariati,
        "assenti": list(assenti),
        "avvisi": analisi.avvisi,
        "impronta": impronta(modifiche),
    }
    return analisi, anteprima


def analizza_caricamento_piattaforma(caricamento: CaricamentoPiattaforma, contenuto: bytes) -> None:
    """Read the report into its preview, or its errors row by row; nothing of the plan is written."""
    try:
        analisi, anteprima = _analizza(caricamento, contenuto)
    except FileNonValido as errore:
        caricamento.stato, caricamento.esito = StatoCaricamento.FALLITO, str(errore)
        caricamento.completato_il = timezone.now()
        caricamento.save()
        return
    caricamento.righe = analisi.lette
    caricamento.anteprima = anteprima
    caricamento.impronta = anteprima["impronta"]
    caricamento.errori = [e.as_dict() for e in analisi.errori]
    if analisi.errori:
        caricamento.stato = StatoCaricamento.CON_ERRORI
        caricamento.esito = ngettext(
            "Il file contiene %(n)d errore: correggerlo e caricare di nuovo il file. Non è stato registrato nulla.",
            "Il file contiene %(n)d errori: correggerli e caricare di nuovo il file. Non è stato registrato nulla.",
            len(analisi.errori),
        ) % {"n": len(analisi.errori)}
    else:
        caricamento.stato = StatoCaricamento.ANTEPRIMA
        caricamento.esito = ""
    caricamento.save()


def _contenuto(caricamento: CaricamentoPiattaforma) -> bytes:
    with caricamento.file.open("rb") as f:
        return f.read()


def esito_conferma(cambiati: int, invariati: int) -> str:
    return ngettext(
        "Totali dichiarati in piattaforma registrati: %(n)d ente aggiornato",
        "Totali dichiarati in piattaforma registrati: %(n)d enti aggiornati",
        cambiati,
    ) % {"n": cambiati} + ngettext(", %(m)d invariato.", ", %(m)d invariati.", invariati) % {"m": invariati}


def conferma_caricamento_piattaforma(caricamento: CaricamentoPiattaforma, utente: User | None) -> int:
    """Write exactly the previewed changes. Raises ``DatiCambiati`` (with the new preview stored) when
    the declared figures changed since the preview, ``OperazioneNonValida`` when there is nothing to
    confirm, ``ModificaNonConsentita`` when the plan is no longer open."""
    if caricamento.stato != StatoCaricamento.ANTEPRIMA:
        raise OperazioneNonValida("Questo caricamento non ha un'anteprima da confermare.")
    contenuto = _contenuto(caricamento)
    analisi, anteprima = _analizza(caricamento, contenuto)
    if analisi.errori or anteprima["impronta"] != caricamento.impronta:
        analizza_caricamento_piattaforma(caricamento, contenuto)
        raise DatiCambiati(
            "I totali dichiarati sono cambiati dopo l'anteprima: ecco l'anteprima aggiornata, da confermare di nuovo."
        )
    quando = timezone.localtime(caricamento.creato_il).strftime("%d/%m/%Y")
    with transaction.atomic():
        cambiati = registra_report(
            piano=caricamento.piano,
            utente=utente,
            righe={m["ente_id"]: m["valori"] for m in anteprima["modifiche"]},
            fonte=f"report della piattaforma regionale «{caricamento.nome_file}» del {quando}",
            origine=f"report della piattaforma n. {caricamento.pk} ({caricamento.nome_file})",
        )
        caricamento.stato = StatoCaricamento.CONFERMATO
        caricamento.completato_il = timezone.now()
        caricamento.esito = esito_conferma(cambiati, anteprima["invariati"])
        caricamento.save()
    return cambiati


def annulla_caricamento_piattaforma(caricamento: CaricamentoPiattaforma) -> None:
    if caricamento.stato not in (StatoCaricamento.ANTEPRIMA, StatoCaricamento.CON_ERRORI):
        raise OperazioneNonValida("Questo caricamento non si può più annullare.")
    caricamento.stato = StatoCaricamento.ANNULLATO
    caricamento.esito = "Caricamento annullato: non è stato registrato nulla."
    caricamento.completato_il = timezone.now()
    caricamento.save()
