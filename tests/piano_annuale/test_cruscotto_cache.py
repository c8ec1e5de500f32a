"""The ricognizione dashboard's table is rendered once per state of what it shows (issue 17).

A warm page reads the plan (with its access and cache key) and the answers' shown columns, nothing
else; every write that changes what the table shows (an answer sent, a unit's state, an ente's name,
an answer saved without a change, a user's name) shows at once; each filter has its own table; the
«promemoria» form, with this request's CSRF token, is never cached.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patrimonio.models import EnteProprietario, UnitaAbitativa
from piano_annuale.models import PianoAnnuale, Stato, StatoPiano, StatoRisposta
from piano_annuale.services.ente import invia_risposta, riapri_risposta, salva_scelte, salva_unita
from piano_annuale.storico import Scrittura
from tests.percorso import Ambito, crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a  # noqa: F401
from tests.utenti import hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media")


@pytest.fixture
def a(db) -> Ambito:
    """4 comuni (each 3 units: free, carenza, renovation; 1 turnover) and ALER, every answer sent."""
    return crea_ambito_con_utenti(nome="Ambito del cruscotto", prefisso_istat="071")


def cruscotto(piano: PianoAnnuale, parametri: str = "") -> str:
    return reverse("piano_annuale:cruscotto", args=[piano.pk]) + parametri


def pagina(client: Client, piano: PianoAnnuale, parametri: str = "") -> str:
    risposta = client.get(cruscotto(piano, parametri))
    assert risposta.status_code == 200
    return risposta.content.decode()


def riga_di(testo: str, denominazione: str) -> str:
    """The table row of one ente, as HTML."""
    righe = [riga for riga in testo.split("<tr") if f">{denominazione}</a>" in riga]
    assert len(righe) == 1, f"{len(righe)} righe per {denominazione}"
    return righe[0].split("</tr>")[0]


def unita_della_riga(riga: str) -> list[str]:
    """Free, turnover, carenza, renovated and new, conferite, total: the row's unit columns."""
    return re.findall(r'<td class="text-end[^"]*">([^<]*)</td>', riga)


def tabelle_lette(contesto: CaptureQueriesContext) -> set[str]:
    """The tables the queries read from (joined ones aside: the header's role joins the enti)."""
    return {t for q in contesto.captured_queries for t in re.findall(r'FROM "(\w+)"', q["sql"])}


def contenuto(testo: str) -> str:
    """The page from its counts to its table's end (the header has a form with its own token)."""
    parte = testo[testo.index('<div class="row g-3 mb-4">') : testo.index("</table>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", parte)


def test_a_warm_page_reads_the_plan_and_the_answers_and_nothing_else(client, a, django_assert_num_queries):
    client.force_login(a.ufficio)
    freddo = pagina(client, a.piano)
    # Session, user, the memberships the access rules read (the header lists them too), the plan with its
    # access and key, the answers' shown columns, the header's latest plan.
    with django_assert_num_queries(6) as contesto:
        caldo = pagina(client, a.piano)
    assert contenuto(caldo) == contenuto(freddo)
    lette = tabelle_lette(contesto)
    assert "patrimonio_enteproprietario" not in lette
    assert "ambito_aggregazioneterritoriale" not in lette
    assert "piano_annuale_versionepiano" in lette  # the approved version, in the plan's own query


def test_an_answer_reopened_and_sent_again_shows_at_once(client, a):
    ente = a.ente_comune
    client.force_login(a.ufficio)
    assert "Inviata" in riga_di(pagina(client, a.piano), ente.denominazione)
    assert "5 enti, di cui 5 hanno risposto." in pagina(client, a.piano)

    riapri_risposta(piano=a.piano, ente=ente, utente=a.ufficio)
    testo = pagina(client, a.piano)
    assert "Riaperta dall&#x27;ufficio di piano" in riga_di(testo, ente.denominazione)
    assert "5 enti, di cui 4 hanno risposto." in testo
    assert "(3 su 4)" in testo  # the comuni that answered, as the plan counts them

    invia_risposta(piano=a.piano, ente=ente, utente=a.operatore_comune)
    testo = pagina(client, a.piano)
    assert "Inviata" in riga_di(testo, ente.denominazione)
    assert "5 enti, di cui 5 hanno risposto." in testo
    assert "(4 su 4)" in testo


def test_a_units_new_state_shows_its_units_and_anomaly_at_once(client, a):
    ente = a.ente_comune
    riapri_risposta(piano=a.piano, ente=ente, utente=a.ufficio)
    client.force_login(a.ufficio)
    riga = riga_di(pagina(client, a.piano), ente.denominazione)
    assert unita_della_riga(riga) == ["1", "1", "1", "1", "0", "4"]
    # R01: it has units and has not answered (its answer reopened).
    assert "1 avviso" in riga and "error" not in riga

    in_carenza = UnitaAbitativa.objects.get(
        ente=ente, stati__piano=a.piano, stati__stato=Stato.CARENZA_MANUTENTIVA
    )
    # Free now, and without its regional id: a warning (U03) for the ente.
    salva_unita(
        piano=a.piano,
        ente=ente,
        utente=a.operatore_comune,
        valori_unita={"id_regionale": None},
        valori_stato={"stato": Stato.LIBERA, "programma": ""},
        unita=in_carenza,
    )
    riga = riga_di(pagina(client, a.piano), ente.denominazione)
    assert unita_della_riga(riga) == ["2", "1", "0", "1", "0", "4"]
    assert "2 avvisi" in riga


def test_an_ente_renamed_shows_its_new_name_at_once(client, a):
    client.force_login(a.ufficio)
    assert "Comune Comune di prova 071-1" in pagina(client, a.piano)
    ente = EnteProprietario.objects.get(pk=a.ente_comune.pk)
    # As the admin records a change (ConStorico).
    with Scrittura(utente=a.ufficio, origine="prova") as scrittura:
        scrittura.osserva_oggetti([ente])
        ente.denominazione = "Comune di Borgo Rinominato"
        ente.save()
    testo = pagina(client, a.piano)
    assert "Borgo Rinominato</a>" in riga_di(testo, "Comune di Borgo Rinominato")
    assert "Comune Comune di prova 071-1" not in testo


def test_an_answer_saved_without_a_change_shows_who_saved_it_at_once(client, a):
    """Saving unchanged choices records no change (the plan's revision stays) but moves the answer's
    last change: the table is keyed by the answers' columns too."""
    ente = a.ente_comune
    riapri_risposta(piano=a.piano, ente=ente, utente=a.ufficio)
    a.ufficio.first_name, a.ufficio.last_name = "Ugo", "Ufficio"
    a.ufficio.save()
    a.operatore_comune.first_name, a.operatore_comune.last_name = "Carla", "Comunale"
    a.operatore_comune.save()
    scelte = {"quota_forze_polizia": 5}
    salva_scelte(piano=a.piano, ente=ente, utente=a.ufficio, valori=scelte)
    client.force_login(a.ufficio)
    assert "Ugo Ufficio" in riga_di(pagina(client, a.piano), ente.denominazione)
    revisione = PianoAnnuale.objects.values_list("revisione", flat=True).get(pk=a.piano.pk)

    salva_scelte(piano=a.piano, ente=ente, utente=a.operatore_comune, valori=scelte)

    assert PianoAnnuale.objects.values_list("revisione", flat=True).get(pk=a.piano.pk) == revisione
    riga = riga_di(pagina(client, a.piano), ente.denominazione)
    assert "Carla Comunale" in riga
    assert "Ugo Ufficio" not in riga


def test_a_users_new_name_shows_at_once(client, a):
    """A user's name is not in the history: no revision follows it, the answers' columns do."""
    ente = a.ente_comune
    riapri_risposta(piano=a.piano, ente=ente, utente=a.ufficio)
    client.force_login(a.ufficio)
    assert a.ufficio.username in riga_di(pagina(client, a.piano), ente.denominazione)
    User.objects.filter(pk=a.ufficio.pk).update(first_name="Renata", last_name="Rinominata")
    riga = riga_di(pagina(client, a.piano), ente.denominazione)
    assert "Renata Rinominata" in riga


def test_each_filter_has_its_own_table(client, a):
    riapri_risposta(piano=a.piano, ente=a.ente_comune, utente=a.ufficio)
    client.force_login(a.ufficio)
    tutti = pagina(client, a.piano)
    assert "5 enti, di cui 4 hanno risposto." in tutti
    riaperte = pagina(client, a.piano, f"?stato={StatoRisposta.RIAPERTA}")
    assert "1 ente selezionato, di cui 0 hanno risposto." in riaperte
    assert f'<option value="{StatoRisposta.RIAPERTA}" selected>' in riaperte
    assert riga_di(riaperte, a.ente_comune.denominazione)
    # The builder puts comune n in aggregazione n % 4 + 1: comune 1 in zona 2.
    zona = pagina(client, a.piano, "?aggregazione=2")
    assert "1 ente selezionato, di cui 0 hanno risposto." in zona
    assert '<option value="2" selected>' in zona
    assert "Nessun ente corrisponde ai filtri scelti." in pagina(
        client, a.piano, f"?aggregazione=3&stato={StatoRisposta.RIAPERTA}"
    )
    # Read again, each from the cache, each its own.
    assert contenuto(pagina(client, a.piano)) == contenuto(tutti)
    assert contenuto(pagina(client, a.piano, "?aggregazione=02")) == contenuto(zona)
    # Not a number: the whole ambito.
    assert contenuto(pagina(client, a.piano, "?aggregazione=²")) == contenuto(tutti)


def token_del_promemoria(testo: str, piano: PianoAnnuale) -> str:
    indirizzo = reverse("piano_annuale:promemoria", args=[piano.pk])
    moduli = re.findall(
        rf'action="{indirizzo}">\s*<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"', testo
    )
    assert len(moduli) == 1
    return moduli[0]


def test_the_reminder_form_of_a_cached_page_posts_with_its_own_token(a):
    primo, secondo = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    primo.force_login(a.ufficio)
    secondo.force_login(a.ufficio)
    token_del_primo = token_del_promemoria(pagina(primo, a.piano), a.piano)  # renders and caches the table
    with CaptureQueriesContext(connection) as contesto:
        testo = pagina(secondo, a.piano)
    assert "patrimonio_enteproprietario" not in tabelle_lette(contesto)  # the cached table
    token = token_del_promemoria(testo, a.piano)
    assert token != token_del_primo
    risposta = secondo.post(
        reverse("piano_annuale:promemoria", args=[a.piano.pk]), {"csrfmiddlewaretoken": token}, follow=True
    )
    assert risposta.status_code == 200
    assert risposta.redirect_chain == [(cruscotto(a.piano), 302)]
    # Every ente answered: the message of this request, shown once, beside the cached table.
    messaggio = "Nessun promemoria inviato: non ci sono enti senza risposta con un indirizzo e-mail."
    assert messaggio in risposta.content.decode()
    assert messaggio not in pagina(secondo, a.piano)


def test_a_closed_ricognizione_shows_no_reminder_form(client, a, pdf_veloce):
    client.force_login(a.ufficio)
    assert "Invia un promemoria" in pagina(client, a.piano)
    inviato = porta_a(a, StatoPiano.INVIATA_ALER)
    assert "Invia un promemoria" not in pagina(client, inviato)


def test_an_approved_plans_table_follows_the_registry_though_its_revision_stays(client, a, pdf_veloce):
    approvato = porta_a(a, StatoPiano.APPROVATA)
    client.force_login(a.ufficio)
    assert "Comune Comune di prova 071-1" in pagina(client, approvato)
    ente = EnteProprietario.objects.get(pk=a.ente_comune.pk)
    with Scrittura(utente=a.ufficio, origine="prova") as scrittura:
        scrittura.osserva_oggetti([ente])
        ente.denominazione = "Comune di Borgo Rinominato"
        ente.save()
    assert "Borgo Rinominato</a>" in pagina(client, approvato)
