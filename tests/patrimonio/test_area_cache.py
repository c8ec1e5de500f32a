"""The ente workspace's home is rendered once per change (issue 17): its body (figures, checks, letters)
is read back from the cache until a write changes the plan's revision or the ente's answer; the ufficio
di piano and the ente's own operator each have theirs; its forms carry each request's own CSRF token."""

from __future__ import annotations

import re

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse

from ambito.models import Comune
from patrimonio.models import EnteProprietario, Ruolo, TipoEnte, UnitaAbitativa
from piano_annuale.models import PianoAnnuale, RispostaRicognizione, Stato, StatoRisposta
from tests.utenti import crea_operatore, hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)

# Above it, the page frame's own forms (log out, change ambito) carry each response's CSRF token.
INIZIO_AREA = 'class="intestazione-area'
RIAPRI = "Riapri la risposta…"
NULLA = "Rispondi «Nulla da dichiarare»"


@pytest.fixture
def enti(piano_cremonese) -> dict[str, EnteProprietario]:
    return {
        "aler": EnteProprietario.objects.get(ambito=piano_cremonese.ambito, tipo=TipoEnte.ALER),
        "cremona": EnteProprietario.objects.get(comune__nome="Cremona"),
        "annicco": EnteProprietario.objects.get(comune__nome="Annicco"),
        "acquanegra": EnteProprietario.objects.get(comune__nome="Acquanegra Cremonese"),
    }


@pytest.fixture
def utenti(piano_cremonese, enti):
    ambito = piano_cremonese.ambito
    return {
        "ufficio": crea_operatore("ufficio", ambito, Ruolo.UFFICIO_DI_PIANO),
        "aler": crea_operatore("aler", ambito, Ruolo.ALER, enti["aler"]),
        **{nome: crea_operatore(nome, ambito, Ruolo.COMUNE, enti[nome]) for nome in enti if nome != "aler"},
    }


def url(nome: str, piano: PianoAnnuale, ente: EnteProprietario, *altri: int) -> str:
    return reverse(f"patrimonio:{nome}", args=[piano.pk, ente.pk, *altri])


def area(client: Client, piano: PianoAnnuale, ente: EnteProprietario) -> str:
    """The workspace's home below the page frame."""
    risposta = client.get(url("area_ente", piano, ente))
    assert risposta.status_code == 200
    _, inizio, pagina = risposta.content.decode().partition(INIZIO_AREA)
    assert inizio
    return pagina


def stato_unita(descrizione: str, numero: int) -> str:
    """A row of the table of units per state."""
    return f'<tr><td class="ps-4">{descrizione}</td><td class="text-end">{numero}</td><td></td></tr>'


def senza_token(pagina: str) -> str:
    """The page without its forms' CSRF tokens, which each response masks afresh."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken" value=""', pagina)


def token_del_modulo(pagina: str, azione: str) -> str:
    trovato = re.search(
        rf'<form method="post" action="{re.escape(azione)}">'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]*)">',
        pagina,
    )
    assert trovato is not None
    return trovato.group(1)


# --------------------------------------------------------------------------------------------
# Each kind of write shows at once
# --------------------------------------------------------------------------------------------


def test_each_units_new_state_shows_at_once_in_the_figures_and_the_checks(
    client, piano_cremonese, enti, utenti
):
    annicco = enti["annicco"]
    riapri_per_il_test(piano_cremonese, annicco)
    client.force_login(utenti["annicco"])
    prima = area(client, piano_cremonese, annicco)
    assert senza_token(area(client, piano_cremonese, annicco)) == senza_token(prima)  # from the cache
    assert stato_unita("Già libera", 0) in prima
    assert stato_unita("In carenza manutentiva (art. 10)", 2) in prima
    assert (
        "Comune di Annicco: 2 unità «In carenza manutentiva (art. 10)» nel comune di Annicco senza ID "
        "regionale (non comunicato)."
    ) in prima
    # Annicco's two units, one at a time: the second write leaves the answer «in compilazione» as the
    # first did, so only the plan's revision tells the page.
    prima_unita, seconda_unita = UnitaAbitativa.objects.filter(ente=annicco).order_by("pk")
    libera(client, piano_cremonese, annicco, prima_unita)
    dopo = area(client, piano_cremonese, annicco)
    assert stato_unita("Già libera", 1) in dopo
    assert stato_unita("In carenza manutentiva (art. 10)", 1) in dopo
    assert "Comune di Annicco: 1 unità «Già libera» nel comune di Annicco" in dopo
    assert "Comune di Annicco: 1 unità «In carenza manutentiva (art. 10)» nel comune di Annicco" in dopo
    assert senza_token(area(client, piano_cremonese, annicco)) == senza_token(dopo)  # from the cache
    libera(client, piano_cremonese, annicco, seconda_unita)
    ultima = area(client, piano_cremonese, annicco)
    assert stato_unita("Già libera", 2) in ultima
    assert stato_unita("In carenza manutentiva (art. 10)", 0) in ultima
    assert "Comune di Annicco: 2 unità «Già libera» nel comune di Annicco" in ultima
    assert "«In carenza manutentiva (art. 10)» nel comune di Annicco" not in ultima


def libera(client: Client, piano: PianoAnnuale, ente: EnteProprietario, unita: UnitaAbitativa) -> None:
    """Declare the unit «Già libera» from its page, as the ente's operator does."""
    modifica = client.post(
        url("unita_modifica", piano, ente, unita.pk),
        {
            "id_regionale": "",
            "codice_ente": unita.codice_ente,
            "comune": str(unita.comune_id),
            "tipo": unita.tipo,
            "indirizzo": unita.indirizzo,
            "stato": Stato.LIBERA,
            "programma": "",
            "note": "",
        },
    )
    assert modifica.status_code == 302


def test_an_anomaly_fixed_leaves_the_page_at_once_and_comes_back_as_soon(
    client, piano_cremonese, enti, utenti
):
    cremona = enti["cremona"]
    riapri_per_il_test(piano_cremonese, cremona)
    client.force_login(utenti["cremona"])
    sat = '<th scope="row">j) Unità per servizi abitativi transitori</th><td class="text-end">{}</td>'
    s02 = "Comune di Cremona destina ai SAT {} unità su 27 disponibili nell&#x27;anno, oltre il 10% (2,7 unità)."
    prima = area(client, piano_cremonese, cremona)
    assert senza_token(area(client, piano_cremonese, cremona)) == senza_token(prima)
    assert sat.format(5) in prima and s02.format(5) in prima
    destina_ai_sat(client, piano_cremonese, cremona, 2)
    corretta = area(client, piano_cremonese, cremona)
    assert sat.format(2) in corretta
    assert "destina ai SAT" not in corretta
    # The answer stays «in compilazione»: the revision alone brings the warning back.
    destina_ai_sat(client, piano_cremonese, cremona, 4)
    di_nuovo = area(client, piano_cremonese, cremona)
    assert sat.format(4) in di_nuovo and s02.format(4) in di_nuovo


def destina_ai_sat(client: Client, piano: PianoAnnuale, ente: EnteProprietario, numero: int) -> None:
    """The ente's SAT: ``numero`` units in its comune, from the SAT page."""
    salvataggio = client.post(
        url("sat", piano, ente),
        {
            "righe-TOTAL_FORMS": "1",
            "righe-INITIAL_FORMS": "0",
            "righe-0-comune": str(ente.comune_id),
            "righe-0-numero": str(numero),
        },
    )
    assert salvataggio.status_code == 302


def test_a_cached_pages_forms_post_with_the_requests_own_token_and_the_answer_shows_at_once(
    client, piano_cremonese, enti, utenti
):
    acquanegra = enti["acquanegra"]
    nulla = url("nulla_da_dichiarare", piano_cremonese, acquanegra)
    # Two sessions of the ente's operator, with Django's CSRF check on: the second reads the body the
    # first rendered, and each finds its own token in the form.
    primo, secondo = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for sessione in (primo, secondo):
        sessione.force_login(utenti["acquanegra"])
    letta = area(primo, piano_cremonese, acquanegra)
    dalla_cache = area(secondo, piano_cremonese, acquanegra)
    token = token_del_modulo(dalla_cache, nulla)
    assert re.fullmatch("[A-Za-z0-9]{64}", token)
    assert token != token_del_modulo(letta, nulla)
    assert NULLA in dalla_cache and "Risposta inviata il" not in dalla_cache
    assert secondo.post(nulla).status_code == 403  # the check is on: no token, no answer
    assert secondo.post(nulla, {"csrfmiddlewaretoken": token}).status_code == 302
    risposta = RispostaRicognizione.objects.get(piano=piano_cremonese, ente=acquanegra)
    assert risposta.stato == StatoRisposta.NIENTE_DA_DICHIARARE
    inviata = area(primo, piano_cremonese, acquanegra)
    assert NULLA not in inviata and "csrfmiddlewaretoken" not in inviata
    assert "Risposta inviata il " in inviata
    # The ufficio di piano sees the answer sent and reopens it: the ente's forms are back at once.
    client.force_login(utenti["ufficio"])
    assert RIAPRI in area(client, piano_cremonese, acquanegra)
    assert client.post(url("riapri", piano_cremonese, acquanegra)).status_code == 302
    assert RIAPRI not in area(client, piano_cremonese, acquanegra)
    riaperta = area(primo, piano_cremonese, acquanegra)
    assert NULLA in riaperta and "Risposta inviata il" not in riaperta
    assert primo.post(nulla, {"csrfmiddlewaretoken": token_del_modulo(riaperta, nulla)}).status_code == 302


# --------------------------------------------------------------------------------------------
# Each kind of reader has its own body
# --------------------------------------------------------------------------------------------


def test_alers_workspace_differs_for_the_ufficio_and_for_alers_own_operator(
    client, piano_cremonese, enti, utenti
):
    # An ID regionale ALER shares with a unit of Cremona (U02): only the ufficio reads whose.
    cremona = Comune.objects.get(nome="Cremona")
    UnitaAbitativa.objects.create(ente=enti["cremona"], comune=cremona, id_regionale="00777")
    UnitaAbitativa.objects.create(ente=enti["aler"], comune=cremona, id_regionale="777")
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(
        revisione=F("revisione") + 1
    )  # as a service would
    dettaglio = (
        "L&#x27;ID regionale 777 è attribuito a 2 unità diverse: «777» (ALER Brescia-Cremona-Mantova), "
        "«00777» (Comune di Cremona)."
    )
    generico = (
        "Un ID regionale di un&#x27;unità di questo ente risulta attribuito anche a unità di altri enti, "
        "scritto in modo diverso: verificare l&#x27;ID regionale delle unità (l&#x27;ufficio di piano vede "
        "il dettaglio)."
    )
    pagine: dict[str, list[str]] = {"ufficio": [], "aler": []}
    for lettore in ("ufficio", "aler", "aler", "ufficio"):
        client.force_login(utenti[lettore])
        pagine[lettore].append(area(client, piano_cremonese, enti["aler"]))
    ufficio, aler = pagine["ufficio"], pagine["aler"]
    assert ufficio[1] == ufficio[0] and aler[1] == aler[0]
    assert dettaglio in ufficio[0] and generico not in ufficio[0]
    assert generico in aler[0] and dettaglio not in aler[0]
    # ALER's answer is sent: only the ufficio may reopen it.
    assert RIAPRI in ufficio[0] and RIAPRI not in aler[0]


# --------------------------------------------------------------------------------------------
# Queries on a warm cache
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lettore", "ente"), [("ufficio", "aler"), ("cremona", "cremona")])
def test_a_warm_page_costs_six_queries(
    client, piano_cremonese, enti, utenti, django_assert_num_queries, lettore, ente
):
    client.force_login(utenti[lettore])
    pagina = area(client, piano_cremonese, enti[ente])
    # The session and its user, the memberships the access rules read (the page frame lists them too),
    # the plan with its cache key, the ente with its answer and the reader's kind, the frame's latest plan.
    with django_assert_num_queries(6):
        assert area(client, piano_cremonese, enti[ente]) == pagina
