"""The ufficio di piano's plan page and the plan as JSON: content, access, cost."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patrimonio.models import EnteProprietario, Operatore, Ruolo
from tests.builders import crea_ambito


def operatore(username: str, ambito, ruolo: str, ente=None):
    user = get_user_model().objects.create_user(username=username, password="x")
    Operatore.objects.create(user=user, ambito=ambito, ruolo=ruolo, ente=ente)
    return user


@pytest.fixture
def ufficio(piano_cremonese):
    return operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)


def test_anonymous_visitor_is_sent_to_login(client, piano_cremonese):
    url = reverse("piano_annuale:piano_detail", args=[piano_cremonese.pk])
    risposta = client.get(url)
    assert risposta.status_code == 302
    assert risposta["Location"].startswith(reverse("login"))


def test_ufficio_di_piano_sees_every_section_and_the_anomalies(client, ufficio, piano_cremonese):
    client.force_login(ufficio)
    risposta = client.get(reverse("piano_annuale:piano_detail", args=[piano_cremonese.pk]))
    assert risposta.status_code == 200
    testo = risposta.content.decode()
    for titolo in [
        "Dati anagrafici",
        "Popolazione residente per comune",
        "Comuni senza alloggi SAP di proprietà",
        "Esito della ricognizione",
        "a) Consistenza del patrimonio abitativo pubblico e sociale",
        "b) Unità SAP in carenza manutentiva assegnabili nello stato di fatto",
        "c) Unità SAP in piani e programmi di ristrutturazione, recupero e riqualificazione",
        "d) Unità SAP di nuova edificazione",
        "e) Unità SAP già libere e che si libereranno per turn-over",
        "f) Unità conferite da soggetti privati e destinate ai SAP",
        "g) Unità SAP assegnabili nell&#x27;anno",
        "h) Soglia per i nuclei in condizione di indigenza eccedente il 20%",
        "i) Categorie aggiuntive di particolare rilevanza sociale",
        "i.b) Quota per le Forze di Polizia e il Corpo nazionale dei Vigili del Fuoco",
        "j) Unità destinate ai servizi abitativi transitori",
        "k) Unità SAP assegnate nell&#x27;anno precedente",
        "Allegato A – Report per ente proprietario",
        "Allegato B – Dettaglio delle unità di proprietà ALER (sezioni b, c, e)",
        "Sintesi – Tabelle di sintesi per l&#x27;Assemblea dei Sindaci",
        "TAB 1",
        "TAB 2",
    ]:
        assert titolo in testo, titolo
    assert "156.636" in testo
    assert "3.984" in testo
    assert "80,6%" in testo
    assert '<td class="n">195</td>' in testo
    assert (
        "Nessun ente proprietario ha comunicato la disponibilità di unità abitative di nuova edificazione."
        in testo
    )
    assert "è inserita anche nel programma di ristrutturazione «LOTTO 2.2»" in testo
    # Section e's turnover: Comune di Cremona 5 and ALER 1.
    assert "Nessun ente ha previsto unità liberate per turn-over." not in testo
    sezione_e = testo[testo.index('id="e"') : testo.index('id="f"')]
    turnover = sezione_e[sezione_e.index("Che si libereranno per turn-over") :]
    assert (
        '<tr><td>Comune di Cremona</td><td>Cremona</td><td class="n">5</td></tr>'
        '<tr><td>ALER Brescia-Cremona-Mantova</td><td>Cremona</td><td class="n">1</td></tr>'
    ) in turnover
    assert '<tr class="totale"><td colspan="2">Totale</td><td class="n">6</td></tr>' in turnover


def test_the_table_of_contents_links_each_part_of_the_plan_in_order(client, ufficio, piano_cremonese):
    client.force_login(ufficio)
    testo = client.get(reverse("piano_annuale:piano_detail", args=[piano_cremonese.pk])).content.decode()
    indice = testo[
        testo.index('id="indice-titolo"') : testo.index("</nav>", testo.index('id="indice-titolo"'))
    ]
    voci = [
        ("controlli", "Controlli di coerenza"),
        ("anagrafe", "Dati anagrafici"),
        ("ricognizione", "Esito della ricognizione"),
        ("a", "a) Consistenza del patrimonio"),
        ("b", "b) Carenza manutentiva"),
        ("c", "c) Ristrutturazione"),
        ("d", "d) Nuova edificazione"),
        ("e", "e) Già libere e turn-over"),
        ("f", "f) Conferite da privati"),
        ("g", "g) Assegnabili nell&#x27;anno"),
        ("h", "h) Soglia indigenti"),
        ("i", "i) Categorie aggiuntive"),
        ("ib", "i.b) Forze di Polizia"),
        ("j", "j) Servizi abitativi transitori"),
        ("k", "k) Assegnazioni anno precedente"),
        ("parte-seconda", "Parte seconda – misure"),
        ("parte-terza", "Parte terza – progettualità"),
        ("allegato-a", "Allegato A – report per ente"),
        ("allegato-b", "Allegato B – unità ALER"),
        ("sintesi", "Sintesi per l&#x27;Assemblea"),
        ("catalogo", "Catalogo dei controlli"),
    ]
    posizione = 0
    for ancora, voce in voci:
        collegamento = f'<a href="#{ancora}">{voce}</a>'
        trovato = indice.find(collegamento, posizione)
        assert trovato >= 0, collegamento
        posizione = trovato
        assert f'id="{ancora}"' in testo, ancora  # the link leads somewhere


def test_plan_json_is_the_computed_plan(client, ufficio, piano_cremonese):
    client.force_login(ufficio)
    risposta = client.get(reverse("piano_annuale:piano_json", args=[piano_cremonese.pk]))
    assert risposta.status_code == 200
    dati = risposta.json()
    assert dati["a"]["totale"] == 3_984
    assert dati["g"]["totale"]["totale"] == 195
    assert dati["anomalie"][0]["codice"] == "U01"


@pytest.mark.parametrize("nome", ["piano_detail", "piano_json"])
def test_comune_operator_cannot_open_the_ufficio_di_piano_page(client, piano_cremonese, nome):
    ente = EnteProprietario.objects.get(comune__nome="Soresina")
    client.force_login(operatore("soresina", piano_cremonese.ambito, Ruolo.COMUNE, ente))
    risposta = client.get(reverse(f"piano_annuale:{nome}", args=[piano_cremonese.pk]))
    assert risposta.status_code == 404
    assert "3.984" not in risposta.content.decode()


@pytest.mark.parametrize("nome", ["piano_detail", "piano_json"])
def test_ufficio_di_piano_of_another_ambito_cannot_open_the_plan(client, piano_cremonese, nome):
    altro = crea_ambito(nome="Altro ambito", comuni=2, prefisso_istat="095")
    client.force_login(operatore("altro", altro.ambito, Ruolo.UFFICIO_DI_PIANO))
    assert client.get(reverse(f"piano_annuale:{nome}", args=[piano_cremonese.pk])).status_code == 404
    assert client.get(reverse(f"piano_annuale:{nome}", args=[altro.pk])).status_code == 200


def test_home_lists_only_the_plans_of_the_users_ambito(client, ufficio, piano_cremonese):
    crea_ambito(nome="Altro ambito", comuni=2, prefisso_istat="095")
    client.force_login(ufficio)
    testo = client.get(reverse("piano_annuale:home")).content.decode()
    assert "Ambito Sociale Territoriale Cremonese" in testo
    assert "Altro ambito" not in testo


def test_plan_page_costs_the_same_queries_for_a_much_larger_ambito(client, ufficio, piano_cremonese):
    grande = crea_ambito(nome="Ambito grande", comuni=480, prefisso_istat="094")
    operatore_grande = operatore("grande", grande.ambito, Ruolo.UFFICIO_DI_PIANO)

    def conta(user, piano) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as contesto:
            assert client.get(reverse("piano_annuale:piano_detail", args=[piano.pk])).status_code == 200
        return len(contesto.captured_queries)

    assert conta(ufficio, piano_cremonese) == conta(operatore_grande, grande)
