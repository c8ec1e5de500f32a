"""A large synthetic ambito for the PDF benchmark, generated deterministically (no randomness).

At ``scala=1`` its draft PDF lists 3,003 ALER units in Allegato B, 1,282 free units of the comuni in
section e) and 458 anomalies (IDs that differ only in how they are written: «P000001» and
«P0-00001»), the sizes of issue 17. ``scala`` shrinks every count for the CI smoke. The ambito is
replaced when it exists with other sizes; its plan is left in the database for the next run.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from ambito.models import AggregazioneTerritoriale, Ambito, Comune, Popolazione
from patrimonio.models import EnteProprietario, TipoEnte, UnitaAbitativa
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    PianoAnnuale,
    RispostaRicognizione,
    Stato,
    StatoPiano,
    StatoRisposta,
    StatoUnita,
    TurnoverPrevisto,
)

NOME = "Ambito benchmark PDF grande"
ANNO = 2025
PREFISSO_ISTAT = "990"  # no real comune has a code 990xxx

# Sizes at scale 1 (issue 17): Allegato B's units, section e)'s listed units, anomalies.
COMUNI = 90
ALER_LIBERE = 1_600
ALER_CARENZA = 700
ALER_LOTTI = 703  # in renovation and new-building lotti (Allegato B.2)
LIBERE_COMUNI = 1_282
ANOMALIE = 458
LOTTI = 14
STATI_ORIGINE = ("Sfitto", "Sfitto per lavori", "Libero da ristrutturare", "In attesa di assegnazione")


def _nome(scala: float) -> str:
    return f"{NOME} {scala:g}" if scala != 1 else NOME


def _quanti(numero: int, scala: float) -> int:
    return max(1, round(numero * scala))


def piano_grande(scala: float = 1.0) -> PianoAnnuale:
    """The plan of the large ambito at ``scala``, created on the first call."""
    esistente = PianoAnnuale.objects.filter(ambito__nome=_nome(scala), anno=ANNO).first()
    if esistente is not None:
        return esistente
    with transaction.atomic():
        return _crea(scala)


def _crea(scala: float) -> PianoAnnuale:
    nome = _nome(scala)
    # A different scale is a different ambito: its comuni take a second block of ISTAT codes.
    blocco = 0 if scala == 1 else 1 + int(scala * 100) % 9
    prefisso = f"{PREFISSO_ISTAT}{blocco}"
    n_comuni = max(4, _quanti(COMUNI, scala))
    data = datetime.date(2024, 1, 1)
    ambito = Ambito.objects.create(nome=nome, ente_strumentale="Azienda speciale di prova")
    aggregazioni = AggregazioneTerritoriale.objects.bulk_create(
        AggregazioneTerritoriale(ambito=ambito, numero=n, denominazione=f"Zona {n}") for n in range(1, 6)
    )
    comuni = Comune.objects.bulk_create(
        Comune(
            codice_istat=f"{prefisso}{n:02d}",
            nome=f"Borgo {blocco}-{n:02d}",
            provincia="ZZ",
            ambito=ambito,
            aggregazione=aggregazioni[n % 5],
        )
        for n in range(n_comuni)
    )
    ambito.comune_capofila = comuni[0]
    ambito.save(update_fields=["comune_capofila"])
    Popolazione.objects.bulk_create(
        Popolazione(comune=c, data_riferimento=data, abitanti=2_000 + 137 * n) for n, c in enumerate(comuni)
    )
    piano = PianoAnnuale.objects.create(
        ambito=ambito, anno=ANNO, data_popolazione=data, stato=StatoPiano.BOZZA
    )
    aler = EnteProprietario.objects.create(ambito=ambito, tipo=TipoEnte.ALER, denominazione=f"ALER di {nome}")
    enti = EnteProprietario.objects.bulk_create(
        EnteProprietario(ambito=ambito, tipo=TipoEnte.COMUNE, denominazione=f"Comune di {c.nome}", comune=c)
        for c in comuni
    )

    unita: list[UnitaAbitativa] = []
    stati: list[tuple[str, str, str]] = []  # stato, programma, stato_origine
    n_anomalie = _quanti(ANOMALIE, scala)

    def aggiungi(ente: EnteProprietario, comune: Comune, stato: str, programma: str, id_: str) -> None:
        numero = len(unita)
        unita.append(UnitaAbitativa(ente=ente, comune=comune, id_regionale=id_, codice_ente=f"C{numero:06d}"))
        stati.append((stato, programma, STATI_ORIGINE[numero % len(STATI_ORIGINE)]))

    aler_stati = (
        [Stato.LIBERA] * _quanti(ALER_LIBERE, scala)
        + [Stato.CARENZA_MANUTENTIVA] * _quanti(ALER_CARENZA, scala)
        + [Stato.RISTRUTTURAZIONE] * _quanti(ALER_LOTTI, scala)
    )
    for n, stato in enumerate(aler_stati):
        programma = f"Programma di recupero lotto {n % LOTTI + 1}" if stato == Stato.RISTRUTTURAZIONE else ""
        # The first ALER units clash with a comune's unit written with a hyphen: one anomaly each.
        id_ = f"P{blocco}{n:05d}" if n < n_anomalie else f"A{blocco}{n:05d}"
        aggiungi(aler, comuni[n % n_comuni], stato, programma, id_)
    for n in range(_quanti(LIBERE_COMUNI, scala)):
        id_ = f"P{blocco}-{n:05d}" if n < n_anomalie else f"L{blocco}{n:05d}"
        aggiungi(enti[n % n_comuni], comuni[n % n_comuni], Stato.LIBERA, "", id_)
    unita = UnitaAbitativa.objects.bulk_create(unita, batch_size=2_000)
    StatoUnita.objects.bulk_create(
        (
            StatoUnita(piano=piano, unita=u, stato=s, programma=p, stato_origine=o)
            for u, (s, p, o) in zip(unita, stati, strict=True)
        ),
        batch_size=2_000,
    )
    # Declared stock above the units, so the only anomalies are the duplicated IDs.
    ConsistenzaDichiarata.objects.bulk_create(
        [ConsistenzaDichiarata(piano=piano, ente=e, sap=200, sas=5) for e in enti]
        + [ConsistenzaDichiarata(piano=piano, ente=aler, sap=len(aler_stati) * 3, sas=0)]
    )
    adesso = timezone.now()
    RispostaRicognizione.objects.bulk_create(
        RispostaRicognizione(piano=piano, ente=e, stato=StatoRisposta.INVIATA, inviata_il=adesso)
        for e in [*enti, aler]
    )
    TurnoverPrevisto.objects.bulk_create(
        TurnoverPrevisto(piano=piano, ente=e, comune=e.comune, numero=2) for e in enti
    )
    AssegnazioniAnnoPrecedente.objects.bulk_create(
        AssegnazioniAnnoPrecedente(piano=piano, ente=e, totale=3) for e in [*enti, aler]
    )
    return piano
