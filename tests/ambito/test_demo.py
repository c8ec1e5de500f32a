"""``manage.py demo``: migrate, load the Cremonese 2025 plan, one login per role; idempotent; never in production."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Model, Q

from ambito.management.commands.demo import PASSWORD_DEMO
from ambito.models import Ambito, Comune
from patrimonio.models import EnteProprietario, Operatore, Ruolo, TipoEnte
from piano_annuale.models import (
    ConsistenzaDichiarata,
    Modifica,
    PianoAnnuale,
    RegoleAnno,
    StatoPiano,
    StatoUnita,
)
from piano_annuale.storico import istantanea, traccia

pytestmark = pytest.mark.django_db

UTENTI_ATTESI = {
    "ufficio.piano",
    "comune.cremona",
    "comune.soresina",
    "aler.cremona",
    "assemblea",
    "osservatore.regione",
    "admin",
}
# The second ambito's own people (aler.cremona works in both).
UTENTI_SECONDO_AMBITO = {"ufficio.suzzara", "comune.suzzara"}
APP_DEL_DOMINIO = ["ambito", "patrimonio", "piano_annuale", "misure"]


def esegui_demo(*argomenti: str) -> str:
    uscita = StringIO()
    call_command("demo", "--senza-pdf", *argomenti, verbosity=0, stdout=uscita)
    return uscita.getvalue()


# Rows a fresh database already holds, written by the migrations themselves.
DATI_DELLE_MIGRAZIONI: tuple[type[Model], ...] = (RegoleAnno,)


@pytest.fixture
def database_vuoto() -> None:
    """The domain data of a fresh database: the session loaded the Cremonese plan for every test.

    The tables are emptied inside the test's transaction, so the session's data is back afterwards.
    """
    tabelle = [
        model._meta.db_table
        for label in APP_DEL_DOMINIO
        for model in apps.get_app_config(label).get_models()
        if model not in DATI_DELLE_MIGRAZIONI
    ]
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tabelle, allow_cascade=True))
    assert not Comune.objects.exists()
    assert all(model._default_manager.exists() for model in DATI_DELLE_MIGRAZIONI)


@pytest.fixture
def debug_attivo(settings):
    """pytest-django runs the tests with DEBUG off; the demo needs it on. A fast hasher saves seconds."""
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="solo con DEBUG attivo"):
        esegui_demo()
    assert not get_user_model().objects.filter(username__in=UTENTI_ATTESI).exists()


def test_demo_creates_one_login_per_role_for_the_cremonese_ambito(debug_attivo):
    esegui_demo()

    piano = PianoAnnuale.objects.get(ambito__nome__icontains="Cremonese", anno=2025)
    operatori = {
        operatore.user.username: operatore
        for operatore in Operatore.objects.select_related("user", "ambito", "ente__comune").filter(
            Q(ambito=None) | Q(ambito__piani__anno=2025)
        )
    }
    assert {nome for nome in UTENTI_ATTESI if nome != "admin"} <= set(operatori)
    regionali = {"admin", "osservatore.regione"}
    assert all(operatori[nome].ambito == piano.ambito for nome in UTENTI_ATTESI - regionali)
    assert operatori["osservatore.regione"].ruolo == Ruolo.OSSERVATORE_REGIONALE
    assert operatori["osservatore.regione"].ambito is None

    assert operatori["ufficio.piano"].ruolo == Ruolo.UFFICIO_DI_PIANO
    assert operatori["ufficio.piano"].ente is None
    assert operatori["comune.cremona"].ruolo == Ruolo.COMUNE
    cremona, soresina = operatori["comune.cremona"].ente, operatori["comune.soresina"].ente
    aler = operatori["aler.cremona"].ente
    assert cremona is not None and cremona.comune is not None
    assert cremona.tipo == TipoEnte.COMUNE
    assert cremona.comune.nome == "Cremona"
    assert operatori["comune.soresina"].ruolo == Ruolo.COMUNE
    assert soresina is not None and soresina.comune is not None
    assert soresina.comune.nome == "Soresina"
    assert operatori["aler.cremona"].ruolo == Ruolo.ALER
    assert aler is not None
    assert aler.tipo == TipoEnte.ALER
    assert operatori["assemblea"].ruolo == Ruolo.ASSEMBLEA
    assert operatori["assemblea"].ente is None


def test_demo_admin_is_a_superuser_without_operatore(debug_attivo):
    esegui_demo()

    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert not Operatore.objects.filter(user=admin).exists()


def test_demo_users_log_in_with_the_printed_password(debug_attivo):
    uscita = esegui_demo()

    assert PASSWORD_DEMO in uscita
    for utente in get_user_model().objects.filter(username__in=UTENTI_ATTESI):
        assert utente.check_password(PASSWORD_DEMO), utente.username


def test_demo_prints_the_address_and_one_login_per_role(debug_attivo):
    uscita = esegui_demo()

    assert "http://127.0.0.1:8000" in uscita
    for utente in UTENTI_ATTESI:
        assert utente in uscita
    for etichetta in ["Ufficio di piano", "Operatore comunale", "Operatore ALER", "Assemblea"]:
        assert etichetta in uscita


def test_demo_password_can_be_chosen(debug_attivo):
    esegui_demo("--password", "un'altra-password")

    ufficio = get_user_model().objects.get(username="ufficio.piano")
    assert ufficio.check_password("un'altra-password")
    assert not ufficio.check_password(PASSWORD_DEMO)


def test_demo_loads_the_cremonese_plan_and_its_48_comuni_into_an_empty_database(debug_attivo, database_vuoto):
    esegui_demo()

    piano = PianoAnnuale.objects.get(ambito__nome__icontains="Cremonese", anno=2025)
    assert Comune.objects.filter(ambito=piano.ambito).count() == 48
    assert EnteProprietario.objects.filter(ambito=piano.ambito).count() == 49  # 48 comuni and ALER
    assert PianoAnnuale.objects.filter(ambito=piano.ambito).count() == 1


def test_demo_run_twice_leaves_the_same_users_and_data(debug_attivo, database_vuoto):
    esegui_demo()
    prima = conteggi()
    esegui_demo()

    assert conteggi() == prima
    # 48 Cremonese and 6 of the second ambito, plus the other 65 of the province of Cremona's 113,
    # loaded from the shipped ISTAT data (outside any ambito) for the Cremonese surfaces.
    assert prima["ambito.Comune"] == 119
    assert Comune.objects.filter(ambito__isnull=False).count() == 54
    tutti = UTENTI_ATTESI | UTENTI_SECONDO_AMBITO
    assert get_user_model().objects.filter(username__in=tutti).count() == len(tutti)


def test_demo_onboards_a_second_ambito_through_the_onboarding_services(debug_attivo, database_vuoto):
    uscita = esegui_demo()

    suzzara = Ambito.objects.get(nome="Ambito territoriale di Suzzara")
    assert suzzara.termine_aggregazioni == "sub-ambito"
    assert suzzara.comune_capofila is not None and suzzara.comune_capofila.nome == "Suzzara"
    comuni = dict(Comune.objects.filter(ambito=suzzara).values_list("nome", "aggregazione__denominazione"))
    assert comuni == {
        "Suzzara": "Ovest",
        "Gonzaga": "Ovest",
        "Motteggiana": "Ovest",
        "Pegognaga": "Est",
        "San Benedetto Po": "Est",
        "Moglia": "Est",
    }
    aler = EnteProprietario.objects.get(ambito=suzzara, tipo=TipoEnte.ALER)
    assert (aler.denominazione, aler.uog) == ("ALER Brescia-Cremona-Mantova", "U.O.G. di Mantova")
    assert set(aler.enti_gestiti.values_list("comune__nome", flat=True)) == {"Moglia", "Motteggiana"}
    assert EnteProprietario.objects.filter(ambito=suzzara).count() == 7
    piano = PianoAnnuale.objects.get(ambito=suzzara)
    assert (piano.anno, piano.stato) == (2027, StatoPiano.RICOGNIZIONE)
    assert StatoUnita.objects.filter(piano=piano).count() == 3
    ruoli = set(
        Operatore.objects.filter(ambito=suzzara).values_list("user__username", "ruolo", "ente__denominazione")
    )
    assert ruoli == {
        ("ufficio.suzzara", Ruolo.UFFICIO_DI_PIANO, None),
        ("comune.suzzara", Ruolo.COMUNE, "Comune di Suzzara"),
        ("aler.cremona", Ruolo.ALER, "ALER Brescia-Cremona-Mantova"),
    }
    assert Operatore.objects.filter(user__username="aler.cremona").count() == 2
    for nome in UTENTI_SECONDO_AMBITO:
        assert get_user_model().objects.get(username=nome).check_password(PASSWORD_DEMO)
    # Written by the services: each change is in the history.
    assert Modifica.objects.filter(
        modello="ambito.comune", oggetto_id__in=suzzara.comuni.values("pk")
    ).exists()
    assert "Secondo ambito: Ambito territoriale di Suzzara" in uscita


def conteggi() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for label in [*APP_DEL_DOMINIO, "auth"]
        for model in apps.get_app_config(label).get_models()
    }


# --- end to end, in a fresh interpreter on a fresh database ---------------------------------------

VERIFICA = """
import json
from django.contrib.auth import get_user_model
from ambito.models import Comune
from patrimonio.models import Operatore
def prima(u):
    return next(iter(u.operatori.all()), None)
utenti = {
    u.username: {
        "superuser": u.is_superuser,
        "password": u.check_password(PASSWORD),
        "ruolo": getattr(prima(u), "ruolo", None),
        "ente": str(prima(u).ente) if prima(u) and prima(u).ente_id else None,
    }
    for u in get_user_model().objects.prefetch_related("operatori__ente")
}
print(json.dumps({"utenti": utenti, "comuni": Comune.objects.filter(ambito__isnull=False).count()}))
"""


def manage(*argomenti: str, database: str) -> subprocess.CompletedProcess[str]:
    ambiente = {
        nome: valore
        for nome, valore in os.environ.items()
        if nome not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "SECRET_KEY"}
    }
    ambiente.update(DATABASE_URL=f"sqlite:///{database}", DEBUG="1")
    risultato = subprocess.run(
        [sys.executable, "manage.py", *argomenti],
        cwd=settings.BASE_DIR,
        env=ambiente,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert risultato.returncode == 0, risultato.stdout[-3000:] + risultato.stderr[-3000:]
    return risultato


def test_demo_runs_end_to_end_on_a_fresh_database_twice(tmp_path):
    database = tmp_path / "nuova" / "demo.sqlite3"  # its folder does not exist yet

    pdf = tmp_path / "bozza.pdf"
    primo = manage("demo", "--pdf", str(pdf), database=database)
    secondo = manage("demo", "--senza-pdf", database=database)
    verifica = manage("shell", "-c", VERIFICA.replace("PASSWORD", repr(PASSWORD_DEMO)), database=database)

    assert "http://127.0.0.1:8000" in primo.stdout
    assert f"Bozza del piano 2025 in PDF: {pdf}" in primo.stdout
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert "http://127.0.0.1:8000" in secondo.stdout
    stato = json.loads(verifica.stdout.strip().splitlines()[-1])
    assert stato["comuni"] == 54
    utenti = stato["utenti"]
    assert set(utenti) == UTENTI_ATTESI | UTENTI_SECONDO_AMBITO
    assert all(utente["password"] for utente in utenti.values())
    assert utenti["admin"]["superuser"]
    assert utenti["admin"]["ruolo"] is None
    assert utenti["ufficio.piano"]["ruolo"] == Ruolo.UFFICIO_DI_PIANO
    assert utenti["assemblea"]["ruolo"] == Ruolo.ASSEMBLEA
    assert utenti["comune.cremona"]["ruolo"] == Ruolo.COMUNE
    assert not utenti["comune.cremona"]["superuser"]
    assert "Cremona" in utenti["comune.cremona"]["ente"]
    assert utenti["comune.soresina"]["ruolo"] == Ruolo.COMUNE
    assert "Soresina" in utenti["comune.soresina"]["ente"]
    assert utenti["aler.cremona"]["ruolo"] == Ruolo.ALER
    assert "ALER" in utenti["aler.cremona"]["ente"].upper()


def test_demo_rerun_refuses_to_wipe_web_changes_and_ricomincia_reloads(debug_attivo):
    esegui_demo()
    consistenza = ConsistenzaDichiarata.objects.get(
        piano__anno=2025, ente__denominazione="Comune di Soresina"
    )
    utente = get_user_model().objects.get(username="comune.soresina")
    prima = istantanea(consistenza)
    consistenza.sap = 115
    consistenza.save()
    traccia(utente=utente, oggetto=consistenza, prima=prima)

    with pytest.raises(CommandError) as rifiuto:
        esegui_demo()
    assert "manage.py demo --ricomincia" in str(rifiuto.value)
    consistenza.refresh_from_db()
    assert consistenza.sap == 115

    esegui_demo("--ricomincia")
    consistenza.refresh_from_db()
    assert consistenza.sap == 112
