"""Builders of consistent synthetic ambiti, of any size, for tests that need more than the fixture."""

from __future__ import annotations

import datetime

from django.utils import timezone

from ambito.models import AggregazioneTerritoriale, Ambito, Comune, Popolazione
from patrimonio.models import EnteProprietario, TipoEnte, UnitaAbitativa
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    PianoAnnuale,
    RispostaRicognizione,
    ScelteEnte,
    Stato,
    StatoPiano,
    StatoRisposta,
    StatoUnita,
    TurnoverPrevisto,
)

# Units ALER owns in every comune: 5 free, 3 in carenza, 2 in a renovation lotto.
STATI_ALER = [Stato.LIBERA] * 5 + [Stato.CARENZA_MANUTENTIVA] * 3 + [Stato.RISTRUTTURAZIONE] * 2


def crea_ambito(
    *,
    nome: str,
    comuni: int,
    prefisso_istat: str,
    anno: int = 2025,
    data: datetime.date = datetime.date(2024, 1, 1),
) -> PianoAnnuale:
    """An ambito with ``comuni`` comuni, each owning 3 units plus 10 of ALER, whose plan has no anomaly."""
    ambito = Ambito.objects.create(nome=nome, ente_strumentale="Azienda di prova")
    aggregazioni = AggregazioneTerritoriale.objects.bulk_create(
        AggregazioneTerritoriale(ambito=ambito, numero=n, denominazione=f"Zona {n}") for n in range(1, 5)
    )
    lista_comuni = Comune.objects.bulk_create(
        Comune(
            codice_istat=f"{prefisso_istat}{n:03d}",
            nome=f"Comune di prova {prefisso_istat}-{n}",
            provincia="ZZ",
            ambito=ambito,
            aggregazione=aggregazioni[n % 4],
        )
        for n in range(1, comuni + 1)
    )
    ambito.comune_capofila = lista_comuni[0]
    ambito.save(update_fields=["comune_capofila"])
    Popolazione.objects.bulk_create(
        Popolazione(comune=c, data_riferimento=data, abitanti=1000) for c in lista_comuni
    )
    piano = PianoAnnuale.objects.create(
        ambito=ambito, anno=anno, data_popolazione=data, stato=StatoPiano.BOZZA
    )

    aler = EnteProprietario.objects.create(ambito=ambito, tipo=TipoEnte.ALER, denominazione=f"ALER di {nome}")
    enti = EnteProprietario.objects.bulk_create(
        EnteProprietario(
            ambito=ambito, tipo=TipoEnte.COMUNE, denominazione=f"Comune {c.nome}", comune=c, gestore=aler
        )
        for c in lista_comuni
    )
    ConsistenzaDichiarata.objects.bulk_create(
        [ConsistenzaDichiarata(piano=piano, ente=e, sap=20, sas=2) for e in enti]
        + [ConsistenzaDichiarata(piano=piano, ente=aler, sap=20 * comuni, sas=0)]
    )
    adesso = timezone.now()
    RispostaRicognizione.objects.bulk_create(
        RispostaRicognizione(piano=piano, ente=e, stato=StatoRisposta.INVIATA, inviata_il=adesso)
        for e in [*enti, aler]
    )

    unita, stati = [], []
    for n, (ente, comune) in enumerate(zip(enti, lista_comuni, strict=True)):
        proprie = [
            (Stato.LIBERA, ""),
            (Stato.CARENZA_MANUTENTIVA, ""),
            (Stato.RISTRUTTURAZIONE, "Programma comunale"),
        ]
        for k, (stato, programma) in enumerate(proprie):
            unita.append(
                UnitaAbitativa(ente=ente, comune=comune, id_regionale=f"T{prefisso_istat}C{n:04d}{k}")
            )
            stati.append((stato, programma))
        for k, stato in enumerate(STATI_ALER):
            unita.append(
                UnitaAbitativa(ente=aler, comune=comune, id_regionale=f"T{prefisso_istat}A{n:04d}{k:02d}")
            )
            stati.append((stato, f"LOTTO {n % 7}" if stato == Stato.RISTRUTTURAZIONE else ""))
    unita = UnitaAbitativa.objects.bulk_create(unita, batch_size=2000)
    StatoUnita.objects.bulk_create(
        (
            StatoUnita(piano=piano, unita=u, stato=s, programma=p)
            for u, (s, p) in zip(unita, stati, strict=True)
        ),
        batch_size=2000,
    )
    TurnoverPrevisto.objects.bulk_create(
        TurnoverPrevisto(piano=piano, ente=e, comune=e.comune, numero=1) for e in enti
    )
    ScelteEnte.objects.bulk_create(ScelteEnte(piano=piano, ente=e, quota_forze_polizia=5) for e in enti)
    AssegnazioniAnnoPrecedente.objects.bulk_create(
        AssegnazioniAnnoPrecedente(piano=piano, ente=e, totale=1) for e in [*enti, aler]
    )
    # ALER destines one unit per ten comuni to SAT: 1% of its available units.
    DestinazioneSAT.objects.bulk_create(
        DestinazioneSAT(piano=piano, ente=aler, comune=c, numero=1) for c in lista_comuni[::10]
    )
    return piano
