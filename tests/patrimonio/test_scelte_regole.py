"""The ente workspace under the rules of the plan's year: the d bis) quotas and the c bis) threshold
of a 2027 plan, and the estimated cost of works of a unit in carenza manutentiva."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from patrimonio.models import EnteProprietario, Ruolo
from piano_annuale.models import Modifica, ScelteEnte, Stato, StatoUnita
from tests.piano_annuale.conftest import crea_piano_2027
from tests.utenti import crea_operatore, fotografia, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)

ALER = "ALER Brescia-Cremona-Mantova"


def url(nome: str, piano, ente, *argomenti) -> str:
    return reverse(f"patrimonio:{nome}", args=[piano.pk, ente.pk, *argomenti])


@pytest.fixture
def piano_2027(piano_cremonese):
    return crea_piano_2027(
        piano_cremonese, get_user_model().objects.create_user("ufficio.2027", password="x")
    )


@pytest.fixture
def cremona(piano_2027):
    return EnteProprietario.objects.get(denominazione="Comune di Cremona")


@pytest.fixture
def aler(piano_2027):
    return EnteProprietario.objects.get(denominazione=ALER)


def test_a_comune_sets_both_quotas_and_its_c_bis_threshold_and_confirms_its_choices(
    client,
    piano_2027,
    cremona,
):
    client.force_login(crea_operatore("op.cremona", piano_2027.ambito, Ruolo.COMUNE, cremona))
    pagina = client.get(url("scelte", piano_2027, cremona)).content.decode()
    assert "Scelte dell&#x27;ente (c bis, d bis, h, i)" in pagina
    assert "art. 7 ter" in pagina and "Padri e madri, separati o divorziati" in pagina
    risposta = client.post(
        url("scelte", piano_2027, cremona),
        {
            "soglia_indigenti_eccedente": "0",
            "quota_forze_polizia": "12",
            "quota_polizia_locale": "3",
            "soglia_c_bis": "10",
            "categorie_c_bis": ["anziani", "sovraindebitamento"],
        },
    )
    assert risposta.status_code == 302
    scelte = ScelteEnte.objects.get(piano=piano_2027, ente=cremona)
    assert (scelte.quota_forze_polizia, scelte.quota_polizia_locale, scelte.soglia_c_bis) == (12, 3, 10)
    assert scelte.categorie_c_bis == ["anziani", "sovraindebitamento"]
    assert scelte.da_confermare is False
    assert Modifica.objects.filter(modello="piano_annuale.scelteente", oggetto_id=scelte.pk).exists()


@pytest.mark.parametrize(
    ("modifiche", "messaggio"),
    [
        (
            {"quota_forze_polizia": "15", "quota_polizia_locale": "8"},
            "Le due quote insieme (23%) superano il 20% che la lett. d bis) consente per comune.",
        ),
        ({"soglia_c_bis": "25", "categorie_c_bis": ["anziani"]}, "La soglia c bis è al più il 20%"),
        ({"soglia_c_bis": "5"}, "Indicare a quali categorie è destinata la soglia."),
    ],
)
def test_quotas_and_thresholds_beyond_the_rules_are_refused_in_italian_and_nothing_is_written(
    client,
    piano_2027,
    cremona,
    modifiche,
    messaggio,
):
    client.force_login(crea_operatore("op.cremona", piano_2027.ambito, Ruolo.COMUNE, cremona))
    prima = fotografia()
    dati = {"soglia_indigenti_eccedente": "0", "quota_forze_polizia": "0", "quota_polizia_locale": "0"}
    dati.update({"soglia_c_bis": "0", **modifiche})
    risposta = client.post(url("scelte", piano_2027, cremona), dati)
    assert risposta.status_code == 200
    assert messaggio in risposta.content.decode()
    assert fotografia() == prima


def test_aler_has_no_quota_of_its_own_under_d_bis_but_sets_its_c_bis_threshold(client, piano_2027, aler):
    client.force_login(crea_operatore("op.aler", piano_2027.ambito, Ruolo.ALER, aler))
    pagina = client.get(url("scelte", piano_2027, aler)).content.decode()
    assert 'name="quota_forze_polizia"' not in pagina and 'name="soglia_c_bis"' in pagina
    risposta = client.post(
        url("scelte", piano_2027, aler), {"soglia_c_bis": "10", "categorie_c_bis": ["disabili"]}
    )
    assert risposta.status_code == 302
    scelte = ScelteEnte.objects.get(piano=piano_2027, ente=aler)
    assert (scelte.soglia_c_bis, scelte.categorie_c_bis, scelte.quota_forze_polizia) == (10, ["disabili"], 0)


def test_the_cost_of_works_of_a_carenza_unit_is_entered_with_its_state(client, piano_2027, aler):
    stato = (
        StatoUnita.objects.filter(piano=piano_2027, unita__ente=aler, stato=Stato.CARENZA_MANUTENTIVA)
        .select_related("unita")
        .first()
    )
    assert stato is not None
    unita = stato.unita
    client.force_login(crea_operatore("op.aler", piano_2027.ambito, Ruolo.ALER, aler))
    pagina = client.get(url("unita_modifica", piano_2027, aler, unita.pk)).content.decode()
    assert 'name="costo_lavori"' in pagina
    dati = {
        "id_regionale": unita.id_regionale or "",
        "codice_ente": unita.codice_ente,
        "comune": unita.comune_id,
        "tipo": unita.tipo,
        "indirizzo": unita.indirizzo,
        "stato": Stato.CARENZA_MANUTENTIVA,
        "programma": "",
        "note": "",
        "costo_lavori": "15.250,50",
        "note_lavori": "Impianto elettrico e serramenti",
    }
    risposta = client.post(url("unita_modifica", piano_2027, aler, unita.pk), dati)
    assert risposta.status_code == 302, [
        r for r in risposta.content.decode().split("\n") if "rror" in r or "invalid" in r
    ]
    stato.refresh_from_db()
    assert (stato.costo_lavori, stato.note_lavori) == (Decimal("15250.50"), "Impianto elettrico e serramenti")


def test_a_cost_of_works_is_refused_for_a_unit_that_is_not_in_carenza(client, piano_2027, aler):
    stato = StatoUnita.objects.filter(piano=piano_2027, unita__ente=aler, stato=Stato.LIBERA).first()
    assert stato is not None
    unita = stato.unita
    client.force_login(crea_operatore("op.aler", piano_2027.ambito, Ruolo.ALER, aler))
    prima = fotografia()
    risposta = client.post(
        url("unita_modifica", piano_2027, aler, unita.pk),
        {
            "id_regionale": unita.id_regionale or "",
            "codice_ente": unita.codice_ente,
            "comune": unita.comune_id,
            "tipo": unita.tipo,
            "indirizzo": unita.indirizzo,
            "stato": Stato.LIBERA,
            "costo_lavori": "1000",
        },
    )
    assert risposta.status_code == 200
    assert (
        "Il costo e gli interventi si indicano solo per le unità in carenza manutentiva."
        in risposta.content.decode()
    )
    assert fotografia() == prima


def test_the_workspace_summarises_the_choices_of_the_plan_rules_and_asks_to_confirm_them(
    client, piano_2027, cremona
):
    ScelteEnte.objects.filter(piano=piano_2027, ente=cremona).update(da_confermare=True)
    client.force_login(crea_operatore("op.cremona", piano_2027.ambito, Ruolo.COMUNE, cremona))
    pagina = client.get(url("area_ente", piano_2027, cremona)).content.decode()
    assert "d bis) Quote art. 7 bis e art. 7 ter" in pagina and "12% + 3%" in pagina
    assert "i.b) Quota Forze di Polizia" not in pagina
    assert "Scelte da confermare" in pagina
    assert "con la quota per le Forze di Polizia riportata come quota art. 7 bis" in pagina
