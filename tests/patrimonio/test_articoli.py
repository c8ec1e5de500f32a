"""The ente named with its article in the workspace's pages and messages (issue 14, point 10):
«Risposta del Comune di Cremona riaperta», «La risposta dell'ALER … è stata inviata il 1° dicembre
2025 alle 10:30», «Controlli di coerenza sul Comune di Cremona»."""

from __future__ import annotations

import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from patrimonio.models import EnteProprietario, Ruolo, TipoEnte, UnitaAbitativa
from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import RiepilogoDichiarato, RispostaRicognizione, ScelteEnte
from piano_annuale.rendering.tabelle import tabelle_del_piano
from piano_annuale.services.ente import motivo_blocco, salva_unita
from piano_annuale.services.errori import ModificaNonConsentita
from tests.utenti import crea_operatore, hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)


@pytest.fixture
def enti(piano_cremonese):
    return {
        "aler": EnteProprietario.objects.get(ambito=piano_cremonese.ambito, tipo=TipoEnte.ALER),
        "cremona": EnteProprietario.objects.get(comune__nome="Cremona"),
    }


def url(nome: str, piano, ente) -> str:
    return reverse(f"patrimonio:{nome}", args=[piano.pk, ente.pk])


def test_a_sent_answer_is_named_with_the_entes_article_and_its_date_with_the_ordinal(piano_cremonese, enti):
    risposta = RispostaRicognizione.objects.get(piano=piano_cremonese, ente=enti["aler"])
    risposta.inviata_il = timezone.make_aware(datetime.datetime(2025, 12, 1, 10, 30))
    risposta.save(update_fields=["inviata_il"])
    assert motivo_blocco(piano=piano_cremonese, risposta=risposta) == (
        "La risposta dell'ALER Brescia-Cremona-Mantova è stata inviata il 1° dicembre 2025 alle 10:30 "
        "(«Inviata»): i dati sono bloccati. Per modificarli occorre che l'ufficio di piano riapra la risposta."
    )


def test_the_workspace_pages_name_the_ente_with_its_article(client, piano_cremonese, enti):
    cremona = enti["cremona"]
    riapri_per_il_test(piano_cremonese, cremona)
    client.force_login(crea_operatore("cremona", piano_cremonese.ambito, Ruolo.COMUNE, cremona))
    riepilogo = client.get(url("area_ente", piano_cremonese, cremona)).content.decode()
    assert '<h2 class="h4 mt-4" id="anomalie">Controlli di coerenza sul Comune di Cremona</h2>' in riepilogo
    assert "Riepilogo dei dati dichiarati dal Comune di Cremona</caption>" in riepilogo
    assert 'Unità abitative<span class="visually-hidden"> del Comune di Cremona</span>' in riepilogo
    invio = client.get(url("invia", piano_cremonese, cremona)).content.decode()
    assert "I dati del Comune di Cremona per il piano 2025 sono trasmessi all'ufficio di piano" in invio
    assert "Controlli di coerenza sul Comune di Cremona</h2>" in invio


def test_alers_declared_figures_page_uses_its_article(client, piano_cremonese, enti):
    client.force_login(crea_operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO))
    pagina = client.get(url("dichiarato", piano_cremonese, enti["aler"])).content.decode()
    assert (
        "<p>I totali che l&#x27;ALER Brescia-Cremona-Mantova ha dichiarato nel modulo di programmazione"
        in pagina
    )
    assert "Totali dichiarati in piattaforma dall&#x27;ALER Brescia-Cremona-Mantova</legend>" in pagina
    cruscotto = client.get(reverse("piano_annuale:cruscotto", args=[piano_cremonese.pk])).content.decode()
    assert '<span class="visually-hidden"> del Comune di Cremona</span></a>' in cruscotto


def test_nothing_to_declare_names_the_comune_with_its_article(client, piano_cremonese):
    acquanegra = EnteProprietario.objects.get(comune__nome="Acquanegra Cremonese")
    riapri_per_il_test(piano_cremonese, acquanegra)
    client.force_login(crea_operatore("acquanegra", piano_cremonese.ambito, Ruolo.COMUNE, acquanegra))
    risposta = client.post(url("nulla_da_dichiarare", piano_cremonese, acquanegra), follow=True)
    assert (
        "Risposta inviata: il Comune di Acquanegra Cremonese non ha nulla da dichiarare per il piano 2025."
        in risposta.content.decode()
    )


def test_a_unit_of_another_ente_is_refused_naming_the_ente_with_its_article(piano_cremonese, enti):
    riapri_per_il_test(piano_cremonese, enti["cremona"])
    unita = UnitaAbitativa.objects.filter(ente=enti["aler"]).first()
    ufficio = crea_operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    with pytest.raises(ModificaNonConsentita, match=r"^L'unità non appartiene al Comune di Cremona\.$"):
        salva_unita(
            piano=piano_cremonese,
            ente=enti["cremona"],
            unita=unita,
            utente=ufficio,
            valori_unita={},
            valori_stato=None,
        )


def test_the_e_mails_to_an_ente_name_it_with_its_article(piano_cremonese, enti):
    contesto = {"ente": enti["aler"], "piano": piano_cremonese}
    assert render_to_string("piano_annuale/email/promemoria.txt", contesto).startswith(
        "Gentile referente dell'ALER Brescia-Cremona-Mantova,\n"
    )
    assert render_to_string("piano_annuale/iter/email/nuovo_piano.txt", contesto).startswith(
        "Gentile referente dell'ALER Brescia-Cremona-Mantova,\n"
    )
    assert render_to_string("piano_annuale/iter/email/nuovo_piano_oggetto.txt", contesto).strip() == (
        "Piano annuale 2025 – ricognizione aperta: confermare lo stato delle unità dell'ALER "
        "Brescia-Cremona-Mantova"
    )
    operatore = crea_operatore(
        "cremona", piano_cremonese.ambito, Ruolo.COMUNE, enti["cremona"]
    ).operatori.get()
    invito = render_to_string(
        "ambito/insediamento/email/invito.txt",
        {
            "user": operatore.user,
            "operatore": operatore,
            "ambito": piano_cremonese.ambito,
            "ruolo": "Comune",
            "mittente": "L'ufficio di piano",
        },
    )
    assert "con il ruolo di comune per il Comune di Cremona." in invito


def test_the_plan_tables_and_the_records_name_the_ente_with_its_article(piano_cremonese, enti):
    tabelle = {t.codice: t for t in tabelle_del_piano(calcola_piano(piano_cremonese))}
    esiti = {esito for _, esito in tabelle["ricognizione_enti"].righe}
    assert "Gestione delegata all'ALER Brescia-Cremona-Mantova" in esiti
    assert str(ScelteEnte(piano=piano_cremonese, ente=enti["cremona"])) == "Scelte del Comune di Cremona"
    assert str(RiepilogoDichiarato(piano=piano_cremonese, ente=enti["aler"])) == (
        "Riepilogo dichiarato dall'ALER Brescia-Cremona-Mantova"
    )
