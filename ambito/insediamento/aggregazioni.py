"""The ambito's aggregazioni: the word it uses for them, their names, and where each comune lies
(chosen by hand or from a two-column file: comune or ISTAT code, aggregazione)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Max

from ambito.models import AggregazioneTerritoriale, Ambito, Comune
from piano_annuale.services.errori import OperazioneNonValida
from piano_annuale.storico import Scrittura

from .errori import ORIGINE, DatiNonValidi, riga
from .normalizza import chiave, codice_istat
from .territorio import nome_pulito

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TERMINI_SUGGERITI = ("AT", "sub-ambito", "distretto")
_NUMERO = re.compile(r"^(?:[^\d]*\s)?(\d{1,3})$")


@transaction.atomic
def imposta_termine(*, ambito: Ambito, termine: str, utente: User) -> Ambito:
    termine = nome_pulito(termine)
    if not termine:
        raise OperazioneNonValida("Indicare la parola che l'ambito usa per le aggregazioni, ad es. «AT».")
    ambito = Ambito.objects.select_for_update().get(pk=ambito.pk)
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva_oggetti([ambito])
        ambito.termine_aggregazioni = termine[:30]
        ambito.save(update_fields=["termine_aggregazioni"])
    return ambito


def _nuova(ambito: Ambito, denominazione: str) -> AggregazioneTerritoriale:
    numero = (AggregazioneTerritoriale.objects.filter(ambito=ambito).aggregate(m=Max("numero"))["m"] or 0) + 1
    return AggregazioneTerritoriale.objects.create(ambito=ambito, numero=numero, denominazione=denominazione)


@transaction.atomic
def aggiungi_aggregazione(*, ambito: Ambito, denominazione: str, utente: User) -> AggregazioneTerritoriale:
    """A new aggregazione, numbered after the last one."""
    Ambito.objects.select_for_update().get(pk=ambito.pk)  # numbers are given one writer at a time
    denominazione = nome_pulito(denominazione)[:100]
    if AggregazioneTerritoriale.objects.filter(ambito=ambito, denominazione__iexact=denominazione).exists():
        raise OperazioneNonValida(f"L'aggregazione «{denominazione}» esiste già.")
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva(AggregazioneTerritoriale.objects.filter(ambito=ambito))
        aggregazione = _nuova(ambito, denominazione)
    return aggregazione


@transaction.atomic
def rinomina_aggregazioni(*, ambito: Ambito, denominazioni: Mapping[int, str], utente: User) -> None:
    """New names of the ambito's aggregazioni, by id."""
    aggregazioni = AggregazioneTerritoriale.objects.filter(ambito=ambito, pk__in=list(denominazioni))
    if aggregazioni.count() != len(set(denominazioni)):
        raise OperazioneNonValida("Una delle aggregazioni indicate non appartiene all'ambito.")
    nomi = [chiave(n) for n in denominazioni.values() if nome_pulito(n)]
    if len(nomi) != len(set(nomi)):
        raise OperazioneNonValida("Due aggregazioni non possono avere lo stesso nome.")
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva(aggregazioni)
        for aggregazione in aggregazioni:
            nuovo = nome_pulito(denominazioni[aggregazione.pk])[:100]
            if nuovo != aggregazione.denominazione:
                aggregazione.denominazione = nuovo
                aggregazione.save(update_fields=["denominazione"])


@transaction.atomic
def elimina_aggregazione(*, aggregazione: AggregazioneTerritoriale, utente: User) -> None:
    """Delete an aggregazione; its comuni are left to be placed again."""
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        comuni = Comune.objects.filter(aggregazione=aggregazione)
        scrittura.osserva(Comune.objects.filter(pk__in=list(comuni.values_list("pk", flat=True))))
        comuni.update(aggregazione=None)
        scrittura.elimina(AggregazioneTerritoriale.objects.filter(pk=aggregazione.pk))


@transaction.atomic
def colloca_comuni(*, ambito: Ambito, collocazione: Mapping[int, int | None], utente: User) -> int:
    """Place the ambito's comuni (id → aggregazione id, or None); return how many moved."""
    comuni = {
        c.pk: c for c in Comune.objects.select_for_update().filter(ambito=ambito, pk__in=list(collocazione))
    }
    if len(comuni) != len(collocazione):
        raise OperazioneNonValida("Uno dei comuni indicati non fa parte dell'ambito.")
    valide = set(AggregazioneTerritoriale.objects.filter(ambito=ambito).values_list("pk", flat=True))
    if any(a is not None and a not in valide for a in collocazione.values()):
        raise OperazioneNonValida("Una delle aggregazioni indicate non appartiene all'ambito.")
    spostati = 0
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva_oggetti(comuni.values())
        for pk, aggregazione_id in collocazione.items():
            comune = comuni[pk]
            if comune.aggregazione_id != aggregazione_id:
                comune.aggregazione_id = aggregazione_id
                comune.save(update_fields=["aggregazione"])
                spostati += 1
    return spostati


def _trova_aggregazione(
    testo: str, aggregazioni: list[AggregazioneTerritoriale], termine: str
) -> AggregazioneTerritoriale | None:
    voce = chiave(testo)
    for a in aggregazioni:
        if voce in {chiave(a.denominazione), chiave(f"{termine} {a.numero}"), chiave(str(a))}:
            return a
    numero = _NUMERO.match(voce)
    if numero:
        return next((a for a in aggregazioni if a.numero == int(numero.group(1))), None)
    return None


@transaction.atomic
def colloca_da_righe(*, ambito: Ambito, righe: Sequence[Sequence[str]], utente: User) -> int:
    """Place comuni from a two-column list (comune name or ISTAT code, aggregazione by number,
    «AT 2» or name); an aggregazione named that does not exist yet is created. Return how many
    comuni the list placed. Any unknown comune refuses the whole list."""
    ambito = Ambito.objects.select_for_update().get(pk=ambito.pk)
    comuni = list(Comune.objects.filter(ambito=ambito))
    per_codice = {c.codice_istat: c for c in comuni}
    per_nome = {chiave(c.nome): c for c in comuni}
    aggregazioni = list(AggregazioneTerritoriale.objects.filter(ambito=ambito))
    errori: list[str] = []
    richieste: list[tuple[Comune, str]] = []
    visti: dict[int, int] = {}
    for numero, (voce_comune, voce_aggregazione, *_) in enumerate(righe, start=1):
        codice = codice_istat(voce_comune)
        comune = per_codice.get(codice) if codice else per_nome.get(chiave(voce_comune))
        if comune is None:
            errori.append(riga(numero, f"«{voce_comune}» non è un comune dell'ambito."))
            continue
        if not nome_pulito(voce_aggregazione):
            errori.append(riga(numero, f"manca l'aggregazione del Comune di {comune.nome}."))
            continue
        if comune.pk in visti:
            errori.append(riga(numero, f"il Comune di {comune.nome} è già nella riga {visti[comune.pk]}."))
            continue
        visti[comune.pk] = numero
        richieste.append((comune, nome_pulito(voce_aggregazione)))
    if errori:
        raise DatiNonValidi(errori)
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva(Comune.objects.filter(ambito=ambito))
        scrittura.osserva(AggregazioneTerritoriale.objects.filter(ambito=ambito))
        for comune, voce in richieste:
            aggregazione = _trova_aggregazione(voce, aggregazioni, ambito.termine_aggregazioni)
            if aggregazione is None:
                aggregazione = _nuova(ambito, voce[:100])
                aggregazioni.append(aggregazione)
            if comune.aggregazione_id != aggregazione.pk:
                comune.aggregazione = aggregazione
                comune.save(update_fields=["aggregazione"])
    return len(richieste)
