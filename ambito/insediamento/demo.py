"""The demo's second ambito, onboarded through the same services the pages use, so the demo shows
two ambiti side by side (and that each sees only its own data).

The Ambito territoriale di Suzzara (province of Mantova) groups six comuni; the split into two
sub-ambiti and the units below are made up for the demo. ALER Brescia-Cremona-Mantova (U.O.G. di
Mantova) owns units there too, so the demo's ALER officer gets a second membership.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from ambito import istat
from ambito.models import Ambito, Comune
from patrimonio.accesso import Operatore, Ruolo
from patrimonio.models import EnteProprietario, TipoEnte, TipoServizio
from piano_annuale.models import PianoAnnuale, Stato
from piano_annuale.services.ente import salva_unita

from . import aggregazioni, enti, inviti, piano, territorio

if TYPE_CHECKING:
    from django.contrib.auth.models import User

NOME = "Ambito territoriale di Suzzara"
ANNO = 2027
SCADENZA = datetime.date(2027, 1, 31)
ALER = "ALER Brescia-Cremona-Mantova"
UOG = "U.O.G. di Mantova"
# Comune → sub-ambito (ISTAT codes of the six comuni).
COMUNI = {
    "020065": "Ovest",  # Suzzara (capofila)
    "020027": "Ovest",  # Gonzaga
    "020037": "Ovest",  # Motteggiana
    "020039": "Est",  # Pegognaga
    "020055": "Est",  # San Benedetto Po
    "020035": "Est",  # Moglia
}
CAPOFILA = "020065"
DELEGANO_ALER = ("020035", "020037")  # Moglia and Motteggiana: ALER manages their units
# (ente: comune name or ALER, comune where the unit lies, codice dell'ente, address)
UNITA = [
    ("Suzzara", "Suzzara", "SUZ-001", "Via Luppi Menotti 12"),
    ("Suzzara", "Suzzara", "SUZ-002", "Via Luppi Menotti 12"),
    (ALER, "Pegognaga", "MN-PEG-031", "Via Roma 4"),
]


@dataclass(frozen=True)
class Persona:
    """A demo person and their role in this ambito: the ente is a comune's name or ALER."""

    username: str
    ruolo: str
    ente: str = ""


PERSONE = [
    Persona("ufficio.suzzara", Ruolo.UFFICIO_DI_PIANO),
    Persona("comune.suzzara", Ruolo.COMUNE, "Suzzara"),
    Persona("aler.cremona", Ruolo.ALER, ALER),
]


def _passi_dell_ufficio(ambito: Ambito, ufficio: User) -> None:
    """The ufficio di piano's steps: comuni, capofila, sub-ambiti, ALER and the comuni delegating to it."""
    territorio.aggiungi_comuni(ambito=ambito, codici=list(COMUNI), utente=ufficio)
    territorio.imposta_capofila(
        ambito=ambito, capofila=Comune.objects.get(codice_istat=CAPOFILA), ente_strumentale="", utente=ufficio
    )
    aggregazioni.imposta_termine(ambito=ambito, termine="sub-ambito", utente=ufficio)
    aggregazioni.colloca_da_righe(ambito=ambito, righe=list(COMUNI.items()), utente=ufficio)
    aler = enti.aggiungi_aler(ambito=ambito, denominazione=ALER, uog=UOG, utente=ufficio)
    delegano = EnteProprietario.objects.filter(ambito=ambito, comune__codice_istat__in=DELEGANO_ALER)
    enti.imposta_gestori(ambito=ambito, gestori={e.pk: aler.pk for e in delegano}, utente=ufficio)


def _invita(ambito: Ambito, chi: User, persone: dict[str, User], elenco: list[Persona]) -> None:
    """Memberships for the people of ``elenco`` who do not have theirs yet (no e-mail: the demo's
    people already have the demo password)."""
    mancanti = [
        inviti.Invito(
            p.ruolo,
            _ente(ambito, p.ente) if p.ente else None,
            persone[p.username].get_full_name(),
            persone[p.username].email,
        )
        for p in elenco
        if not Operatore.objects.filter(user=persone[p.username], ambito=ambito, ruolo=p.ruolo).exists()
    ]
    if mancanti:
        inviti.invita(
            ambito=ambito, inviti=mancanti, utente=chi, indirizzo=lambda uid, token: "", invia_email=False
        )


def _ente(ambito: Ambito, nome: str) -> EnteProprietario:
    if nome == ALER:
        return EnteProprietario.objects.get(ambito=ambito, tipo=TipoEnte.ALER, denominazione=ALER)
    return EnteProprietario.objects.get(ambito=ambito, comune__nome=nome)


@transaction.atomic
def insedia_ambito_demo(*, amministratore: User, persone: dict[str, User]) -> Ambito:
    """Onboard the second ambito (once: a second run finds it and adds only what is missing), give
    the demo's people (by username, already created with their password) their memberships, open
    its plan in ricognizione and enter a few units."""
    ufficio = persone["ufficio.suzzara"]
    ambito = Ambito.objects.filter(nome=NOME).first()
    if ambito is None:
        # The platform administrator creates the ambito and invites its ufficio di piano, who
        # goes through the steps and invites the others.
        ambito = territorio.crea_ambito(nome=NOME, utente=amministratore)
        _invita(ambito, amministratore, persone, PERSONE[:1])
        _passi_dell_ufficio(ambito, ufficio)
    _invita(ambito, ufficio, persone, PERSONE)
    piano_demo = PianoAnnuale.objects.filter(ambito=ambito, anno=ANNO).first()
    if piano_demo is None:
        piano_demo = piano.apri_primo_piano(
            ambito=ambito,
            anno=ANNO,
            data_popolazione=istat.DATA_POPOLAZIONE,
            scadenza_ricognizione=SCADENZA,
            utente=ufficio,
        )
        for nome_ente, nome_comune, codice, indirizzo in UNITA:
            ente = _ente(ambito, nome_ente)
            salva_unita(
                piano=piano_demo,
                ente=ente,
                utente=persone["aler.cremona"] if ente.tipo == TipoEnte.ALER else persone["comune.suzzara"],
                valori_unita={
                    "comune": Comune.objects.get(ambito=ambito, nome=nome_comune),
                    "codice_ente": codice,
                    "tipo": TipoServizio.SAP,
                    "indirizzo": indirizzo,
                },
                valori_stato={"stato": Stato.LIBERA},
            )
    return ambito
