"""The plan page's body is rendered once per revision and set of the reader's roles, its sections once
per content of the computed plan (issue 17): what changes it shows at once, each reader gets the body
of their roles, and its forms carry the request's own CSRF token."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from patrimonio.models import Ruolo, UnitaAbitativa
from piano_annuale.calcolo import SEGNAPOSTO_CSRF
from piano_annuale.models import Stato, StatoPiano
from piano_annuale.services import iter as servizi_iter
from piano_annuale.views import piano as piano_views
from tests.percorso import Ambito, crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a  # noqa: F401
from tests.utenti import crea_operatore, hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media")


@pytest.fixture
def a(db) -> Ambito:
    return crea_ambito_con_utenti(nome="Ambito della pagina in cache", prefisso_istat="082")


def pagina(client: Client, a: Ambito) -> str:
    risposta = client.get(reverse("piano_annuale:piano_detail", args=[a.piano.pk]))
    assert risposta.status_code == 200
    return risposta.content.decode()


def test_an_observation_of_aler_and_its_answer_show_at_once_on_the_cached_page(client, a, pdf_veloce):
    piano = porta_a(a, StatoPiano.INVIATA_ALER)
    client.force_login(a.ufficio)
    assert "Osservazioni di ALER" not in pagina(client, a)
    assert "Osservazioni di ALER" not in pagina(client, a)  # read back
    osservazione = servizi_iter.aggiungi_osservazione(
        piano=piano, utente=a.operatore_aler, sezione="b", testo="Mancano due alloggi di via Roma."
    )
    dopo = pagina(client, a)
    assert "Mancano due alloggi di via Roma." in dopo
    assert "1 osservazione di ALER attende la risposta dell'ufficio di piano" in dopo
    servizi_iter.rispondi_osservazione(osservazione=osservazione, utente=a.ufficio, risposta="Aggiunti.")
    risposto = pagina(client, a)
    assert "Risposta dell'ufficio di piano" in risposto and "Aggiunti." in risposto
    assert "attende la risposta" not in risposto


def test_each_set_of_roles_gets_its_own_body(client, a, pdf_veloce):
    porta_a(a, StatoPiano.TRASMESSA_ASSEMBLEA)
    client.force_login(a.ufficio)
    ufficio = pagina(client, a)
    client.force_login(a.sindaco)
    sindaco = pagina(client, a)
    client.force_login(a.ufficio)
    assert _senza_token(pagina(client, a)) == _senza_token(ufficio)  # its own body, read back
    assert "Testi del piano" in ufficio and "Testi del piano" not in sindaco
    assert 'id="controlli"' in ufficio and 'id="controlli"' not in sindaco


def _senza_token(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _token(html: str) -> str:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[0]


def test_the_cached_body_carries_each_request_s_own_csrf_token_and_its_form_posts(a, pdf_veloce):
    secondo = crea_operatore("ufficio.secondo", a.piano.ambito, Ruolo.UFFICIO_DI_PIANO)
    primo_client, secondo_client = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    primo_client.force_login(a.ufficio)
    secondo_client.force_login(secondo)
    rese: list[str] = []
    originale = piano_views.render_to_string

    def conta(nome: str, *args: object, **kwargs: object) -> str:
        rese.append(nome)
        return originale(nome, *args, **kwargs)  # type: ignore[arg-type]

    primo = pagina(primo_client, a)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(piano_views, "render_to_string", conta)
        secondo_html = pagina(secondo_client, a)
    assert rese == []  # the same roles: the body the first reader had rendered
    assert SEGNAPOSTO_CSRF not in primo + secondo_html
    token = _token(secondo_html)
    assert token != _token(primo)
    # The «Documento PDF» form of the cached body posts with the token it carries.
    risposta = secondo_client.post(
        reverse("piano_annuale:piano_pdf", args=[a.piano.pk]), {"csrfmiddlewaretoken": token}
    )
    assert risposta.status_code in (200, 302)
    rifiutata = secondo_client.post(
        reverse("piano_annuale:piano_pdf", args=[a.piano.pk]),
        {"csrfmiddlewaretoken": SEGNAPOSTO_CSRF},
    )
    assert rifiutata.status_code == 403


def test_a_write_that_changes_no_figure_renders_the_sections_once_and_the_next_figure_anew(client, a):
    """The sections are keyed by the computed plan's content: a unit's address, which the plan does not
    print, leaves them as they were; its state, which moves a total, renders them again."""
    piano, ente = a.piano, a.ente_comune
    riapri_per_il_test(piano, ente)
    unita = UnitaAbitativa.objects.filter(ente=ente, stati__piano=piano, stati__stato=Stato.LIBERA).order_by(
        "pk"
    )[0]
    rese: list[str] = []
    originale = piano_views.render_to_string

    def conta(nome: str, *args: object, **kwargs: object) -> str:
        rese.append(nome)
        return originale(nome, *args, **kwargs)  # type: ignore[arg-type]

    def salva(indirizzo: str, stato: str) -> None:
        client.force_login(a.operatore_comune)
        risposta = client.post(
            reverse("patrimonio:unita_modifica", args=[piano.pk, ente.pk, unita.pk]),
            {
                "id_regionale": unita.id_regionale or "",
                "codice_ente": unita.codice_ente,
                "comune": str(unita.comune_id),
                "tipo": unita.tipo,
                "indirizzo": indirizzo,
                "stato": stato,
                "programma": "",
                "note": "",
            },
        )
        assert risposta.status_code == 302
        client.force_login(a.ufficio)

    totale_b = '<tr class="totale"><td colspan="2">Totale</td><td class="n">{}</td></tr>'
    client.force_login(a.ufficio)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(piano_views, "render_to_string", conta)
        assert totale_b.format(16) in pagina(client, a)
        salva("Via dell'impronta 2", Stato.LIBERA)
        assert totale_b.format(16) in pagina(client, a)
        assert UnitaAbitativa.objects.get(pk=unita.pk).indirizzo == "Via dell'impronta 2"
        # The workflow panel follows the revision; the sections are the ones rendered before.
        assert rese == [
            "piano_annuale/pagina/_contenuto.html",
            "piano_annuale/pagina/_pagina.html",
            "piano_annuale/pagina/_pagina.html",
        ]
        salva("Via dell'impronta 2", Stato.CARENZA_MANUTENTIVA)
        dopo = pagina(client, a)
    assert rese[3:] == ["piano_annuale/pagina/_contenuto.html", "piano_annuale/pagina/_pagina.html"]
    assert totale_b.format(17) in dopo and totale_b.format(16) not in dopo
