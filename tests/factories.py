"""factory_boy factories: small, valid rows that a test changes in the one field it is about.

Every factory builds a row that the database accepts; related rows share one ambito and one plan.
Codes are chosen so they never collide with the Cremonese fixture loaded for the whole session
(ISTAT codes 9xxxxx, IDs regionali ``T-…``, names «… di prova»).

Tests call ``XFactory.create(...)``: each factory is a ``DjangoModelFactory[Model]``, and ``create``
is typed to return that model, while ``XFactory(...)`` (the same default create strategy) goes
through factory_boy's untyped metaclass and is seen by mypy as the factory class itself.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import TypeVar

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Model

from ambito.models import AggregazioneTerritoriale, Ambito, Comune, Popolazione
from patrimonio.models import EnteProprietario, Operatore, Ruolo, TipoEnte, TipoServizio, UnitaAbitativa
from piano_annuale.models import (
    Approvazione,
    AssegnazioniAnnoPrecedente,
    AzioneModifica,
    Caricamento,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    DocumentoPiano,
    EsitoParere,
    Modifica,
    OsservazioneAler,
    ParereAler,
    PassaggioDiStato,
    PianoAnnuale,
    PresenzaAssemblea,
    RiepilogoDichiarato,
    RispostaRicognizione,
    ScelteEnte,
    SezionePiano,
    SezioneTesto,
    Stato,
    StatoPiano,
    StatoRisposta,
    StatoUnita,
    TestoPiano,
    TipoVersione,
    TurnoverPrevisto,
    VersionePiano,
)

_M = TypeVar("_M", bound=Model)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"utente.prova.{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@prova.invalid")


class AmbitoFactory(factory.django.DjangoModelFactory[Ambito]):
    class Meta:
        model = Ambito

    nome = factory.Sequence(lambda n: f"Ambito di prova {n}")


class AggregazioneTerritorialeFactory(factory.django.DjangoModelFactory[AggregazioneTerritoriale]):
    class Meta:
        model = AggregazioneTerritoriale

    ambito = factory.SubFactory(AmbitoFactory)
    numero = factory.Sequence(lambda n: n + 1)
    denominazione = "Centro"


class ComuneFactory(factory.django.DjangoModelFactory[Comune]):
    class Meta:
        model = Comune

    codice_istat = factory.Sequence(lambda n: f"{900000 + n:06d}")
    nome = factory.Sequence(lambda n: f"Comune di prova {n}")
    provincia = "CR"
    ambito = factory.SubFactory(AmbitoFactory)
    superficie_kmq = None


class PopolazioneFactory(factory.django.DjangoModelFactory[Popolazione]):
    class Meta:
        model = Popolazione

    comune = factory.SubFactory(ComuneFactory)
    data_riferimento = datetime.date(2024, 1, 1)
    abitanti = 1000
    famiglie = 450


class EnteProprietarioFactory(factory.django.DjangoModelFactory[EnteProprietario]):
    """By default the ente of a new comune of the same ambito; ``aler=True`` for an ALER ente."""

    class Meta:
        model = EnteProprietario

    class Params:
        aler = factory.Trait(tipo=TipoEnte.ALER, comune=None, uog="U.O.G. di prova")
        operatore = factory.Trait(tipo=TipoEnte.OPERATORE, comune=None)

    ambito = factory.SubFactory(AmbitoFactory)
    tipo = TipoEnte.COMUNE
    comune = factory.SubFactory(ComuneFactory, ambito=factory.SelfAttribute("..ambito"))
    denominazione = factory.Sequence(lambda n: f"Ente di prova {n}")


class UnitaAbitativaFactory(factory.django.DjangoModelFactory[UnitaAbitativa]):
    class Meta:
        model = UnitaAbitativa

    ente = factory.SubFactory(EnteProprietarioFactory)
    comune = factory.LazyAttribute(lambda o: o.ente.comune or ComuneFactory(ambito=o.ente.ambito))
    id_regionale = factory.Sequence(lambda n: f"T-{n:06d}")
    codice_ente = factory.Sequence(lambda n: f"PROVA{n:06d}")
    tipo = TipoServizio.SAP


class PianoAnnualeFactory(factory.django.DjangoModelFactory[PianoAnnuale]):
    class Meta:
        model = PianoAnnuale

    ambito = factory.SubFactory(AmbitoFactory)
    anno = 2025
    data_popolazione = factory.LazyAttribute(lambda o: datetime.date(o.anno - 1, 1, 1))


class _DelPiano(factory.django.DjangoModelFactory[_M]):
    """A row of a plan that names an ente of the plan's ambito."""

    class Meta:
        abstract = True

    piano = factory.SubFactory(PianoAnnualeFactory)
    ente = factory.SubFactory(EnteProprietarioFactory, ambito=factory.SelfAttribute("..piano.ambito"))


class StatoUnitaFactory(factory.django.DjangoModelFactory[StatoUnita]):
    class Meta:
        model = StatoUnita

    piano = factory.SubFactory(PianoAnnualeFactory)
    unita = factory.SubFactory(
        UnitaAbitativaFactory,
        ente=factory.SubFactory(EnteProprietarioFactory, ambito=factory.SelfAttribute("...piano.ambito")),
    )
    stato = Stato.LIBERA


class ConsistenzaDichiarataFactory(_DelPiano[ConsistenzaDichiarata]):
    class Meta:
        model = ConsistenzaDichiarata

    sap = 10
    sas = 2
    fonte = "ricognizione di prova"


class TurnoverPrevistoFactory(_DelPiano[TurnoverPrevisto]):
    class Meta:
        model = TurnoverPrevisto

    comune = factory.LazyAttribute(lambda o: o.ente.comune or ComuneFactory(ambito=o.piano.ambito))
    numero = 1


class RispostaRicognizioneFactory(_DelPiano[RispostaRicognizione]):
    class Meta:
        model = RispostaRicognizione

    stato = StatoRisposta.NESSUNA


class ScelteEnteFactory(_DelPiano[ScelteEnte]):
    class Meta:
        model = ScelteEnte

    soglia_indigenti_eccedente = 0
    quota_forze_polizia = 0


class DestinazioneSATFactory(_DelPiano[DestinazioneSAT]):
    class Meta:
        model = DestinazioneSAT

    comune = factory.LazyAttribute(lambda o: o.ente.comune or ComuneFactory(ambito=o.piano.ambito))
    numero = 1


class AssegnazioniAnnoPrecedenteFactory(_DelPiano[AssegnazioniAnnoPrecedente]):
    class Meta:
        model = AssegnazioniAnnoPrecedente

    totale = 5
    mobilita = 0
    in_deroga = 0


class OperatoreFactory(factory.django.DjangoModelFactory[Operatore]):
    """By default a member of the Assemblea, who needs no ente."""

    class Meta:
        model = Operatore

    user = factory.SubFactory(UserFactory)
    ambito = factory.SubFactory(AmbitoFactory)
    ruolo = Ruolo.ASSEMBLEA
    ente = None


class RiepilogoDichiaratoFactory(_DelPiano[RiepilogoDichiarato]):
    class Meta:
        model = RiepilogoDichiarato

    disponibili = 3
    libere_turnover = 2
    carenza_manutentiva = 1


class TestoPianoFactory(factory.django.DjangoModelFactory[TestoPiano]):
    __test__ = False  # not a test class, despite its name

    class Meta:
        model = TestoPiano

    piano = factory.SubFactory(PianoAnnualeFactory)
    sezione = SezioneTesto.PREMESSA
    testo = "Testo di prova."


class DocumentoPianoFactory(factory.django.DjangoModelFactory[DocumentoPiano]):
    class Meta:
        model = DocumentoPiano

    piano = factory.SubFactory(PianoAnnualeFactory)
    chiave = factory.Sequence(lambda n: f"{n:064x}")
    progresso = 0


class CaricamentoFactory(_DelPiano[Caricamento]):
    class Meta:
        model = Caricamento

    nome_file = "unita.xlsx"
    file = factory.django.FileField(filename="unita.xlsx", data=b"")


# --- the plan's workflow (issue 6) ------------------------------------------------------------


class PassaggioDiStatoFactory(factory.django.DjangoModelFactory[PassaggioDiStato]):
    class Meta:
        model = PassaggioDiStato

    piano = factory.SubFactory(PianoAnnualeFactory)
    da = StatoPiano.BOZZA
    a = StatoPiano.INVIATA_ALER
    utente = factory.SubFactory(UserFactory)


class VersionePianoFactory(factory.django.DjangoModelFactory[VersionePiano]):
    """A frozen version's row (its PDF is only named: the constraints are about the row)."""

    class Meta:
        model = VersionePiano

    piano = factory.SubFactory(PianoAnnualeFactory)
    numero = factory.Sequence(lambda n: n + 1)
    tipo = TipoVersione.INVIATA_ALER
    dati_json = "{}"
    dati_sha256 = hashlib.sha256(b"{}").hexdigest()
    pdf = "piani/versioni/versione-di-prova.pdf"
    pdf_sha256 = "a" * 64
    creata_da = factory.SubFactory(UserFactory)


class OsservazioneAlerFactory(factory.django.DjangoModelFactory[OsservazioneAler]):
    class Meta:
        model = OsservazioneAler

    piano = factory.SubFactory(PianoAnnualeFactory)
    versione = factory.SubFactory(VersionePianoFactory, piano=factory.SelfAttribute("..piano"))
    sezione = SezionePiano.A
    testo = "Osservazione di prova."
    autore = factory.SubFactory(UserFactory)


class ParereAlerFactory(factory.django.DjangoModelFactory[ParereAler]):
    class Meta:
        model = ParereAler

    piano = factory.SubFactory(PianoAnnualeFactory)
    versione = factory.SubFactory(VersionePianoFactory, piano=factory.SelfAttribute("..piano"))
    esito = EsitoParere.FAVOREVOLE
    testo = ""
    data = datetime.date(2025, 1, 20)
    espresso_da = factory.SubFactory(UserFactory)


class ApprovazioneFactory(factory.django.DjangoModelFactory[Approvazione]):
    class Meta:
        model = Approvazione

    piano = factory.SubFactory(PianoAnnualeFactory)
    data_seduta = datetime.date(2025, 2, 14)
    numero_verbale = "01/2025"
    verbale = "piani/verbali/verbale-di-prova.pdf"
    verbale_sha256 = "b" * 64
    registrata_da = factory.SubFactory(UserFactory)


class PresenzaAssembleaFactory(factory.django.DjangoModelFactory[PresenzaAssemblea]):
    class Meta:
        model = PresenzaAssemblea

    approvazione = factory.SubFactory(ApprovazioneFactory)
    comune = factory.SubFactory(ComuneFactory, ambito=factory.SelfAttribute("..approvazione.piano.ambito"))
    presente = True


class ModificaFactory(factory.django.DjangoModelFactory[Modifica]):
    class Meta:
        model = Modifica

    modello = "patrimonio.unitaabitativa"
    oggetto_id = 1
    azione = AzioneModifica.MODIFICA
    prima = factory.LazyFunction(lambda: {"indirizzo": "Via Roma 1"})
    dopo = factory.LazyFunction(lambda: {"indirizzo": "Via Roma 2"})
