"""One table for the plan's workflow: the database accepts exactly its moves, the services refuse a
move to whoever does not hold its role, and the e-mails go to the roles it names."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from piano_annuale.models import EsitoParere, PassaggioDiStato, PianoAnnuale, StatoPiano
from piano_annuale.notifiche import indirizzi, ruoli_interessati
from piano_annuale.services import iter as mosse
from piano_annuale.services.errori import ModificaNonConsentita
from piano_annuale.transizioni import ORDINE, TRANSIZIONI
from tests.percorso import crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce  # noqa: F401 - fixtures
from tests.utenti import hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media")

# The moves of R.R. 4/2017 as the ufficio di piano lives them, written out by hand.
MOSSE_ATTESE = {
    ("ricognizione", "bozza"),
    ("bozza", "inviata_aler"),
    ("inviata_aler", "parere_espresso"),
    ("parere_espresso", "trasmessa_assemblea"),
    ("trasmessa_assemblea", "approvata"),
    ("inviata_aler", "bozza"),
    ("parere_espresso", "bozza"),
    ("trasmessa_assemblea", "bozza"),
}


@pytest.fixture
def a(db):
    return crea_ambito_con_utenti()


def test_the_table_lists_the_moves_of_the_regulation_and_no_other():
    assert {(t.da, t.a) for t in TRANSIZIONI} == MOSSE_ATTESE


def test_the_panel_shows_every_state_once_in_the_order_of_the_workflow():
    assert ORDINE == (
        "ricognizione",
        "bozza",
        "inviata_aler",
        "parere_espresso",
        "trasmessa_assemblea",
        "approvata",
    )
    assert set(ORDINE) == set(StatoPiano.values)


def test_only_the_moves_back_to_bozza_need_a_reason():
    con_motivo = {(t.da, t.a) for t in TRANSIZIONI if t.con_motivo}
    assert con_motivo == {
        ("inviata_aler", "bozza"),
        ("parere_espresso", "bozza"),
        ("trasmessa_assemblea", "bozza"),
    }


@pytest.mark.parametrize("da", StatoPiano.values)
@pytest.mark.parametrize("a_stato", StatoPiano.values)
def test_the_database_accepts_a_move_exactly_when_the_table_has_it(a, da, a_stato):
    passaggio = PassaggioDiStato(piano=a.piano, da=da, a=a_stato, utente=a.ufficio, motivo="Per la prova")
    if (da, a_stato) in MOSSE_ATTESE:
        passaggio.save()
        assert PassaggioDiStato.objects.filter(pk=passaggio.pk).exists()
    else:
        with pytest.raises(IntegrityError, match="passaggio_consentito"), transaction.atomic():
            passaggio.save()


def test_the_database_refuses_a_move_back_without_a_reason(a):
    passaggio = PassaggioDiStato(piano=a.piano, da="inviata_aler", a="bozza", utente=a.ufficio, motivo=" ")
    with pytest.raises(IntegrityError, match="passaggio_ritorno_in_bozza_motivato"), transaction.atomic():
        passaggio.save()


def stato_di(piano: PianoAnnuale) -> str:
    return PianoAnnuale.objects.values_list("stato", flat=True).get(pk=piano.pk)


def test_a_comune_operator_cannot_send_the_draft_to_aler_even_calling_the_service(a, pdf_veloce):
    with pytest.raises(ModificaNonConsentita, match="non consente di inviare il piano ad ALER"):
        mosse.invia_ad_aler(piano=a.piano, utente=a.operatore_comune)
    assert stato_di(a.piano) == StatoPiano.BOZZA
    assert not PassaggioDiStato.objects.filter(piano=a.piano).exists()


def test_the_ufficio_di_piano_cannot_give_aler_s_parere(a, pdf_veloce):
    mosse.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    with pytest.raises(ModificaNonConsentita):
        mosse.esprimi_parere(
            piano=a.piano, utente=a.ufficio, esito=EsitoParere.FAVOREVOLE, testo="", data=timezone.localdate()
        )
    assert stato_di(a.piano) == StatoPiano.INVIATA_ALER


def test_a_superuser_may_make_every_move(a, pdf_veloce):
    amministratore = get_user_model().objects.create_superuser("amministratore", "admin@prova.invalid", "x")
    mosse.invia_ad_aler(piano=a.piano, utente=amministratore)
    mosse.esprimi_parere(
        piano=a.piano,
        utente=amministratore,
        esito=EsitoParere.FAVOREVOLE,
        testo="",
        data=timezone.localdate(),
    )
    assert stato_di(a.piano) == StatoPiano.PARERE_ESPRESSO


def test_going_back_from_the_assemblea_tells_every_role_and_from_aler_only_aler_and_the_ufficio(a):
    dall_assemblea = PassaggioDiStato(piano=a.piano, da="trasmessa_assemblea", a="bozza")
    da_aler = PassaggioDiStato(piano=a.piano, da="inviata_aler", a="bozza")
    assert set(ruoli_interessati(dall_assemblea)) == {"ufficio_di_piano", "aler", "comune", "assemblea"}
    assert set(ruoli_interessati(da_aler)) == {"ufficio_di_piano", "aler"}


def test_aler_is_written_to_at_its_operators_and_at_its_office_and_nobody_else(a):
    assert set(indirizzi(a.piano, ["aler"])) == {"aler.093@prova.invalid", "protocollo@aler.prova.invalid"}


def test_sending_to_aler_e_mails_aler_and_the_ufficio_only(a, pdf_veloce, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mosse.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    destinatari = {indirizzo for messaggio in mail.outbox for indirizzo in messaggio.to}
    assert destinatari == {
        "aler.093@prova.invalid",
        "protocollo@aler.prova.invalid",
        "ufficio.093@prova.invalid",
    }
