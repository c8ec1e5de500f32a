"""The access rules, asked of ``patrimonio.accesso``: who reaches which enti, units and plans, which
roles a user holds, and who is written to."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.urls import reverse

from patrimonio.accesso import (
    descrizione_profilo,
    ha_ruolo,
    operatore_di,
    operatori_attivi,
    q_enti_notificati,
    ruoli_nell_ambito,
)
from patrimonio.models import EnteProprietario, Operatore, Ruolo, TipoEnte, UnitaAbitativa
from piano_annuale.models import PianoAnnuale, RispostaRicognizione, StatoPiano, StatoUnita
from tests.builders import crea_ambito
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)


@pytest.fixture
def utenti(piano_cremonese):
    ambito = piano_cremonese.ambito
    soresina = EnteProprietario.objects.get(comune__nome="Soresina")
    aler = EnteProprietario.objects.get(ambito=ambito, tipo=TipoEnte.ALER)
    return {
        "ufficio": crea_operatore("ufficio", ambito, Ruolo.UFFICIO_DI_PIANO),
        "comune": crea_operatore("soresina", ambito, Ruolo.COMUNE, soresina),
        "aler": crea_operatore("aler", ambito, Ruolo.ALER, aler),
        "assemblea": crea_operatore("sindaco", ambito, Ruolo.ASSEMBLEA),
        "amministratore": get_user_model().objects.create_superuser("admin", "admin@prova.invalid", "x"),
        "senza_ruolo": get_user_model().objects.create_user("nessuno", password="x"),
        "anonimo": AnonymousUser(),
    }


@pytest.fixture
def altro_piano(db) -> PianoAnnuale:
    return crea_ambito(nome="Altro ambito", comuni=3, prefisso_istat="095")


def test_ufficio_di_piano_reaches_every_ente_of_its_ambito_and_none_of_another(
    utenti, piano_cremonese, altro_piano
):
    visibili = EnteProprietario.objects.visibili_a(utenti["ufficio"])
    assert set(visibili) == set(EnteProprietario.objects.dell_ambito(piano_cremonese.ambito))
    assert not visibili.filter(ambito=altro_piano.ambito).exists()
    assert set(EnteProprietario.objects.modificabili_da(utenti["ufficio"])) == set(visibili)
    assert set(EnteProprietario.objects.dell_ufficio_di_piano(utenti["ufficio"])) == set(visibili)


def test_comune_and_aler_operators_reach_only_their_own_ente(utenti):
    soresina = EnteProprietario.objects.get(comune__nome="Soresina")
    aler = EnteProprietario.objects.get(tipo=TipoEnte.ALER, ambito=soresina.ambito)
    assert list(EnteProprietario.objects.visibili_a(utenti["comune"])) == [soresina]
    assert list(EnteProprietario.objects.modificabili_da(utenti["comune"])) == [soresina]
    assert list(EnteProprietario.objects.visibili_a(utenti["aler"])) == [aler]
    assert not EnteProprietario.objects.dell_ufficio_di_piano(utenti["comune"]).exists()
    assert not EnteProprietario.objects.dell_ufficio_di_piano(utenti["aler"]).exists()


@pytest.mark.parametrize("ruolo", ["assemblea", "senza_ruolo", "anonimo"])
def test_assemblea_users_without_role_and_anonymous_reach_no_ente_data(utenti, ruolo):
    user = utenti[ruolo]
    assert not EnteProprietario.objects.visibili_a(user).exists()
    assert not EnteProprietario.objects.modificabili_da(user).exists()
    assert not UnitaAbitativa.objects.visibili_a(user).exists()
    assert not RispostaRicognizione.objects.visibili_a(user).exists()


def test_superuser_reaches_everything(utenti, altro_piano):
    admin = utenti["amministratore"]
    assert EnteProprietario.objects.visibili_a(admin).count() == EnteProprietario.objects.count()
    assert UnitaAbitativa.objects.modificabili_da(admin).count() == UnitaAbitativa.objects.count()
    assert PianoAnnuale.objects.visibili_a(admin).count() == PianoAnnuale.objects.count()


def test_units_and_answers_follow_the_ente_rule(utenti, piano_cremonese):
    soresina = EnteProprietario.objects.get(comune__nome="Soresina")
    unita = UnitaAbitativa.objects.visibili_a(utenti["comune"])
    assert unita.count() == UnitaAbitativa.objects.filter(ente=soresina).count() > 0
    assert set(unita.values_list("ente_id", flat=True)) == {soresina.pk}
    stati = StatoUnita.objects.visibili_a(utenti["comune"])
    assert set(stati.values_list("unita__ente_id", flat=True)) == {soresina.pk}
    assert set(
        RispostaRicognizione.objects.visibili_a(utenti["aler"]).values_list("ente__tipo", flat=True)
    ) == {TipoEnte.ALER}
    # Every unit of the Cremonese registry (fixtures/README.md: 189 unit states, each of its own unit),
    # and none of another ambito's.
    visibili = UnitaAbitativa.objects.visibili_a(utenti["ufficio"])
    assert visibili.count() == 189
    assert set(visibili.values_list("comune__ambito_id", flat=True)) == {piano_cremonese.ambito_id}


def test_an_operator_row_pointing_to_an_ente_of_another_ambito_grants_nothing(piano_cremonese, altro_piano):
    estraneo = EnteProprietario.objects.filter(ambito=altro_piano.ambito, tipo=TipoEnte.COMUNE).first()
    user = crea_operatore("confuso", piano_cremonese.ambito, Ruolo.COMUNE, estraneo)
    assert not EnteProprietario.objects.visibili_a(user).exists()


# Which plan states each role reads (R.R. 4/2017 art. 4: draft → ALER → Assemblea → approved).
LETTURA = {
    "ufficio": set(StatoPiano.values),
    "aler": {"inviata_aler", "parere_espresso", "trasmessa_assemblea", "approvata"},
    "comune": {"trasmessa_assemblea", "approvata"},
    "assemblea": {"trasmessa_assemblea", "approvata"},
    "senza_ruolo": set(),
    "anonimo": set(),
}


@pytest.mark.parametrize("stato", StatoPiano.values)
@pytest.mark.parametrize("ruolo", list(LETTURA))
def test_each_role_reads_the_plan_only_in_its_states(utenti, piano_cremonese, ruolo, stato):
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(stato=stato)
    legge = PianoAnnuale.objects.visibili_a(utenti[ruolo]).filter(pk=piano_cremonese.pk).exists()
    assert legge == (stato in LETTURA[ruolo])


@pytest.mark.parametrize("ruolo", ["ufficio", "comune", "aler", "assemblea"])
def test_the_plan_page_and_json_follow_the_plan_rule(client, utenti, piano_cremonese, ruolo):
    client.force_login(utenti[ruolo])
    for stato in (StatoPiano.BOZZA, StatoPiano.INVIATA_ALER, StatoPiano.APPROVATA):
        PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(stato=stato)
        atteso = 200 if stato in LETTURA[ruolo] else 404
        for nome in ("piano_detail", "piano_json"):
            risposta = client.get(reverse(f"piano_annuale:{nome}", args=[piano_cremonese.pk]))
            assert risposta.status_code == atteso, (nome, stato)
            if atteso == 404:
                assert "3.984" not in risposta.content.decode()


@pytest.mark.parametrize("ruolo", ["ufficio", "comune"])
def test_a_membership_removed_closes_the_plan_and_the_ente_from_the_next_request(
    client, utenti, piano_cremonese, ruolo
):
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(stato=StatoPiano.TRASMESSA_ASSEMBLEA)
    soresina = EnteProprietario.objects.get(comune__nome="Soresina")
    pagine = [
        reverse("piano_annuale:piano_json", args=[piano_cremonese.pk]),
        reverse("patrimonio:area_ente", args=[piano_cremonese.pk, soresina.pk]),
    ]
    client.force_login(utenti[ruolo])
    assert [client.get(url).status_code for url in pagine] == [200, 200]
    Operatore.objects.filter(user=utenti[ruolo]).delete()
    assert [client.get(url).status_code for url in pagine] == [404, 404]


def test_nobody_reads_the_plan_of_another_ambito(client, utenti, altro_piano):
    PianoAnnuale.objects.filter(pk=altro_piano.pk).update(stato=StatoPiano.APPROVATA)
    for ruolo in ("ufficio", "comune", "aler", "assemblea"):
        client.force_login(utenti[ruolo])
        assert client.get(reverse("piano_annuale:piano_detail", args=[altro_piano.pk])).status_code == 404


def test_comuni_and_aler_fill_in_the_plans_of_their_ambito_the_assemblea_does_not(utenti, piano_cremonese):
    for ruolo in ("ufficio", "comune", "aler"):
        assert list(PianoAnnuale.objects.compilabili_da(utenti[ruolo])) == [piano_cremonese]
    for ruolo in ("assemblea", "senza_ruolo", "anonimo"):
        assert not PianoAnnuale.objects.compilabili_da(utenti[ruolo]).exists()


def test_home_and_menu_offer_each_role_its_own_pages(client, utenti, piano_cremonese):
    soresina = EnteProprietario.objects.get(comune__nome="Soresina")
    area = f'href="{reverse("patrimonio:area_ente", args=[piano_cremonese.pk, soresina.pk])}"'
    cruscotto = f'href="{reverse("piano_annuale:cruscotto", args=[piano_cremonese.pk])}"'
    piano = f'href="{reverse("piano_annuale:piano_detail", args=[piano_cremonese.pk])}"'

    client.force_login(utenti["ufficio"])
    testo = client.get(reverse("piano_annuale:home")).content.decode()
    assert cruscotto in testo and piano in testo and area not in testo

    client.force_login(utenti["comune"])
    testo = client.get(reverse("piano_annuale:home")).content.decode()
    assert area in testo and "Dati dell&#x27;ente 2025" in testo
    assert cruscotto not in testo and piano not in testo  # the draft is not theirs to read yet

    client.force_login(utenti["assemblea"])
    testo = client.get(reverse("piano_annuale:home")).content.decode()
    assert cruscotto not in testo and piano not in testo and "non dà accesso ad alcun piano" in testo
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(stato=StatoPiano.TRASMESSA_ASSEMBLEA)
    assert piano in client.get(reverse("piano_annuale:home")).content.decode()


def test_only_the_ufficio_di_piano_gets_links_from_anomalies_to_the_objects_at_fault(
    client, utenti, piano_cremonese
):
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(stato=StatoPiano.TRASMESSA_ASSEMBLEA)
    aler = EnteProprietario.objects.get(tipo=TipoEnte.ALER, ambito=piano_cremonese.ambito)
    area_aler = reverse("patrimonio:area_ente", args=[piano_cremonese.pk, aler.pk])

    client.force_login(utenti["ufficio"])
    assert (
        area_aler
        in client.get(reverse("piano_annuale:piano_detail", args=[piano_cremonese.pk])).content.decode()
    )
    client.force_login(utenti["assemblea"])
    testo = client.get(reverse("piano_annuale:piano_detail", args=[piano_cremonese.pk])).content.decode()
    assert "LOTTO 2.2" in testo and area_aler not in testo


# --------------------------------------------------------------------------------------------
# The roles a user holds, as the workflow, the menu and the notifications ask them
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nome", "ruoli"),
    [
        ("ufficio", {"ufficio_di_piano"}),
        ("comune", {"comune"}),
        ("aler", {"aler"}),
        ("assemblea", {"assemblea"}),
        ("amministratore", {"ufficio_di_piano", "comune", "aler", "assemblea"}),
        ("senza_ruolo", set()),
        ("anonimo", set()),
    ],
)
def test_each_user_holds_in_the_ambito_the_roles_of_its_membership(utenti, piano_cremonese, nome, ruoli):
    assert ruoli_nell_ambito(utenti[nome], piano_cremonese.ambito_id) == ruoli


def test_a_role_in_one_ambito_is_no_role_in_another(utenti, altro_piano):
    assert ruoli_nell_ambito(utenti["aler"], altro_piano.ambito_id) == set()
    assert not ha_ruolo(utenti["ufficio"], altro_piano.ambito_id, Ruolo.UFFICIO_DI_PIANO)


def operatore_di_chi_ha_un_ruolo(utente: User) -> Operatore:
    """The Operatore of a user the fixture gave a role (``operatore_di`` is None only without one)."""
    operatore = operatore_di(utente)
    assert operatore is not None
    return operatore


def test_only_comune_and_aler_operators_fill_in_an_ente_and_only_the_ufficio_follows_the_ricognizione(
    utenti, piano_cremonese
):
    soresina = EnteProprietario.objects.get(comune__nome="Soresina")
    aler = EnteProprietario.objects.get(ambito=piano_cremonese.ambito, tipo=TipoEnte.ALER)
    per_utente = {
        nome: operatore_di_chi_ha_un_ruolo(utenti[nome])
        for nome in ("ufficio", "comune", "aler", "assemblea")
    }
    assert per_utente["comune"].ente_rappresentato_id == soresina.pk
    assert per_utente["aler"].ente_rappresentato_id == aler.pk
    assert per_utente["ufficio"].ente_rappresentato_id is None
    assert per_utente["assemblea"].ente_rappresentato_id is None
    assert [nome for nome, o in per_utente.items() if o.segue_la_ricognizione] == ["ufficio"]
    assert operatore_di(utenti["senza_ruolo"]) is None
    assert operatore_di(utenti["anonimo"]) is None


def test_the_role_is_named_for_the_page_frame(utenti):
    assert descrizione_profilo(utenti["comune"], operatore_di(utenti["comune"])) == "Operatore comunale"
    assert descrizione_profilo(utenti["amministratore"], None) == "Amministratore della piattaforma"
    assert descrizione_profilo(utenti["senza_ruolo"], None) == "Utente senza ruolo"


def test_only_active_operators_of_the_ambito_with_the_roles_asked_are_written_to(utenti, piano_cremonese):
    sospeso = crea_operatore(
        "sospeso", piano_cremonese.ambito, Ruolo.ALER, operatore_di_chi_ha_un_ruolo(utenti["aler"]).ente
    )
    sospeso.is_active = False
    sospeso.save(update_fields=["is_active"])
    scelti = operatori_attivi([Ruolo.ALER, Ruolo.ASSEMBLEA], piano_cremonese.ambito_id)
    assert set(scelti.values_list("user__username", flat=True)) == {"aler", "sindaco"}


def test_aler_s_office_is_written_to_when_aler_is_and_no_ente_otherwise(piano_cremonese):
    enti = EnteProprietario.objects.filter(ambito=piano_cremonese.ambito)
    assert set(enti.filter(q_enti_notificati([Ruolo.ALER])).values_list("tipo", flat=True)) == {TipoEnte.ALER}
    assert not enti.filter(q_enti_notificati([Ruolo.COMUNE, Ruolo.ASSEMBLEA])).exists()
