"""Year over year: the plan of N+1 starts from N's, each ente confirms its units' states, and the plan
page shows every section beside last year's."""

from __future__ import annotations

import html

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patrimonio.models import UnitaAbitativa
from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import (
    ConsistenzaDichiarata,
    Modifica,
    PianoAnnuale,
    RispostaRicognizione,
    ScelteEnte,
    SezioneTesto,
    Stato,
    StatoPiano,
    StatoRisposta,
    StatoUnita,
)
from piano_annuale.models import TestoPiano as Narrativa  # not «Test…»: pytest would collect it
from piano_annuale.services.anno_successivo import crea_piano_anno_successivo
from piano_annuale.services.ente import conferma_stati
from piano_annuale.services.errori import OperazioneNonValida
from tests.percorso import crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a  # noqa: F401 - fixtures
from tests.utenti import crea_operatore, fotografia, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media")


@pytest.fixture
def a(db):
    return crea_ambito_con_utenti(nome="Ambito dell'anno successivo", prefisso_istat="089")


@pytest.fixture
def nuovo(a, pdf_veloce) -> PianoAnnuale:
    """The 2025 plan approved, the 2026 plan created from it."""
    Narrativa.objects.create(piano=a.piano, sezione=SezioneTesto.PREMESSA, testo="Premessa del 2025.")
    porta_a(a, StatoPiano.APPROVATA)
    return crea_piano_anno_successivo(piano=a.piano, utente=a.ufficio).piano


def area(nome: str, piano: PianoAnnuale, ente, *altri: int) -> str:
    return reverse(f"patrimonio:{nome}", args=[piano.pk, ente.pk, *altri])


def test_the_new_plan_copies_states_texts_choices_and_consistenze_and_asks_confirmation(a, nuovo):
    assert (nuovo.anno, nuovo.stato, nuovo.ambito) == (
        a.piano.anno + 1,
        StatoPiano.RICOGNIZIONE,
        a.piano.ambito,
    )
    vecchi = {s.unita_id: s for s in StatoUnita.objects.filter(piano=a.piano)}
    nuovi = {s.unita_id: s for s in StatoUnita.objects.filter(piano=nuovo)}
    assert set(nuovi) == set(vecchi)
    assert all(s.da_confermare for s in nuovi.values())
    assert all((nuovi[u].stato, nuovi[u].programma) == (v.stato, v.programma) for u, v in vecchi.items())
    assert not any(s.da_confermare for s in vecchi.values())
    assert Narrativa.objects.get(piano=nuovo, sezione=SezioneTesto.PREMESSA).testo == "Premessa del 2025."
    assert ScelteEnte.objects.filter(piano=nuovo).count() == ScelteEnte.objects.filter(piano=a.piano).count()
    assert ScelteEnte.objects.get(piano=nuovo, ente=a.ente_comune).quota_forze_polizia == 5
    assert (
        ConsistenzaDichiarata.objects.filter(piano=nuovo).count()
        == ConsistenzaDichiarata.objects.filter(piano=a.piano).count()
    )
    # The new year's own answers start empty: every ente must answer again.
    assert not RispostaRicognizione.objects.filter(piano=nuovo).exists()
    # The units are the ambito's registry: shared, never copied.
    assert UnitaAbitativa.objects.filter(ente__ambito=a.piano.ambito).count() == len(vecchi)


def test_the_new_plan_is_recorded_in_the_audit_with_its_origin(a, nuovo):
    creati = Modifica.objects.filter(piano_id=nuovo.pk, modello="piano_annuale.statounita")
    assert creati.count() == StatoUnita.objects.filter(piano=nuovo).count()
    assert set(creati.values_list("origine", flat=True)) == {
        f"nuovo piano {nuovo.anno} dal piano {a.piano.anno}"
    }
    assert set(creati.values_list("utente", flat=True)) == {a.ufficio.pk}


def test_the_button_creates_next_years_plan_and_emails_each_ente(
    client, a, pdf_veloce, django_capture_on_commit_callbacks
):
    porta_a(a, StatoPiano.APPROVATA)
    client.force_login(a.ufficio)
    assert (
        "Nuovo piano per l'anno"
        in client.get(reverse("piano_annuale:iter_piano", args=[a.piano.pk])).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        risposta = client.post(reverse("piano_annuale:nuovo_anno", args=[a.piano.pk]))
    nuovo = PianoAnnuale.objects.get(ambito=a.piano.ambito, anno=a.piano.anno + 1)
    assert risposta["Location"] == reverse("piano_annuale:cruscotto", args=[nuovo.pk])
    a_comune = [m for m in mail.outbox if m.to == [a.operatore_comune.email]]
    assert len(a_comune) == 1
    assert "confermare lo stato delle unità" in a_comune[0].subject
    assert area("area_ente", nuovo, a.ente_comune) in a_comune[0].body
    # The new year falls under R.R. 2/2025 and L.R. 18/2025: the e-mail asks for their new data.
    assert "Le regole in vigore per il piano 2026 sono cambiate rispetto al piano 2025:" in a_comune[0].body
    assert (
        "- la quota per le forze dell'ordine è ora definita da ciascun comune (lett. d bis"
        in a_comune[0].body
    )
    assert "- ogni ente proprietario può indicare una soglia fino al 20% delle unità" in a_comune[0].body
    assert (
        "- per ogni unità in carenza manutentiva va indicato il costo stimato dei lavori" in a_comune[0].body
    )
    assert [m for m in mail.outbox if m.to == [a.operatore_aler.email]]


def test_next_years_plan_opens_only_from_an_approved_plan(a):
    with pytest.raises(OperazioneNonValida, match="non è ancora approvato"):
        crea_piano_anno_successivo(piano=a.piano, utente=a.ufficio)
    assert not PianoAnnuale.objects.filter(ambito=a.piano.ambito, anno=a.piano.anno + 1).exists()


def test_next_years_plan_is_created_once(client, a, nuovo):
    client.force_login(a.ufficio)
    risposta = client.post(reverse("piano_annuale:nuovo_anno", args=[a.piano.pk]), follow=True)
    assert f"Il piano {nuovo.anno} dell'{a.piano.ambito} esiste già." in [
        str(m) for m in risposta.context["messages"]
    ]
    assert PianoAnnuale.objects.filter(ambito=a.piano.ambito).count() == 2


@pytest.mark.parametrize("chi", ["operatore_aler", "operatore_comune", "sindaco", "ufficio_altro_ambito"])
def test_only_the_ufficio_di_piano_creates_next_years_plan(client, a, pdf_veloce, chi):
    porta_a(a, StatoPiano.APPROVATA)
    client.force_login(getattr(a, chi))
    assert client.post(reverse("piano_annuale:nuovo_anno", args=[a.piano.pk])).status_code == 404
    assert not PianoAnnuale.objects.filter(anno=a.piano.anno + 1, ambito=a.piano.ambito).exists()


def test_an_ente_confirms_one_unit_then_all_the_others(client, a, nuovo):
    client.force_login(a.operatore_comune)
    elenco = client.get(area("unita_elenco", nuovo, a.ente_comune)).content.decode()
    assert "da confermare" in elenco and "Conferma tutte" in elenco
    stati = StatoUnita.objects.filter(piano=nuovo, unita__ente=a.ente_comune).order_by("pk")
    prima = stati.first()
    assert prima is not None

    client.post(
        area("unita_conferma", nuovo, a.ente_comune, prima.unita_id), {"ritorno": "?stato=da_confermare"}
    )
    assert list(stati.values_list("da_confermare", flat=True)) == [False] + [True] * (stati.count() - 1)
    registrata = Modifica.objects.filter(
        modello="piano_annuale.statounita", oggetto_id=prima.pk, azione="modifica"
    ).get()
    assert registrata.prima is not None and registrata.dopo is not None
    assert (registrata.prima["da_confermare"], registrata.dopo["da_confermare"]) == (True, False)
    assert registrata.utente == a.operatore_comune

    risposta = client.post(area("unita_conferma_tutte", nuovo, a.ente_comune))
    assert risposta["Location"] == area("unita_elenco", nuovo, a.ente_comune)
    assert not stati.filter(da_confermare=True).exists()
    # Another ente's states are untouched.
    assert StatoUnita.objects.filter(piano=nuovo, unita__ente=a.altro_ente, da_confermare=True).exists()


def test_an_ente_cannot_send_its_answer_until_every_state_is_confirmed(client, a, nuovo):
    client.force_login(a.operatore_comune)
    risposta = client.post(area("invia", nuovo, a.ente_comune), {"conferma_avvisi": "1"}, follow=True)
    assert "hanno ancora lo stato ripreso dal piano" in " ".join(str(m) for m in risposta.context["messages"])
    assert not RispostaRicognizione.objects.filter(
        piano=nuovo, ente=a.ente_comune, stato=StatoRisposta.INVIATA
    ).exists()
    conferma_stati(piano=nuovo, ente=a.ente_comune, utente=a.operatore_comune)
    # Under the 2026 rules a unit in carenza manutentiva needs its cost of works (B01, an error
    # that blocks the sending): the ente states it.
    StatoUnita.objects.filter(piano=nuovo, unita__ente=a.ente_comune, stato="carenza").update(
        costo_lavori=1000
    )
    client.post(area("invia", nuovo, a.ente_comune), {"conferma_avvisi": "1"})
    assert RispostaRicognizione.objects.get(piano=nuovo, ente=a.ente_comune).stato == StatoRisposta.INVIATA


def test_saving_a_unit_confirms_its_state(client, a, nuovo):
    stato = StatoUnita.objects.filter(piano=nuovo, unita__ente=a.ente_comune, stato=Stato.LIBERA).first()
    assert stato is not None
    unita = stato.unita
    client.force_login(a.operatore_comune)
    client.post(
        area("unita_modifica", nuovo, a.ente_comune, unita.pk),
        {
            "id_regionale": unita.id_regionale,
            "codice_ente": "",
            "comune": str(unita.comune_id),
            "tipo": "SAP",
            "indirizzo": "",
            "stato": Stato.CARENZA_MANUTENTIVA,
            "programma": "",
            "note": "",
        },
    )
    stato.refresh_from_db()
    assert (stato.stato, stato.da_confermare) == (Stato.CARENZA_MANUTENTIVA, False)


def test_another_entes_operator_cannot_confirm_and_nothing_changes(client, a, nuovo):
    client.force_login(a.operatore_comune)
    prima = fotografia()
    altra = StatoUnita.objects.filter(piano=nuovo, unita__ente=a.altro_ente).first()
    assert altra is not None
    assert client.post(area("unita_conferma", nuovo, a.altro_ente, altra.unita_id)).status_code == 404
    assert client.post(area("unita_conferma_tutte", nuovo, a.altro_ente)).status_code == 404
    # Even naming another ente's unit under their own ente's address.
    assert client.post(area("unita_conferma", nuovo, a.ente_comune, altra.unita_id)).status_code == 404
    assert fotografia() == prima


def test_the_plan_page_shows_each_section_beside_last_years(client, a, nuovo):
    client.force_login(a.ufficio)
    pagina = html.unescape(
        client.get(reverse("piano_annuale:piano_detail", args=[nuovo.pk])).content.decode()
    )
    assert f"Confronto con il piano {a.piano.anno}" in pagina
    assert "come approvato dall'Assemblea dei Sindaci (versione congelata)" in pagina
    g = calcola_piano(a.piano).g.totale.totale
    assert f"nel piano {a.piano.anno}: {g}" in pagina  # section g, beside this year's total
    assert "g) Unità SAP assegnabili nell'anno" in pagina


def test_the_plan_page_with_last_years_plan_costs_the_same_queries_ten_times_larger(client, db, pdf_veloce):
    def prepara(nome: str, prefisso: str, comuni: int):
        a = crea_ambito_con_utenti(nome=nome, prefisso_istat=prefisso, comuni=comuni)
        porta_a(a, StatoPiano.APPROVATA)
        nuovo = crea_piano_anno_successivo(piano=a.piano, utente=a.ufficio).piano
        return a.ufficio, nuovo

    def conta(utente, piano) -> int:
        client.force_login(utente)
        with CaptureQueriesContext(connection) as contesto:
            assert client.get(reverse("piano_annuale:piano_detail", args=[piano.pk])).status_code == 200
        return len(contesto.captured_queries)

    piccolo = prepara("Ambito piccolo con anno precedente", "087", 12)
    grande = prepara("Ambito grande con anno precedente", "085", 120)
    assert conta(*piccolo) == conta(*grande)


def test_a_comune_operator_cannot_see_next_years_plan_page(client, a, nuovo):
    client.force_login(crea_operatore("altro.comune", a.piano.ambito, "comune", a.altro_ente))
    assert client.get(reverse("piano_annuale:piano_detail", args=[nuovo.pk])).status_code == 404
