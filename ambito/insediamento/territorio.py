"""The ambito and its comuni: created by the platform administrator, filled by its ufficio di piano
from the ISTAT data shipped with the project (``ambito.istat``), one transaction and history each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import ProtectedError, Q

from ambito import istat
from ambito.models import Ambito, Comune, Popolazione
from patrimonio.models import EnteProprietario, Operatore, TipoEnte, UnitaAbitativa
from piano_annuale.services.errori import OperazioneNonValida
from piano_annuale.storico import Scrittura

from .errori import ORIGINE, DatiNonValidi
from .normalizza import chiave, codice_istat

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def nome_pulito(testo: str) -> str:
    return " ".join((testo or "").split())


@transaction.atomic
def crea_ambito(*, nome: str, utente: User) -> Ambito:
    """A new, empty ambito (the platform administrator's first step)."""
    nome = nome_pulito(nome)
    if not nome:
        raise OperazioneNonValida("Indicare il nome dell'ambito.")
    esistente = Ambito.objects.filter(nome__iexact=nome).first()
    if esistente is not None:
        raise OperazioneNonValida(f"L'ambito «{esistente}» esiste già.")
    ambito = Ambito(nome=nome)
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva_oggetti([ambito])
        ambito.save()
    return ambito


@dataclass(frozen=True)
class Risoluzione:
    """The comuni a list names, in its order and each once, and the lines that name none."""

    comuni: tuple[istat.ComuneIstat, ...]
    errori: tuple[str, ...]


def _per_nome() -> dict[str, list[istat.ComuneIstat]]:
    indice: dict[str, list[istat.ComuneIstat]] = defaultdict(list)
    for comune in istat.comuni_lombardi():
        indice[chiave(comune.nome)].append(comune)
    return indice


def risolvi_comuni(voci: Iterable[str]) -> Risoluzione:
    """Each line a name (any case, with or without accents) or an ISTAT code of a Lombard comune."""
    indice = _per_nome()
    trovati: dict[str, istat.ComuneIstat] = {}
    errori = []
    for voce in voci:
        voce = nome_pulito(voce)
        if not voce:
            continue
        codice = codice_istat(voce)
        if codice is not None:
            comune = istat.comune_istat(codice)
            if comune is None:
                errori.append(f"«{voce}»: nessun comune lombardo ha il codice ISTAT {codice}.")
                continue
            trovati.setdefault(comune.codice_istat, comune)
            continue
        candidati = indice.get(chiave(voce), [])
        if not candidati:
            errori.append(
                f"«{voce}»: nessun comune lombardo ha questo nome; controllare o indicare il codice ISTAT."
            )
        elif len(candidati) > 1:
            codici = ", ".join(f"{c.codice_istat} ({c.provincia})" for c in candidati)
            errori.append(
                f"«{voce}»: più comuni lombardi hanno questo nome ({codici}): indicare il codice ISTAT."
            )
        else:
            trovati.setdefault(candidati[0].codice_istat, candidati[0])
    return Risoluzione(tuple(trovati.values()), tuple(errori))


def denominazione_ente_comune(nome: str) -> str:
    return f"Comune di {nome}"


@transaction.atomic
def aggiungi_comuni(*, ambito: Ambito, codici: Sequence[str], utente: User) -> list[Comune]:
    """Put the comuni with these ISTAT codes in the ambito: each comune's row (code, name, province,
    surface from ISTAT), its population at the ISTAT date when none is recorded at that date, and
    its ente proprietario. A comune of another ambito is refused, and then nothing is written."""
    dati = []
    errori = []
    for codice in dict.fromkeys(codici):
        comune_istat = istat.comune_istat(codice)
        if comune_istat is None:
            errori.append(f"Nessun comune lombardo ha il codice ISTAT {codice}.")
        else:
            dati.append(comune_istat)
    codici = [c.codice_istat for c in dati]
    esistenti = {
        c.codice_istat: c for c in Comune.objects.select_related("ambito").filter(codice_istat__in=codici)
    }
    for comune in esistenti.values():
        if comune.ambito_id not in (None, ambito.pk):
            errori.append(f"Il Comune di {comune.nome} appartiene già all'ambito «{comune.ambito}».")
    for ente in (
        EnteProprietario.objects.select_related("ambito", "comune")
        .filter(comune__codice_istat__in=codici)
        .exclude(ambito=ambito)
        .filter(Q(comune__ambito__isnull=True) | Q(comune__ambito=ambito))
    ):
        errori.append(f"L'ente «{ente}» appartiene già all'ambito «{ente.ambito}».")
    if errori:
        raise DatiNonValidi(dict.fromkeys(errori))
    data = istat.DATA_POPOLAZIONE
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva(Comune.objects.filter(codice_istat__in=codici))
        scrittura.osserva(Popolazione.objects.filter(comune__codice_istat__in=codici, data_riferimento=data))
        scrittura.osserva(EnteProprietario.objects.filter(ambito=ambito, tipo=TipoEnte.COMUNE))
        con_popolazione = set(
            Popolazione.objects.filter(comune__codice_istat__in=codici, data_riferimento=data).values_list(
                "comune__codice_istat", flat=True
            )
        )
        comuni = []
        for voce in dati:
            comune = esistenti.get(voce.codice_istat) or Comune(codice_istat=voce.codice_istat)
            comune.nome, comune.provincia, comune.ambito = voce.nome, voce.provincia, ambito
            if voce.superficie_kmq is not None:
                comune.superficie_kmq = voce.superficie_kmq
            comune.save()
            comuni.append(comune)
            if voce.abitanti is not None and voce.codice_istat not in con_popolazione:
                Popolazione.objects.create(
                    comune=comune,
                    data_riferimento=data,
                    abitanti=voce.abitanti,
                    fonte=istat.FONTE_POPOLAZIONE[:100],
                )
            EnteProprietario.objects.get_or_create(
                comune=comune,
                defaults={
                    "ambito": ambito,
                    "tipo": TipoEnte.COMUNE,
                    "denominazione": denominazione_ente_comune(comune.nome),
                },
            )
    return comuni


@transaction.atomic
def togli_comune(*, ambito: Ambito, comune: Comune, utente: User) -> None:
    """Take a comune out of the ambito (a mistake while onboarding), with its ente: refused once the
    ente has units or operators, or while the comune is the capofila."""
    ambito = Ambito.objects.select_for_update().get(pk=ambito.pk)
    comune = Comune.objects.select_for_update().get(pk=comune.pk)
    if comune.ambito_id != ambito.pk:
        raise OperazioneNonValida(f"Il Comune di {comune.nome} non fa parte dell'ambito «{ambito}».")
    if ambito.comune_capofila_id == comune.pk:
        raise OperazioneNonValida(
            f"Il Comune di {comune.nome} è il comune capofila: sceglierne un altro prima di toglierlo."
        )
    enti = EnteProprietario.objects.filter(comune=comune)
    if (
        UnitaAbitativa.objects.filter(ente__in=enti).exists()
        or UnitaAbitativa.objects.filter(comune=comune).exists()
    ):
        raise OperazioneNonValida(
            f"Il Comune di {comune.nome} ha unità abitative registrate: non si può togliere dall'ambito."
        )
    if Operatore.objects.filter(ente__in=enti).exists():
        raise OperazioneNonValida(
            f"Il Comune di {comune.nome} ha operatori abilitati: non si può togliere dall'ambito."
        )
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva_oggetti([comune])
        scrittura.osserva(EnteProprietario.objects.filter(gestore__in=enti))
        try:
            scrittura.elimina(enti)
        except ProtectedError:
            raise OperazioneNonValida(
                f"Il Comune di {comune.nome} ha già dati nei piani dell'ambito: non si può togliere."
            ) from None
        comune.ambito = None
        comune.aggregazione = None
        comune.save(update_fields=["ambito", "aggregazione"])


@transaction.atomic
def imposta_capofila(
    *, ambito: Ambito, capofila: Comune | None, ente_strumentale: str, utente: User
) -> Ambito:
    """The comune capofila (one of the ambito's comuni) and the ente strumentale."""
    ambito = Ambito.objects.select_for_update().get(pk=ambito.pk)
    if capofila is not None and capofila.ambito_id != ambito.pk:
        raise OperazioneNonValida(f"Il Comune di {capofila.nome} non fa parte dell'ambito «{ambito}».")
    with Scrittura(utente=utente, origine=ORIGINE) as scrittura:
        scrittura.osserva_oggetti([ambito])
        ambito.comune_capofila = capofila
        ambito.ente_strumentale = nome_pulito(ente_strumentale)
        ambito.save(update_fields=["comune_capofila", "ente_strumentale"])
    return ambito
