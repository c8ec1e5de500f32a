"""The bad-file catalogue of issue 16 (not a test): every kind of hostile or broken spreadsheet,
uploaded through the real upload view, with the message each one gets, the rows it wrote (0) and
whether the process that served it is still alive.

    .venv/bin/python benchmarks/file_ostili.py                          # configured DB, Django test client
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poa_bench .venv/bin/python benchmarks/file_ostili.py
    .venv/bin/python benchmarks/file_ostili.py --smoke                  # CI: a handful of kinds, seconds
    .venv/bin/python benchmarks/file_ostili.py --url http://127.0.0.1:8000   # a running server

Without ``--url`` the uploads go through ``django.test.Client`` in this process, which plays the web
worker: a file that killed its reader would kill this script. With ``CELERY_BROKER_URL`` set, large
files go to the real Celery worker and the script waits for their outcome. With ``--url`` they go
over HTTP to a running server (gunicorn or ``runserver``) that uses the same database as this script
(its ``DATABASE_URL``): the script logs in as its own operator, uploads, checks the upload got an
answer (a worker that dies mid-request gives a reset or a 502) and the server still answers, and reads
the outcome from the database (how the reader ended is then in the server's log, not counted here).

The script's own ambito ("Ambito benchmark file ostili": one comune, an ALER ente with 3 units, an
operator) is created on start and removed at the end; nothing else in the database is touched. The
exit status is 0 when every file left 0 rows written, an upload in a final state and the serving
process alive; 1 otherwise.
"""

from __future__ import annotations

import argparse
import html
import http.cookiejar
import logging
import os
import re
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from ambito.models import Ambito, Comune  # noqa: E402
from patrimonio.models import EnteProprietario, Operatore, Ruolo, TipoEnte, UnitaAbitativa  # noqa: E402
from patrimonio.resources import COLONNE_UNITA  # noqa: E402
from piano_annuale.models import (  # noqa: E402
    Caricamento,
    Modifica,
    PianoAnnuale,
    RispostaRicognizione,
    StatoCaricamento,
    StatoPiano,
    StatoUnita,
)
from tests.patrimonio.ostili import Ostile, catalogo  # noqa: E402

NOME_AMBITO = "Ambito benchmark file ostili"
UTENTE = "benchmark-file-ostili"
PASSWORD = uuid.uuid4().hex
IN_CORSO = (StatoCaricamento.IN_LETTURA, StatoCaricamento.IN_SCRITTURA)
ATTESA_MASSIMA = 300.0
SMOKE = (
    "cella XFD1048576 (1,7 KB)",
    "cella XFD1048576, dimensione falsa «A1»",
    "190.000 × 200 celle dichiarate",
    "protetto da password (OLE2 EncryptedPackage)",
    "foglio nascosto",
    "1M righe vuote in mezzo (ods)",
    "zip troncato",
    "voce zip dichiarata di 4 GB",
)


@dataclass
class Scena:
    piano: PianoAnnuale
    ente: EnteProprietario
    intestazioni: list[str]
    riga: list[str]


class _Figli(logging.Handler):
    """Collects how the reading child ended (its exit code, from ``lettura``'s warnings)."""

    def __init__(self) -> None:
        super().__init__()
        self.codici: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        trovato = re.search(r"\(codice (-?\d+)\)|interrotta dopo", record.getMessage())
        if trovato:
            self.codici.append(trovato.group(1) or "tempo")


def prepara() -> Scena:
    call_command("migrate", verbosity=0, interactive=False)
    pulisci()
    ambito = Ambito.objects.create(nome=NOME_AMBITO)
    comune = Comune.objects.create(
        codice_istat="098901", nome="Comune file ostili", provincia="ZZ", ambito=ambito
    )
    piano = PianoAnnuale.objects.create(
        ambito=ambito, anno=2025, data_popolazione="2024-01-01", stato=StatoPiano.RICOGNIZIONE
    )
    ente = EnteProprietario.objects.create(
        ambito=ambito, tipo=TipoEnte.ALER, denominazione="ALER file ostili"
    )
    for n in range(3):
        UnitaAbitativa.objects.create(ente=ente, comune=comune, id_regionale=f"FO-{n}", indirizzo=f"Via {n}")
    utente = get_user_model().objects.create_user(username=UTENTE, password=PASSWORD)
    Operatore.objects.create(user=utente, ambito=ambito, ruolo=Ruolo.ALER, ente=ente)
    intestazioni = [c.intestazione for c in COLONNE_UNITA if c.chiave != "pk"]
    riga = [ente.denominazione, "FO-NUOVA", "", comune.nome, comune.codice_istat, "SAP", "", "libera", "", ""]
    return Scena(piano, ente, intestazioni, riga)


def pulisci() -> None:
    get_user_model().objects.filter(username=UTENTE).delete()
    ambito = Ambito.objects.filter(nome=NOME_AMBITO).first()
    if ambito is None:
        return
    with transaction.atomic():
        Caricamento.objects.filter(piano__ambito=ambito).delete()
        Modifica.objects.filter(piano__ambito=ambito).delete()
        StatoUnita.objects.filter(piano__ambito=ambito).delete()
        RispostaRicognizione.objects.filter(piano__ambito=ambito).delete()
        UnitaAbitativa.objects.filter(ente__ambito=ambito).delete()
        PianoAnnuale.objects.filter(ambito=ambito).delete()
        EnteProprietario.objects.filter(ambito=ambito).delete()
        Comune.objects.filter(ambito=ambito).delete()
        ambito.delete()


# --------------------------------------------------------------------------------------------
# Uploading: in this process, or over HTTP
# --------------------------------------------------------------------------------------------


class Locale:
    """The Django test client in this process: this process is the web worker."""

    def __init__(self, scena: Scena) -> None:
        self.client = Client()
        self.client.force_login(get_user_model().objects.get(username=UTENTE))
        self.url = reverse("patrimonio:caricamenti", args=[scena.piano.pk, scena.ente.pk])

    def carica(self, nome: str, contenuto: bytes) -> tuple[int, str]:
        file = _File(contenuto, nome)
        risposta = self.client.post(self.url, {"file": file})
        return risposta.status_code, risposta.content.decode(errors="replace")

    def vivo(self) -> bool:
        return True  # this line runs: the process that served the upload is alive


class _File:
    """A named in-memory file for the test client's multipart encoder."""

    def __init__(self, contenuto: bytes, nome: str) -> None:
        self._contenuto, self.name = contenuto, nome

    def read(self) -> bytes:
        return self._contenuto


class Remoto:
    """A running server over HTTP, logged in as the script's operator."""

    def __init__(self, base: str, scena: Scena) -> None:
        self.base = base.rstrip("/")
        self.apri = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.percorso = reverse("patrimonio:caricamenti", args=[scena.piano.pk, scena.ente.pk])
        login = reverse("login")
        pagina = self._get(login)
        stato, _ = self._post(login, {"username": UTENTE, "password": PASSWORD}, pagina)
        if stato >= 400:
            raise SystemExit(f"Accesso non riuscito su {self.base} (HTTP {stato}).")

    def _get(self, percorso: str) -> str:
        with self.apri.open(self.base + percorso, timeout=60) as risposta:
            return str(risposta.read().decode(errors="replace"))

    def _post(
        self, percorso: str, campi: dict[str, str], pagina: str, file: tuple[str, bytes] | None = None
    ) -> tuple[int, str]:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', pagina)
        campi = {**campi, "csrfmiddlewaretoken": token.group(1) if token else ""}
        confine = uuid.uuid4().hex
        corpo = b"".join(
            f'--{confine}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in campi.items()
        )
        if file:
            corpo += (
                (
                    f'--{confine}\r\nContent-Disposition: form-data; name="file"; filename="{file[0]}"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n"
                ).encode()
                + file[1]
                + b"\r\n"
            )
        corpo += f"--{confine}--\r\n".encode()
        richiesta = urllib.request.Request(
            self.base + percorso,
            data=corpo,
            headers={
                "Content-Type": f"multipart/form-data; boundary={confine}",
                "Referer": self.base + percorso,
            },
        )
        try:
            with self.apri.open(richiesta, timeout=ATTESA_MASSIMA) as risposta:
                return int(risposta.status), str(risposta.read().decode(errors="replace"))
        except urllib.error.HTTPError as errore:
            return int(errore.code), str(errore.read().decode(errors="replace"))
        except OSError as errore:  # reset or closed: the worker serving the request died
            return 0, str(errore)

    def carica(self, nome: str, contenuto: bytes) -> tuple[int, str]:
        return self._post(self.percorso, {}, self._get(self.percorso), (nome, contenuto))

    def vivo(self) -> bool:
        try:
            self._get(self.percorso)
            return True
        except OSError:
            return False


# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------


@dataclass
class Esito:
    tipo: str
    stato: str
    messaggio: str
    righe_scritte: int
    vivo: bool
    figlio: str
    secondi: float

    @property
    def riuscito(self) -> bool:
        return self.righe_scritte == 0 and self.vivo and self.stato not in ("in_lettura", "in_scrittura")


def _conteggio(scena: Scena) -> int:
    """Rows of the ente's data and history: what an upload could have written."""
    return (
        UnitaAbitativa.objects.filter(ente=scena.ente).count()
        + StatoUnita.objects.filter(piano=scena.piano).count()
        + Modifica.objects.filter(piano=scena.piano).count()
    )


def _attendi(caricamento: Caricamento) -> Caricamento:
    """An upload sent to the Celery worker: wait for its outcome."""
    fine = time.monotonic() + ATTESA_MASSIMA
    while caricamento.stato in IN_CORSO and time.monotonic() < fine:
        time.sleep(0.2)
        caricamento.refresh_from_db()
    return caricamento


def prova(ostile: Ostile, scena: Scena, servitore: Locale | Remoto, figli: _Figli) -> Esito:
    contenuto = ostile.costruisci()
    prima, ultimo = (
        _conteggio(scena),
        Caricamento.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    )
    figli.codici.clear()
    inizio = time.perf_counter()
    stato_http, pagina = servitore.carica(ostile.nome_file, contenuto)
    caricamento = Caricamento.objects.filter(piano=scena.piano, pk__gt=ultimo).order_by("-pk").first()
    if caricamento is None:  # refused by the form before being stored: the message is on the page
        trovato = re.search(r'class="[^"]*invalid-feedback[^"]*"[^>]*>\s*(.*?)\s*<', pagina, re.S)
        messaggio = html.unescape(trovato.group(1)) if trovato else f"HTTP {stato_http}"
        stato = f"non salvato (HTTP {stato_http})"
    else:
        caricamento = _attendi(caricamento)
        errori = caricamento.errori or []
        avvisi = caricamento.anteprima.get("avvisi", []) if caricamento.anteprima else []
        messaggio = errori[0]["messaggio"] if errori else " ".join([*avvisi, caricamento.esito])
        stato = caricamento.stato
        Caricamento.objects.filter(pk=caricamento.pk, stato=StatoCaricamento.ANTEPRIMA).update(
            stato=StatoCaricamento.ANNULLATO  # the odd-but-valid files are not confirmed
        )
    secondi = time.perf_counter() - inizio
    figlio = {"-6": "SIGABRT", "-9": "SIGKILL", "-24": "SIGXCPU", "-25": "SIGXFSZ", "5": "MemoryError"}
    codice = figli.codici[-1] if figli.codici else ""
    return Esito(
        ostile.tipo,
        stato,
        messaggio,
        _conteggio(scena) - prima,
        # Alive: the upload got an answer (a worker dying mid-request gives a reset or a 502, even if
        # the server then starts another) and the server still answers.
        0 < stato_http < 500 and servitore.vivo(),
        figlio.get(codice, codice),
        secondi,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help=f"prova rapida (CI): {len(SMOKE)} tipi di file")
    parser.add_argument(
        "--url", help="carica su un server in esecuzione (stesso database) invece che in processo"
    )
    opzioni = parser.parse_args()
    figli = _Figli()
    logging.getLogger("patrimonio.importazione.lettura").addHandler(figli)
    logging.getLogger("patrimonio.importazione.lettura").setLevel(logging.WARNING)
    scena = prepara()
    try:
        servitore: Locale | Remoto = Remoto(opzioni.url, scena) if opzioni.url else Locale(scena)
        tipi = catalogo(scena.intestazioni, scena.riga)
        if opzioni.smoke:
            tipi = [t for t in tipi if t.tipo in SMOKE]
        print(
            f"Catalogo dei file ostili: {len(tipi)} tipi, {'server ' + opzioni.url if opzioni.url else 'in processo'}"
        )
        print(
            f"Processo: {os.getpid()}; broker Celery: {'sì' if os.environ.get('CELERY_BROKER_URL') else 'no'}"
        )
        esiti = []
        for ostile in tipi:
            esito = prova(ostile, scena, servitore, figli)
            esiti.append(esito)
            print(
                f"- {esito.tipo}: stato {esito.stato}; righe scritte {esito.righe_scritte}; "
                f"processo vivo {'sì' if esito.vivo else 'NO'}"
                + (f"; lettore terminato da {esito.figlio}" if esito.figlio else "")
                + f"; {esito.secondi:.2f} s\n    «{esito.messaggio}»"
            )
        falliti = [e for e in esiti if not e.riuscito]
        print(
            f"Riepilogo: {len(esiti)} file, {sum(e.righe_scritte for e in esiti)} righe scritte, "
            f"{sum(not e.vivo for e in esiti)} processi morti, {sum(e.stato in IN_CORSO for e in esiti)} "
            f"caricamenti rimasti in corso; lettori terminati dal loro limite: {sum(bool(e.figlio) for e in esiti)}."
        )
        print(
            "Obiettivo (0 righe, nessun processo morto, nessun caricamento bloccato):",
            "OK" if not falliti else "NO",
        )
        return 1 if falliti else 0
    finally:
        pulisci()


if __name__ == "__main__":
    sys.exit(main())
