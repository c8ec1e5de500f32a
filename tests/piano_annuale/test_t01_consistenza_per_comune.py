"""T01 and TAB 2 read the consistenza declared per comune, not the listed units only; «Nulla da
dichiarare» is shown as such in Allegato A (issue 14, point 10)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from ambito.models import Comune
from patrimonio.models import EnteProprietario, Ruolo, TipoEnte
from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import (
    ConsistenzaDichiarata,
    Modifica,
    PianoAnnuale,
    RispostaRicognizione,
    StatoRisposta,
    TurnoverPrevisto,
)
from piano_annuale.services.anno_successivo import crea_piano_anno_successivo
from tests.piano_annuale.conftest import approva
from tests.utenti import crea_operatore, hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)

ALER = "ALER Brescia-Cremona-Mantova"
# Casalmorano: no own patrimonio, no ALER unit listed there in the Cremonese fixture.
T01_CASALMORANO = (
    "ALER Brescia-Cremona-Mantova prevede 2 unità liberate per turn-over nel comune di Casalmorano, dove "
    "non possiede unità abitative."
)


@pytest.fixture
def aler(piano_cremonese):
    return EnteProprietario.objects.get(ambito=piano_cremonese.ambito, tipo=TipoEnte.ALER)


def messaggi(piano, codice: str) -> list[str]:
    return [a.messaggio for a in calcola_piano(piano).anomalie if a.codice == codice]


def tab2(piano) -> list[tuple[str, int, int, int, int]]:
    return [
        (r.gruppo, r.numero_comuni, r.sap, r.sas, r.totale) for r in calcola_piano(piano).sintesi.patrimonio
    ]


def test_turnover_where_aler_declares_units_per_comune_is_no_false_alarm(piano_cremonese, aler):
    casalmorano = Comune.objects.get(nome="Casalmorano")
    TurnoverPrevisto.objects.create(piano=piano_cremonese, ente=aler, comune=casalmorano, numero=2)
    assert messaggi(piano_cremonese, "T01") == [T01_CASALMORANO]
    # The seed's TAB 2 counts 7 comuni where only ALER owns units (the registry's today).
    assert tab2(piano_cremonese)[1:] == [("ALER", 7, 2_417, 19, 2_436), ("AMBITO", 39, 3_850, 134, 3_984)]

    ConsistenzaDichiarata.objects.create(piano=piano_cremonese, ente=aler, comune=casalmorano, sap=4, sas=0)
    assert messaggi(piano_cremonese, "T01") == []
    # What is declared counts: Casalmorano joins the comuni where only ALER owns units.
    assert tab2(piano_cremonese)[1:] == [("ALER", 8, 2_417, 19, 2_436), ("AMBITO", 40, 3_850, 134, 3_984)]
    # Section a still reads the ente's total, one row per ente.
    assert [r.totale for r in calcola_piano(piano_cremonese).a.righe if r.ente.denominazione == ALER] == [
        2_436
    ]


def test_a_comune_declared_with_no_units_does_not_silence_t01(piano_cremonese, aler):
    casalmorano = Comune.objects.get(nome="Casalmorano")
    TurnoverPrevisto.objects.create(piano=piano_cremonese, ente=aler, comune=casalmorano, numero=2)
    ConsistenzaDichiarata.objects.create(piano=piano_cremonese, ente=aler, comune=casalmorano, sap=0, sas=0)
    assert messaggi(piano_cremonese, "T01") == [T01_CASALMORANO]


def test_the_breakdown_that_does_not_add_up_is_a_warning(piano_cremonese, aler):
    casalmorano = Comune.objects.get(nome="Casalmorano")
    cremona = Comune.objects.get(nome="Cremona")
    ConsistenzaDichiarata.objects.create(piano=piano_cremonese, ente=aler, comune=casalmorano, sap=17, sas=0)
    ConsistenzaDichiarata.objects.create(piano=piano_cremonese, ente=aler, comune=cremona, sap=2_000, sas=19)
    assert messaggi(piano_cremonese, "C03") == [
        "ALER Brescia-Cremona-Mantova: la consistenza per comune somma 2017 alloggi SAP e 19 SAS, quella "
        "complessiva ne dichiara 2417 SAP e 19 SAS."
    ]
    ConsistenzaDichiarata.objects.filter(piano=piano_cremonese, ente=aler, comune=cremona).update(sap=2_400)
    assert messaggi(piano_cremonese, "C03") == []


def test_one_row_per_plan_ente_and_comune_and_one_total(piano_cremonese, aler):
    casalmorano = Comune.objects.get(nome="Casalmorano")
    ConsistenzaDichiarata.objects.create(piano=piano_cremonese, ente=aler, comune=casalmorano, sap=1, sas=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsistenzaDichiarata.objects.create(
            piano=piano_cremonese, ente=aler, comune=casalmorano, sap=2, sas=0
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsistenzaDichiarata.objects.create(piano=piano_cremonese, ente=aler, sap=2, sas=0)


def test_the_ente_declares_its_consistenza_per_comune_in_its_workspace(client, piano_cremonese, aler):
    utente = crea_operatore("aler", piano_cremonese.ambito, Ruolo.ALER, aler)
    casalmorano = Comune.objects.get(nome="Casalmorano")
    TurnoverPrevisto.objects.create(piano=piano_cremonese, ente=aler, comune=casalmorano, numero=2)
    client.force_login(utente)
    indirizzo = reverse("patrimonio:consistenza_comuni", args=[piano_cremonese.pk, aler.pk])
    pagina = client.get(indirizzo).content.decode()
    assert "Consistenza complessiva dichiarata: 2.417 SAP e 19 SAS." in pagina
    assert (
        f'<label for="id_sap_{casalmorano.pk}" class="visually-hidden">Alloggi SAP a Casalmorano</label>'
        in pagina
    )
    # ALER's answer is sent: locked until the ufficio di piano reopens it.
    assert client.post(indirizzo, {f"sap_{casalmorano.pk}": "4"}).status_code == 403
    riapri_per_il_test(piano_cremonese, aler)
    errata = client.post(indirizzo, {f"sap_{casalmorano.pk}": "-4"})
    assert errata.status_code == 200 and "Il numero non può essere negativo." in errata.content.decode()
    assert client.post(indirizzo, {f"sap_{casalmorano.pk}": "4"})["Location"] == indirizzo
    riga = ConsistenzaDichiarata.objects.get(piano=piano_cremonese, ente=aler, comune=casalmorano)
    assert (riga.sap, riga.sas) == (4, 0)  # SAS left empty counts as 0
    assert messaggi(piano_cremonese, "T01") == []
    (modifica,) = Modifica.objects.filter(modello="piano_annuale.consistenzadichiarata", utente=utente)
    assert modifica.origine == "consistenza per comune"
    pagina = client.get(indirizzo).content.decode()
    assert "Somma per comune: 4 SAP e 0 SAS in 1 comune." in pagina
    # The ente's total (section a) is untouched by the breakdown, and its own form still edits it.
    totale = ConsistenzaDichiarata.objects.get(piano=piano_cremonese, ente=aler, comune=None)
    assert (totale.sap, totale.sas) == (2_417, 19)
    consistenza = reverse("patrimonio:consistenza", args=[piano_cremonese.pk, aler.pk])
    assert client.post(consistenza, {"sap": "2418", "sas": "19", "fonte": "prova"}).status_code == 302
    assert ConsistenzaDichiarata.objects.get(piano=piano_cremonese, ente=aler, comune=None).sap == 2_418
    # Emptying a comune removes its row.
    assert client.post(indirizzo, {})["Location"] == indirizzo
    assert not ConsistenzaDichiarata.objects.filter(
        piano=piano_cremonese, ente=aler, comune__isnull=False
    ).exists()


def test_nothing_to_declare_is_shown_as_such_in_allegato_a(client, piano_cremonese):
    crotta = EnteProprietario.objects.get(comune__nome="Crotta d'Adda")
    ConsistenzaDichiarata.objects.filter(piano=piano_cremonese, ente=crotta).delete()
    RispostaRicognizione.objects.update_or_create(
        piano=piano_cremonese,
        ente=crotta,
        defaults={"stato": StatoRisposta.NIENTE_DA_DICHIARARE, "inviata_il": timezone.now()},
    )
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(
        revisione=F("revisione") + 1
    )  # as a service would
    (riga,) = [r for r in calcola_piano(piano_cremonese).allegato_a if r.ente.id == crotta.pk]
    assert riga.nulla_da_dichiarare and riga.sap is None and riga.disponibili == 0
    ufficio = crea_operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    client.force_login(ufficio)
    pagina = client.get(reverse("piano_annuale:piano_detail", args=[piano_cremonese.pk])).content.decode()
    assert (
        '<tr><td>Comune di Crotta d&#x27;Adda</td><td class="n" colspan="2">Nulla da dichiarare</td>'
        in pagina
    )


def test_the_consistenza_per_comune_carries_over_to_next_years_plan(piano_cremonese, aler):
    casalmorano = Comune.objects.get(nome="Casalmorano")
    ConsistenzaDichiarata.objects.create(piano=piano_cremonese, ente=aler, comune=casalmorano, sap=4, sas=1)
    approva(piano_cremonese)
    ufficio = crea_operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    nuovo = crea_piano_anno_successivo(piano=piano_cremonese, utente=ufficio).piano
    righe = ConsistenzaDichiarata.objects.filter(piano=nuovo, ente=aler)
    assert {(r.comune_id, r.sap, r.sas) for r in righe} == {(casalmorano.pk, 4, 1), (None, 2_417, 19)}
