"""Each ente sees its own checks before sending (issue 14, point 2): the catalogue filtered to the
ente on its workspace, each anomaly linked to the page that fixes it; «Invia la risposta» blocks on
errors and asks a confirmation for warnings."""

from __future__ import annotations

import pytest
from django.db.models import F
from django.urls import reverse

from ambito.models import Comune
from patrimonio.models import EnteProprietario, Ruolo, TipoEnte, UnitaAbitativa
from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import PianoAnnuale, RispostaRicognizione, Stato, StatoRisposta, StatoUnita
from tests.utenti import crea_operatore, hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)


@pytest.fixture
def enti(piano_cremonese):
    return {
        "aler": EnteProprietario.objects.get(ambito=piano_cremonese.ambito, tipo=TipoEnte.ALER),
        "cremona": EnteProprietario.objects.get(comune__nome="Cremona"),
    }


@pytest.fixture
def utenti(piano_cremonese, enti):
    ambito = piano_cremonese.ambito
    return {
        "aler": crea_operatore("aler", ambito, Ruolo.ALER, enti["aler"]),
        "cremona": crea_operatore("cremona", ambito, Ruolo.COMUNE, enti["cremona"]),
        "ufficio": crea_operatore("ufficio", ambito, Ruolo.UFFICIO_DI_PIANO),
    }


def url(nome: str, piano, ente, *altri: int) -> str:
    return reverse(f"patrimonio:{nome}", args=[piano.pk, ente.pk, *altri])


def test_the_ente_sees_its_own_errors_with_the_link_that_fixes_each(client, piano_cremonese, enti, utenti):
    client.force_login(utenti["aler"])
    pagina = client.get(url("area_ente", piano_cremonese, enti["aler"])).content.decode()
    assert "Controlli di coerenza sull&#x27;ALER Brescia-Cremona-Mantova" in pagina
    assert "3 errori (bloccano l'invio del piano ad ALER). Sono gli stessi controlli del piano" in pagina
    assert (
        "ALER Brescia-Cremona-Mantova ha dichiarato in piattaforma 18 U.I. libere e per turn-over, ma dalle "
        "unità e dai conteggi elencati ne risultano 19."
    ) in pagina
    dichiarato = url("dichiarato", piano_cremonese, enti["aler"])
    assert f'<a href="{dichiarato}">Correggi i totali dichiarati' in pagina
    unita = UnitaAbitativa.objects.get(id_regionale="3161156")
    apri = url("unita_modifica", piano_cremonese, enti["aler"], unita.pk)
    assert f'<a href="{apri}">Apri l&#x27;unità' in pagina
    # Another ente's anomalies are not there.
    assert "Comune di Formigara ha dichiarato" not in pagina


def test_another_ente_does_not_see_alers_checks(client, piano_cremonese, enti, utenti):
    client.force_login(utenti["cremona"])
    pagina = client.get(url("area_ente", piano_cremonese, enti["cremona"])).content.decode()
    assert "Controlli di coerenza sul Comune di Cremona" in pagina
    assert "ALER Brescia-Cremona-Mantova ha dichiarato" not in pagina
    assert "Errore" not in pagina  # Cremona has warnings only
    assert (
        "Comune di Cremona destina ai SAT 5 unità su 27 disponibili nell&#x27;anno, oltre il 10% (2,7 unità)."
        in pagina
    )
    assert client.get(url("area_ente", piano_cremonese, enti["aler"])).status_code == 404


def test_errors_block_invia_la_risposta_with_their_list(client, piano_cremonese, enti, utenti):
    riapri_per_il_test(piano_cremonese, enti["aler"])
    client.force_login(utenti["aler"])
    pagina = client.get(url("invia", piano_cremonese, enti["aler"])).content.decode()
    assert "La risposta non si può inviare:</strong> 3 errori da correggere." in pagina
    assert "Conferma l'invio" not in pagina and "Invia comunque" not in pagina
    rifiuto = client.post(url("invia", piano_cremonese, enti["aler"]), {"conferma_avvisi": "1"})
    assert rifiuto.status_code == 409
    assert "La risposta non è stata inviata: ci sono 3 errori da correggere." in rifiuto.content.decode()
    assert (
        RispostaRicognizione.objects.get(piano=piano_cremonese, ente=enti["aler"]).stato
        == StatoRisposta.NESSUNA
    )


def test_warnings_ask_for_a_confirmation_before_sending(client, piano_cremonese, enti, utenti):
    riapri_per_il_test(piano_cremonese, enti["cremona"])
    client.force_login(utenti["cremona"])
    pagina = client.get(url("invia", piano_cremonese, enti["cremona"])).content.decode()
    assert "Ho letto gli avvisi e invio comunque la risposta" in pagina
    assert "Invia comunque" in pagina
    assert "Dopo l'invio i dati non sono più modificabili" in pagina
    # R01 («has not answered») is what sending resolves: not among the warnings before sending.
    assert "non ha risposto alla ricognizione" not in pagina
    senza_conferma = client.post(url("invia", piano_cremonese, enti["cremona"]))
    assert senza_conferma.status_code == 400
    assert "spuntare la conferma e premere «Invia comunque»" in senza_conferma.content.decode()
    assert (
        RispostaRicognizione.objects.get(piano=piano_cremonese, ente=enti["cremona"]).stato
        == StatoRisposta.NESSUNA
    )
    inviata = client.post(url("invia", piano_cremonese, enti["cremona"]), {"conferma_avvisi": "1"})
    assert inviata.status_code == 302
    assert (
        RispostaRicognizione.objects.get(piano=piano_cremonese, ente=enti["cremona"]).stato
        == StatoRisposta.INVIATA
    )


def test_an_ente_without_anomalies_confirms_the_sending_only(client, piano_cremonese):
    formigara = EnteProprietario.objects.get(comune__nome="Bonemerse")
    utente = crea_operatore("bonemerse", piano_cremonese.ambito, Ruolo.COMUNE, formigara)
    riapri_per_il_test(piano_cremonese, formigara)
    client.force_login(utente)
    pagina = client.get(url("invia", piano_cremonese, formigara)).content.decode()
    assert "Nessuna anomalia rilevata per questo ente." in pagina
    assert "Conferma l'invio" in pagina and "Invia comunque" not in pagina
    assert client.post(url("invia", piano_cremonese, formigara)).status_code == 302
    assert (
        RispostaRicognizione.objects.get(piano=piano_cremonese, ente=formigara).stato == StatoRisposta.INVIATA
    )


def test_an_error_the_ente_introduces_shows_at_once_on_its_page(client, piano_cremonese, enti, utenti):
    riapri_per_il_test(piano_cremonese, enti["cremona"])
    # A unit of Cremona in a renovation programme while declared free (U01).
    unita = UnitaAbitativa.objects.create(
        ente=enti["cremona"], comune=Comune.objects.get(nome="Cremona"), id_regionale="T-DOPPIA-1"
    )
    StatoUnita.objects.create(piano=piano_cremonese, unita=unita, stato=Stato.LIBERA, programma="LOTTO 9")
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(
        revisione=F("revisione") + 1
    )  # as a service would
    client.force_login(utenti["cremona"])
    pagina = client.get(url("area_ente", piano_cremonese, enti["cremona"])).content.decode()
    assert "Errore U01" in pagina
    # U01, and D01 twice: the new free unit no longer matches what Cremona declared on the platform.
    assert "3 errori da correggere prima dell'invio e 2 avvisi." in pagina
    assert (
        client.post(url("invia", piano_cremonese, enti["cremona"]), {"conferma_avvisi": "1"}).status_code
        == 409
    )


def test_u02_is_shown_to_the_ente_without_other_entes_detail(client, piano_cremonese, enti, utenti):
    cremona = Comune.objects.get(nome="Cremona")
    UnitaAbitativa.objects.create(ente=enti["cremona"], comune=cremona, id_regionale="00777")
    UnitaAbitativa.objects.create(ente=enti["aler"], comune=cremona, id_regionale="777")
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(revisione=F("revisione") + 1)
    (u02,) = [a for a in calcola_piano(piano_cremonese).anomalie if a.codice == "U02"]
    ente = next(e for e in enti.values() if e.pk == u02.ente_id)
    altro = next(e for e in enti.values() if e.pk != u02.ente_id)
    client.force_login(utenti["cremona" if ente == enti["cremona"] else "aler"])
    pagina = client.get(url("area_ente", piano_cremonese, ente)).content.decode()
    assert (
        "Un ID regionale di un&#x27;unità di questo ente risulta attribuito anche a unità di altri enti, "
        "scritto in modo diverso"
    ) in pagina
    assert f"({altro.denominazione})" not in pagina
    client.force_login(utenti["ufficio"])
    pagina = client.get(url("area_ente", piano_cremonese, ente)).content.decode()
    assert "L&#x27;ID regionale 777 è attribuito a 2 unità diverse" in pagina
