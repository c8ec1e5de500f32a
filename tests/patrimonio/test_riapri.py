"""«Riapri la risposta» asks for confirmation (issue 14, point 4): a page says what reopening does
(the ente changes its data again, its answer goes back to compilation, who is told); only its button
reopens."""

from __future__ import annotations

import pytest
from django.urls import reverse

from patrimonio.models import EnteProprietario, Ruolo
from piano_annuale.models import RispostaRicognizione, StatoRisposta
from tests.utenti import crea_operatore, hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)


@pytest.fixture
def cremona(piano_cremonese):
    return EnteProprietario.objects.get(comune__nome="Cremona")


def url(nome: str, piano, ente) -> str:
    return reverse(f"patrimonio:{nome}", args=[piano.pk, ente.pk])


def stato(piano, ente) -> str:
    return RispostaRicognizione.objects.get(piano=piano, ente=ente).stato


def test_the_confirmation_page_says_what_reopening_does_and_changes_nothing(client, piano_cremonese, cremona):
    client.force_login(crea_operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO))
    assert stato(piano_cremonese, cremona) == StatoRisposta.INVIATA
    riepilogo = client.get(url("area_ente", piano_cremonese, cremona)).content.decode()
    assert (
        f'<a class="btn btn-outline-primary" href="{url("riapri", piano_cremonese, cremona)}">Riapri la risposta…</a>'
        in riepilogo
    )

    pagina = client.get(url("riapri", piano_cremonese, cremona))
    testo = pagina.content.decode()
    assert pagina.status_code == 200
    assert "Riaprire la risposta del Comune di Cremona?" in testo
    assert (
        "Il Comune di Cremona potrà di nuovo modificare i propri dati per il piano 2025 e dovrà inviare "
        "di nuovo la risposta all'ufficio di piano."
    ) in testo
    assert (
        "La risposta passa da «Inviata» a «Riaperta dall'ufficio di piano»: per l'ente torna in compilazione."
    ) in testo
    assert "Chi viene avvisato: nessuna e-mail parte in automatico." in testo
    assert '<button type="submit" class="btn btn-primary">Conferma la riapertura</button>' in testo
    assert stato(piano_cremonese, cremona) == StatoRisposta.INVIATA  # a GET changes nothing

    fatto = client.post(url("riapri", piano_cremonese, cremona), follow=True)
    assert stato(piano_cremonese, cremona) == StatoRisposta.RIAPERTA
    assert (
        "Risposta del Comune di Cremona riaperta: l&#x27;ente può di nuovo modificare i dati e inviarli."
        in fatto.content.decode()
    )


def test_aler_s_reopening_names_it_with_its_article(client, piano_cremonese):
    aler = EnteProprietario.objects.get(ambito=piano_cremonese.ambito, tipo="aler")
    client.force_login(crea_operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO))
    testo = client.get(url("riapri", piano_cremonese, aler)).content.decode()
    assert "Riaprire la risposta dell&#x27;ALER Brescia-Cremona-Mantova?" in testo
    dichiarato = client.get(url("dichiarato", piano_cremonese, aler)).content.decode()
    assert (
        "La risposta dell&#x27;ALER Brescia-Cremona-Mantova è stata inviata: per correggere i totali"
        in dichiarato
    )
    assert f'href="{url("riapri", piano_cremonese, aler)}">Riapri la risposta…</a>' in dichiarato


def test_the_ente_may_not_reopen_its_own_answer(client, piano_cremonese, cremona):
    client.force_login(crea_operatore("cremona", piano_cremonese.ambito, Ruolo.COMUNE, cremona))
    assert client.get(url("riapri", piano_cremonese, cremona)).status_code == 403
    assert client.post(url("riapri", piano_cremonese, cremona)).status_code == 403
    assert stato(piano_cremonese, cremona) == StatoRisposta.INVIATA


def test_an_answer_not_sent_has_nothing_to_reopen(client, piano_cremonese, cremona):
    riapri_per_il_test(piano_cremonese, cremona)
    client.force_login(crea_operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO))
    testo = client.get(url("riapri", piano_cremonese, cremona)).content.decode()
    assert "Il Comune di Cremona non ha inviato la risposta: non c'è nulla da riaprire." in testo
    assert "Conferma la riapertura" not in testo
