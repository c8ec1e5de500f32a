"""An approved plan is what was approved: the database (SQLite and PostgreSQL triggers, migration
0008) refuses to change or delete the approval, its presences, the approving move and the approved
plan's row; the workflow still approves, and the next year's plan still opens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from piano_annuale.models import Approvazione, PassaggioDiStato, PianoAnnuale, PresenzaAssemblea, StatoPiano
from piano_annuale.services.anno_successivo import crea_piano_anno_successivo
from tests.percorso import crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a  # noqa: F401 - fixtures
from tests.utenti import hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media", "pdf_veloce")

PIANO_APPROVATO = "Un piano approvato non può essere modificato né eliminato."
APPROVAZIONE = "L'approvazione dell'Assemblea dei Sindaci non può essere modificata né eliminata."
PRESENZE = "Le presenze della seduta che ha approvato il piano non possono essere modificate né eliminate."
PASSAGGIO = "Il passaggio che ha approvato il piano non può essere modificato né eliminato."
TABELLE = ["approvazione", "presenzaassemblea", "pianoannuale", "passaggiodistato"]


@pytest.fixture
def a(db):
    a = crea_ambito_con_utenti(nome="Ambito dell'immutabilità", prefisso_istat="087")
    porta_a(a, StatoPiano.APPROVATA)
    a.piano.refresh_from_db()
    return a


def rifiutato(scrittura: Callable[[], Any], messaggio: str) -> None:
    """The write raises the trigger's message and leaves the test's transaction usable."""
    with pytest.raises(IntegrityError) as errore, transaction.atomic():
        scrittura()
    assert messaggio in str(errore.value)


def sql(istruzione: str, parametri: list[Any]) -> None:
    with connection.cursor() as cursore:
        cursore.execute(istruzione, parametri)


@pytest.mark.parametrize("stato", [StatoPiano.BOZZA, StatoPiano.TRASMESSA_ASSEMBLEA, StatoPiano.RICOGNIZIONE])
def test_an_approved_plan_cannot_leave_its_state(a, stato):
    rifiutato(lambda: PianoAnnuale.objects.filter(pk=a.piano.pk).update(stato=stato), PIANO_APPROVATO)
    assert PianoAnnuale.objects.get(pk=a.piano.pk).stato == StatoPiano.APPROVATA


def test_no_field_of_an_approved_plan_changes_not_even_by_save_or_the_revision(a):
    piano = PianoAnnuale.objects.get(pk=a.piano.pk)
    piano.motivo_regole = "Cambiato dopo l'approvazione"
    rifiutato(piano.save, PIANO_APPROVATO)
    rifiutato(lambda: PianoAnnuale.objects.filter(pk=piano.pk).update(revisione=99), PIANO_APPROVATO)
    dopo = PianoAnnuale.objects.get(pk=piano.pk)
    assert (dopo.motivo_regole, dopo.revisione, dopo.aggiornato_il) == (
        a.piano.motivo_regole,
        a.piano.revisione,
        a.piano.aggiornato_il,
    )


def test_an_approved_plan_cannot_be_deleted_even_by_raw_sql(a):
    rifiutato(
        lambda: sql("DELETE FROM piano_annuale_pianoannuale WHERE id = %s", [a.piano.pk]), PIANO_APPROVATO
    )
    assert PianoAnnuale.objects.filter(pk=a.piano.pk).exists()


def test_the_approval_cannot_be_changed_nor_deleted(a):
    approvazione = Approvazione.objects.get(piano=a.piano)
    approvazione.numero_verbale = "99/2099"
    rifiutato(approvazione.save, APPROVAZIONE)
    rifiutato(
        lambda: Approvazione.objects.filter(pk=approvazione.pk).update(verbale_sha256="0" * 64), APPROVAZIONE
    )
    rifiutato(
        lambda: sql("DELETE FROM piano_annuale_approvazione WHERE id = %s", [approvazione.pk]), APPROVAZIONE
    )
    assert Approvazione.objects.get(pk=approvazione.pk).numero_verbale == "01/2025"


def test_the_presences_of_the_session_cannot_be_changed_nor_deleted(a):
    # Inserting stays allowed (a restore writes the rows): here the session's presences are added.
    approvazione = Approvazione.objects.get(piano=a.piano)
    PresenzaAssemblea.objects.bulk_create(
        PresenzaAssemblea(approvazione=approvazione, comune=c, presente=True)
        for c in a.piano.ambito.comuni.all()
    )
    presenze = PresenzaAssemblea.objects.filter(approvazione__piano=a.piano)
    assert presenze.count() == 4
    rifiutato(lambda: presenze.update(presente=False), PRESENZE)
    rifiutato(lambda: presenze.delete(), PRESENZE)
    assert presenze.filter(presente=True).count() == 4


def test_the_approving_move_cannot_be_changed_nor_deleted_the_earlier_ones_are_not_frozen_here(a):
    approvante = PassaggioDiStato.objects.get(piano=a.piano, a=StatoPiano.APPROVATA)
    rifiutato(lambda: PassaggioDiStato.objects.filter(pk=approvante.pk).update(motivo="altro"), PASSAGGIO)
    rifiutato(lambda: PassaggioDiStato.objects.filter(pk=approvante.pk).delete(), PASSAGGIO)
    precedente = PassaggioDiStato.objects.get(piano=a.piano, a=StatoPiano.INVIATA_ALER)
    assert PassaggioDiStato.objects.filter(pk=precedente.pk).update(eseguito_il=precedente.eseguito_il) == 1


def test_plans_not_approved_still_change_and_the_next_year_opens(a):
    esito = crea_piano_anno_successivo(piano=a.piano, utente=a.ufficio)
    nuovo = esito.piano
    assert (nuovo.anno, nuovo.stato) == (a.piano.anno + 1, StatoPiano.RICOGNIZIONE)
    assert PianoAnnuale.objects.filter(pk=nuovo.pk).update(stato=StatoPiano.BOZZA) == 1
    assert PianoAnnuale.objects.filter(pk=nuovo.pk).update(motivo_regole="prova") == 1
    assert PianoAnnuale.objects.get(pk=a.piano.pk).stato == StatoPiano.APPROVATA


def test_the_triggers_are_installed(db):
    """A migration that rebuilds one of these tables (SQLite) drops its triggers: this test notices."""
    with connection.cursor() as cursore:
        if connection.vendor == "sqlite":
            cursore.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            attesi = {f"piano_annuale_{t}_immutabile_{e}" for t in TABELLE for e in ("update", "delete")}
        else:
            cursore.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            attesi = {f"piano_annuale_{t}_immutabile" for t in TABELLE}
        nomi = {r[0] for r in cursore.fetchall()}
    assert attesi <= nomi
