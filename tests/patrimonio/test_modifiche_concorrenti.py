"""No lost update (issue 16, item 7): the ente's forms carry the version of the rows they show, and
a stale save is refused with a message that says who changed what and when; the user's input stays
in the form, the database keeps the other change."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from patrimonio.models import Ruolo, UnitaAbitativa
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    Modifica,
    ScelteEnte,
    Stato,
    StatoUnita,
    TurnoverPrevisto,
)
from piano_annuale.services.ente import riapri_risposta, salva_unita
from piano_annuale.services.versioni import ModificaConcorrente, perimetro_unita
from tests.percorso import Ambito, crea_ambito_con_utenti
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)

# 15:04 in Rome on 1 December 2026: the other user's change, pinned so the message is exact.
ALLE_15_04 = datetime.datetime(2026, 12, 1, 14, 4, tzinfo=datetime.UTC)
NON_SALVATE = (
    "Le sue modifiche non sono state salvate: i valori che aveva inserito sono ancora nel modulo. "
    "Li confronti con quelli indicati e, se vuole comunque sostituirli, salvi di nuovo."
)


@pytest.fixture
def a(db: None) -> Ambito:
    ambito = crea_ambito_con_utenti(nome="Ambito dei moduli", prefisso_istat="091")
    riapri_risposta(piano=ambito.piano, ente=ambito.ente_comune, utente=ambito.ufficio)
    return ambito


@pytest.fixture
def anna(a: Ambito) -> User:
    return crea_operatore(
        "anna.bianchi", a.piano.ambito, Ruolo.COMUNE, a.ente_comune, nome="Anna", cognome="Bianchi"
    )


@pytest.fixture
def bruno(a: Ambito) -> User:
    return crea_operatore(
        "bruno.neri", a.piano.ambito, Ruolo.COMUNE, a.ente_comune, nome="Bruno", cognome="Neri"
    )


def come(utente: User) -> Client:
    client = Client()
    client.force_login(utente)
    return client


def url(a: Ambito, nome: str, *altri: int) -> str:
    return reverse(f"patrimonio:{nome}", args=[a.piano.pk, a.ente_comune.pk, *altri])


def versione_nella_pagina(html: str) -> str:
    trovata = re.search(r'name="versione" value="([^"]*)"', html)
    assert trovata, "la pagina non porta la versione"
    return trovata.group(1)


def fissa_ora_delle_modifiche() -> None:
    """The other user's change at 15:04 on 1 December 2026, whenever the test runs."""
    Modifica.objects.update(eseguita_il=ALLE_15_04)


def dati_unita(unita: UnitaAbitativa, nel_piano: StatoUnita, versione: str, **cambi: Any) -> dict[str, Any]:
    return {
        "id_regionale": unita.id_regionale or "",
        "codice_ente": unita.codice_ente,
        "comune": unita.comune_id,
        "tipo": unita.tipo,
        "indirizzo": unita.indirizzo,
        "stato": nel_piano.stato,
        "programma": nel_piano.programma,
        "note": nel_piano.note,
        "versione": versione,
        **cambi,
    }


def unita_libera(a: Ambito) -> tuple[UnitaAbitativa, StatoUnita]:
    stato = StatoUnita.objects.select_related("unita").get(
        piano=a.piano, unita__ente=a.ente_comune, stato=Stato.LIBERA
    )
    return stato.unita, stato


def test_two_stale_saves_of_a_unit_the_second_is_refused_with_the_other_change(
    a: Ambito, anna: User, bruno: User
) -> None:
    unita, stato = unita_libera(a)
    pagina = url(a, "unita_modifica", unita.pk)
    versione_anna = versione_nella_pagina(come(anna).get(pagina).content.decode())
    versione_bruno = versione_nella_pagina(come(bruno).get(pagina).content.decode())
    assert versione_anna == versione_bruno
    Modifica.objects.all().delete()  # only the two users' changes from here on

    risposta = come(anna).post(pagina, dati_unita(unita, stato, versione_anna, indirizzo="Via Garibaldi 2"))
    assert risposta.status_code == 302
    fissa_ora_delle_modifiche()

    risposta = come(bruno).post(
        pagina, dati_unita(unita, stato, versione_bruno, stato=Stato.CARENZA_MANUTENTIVA, note="Tetto")
    )
    assert risposta.status_code == 409
    form = risposta.context["form"]
    assert form.non_field_errors() == [
        "Nel frattempo Anna Bianchi il 1° dicembre 2026 alle 15:04 ha modificato unità abitativa "
        f"(indirizzo: «{unita.indirizzo or '—'}» → «Via Garibaldi 2»). {NON_SALVATE}"
    ]
    # The database holds Anna's change only; Bruno's input is still in his form.
    unita.refresh_from_db()
    stato.refresh_from_db()
    assert (unita.indirizzo, stato.stato, stato.note) == ("Via Garibaldi 2", Stato.LIBERA, "")
    html = risposta.content.decode()
    assert 'value="Tetto"' in html or ">Tetto</textarea>" in html
    assert risposta.context["form_stato"]["stato"].value() == Stato.CARENZA_MANUTENTIVA
    # The form now carries the current version: saving again is Bruno's deliberate choice.
    nuova = versione_nella_pagina(html)
    assert nuova != versione_bruno
    assert nuova == perimetro_unita(a.piano.pk, unita.pk).versione()
    risposta = come(bruno).post(
        pagina,
        dati_unita(
            unita, stato, nuova, indirizzo="Via Garibaldi 2", stato=Stato.CARENZA_MANUTENTIVA, note="Tetto"
        ),
    )
    assert risposta.status_code == 302
    stato.refresh_from_db()
    assert (stato.stato, stato.note) == (Stato.CARENZA_MANUTENTIVA, "Tetto")


def test_a_stale_unit_save_writes_nothing_not_even_history(a: Ambito, anna: User, bruno: User) -> None:
    unita, stato = unita_libera(a)
    vecchia = perimetro_unita(a.piano.pk, unita.pk).versione()
    valori = {"indirizzo": "Via Manzoni 3", "comune_id": unita.comune_id}
    salva_unita(
        piano=a.piano, ente=a.ente_comune, utente=anna, valori_unita=valori, valori_stato=None, unita=unita
    )
    storico = Modifica.objects.count()
    with pytest.raises(ModificaConcorrente) as rifiuto:
        salva_unita(
            piano=a.piano,
            ente=a.ente_comune,
            utente=bruno,
            valori_unita={"indirizzo": "Via Dante 9", "comune_id": unita.comune_id},
            valori_stato={"stato": Stato.LIBERA, "programma": "", "note": ""},
            unita=UnitaAbitativa.objects.get(pk=unita.pk),
            versione=vecchia,
        )
    assert "Anna Bianchi" in str(rifiuto.value)
    assert "ha eliminato stato dell'unità nel piano" in str(rifiuto.value)
    assert UnitaAbitativa.objects.get(pk=unita.pk).indirizzo == "Via Manzoni 3"
    assert not StatoUnita.objects.filter(piano=a.piano, unita=unita).exists()
    assert Modifica.objects.count() == storico


def test_deleting_a_unit_changed_since_the_confirmation_page_is_refused(
    a: Ambito, anna: User, bruno: User
) -> None:
    unita, stato = unita_libera(a)
    conferma = come(bruno).get(url(a, "unita_elimina", unita.pk)).content.decode()
    versione = versione_nella_pagina(conferma)
    come(anna).post(url(a, "unita_modifica", unita.pk), dati_unita(unita, stato, "", indirizzo="Via Verdi 5"))
    risposta = come(bruno).post(url(a, "unita_elimina", unita.pk), {"versione": versione}, follow=True)
    assert risposta.status_code == 200
    testo = " ".join(str(m) for m in risposta.context["messages"])
    assert "Nel frattempo Anna Bianchi il " in testo
    assert "ha modificato unità abitativa (indirizzo:" in testo and "→ «Via Verdi 5»)" in testo
    assert UnitaAbitativa.objects.filter(pk=unita.pk).exists()


def test_two_stale_saves_of_the_consistenza_the_second_is_refused_with_the_other_change(
    a: Ambito, anna: User, bruno: User
) -> None:
    ConsistenzaDichiarata.objects.filter(piano=a.piano, ente=a.ente_comune).delete()
    pagina = url(a, "consistenza")
    versione_anna = versione_nella_pagina(come(anna).get(pagina).content.decode())
    versione_bruno = versione_nella_pagina(come(bruno).get(pagina).content.decode())
    Modifica.objects.all().delete()

    assert (
        come(anna)
        .post(pagina, {"sap": 120, "sas": 4, "fonte": "Anagrafe", "versione": versione_anna})
        .status_code
        == 302
    )
    fissa_ora_delle_modifiche()
    risposta = come(bruno).post(pagina, {"sap": 99, "sas": 0, "fonte": "Stima", "versione": versione_bruno})

    assert risposta.status_code == 409
    assert risposta.context["form"].non_field_errors() == [
        "Nel frattempo Anna Bianchi il 1° dicembre 2026 alle 15:04 ha inserito consistenza dichiarata "
        f"(alloggi SAP: «120», alloggi SAS: «4», fonte: «Anagrafe»). {NON_SALVATE}"
    ]
    riga = ConsistenzaDichiarata.objects.get(piano=a.piano, ente=a.ente_comune)
    assert (riga.sap, riga.sas, riga.fonte) == (120, 4, "Anagrafe")
    assert risposta.context["form"]["sap"].value() == "99"  # Bruno's input kept


def test_a_stale_turnover_table_is_refused_and_keeps_the_rows_typed(
    a: Ambito, anna: User, bruno: User
) -> None:
    TurnoverPrevisto.objects.filter(piano=a.piano, ente=a.ente_comune).delete()
    pagina = url(a, "turnover")
    comune = a.ente_comune.comune_id
    versione_anna = versione_nella_pagina(come(anna).get(pagina).content.decode())
    versione_bruno = versione_nella_pagina(come(bruno).get(pagina).content.decode())

    def righe(numero: int, versione: str) -> dict[str, Any]:
        return {
            "righe-TOTAL_FORMS": 1,
            "righe-INITIAL_FORMS": 0,
            "righe-0-comune": comune,
            "righe-0-numero": numero,
            "versione": versione,
        }

    Modifica.objects.all().delete()
    assert come(anna).post(pagina, righe(3, versione_anna)).status_code == 302
    fissa_ora_delle_modifiche()
    risposta = come(bruno).post(pagina, righe(7, versione_bruno))
    assert risposta.status_code == 409
    assert [str(m) for m in risposta.context["messages"]] == [
        "Nel frattempo Anna Bianchi il 1° dicembre 2026 alle 15:04 ha inserito turnover previsto "
        f"(comune: «{a.ente_comune.comune}», numero di alloggi: «3»). {NON_SALVATE}"
    ]
    assert TurnoverPrevisto.objects.get(piano=a.piano, ente=a.ente_comune).numero == 3
    html = risposta.content.decode()
    assert 'name="righe-0-numero" value="7"' in html
    assert versione_nella_pagina(html) not in ("", versione_bruno)


def test_a_form_loaded_after_the_change_saves(a: Ambito, anna: User, bruno: User) -> None:
    pagina = url(a, "consistenza")
    versione = versione_nella_pagina(come(anna).get(pagina).content.decode())
    assert (
        come(anna).post(pagina, {"sap": 5, "sas": 1, "fonte": "A", "versione": versione}).status_code == 302
    )
    versione = versione_nella_pagina(come(bruno).get(pagina).content.decode())
    assert (
        come(bruno).post(pagina, {"sap": 6, "sas": 1, "fonte": "B", "versione": versione}).status_code == 302
    )
    assert ConsistenzaDichiarata.objects.get(piano=a.piano, ente=a.ente_comune).sap == 6


def test_a_stale_save_of_the_choices_is_refused_and_the_first_choices_stay(
    a: Ambito, anna: User, bruno: User
) -> None:
    pagina = url(a, "scelte")
    versione_anna = versione_nella_pagina(come(anna).get(pagina).content.decode())
    versione_bruno = versione_nella_pagina(come(bruno).get(pagina).content.decode())

    def scelte(soglia: int, versione: str) -> dict[str, Any]:
        return {
            "soglia_indigenti_eccedente": soglia,
            "categoria_aggiuntiva": "",
            "motivazione_categoria": "",
            "quota_forze_polizia": 0,
            "versione": versione,
        }

    assert come(anna).post(pagina, scelte(10, versione_anna)).status_code == 302
    risposta = come(bruno).post(pagina, scelte(25, versione_bruno))
    assert risposta.status_code == 409
    (errore,) = risposta.context["form"].non_field_errors()
    assert errore.startswith("Nel frattempo Anna Bianchi il ")
    assert "ha modificato scelte dell'ente (" in errore and "«10»" in errore
    assert ScelteEnte.objects.get(piano=a.piano, ente=a.ente_comune).soglia_indigenti_eccedente == 10
    assert risposta.context["form"]["soglia_indigenti_eccedente"].value() == "25"


def test_stale_saves_of_the_assignments_and_of_the_sat_table_are_refused(
    a: Ambito, anna: User, bruno: User
) -> None:
    assegnazioni = url(a, "assegnazioni")
    prima_anna = versione_nella_pagina(come(anna).get(assegnazioni).content.decode())
    prima_bruno = versione_nella_pagina(come(bruno).get(assegnazioni).content.decode())
    valori = {"totale": 9, "mobilita": 2, "in_deroga": 1}
    assert come(anna).post(assegnazioni, {**valori, "versione": prima_anna}).status_code == 302
    risposta = come(bruno).post(assegnazioni, {**valori, "totale": 4, "versione": prima_bruno})
    assert risposta.status_code == 409
    (errore,) = risposta.context["form"].non_field_errors()
    assert (
        errore.startswith("Nel frattempo Anna Bianchi il ") and "assegnazioni dell'anno precedente" in errore
    )
    assert AssegnazioniAnnoPrecedente.objects.get(piano=a.piano, ente=a.ente_comune).totale == 9

    sat = url(a, "sat")
    prima_anna = versione_nella_pagina(come(anna).get(sat).content.decode())
    prima_bruno = versione_nella_pagina(come(bruno).get(sat).content.decode())
    righe = {"righe-TOTAL_FORMS": 1, "righe-INITIAL_FORMS": 0, "righe-0-comune": a.ente_comune.comune_id}
    assert come(anna).post(sat, {**righe, "righe-0-numero": 2, "versione": prima_anna}).status_code == 302
    risposta = come(bruno).post(sat, {**righe, "righe-0-numero": 5, "versione": prima_bruno})
    assert risposta.status_code == 409
    assert DestinazioneSAT.objects.get(piano=a.piano, ente=a.ente_comune).numero == 2
