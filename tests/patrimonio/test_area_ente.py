"""The ente workspace: every page and every write, for each role; validation; submit and reopen."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import IntegrityError
from django.urls import reverse

from ambito.models import Comune
from patrimonio.models import EnteProprietario, Ruolo, TipoEnte, UnitaAbitativa
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    PianoAnnuale,
    RispostaRicognizione,
    ScelteEnte,
    Stato,
    StatoPiano,
    StatoRisposta,
    StatoUnita,
    TurnoverPrevisto,
)
from tests.builders import crea_ambito
from tests.utenti import crea_operatore, fotografia, hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)

ID_DI_CREMONA = "36501269"  # a unit of the Comune di Cremona in the fixture
# «Invia la risposta» asks to confirm the ente's warnings (its errors block): tests of the sending confirm.
INVIA_COMUNQUE = {"conferma_avvisi": "1"}


@pytest.fixture
def enti(piano_cremonese):
    ambito = piano_cremonese.ambito
    return {
        "cremona": EnteProprietario.objects.get(comune__nome="Cremona"),
        "soresina": EnteProprietario.objects.get(comune__nome="Soresina"),
        "aler": EnteProprietario.objects.get(ambito=ambito, tipo=TipoEnte.ALER),
    }


@pytest.fixture
def utenti(piano_cremonese, enti):
    ambito = piano_cremonese.ambito
    altro = crea_ambito(nome="Altro ambito", comuni=2, prefisso_istat="095")
    return {
        "ufficio": crea_operatore("ufficio", ambito, Ruolo.UFFICIO_DI_PIANO),
        "cremona": crea_operatore("cremona", ambito, Ruolo.COMUNE, enti["cremona"]),
        "soresina": crea_operatore("soresina", ambito, Ruolo.COMUNE, enti["soresina"]),
        "aler": crea_operatore("aler", ambito, Ruolo.ALER, enti["aler"]),
        "assemblea": crea_operatore("sindaco", ambito, Ruolo.ASSEMBLEA),
        "altro_ufficio": crea_operatore("altro", altro.ambito, Ruolo.UFFICIO_DI_PIANO),
    }


@pytest.fixture
def aperti(piano_cremonese, enti):
    """The fixture's enti sent their answers: reopen them so their data may change."""
    for ente in enti.values():
        riapri_per_il_test(piano_cremonese, ente)


def url(nome: str, piano: PianoAnnuale, ente: EnteProprietario, *altri: int) -> str:
    return reverse(f"patrimonio:{nome}", args=[piano.pk, ente.pk, *altri])


def pagine(piano: PianoAnnuale, ente: EnteProprietario, unita: UnitaAbitativa) -> list[str]:
    return [
        url("area_ente", piano, ente),
        url("unita_elenco", piano, ente),
        url("unita_nuova", piano, ente),
        url("unita_modifica", piano, ente, unita.pk),
        url("unita_elimina", piano, ente, unita.pk),
        url("turnover", piano, ente),
        url("consistenza", piano, ente),
        url("scelte", piano, ente),
        url("sat", piano, ente),
        url("assegnazioni", piano, ente),
    ]


def righe(comune_id: int, numero: int = 2, prefisso: str = "righe") -> dict[str, str]:
    return {
        f"{prefisso}-TOTAL_FORMS": "1",
        f"{prefisso}-INITIAL_FORMS": "0",
        f"{prefisso}-0-comune": str(comune_id),
        f"{prefisso}-0-numero": str(numero),
    }


def dati_unita(comune_id: int, **altri: str) -> dict[str, str]:
    dati = {
        "id_regionale": "T-NUOVA-1",
        "codice_ente": "",
        "comune": str(comune_id),
        "tipo": "SAP",
        "indirizzo": "Via Roma 1",
        "stato": Stato.LIBERA,
        "programma": "",
        "note": "",
    }
    return {**dati, **altri}


def scritture(piano: PianoAnnuale, ente: EnteProprietario, unita: UnitaAbitativa) -> list[tuple[str, dict]]:
    """Every write of the workspace, with valid data."""
    comune = ente.comune_id or unita.comune_id
    return [
        (url("unita_nuova", piano, ente), dati_unita(comune)),
        (url("unita_modifica", piano, ente, unita.pk), dati_unita(comune, id_regionale="T-MOD-1")),
        (url("unita_elimina", piano, ente, unita.pk), {}),
        (url("turnover", piano, ente), righe(comune)),
        (url("sat", piano, ente), righe(comune, 1)),
        (url("consistenza", piano, ente), {"sap": "5", "sas": "1", "fonte": "prova"}),
        (
            url("scelte", piano, ente),
            {
                "soglia_indigenti_eccedente": "0",
                "categoria_aggiuntiva": "",
                "motivazione_categoria": "",
                "quota_forze_polizia": "5",
            },
        ),
        (url("assegnazioni", piano, ente), {"totale": "3", "mobilita": "1", "in_deroga": "0"}),
        (url("nulla_da_dichiarare", piano, ente), {}),
        (url("invia", piano, ente), INVIA_COMUNQUE),
        (url("riapri", piano, ente), {}),
    ]


# --------------------------------------------------------------------------------------------
# Who opens what
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ruolo", ["cremona", "ufficio"])
def test_own_ente_and_ufficio_di_piano_open_every_page_of_the_workspace(
    client, utenti, enti, piano_cremonese, ruolo
):
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    client.force_login(utenti[ruolo])
    for indirizzo in pagine(piano_cremonese, enti["cremona"], unita):
        risposta = client.get(indirizzo)
        assert risposta.status_code == 200, indirizzo


@pytest.mark.parametrize("ruolo", ["soresina", "aler", "assemblea", "altro_ufficio"])
def test_another_entes_pages_are_not_found_and_leak_nothing(client, utenti, enti, piano_cremonese, ruolo):
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    client.force_login(utenti[ruolo])
    for indirizzo in pagine(piano_cremonese, enti["cremona"], unita):
        risposta = client.get(indirizzo)
        assert risposta.status_code == 404, indirizzo
        testo = risposta.content.decode()
        assert ID_DI_CREMONA not in testo
        assert "Via Giuseppina" not in testo


def test_aler_operator_cannot_open_a_comunes_workspace_but_opens_its_own(
    client, utenti, enti, piano_cremonese
):
    client.force_login(utenti["aler"])
    assert client.get(url("area_ente", piano_cremonese, enti["soresina"])).status_code == 404
    risposta = client.get(url("unita_elenco", piano_cremonese, enti["aler"]))
    assert risposta.status_code == 200
    assert "3155513" in risposta.content.decode()


def test_a_unit_of_another_ente_is_not_found_under_ones_own_workspace(
    client, utenti, enti, piano_cremonese, aperti
):
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    client.force_login(utenti["soresina"])
    prima = fotografia()
    for nome in ("unita_modifica", "unita_elimina"):
        indirizzo = url(nome, piano_cremonese, enti["soresina"], unita.pk)
        assert client.get(indirizzo).status_code == 404
        risposta = client.post(indirizzo, dati_unita(enti["soresina"].comune_id, id_regionale="RUBATA"))
        assert risposta.status_code == 404
        assert ID_DI_CREMONA not in risposta.content.decode()
    assert fotografia() == prima


@pytest.mark.parametrize("ruolo", ["soresina", "aler", "assemblea", "altro_ufficio"])
def test_every_write_to_another_ente_is_refused_and_changes_nothing(
    client, utenti, enti, piano_cremonese, aperti, ruolo
):
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    client.force_login(utenti[ruolo])
    prima = fotografia()
    for indirizzo, dati in scritture(piano_cremonese, enti["cremona"], unita):
        risposta = client.post(indirizzo, dati)
        assert risposta.status_code == 404, indirizzo
        assert ID_DI_CREMONA not in risposta.content.decode()
    assert fotografia() == prima


def test_anonymous_visitors_are_sent_to_login_and_change_nothing(client, enti, piano_cremonese, aperti):
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    prima = fotografia()
    for indirizzo in pagine(piano_cremonese, enti["cremona"], unita):
        assert client.get(indirizzo)["Location"].startswith(reverse("login"))
    for indirizzo, dati in scritture(piano_cremonese, enti["cremona"], unita):
        assert client.post(indirizzo, dati).status_code == 302
    assert fotografia() == prima


# --------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------


def test_adding_a_unit_records_it_with_its_state_and_starts_the_answer(
    client, utenti, enti, piano_cremonese, aperti
):
    soresina = enti["soresina"]
    client.force_login(utenti["soresina"])
    risposta = client.post(url("unita_nuova", piano_cremonese, soresina), dati_unita(soresina.comune_id))
    assert risposta.status_code == 302
    unita = UnitaAbitativa.objects.get(id_regionale="T-NUOVA-1")
    assert unita.ente == soresina and unita.indirizzo == "Via Roma 1"
    assert StatoUnita.objects.get(piano=piano_cremonese, unita=unita).stato == Stato.LIBERA
    stato_risposta = RispostaRicognizione.objects.get(piano=piano_cremonese, ente=soresina)
    assert stato_risposta.stato == StatoRisposta.IN_CORSO
    assert stato_risposta.aggiornata_da == utenti["soresina"]
    assert stato_risposta.aggiornata_il is not None
    assert "T-NUOVA-1" in client.get(url("unita_elenco", piano_cremonese, soresina)).content.decode()


def test_a_posted_ente_field_cannot_move_a_unit_to_another_ente(
    client, utenti, enti, piano_cremonese, aperti
):
    soresina = enti["soresina"]
    client.force_login(utenti["soresina"])
    dati = dati_unita(soresina.comune_id, ente=str(enti["cremona"].pk))
    client.post(url("unita_nuova", piano_cremonese, soresina), dati)
    assert UnitaAbitativa.objects.get(id_regionale="T-NUOVA-1").ente == soresina


def test_editing_a_unit_changes_it_and_a_blank_state_takes_it_out_of_the_year(
    client, utenti, enti, piano_cremonese, aperti
):
    cremona = enti["cremona"]
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    client.force_login(utenti["cremona"])
    dati = dati_unita(cremona.comune_id, id_regionale=ID_DI_CREMONA, stato=Stato.CARENZA_MANUTENTIVA)
    assert client.post(url("unita_modifica", piano_cremonese, cremona, unita.pk), dati).status_code == 302
    assert StatoUnita.objects.get(piano=piano_cremonese, unita=unita).stato == Stato.CARENZA_MANUTENTIVA
    dati["stato"] = ""
    assert client.post(url("unita_modifica", piano_cremonese, cremona, unita.pk), dati).status_code == 302
    assert not StatoUnita.objects.filter(piano=piano_cremonese, unita=unita).exists()
    assert UnitaAbitativa.objects.filter(pk=unita.pk).exists()


def test_deleting_a_unit_removes_it_unless_another_plan_counts_it(
    client, utenti, enti, piano_cremonese, aperti
):
    cremona = enti["cremona"]
    client.force_login(utenti["cremona"])
    unita = UnitaAbitativa.objects.get(id_regionale=ID_DI_CREMONA)
    assert (
        "cancellata dal registro"
        in client.get(url("unita_elimina", piano_cremonese, cremona, unita.pk)).content.decode()
    )
    assert client.post(url("unita_elimina", piano_cremonese, cremona, unita.pk)).status_code == 302
    assert not UnitaAbitativa.objects.filter(pk=unita.pk).exists()

    altra = UnitaAbitativa.objects.get(id_regionale="36502011")
    piano_2024 = PianoAnnuale.objects.create(
        ambito=piano_cremonese.ambito, anno=2024, data_popolazione="2023-01-01", stato=StatoPiano.APPROVATA
    )
    StatoUnita.objects.create(piano=piano_2024, unita=altra, stato=Stato.LIBERA)
    client.post(url("unita_elimina", piano_cremonese, cremona, altra.pk))
    assert UnitaAbitativa.objects.filter(pk=altra.pk).exists()
    assert not StatoUnita.objects.filter(piano=piano_cremonese, unita=altra).exists()
    assert StatoUnita.objects.filter(piano=piano_2024, unita=altra).exists()


@pytest.mark.parametrize(
    ("modifiche", "campo", "messaggio"),
    [
        ({"id_regionale": ID_DI_CREMONA}, "id_regionale", "già attribuito a un&#x27;altra unità"),
        ({"id_regionale": "12 34"}, "id_regionale", "solo lettere, cifre, punto, barra e trattino"),
        ({"comune": ""}, "comune", "Indicare il comune in cui si trova l&#x27;unità."),
        (
            {"stato": Stato.LIBERA, "programma": "LOTTO 9"},
            "programma",
            "solo per le unità in ristrutturazione",
        ),
        ({"stato": "", "note": "x"}, "note", "indicare prima lo stato"),
    ],
)
def test_unit_form_explains_each_error_next_to_its_field(
    client, utenti, enti, piano_cremonese, aperti, modifiche, campo, messaggio
):
    soresina = enti["soresina"]
    client.force_login(utenti["soresina"])
    prima = fotografia()
    risposta = client.post(
        url("unita_nuova", piano_cremonese, soresina), dati_unita(soresina.comune_id, **modifiche)
    )
    assert risposta.status_code == 200
    testo = risposta.content.decode()
    assert f'id="id_{campo}_error"' in testo
    assert messaggio in testo
    assert f'aria-describedby="id_{campo}_' in testo  # the message is tied to the control
    assert fotografia() == prima


def test_unit_in_a_comune_of_another_ambito_is_refused(client, utenti, enti, piano_cremonese, aperti):
    estraneo = Comune.objects.exclude(ambito=piano_cremonese.ambito).first() or Comune.objects.create(
        codice_istat="999001", nome="Fuori ambito", provincia="ZZ"
    )
    client.force_login(utenti["soresina"])
    risposta = client.post(url("unita_nuova", piano_cremonese, enti["soresina"]), dati_unita(estraneo.pk))
    assert risposta.status_code == 200
    assert 'id="id_comune_error"' in risposta.content.decode()
    assert not UnitaAbitativa.objects.filter(id_regionale="T-NUOVA-1").exists()


def test_a_duplicate_the_database_refuses_is_shown_with_the_constraints_message(
    client, utenti, enti, piano_cremonese, aperti
):
    # As if another user saved the same ID between the form's check and the write.
    soresina = enti["soresina"]
    client.force_login(utenti["soresina"])
    with mock.patch("patrimonio.forms.UnitaForm.clean_id_regionale", lambda self: ID_DI_CREMONA):
        risposta = client.post(url("unita_nuova", piano_cremonese, soresina), dati_unita(soresina.comune_id))
    assert risposta.status_code == 200
    testo = risposta.content.decode()
    # The constraint's own message, on SQLite as on PostgreSQL: not the generic one for unknown refusals.
    assert "Questo ID regionale è già attribuito a un&#x27;altra unità abitativa." in testo
    assert "vincolo di integrità" not in testo
    assert UnitaAbitativa.objects.filter(id_regionale=ID_DI_CREMONA).count() == 1
    assert (
        RispostaRicognizione.objects.get(piano=piano_cremonese, ente=soresina).stato == StatoRisposta.NESSUNA
    )


def test_a_database_refusal_inside_the_service_rolls_back_everything(enti, piano_cremonese, utenti, aperti):
    from piano_annuale.services.ente import salva_unita

    soresina = enti["soresina"]
    prima = fotografia()
    guasto = mock.patch(
        "piano_annuale.services.ente.registra_modifica", side_effect=IntegrityError("simulato")
    )
    with guasto, pytest.raises(IntegrityError):
        salva_unita(
            piano=piano_cremonese,
            ente=soresina,
            utente=utenti["soresina"],
            valori_unita={"comune_id": soresina.comune_id, "id_regionale": "T-ROLLBACK"},
            valori_stato={"stato": Stato.LIBERA},
        )
    assert fotografia() == prima


def test_unit_list_is_searchable_filterable_and_paginated(client, utenti, enti, piano_cremonese):
    aler = enti["aler"]
    client.force_login(utenti["aler"])
    elenco = url("unita_elenco", piano_cremonese, aler)
    testo = client.get(elenco).content.decode()
    assert "130 unità – pagina 1 di 6" in testo
    assert "pagina=2" in testo
    assert "3155513" in client.get(elenco + "?q=Acquanegra").content.decode()
    testo = client.get(elenco + "?q=BS151842").content.decode()
    assert "1 unità trovate" in testo and "3155513" in testo
    testo = client.get(elenco + f"?stato={Stato.LIBERA}").content.decode()
    assert "18 unità trovate" in testo
    testo = client.get(elenco + "?q=Cremona&pagina=2").content.decode()
    assert "pagina 2 di" in testo and "q=Cremona" in testo


# --------------------------------------------------------------------------------------------
# Counts, consistenza, choices, assignments
# --------------------------------------------------------------------------------------------


def test_turnover_and_sat_are_saved_per_comune_and_rows_can_be_removed(
    client, utenti, enti, piano_cremonese, aperti
):
    aler, cremona = enti["aler"], enti["cremona"]
    client.force_login(utenti["aler"])
    dati = {
        "righe-TOTAL_FORMS": "2",
        "righe-INITIAL_FORMS": "0",
        "righe-0-comune": str(cremona.comune_id),
        "righe-0-numero": "4",
        "righe-1-comune": str(enti["soresina"].comune_id),
        "righe-1-numero": "1",
    }
    assert client.post(url("turnover", piano_cremonese, aler), dati).status_code == 302
    assert dict(
        TurnoverPrevisto.objects.filter(piano=piano_cremonese, ente=aler).values_list(
            "comune__nome", "numero"
        )
    ) == {
        "Cremona": 4,
        "Soresina": 1,
    }
    dati["righe-1-DELETE"] = "on"
    client.post(url("turnover", piano_cremonese, aler), dati)
    assert dict(
        TurnoverPrevisto.objects.filter(piano=piano_cremonese, ente=aler).values_list(
            "comune__nome", "numero"
        )
    ) == {"Cremona": 4}
    assert client.post(url("sat", piano_cremonese, aler), righe(cremona.comune_id, 2)).status_code == 302
    assert DestinazioneSAT.objects.get(piano=piano_cremonese, ente=aler).numero == 2


@pytest.mark.parametrize(
    ("dati", "messaggio"),
    [
        ({"righe-0-numero": "0"}, "Indicare almeno 1"),
        ({"righe-0-numero": ""}, "Indicare il numero di alloggi per il comune scelto."),
        ({"righe-0-comune": "999999"}, "Scegliere un comune dell&#x27;ambito."),
        (
            {"righe-TOTAL_FORMS": "2", "righe-1-comune": "{comune}", "righe-1-numero": "1"},
            "è già indicato in un&#x27;altra riga",
        ),
    ],
)
def test_count_rows_are_validated_with_clear_messages(
    client, utenti, enti, piano_cremonese, aperti, dati, messaggio
):
    soresina = enti["soresina"]
    client.force_login(utenti["soresina"])
    post = righe(soresina.comune_id)
    post.update({k: v.format(comune=soresina.comune_id) for k, v in dati.items()})
    prima = fotografia()
    risposta = client.post(url("turnover", piano_cremonese, soresina), post)
    assert risposta.status_code == 200
    assert messaggio in risposta.content.decode()
    assert fotografia() == prima


def test_consistenza_needs_both_numbers_or_neither(client, utenti, enti, piano_cremonese, aperti):
    soresina = enti["soresina"]
    client.force_login(utenti["soresina"])
    risposta = client.post(
        url("consistenza", piano_cremonese, soresina), {"sap": "10", "sas": "", "fonte": ""}
    )
    assert "Indicare sia gli alloggi SAP sia gli alloggi SAS" in risposta.content.decode()
    assert ConsistenzaDichiarata.objects.get(piano=piano_cremonese, ente=soresina).sap == 112
    client.post(
        url("consistenza", piano_cremonese, soresina), {"sap": "", "sas": "", "fonte": "non comunicata"}
    )
    assert not ConsistenzaDichiarata.objects.get(piano=piano_cremonese, ente=soresina).comunicata
    risposta = client.post(
        url("consistenza", piano_cremonese, soresina), {"sap": "-1", "sas": "0", "fonte": ""}
    )
    assert "Il numero non può essere negativo." in risposta.content.decode()


@pytest.mark.parametrize(
    ("modifiche", "messaggio"),
    [
        ({"quota_forze_polizia": "11"}, "va da 0 a 10%"),
        ({"soglia_indigenti_eccedente": "81"}, "va da 0 a 80 punti percentuali"),
        ({"categoria_aggiuntiva": "Giovani coppie"}, "Indicare perché la categoria aggiuntiva"),
        ({"motivazione_categoria": "Perché sì"}, "Indicare la categoria a cui si riferisce"),
    ],
)
def test_choices_are_validated_with_the_rules_of_the_regulation(
    client, utenti, enti, piano_cremonese, aperti, modifiche, messaggio
):
    soresina = enti["soresina"]
    client.force_login(utenti["soresina"])
    dati = {
        "soglia_indigenti_eccedente": "0",
        "categoria_aggiuntiva": "",
        "motivazione_categoria": "",
        "quota_forze_polizia": "0",
        **modifiche,
    }
    prima = fotografia()
    risposta = client.post(url("scelte", piano_cremonese, soresina), dati)
    assert risposta.status_code == 200
    assert messaggio in risposta.content.decode()
    assert fotografia() == prima


def test_choices_h_and_i_are_for_comuni_aler_sets_only_the_forze_di_polizia_quota(
    client, utenti, enti, piano_cremonese, aperti
):
    client.force_login(utenti["aler"])
    testo = client.get(url("scelte", piano_cremonese, enti["aler"])).content.decode()
    assert "quota_forze_polizia" in testo and "soglia_indigenti_eccedente" not in testo
    risposta = client.post(
        url("scelte", piano_cremonese, enti["aler"]),
        {"quota_forze_polizia": "10", "soglia_indigenti_eccedente": "50"},
    )
    assert risposta.status_code == 302
    scelte = ScelteEnte.objects.get(piano=piano_cremonese, ente=enti["aler"])
    assert scelte.quota_forze_polizia == 10 and scelte.soglia_indigenti_eccedente == 0


def test_assignments_of_last_year_cannot_exceed_their_total(client, utenti, enti, piano_cremonese, aperti):
    soresina = enti["soresina"]
    client.force_login(utenti["soresina"])
    risposta = client.post(
        url("assegnazioni", piano_cremonese, soresina), {"totale": "2", "mobilita": "3", "in_deroga": "0"}
    )
    assert "non possono superare il totale" in risposta.content.decode()
    assert (
        client.post(
            url("assegnazioni", piano_cremonese, soresina), {"totale": "3", "mobilita": "1", "in_deroga": "1"}
        ).status_code
        == 302
    )
    assert AssegnazioniAnnoPrecedente.objects.get(piano=piano_cremonese, ente=soresina).totale == 3


# --------------------------------------------------------------------------------------------
# The answer: submit locks, reopen unlocks
# --------------------------------------------------------------------------------------------


def test_submitting_locks_every_write_until_the_ufficio_di_piano_reopens(
    client, utenti, enti, piano_cremonese, aperti
):
    cremona = enti["cremona"]
    unita = UnitaAbitativa.objects.get(id_regionale="36502011")
    client.force_login(utenti["cremona"])
    assert client.post(url("invia", piano_cremonese, cremona), INVIA_COMUNQUE).status_code == 302
    risposta = RispostaRicognizione.objects.get(piano=piano_cremonese, ente=cremona)
    assert risposta.stato == StatoRisposta.INVIATA and risposta.inviata_il is not None

    prima = fotografia()
    for indirizzo, dati in scritture(piano_cremonese, cremona, unita):
        if indirizzo.endswith("/riapri/"):
            continue
        refuso = client.post(indirizzo, dati)
        assert refuso.status_code == 403, indirizzo
        assert "i dati sono bloccati" in refuso.content.decode()
    assert fotografia() == prima
    assert "Dati bloccati" in client.get(url("unita_elenco", piano_cremonese, cremona)).content.decode()

    # The comune cannot reopen its own answer; the ufficio di piano can.
    assert client.post(url("riapri", piano_cremonese, cremona)).status_code == 403
    client.force_login(utenti["ufficio"])
    assert client.post(url("riapri", piano_cremonese, cremona)).status_code == 302
    assert (
        RispostaRicognizione.objects.get(piano=piano_cremonese, ente=cremona).stato == StatoRisposta.RIAPERTA
    )

    client.force_login(utenti["cremona"])
    # A change that keeps the unit's state: the figures Cremona declared on the platform still match
    # (a change of state would be a D01 error, which blocks the sending).
    stato = StatoUnita.objects.get(piano=piano_cremonese, unita=unita).stato
    dati = dati_unita(cremona.comune_id, id_regionale="36502011", stato=stato, indirizzo="Via Nuova 2")
    assert client.post(url("unita_modifica", piano_cremonese, cremona, unita.pk), dati).status_code == 302
    riaperta = RispostaRicognizione.objects.get(piano=piano_cremonese, ente=cremona)
    assert riaperta.stato == StatoRisposta.RIAPERTA and riaperta.aggiornata_da == utenti["cremona"]
    assert client.post(url("invia", piano_cremonese, cremona), INVIA_COMUNQUE).status_code == 302
    assert (
        RispostaRicognizione.objects.get(piano=piano_cremonese, ente=cremona).stato == StatoRisposta.INVIATA
    )


def test_nothing_to_declare_is_an_answer_and_is_refused_when_units_are_declared(
    client, utenti, enti, piano_cremonese, aperti
):
    acquanegra = EnteProprietario.objects.get(comune__nome="Acquanegra Cremonese")
    assert acquanegra.comune_id is not None
    user = crea_operatore("acquanegra", piano_cremonese.ambito, Ruolo.COMUNE, acquanegra)
    client.force_login(user)
    risposta = client.post(url("nulla_da_dichiarare", piano_cremonese, acquanegra), follow=True)
    assert "non ha nulla da dichiarare" in risposta.content.decode()
    stato = RispostaRicognizione.objects.get(piano=piano_cremonese, ente=acquanegra)
    assert stato.stato == StatoRisposta.NIENTE_DA_DICHIARARE and stato.inviata_il is not None
    assert (
        client.post(url("turnover", piano_cremonese, acquanegra), righe(acquanegra.comune_id)).status_code
        == 403
    )

    client.force_login(utenti["cremona"])
    risposta = client.post(url("nulla_da_dichiarare", piano_cremonese, enti["cremona"]), follow=True)
    assert "non è possibile rispondere «nulla da dichiarare»" in risposta.content.decode()
    assert (
        RispostaRicognizione.objects.get(piano=piano_cremonese, ente=enti["cremona"]).stato
        == StatoRisposta.NESSUNA
    )


def test_submitting_without_any_data_points_to_nothing_to_declare(client, utenti, piano_cremonese):
    acquanegra = EnteProprietario.objects.get(comune__nome="Acquanegra Cremonese")
    client.force_login(crea_operatore("acquanegra", piano_cremonese.ambito, Ruolo.COMUNE, acquanegra))
    ConsistenzaDichiarata.objects.filter(piano=piano_cremonese, ente=acquanegra).delete()
    risposta = client.post(url("invia", piano_cremonese, acquanegra), INVIA_COMUNQUE, follow=True)
    assert "Non risulta alcun dato da inviare" in risposta.content.decode()
    assert not RispostaRicognizione.objects.get(piano=piano_cremonese, ente=acquanegra).ha_risposto


def test_once_the_draft_goes_to_aler_nobody_changes_the_ricognizione(
    client, utenti, enti, piano_cremonese, aperti
):
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(stato=StatoPiano.INVIATA_ALER)
    unita = UnitaAbitativa.objects.get(id_regionale="36502011")
    prima = fotografia()
    for ruolo in ("cremona", "ufficio"):
        client.force_login(utenti[ruolo])
        for indirizzo, dati in scritture(piano_cremonese, enti["cremona"], unita):
            assert client.post(indirizzo, dati).status_code == 403, indirizzo
    assert fotografia() == prima


def test_workspace_shows_the_ufficio_di_piano_the_entes_anomalies_with_links(
    client, utenti, enti, piano_cremonese
):
    client.force_login(utenti["ufficio"])
    testo = client.get(url("area_ente", piano_cremonese, enti["aler"])).content.decode()
    assert "Errore U01" in testo and "LOTTO 2.2" in testo
    assert "Riapri la risposta" in testo
    client.force_login(utenti["aler"])
    testo = client.get(url("area_ente", piano_cremonese, enti["aler"])).content.decode()
    # The ente sees its own checks too (issue 14), not the ufficio's «Riapri».
    assert "Errore U01" in testo and "Riapri la risposta" not in testo
