"""Onboarding pages: the platform administrator creates an ambito and invites its ufficio di piano,
who completes the steps in the browser; nobody else reaches them (403, or 404 for another ambito's
ufficio di piano) and a refused request changes nothing."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ambito.insediamento import inviti, territorio
from ambito.models import AggregazioneTerritoriale, Ambito, Comune
from patrimonio.models import EnteProprietario, Operatore, Ruolo, TipoEnte
from piano_annuale.models import Modifica, PianoAnnuale, StatoPiano
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(hasher_veloce.__name__)]

PASSI = ("comuni", "aggregazioni", "enti", "operatori", "piano")


@pytest.fixture
def amministratore():
    return get_user_model().objects.create_superuser("piattaforma", "piattaforma@example.org", "x-Prova-2025")


@pytest.fixture
def nuovo(amministratore) -> Ambito:
    return territorio.crea_ambito(nome="Ambito di Suzzara", utente=amministratore)


@pytest.fixture
def ufficio(nuovo):
    return crea_operatore("ufficio.suzzara", nuovo, Ruolo.UFFICIO_DI_PIANO, email="ufficio@suzzara.example")


def collegamento(messaggio: mail.EmailMessage) -> str:
    trovato = re.search(r"https?://testserver(/invito/[^\s]+/)", str(messaggio.body))
    assert trovato, messaggio.body
    return trovato.group(1)


def test_the_platform_page_is_the_superusers_only(client, amministratore, piano_cremonese):
    cremonese = piano_cremonese.ambito
    comune = crea_operatore(
        "comune.cr", cremonese, Ruolo.COMUNE, EnteProprietario.objects.get(comune__nome="Cremona")
    )
    ufficio_cr = crea_operatore("ufficio.cr", cremonese, Ruolo.UFFICIO_DI_PIANO)
    osservatore = get_user_model().objects.create_user("osservatore", password="x-Prova-2025")
    Operatore.objects.create(user=osservatore, ambito=None, ruolo=Ruolo.OSSERVATORE_REGIONALE)
    indirizzo = reverse("insediamento:ambiti")

    assert client.get(indirizzo).status_code == 302  # to the login
    for utente in (comune, ufficio_cr, osservatore):
        client.force_login(utente)
        assert client.get(indirizzo).status_code == 403
        assert client.post(indirizzo, {"nome": "Ambito abusivo"}).status_code == 403
        invito = reverse("insediamento:invita_ufficio", args=[cremonese.pk])
        assert (
            client.post(
                invito, {f"invito-{cremonese.pk}-nome": "X Y", f"invito-{cremonese.pk}-email": "x@y.it"}
            ).status_code
            == 403
        )
    passi = [reverse(f"insediamento:{passo}", args=[cremonese.pk]) for passo in PASSI]
    client.force_login(osservatore)
    assert [client.get(passo).status_code for passo in passi] == [403] * 5
    assert not Ambito.objects.filter(nome="Ambito abusivo").exists()
    client.force_login(amministratore)
    risposta = client.get(indirizzo)
    assert risposta.status_code == 200
    assert cremonese.nome in risposta.content.decode()
    assert not get_user_model().objects.filter(email="x@y.it").exists()


def test_the_administrator_creates_an_ambito_and_invites_its_ufficio_di_piano(
    client, amministratore, django_capture_on_commit_callbacks
):
    client.force_login(amministratore)

    risposta = client.post(reverse("insediamento:ambiti"), {"nome": "Ambito di Suzzara"})
    ambito = Ambito.objects.get(nome="Ambito di Suzzara")
    assert risposta.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        risposta = client.post(
            reverse("insediamento:invita_ufficio", args=[ambito.pk]),
            {
                f"invito-{ambito.pk}-nome": "Giulia Neri",
                f"invito-{ambito.pk}-email": "Giulia.Neri@suzzara.example",
            },
        )

    assert risposta.status_code == 302
    invitata = get_user_model().objects.get(email="Giulia.Neri@suzzara.example")
    assert (invitata.username, invitata.first_name, invitata.last_name) == (
        "giulia.neri@suzzara.example",
        "Giulia",
        "Neri",
    )
    assert not invitata.has_usable_password()
    assert Operatore.objects.filter(user=invitata, ambito=ambito, ruolo=Ruolo.UFFICIO_DI_PIANO).count() == 1
    assert len(mail.outbox) == 1
    messaggio = mail.outbox[0]
    assert messaggio.to == ["Giulia.Neri@suzzara.example"]
    assert (
        messaggio.subject == "Invito al servizio «Piano annuale dell'offerta abitativa» – Ambito di Suzzara"
    )
    assert "valido 7 giorni e per un solo uso" in messaggio.body
    assert "con il ruolo di ufficio di piano" in messaggio.body

    # The link sets the password and signs the person in; it works once.
    client.logout()
    indirizzo = collegamento(messaggio)
    pagina = client.get(indirizzo, follow=True)
    assert "Scelga la sua password" in pagina.content.decode()
    modulo = pagina.redirect_chain[-1][0]
    risposta = client.post(modulo, {"new_password1": "Suzzara-2027!x", "new_password2": "Suzzara-2027!x"})
    assert risposta.status_code == 302
    invitata.refresh_from_db()
    assert invitata.check_password("Suzzara-2027!x")
    assert client.get(reverse("insediamento:comuni", args=[ambito.pk])).status_code == 200
    client.logout()
    assert "Collegamento non valido" in client.get(indirizzo, follow=True).content.decode()


def test_an_invitation_link_expires(client, amministratore, nuovo, monkeypatch):
    esiti = inviti.invita(
        ambito=nuovo,
        inviti=[inviti.Invito(Ruolo.UFFICIO_DI_PIANO, None, "Giulia Neri", "giulia@suzzara.example")],
        utente=amministratore,
        indirizzo=lambda uid, token: f"http://testserver/invito/{uid}/{token}/",
    )
    assert esiti[0].nuovo_utente
    assert mail.outbox == []  # sent once the transaction commits (the test's never does)
    uid_token = inviti.generatore_inviti.make_token(esiti[0].user)
    assert inviti.generatore_inviti.check_token(esiti[0].user, uid_token)
    dopo = datetime.datetime.now() + datetime.timedelta(days=7, hours=1)
    monkeypatch.setattr(inviti.GeneratoreInviti, "_now", lambda self: dopo)
    assert not inviti.generatore_inviti.check_token(esiti[0].user, uid_token)


def test_a_person_with_a_login_gets_a_new_membership_and_an_email_without_link(
    client, amministratore, nuovo, piano_cremonese, django_capture_on_commit_callbacks
):
    aler_cr = EnteProprietario.objects.get(ambito=piano_cremonese.ambito, tipo=TipoEnte.ALER)
    funzionario = crea_operatore(
        "aler.cr", piano_cremonese.ambito, Ruolo.ALER, aler_cr, email="aler@bcm.example"
    )
    territorio.aggiungi_comuni(ambito=nuovo, codici=["020065"], utente=amministratore)
    aler = EnteProprietario.objects.create(
        ambito=nuovo,
        tipo=TipoEnte.ALER,
        denominazione="ALER Brescia-Cremona-Mantova",
        uog="U.O.G. di Mantova",
    )

    with django_capture_on_commit_callbacks(execute=True):
        esiti = inviti.invita(
            ambito=nuovo,
            inviti=inviti.inviti_da_righe(nuovo, [["ALER", "Paolo Galli", "ALER@bcm.example"]]),
            utente=amministratore,
            indirizzo=lambda uid, token: f"http://testserver/invito/{uid}/{token}/",
        )

    assert (esiti[0].user, esiti[0].nuovo_utente) == (funzionario, False)
    assert set(Operatore.objects.filter(user=funzionario).values_list("ambito_id", "ente_id")) == {
        (piano_cremonese.ambito_id, aler_cr.pk),
        (nuovo.pk, aler.pk),
    }
    assert funzionario.check_password("Prova-ruoli-2025")
    assert len(mail.outbox) == 1
    assert "/invito/" not in mail.outbox[0].body
    assert "Acceda con il nome utente e la password che già usa (aler.cr)" in mail.outbox[0].body


def test_every_step_opens_for_the_ambitos_ufficio_and_the_administrator(
    client, amministratore, ufficio, nuovo
):
    for utente in (ufficio, amministratore):
        client.force_login(utente)
        for passo in PASSI:
            risposta = client.get(reverse(f"insediamento:{passo}", args=[nuovo.pk]))
            assert risposta.status_code == 200, (utente, passo)
            assert 'aria-current="step"' in risposta.content.decode()


def test_another_ambitos_ufficio_gets_404_and_a_comune_operator_403_and_nothing_changes(
    client, nuovo, ufficio, piano_cremonese
):
    cremonese = piano_cremonese.ambito
    altro_ufficio = crea_operatore("ufficio.cr", cremonese, Ruolo.UFFICIO_DI_PIANO)
    comune = crea_operatore(
        "comune.cr", cremonese, Ruolo.COMUNE, EnteProprietario.objects.get(comune__nome="Cremona")
    )
    comune_nuovo = crea_operatore(
        "comune.nuovo", nuovo, Ruolo.COMUNE, EnteProprietario.objects.filter(ambito=cremonese).first()
    )
    richieste = [
        ("comuni", {"azione": "elenco", "elenco": "Suzzara"}),
        ("aggregazioni", {"azione": "nuova", "denominazione": "Nord"}),
        ("enti", {"azione": "operatore", "denominazione": "Cooperativa"}),
        ("operatori", {"azione": "invita", "elenco": "ufficio di piano; Mario Rossi; mario@example.org"}),
        ("piano", {"azione": "apri", "anno": "2027", "data_popolazione": "2026-01-01"}),
    ]
    for utente, atteso in ((altro_ufficio, 404), (comune, 403), (comune_nuovo, 403)):
        client.force_login(utente)
        for passo, dati in richieste:
            indirizzo = reverse(f"insediamento:{passo}", args=[nuovo.pk])
            assert client.get(indirizzo).status_code == atteso, (utente, passo)
            assert client.post(indirizzo, dati).status_code == atteso, (utente, passo)
    assert not Comune.objects.filter(ambito=nuovo).exists()
    assert not AggregazioneTerritoriale.objects.filter(ambito=nuovo).exists()
    assert not EnteProprietario.objects.filter(ambito=nuovo).exists()
    assert set(Operatore.objects.filter(ambito=nuovo).values_list("user__username", flat=True)) == {
        "ufficio.suzzara",
        "comune.nuovo",
    }
    assert not PianoAnnuale.objects.filter(ambito=nuovo).exists()
    assert mail.outbox == []


def test_the_ufficio_completes_the_steps_through_the_pages(
    client, ufficio, nuovo, django_capture_on_commit_callbacks
):
    client.force_login(ufficio)
    url = {passo: reverse(f"insediamento:{passo}", args=[nuovo.pk]) for passo in PASSI}

    risposta = client.get(url["comuni"], {"q": "suzz"})
    assert "Suzzara" in risposta.content.decode()
    assert client.post(url["comuni"], {"azione": "aggiungi", "codice": "020065"}).status_code == 302
    risposta = client.post(url["comuni"], {"azione": "elenco", "elenco": "Gonzaga\nAtlantide"})
    assert risposta.status_code == 400
    assert "«Atlantide»: nessun comune lombardo ha questo nome" in risposta.content.decode()
    assert Comune.objects.filter(ambito=nuovo).count() == 1
    client.post(url["comuni"], {"azione": "elenco", "elenco": "Gonzaga\n020035\nPegognaga"})
    suzzara = Comune.objects.get(codice_istat="020065")
    client.post(
        url["comuni"], {"azione": "capofila", "comune_capofila": suzzara.pk, "ente_strumentale": "Consorzio"}
    )
    assert Comune.objects.filter(ambito=nuovo).count() == 4

    client.post(url["aggregazioni"], {"azione": "termine", "termine_aggregazioni": "sub-ambito"})
    client.post(url["aggregazioni"], {"azione": "nuova", "denominazione": "Nord"})
    file = SimpleUploadedFile("aggregazioni.csv", b"Suzzara;Nord\nGonzaga;Sud\nMoglia;Sud\nPegognaga;1\n")
    assert client.post(url["aggregazioni"], {"azione": "file", "file": file}).status_code == 302
    nuovo.refresh_from_db()
    assert nuovo.termine_aggregazioni == "sub-ambito"
    assert dict(Comune.objects.filter(ambito=nuovo).values_list("nome", "aggregazione__denominazione")) == {
        "Suzzara": "Nord",
        "Pegognaga": "Nord",
        "Gonzaga": "Sud",
        "Moglia": "Sud",
    }

    client.post(url["enti"], {"azione": "aler", "aler": "ALER Brescia-Cremona-Mantova|U.O.G. di Mantova"})
    aler = EnteProprietario.objects.get(ambito=nuovo, tipo=TipoEnte.ALER)
    moglia = EnteProprietario.objects.get(comune__nome="Moglia")
    client.post(url["enti"], {"azione": "gestori", f"gestore_{moglia.pk}": aler.pk})
    moglia.refresh_from_db()
    assert moglia.gestore == aler

    with django_capture_on_commit_callbacks(execute=True):
        risposta = client.post(
            url["operatori"],
            {
                "azione": "invita",
                "elenco": "Suzzara; Marco Bianchi; m.bianchi@suzzara.example\n"
                "ALER Brescia-Cremona-Mantova\tPaola Verdi\tp.verdi@bcm.example\n"
                "assemblea; Anna Conti; sindaco@gonzaga.example",
            },
        )
    assert risposta.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == [
        "m.bianchi@suzzara.example",
        "p.verdi@bcm.example",
        "sindaco@gonzaga.example",
    ]
    ruoli = dict(Operatore.objects.filter(ambito=nuovo).values_list("user__email", "ruolo"))
    assert ruoli["m.bianchi@suzzara.example"] == Ruolo.COMUNE
    assert ruoli["p.verdi@bcm.example"] == Ruolo.ALER
    assert ruoli["sindaco@gonzaga.example"] == Ruolo.ASSEMBLEA
    risposta = client.post(
        url["operatori"], {"azione": "email_enti", f"email_ente_{aler.pk}": "non-un-indirizzo"}
    )
    assert (
        "«non-un-indirizzo» non è un indirizzo e-mail valido."
        in client.get(url["operatori"]).content.decode()
    )
    aler.refresh_from_db()
    assert aler.email == ""

    risposta = client.post(
        url["piano"],
        {
            "azione": "apri",
            "anno": "2027",
            "data_popolazione": "2023-01-01",
            "scadenza_ricognizione": "2027-02-15",
        },
    )
    assert risposta.status_code == 302
    piano = PianoAnnuale.objects.get(ambito=nuovo, anno=2027)
    assert (piano.stato, piano.scadenza_ricognizione) == (StatoPiano.RICOGNIZIONE, datetime.date(2027, 2, 15))
    pagina = client.get(url["piano"]).content.decode()
    assert "Date del piano 2027" in pagina
    assert "ISTAT, popolazione residente al 1° gennaio 2023 (4 comuni)" in pagina
    documento = client.get(reverse("piano_annuale:piano_detail", args=[piano.pk])).content.decode()
    assert "Fonte: ISTAT, popolazione residente al 1° gennaio 2023." in documento
    for passo in PASSI:
        assert (
            f'class="fatto"><a href="{url[passo]}"' in client.get(url["comuni"]).content.decode()
            or passo == "comuni"
        )


def test_a_pending_invitation_is_sent_again_and_a_membership_removed_with_its_history(
    client, ufficio, nuovo, amministratore, django_capture_on_commit_callbacks
):
    territorio.aggiungi_comuni(ambito=nuovo, codici=["020065"], utente=amministratore)
    with django_capture_on_commit_callbacks(execute=True):
        esiti = inviti.invita(
            ambito=nuovo,
            inviti=inviti.inviti_da_righe(nuovo, [["Suzzara", "Marco Bianchi", "m.bianchi@suzzara.example"]]),
            utente=amministratore,
            indirizzo=lambda uid, token: f"http://testserver/invito/{uid}/{token}/",
        )
    operatore = esiti[0].operatore
    client.force_login(ufficio)
    indirizzo = reverse("insediamento:operatori", args=[nuovo.pk])

    with django_capture_on_commit_callbacks(execute=True):
        client.post(indirizzo, {"azione": "operatore", "reinvia": operatore.pk})
    assert [m.to for m in mail.outbox] == [["m.bianchi@suzzara.example"]] * 2
    assert "/invito/" in str(mail.outbox[1].body)
    proprio = Operatore.objects.get(user=ufficio, ambito=nuovo)
    client.post(indirizzo, {"azione": "operatore", "revoca": proprio.pk})
    assert Operatore.objects.filter(pk=proprio.pk).exists()  # nobody removes their own role
    client.post(indirizzo, {"azione": "operatore", "revoca": operatore.pk})

    assert not Operatore.objects.filter(pk=operatore.pk).exists()
    assert get_user_model().objects.filter(email="m.bianchi@suzzara.example").exists()
    assert (
        Modifica.objects.filter(
            modello="patrimonio.operatore", oggetto_id=operatore.pk, azione="eliminazione"
        ).count()
        == 1
    )
