"""The application's database role owns no table (PostgreSQL): it reads and writes rows, but
TRUNCATE, ALTER TABLE … DISABLE TRIGGER and session_replication_role are refused to it, and the
immutability triggers hold against it. Inside the test database a NOLOGIN role with only the grants
of ``concedi_privilegi`` stands for it (``SET ROLE``); everything is rolled back with the test."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from piano_annuale.models import Approvazione, PianoAnnuale, StatoPiano, VersionePiano
from piano_annuale.ruolo_database import RuoloNonValido, concedi_privilegi, prove_del_ruolo
from tests.percorso import crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a  # noqa: F401 - fixtures
from tests.utenti import hasher_veloce

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="I ruoli del database esistono solo su PostgreSQL (CI usa PostgreSQL).",
    ),
    pytest.mark.usefixtures(hasher_veloce.__name__, "media", "pdf_veloce"),
]

# Roles belong to the whole cluster: one name per test process, so parallel sessions do not collide.
RUOLO = f"poa_prova_app_{os.getpid()}"
PRIVILEGIO_INSUFFICIENTE = "42501"


def sql(istruzione: str, parametri: list[Any] | None = None) -> None:
    with connection.cursor() as cursore:
        cursore.execute(istruzione, parametri)


@pytest.fixture
def ruolo_applicazione(db: None) -> Iterator[str]:
    """A role with the rows of every table and nothing else, created inside the test's transaction."""
    sql(f"CREATE ROLE {RUOLO} NOLOGIN")
    concedi_privilegi(RUOLO)
    yield RUOLO


@pytest.fixture
def come_applicazione(ruolo_applicazione: str) -> Iterator[str]:
    sql(f"SET ROLE {ruolo_applicazione}")
    try:
        yield ruolo_applicazione
    finally:
        sql("RESET ROLE")


@pytest.fixture
def approvato(db: None):
    a = crea_ambito_con_utenti(nome="Ambito del ruolo", prefisso_istat="085")
    porta_a(a, StatoPiano.APPROVATA)
    return a


def rifiutata(istruzione: str, parametri: list[Any] | None = None) -> str:
    """Run ``istruzione`` in a savepoint; the SQLSTATE of its refusal ("" if it went through)."""
    try:
        with transaction.atomic():
            sql(istruzione, parametri)
    except Exception as errore:  # noqa: BLE001 - the SQLSTATE is what the test looks at
        return getattr(errore.__cause__, "sqlstate", None) or type(errore).__name__
    return ""


def test_the_role_reads_and_writes_rows(approvato, come_applicazione):
    assert PianoAnnuale.objects.filter(pk=approvato.piano.pk).count() == 1
    altro = approvato.ufficio_altro_ambito
    piano_altro = (
        PianoAnnuale.objects.exclude(stato=StatoPiano.APPROVATA).exclude(pk=approvato.piano.pk).first()
    )
    assert piano_altro is not None and altro is not None
    assert (
        PianoAnnuale.objects.filter(pk=piano_altro.pk).update(motivo_regole="scritto dall'applicazione") == 1
    )


def test_truncate_is_refused_to_the_role(approvato, come_applicazione):
    assert rifiutata("TRUNCATE piano_annuale_versionepiano CASCADE") == PRIVILEGIO_INSUFFICIENTE
    assert rifiutata("TRUNCATE piano_annuale_approvazione CASCADE") == PRIVILEGIO_INSUFFICIENTE
    assert VersionePiano.objects.filter(piano=approvato.piano).count() == 2


def test_disabling_the_triggers_is_refused_to_the_role(come_applicazione):
    for tabella in (
        "piano_annuale_versionepiano",
        "piano_annuale_pianoannuale",
        "piano_annuale_approvazione",
    ):
        assert rifiutata(f"ALTER TABLE {tabella} DISABLE TRIGGER ALL") == PRIVILEGIO_INSUFFICIENTE
        assert (
            rifiutata(f"ALTER TABLE {tabella} DISABLE TRIGGER {tabella}_immutabile")
            == PRIVILEGIO_INSUFFICIENTE
        )


def test_session_replication_role_is_refused_to_the_role(come_applicazione):
    assert rifiutata("SET session_replication_role = replica") == PRIVILEGIO_INSUFFICIENTE
    assert rifiutata("SET LOCAL session_replication_role = replica") == PRIVILEGIO_INSUFFICIENTE


def test_the_role_cannot_change_the_approved_plan_nor_its_approval(approvato, come_applicazione):
    piano = approvato.piano
    with (
        pytest.raises(IntegrityError, match="Un piano approvato non può essere modificato"),
        transaction.atomic(),
    ):
        PianoAnnuale.objects.filter(pk=piano.pk).update(stato=StatoPiano.BOZZA)
    with pytest.raises(IntegrityError, match="L'approvazione dell'Assemblea"), transaction.atomic():
        Approvazione.objects.filter(piano=piano).update(numero_verbale="99/2099")
    with pytest.raises(IntegrityError, match="versione congelata"), transaction.atomic():
        VersionePiano.objects.filter(piano=piano).update(dati_json="{}")
    assert PianoAnnuale.objects.get(pk=piano.pk).stato == StatoPiano.APPROVATA
    assert Approvazione.objects.get(piano=piano).numero_verbale == "01/2025"


def test_the_probes_pass_for_the_role_and_fail_for_a_superuser_leaving_the_data(
    approvato, ruolo_applicazione
):
    # As the test's superuser every destructive probe goes through, and is rolled back.
    call = [(p.descrizione, p.superata) for p in prove_del_ruolo()]
    assert call == [
        ("lettura delle righe", True),
        ("TRUNCATE", False),
        ("ALTER TABLE … DISABLE TRIGGER", False),
        ("SET session_replication_role", False),
    ]
    with pytest.raises(CommandError) as errore:
        call_command("verifica_ruolo_applicazione", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert str(errore.value) == (
        "Il ruolo «postgres» non è adeguato: TRUNCATE, ALTER TABLE … DISABLE TRIGGER, "
        "SET session_replication_role non rifiutate."
    )
    assert VersionePiano.objects.filter(piano=approvato.piano).count() == 2
    sql(f"SET ROLE {ruolo_applicazione}")
    try:
        prove = prove_del_ruolo()
    finally:
        sql("RESET ROLE")
    assert [(p.descrizione, p.superata, p.codice) for p in prove] == [
        ("lettura delle righe", True, ""),
        ("TRUNCATE", True, PRIVILEGIO_INSUFFICIENTE),
        ("ALTER TABLE … DISABLE TRIGGER", True, PRIVILEGIO_INSUFFICIENTE),
        ("SET session_replication_role", True, PRIVILEGIO_INSUFFICIENTE),
    ]


def test_grants_are_refused_to_a_superuser_a_missing_role_or_a_bad_name(db):
    with pytest.raises(RuoloNonValido, match="«postgres» è un superutente"):
        concedi_privilegi("postgres")
    with pytest.raises(RuoloNonValido, match="«poa_nessuno_xyz» non esiste"):
        concedi_privilegi("poa_nessuno_xyz")
    with pytest.raises(RuoloNonValido, match="non valido"):
        concedi_privilegi("app; DROP TABLE x")
    with pytest.raises(CommandError, match="Indicare il ruolo dell'applicazione"):
        call_command("concedi_privilegi")


def test_grants_cover_every_table_and_are_idempotent(ruolo_applicazione):
    with connection.cursor() as cursore:
        cursore.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        tabelle = cursore.fetchone()[0]
    assert concedi_privilegi(ruolo_applicazione) == tabelle
    with connection.cursor() as cursore:
        cursore.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
            "AND has_table_privilege(%s, c.oid, 'TRUNCATE')",
            [ruolo_applicazione],
        )
        assert cursore.fetchone()[0] == 0


def test_the_check_command_passes_as_the_application(come_applicazione):
    uscita = io.StringIO()
    call_command("verifica_ruolo_applicazione", stdout=uscita)
    righe = uscita.getvalue().splitlines()
    assert righe[0] == "[ok] lettura delle righe: deve essere consentita – eseguita"
    assert [r.split(":")[0] for r in righe[1:4]] == [
        "[ok] TRUNCATE",
        "[ok] ALTER TABLE … DISABLE TRIGGER",
        "[ok] SET session_replication_role",
    ]
    assert righe[-1] == f"Ruolo «{come_applicazione}»: le 4 prove sono superate."


def test_grants_are_refused_to_a_role_that_owns_a_table(ruolo_applicazione):
    sql(f"CREATE TABLE prova_proprieta_{os.getpid()} (id int)")
    sql(f"ALTER TABLE prova_proprieta_{os.getpid()} OWNER TO {ruolo_applicazione}")
    with pytest.raises(RuoloNonValido, match=f"«{ruolo_applicazione}» possiede delle tabelle"):
        concedi_privilegi(ruolo_applicazione)
