"""The database itself refuses rows that break the rules declared on the models.

Each test writes one bad row with ``save()`` (which does not validate) and expects an IntegrityError
raised by the database, naming the constraint that fired. The tests pass on SQLite and PostgreSQL.
"""

from __future__ import annotations

import ast
import datetime
import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from factory.django import DjangoModelFactory

from ambito.models import Comune, Popolazione
from patrimonio.models import RUOLI_CON_ENTE, EnteProprietario, Operatore, Ruolo, TipoEnte, UnitaAbitativa
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    PianoAnnuale,
    RiepilogoDichiarato,
    RispostaRicognizione,
    ScelteEnte,
    SezioneTesto,
    StatoRisposta,
    StatoUnita,
    TurnoverPrevisto,
)
from tests.factories import (
    AggregazioneTerritorialeFactory,
    AmbitoFactory,
    AssegnazioniAnnoPrecedenteFactory,
    CaricamentoFactory,
    ComuneFactory,
    ConsistenzaDichiarataFactory,
    DestinazioneSATFactory,
    DocumentoPianoFactory,
    EnteProprietarioFactory,
    OperatoreFactory,
    PianoAnnualeFactory,
    PopolazioneFactory,
    RiepilogoDichiaratoFactory,
    RispostaRicognizioneFactory,
    ScelteEnteFactory,
    StatoUnitaFactory,
    TestoPianoFactory,
    TurnoverPrevistoFactory,
    UnitaAbitativaFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

APP_CON_VINCOLI = ["ambito", "patrimonio", "piano_annuale"]


def vincoli_dichiarati() -> dict[str, tuple[type[models.Model], models.BaseConstraint]]:
    """Every constraint declared in a model's Meta, by name."""
    return {
        vincolo.name: (model, vincolo)
        for label in APP_CON_VINCOLI
        for model in apps.get_app_config(label).get_models()
        for vincolo in model._meta.constraints
    }


def _nomina(messaggio: str, atteso: str) -> bool:
    """Whether the database's message names ``atteso``: a declared constraint or a ``Model.campo``."""
    dichiarati = vincoli_dichiarati()
    if atteso in dichiarati:
        model, vincolo = dichiarati[atteso]
        if atteso in messaggio:
            return True
        # SQLite names the columns of a violated unique index, not the index.
        return (
            connection.vendor == "sqlite"
            and isinstance(vincolo, models.UniqueConstraint)
            and "UNIQUE constraint failed" in messaggio
            and all(_colonna(model, campo) in messaggio for campo in vincolo.fields)
        )
    nome_model, campo = atteso.split(".")
    model = next(
        m
        for label in APP_CON_VINCOLI
        for m in apps.get_app_config(label).get_models()
        if m.__name__ == nome_model
    )
    return _colonna(model, campo) in messaggio


def _colonna(model: type[models.Model], campo: str) -> str:
    """The column of ``model.campo``: constraints name concrete fields, never reverse relations."""
    campo_del_model = model._meta.get_field(campo)
    assert isinstance(campo_del_model, models.Field) and campo_del_model.column
    return campo_del_model.column


@contextmanager
def rifiutata(*attesi: str) -> Iterator[None]:
    """The block must fail with an IntegrityError naming one of ``attesi``.

    Each of ``attesi`` is the name of a constraint declared in a model's Meta or, for field-level
    rules (``unique=True``, positive integer fields), ``"Model.campo"``.
    """
    with pytest.raises(IntegrityError) as errore, transaction.atomic():
        yield
    messaggio = str(errore.value)
    assert any(_nomina(messaggio, atteso) for atteso in attesi), (
        f"Il database ha rifiutato la riga per un altro motivo: {messaggio!r}"
    )


def vincolo_nel_database(model: type[models.Model], nome: str, **valori: object) -> None:
    """The CHECK constraint ``nome`` is in ``model``'s table, and the database finds ``valori`` break it.

    For rules that a ``PositiveIntegerField``'s own (unnamed) column check enforces too: that check
    fires first on SQLite and PostgreSQL, so the IntegrityError cannot name ``nome``, and a test that
    only saw the refusal would stay green with ``nome`` removed from the model or the migrations.
    """
    with connection.cursor() as cursore:
        nel_database = connection.introspection.get_constraints(cursore, model._meta.db_table)
    assert nome in nel_database and nel_database[nome]["check"], (
        f"La tabella {model._meta.db_table} non ha il vincolo {nome}"
    )
    _, vincolo = vincoli_dichiarati()[nome]
    # CheckConstraint.validate() has the database evaluate the declared condition on these values.
    with pytest.raises(ValidationError, match=nome):
        vincolo.validate(model, model(**valori))


def vincoli_provati() -> set[str]:
    """Constraints some test of this module proves on their own.

    A name counts when it is the only one ``rifiutata`` accepts (the refusal must name it), or when
    ``vincolo_nel_database`` checks it: a name listed beside a field rule, which fires first, proves
    nothing about the constraint.
    """
    provati = set()
    for nodo in ast.walk(ast.parse(inspect.getsource(sys.modules[__name__]))):
        if not isinstance(nodo, ast.Call) or not isinstance(nodo.func, ast.Name):
            continue
        nomi = [a.value for a in nodo.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        da_solo = nodo.func.id == "rifiutata" and len(nodo.args) == 1
        if nomi and (da_solo or nodo.func.id == vincolo_nel_database.__name__):
            provati.add(nomi[0])
    return provati


def test_every_constraint_declared_in_the_models_has_a_test_that_fails_without_it():
    assert sorted(set(vincoli_dichiarati()) - vincoli_provati()) == []


# --- ambito ---------------------------------------------------------------------------------------


def test_database_refuses_two_ambiti_with_the_same_name():
    AmbitoFactory.create(nome="Ambito doppio")
    with rifiutata("Ambito.nome"):
        AmbitoFactory.create(nome="Ambito doppio")


def test_database_refuses_two_aggregazioni_with_the_same_number_in_one_ambito():
    prima = AggregazioneTerritorialeFactory.create(numero=3)
    with rifiutata("aggregazione_numero_unico"):
        AggregazioneTerritorialeFactory.create(ambito=prima.ambito, numero=3)


def test_database_accepts_the_same_aggregazione_number_in_two_ambiti():
    AggregazioneTerritorialeFactory.create(numero=3)
    AggregazioneTerritorialeFactory.create(numero=3)


def test_database_refuses_aggregazione_number_zero():
    # 0 passes the PositiveIntegerField's own check: only the named constraint refuses it.
    with rifiutata("aggregazione_numero_positivo"):
        AggregazioneTerritorialeFactory.create(numero=0)


def test_database_refuses_two_comuni_with_the_same_istat_code():
    ComuneFactory.create(codice_istat="999001")
    with rifiutata("Comune.codice_istat"):
        ComuneFactory.create(codice_istat="999001")


@pytest.mark.parametrize("codice", ["", "99900", "99900A", "9 9900", "-99900"])
def test_database_refuses_istat_code_that_is_not_six_digits(codice):
    with rifiutata("comune_codice_istat_6_cifre"):
        ComuneFactory.create(codice_istat=codice)


def test_database_accepts_istat_code_with_leading_zero():
    ComuneFactory.create(codice_istat="099001")
    assert Comune.objects.filter(codice_istat="099001").exists()


@pytest.mark.parametrize("sigla", ["", "C", "cr", "C1"])
def test_database_refuses_provincia_that_is_not_two_capital_letters(sigla):
    with rifiutata("comune_provincia_sigla"):
        ComuneFactory.create(provincia=sigla)


@pytest.mark.parametrize("superficie", [Decimal("0"), Decimal("-12.50")])
def test_database_refuses_zero_or_negative_superficie(superficie):
    with rifiutata("comune_superficie_positiva"):
        ComuneFactory.create(superficie_kmq=superficie)


def test_database_accepts_comune_with_unknown_superficie():
    comune = ComuneFactory.create(superficie_kmq=None)
    assert Comune.objects.get(pk=comune.pk).superficie_kmq is None


def test_database_refuses_two_populations_of_a_comune_at_the_same_date():
    prima = PopolazioneFactory.create()
    with rifiutata("popolazione_una_per_data"):
        PopolazioneFactory.create(comune=prima.comune, data_riferimento=prima.data_riferimento)


def test_database_accepts_populations_of_a_comune_at_two_dates():
    prima = PopolazioneFactory.create(data_riferimento=datetime.date(2023, 1, 1))
    PopolazioneFactory.create(comune=prima.comune, data_riferimento=datetime.date(2024, 1, 1))
    assert Popolazione.objects.filter(comune=prima.comune).count() == 2


def test_database_refuses_negative_abitanti():
    vincolo_nel_database(Popolazione, "popolazione_abitanti_non_negativi", abitanti=-1)
    with rifiutata("popolazione_abitanti_non_negativi", "Popolazione.abitanti"):
        PopolazioneFactory.create(abitanti=-1)


def test_database_refuses_negative_famiglie():
    vincolo_nel_database(Popolazione, "popolazione_famiglie_non_negative", abitanti=10, famiglie=-1)
    with rifiutata("popolazione_famiglie_non_negative", "Popolazione.famiglie"):
        PopolazioneFactory.create(famiglie=-1)


@pytest.mark.parametrize("ruolo", RUOLI_CON_ENTE)
def test_database_refuses_operatore_comunale_or_aler_without_ente(ruolo):
    with rifiutata("operatore_ente_obbligatorio_per_comune_e_aler"):
        OperatoreFactory.create(ruolo=ruolo, ente=None)


@pytest.mark.parametrize("ruolo", [Ruolo.UFFICIO_DI_PIANO, Ruolo.ASSEMBLEA])
def test_database_accepts_ufficio_di_piano_and_assemblea_without_ente(ruolo):
    operatore = OperatoreFactory.create(ruolo=ruolo, ente=None)
    assert Operatore.objects.get(pk=operatore.pk).ente is None


def test_database_refuses_a_regional_observer_tied_to_an_ambito():
    with rifiutata("operatore_ambito_solo_per_ruoli_non_regionali"):
        OperatoreFactory.create(ruolo=Ruolo.OSSERVATORE_REGIONALE)


def test_database_refuses_an_ambito_role_without_an_ambito():
    with rifiutata("operatore_ambito_solo_per_ruoli_non_regionali"):
        OperatoreFactory.create(ruolo=Ruolo.UFFICIO_DI_PIANO, ambito=None)


def test_database_accepts_a_regional_observer_without_ambito():
    operatore = OperatoreFactory.create(ruolo=Ruolo.OSSERVATORE_REGIONALE, ambito=None)
    assert Operatore.objects.get(pk=operatore.pk).ambito is None


def test_database_refuses_the_same_membership_twice_without_ente():
    primo = OperatoreFactory.create(ruolo=Ruolo.UFFICIO_DI_PIANO)
    with rifiutata("operatore_appartenenza_unica_senza_ente"):
        OperatoreFactory.create(user=primo.user, ambito=primo.ambito, ruolo=Ruolo.UFFICIO_DI_PIANO)


def test_database_refuses_the_same_membership_twice_with_ente():
    ente = EnteProprietarioFactory.create()
    primo = OperatoreFactory.create(ruolo=Ruolo.COMUNE, ambito=ente.ambito, ente=ente)
    with rifiutata("operatore_appartenenza_unica_con_ente"):
        OperatoreFactory.create(user=primo.user, ambito=ente.ambito, ruolo=Ruolo.COMUNE, ente=ente)


def test_database_refuses_the_regional_role_twice_for_one_user():
    primo = OperatoreFactory.create(ruolo=Ruolo.OSSERVATORE_REGIONALE, ambito=None)
    with rifiutata("operatore_un_ruolo_regionale"):
        OperatoreFactory.create(user=primo.user, ruolo=Ruolo.OSSERVATORE_REGIONALE, ambito=None)


def test_database_accepts_one_person_in_two_ambiti():
    primo = OperatoreFactory.create(ruolo=Ruolo.UFFICIO_DI_PIANO)
    secondo = OperatoreFactory.create(user=primo.user, ruolo=Ruolo.UFFICIO_DI_PIANO)
    assert primo.ambito_id != secondo.ambito_id
    assert Operatore.objects.filter(user=primo.user).count() == 2


def test_database_accepts_operatore_comunale_who_names_an_ente():
    ente = EnteProprietarioFactory.create()
    operatore = OperatoreFactory.create(ruolo=Ruolo.COMUNE, ambito=ente.ambito, ente=ente)
    assert Operatore.objects.get(pk=operatore.pk).ente == ente


def test_database_refuses_two_operatori_for_one_user():
    primo = OperatoreFactory.create()
    with rifiutata("Operatore.user"):
        OperatoreFactory.create(user=primo.user, ambito=primo.ambito)


# --- patrimonio -----------------------------------------------------------------------------------


def test_database_refuses_two_enti_with_the_same_denominazione_in_one_ambito():
    primo = EnteProprietarioFactory.create(denominazione="Comune doppio")
    with rifiutata("ente_denominazione_unica"):
        EnteProprietarioFactory.create(ambito=primo.ambito, denominazione="Comune doppio")


def test_database_accepts_the_same_denominazione_in_two_ambiti():
    EnteProprietarioFactory.create(denominazione="Operatore omonimo", operatore=True)
    EnteProprietarioFactory.create(denominazione="Operatore omonimo", operatore=True)
    assert EnteProprietario.objects.filter(denominazione="Operatore omonimo").count() == 2


def test_database_refuses_ente_of_tipo_comune_without_comune():
    with rifiutata("ente_comune_solo_per_tipo_comune"):
        EnteProprietarioFactory.create(tipo=TipoEnte.COMUNE, comune=None)


@pytest.mark.parametrize("tipo", [TipoEnte.ALER, TipoEnte.OPERATORE])
def test_database_refuses_ente_aler_or_operatore_with_a_comune(tipo):
    ambito = AmbitoFactory.create()
    with rifiutata("ente_comune_solo_per_tipo_comune"):
        EnteProprietarioFactory.create(ambito=ambito, tipo=tipo, comune=ComuneFactory.create(ambito=ambito))


def test_database_refuses_two_enti_for_the_same_comune():
    primo = EnteProprietarioFactory.create()
    with rifiutata("EnteProprietario.comune"):
        EnteProprietarioFactory.create(ambito=primo.ambito, comune=primo.comune)


def test_database_refuses_ente_that_manages_itself():
    ente = EnteProprietarioFactory.create()
    with rifiutata("ente_non_gestore_di_se_stesso"):
        EnteProprietario.objects.filter(pk=ente.pk).update(gestore=ente)


def test_database_accepts_comune_whose_units_aler_manages():
    aler = EnteProprietarioFactory.create(aler=True)
    comune = EnteProprietarioFactory.create(ambito=aler.ambito, gestore=aler)
    assert EnteProprietario.objects.get(pk=comune.pk).gestore == aler


def test_database_refuses_two_units_with_the_same_id_regionale():
    prima = UnitaAbitativaFactory.create(id_regionale="T-DOPPIO")
    with rifiutata("unita_id_regionale_unico"):
        UnitaAbitativaFactory.create(ente=prima.ente, id_regionale="T-DOPPIO")


def test_database_accepts_two_units_without_id_regionale():
    prima = UnitaAbitativaFactory.create(id_regionale=None)
    UnitaAbitativaFactory.create(ente=prima.ente, id_regionale=None)
    assert UnitaAbitativa.objects.filter(ente=prima.ente, id_regionale__isnull=True).count() == 2


@pytest.mark.parametrize("id_regionale", ["", " ", "12 345", "non comunicato"])
def test_database_refuses_empty_or_malformed_id_regionale(id_regionale):
    with rifiutata("unita_id_regionale_non_vuoto"):
        UnitaAbitativaFactory.create(id_regionale=id_regionale)


def test_database_refuses_two_units_of_one_ente_with_the_same_codice_ente():
    prima = UnitaAbitativaFactory.create(codice_ente="BS000001")
    with rifiutata("unita_codice_ente_unico_per_ente"):
        UnitaAbitativaFactory.create(ente=prima.ente, codice_ente="BS000001")


def test_database_accepts_the_same_codice_ente_in_two_enti():
    UnitaAbitativaFactory.create(codice_ente="BS000002")
    UnitaAbitativaFactory.create(codice_ente="BS000002")
    assert UnitaAbitativa.objects.filter(codice_ente="BS000002").count() == 2


def test_database_accepts_two_units_of_one_ente_without_codice_ente():
    prima = UnitaAbitativaFactory.create(codice_ente="")
    UnitaAbitativaFactory.create(ente=prima.ente, codice_ente="")
    assert UnitaAbitativa.objects.filter(ente=prima.ente, codice_ente="").count() == 2


def test_database_refuses_two_states_for_one_unit_in_one_plan():
    primo = StatoUnitaFactory.create()
    with rifiutata("stato_unico_per_unita_e_piano"):
        StatoUnitaFactory.create(piano=primo.piano, unita=primo.unita)


def test_database_accepts_one_state_per_plan_for_the_same_unit():
    primo = StatoUnitaFactory.create(piano__anno=2024)
    secondo_piano = PianoAnnualeFactory.create(ambito=primo.piano.ambito, anno=2025)
    StatoUnitaFactory.create(piano=secondo_piano, unita=primo.unita)
    assert StatoUnita.objects.filter(unita=primo.unita).count() == 2


def test_database_refuses_two_consistenze_for_one_ente_in_one_plan():
    prima = ConsistenzaDichiarataFactory.create()
    with rifiutata("consistenza_una_per_ente"):
        ConsistenzaDichiarataFactory.create(piano=prima.piano, ente=prima.ente)


def test_database_refuses_two_consistenze_of_one_ente_in_the_same_comune():
    prima = ConsistenzaDichiarataFactory.create()
    comune = ComuneFactory.create(ambito=prima.ente.ambito)
    ConsistenzaDichiarataFactory.create(piano=prima.piano, ente=prima.ente, comune=comune)
    with rifiutata("consistenza_una_per_comune"):
        ConsistenzaDichiarataFactory.create(piano=prima.piano, ente=prima.ente, comune=comune)


@pytest.mark.parametrize(("sap", "sas"), [(10, None), (None, 2)])
def test_database_refuses_consistenza_with_only_sap_or_only_sas(sap, sas):
    with rifiutata("consistenza_sap_sas_entrambi_o_nessuno"):
        ConsistenzaDichiarataFactory.create(sap=sap, sas=sas)


def test_database_accepts_consistenza_not_communicated():
    consistenza = ConsistenzaDichiarataFactory.create(sap=None, sas=None)
    assert not ConsistenzaDichiarata.objects.get(pk=consistenza.pk).comunicata


@pytest.mark.parametrize(("sap", "sas"), [(-1, 0), (0, -1)])
def test_database_refuses_negative_consistenza(sap, sas):
    vincolo_nel_database(ConsistenzaDichiarata, "consistenza_non_negativa", sap=sap, sas=sas)
    with rifiutata("consistenza_non_negativa", "ConsistenzaDichiarata.sap", "ConsistenzaDichiarata.sas"):
        ConsistenzaDichiarataFactory.create(sap=sap, sas=sas)


def test_database_refuses_turnover_of_zero_units():
    with rifiutata("turnover_positivo"):
        TurnoverPrevistoFactory.create(numero=0)


def test_database_refuses_negative_turnover():
    vincolo_nel_database(TurnoverPrevisto, "turnover_positivo", numero=-1)
    with rifiutata("turnover_positivo", "TurnoverPrevisto.numero"):
        TurnoverPrevistoFactory.create(numero=-1)


def test_database_refuses_two_turnover_counts_for_one_ente_and_comune():
    primo = TurnoverPrevistoFactory.create()
    with rifiutata("turnover_unico"):
        TurnoverPrevistoFactory.create(piano=primo.piano, ente=primo.ente, comune=primo.comune)


def test_database_accepts_turnover_of_one_ente_in_two_comuni():
    primo = TurnoverPrevistoFactory.create()
    altro_comune = ComuneFactory.create(ambito=primo.piano.ambito)
    TurnoverPrevistoFactory.create(piano=primo.piano, ente=primo.ente, comune=altro_comune)
    assert TurnoverPrevisto.objects.filter(piano=primo.piano, ente=primo.ente).count() == 2


# --- piano annuale --------------------------------------------------------------------------------


def test_database_refuses_two_plans_for_one_ambito_and_year():
    primo = PianoAnnualeFactory.create(anno=2025)
    with rifiutata("piano_unico_per_ambito_e_anno"):
        PianoAnnualeFactory.create(ambito=primo.ambito, anno=2025)


def test_database_accepts_plans_of_one_ambito_for_two_years():
    primo = PianoAnnualeFactory.create(anno=2024)
    PianoAnnualeFactory.create(ambito=primo.ambito, anno=2025)
    assert PianoAnnuale.objects.filter(ambito=primo.ambito).count() == 2


@pytest.mark.parametrize("anno", [2017, 2101, 0])
def test_database_refuses_plan_year_before_2018_or_after_2100(anno):
    with rifiutata("piano_anno_plausibile"):
        PianoAnnualeFactory.create(anno=anno, data_popolazione=datetime.date(2000, 1, 1))


@pytest.mark.parametrize("anno", [2018, 2100])
def test_database_accepts_plan_years_2018_and_2100(anno):
    piano = PianoAnnualeFactory.create(anno=anno)
    assert PianoAnnuale.objects.get(pk=piano.pk).anno == anno


def test_database_refuses_two_answers_from_one_ente_to_one_plan():
    prima = RispostaRicognizioneFactory.create()
    with rifiutata("risposta_una_per_ente"):
        RispostaRicognizioneFactory.create(piano=prima.piano, ente=prima.ente)


@pytest.mark.parametrize("stato", [StatoRisposta.INVIATA, StatoRisposta.NIENTE_DA_DICHIARARE])
def test_database_refuses_answer_given_without_inviata_il(stato):
    with rifiutata("risposta_data_invio_se_inviata"):
        RispostaRicognizioneFactory.create(stato=stato, inviata_il=None)


@pytest.mark.parametrize("stato", [StatoRisposta.INVIATA, StatoRisposta.NIENTE_DA_DICHIARARE])
def test_database_accepts_answer_given_with_inviata_il(stato):
    risposta = RispostaRicognizioneFactory.create(stato=stato, inviata_il=timezone.now())
    assert RispostaRicognizione.objects.get(pk=risposta.pk).ha_risposto


@pytest.mark.parametrize("stato", [StatoRisposta.NESSUNA, StatoRisposta.IN_CORSO, StatoRisposta.RIAPERTA])
def test_database_accepts_answer_not_yet_given_without_inviata_il(stato):
    risposta = RispostaRicognizioneFactory.create(stato=stato, inviata_il=None)
    assert not RispostaRicognizione.objects.get(pk=risposta.pk).ha_risposto


def test_database_refuses_two_choices_rows_for_one_ente_in_one_plan():
    prime = ScelteEnteFactory.create()
    with rifiutata("scelte_una_per_ente"):
        ScelteEnteFactory.create(piano=prime.piano, ente=prime.ente)


def test_database_refuses_indigenti_quota_above_eighty_points():
    with rifiutata("scelte_soglia_indigenti_0_80"):
        ScelteEnteFactory.create(soglia_indigenti_eccedente=81)


def test_database_refuses_negative_indigenti_quota():
    with rifiutata("scelte_soglia_indigenti_0_80", "ScelteEnte.soglia_indigenti_eccedente"):
        ScelteEnteFactory.create(soglia_indigenti_eccedente=-1)


@pytest.mark.parametrize("soglia", [0, 80])
def test_database_accepts_indigenti_quota_from_zero_to_eighty_points(soglia):
    scelte = ScelteEnteFactory.create(soglia_indigenti_eccedente=soglia)
    assert ScelteEnte.objects.get(pk=scelte.pk).soglia_indigenti_eccedente == soglia


def test_database_refuses_police_quotas_that_together_exceed_all_units():
    # The limits of each rule set (10 % per ente, 20 % per comune...) are checks: the database keeps
    # only what no rule set can allow.
    with rifiutata("scelte_quote_polizia_entro_100"):
        ScelteEnteFactory.create(quota_forze_polizia=90, quota_polizia_locale=11)


def test_database_refuses_negative_forze_polizia_quota():
    with rifiutata("ScelteEnte.quota_forze_polizia"):
        ScelteEnteFactory.create(quota_forze_polizia=-1)


@pytest.mark.parametrize(("quota_7bis", "quota_7ter"), [(0, 0), (10, 0), (12, 3), (100, 0)])
def test_database_accepts_police_quotas_up_to_all_units(quota_7bis, quota_7ter):
    scelte = ScelteEnteFactory.create(quota_forze_polizia=quota_7bis, quota_polizia_locale=quota_7ter)
    salvate = ScelteEnte.objects.get(pk=scelte.pk)
    assert (salvate.quota_forze_polizia, salvate.quota_polizia_locale) == (quota_7bis, quota_7ter)


def test_database_refuses_a_c_bis_threshold_above_all_units():
    with rifiutata("scelte_soglia_c_bis_entro_100"):
        ScelteEnteFactory.create(soglia_c_bis=101)


def test_database_refuses_a_negative_cost_of_works():
    with rifiutata("stato_costo_lavori_non_negativo"):
        StatoUnitaFactory.create(costo_lavori=Decimal("-1.00"))


@pytest.mark.parametrize(("inizio", "fine"), [(2026, 2027), (2022, 2024), (2028, 2030)])
def test_database_refuses_a_triennale_that_is_not_three_years_containing_the_plan_year(inizio, fine):
    with rifiutata("piano_triennio_di_tre_anni_con_l_anno"):
        PianoAnnualeFactory.create(anno=2027, triennio_inizio=inizio, triennio_fine=fine)


def test_database_accepts_a_triennale_of_three_years_containing_the_plan_year():
    piano = PianoAnnualeFactory.create(anno=2027, triennio_inizio=2026, triennio_fine=2028)
    assert PianoAnnuale.objects.get(pk=piano.pk).triennio_fine == 2028


def test_database_refuses_sat_of_zero_units():
    with rifiutata("sat_positivo"):
        DestinazioneSATFactory.create(numero=0)


def test_database_refuses_negative_sat():
    with rifiutata("sat_positivo", "DestinazioneSAT.numero"):
        DestinazioneSATFactory.create(numero=-2)


def test_database_refuses_two_sat_counts_for_one_ente_and_comune():
    prima = DestinazioneSATFactory.create()
    with rifiutata("sat_unico"):
        DestinazioneSATFactory.create(piano=prima.piano, ente=prima.ente, comune=prima.comune)


def test_database_accepts_sat_count_of_one_unit():
    destinazione = DestinazioneSATFactory.create(numero=1)
    assert DestinazioneSAT.objects.get(pk=destinazione.pk).numero == 1


def test_database_refuses_two_assignment_rows_for_one_ente_in_one_plan():
    prime = AssegnazioniAnnoPrecedenteFactory.create()
    with rifiutata("assegnazioni_una_per_ente"):
        AssegnazioniAnnoPrecedenteFactory.create(piano=prime.piano, ente=prime.ente)


def test_database_refuses_assignments_by_mobilita_above_totale():
    with rifiutata("assegnazioni_mobilita_entro_totale"):
        AssegnazioniAnnoPrecedenteFactory.create(totale=3, mobilita=4)


def test_database_refuses_assignments_in_deroga_above_totale():
    with rifiutata("assegnazioni_deroga_entro_totale"):
        AssegnazioniAnnoPrecedenteFactory.create(totale=3, in_deroga=4)


def test_database_accepts_mobilita_and_in_deroga_equal_to_totale():
    assegnazioni = AssegnazioniAnnoPrecedenteFactory.create(totale=3, mobilita=3, in_deroga=3)
    assert AssegnazioniAnnoPrecedente.objects.get(pk=assegnazioni.pk).mobilita == 3


@pytest.mark.parametrize("campo", ["totale", "mobilita", "in_deroga"])
def test_database_refuses_negative_assignments(campo):
    valori = {"totale": 0, "mobilita": 0, "in_deroga": 0, campo: -1}
    with rifiutata(
        f"AssegnazioniAnnoPrecedente.{campo}",
        "assegnazioni_mobilita_entro_totale",
        "assegnazioni_deroga_entro_totale",
    ):
        AssegnazioniAnnoPrecedenteFactory.create(**valori)


def test_database_refuses_two_platform_summaries_for_one_ente_in_one_plan():
    primo = RiepilogoDichiaratoFactory.create()
    with rifiutata("riepilogo_uno_per_ente"):
        RiepilogoDichiaratoFactory.create(piano=primo.piano, ente=primo.ente)


@pytest.mark.parametrize(
    "campo",
    [
        "disponibili",
        "libere_turnover",
        "carenza_manutentiva",
        "nuove_ristrutturate",
        "transitori",
        "conferite_privati",
    ],
)
def test_database_refuses_negative_counts_in_platform_summary(campo):
    with rifiutata(f"RiepilogoDichiarato.{campo}"):
        RiepilogoDichiaratoFactory.create(**{campo: -1})


def test_database_refuses_two_texts_for_one_section_of_a_plan():
    primo = TestoPianoFactory.create(sezione=SezioneTesto.PREMESSA)
    with rifiutata("testo_uno_per_sezione"):
        TestoPianoFactory.create(piano=primo.piano, sezione=SezioneTesto.PREMESSA)


def test_database_accepts_one_text_per_section_of_a_plan():
    primo = TestoPianoFactory.create(sezione=SezioneTesto.PREMESSA)
    TestoPianoFactory.create(piano=primo.piano, sezione=SezioneTesto.NOTE_CHIUSURA)
    assert primo.piano.testi.count() == 2


@pytest.mark.parametrize("progresso", [101, 255])
def test_database_refuses_pdf_progress_above_one_hundred_percent(progresso):
    with rifiutata("documento_progresso_0_100"):
        DocumentoPianoFactory.create(progresso=progresso)


def test_database_refuses_negative_pdf_progress():
    with rifiutata("DocumentoPiano.progresso", "documento_progresso_0_100"):
        DocumentoPianoFactory.create(progresso=-1)


@pytest.mark.parametrize("progresso", [0, 100])
def test_database_accepts_pdf_progress_from_zero_to_one_hundred_percent(progresso):
    documento = DocumentoPianoFactory.create(progresso=progresso)
    assert documento.piano.documenti.get().progresso == progresso


def test_database_refuses_two_pdfs_with_the_same_content_key():
    primo = DocumentoPianoFactory.create()
    with rifiutata("DocumentoPiano.chiave"):
        DocumentoPianoFactory.create(piano=primo.piano, chiave=primo.chiave)


def test_factories_build_rows_the_database_accepts():
    """Guard for the tests above: without the one bad field, every row is valid."""
    # Any: a factory's model parameter is invariant, so the list cannot say DjangoModelFactory[Model].
    costruttori: list[type[DjangoModelFactory[Any]]] = [
        AggregazioneTerritorialeFactory,
        PopolazioneFactory,
        OperatoreFactory,
        UnitaAbitativaFactory,
        StatoUnitaFactory,
        ConsistenzaDichiarataFactory,
        TurnoverPrevistoFactory,
        RispostaRicognizioneFactory,
        ScelteEnteFactory,
        DestinazioneSATFactory,
        AssegnazioniAnnoPrecedenteFactory,
        RiepilogoDichiaratoFactory,
        TestoPianoFactory,
        DocumentoPianoFactory,
        UserFactory,
    ]
    for costruttore in costruttori:
        riga: models.Model = costruttore.create()
        assert type(riga)._default_manager.filter(pk=riga.pk).exists()
    assert RiepilogoDichiarato.objects.exists()


@pytest.mark.parametrize("progresso", [101, 300])
def test_database_refuses_upload_progress_above_one_hundred_percent(progresso, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with rifiutata("caricamento_progresso_0_100"):
        CaricamentoFactory.create(progresso=progresso)


def test_database_accepts_a_complete_upload(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert CaricamentoFactory.create(progresso=100).progresso == 100


# --- the plan's workflow (issue 6) ------------------------------------------------------------

from piano_annuale.models import AzioneModifica, EsitoParere, StatoPiano, TipoVersione  # noqa: E402
from tests.factories import (  # noqa: E402
    ApprovazioneFactory,
    ModificaFactory,
    OsservazioneAlerFactory,
    ParereAlerFactory,
    PassaggioDiStatoFactory,
    PresenzaAssembleaFactory,
    VersionePianoFactory,
)


@pytest.mark.parametrize(
    ("da", "a"),
    [
        (StatoPiano.RICOGNIZIONE, StatoPiano.INVIATA_ALER),  # skipping the draft
        (StatoPiano.BOZZA, StatoPiano.APPROVATA),  # skipping ALER and the Assemblea
        (StatoPiano.APPROVATA, StatoPiano.BOZZA),  # an approved plan stays approved
        (StatoPiano.BOZZA, StatoPiano.BOZZA),
        (StatoPiano.BOZZA, StatoPiano.RICOGNIZIONE),
    ],
)
def test_database_refuses_a_move_the_workflow_does_not_allow(da, a):
    with rifiutata("passaggio_consentito"):
        PassaggioDiStatoFactory.create(da=da, a=a, motivo="prova")


@pytest.mark.parametrize(
    ("da", "a"),
    [
        (StatoPiano.RICOGNIZIONE, StatoPiano.BOZZA),
        (StatoPiano.BOZZA, StatoPiano.INVIATA_ALER),
        (StatoPiano.INVIATA_ALER, StatoPiano.PARERE_ESPRESSO),
        (StatoPiano.PARERE_ESPRESSO, StatoPiano.TRASMESSA_ASSEMBLEA),
        (StatoPiano.TRASMESSA_ASSEMBLEA, StatoPiano.APPROVATA),
    ],
)
def test_database_accepts_each_forward_move(da, a):
    assert PassaggioDiStatoFactory.create(da=da, a=a).pk


@pytest.mark.parametrize("motivo", ["", "   "])
def test_database_refuses_going_back_to_bozza_without_a_reason(motivo):
    with rifiutata("passaggio_ritorno_in_bozza_motivato"):
        PassaggioDiStatoFactory.create(da=StatoPiano.TRASMESSA_ASSEMBLEA, a=StatoPiano.BOZZA, motivo=motivo)


def test_database_accepts_going_back_to_bozza_with_a_reason():
    assert PassaggioDiStatoFactory.create(
        da=StatoPiano.INVIATA_ALER, a=StatoPiano.BOZZA, motivo="Dati da correggere"
    ).pk


def test_database_refuses_two_versions_of_a_plan_with_the_same_number():
    prima = VersionePianoFactory.create(numero=1)
    with rifiutata("versione_numero_unico"):
        VersionePianoFactory.create(piano=prima.piano, numero=1)


def test_database_refuses_version_number_zero():
    with rifiutata("versione_numero_positivo"):
        VersionePianoFactory.create(numero=0)


def test_database_refuses_a_version_of_an_unknown_kind():
    with rifiutata("versione_tipo_valido"):
        VersionePianoFactory.create(tipo="bozza")


def test_database_refuses_two_approved_versions_of_a_plan():
    prima = VersionePianoFactory.create(tipo=TipoVersione.APPROVATA)
    with rifiutata("versione_approvata_unica"):
        VersionePianoFactory.create(piano=prima.piano, tipo=TipoVersione.APPROVATA)


def test_database_accepts_many_versions_sent_to_aler_and_one_approved():
    prima = VersionePianoFactory.create()
    VersionePianoFactory.create(piano=prima.piano)
    VersionePianoFactory.create(piano=prima.piano, tipo=TipoVersione.APPROVATA)
    assert PianoAnnuale.objects.get(pk=prima.piano.pk).versioni.count() == 3


@pytest.mark.parametrize("impronta", ["", "abc", "A" * 64, "g" * 64, "a" * 63])
def test_database_refuses_a_version_whose_json_digest_is_not_a_sha256(impronta):
    with rifiutata("versione_sha256_dati_valido"):
        VersionePianoFactory.create(dati_sha256=impronta)


@pytest.mark.parametrize("impronta", ["", "z" * 64])
def test_database_refuses_a_version_whose_pdf_has_no_valid_digest(impronta):
    with rifiutata("versione_pdf_con_impronta"):
        VersionePianoFactory.create(pdf_sha256=impronta)


def test_database_refuses_a_digest_without_its_pdf():
    with rifiutata("versione_pdf_con_impronta"):
        VersionePianoFactory.create(pdf="", pdf_sha256="a" * 64)


def test_database_accepts_a_version_whose_pdf_is_still_being_rendered():
    versione = VersionePianoFactory.create(pdf="", pdf_sha256="")
    assert not versione.pdf


@pytest.mark.parametrize("testo", ["", " \n "])
def test_database_refuses_an_observation_without_text(testo):
    with rifiutata("osservazione_con_testo"):
        OsservazioneAlerFactory.create(testo=testo)


def test_database_refuses_an_observation_on_an_unknown_section():
    with rifiutata("osservazione_sezione_valida"):
        OsservazioneAlerFactory.create(sezione="z")


@pytest.mark.parametrize(
    "risposta",
    [
        {"risposta": "Risposta senza autore né data."},
        {"risposta": "", "risposta_il": timezone.now()},
        {"risposta": "  ", "risposta_il": timezone.now(), "risposta_di": "utente"},
    ],
    ids=["senza autore", "data senza testo", "testo vuoto"],
)
def test_database_refuses_an_incomplete_answer_to_an_observation(risposta):
    if risposta.get("risposta_di") == "utente":
        risposta = {**risposta, "risposta_di": UserFactory.create()}
    with rifiutata("osservazione_risposta_completa"):
        OsservazioneAlerFactory.create(**risposta)


def test_database_accepts_an_observation_with_its_complete_answer():
    assert OsservazioneAlerFactory.create(
        risposta="Corretto.", risposta_il=timezone.now(), risposta_di=UserFactory.create()
    ).pk


def test_database_refuses_a_parere_with_an_unknown_outcome():
    with rifiutata("parere_esito_valido"):
        ParereAlerFactory.create(esito="astenuto")


@pytest.mark.parametrize("esito", [EsitoParere.NON_FAVOREVOLE, EsitoParere.FAVOREVOLE_CON_OSSERVAZIONI])
def test_database_refuses_a_parere_that_is_not_favourable_without_its_reasons(esito):
    with rifiutata("parere_motivato"):
        ParereAlerFactory.create(esito=esito, testo=" ")


def test_database_refuses_a_parere_dated_before_2018():
    with rifiutata("parere_data_plausibile"):
        ParereAlerFactory.create(data=datetime.date(2017, 12, 31))


def test_database_refuses_two_pareri_on_one_version():
    primo = ParereAlerFactory.create()
    with rifiutata("ParereAler.versione"):
        ParereAlerFactory.create(piano=primo.piano, versione=primo.versione)


@pytest.mark.parametrize("numero", ["", "  "])
def test_database_refuses_an_approval_without_the_verbale_number(numero):
    with rifiutata("approvazione_numero_verbale"):
        ApprovazioneFactory.create(numero_verbale=numero)


def test_database_refuses_an_approval_without_the_signed_verbale():
    with rifiutata("approvazione_con_verbale"):
        ApprovazioneFactory.create(verbale="")


def test_database_refuses_an_approval_whose_verbale_digest_is_not_a_sha256():
    with rifiutata("approvazione_sha256_valido"):
        ApprovazioneFactory.create(verbale_sha256="0" * 10)


def test_database_refuses_an_approval_dated_before_2018():
    with rifiutata("approvazione_data_plausibile"):
        ApprovazioneFactory.create(data_seduta=datetime.date(2017, 6, 1))


def test_database_refuses_a_quorum_of_zero_comuni():
    with rifiutata("approvazione_quorum_positivo"):
        ApprovazioneFactory.create(quorum=0)


def test_database_refuses_two_approvals_of_one_plan():
    prima = ApprovazioneFactory.create()
    with rifiutata("Approvazione.piano"):
        ApprovazioneFactory.create(piano=prima.piano)


def test_database_refuses_two_presences_of_one_comune_at_one_session():
    prima = PresenzaAssembleaFactory.create()
    with rifiutata("presenza_una_per_comune"):
        PresenzaAssembleaFactory.create(approvazione=prima.approvazione, comune=prima.comune, presente=False)


def test_database_refuses_an_audit_row_with_an_unknown_action():
    with rifiutata("modifica_azione_valida"):
        ModificaFactory.create(azione="spostamento")


@pytest.mark.parametrize(
    ("azione", "prima", "dopo"),
    [
        (AzioneModifica.CREAZIONE, {"a": 1}, {"a": 2}),  # a creation has no before
        (AzioneModifica.CREAZIONE, None, None),
        (AzioneModifica.MODIFICA, None, {"a": 2}),  # a change has both
        (AzioneModifica.ELIMINAZIONE, {"a": 1}, {"a": 1}),  # a deletion has no after
    ],
)
def test_database_refuses_audit_values_that_contradict_the_action(azione, prima, dopo):
    with rifiutata("modifica_valori_coerenti"):
        ModificaFactory.create(azione=azione, prima=prima, dopo=dopo)


def test_workflow_factories_build_rows_the_database_accepts():
    costruttori: tuple[type[DjangoModelFactory[Any]], ...] = (
        PassaggioDiStatoFactory,
        VersionePianoFactory,
        OsservazioneAlerFactory,
        ParereAlerFactory,
        ApprovazioneFactory,
        PresenzaAssembleaFactory,
        ModificaFactory,
    )
    for costruttore in costruttori:
        riga: models.Model = costruttore.create()
        assert type(riga)._default_manager.filter(pk=riga.pk).exists()
