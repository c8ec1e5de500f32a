"""ALER reviews inside the document (issue 14, point 5): the home page tells ALER a parere is awaited;
ALER writes observations from the plan page, beside the section they concern, several at once; the
ufficio di piano answers them in the same place; the version comparison shows the answers."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from piano_annuale.models import OsservazioneAler, PianoAnnuale, SezionePiano, StatoPiano, VersionePiano
from piano_annuale.services import iter as mosse
from piano_annuale.services.errori import OperazioneNonValida
from tests.percorso import crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a
from tests.utenti import hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media")
__all__ = ["fixture_media", "fixture_pdf_veloce"]  # fixtures, used by name


@pytest.fixture
def a(db, pdf_veloce):
    ambito = crea_ambito_con_utenti()
    porta_a(ambito, StatoPiano.INVIATA_ALER)
    return ambito


def url(nome: str, piano: PianoAnnuale, *altri: int) -> str:
    return reverse(f"piano_annuale:{nome}", args=[piano.pk, *altri])


def html_di(risposta) -> str:
    """The page's HTML with entities decoded and spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(risposta.content.decode()))


def messaggi(risposta) -> list[str]:
    return [str(m) for m in risposta.context["messages"]] if risposta.context else []


def test_the_home_page_tells_aler_its_parere_is_awaited(client, a):
    client.force_login(a.operatore_aler)
    pagina = html_di(client.get(reverse("piano_annuale:home")))
    assert "Un piano attende il parere di ALER" in pagina
    oggi = timezone.localdate()
    giorno = f"{oggi.day}°" if oggi.day == 1 else str(oggi.day)
    assert f"Piano {a.piano.anno} – Ambito dell'iter, inviato il {giorno} " in pagina
    assert (
        f'href="{url("piano_detail", a.piano)}#osservazioni-aler">leggi la bozza e scrivi le osservazioni'
        in pagina
    )
    assert f'href="{url("iter_piano", a.piano)}#parere">esprimi il parere' in pagina

    # Nobody else is told; nor is ALER once its parere is given.
    for utente in (a.ufficio, a.operatore_comune, a.sindaco):
        client.force_login(utente)
        assert "attende il parere di ALER" not in html_di(client.get(reverse("piano_annuale:home")))
    mosse.esprimi_parere(
        piano=a.piano, utente=a.operatore_aler, esito="favorevole", testo="", data=timezone.localdate()
    )
    client.force_login(a.operatore_aler)
    assert "attende il parere di ALER" not in html_di(client.get(reverse("piano_annuale:home")))


def test_the_plan_page_gives_aler_a_field_beside_each_section(client, a):
    client.force_login(a.operatore_aler)
    pagina = html_di(client.get(url("piano_detail", a.piano)))
    assert '<form id="modulo-osservazioni-aler" method="post"' in pagina
    assert f'action="{url("osservazioni_pagina", a.piano)}"' in pagina
    # One block per section present in the plan, named for iter.js to move it beside the section.
    assert 'id="osservazioni-a" data-sezione-ancora="a"' in pagina
    assert 'id="osservazioni-allegato_b" data-sezione-ancora="allegato-b"' in pagina
    assert 'id="osservazioni-generale">' in pagina  # the plan as a whole stays in the panel
    assert 'data-sezione-ancora="dbis"' not in pagina  # not a part of a 2025 plan
    assert re.search(r'<textarea name="testo_e" [^>]*form="modulo-osservazioni-aler"', pagina)
    assert "Osservazione su «e) Unità abitative libere e turn-over" in pagina or "Osservazione su «" in pagina
    assert "piano_annuale/iter.js" in pagina


def test_aler_registers_several_observations_at_once_in_the_sections_order(client, a):
    client.force_login(a.operatore_aler)
    risposta = client.post(
        url("osservazioni_pagina", a.piano),
        {
            "testo_k": "Le assegnazioni 2024 di Soresina non tornano.",
            "testo_generale": "Nel complesso il piano è chiaro.",
            "testo_a": "Manca la consistenza SAS di ALER.",
            "testo_e": "   ",
        },
        follow=True,
    )
    assert risposta.redirect_chain[-1][0] == url("piano_detail", a.piano) + "#osservazioni-aler"
    assert "3 osservazioni registrate." in messaggi(risposta)
    versione = VersionePiano.objects.get(piano=a.piano)
    assert list(
        OsservazioneAler.objects.order_by("pk").values_list("sezione", "testo", "versione", "autore")
    ) == [
        (SezionePiano.GENERALE, "Nel complesso il piano è chiaro.", versione.pk, a.operatore_aler.pk),
        (SezionePiano.A, "Manca la consistenza SAS di ALER.", versione.pk, a.operatore_aler.pk),
        (SezionePiano.K, "Le assegnazioni 2024 di Soresina non tornano.", versione.pk, a.operatore_aler.pk),
    ]
    pagina = html_di(risposta)
    assert "Manca la consistenza SAS di ALER." in pagina
    assert "In attesa della risposta dell'ufficio di piano." in pagina
    assert "Ritira l'osservazione" in pagina

    risposta = client.post(url("osservazioni_pagina", a.piano), {"testo_b": "Una sola."}, follow=True)
    assert "1 osservazione registrata." in messaggi(risposta)


def test_nothing_written_registers_nothing(client, a):
    client.force_login(a.operatore_aler)
    risposta = client.post(url("osservazioni_pagina", a.piano), {"testo_a": " ", "testo_b": ""}, follow=True)
    assert "Scrivere il testo di almeno un'osservazione." in messaggi(risposta)
    assert not OsservazioneAler.objects.exists()


def test_observations_are_written_all_or_none(a):
    with pytest.raises(OperazioneNonValida, match="Scegliere la sezione"):
        mosse.aggiungi_osservazioni(
            piano=a.piano, utente=a.operatore_aler, testi={"a": "Valida.", "sezione_inesistente": "No."}
        )
    assert not OsservazioneAler.objects.exists()


@pytest.mark.parametrize("chi", ["ufficio", "operatore_comune", "sindaco", "ufficio_altro_ambito"])
def test_only_aler_writes_observations_from_the_plan_page(client, a, chi):
    client.force_login(getattr(a, chi))
    risposta = client.post(url("osservazioni_pagina", a.piano), {"testo_a": "Non sono ALER."})
    assert risposta.status_code == 404
    assert not OsservazioneAler.objects.exists()


def test_the_ufficio_answers_on_the_plan_page_and_comes_back_there(client, a):
    osservazione, *_ = mosse.aggiungi_osservazioni(
        piano=a.piano, utente=a.operatore_aler, testi={"a": "Manca la consistenza SAS di ALER."}
    )
    mosse.esprimi_parere(
        piano=a.piano,
        utente=a.operatore_aler,
        esito="con_osservazioni",
        testo="Favorevole, viste le osservazioni.",
        data=timezone.localdate(),
    )
    client.force_login(a.ufficio)
    pagina = html_di(client.get(url("piano_detail", a.piano)))
    assert "1 osservazione di ALER attende la risposta dell'ufficio di piano" in pagina
    assert f'action="{url("osservazione_risposta", a.piano, osservazione.pk)}"' in pagina
    assert '<input type="hidden" name="ritorno" value="pagina">' in pagina
    assert "modulo-osservazioni-aler" not in pagina  # the ufficio does not write observations

    risposta = client.post(
        url("osservazione_risposta", a.piano, osservazione.pk),
        {
            f"o{osservazione.pk}-risposta": "Aggiunta la consistenza SAS dichiarata da ALER.",
            "ritorno": "pagina",
        },
    )
    assert risposta["Location"] == url("piano_detail", a.piano) + f"#osservazione-{osservazione.pk}"
    osservazione.refresh_from_db()
    assert (osservazione.risposta, osservazione.risposta_di) == (
        "Aggiunta la consistenza SAS dichiarata da ALER.",
        a.ufficio,
    )
    assert osservazione.risposta_il is not None

    # ALER reads the answer where it wrote, and can no longer write once its parere is given.
    client.force_login(a.operatore_aler)
    pagina = html_di(client.get(url("piano_detail", a.piano)))
    assert "Aggiunta la consistenza SAS dichiarata da ALER." in pagina
    assert "Risposta dell'ufficio di piano" in pagina
    assert "modulo-osservazioni-aler" not in pagina
    assert "Ritira l'osservazione" not in pagina


def test_readers_other_than_aler_and_the_ufficio_see_no_observation_block(client, a, pdf_veloce):
    mosse.aggiungi_osservazioni(piano=a.piano, utente=a.operatore_aler, testi={"a": "Osservazione."})
    mosse.esprimi_parere(
        piano=a.piano, utente=a.operatore_aler, esito="favorevole", testo="", data=timezone.localdate()
    )
    OsservazioneAler.objects.update(risposta="Risposta.", risposta_di=a.ufficio, risposta_il=timezone.now())
    mosse.trasmetti_all_assemblea(piano=a.piano, utente=a.ufficio)
    client.force_login(a.sindaco)
    pagina = html_di(client.get(url("piano_detail", a.piano)))
    assert 'id="osservazioni-aler"' not in pagina


def test_the_version_comparison_shows_the_answers(client, a):
    osservazione, *_ = mosse.aggiungi_osservazioni(
        piano=a.piano, utente=a.operatore_aler, testi={"k": "Le assegnazioni 2024 non tornano."}
    )
    mosse.rispondi_osservazione(osservazione=osservazione, utente=a.ufficio, risposta="Corrette nella bozza.")
    versione = VersionePiano.objects.get(piano=a.piano)
    client.force_login(a.ufficio)
    pagina = html_di(client.get(url("confronto_versioni", a.piano), {"da": versione.pk, "a": "corrente"}))
    assert "Osservazioni di ALER e risposte dell'ufficio di piano" in pagina
    assert "Le assegnazioni 2024 non tornano." in pagina
    assert "osservazione non ancora scritta" in pagina  # version 1 was frozen before ALER wrote it
    assert "Corrette nella bozza." in pagina
    assert "risposta nuova" in pagina
