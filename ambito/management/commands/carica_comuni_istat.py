"""``manage.py carica_comuni_istat``: the comuni of Lombardy and their population from the ISTAT data
shipped with the project (``ambito/istat.py``), in one transaction, with history.

Every comune is created or brought up to date by ISTAT code (name, province; the surface when it
has none, or always with ``--sostituisci-superfici``); its ambito and aggregazione are never touched.
The population at ``DATA_POPOLAZIONE`` is written with ``FONTE_POPOLAZIONE`` as its source; a row at
that date from another source (e.g. the comune's own registry) is kept unless
``--sostituisci-popolazione``. Running it twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ambito.istat import DATA_POPOLAZIONE, FONTE_POPOLAZIONE, ComuneIstat, comuni_lombardi
from ambito.models import Comune, Popolazione
from piano_annuale.storico import VoceModifica, istantanea, registra_modifiche

ORIGINE = "caricamento dei dati ISTAT dei comuni lombardi"


@dataclass
class Esito:
    comuni_creati: int = 0
    comuni_aggiornati: int = 0
    popolazioni_create: int = 0
    popolazioni_aggiornate: int = 0
    popolazioni_tenute: list[str] = field(default_factory=list)


def carica_comuni_istat(
    *,
    province: set[str] | None = None,
    sostituisci_superfici: bool = False,
    sostituisci_popolazione: bool = False,
) -> Esito:
    """Upsert the shipped comuni (only those of ``province`` when given) and their population."""
    dati = [c for c in comuni_lombardi() if province is None or c.provincia in province]
    esito = Esito()
    voci: list[VoceModifica] = []
    with transaction.atomic():
        esistenti = Comune.objects.select_for_update().in_bulk(
            [c.codice_istat for c in dati], field_name="codice_istat"
        )
        nuovi = [_nuovo(c) for c in dati if c.codice_istat not in esistenti]
        Comune.objects.bulk_create(nuovi)
        voci.extend(VoceModifica.creazione(c) for c in nuovi)
        esito.comuni_creati = len(nuovi)

        cambiati = []
        for dato in dati:
            comune = esistenti.get(dato.codice_istat)
            if comune is None:
                continue
            prima = istantanea(comune)
            comune.nome, comune.provincia = dato.nome, dato.provincia
            if dato.superficie_kmq is not None and (comune.superficie_kmq is None or sostituisci_superfici):
                comune.superficie_kmq = dato.superficie_kmq
            voce = VoceModifica.modifica(comune, prima)
            if voce.prima != voce.dopo:
                cambiati.append(comune)
                voci.append(voce)
        Comune.objects.bulk_update(cambiati, ["nome", "provincia", "superficie_kmq"])
        esito.comuni_aggiornati = len(cambiati)

        per_codice = {c.codice_istat: c for c in [*nuovi, *esistenti.values()]}
        voci.extend(_popolazione(dati, per_codice, sostituisci_popolazione, esito))
        registra_modifiche(utente=None, origine=ORIGINE, modifiche=voci)
    return esito


def _nuovo(dato: ComuneIstat) -> Comune:
    return Comune(
        codice_istat=dato.codice_istat,
        nome=dato.nome,
        provincia=dato.provincia,
        superficie_kmq=dato.superficie_kmq,
    )


def _popolazione(
    dati: list[ComuneIstat], per_codice: dict[str, Comune], sostituisci: bool, esito: Esito
) -> list[VoceModifica]:
    righe = {
        p.comune_id: p
        for p in Popolazione.objects.select_for_update().filter(
            data_riferimento=DATA_POPOLAZIONE, comune__in=[c.pk for c in per_codice.values()]
        )
    }
    nuove, cambiate, voci = [], [], []
    for dato in dati:
        if dato.abitanti is None:
            continue
        comune = per_codice[dato.codice_istat]
        riga = righe.get(comune.pk)
        if riga is None:
            nuove.append(
                Popolazione(
                    comune=comune,
                    data_riferimento=DATA_POPOLAZIONE,
                    abitanti=dato.abitanti,
                    fonte=FONTE_POPOLAZIONE,
                )
            )
            continue
        if riga.fonte != FONTE_POPOLAZIONE and not sostituisci:
            if riga.abitanti != dato.abitanti:
                esito.popolazioni_tenute.append(
                    f"{comune.nome}: {riga.abitanti} ({riga.fonte}) invece di {dato.abitanti}"
                )
            continue
        prima = istantanea(riga)
        riga.abitanti, riga.fonte = dato.abitanti, FONTE_POPOLAZIONE
        voce = VoceModifica.modifica(riga, prima)
        if voce.prima != voce.dopo:
            cambiate.append(riga)
            voci.append(voce)
    Popolazione.objects.bulk_create(nuove)
    Popolazione.objects.bulk_update(cambiate, ["abitanti", "fonte"])
    esito.popolazioni_create, esito.popolazioni_aggiornate = len(nuove), len(cambiate)
    return [*(VoceModifica.creazione(p) for p in nuove), *voci]


class Command(BaseCommand):
    help = (
        "Carica o aggiorna i comuni lombardi (codice ISTAT, nome, provincia, superficie) e la loro "
        f"popolazione ({FONTE_POPOLAZIONE}) dai dati ISTAT distribuiti con il progetto. Non cambia mai "
        "l'ambito né l'aggregazione di un comune."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--province",
            help="Solo i comuni di queste province, sigle separate da virgola (ad es. CR,LO).",
        )
        parser.add_argument(
            "--sostituisci-superfici",
            action="store_true",
            help="Sostituisce anche le superfici già presenti (di norma si scrivono solo quelle mancanti).",
        )
        parser.add_argument(
            "--sostituisci-popolazione",
            action="store_true",
            help="Sostituisce anche la popolazione alla stessa data registrata da un'altra fonte.",
        )

    def handle(self, *args: object, **opzioni: object) -> None:
        province = None
        if opzioni.get("province"):
            province = {s.strip().upper() for s in str(opzioni["province"]).split(",") if s.strip()}
            sconosciute = province - {c.provincia for c in comuni_lombardi()}
            if sconosciute:
                raise CommandError(f"Sigle di provincia non lombarde: {', '.join(sorted(sconosciute))}.")
        esito = carica_comuni_istat(
            province=province,
            sostituisci_superfici=bool(opzioni["sostituisci_superfici"]),
            sostituisci_popolazione=bool(opzioni["sostituisci_popolazione"]),
        )
        self.stdout.write(
            f"Comuni: {esito.comuni_creati} creati, {esito.comuni_aggiornati} aggiornati. "
            f"Popolazione al {DATA_POPOLAZIONE:%d/%m/%Y}: {esito.popolazioni_create} righe create, "
            f"{esito.popolazioni_aggiornate} aggiornate."
        )
        if esito.popolazioni_tenute:
            self.stdout.write(
                f"Tenuta la popolazione di un'altra fonte per {len(esito.popolazioni_tenute)} comuni "
                "(--sostituisci-popolazione per sostituirla):"
            )
            for riga in esito.popolazioni_tenute:
                self.stdout.write(f"  {riga}")
