"""The first plan of an onboarded ambito, its dates, and the population it counts.

The plan opens in ricognizione with the rule set in force on 1 January of its year (as every new
plan does: ``RegoleAnno.objects.in_vigore_al``); the population reference date and the deadline of
the ricognizione stay editable from these pages while the plan is in ricognizione."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction

from ambito.models import Ambito, Comune, Popolazione
from patrimonio.models import EnteProprietario
from piano_annuale.models import PianoAnnuale, RegoleAnno, StatoPiano
from piano_annuale.services.errori import OperazioneNonValida
from piano_annuale.storico import Scrittura

from .errori import ORIGINE, DatiNonValidi, riga
from .normalizza import chiave, codice_istat
from .territorio import nome_pulito

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _controlla_date(anno: int, data_popolazione: datetime.date, scadenza: datetime.date | None) -> None:
    if data_popolazione.year > anno:
        raise OperazioneNonValida(
            f"La data della popolazione ({data_popolazione:%d/%m/%Y}) non può essere successiva all'anno del piano."
        )
    if scadenza is not None and scadenza.year > anno:
        raise OperazioneNonValida(
            f"La scadenza della ricognizione ({scadenza:%d/%m/%Y}) non può cadere dopo l'anno del piano."
        )


@transaction.atomic
def apri_primo_piano(
    *,
    ambito: Ambito,
    anno: int,
    data_popolazione: datetime.date,
    scadenza_ricognizione: datetime.date | None,
    utente: User,
) -> PianoAnnuale:
    """Open the ambito's plan for ``anno`` in ricognizione; its enti are asked from now on."""
    ambito = Ambito.objects.select_for_update().get(pk=ambito.pk)
    if PianoAnnuale.objects.filter(ambito=ambito, anno=anno).exists():
        raise OperazioneNonValida(f"Il piano {anno} dell'ambito «{ambito}» esiste già.")
    if not Comune.objects.filter(ambito=ambito).exists():
        raise OperazioneNonValida("Prima di aprire il piano scegliere i comuni dell'ambito.")
    if not EnteProprietario.objects.filter(ambito=ambito).exists():
        raise OperazioneNonValida("Prima di aprire il piano confermare gli enti dell'ambito.")
    _controlla_date(anno, data_popolazione, scadenza_ricognizione)
    regole = RegoleAnno.objects.in_vigore_al(datetime.date(anno, 1, 1))
    if regole is None:
        raise OperazioneNonValida(
            f"Nessuna regola è in vigore al 1° gennaio {anno}: il piano non si può aprire."
        )
    piano = PianoAnnuale(
        ambito=ambito,
        anno=anno,
        stato=StatoPiano.RICOGNIZIONE,
        data_popolazione=data_popolazione,
        scadenza_ricognizione=scadenza_ricognizione,
        regole=regole,
    )
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva_oggetti([piano])
        piano.save()
    return piano


@transaction.atomic
def aggiorna_date(
    *,
    piano: PianoAnnuale,
    data_popolazione: datetime.date,
    scadenza_ricognizione: datetime.date | None,
    utente: User,
) -> PianoAnnuale:
    """The plan's population date and ricognizione deadline, while the plan is in ricognizione."""
    piano = PianoAnnuale.objects.select_for_update().get(pk=piano.pk)
    if piano.stato != StatoPiano.RICOGNIZIONE:
        raise OperazioneNonValida(
            f"Il piano {piano.anno} non è più in ricognizione: le sue date non si possono cambiare."
        )
    _controlla_date(piano.anno, data_popolazione, scadenza_ricognizione)
    with Scrittura(utente=utente, origine=ORIGINE, piano=piano.pk) as scrittura:
        scrittura.osserva_oggetti([piano])
        piano.data_popolazione = data_popolazione
        piano.scadenza_ricognizione = scadenza_ricognizione
        piano.save(update_fields=["data_popolazione", "scadenza_ricognizione", "aggiornato_il"])
    return piano


def _intero(valore: str, cosa: str, *, obbligatorio: bool) -> int | None:
    testo = (valore or "").strip().replace(".", "").replace(" ", "")
    if testo.endswith(",0"):
        testo = testo[:-2]
    if not testo:
        if obbligatorio:
            raise ValueError(f"mancano gli {cosa}.")
        return None
    if not testo.isdigit():
        raise ValueError(f"«{valore}» non è un numero di {cosa} valido.")
    return int(testo)


@transaction.atomic
def carica_popolazione(
    *, ambito: Ambito, righe: Sequence[Sequence[str]], data: datetime.date, fonte: str, utente: User
) -> int:
    """Replace the population of the ambito's comuni at ``data`` from a list (comune name or ISTAT
    code, abitanti, famiglie optional), with its stated source; return how many comuni."""
    fonte = nome_pulito(fonte)
    if not fonte:
        raise OperazioneNonValida("Indicare la fonte dei dati, ad es. «Anagrafe comunale» o «ISTAT».")
    comuni = list(Comune.objects.filter(ambito=ambito))
    per_codice = {c.codice_istat: c for c in comuni}
    per_nome = {chiave(c.nome): c for c in comuni}
    errori: list[str] = []
    valori: dict[int, tuple[int, int | None]] = {}
    for numero, voce in enumerate(righe, start=1):
        voce = [*voce, "", ""]
        codice = codice_istat(voce[0])
        comune = per_codice.get(codice) if codice else per_nome.get(chiave(voce[0]))
        if comune is None:
            errori.append(riga(numero, f"«{voce[0]}» non è un comune dell'ambito."))
            continue
        try:
            abitanti = _intero(voce[1], "abitanti", obbligatorio=True)
            famiglie = _intero(voce[2], "famiglie", obbligatorio=False)
        except ValueError as errore:
            errori.append(riga(numero, f"Comune di {comune.nome}: {errore}"))
            continue
        if comune.pk in valori:
            errori.append(riga(numero, f"il Comune di {comune.nome} compare due volte."))
            continue
        assert abitanti is not None
        valori[comune.pk] = (abitanti, famiglie)
    if errori:
        raise DatiNonValidi(errori)
    with Scrittura(utente=utente, origine=f"{ORIGINE}: popolazione ({fonte})") as scrittura:
        scrittura.osserva(Popolazione.objects.filter(comune__ambito=ambito, data_riferimento=data))
        for comune_id, (abitanti, famiglie) in valori.items():
            Popolazione.objects.update_or_create(
                comune_id=comune_id,
                data_riferimento=data,
                defaults={"abitanti": abitanti, "famiglie": famiglie, "fonte": fonte[:100]},
            )
    return len(valori)


def fonti_della_popolazione(piano: PianoAnnuale) -> list[tuple[str, int]]:
    """The sources of the population the plan counts (at its date), with how many comuni each."""
    conteggi: dict[str, int] = {}
    for fonte in Popolazione.objects.filter(
        comune__ambito_id=piano.ambito_id, data_riferimento=piano.data_popolazione
    ).values_list("fonte", flat=True):
        conteggi[fonte] = conteggi.get(fonte, 0) + 1
    return sorted(conteggi.items())
