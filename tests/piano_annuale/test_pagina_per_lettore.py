"""The plan page for each reader (issue 14, point 7): the content beside a sticky index (collapsed on
small screens), the checks collapsed by severity, each Parte seconda error linked to the form that
corrects it, and no working checks for the Assemblea."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from patrimonio.models import EnteProprietario, Ruolo, TipoEnte
from piano_annuale.calcolo import piano_calcolato
from piano_annuale.models import PianoAnnuale, StatoPiano
from piano_annuale.views.piano import correzione
from tests.utenti import crea_operatore


def pagina(client, utente, piano: PianoAnnuale) -> str:
    client.force_login(utente)
    risposta = client.get(reverse("piano_annuale:piano_detail", args=[piano.pk]))
    assert risposta.status_code == 200
    return risposta.content.decode()


def gruppo(testo: str, gravita: str) -> str:
    """The <details> of one severity."""
    trovato = re.search(
        rf'<details class="gruppo-anomalie gruppo-{gravita}">(.*?)</details>', testo, re.DOTALL
    )
    assert trovato is not None, gravita
    return trovato.group(1)


@pytest.fixture
def ufficio(piano_cremonese):
    return crea_operatore("ufficio.pagina", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)


def test_the_index_is_beside_the_content_and_collapsed_on_small_screens(client, ufficio, piano_cremonese):
    testo = pagina(client, ufficio, piano_cremonese)
    laterale = testo.index('<div class="indice-laterale no-stampa">')
    compatto = testo.index('<details class="indice-compatto no-stampa">')
    contenuto = testo.index('<div class="contenuto-piano">')
    assert laterale < contenuto < compatto < testo.index('id="a-titolo"')
    assert testo.count('<a href="#a">a) Consistenza del patrimonio</a>') == 2  # in both indexes


def test_the_checks_are_collapsed_by_severity_with_their_count(client, ufficio, piano_cremonese):
    testo = pagina(client, ufficio, piano_cremonese)
    calcolo = piano_calcolato(piano_cremonese)
    errori = gruppo(testo, "errore")
    assert f">{len(calcolo.errori)} errori</span>" in errori
    assert "bloccano l&#x27;invio ad ALER e l&#x27;approvazione" in errori
    assert errori.count("<tr>") == len(calcolo.errori) + 1  # and the header
    avvisi = gruppo(testo, "avviso")
    assert f">{len(calcolo.avvisi)} avvisi</span>" in avvisi
    assert "da verificare, non bloccano il piano" in avvisi
    assert "<details open" not in testo


def test_parte_seconda_errors_link_to_the_form_that_corrects_them(client, ufficio, piano_cremonese):
    testo = pagina(client, ufficio, piano_cremonese)
    calcolo = piano_calcolato(piano_cremonese)
    seconda = calcolo.parte_seconda
    assert seconda is not None
    complementare = next(m for m in seconda.misure if m.titolo == "Misura complementare")
    errori = gruppo(testo, "errore")
    # M07 names the measure that received the residuals; M10 is about the contributo's split.
    assert (
        f'<a href="{reverse("misure:misura", args=[piano_cremonese.pk, complementare.id])}">Apri la misura'
        in errori
    )
    assert f'<a href="{reverse("misure:solidarieta", args=[piano_cremonese.pk])}">Apri il riparto' in errori
    # Every Parte seconda anomaly has its form.
    for a in (*calcolo.errori, *calcolo.avvisi):
        if a.codice.startswith("M"):
            assert correzione(a, calcolo, piano_cremonese.pk) is not None, a


def test_other_enti_see_the_checks_without_links(client, piano_cremonese):
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(stato=StatoPiano.INVIATA_ALER)  # ALER reads it
    aler = EnteProprietario.objects.get(ambito=piano_cremonese.ambito, tipo=TipoEnte.ALER)
    operatore = crea_operatore("aler.pagina", piano_cremonese.ambito, Ruolo.ALER, aler)
    testo = pagina(client, operatore, piano_cremonese)
    assert 'class="gruppo-anomalie gruppo-errore"' in testo
    assert "Dati da correggere" not in testo
    assert "Apri la misura" not in testo


def test_the_assemblea_reads_the_plan_without_the_working_checks(client, piano_cremonese):
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(stato=StatoPiano.TRASMESSA_ASSEMBLEA)
    sindaco = crea_operatore("sindaco.pagina", piano_cremonese.ambito, Ruolo.ASSEMBLEA)
    testo = pagina(client, sindaco, piano_cremonese)
    assert 'id="a-titolo"' in testo  # the plan
    assert "gruppo-anomalie" not in testo
    assert 'id="controlli-titolo"' not in testo
    assert "Catalogo dei controlli" not in testo
    assert 'href="#controlli"' not in testo
