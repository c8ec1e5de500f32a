"""No ente write commits after «Invia ad ALER» froze the version (issue 16, item 3).

Two real database connections race: each thread has its own (``django.db.connections`` is per
thread), and the tests run in real transactions (``transactional_db``). A unit write that started
before the freeze either commits before it (and the frozen version counts the unit) or is refused
after it; it never commits after the freeze. Two saves of the same stale form (item 7) race the
same way: one wins, the other is refused. The waits are observed in ``pg_stat_activity``, so the
tests prove that one connection really waited for the other's lock.

PostgreSQL only: SQLite has no row locks (``select_for_update`` is a no-op there) and serialises
whole-database writes instead, so the race these tests stage cannot happen on it. CI runs PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.transaction import TransactionManagementError

from patrimonio.importazione import analizza, registra, scrittura
from patrimonio.importazione.righe import Analisi
from patrimonio.models import UnitaAbitativa
from patrimonio.resources import COLONNE_UNITA
from piano_annuale.models import (
    ConsistenzaDichiarata,
    PianoAnnuale,
    Stato,
    StatoPiano,
    StatoUnita,
    VersionePiano,
)
from piano_annuale.services import iter as mosse
from piano_annuale.services.ente import blocca_per_scrittura, riapri_risposta, salva_unita
from piano_annuale.services.errori import ModificaNonConsentita
from piano_annuale.services.regole import assicura_regole_predefinite
from piano_annuale.services.versioni import ModificaConcorrente, perimetro_unita
from tests.navigatore import ripristina_dati_della_sessione as _ripristina
from tests.percorso import Ambito, crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce  # noqa: F401 - fixtures
from tests.utenti import hasher_veloce

ripristina_dati_della_sessione = _ripristina

solo_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Serve PostgreSQL: SQLite non ha lock di riga e serializza le scritture sull'intero database.",
)

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media", "pdf_veloce")

INTESTAZIONI = [c.intestazione for c in COLONNE_UNITA if c.chiave != "pk"]
ATTESA = 15  # seconds: far more than any step needs, so a hang fails instead of blocking CI


class Filo(threading.Thread):
    """A thread with its own database connection that keeps its result or its exception."""

    def __init__(self, lavoro: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.lavoro = lavoro
        self.risultato: Any = None
        self.errore: BaseException | None = None

    def run(self) -> None:
        try:
            self.risultato = self.lavoro()
        except BaseException as errore:  # noqa: BLE001 - handed to the test thread, which asserts on it
            self.errore = errore
        finally:
            connections.close_all()  # this thread's connection only


def attende_un_lock() -> bool:
    """Whether another connection is waiting for a row lock, polled for up to ``ATTESA`` s."""
    fine = time.monotonic() + ATTESA
    while time.monotonic() < fine:
        with connection.cursor() as cursore:
            cursore.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            (in_attesa,) = cursore.fetchone()
        if in_attesa:
            return True
        time.sleep(0.02)
    return False


def unita_libere_congelate(versione: VersionePiano) -> list[str]:
    """The ID regionali of section e) as the frozen version holds them."""
    return [u["id_regionale"] for u in json.loads(versione.dati_json)["e"]["libere"]]


def nuova_unita(a: Ambito) -> Callable[[], UnitaAbitativa]:
    """The operator of the comune adds a free unit to the plan (a service write, its own transaction)."""

    def scrivi() -> UnitaAbitativa:
        return salva_unita(
            piano=a.piano,
            ente=a.ente_comune,
            utente=a.operatore_comune,
            valori_unita={
                "id_regionale": "CONC-1",
                "comune_id": a.ente_comune.comune_id,
                "indirizzo": "Via Nuova 1",
            },
            valori_stato={"stato": Stato.LIBERA, "programma": "", "note": ""},
        )

    return scrivi


def ambito_aperto() -> Ambito:
    """A coherent plan in bozza whose comune has its answer reopened: its data may change until the freeze."""
    assicura_regole_predefinite()  # an earlier test's flush took the rule sets with it
    ambito = crea_ambito_con_utenti(nome="Ambito della gara", prefisso_istat="095")
    riapri_risposta(piano=ambito.piano, ente=ambito.ente_comune, utente=ambito.ufficio)
    return ambito


@pytest.fixture
def a(transactional_db: None, ripristina_dati_della_sessione: None) -> Iterator[Ambito]:
    """Real transactions, so that other connections see the data (the database is emptied after)."""
    yield ambito_aperto()


@solo_postgresql
def test_a_write_that_holds_the_gate_commits_before_the_freeze_and_is_in_the_frozen_version(
    a: Ambito,
) -> None:
    scritta, continua = threading.Event(), threading.Event()
    scrivi = nuova_unita(a)

    def scrivi_e_aspetta() -> UnitaAbitativa:
        with transaction.atomic():
            unita = scrivi()
            scritta.set()
            continua.wait(ATTESA)  # the transaction stays open: «Invia ad ALER» starts meanwhile
            return unita

    scrittore = Filo(scrivi_e_aspetta)
    scrittore.start()
    assert scritta.wait(ATTESA), scrittore.errore
    invio = Filo(lambda: mosse.invia_ad_aler(piano=a.piano, utente=a.ufficio))
    invio.start()
    assert attende_un_lock()  # the freeze waits for the write's lock on the plan
    assert invio.is_alive()
    continua.set()
    scrittore.join(ATTESA)
    invio.join(ATTESA)

    assert scrittore.errore is None and invio.errore is None
    versione = invio.risultato
    assert isinstance(versione, VersionePiano)
    assert PianoAnnuale.objects.get(pk=a.piano.pk).stato == StatoPiano.INVIATA_ALER
    assert UnitaAbitativa.objects.filter(id_regionale="CONC-1").count() == 1
    assert "CONC-1" in unita_libere_congelate(versione)
    assert len(unita_libere_congelate(versione)) == 25  # 24 of the built ambito and the new one


@solo_postgresql
def test_a_write_that_reaches_the_gate_during_the_freeze_waits_and_is_refused(
    a: Ambito, monkeypatch: pytest.MonkeyPatch
) -> None:
    congelata, continua = threading.Event(), threading.Event()
    originale = mosse.congela_versione

    def congela_e_aspetta(**argomenti: Any) -> VersionePiano:
        versione = originale(**argomenti)
        congelata.set()
        continua.wait(ATTESA)  # the plan stays locked, its new state not yet committed
        return versione

    monkeypatch.setattr(mosse, "congela_versione", congela_e_aspetta)
    invio = Filo(lambda: mosse.invia_ad_aler(piano=a.piano, utente=a.ufficio))
    invio.start()
    assert congelata.wait(ATTESA), invio.errore
    scrittore = Filo(nuova_unita(a))
    scrittore.start()
    assert attende_un_lock()  # the write waits at the gate for the freeze's lock
    assert scrittore.is_alive()
    continua.set()
    invio.join(ATTESA)
    scrittore.join(ATTESA)

    assert invio.errore is None
    assert isinstance(scrittore.errore, ModificaNonConsentita)
    assert str(scrittore.errore) == (
        "Il piano 2025 è nello stato «Inviata ad ALER per il parere»: i dati della ricognizione "
        "non sono più modificabili."
    )
    assert not UnitaAbitativa.objects.filter(id_regionale="CONC-1").exists()
    assert "CONC-1" not in unita_libere_congelate(invio.risultato)
    assert len(unita_libere_congelate(invio.risultato)) == 24


@solo_postgresql
def test_many_writes_racing_the_freeze_are_each_in_the_version_or_refused(a: Ambito) -> None:
    partenza = threading.Barrier(7)

    def scrivi(n: int) -> UnitaAbitativa:
        partenza.wait(ATTESA)
        return salva_unita(
            piano=a.piano,
            ente=a.ente_comune,
            utente=a.operatore_comune,
            valori_unita={"id_regionale": f"GARA-{n}", "comune_id": a.ente_comune.comune_id},
            valori_stato={"stato": Stato.LIBERA, "programma": "", "note": ""},
        )

    def invia() -> VersionePiano:
        partenza.wait(ATTESA)
        return mosse.invia_ad_aler(piano=a.piano, utente=a.ufficio)

    scrittori = [Filo(partial(scrivi, n)) for n in range(6)]
    invio = Filo(invia)
    for filo in [*scrittori, invio]:
        filo.start()
    for filo in [*scrittori, invio]:
        filo.join(ATTESA)

    assert invio.errore is None
    congelate = set(unita_libere_congelate(invio.risultato))
    salvate = set(
        UnitaAbitativa.objects.filter(id_regionale__startswith="GARA-").values_list("id_regionale", flat=True)
    )
    for n, filo in enumerate(scrittori):
        if filo.errore is None:
            assert f"GARA-{n}" in congelate  # committed, hence before the freeze
        else:
            assert isinstance(filo.errore, ModificaNonConsentita)
            assert f"GARA-{n}" not in salvate
    assert {c for c in congelate if c.startswith("GARA-")} == salvate


@solo_postgresql
def test_two_simultaneous_saves_of_the_same_stale_form_one_wins_the_other_is_refused(a: Ambito) -> None:
    # Both forms were loaded with the same version; the saves start together on two connections.
    unita = UnitaAbitativa.objects.filter(ente=a.ente_comune).order_by("pk").first()
    assert unita is not None
    versione = perimetro_unita(a.piano.pk, unita.pk).versione()
    partenza = threading.Barrier(2)

    def salva(indirizzo: str) -> UnitaAbitativa:
        partenza.wait(ATTESA)
        return salva_unita(
            piano=a.piano,
            ente=a.ente_comune,
            utente=a.operatore_comune,
            valori_unita={"indirizzo": indirizzo, "comune_id": unita.comune_id},
            valori_stato={"stato": Stato.LIBERA, "programma": "", "note": ""},
            unita=UnitaAbitativa.objects.get(pk=unita.pk),
            versione=versione,
        )

    fili = [Filo(partial(salva, "Via Uno 1")), Filo(partial(salva, "Via Due 2"))]
    for filo in fili:
        filo.start()
    for filo in fili:
        filo.join(ATTESA)

    vincitori = [f for f in fili if f.errore is None]
    perdenti = [f for f in fili if f.errore is not None]
    assert len(vincitori) == 1 and len(perdenti) == 1
    assert isinstance(perdenti[0].errore, ModificaConcorrente)
    assert "ha modificato unità abitativa (indirizzo:" in str(perdenti[0].errore)
    assert UnitaAbitativa.objects.get(pk=unita.pk).indirizzo == vincitori[0].risultato.indirizzo


def analisi_di_un_caricamento(a: Ambito, quante: int) -> Analisi:
    """A valid upload of the comune's units plus ``quante`` new free ones, analysed (not yet written)."""
    ente, comune = a.ente_comune, a.ente_comune.comune
    assert comune is not None
    esistenti = [
        [
            ente.denominazione,
            u.id_regionale or "",
            u.codice_ente,
            comune.nome,
            "",
            "SAP",
            u.indirizzo,
            s.stato,
            s.programma,
            s.note,
        ]
        for s in StatoUnita.objects.filter(piano=a.piano, unita__ente=ente).select_related("unita")
        for u in [s.unita]
    ]
    nuove = [
        [ente.denominazione, f"FILE-{n}", "", comune.nome, "", "SAP", "", "libera", "", ""]
        for n in range(quante)
    ]
    uscita = io.StringIO()
    csv.writer(uscita, delimiter=";").writerows([INTESTAZIONI, *esistenti, *nuove])
    analisi = analizza(contenuto=uscita.getvalue().encode(), nome_file="unita.csv", piano=a.piano, ente=ente)
    assert analisi.valida, [e.messaggio for e in analisi.errori]
    assert len(analisi.nuove) == quante
    return analisi


@solo_postgresql
def test_an_upload_that_holds_the_gate_commits_before_the_freeze_and_all_its_units_are_frozen(
    a: Ambito, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The comune declares enough SAP units for 500 more (check C01), so the plan stays coherent.
    ConsistenzaDichiarata.objects.filter(piano=a.piano, ente=a.ente_comune).update(sap=1000)
    analisi = analisi_di_un_caricamento(a, 500)
    scritta, continua = threading.Event(), threading.Event()
    originale = scrittura._scrivi

    def scrivi_e_aspetta(analisi: Analisi) -> Any:
        scritte = originale(analisi)
        scritta.set()
        continua.wait(ATTESA)  # the upload's transaction stays open: «Invia ad ALER» starts meanwhile
        return scritte

    monkeypatch.setattr(scrittura, "_scrivi", scrivi_e_aspetta)
    caricamento = Filo(lambda: registra(analisi=analisi, utente=a.operatore_comune))
    caricamento.start()
    assert scritta.wait(ATTESA), caricamento.errore
    invio = Filo(lambda: mosse.invia_ad_aler(piano=a.piano, utente=a.ufficio))
    invio.start()
    assert attende_un_lock()
    continua.set()
    caricamento.join(ATTESA)
    invio.join(ATTESA)

    assert caricamento.errore is None and invio.errore is None
    congelate = unita_libere_congelate(invio.risultato)
    assert len([c for c in congelate if c.startswith("FILE-")]) == 500
    assert UnitaAbitativa.objects.filter(id_regionale__startswith="FILE-").count() == 500


@solo_postgresql
def test_an_upload_confirmed_during_the_freeze_waits_and_writes_nothing(
    a: Ambito, monkeypatch: pytest.MonkeyPatch
) -> None:
    analisi = analisi_di_un_caricamento(a, 500)
    congelata, continua = threading.Event(), threading.Event()
    originale = mosse.congela_versione

    def congela_e_aspetta(**argomenti: Any) -> VersionePiano:
        versione = originale(**argomenti)
        congelata.set()
        continua.wait(ATTESA)
        return versione

    monkeypatch.setattr(mosse, "congela_versione", congela_e_aspetta)
    invio = Filo(lambda: mosse.invia_ad_aler(piano=a.piano, utente=a.ufficio))
    invio.start()
    assert congelata.wait(ATTESA), invio.errore
    caricamento = Filo(lambda: registra(analisi=analisi, utente=a.operatore_comune))
    caricamento.start()
    assert attende_un_lock()  # the upload waits at the gate, before writing anything
    continua.set()
    invio.join(ATTESA)
    caricamento.join(ATTESA)

    assert invio.errore is None
    assert isinstance(caricamento.errore, ModificaNonConsentita)
    assert str(caricamento.errore).startswith("Il piano 2025 è nello stato «Inviata ad ALER per il parere»")
    assert not UnitaAbitativa.objects.filter(id_regionale__startswith="FILE-").exists()
    assert len(unita_libere_congelate(invio.risultato)) == 24


def test_the_gate_refuses_to_run_outside_a_transaction(a: Ambito) -> None:
    # In autocommit the row lock would end with its own statement: the gate says so instead.
    with pytest.raises(TransactionManagementError):
        blocca_per_scrittura(a.piano.pk, a.ente_comune.pk)


def test_after_the_freeze_the_gate_refuses_every_write_and_nothing_is_written(db: None) -> None:
    # In the test's rolled-back transaction: SQLite's flush could not remove a frozen version.
    a = ambito_aperto()
    mosse.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    with pytest.raises(ModificaNonConsentita) as rifiuto:
        nuova_unita(a)()
    assert str(rifiuto.value) == (
        "Il piano 2025 è nello stato «Inviata ad ALER per il parere»: i dati della ricognizione "
        "non sono più modificabili."
    )
    assert not UnitaAbitativa.objects.filter(id_regionale="CONC-1").exists()
