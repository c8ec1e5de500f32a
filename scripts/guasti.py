"""Fault drill (issue 16, "Faults"): background jobs end in a state the user can retry from.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poa_jobs .venv/bin/python scripts/guasti.py
    DATABASE_URL=... .venv/bin/python scripts/guasti.py --smoke      # CI: smaller upload

On PostgreSQL (the Cremonese plan loaded: ``manage.py carica_piano``) with a real Celery worker
subprocess on Redis (``--broker``, default redis://127.0.0.1:6379/7: benchmarks/carico.py reserves
databases 15…8), it:

1. kills the worker (SIGKILL to its process group) while it renders a PDF;
2. kills it while it reads a large upload, and 3. while it writes one;
4. points the web side at a dead broker port and asks for a PDF and a large upload.

After each fault it runs the sweep (``pulisci_lavori``) once the heartbeat limit has passed, checks
that the job is failed with its message and that nothing partial exists (no PDF served, no unit
written), then restarts the worker, retries as the user would and checks that the retry succeeds.
It prints one table row per fault; the exit status is 1 if any check fails.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

RADICE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RADICE))
BATTITO, SENZA_SEGNALI = 1, 4
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["POA_LAVORI_SECONDI_BATTITO"] = str(BATTITO)
os.environ["POA_LAVORI_SECONDI_SENZA_SEGNALI"] = str(SENZA_SEGNALI)


def _argomenti() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="upload of 8.000 rows instead of 40.000; a retried PDF counts once the worker takes it up again",
    )
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/7")
    return parser.parse_args()


ARGOMENTI = _argomenti()
os.environ["CELERY_BROKER_URL"] = ARGOMENTI.broker

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from config.celery import app as celery_app  # noqa: E402
from patrimonio import importazione  # noqa: E402
from patrimonio.esportazione import modello_ente  # noqa: E402
from patrimonio.importazione.job import prenota_conferma, riprova_caricamento  # noqa: E402
from patrimonio.models import EnteProprietario, UnitaAbitativa  # noqa: E402
from patrimonio.tasks import analizza_caricamento_task, conferma_caricamento_task  # noqa: E402
from piano_annuale.lavori import accoda, pulisci_lavori  # noqa: E402
from piano_annuale.models import (  # noqa: E402
    Caricamento,
    DocumentoPiano,
    PianoAnnuale,
    RispostaRicognizione,
    StatoCaricamento,
    StatoDocumento,
    StatoRisposta,
)
from piano_annuale.tasks import richiedi_pdf  # noqa: E402

BROKER_SPENTO = "redis://127.0.0.1:1/0"


class Worker:
    """A Celery worker subprocess (one pool process), in its own process group to kill it whole."""

    def __init__(self) -> None:
        self.processo: subprocess.Popen[bytes] | None = None

    def avvia(self) -> None:
        ambiente = os.environ | {"CELERY_BROKER_URL": ARGOMENTI.broker}
        self.processo = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", "1", "--loglevel=INFO"],
            cwd=RADICE,
            env=ambiente,
            stdout=subprocess.DEVNULL,
            stderr=open(RADICE / "var" / "guasti-worker.log", "ab"),  # noqa: SIM115
            start_new_session=True,
        )
        time.sleep(4)  # the worker connects and starts consuming

    def uccidi(self) -> None:
        assert self.processo is not None
        os.killpg(self.processo.pid, signal.SIGKILL)
        self.processo.wait()


def attendi(condizione: Callable[[], bool], secondi: float, cosa: str) -> None:
    fine = time.monotonic() + secondi
    while time.monotonic() < fine:
        if condizione():
            return
        time.sleep(0.1)
    raise TimeoutError(f"in {secondi} s non è successo: {cosa}")


def pdf_ripreso(pk: int) -> bool:
    """The retried PDF is ready; with --smoke, already taken up again by the worker (rendering the
    whole document takes long on a loaded CI machine; the fault is what is being checked)."""
    documento = DocumentoPiano.objects.get(pk=pk)
    if ARGOMENTI.smoke:
        return (
            documento.stato in (StatoDocumento.IN_CORSO, StatoDocumento.PRONTO) and documento.progresso >= 10
        )
    return documento.stato == StatoDocumento.PRONTO


def spazza() -> int:
    time.sleep(SENZA_SEGNALI + 1.5)
    return pulisci_lavori().totale


def file_grande(piano: PianoAnnuale, ente: EnteProprietario, righe: int, marca: str) -> bytes:
    """The ente's template (csv) with ``righe`` new free units."""
    testo = modello_ente(piano=piano, ente=ente, formato="csv").contenuto.decode("utf-8-sig")
    comune = ente.comune.nome if ente.comune else ""
    nuove = "".join(f"{ente.denominazione};G-{marca}-{n};;{comune};;SAP;;libera;;;\r\n" for n in range(righe))
    return (testo + nuove).encode("utf-8-sig")


RIGHE: list[tuple[str, str, str, str, str, str]] = []


def riga(guasto: str, dopo: str, messaggio: str, parziale: str, ripresa: str, esito: bool) -> None:
    RIGHE.append((guasto, dopo, messaggio[:60] + "…", parziale, ripresa, "OK" if esito else "NON RIUSCITO"))


def guasto_pdf(worker: Worker, piano: PianoAnnuale) -> None:
    DocumentoPiano.objects.filter(piano=piano).delete()
    documento = richiedi_pdf(piano=piano, utente=None)
    attendi(
        lambda: DocumentoPiano.objects.filter(pk=documento.pk, progresso__gte=10).exists(), 300, "PDF avviato"
    )
    worker.uccidi()
    spazza()
    documento.refresh_from_db()
    fallito = documento.stato == StatoDocumento.ERRORE
    worker.avvia()
    inizio = time.monotonic()
    ripreso = richiedi_pdf(piano=piano, utente=None)
    attendi(lambda: pdf_ripreso(ripreso.pk), 900, "PDF ripreso")
    riga(
        "worker ucciso durante un PDF",
        documento.get_stato_display(),
        documento.errore,
        "nessun PDF servito" if fallito else "PDF in stato " + documento.stato,
        f"«Riprova»: {'ripreso' if ARGOMENTI.smoke else 'pronto'} in {time.monotonic() - inizio:.1f} s",
        fallito and ripreso.pk == documento.pk,
    )


def _caricamento(piano: PianoAnnuale, ente: EnteProprietario, contenuto: bytes) -> Caricamento:
    return importazione.crea_caricamento(
        piano=piano, ente=ente, utente=None, nome_file="grande.csv", contenuto=contenuto
    )


def guasto_lettura(worker: Worker, piano: PianoAnnuale, ente: EnteProprietario, contenuto: bytes) -> None:
    caricamento = _caricamento(piano, ente, contenuto)
    accoda(analizza_caricamento_task, caricamento.pk)
    attendi(
        lambda: Caricamento.objects.filter(pk=caricamento.pk, progresso__gte=2).exists(),
        120,
        "lettura avviata",
    )
    worker.uccidi()
    spazza()
    caricamento.refresh_from_db()
    fallito = caricamento.stato == StatoCaricamento.FALLITO
    worker.avvia()
    inizio = time.monotonic()
    riprovato = riprova_caricamento(caricamento) and accoda(analizza_caricamento_task, caricamento.pk)
    attendi(
        lambda: Caricamento.objects.get(pk=caricamento.pk).stato == StatoCaricamento.ANTEPRIMA,
        300,
        "anteprima",
    )
    riga(
        "worker ucciso durante la lettura",
        caricamento.get_stato_display(),
        caricamento.esito,
        "nessuna unità scritta (la lettura non scrive)",
        f"«Riprova»: anteprima in {time.monotonic() - inizio:.1f} s",
        fallito and bool(riprovato),
    )


def guasto_scrittura(worker: Worker, piano: PianoAnnuale, ente: EnteProprietario, contenuto: bytes) -> None:
    caricamento = _caricamento(piano, ente, contenuto)
    importazione.analizza_caricamento(caricamento.pk)
    caricamento.refresh_from_db()
    prima = UnitaAbitativa.objects.filter(ente=ente).count()
    assert prenota_conferma(caricamento), caricamento.esito
    accoda(conferma_caricamento_task, caricamento.pk, None)
    attendi(
        lambda: Caricamento.objects.filter(pk=caricamento.pk, progresso__gte=60).exists(),
        300,
        "scrittura avviata",
    )
    time.sleep(0.3)  # inside the writing transaction
    worker.uccidi()
    spazza()
    caricamento.refresh_from_db()
    dopo = UnitaAbitativa.objects.filter(ente=ente).count()
    fallito = caricamento.stato == StatoCaricamento.FALLITO and dopo == prima
    worker.avvia()
    inizio = time.monotonic()
    riprova_caricamento(caricamento)
    accoda(analizza_caricamento_task, caricamento.pk)
    attendi(
        lambda: Caricamento.objects.get(pk=caricamento.pk).stato == StatoCaricamento.ANTEPRIMA,
        300,
        "anteprima",
    )
    ripreso = Caricamento.objects.get(pk=caricamento.pk)
    prenota_conferma(ripreso)
    accoda(conferma_caricamento_task, ripreso.pk, None)
    attendi(
        lambda: Caricamento.objects.get(pk=caricamento.pk).stato == StatoCaricamento.CONFERMATO,
        300,
        "confermato",
    )
    scritte = UnitaAbitativa.objects.filter(ente=ente).count() - prima
    riga(
        "worker ucciso durante la registrazione",
        caricamento.get_stato_display(),
        caricamento.esito,
        f"unità dell'ente {prima} → {dopo} (nulla di parziale)",
        f"«Riprova» + conferma: {scritte} unità in {time.monotonic() - inizio:.1f} s",
        fallito and scritte == caricamento.aggiunte,
    )


def guasto_broker(piano: PianoAnnuale, ente: EnteProprietario, contenuto: bytes) -> None:
    """The web side cannot reach the broker: the rows fail with a message, nothing waits forever."""
    DocumentoPiano.objects.filter(piano=piano).delete()
    # Celery reads the broker from the environment first.
    os.environ["CELERY_BROKER_URL"] = BROKER_SPENTO
    celery_app.conf.update(broker_url=BROKER_SPENTO)
    celery_app.__dict__["_pool"] = None
    celery_app.amqp.__dict__["_producer_pool"] = None
    inizio = time.monotonic()
    documento = richiedi_pdf(piano=piano, utente=None)
    caricamento = _caricamento(piano, ente, contenuto)
    if not accoda(analizza_caricamento_task, caricamento.pk):
        importazione.job.non_accodato(caricamento.pk)
    durata = time.monotonic() - inizio
    documento.refresh_from_db()
    caricamento.refresh_from_db()
    falliti = documento.stato == StatoDocumento.ERRORE and caricamento.stato == StatoCaricamento.FALLITO
    os.environ["CELERY_BROKER_URL"] = ARGOMENTI.broker
    celery_app.conf.update(broker_url=ARGOMENTI.broker)
    celery_app.__dict__["_pool"] = None
    celery_app.amqp.__dict__["_producer_pool"] = None
    ripreso = richiedi_pdf(piano=piano, utente=None)
    attendi(lambda: pdf_ripreso(ripreso.pk), 900, "PDF ripreso")
    riga(
        "broker irraggiungibile (porta chiusa)",
        f"{documento.get_stato_display()} / {caricamento.get_stato_display()} in {durata:.1f} s",
        documento.errore,
        "nessuna riga «in coda»",
        "broker di nuovo su: «Riprova» → PDF " + ("ripreso" if ARGOMENTI.smoke else "pronto"),
        falliti and ripreso.pk == documento.pk,
    )


def main() -> int:
    if connection.vendor != "postgresql":
        print("Serve PostgreSQL: impostare DATABASE_URL.", file=sys.stderr)
        return 2
    piano = PianoAnnuale.objects.select_related("ambito").get(anno=2025, ambito__nome__icontains="Cremonese")
    ente = EnteProprietario.objects.select_related("comune").get(comune__nome="Soresina")
    RispostaRicognizione.objects.update_or_create(
        piano=piano, ente=ente, defaults={"stato": StatoRisposta.NESSUNA, "inviata_il": None}
    )
    righe = 8_000 if ARGOMENTI.smoke else 40_000
    marca = str(int(time.time()))
    worker = Worker()
    worker.avvia()
    try:
        guasto_pdf(worker, piano)
        # The read is killed once it has started: at 8,000 rows a fast machine finished it between the
        # poll that saw it start and the kill, so its file has the full run's 40,000 rows.
        guasto_lettura(worker, piano, ente, file_grande(piano, ente, 40_000, marca + "L"))
        guasto_scrittura(worker, piano, ente, file_grande(piano, ente, righe, marca + "S"))
        guasto_broker(piano, ente, file_grande(piano, ente, 10, marca + "B"))
    finally:
        if worker.processo and worker.processo.poll() is None:
            worker.uccidi()
        # Unacknowledged messages of the killed workers would come back within the hour: drop them.
        celery_app.control.purge()
    intestazione = ("guasto", "stato dopo la pulizia", "messaggio", "nulla di parziale", "ripresa", "esito")
    larghezze = [max(len(r[i]) for r in [intestazione, *RIGHE]) for i in range(len(intestazione))]
    for r in [intestazione, *RIGHE]:
        print(" | ".join(v.ljust(larghezze[i]) for i, v in enumerate(r)))
    return 0 if all(r[-1] == "OK" for r in RIGHE) and len(RIGHE) == 4 else 1


if __name__ == "__main__":
    sys.exit(main())
