"""The computed plan is cached per change (issue 17) and an approved plan is what was approved (issue 16).

Each kind of write (form, upload, API, workflow, misure, texts, rule set) bumps the plan's
``revisione`` in its own transaction and the next page shows the new
figure; an approved plan's page and JSON read its frozen version, so next year's edits do not move it;
twenty requests arriving together on a miss compute the plan once; the pages read the cache with a
fixed number of queries.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from api.credenziali import crea_token, revoca_token
from misure.models import Misura
from patrimonio.esportazione import modello_ente
from patrimonio.importazione import analizza, registra
from patrimonio.models import EnteProprietario, Ruolo, UnitaAbitativa
from patrimonio.views.base import STATI
from piano_annuale.calcolo import PianoCalcolato, calcola_piano, piano_calcolato, piano_da_json
from piano_annuale.calcolo import cache as cache_calcolo
from piano_annuale.models import (
    Modifica,
    PianoAnnuale,
    RegoleAnno,
    SezioneTesto,
    Stato,
    StatoPiano,
    TipoVersione,
    VersionePiano,
)
from piano_annuale.rendering.testi import salva_testi
from piano_annuale.services import iter as servizi_iter
from piano_annuale.services.anno_successivo import crea_piano_anno_successivo
from piano_annuale.services.ente import salva_consistenza, salva_unita
from piano_annuale.services.regole import scegli_regole
from piano_annuale.storico import VoceModifica, istantanea, registra_modifiche
from piano_annuale.views import piano as piano_views
from tests.percorso import Ambito, crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a  # noqa: F401
from tests.utenti import crea_operatore, hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media")


@pytest.fixture
def a(db) -> Ambito:
    """A coherent ambito of 4 comuni (3 units each) and ALER (10 units per comune), plan 2025 in bozza."""
    return crea_ambito_con_utenti(nome="Ambito della cache", prefisso_istat="081")


def revisione(piano: PianoAnnuale) -> int:
    return PianoAnnuale.objects.values_list("revisione", flat=True).get(pk=piano.pk)


def dati(client: Any, piano: PianoAnnuale) -> dict[str, Any]:
    """The plan's JSON, as the API gives it."""
    risposta = client.get(reverse("piano_annuale:piano_json", args=[piano.pk]))
    assert risposta.status_code == 200
    return risposta.json()


def area(nome: str, piano: PianoAnnuale, ente: EnteProprietario, *altri: int) -> str:
    return reverse(f"patrimonio:{nome}", args=[piano.pk, ente.pk, *altri])


def unita_libera(ente: EnteProprietario, piano: PianoAnnuale) -> UnitaAbitativa:
    return UnitaAbitativa.objects.filter(ente=ente, stati__piano=piano, stati__stato=Stato.LIBERA).order_by(
        "pk"
    )[0]


# --------------------------------------------------------------------------------------------
# Each kind of write bumps the revision and the next page shows the new figure
# --------------------------------------------------------------------------------------------


def test_the_unit_form_bumps_the_revision_and_the_page_shows_the_new_carenza(client, a):
    piano, ente = a.piano, a.ente_comune
    riapri_per_il_test(piano, ente)
    client.force_login(a.ufficio)
    assert dati(client, piano)["b"]["totale"] == 16  # warm: the cache now holds the plan
    prima = revisione(piano)
    unita = unita_libera(ente, piano)
    client.force_login(a.operatore_comune)
    risposta = client.post(
        area("unita_modifica", piano, ente, unita.pk),
        {
            "id_regionale": unita.id_regionale or "",
            "codice_ente": unita.codice_ente,
            "comune": str(unita.comune_id),
            "tipo": unita.tipo,
            "indirizzo": "Via della cache 1",
            "stato": Stato.CARENZA_MANUTENTIVA,
            "programma": "",
            "note": "",
        },
    )
    assert risposta.status_code == 302, risposta.content.decode()[:2000]
    assert revisione(piano) == prima + 2  # the unit and its state: two recorded changes
    client.force_login(a.ufficio)
    assert dati(client, piano)["b"]["totale"] == 17


def test_the_rendered_page_follows_a_write_and_is_reused_until_then(client, a, monkeypatch):
    piano, ente = a.piano, a.ente_comune
    riapri_per_il_test(piano, ente)
    client.force_login(a.ufficio)
    pagina = reverse("piano_annuale:piano_detail", args=[piano.pk])
    rese: list[str] = []
    originale = piano_views.render_to_string

    def conta(nome: str, *args: Any, **kwargs: Any) -> str:
        rese.append(nome)
        return originale(nome, *args, **kwargs)

    monkeypatch.setattr(piano_views, "render_to_string", conta)
    totale_b = '<tr class="totale"><td colspan="2">Totale</td><td class="n">{}</td></tr>'
    assert totale_b.format(16) in client.get(pagina).content.decode()
    assert totale_b.format(16) in client.get(pagina).content.decode()
    # The body and its sections, rendered once, then read back.
    assert rese == ["piano_annuale/pagina/_contenuto.html", "piano_annuale/pagina/_pagina.html"]

    unita = unita_libera(ente, piano)
    client.force_login(a.operatore_comune)
    risposta = client.post(
        area("unita_modifica", piano, ente, unita.pk),
        {
            "id_regionale": unita.id_regionale or "",
            "codice_ente": unita.codice_ente,
            "comune": str(unita.comune_id),
            "tipo": unita.tipo,
            "indirizzo": "Via della pagina 1",
            "stato": Stato.CARENZA_MANUTENTIVA,
            "programma": "",
            "note": "",
        },
    )
    assert risposta.status_code == 302
    client.force_login(a.ufficio)
    dopo = client.get(pagina).content.decode()
    assert len(rese) == 4  # the revision changed: rendered again, never the stale text
    assert totale_b.format(17) in dopo and totale_b.format(16) not in dopo


def test_an_upload_bumps_the_revision_once_and_the_page_shows_the_new_unit(client, a):
    piano, ente = a.piano, a.ente_comune
    riapri_per_il_test(piano, ente)
    client.force_login(a.ufficio)
    assert dati(client, piano)["g"]["totale"]["totale"] == 56
    prima = revisione(piano)
    testo = modello_ente(piano=piano, ente=ente, formato="csv").contenuto.decode("utf-8-sig")
    intestazione, *righe = [list(r) for r in csv.reader(io.StringIO(testo), delimiter=";")]
    assert ente.comune is not None
    righe.append([str(ente), "T-CACHE-1", "", ente.comune.nome, "", "SAP", "", "libera", "", "", ""])
    uscita = io.StringIO()
    csv.writer(uscita, delimiter=";").writerows([intestazione, *righe])
    analisi = analizza(contenuto=uscita.getvalue().encode(), nome_file="unita.csv", piano=piano, ente=ente)
    assert analisi.valida, [e.messaggio for e in analisi.errori]
    registra(analisi=analisi, utente=a.operatore_comune)
    assert revisione(piano) == prima + 1
    assert dati(client, piano)["g"]["totale"]["totale"] == 57


def _consistenza_dal_modulo(a: Ambito) -> None:
    """The ente form's service."""
    salva_consistenza(
        piano=a.piano, ente=a.ente_comune, utente=a.operatore_comune, valori={"sap": 25, "sas": 2}
    )


def _consistenza_dall_api(a: Ambito) -> None:
    """The REST API, with the comune operator's token."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {crea_token(utente=a.operatore_comune, nome='Cache')[1]}")
    risposta = api.put(
        f"/api/v1/piani/{a.piano.pk}/enti/{a.ente_comune.pk}/consistenza/",
        {"sap": 25, "sas": 2, "fonte": "API"},
        format="json",
    )
    assert risposta.status_code == 200


@pytest.mark.parametrize("scrivi", [_consistenza_dal_modulo, _consistenza_dall_api], ids=["modulo", "api"])
def test_an_ente_form_or_api_write_bumps_the_revision_and_the_page_shows_the_new_consistenza(
    client, a, scrivi
):
    piano, ente = a.piano, a.ente_comune
    riapri_per_il_test(piano, ente)
    client.force_login(a.ufficio)
    assert dati(client, piano)["a"]["totale"] == 168
    prima = revisione(piano)
    scrivi(a)
    assert revisione(piano) == prima + 1
    assert dati(client, piano)["a"]["totale"] == 173


def test_creating_or_revoking_an_api_token_bumps_no_plan(a):
    prima = revisione(a.piano)
    token, _ = crea_token(utente=a.operatore_comune, nome="Gestionale")
    revoca_token(utente=a.operatore_comune, token_id=token.pk)
    assert revisione(a.piano) == prima
    assert Modifica.objects.filter(modello="api.tokenpersonale").count() == 2  # history all the same


def test_a_workflow_transition_bumps_the_revision_and_the_page_shows_the_new_state(client, a, pdf_veloce):
    client.force_login(a.ufficio)
    assert dati(client, a.piano)["piano"]["stato"] == "bozza"
    prima = revisione(a.piano)
    servizi_iter.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    assert revisione(a.piano) > prima
    assert dati(client, a.piano)["piano"]["stato"] == "inviata_aler"


def test_the_misure_page_bumps_the_revision_and_the_page_shows_the_new_measure(client, a):
    piano = a.piano
    client.force_login(a.ufficio)
    assert dati(client, piano)["parte_seconda"]["misure"] == []
    prima = revisione(piano)
    misura = Misura.objects.create(codice="cache-first", nome="Misura della cache")
    risposta = client.post(
        reverse("misure:nuova_misura", args=[piano.pk]),
        {
            "misura": str(misura.pk),
            "risorse_impegnate": "10.000,00",
            "quote-TOTAL_FORMS": "0",
            "quote-INITIAL_FORMS": "0",
            "utilizzi-TOTAL_FORMS": "0",
            "utilizzi-INITIAL_FORMS": "0",
        },
    )
    assert risposta.status_code == 302, risposta.content.decode()[:2000]
    assert revisione(piano) > prima
    (misura_calcolata,) = dati(client, piano)["parte_seconda"]["misure"]
    assert Decimal(misura_calcolata["risorse_impegnate"]) == Decimal("10000.00")


def test_the_texts_bump_the_revision(a):
    prima = revisione(a.piano)
    salva_testi(
        piano=a.piano, testi={SezioneTesto.PREMESSA: "Premessa scritta per la cache."}, utente=a.ufficio
    )
    assert revisione(a.piano) == prima + 1
    # Nothing written, nothing bumped.
    salva_testi(
        piano=a.piano, testi={SezioneTesto.PREMESSA: "Premessa scritta per la cache."}, utente=a.ufficio
    )
    assert revisione(a.piano) == prima + 1


def test_choosing_another_rule_set_bumps_the_revision_and_the_page_follows_it(client, a):
    client.force_login(a.ufficio)
    codice = dati(client, a.piano)["regole"]["codice"]
    altre = RegoleAnno.objects.exclude(codice=codice).order_by("-in_vigore_dal").first()
    assert altre is not None
    prima = revisione(a.piano)
    scegli_regole(piano=a.piano, regole=altre, motivo="Prova della cache.", utente=a.ufficio)
    assert revisione(a.piano) == prima + 1
    assert dati(client, a.piano)["regole"]["codice"] == altre.codice


def test_a_change_of_a_rule_set_bumps_every_open_plan_and_no_approved_one(a):
    aperto = a.piano
    approvato = PianoAnnuale.objects.create(
        ambito=aperto.ambito, anno=2024, data_popolazione=aperto.data_popolazione, stato=StatoPiano.APPROVATA
    )
    regole = RegoleAnno.objects.order_by("in_vigore_dal").first()
    assert regole is not None
    prima, prima_approvato = revisione(aperto), revisione(approvato)
    registra_modifiche(
        utente=None,
        origine="prova",
        modifiche=[VoceModifica.modifica(regole, istantanea(regole) | {"nome": "Regole di prima"})],
    )
    assert (revisione(aperto), revisione(approvato)) == (prima + 1, prima_approvato)


def test_an_ente_write_bumps_the_open_plans_of_its_ambito_only(a):
    altro = PianoAnnuale.objects.get(ambito__nome="Ambito della cache (altro)")
    prima, prima_altro = revisione(a.piano), revisione(altro)
    unita = unita_libera(a.aler, a.piano)
    valori = istantanea(unita)
    unita.indirizzo = "Via del registro 2"
    unita.save()
    # A unit of the registry names only its ente: the database finds the ente's ambito.
    registra_modifiche(utente=None, origine="prova", modifiche=[VoceModifica.modifica(unita, valori)])
    assert (revisione(a.piano), revisione(altro)) == (prima + 1, prima_altro)


def test_next_years_plan_starts_its_own_revision_and_the_approved_plan_keeps_its_figures(
    client, a, pdf_veloce
):
    """Issue 16 item 5: editing a unit in next year's plan moved the approved plan's live page
    (g totale 56 → 55). The approved plan is read from its frozen version."""
    approvato = porta_a(a, StatoPiano.APPROVATA)
    nuovo = crea_piano_anno_successivo(piano=approvato, utente=a.ufficio).piano
    client.force_login(a.ufficio)
    assert dati(client, approvato)["g"]["totale"]["totale"] == 56
    assert dati(client, nuovo)["g"]["totale"]["totale"] == 52
    revisione_approvato, revisione_nuovo = revisione(approvato), revisione(nuovo)
    # Next year's form: a free unit of ALER moves to another comune's SAS (the registry is shared).
    unita = unita_libera(a.aler, approvato)
    salva_unita(
        piano=nuovo,
        ente=a.aler,
        utente=a.operatore_aler,
        unita=unita,
        valori_unita={"tipo": "SAS"},
        valori_stato={"stato": Stato.LIBERA, "programma": "", "note": ""},
    )
    assert revisione(approvato) == revisione_approvato
    assert revisione(nuovo) > revisione_nuovo
    assert dati(client, nuovo)["g"]["totale"]["totale"] == 51
    assert calcola_piano(approvato).g.totale.totale == 55  # what the live data say now
    # The approved plan: its page and JSON show what was approved, not the live data.
    assert dati(client, approvato)["g"]["totale"]["totale"] == 56
    pagina = client.get(reverse("piano_annuale:piano_detail", args=[approvato.pk])).content.decode()
    totale_g = r'<tr class="totale"><td colspan="2">Totale</td>(?:<td class="n">[^<]*</td>){5}<td class="n">%d</td></tr>'
    assert re.search(totale_g % 56, pagina) and not re.search(totale_g % 55, pagina)
    versione = VersionePiano.objects.get(piano=approvato, tipo=TipoVersione.APPROVATA)
    assert piano_calcolato(approvato) == piano_da_json(versione.dati_json)
    congelati = {k: v for k, v in versione.dati.items() if k != "note_chiusura"}
    assert dati(client, approvato) == congelati


# --------------------------------------------------------------------------------------------
# A miss computes once
# --------------------------------------------------------------------------------------------


def test_twenty_requests_on_a_miss_compute_the_plan_once(monkeypatch, a):
    """Twenty threads ask for the same missing entry at once (locmem): one computes, the others wait."""
    piano = a.piano
    calcolato = calcola_piano(piano)
    chiamate: list[int] = []

    def lento(p: PianoAnnuale) -> PianoCalcolato:
        chiamate.append(p.pk)
        time.sleep(0.2)  # long enough for every other thread to find the lock taken
        return calcolato

    monkeypatch.setattr(cache_calcolo, "calcola_piano", lento)
    barriera = threading.Barrier(20)
    risultati: list[int] = []
    errori: list[BaseException] = []

    def richiesta() -> None:
        try:
            barriera.wait()
            risultati.append(cache_calcolo.calcolo_in_cache(piano, 7, None).g.totale.totale)
        except BaseException as errore:  # reported below
            errori.append(errore)

    fili = [threading.Thread(target=richiesta) for _ in range(20)]
    for filo in fili:
        filo.start()
    for filo in fili:
        filo.join()
    assert errori == []
    assert chiamate == [piano.pk]
    assert risultati == [56] * 20
    # The lock is gone and the next revision is a miss again.
    assert cache.get(cache_calcolo.chiave(piano.pk, 7, None) + ":in-calcolo") is None
    cache_calcolo.calcolo_in_cache(piano, 8, None)
    assert chiamate == [piano.pk, piano.pk]


# --------------------------------------------------------------------------------------------
# Warm cache: the pages read the computed plan with a fixed number of queries
# --------------------------------------------------------------------------------------------

# Every page counts 2 queries of the session (its row and the user: its renewal writes at most once a
# minute, config.sessioni). The computed plan costs no query of its own on a hit (the view reads the
# plan with its revision, ``con_chiave``), and the plan page's content is read back rendered.


@pytest.mark.parametrize(
    ("pagina", "query"),
    [
        # the memberships the access rules read (the roles in the ambito among them); the plan and last
        # year's, with their access and revisions, in one; the header's latest plan. The body
        # (workflow box, sections, observations) is read back rendered for that set of roles.
        ("piano_annuale:piano_detail", 5),
        # the memberships; the plan with its access and revision in one: nothing else
        ("piano_annuale:piano_json", 4),
        # the memberships, the plan with its access and key, the answers' columns, the header's latest
        # plan: the table is cached
        ("piano_annuale:cruscotto", 6),
    ],
)
def test_the_plans_pages_read_the_cached_plan_with_fixed_queries(
    client, piano_cremonese, django_assert_num_queries, pagina, query
):
    ufficio = crea_operatore("ufficio.cache", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    client.force_login(ufficio)
    url = reverse(pagina, args=[piano_cremonese.pk])
    with CaptureQueriesContext(connection) as freddo:
        assert client.get(url).status_code == 200
    # The cold request computed the plan: 20 and more queries of its own.
    assert len(freddo.captured_queries) >= query + 20
    with django_assert_num_queries(query):
        assert client.get(url).status_code == 200


def test_the_workspace_reads_the_entes_anomalies_from_the_cached_plan(
    client, piano_cremonese, django_assert_num_queries
):
    ufficio = crea_operatore("ufficio.cache", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    client.force_login(ufficio)
    cremona = EnteProprietario.objects.get(comune__nome="Cremona")
    url = reverse("patrimonio:area_ente", args=[piano_cremonese.pk, cremona.pk])
    assert client.get(reverse("piano_annuale:piano_json", args=[piano_cremonese.pk])).status_code == 200
    # The session (2), the memberships the access rules read, the plan with its cache key, the ente with
    # its answer and the reader's kind, the page frame's latest plan; then the body: the ente's figures (counts per state, turnover, SAT, its
    # rows, its declared platform figures), the rule set, and the plan's anomalies of it from the cache.
    with django_assert_num_queries(16):
        risposta = client.get(url)
    anomalie = [c.anomalia for c in risposta.context["anomalie"]]
    assert anomalie == [a for a in calcola_piano(piano_cremonese).anomalie if a.ente_id == cremona.pk]
    assert len(anomalie) == 2
    # Then the body comes rendered from the cache: the first six queries only, the same page.
    with django_assert_num_queries(6):
        di_nuovo = client.get(url)
    # (Above the workspace's heading, the page frame's forms carry each response's own CSRF token.)
    prima, dopo = (r.content.decode().partition('class="intestazione-area') for r in (risposta, di_nuovo))
    assert prima[1] and dopo[2] == prima[2]


def stati_mostrati(html: str) -> dict[str, int]:
    """The workspace's units per state, as its table prints them."""
    righe = re.findall(r'<tr><td class="ps-4">([^<]+)</td><td class="text-end">([\d.]+)</td>', html)
    return {descrizione: int(numero.replace(".", "")) for descrizione, numero in righe}


def test_the_workspace_figures_follow_a_write(client, a):
    piano, ente = a.piano, a.ente_comune
    riapri_per_il_test(piano, ente)
    client.force_login(a.operatore_comune)
    url = area("area_ente", piano, ente)
    prima = stati_mostrati(client.get(url).content.decode())
    assert stati_mostrati(client.get(url).content.decode()) == prima  # read back from the cache
    unita = unita_libera(ente, piano)
    risposta = client.post(
        area("unita_modifica", piano, ente, unita.pk),
        {
            "id_regionale": unita.id_regionale or "",
            "codice_ente": unita.codice_ente,
            "comune": str(unita.comune_id),
            "tipo": unita.tipo,
            "indirizzo": "Via dell'area 1",
            "stato": Stato.CARENZA_MANUTENTIVA,
            "programma": "",
            "note": "",
        },
    )
    assert risposta.status_code == 302
    dopo = stati_mostrati(client.get(url).content.decode())
    carenza = STATI[Stato.CARENZA_MANUTENTIVA]
    assert dopo[carenza] == prima[carenza] + 1


def test_a_hit_costs_one_query_and_an_approved_plan_too(a, pdf_veloce, django_assert_num_queries):
    piano_calcolato(a.piano)
    with django_assert_num_queries(1):
        assert piano_calcolato(a.piano).g.totale.totale == 56
    approvato = porta_a(a, StatoPiano.APPROVATA)
    with django_assert_num_queries(2):  # the state and version, then the frozen JSON once
        assert piano_calcolato(approvato).piano.stato == "approvata"
    with django_assert_num_queries(1):
        assert piano_calcolato(approvato).piano.stato == "approvata"


# --------------------------------------------------------------------------------------------
# Where the cache is not used
# --------------------------------------------------------------------------------------------


def test_inside_a_write_the_plan_is_computed_and_nothing_is_cached(a):
    """What a transaction sees may still be rolled back, and its revision number given again."""
    with transaction.atomic():
        calcolato = piano_calcolato(a.piano)
        transaction.set_rollback(True)
    assert calcolato.g.totale.totale == 56
    chiave = cache_calcolo.chiave(a.piano.pk, revisione(a.piano), a.piano.regole_id)
    assert cache.get(chiave) is None
    piano_calcolato(a.piano)
    assert cache.get(chiave) == calcolato


def test_an_unreachable_cache_computes_the_plan_and_the_page_still_answers(client, a, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there: connection refused
        }
    }
    client.force_login(a.ufficio)
    assert dati(client, a.piano)["g"]["totale"]["totale"] == 56
    assert "Cache non raggiungibile: il piano è calcolato senza cache." in caplog.text


# --------------------------------------------------------------------------------------------
# The process's own memory in front of the shared cache
# --------------------------------------------------------------------------------------------


def test_a_hit_in_this_process_reads_neither_the_shared_cache_nor_a_copy(a, monkeypatch):
    primo = piano_calcolato(a.piano)

    def vietato(*argomenti: Any, **opzioni: Any) -> None:
        raise AssertionError("letto dalla cache condivisa")

    monkeypatch.setattr(cache_calcolo.cache, "get", vietato)
    assert piano_calcolato(a.piano) is primo


def test_another_process_reads_the_shared_cache_and_then_keeps_the_plan(a, monkeypatch):
    """A worker that did not compute the plan (its memory empty) reads it from the shared cache once."""
    piano_calcolato(a.piano)
    cache_calcolo.memoria_locale.svuota()
    letture: list[str] = []
    originale = cache_calcolo.cache.get

    def contata(chiave: str, *argomenti: Any, **opzioni: Any) -> Any:
        letture.append(chiave)
        return originale(chiave, *argomenti, **opzioni)

    monkeypatch.setattr(cache_calcolo.cache, "get", contata)
    monkeypatch.setattr(cache_calcolo, "calcola_piano", lambda p: pytest.fail("ricalcolato"))
    assert piano_calcolato(a.piano).g.totale.totale == 56
    assert piano_calcolato(a.piano).g.totale.totale == 56
    assert letture == [cache_calcolo.chiave(a.piano.pk, revisione(a.piano), a.piano.regole_id)]


def test_a_write_in_another_process_is_seen_although_this_one_kept_the_old_plan(client, a):
    """The memory is keyed by revision: the next revision is a new key, never the kept one."""
    client.force_login(a.ufficio)
    assert dati(client, a.piano)["b"]["totale"] == 16
    # Another process writes: the revision moves in the database; nothing here is told.
    with transaction.atomic():
        PianoAnnuale.objects.filter(pk=a.piano.pk).update(revisione=revisione(a.piano) + 1)
        unita = unita_libera(a.ente_comune, a.piano)
        unita.stati.filter(piano=a.piano).update(stato=Stato.CARENZA_MANUTENTIVA)
    assert dati(client, a.piano)["b"]["totale"] == 17


def test_the_memory_keeps_the_most_recent_entries_within_its_size():
    memoria = cache_calcolo.MemoriaLocale(3 * 1100)
    testi = {f"k{i}": "x" * 1000 for i in range(4)}
    for chiave, testo in testi.items():
        memoria.conserva(chiave, testo)
        assert memoria.byte <= 3 * 1100
    assert memoria.leggi("k0") is None  # the oldest went first
    assert memoria.leggi("k3") == "x" * 1000
    memoria.conserva("grande", "y" * 5000)  # larger than the whole memory: not kept, nothing evicted
    assert memoria.leggi("grande") is None
    assert memoria.leggi("k3") == "x" * 1000
    memoria.conserva("dati", {"mutabile": [1]})  # only immutable values are shared between threads
    assert memoria.leggi("dati") is None
    spenta = cache_calcolo.MemoriaLocale(0)  # POA_CACHE_LOCALE_MB=0: nothing is kept
    spenta.conserva("k", "x")
    assert spenta.leggi("k") is None
