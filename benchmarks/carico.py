"""Benchmark (not a test): N logged-in clients against gunicorn + PostgreSQL on the synthetic Lombardy.

    .venv/bin/python benchmarks/carico.py                    # 20 clients, 60 s of reads, 60 s mixed
    .venv/bin/python benchmarks/carico.py --durata 300       # issue 16's figure: 5 minutes a phase
    .venv/bin/python benchmarks/carico.py --smoke            # CI: 2 clients, a few seconds, small DB

The regional database (``--database``, default ``poa_regione``; ``poa_regione_0_02`` for ``--smoke``;
on DATABASE_URL's PostgreSQL server, as regione.py) is made by ``benchmarks/regione.py --solo-genera``
when missing. Then it collects the
static files, starts gunicorn with ``gunicorn.conf.py`` (DEBUG=0, production settings over plain HTTP,
127.0.0.1 on a free port) and, unless ``--senza-redis``, a Celery worker (1 process) with Redis as
broker and cache, so a PDF request is queued as in production (a Redis database of its own, the first
free one from 15 down to 8, reserved with a key so that two runs at once never share a queue).

Each client logs in (as the ufficio di piano of its own ambito, and as that ambito's capofila comune
for writes; ``--milano`` of them, default 2, on the Milano-sized ambito), reads each of its pages once
unmeasured (the warm-up: the plans computed and the pages rendered once, as after any change), then:

1. **reads** for ``--durata`` seconds: the plan page, piano.json, the dashboard (ricognizione), ALER's
   and the capofila's workspaces, in turn;
2. **mixed** for ``--durata`` seconds: the same reads with the issue's «writes mixed in (an upload, a
   few form saves)»: each client, in every minute of the phase, saves a unit's form three times (GET
   the form, POST it with a new address) and uploads a small xlsx once (the comune's own unit list,
   exported once at the start; the POST that reads and previews it); two clients also ask for their
   plan's PDF once a minute (POST, queued; Celery renders it while the phase runs). The writes come at
   even intervals, shifted per client so that those of the 20 clients do not fall together. The
   Milano clients do not upload nor ask for PDFs (their file is not small). The PDFs of the plans in
   use are removed at the start, so that every run renders the same ones.
   ``--scritture-intense`` is the heavier mix of the earlier runs: in every 20 requests of each client
   two unit saves, an upload and a PDF request (a write in every five requests; 20 clients then save
   a unit about twice a second), for comparison.

It prints, for each phase, p50/p95/p99, requests/s and errors (and per kind of request), and the
targets with PASS/FAIL: reads p95 ≤ 200 ms, ≥ 100 requests/s, 0 errors; mixed p95 ≤ 300 ms, 0 errors.
Exit status: 0 when every target is met; with ``--smoke`` the latency targets are not judged, but an
error still fails the run. Only loopback addresses are used; every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import requests
from carico_aiuti import (
    BASE_DIR,
    Esito,
    Fase,
    Servizi,
    campi_modulo,
    porta_libera,
    tempi_cpu,
    tempi_server,
    verdetti,
)
from urllib3.util.retry import Retry

VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
RICHIESTE_MAX_PER_CLIENTE = 100_000  # a bound on every client's loop, whatever the duration
TIMEOUT_RICHIESTA = 120.0
PASSWORD = "carico2027!"  # benchmarks/regione.py's users
# The mixed phase's writes per client and minute: the issue's «an upload, a few form saves».
SALVATAGGI_AL_MINUTO = 3
CARICAMENTI_AL_MINUTO = 1
# PDF requests per minute in all (one each for as many clients): each renders in Celery once, about
# 5-6 s of CPU for an ordinary ambito; one per client and minute would be 100 s of CPU a minute on a
# machine that has 120.
PDF_AL_MINUTO = 2
NICE_CELERY = 6


def argomenti() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clienti", type=int, default=20, help="client concorrenti (predefinito 20)")
    parser.add_argument("--milano", type=int, default=2, help="di cui sull'ambito di Milano (predefinito 2)")
    parser.add_argument("--durata", type=float, default=60.0, help="secondi per fase (predefinito 60)")
    parser.add_argument("--scala", type=float, default=1.0, help="scala della regione (regione.py)")
    parser.add_argument("--workers", type=int, default=None, help="WEB_CONCURRENCY per gunicorn")
    parser.add_argument("--threads", type=int, default=None, help="GUNICORN_THREADS per gunicorn")
    parser.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379",
        help="server Redis (solo loopback); il database è il primo libero 15…8",
    )
    parser.add_argument(
        "--senza-redis", action="store_true", help="niente Celery né Redis: PDF nella richiesta"
    )
    parser.add_argument(
        "--scritture-intense",
        action="store_true",
        help="fase mista con una scrittura ogni cinque richieste (il mix delle misure precedenti)",
    )
    parser.add_argument("--smoke", action="store_true", help="prova rapida (CI): 2 client, 4 s per fase")
    parser.add_argument("--database", default=None, help="database della regione (come regione.py)")
    opzioni = parser.parse_args()
    if opzioni.smoke:
        opzioni.clienti, opzioni.milano, opzioni.durata, opzioni.scala = 2, 1, 4.0, 0.02
    if opzioni.database is None:  # regione.py's default for the scale
        opzioni.database = (
            "poa_regione" if opzioni.scala == 1.0 else f"poa_regione_{opzioni.scala:g}".replace(".", "_")
        )
    if not 1 <= opzioni.clienti <= 200 or not 0 <= opzioni.milano <= opzioni.clienti:
        parser.error("--clienti va da 1 a 200, --milano da 0 a --clienti.")
    if not 1 <= opzioni.durata <= 3600:
        parser.error("--durata va da 1 a 3600 secondi.")
    if not opzioni.senza_redis and not opzioni.redis.startswith(("redis://127.0.0.1", "redis://localhost")):
        parser.error("--redis deve essere su 127.0.0.1 (il benchmark usa solo indirizzi locali).")
    return opzioni


def url_regione(nome: str) -> str:
    """The database ``nome`` on DATABASE_URL's PostgreSQL server (as regione.py does)."""
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        server = "postgres://postgres@127.0.0.1:5432/postgres"
    return urllib.parse.urlsplit(server)._replace(path=f"/{nome}").geturl()


OPZIONI = argomenti()
os.environ["DATABASE_URL"] = url_regione(OPZIONI.database)
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


# --------------------------------------------------------------------------------------------
# The scene: which ambiti, plans, enti and units the clients use (read once from the database)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scena:
    sigla: str  # users' suffix: «milano» or «NN»
    piano: int
    aler: int
    capofila: int
    unita: tuple[int, ...]  # units of the capofila's ente with a state in the plan
    milano: bool


def scene(quante: int, milano: int) -> list[Scena]:
    """One ambito per client: ``milano`` on the Milano-sized one, the others on distinct ambiti."""
    import django  # noqa: PLC0415  # Django only for this lookup; the clients speak HTTP

    django.setup()
    from patrimonio.models import EnteProprietario, TipoEnte  # noqa: PLC0415
    from piano_annuale.models import DocumentoPiano, PianoAnnuale, StatoUnita  # noqa: PLC0415

    def scena(piano: Any) -> Scena:
        aler = EnteProprietario.objects.get(ambito=piano.ambito, tipo=TipoEnte.ALER)
        capofila = EnteProprietario.objects.get(ambito=piano.ambito, comune=piano.ambito.comune_capofila)
        unita = StatoUnita.objects.filter(piano=piano, unita__ente=capofila).order_by("unita_id")
        nome = piano.ambito.nome
        sigla = "milano" if nome.endswith("Milano") else nome.rsplit(" ", 1)[-1]
        return Scena(
            sigla,
            piano.pk,
            aler.pk,
            capofila.pk,
            tuple(unita.values_list("unita_id", flat=True)[:20]),
            sigla == "milano",
        )

    piani = list(PianoAnnuale.objects.select_related("ambito").order_by("ambito__nome"))
    if not piani:
        raise SystemExit("Il database non contiene la regione: eseguire benchmarks/regione.py --solo-genera.")
    di_milano = [p for p in piani if p.ambito.nome.endswith("Milano")]
    altri = [p for p in piani if not p.ambito.nome.endswith("Milano")]
    scelti = di_milano[:1] * milano + [altri[i % len(altri)] for i in range(quante - milano)]
    gia: dict[int, Scena] = {}
    lista = [gia.setdefault(p.pk, scena(p)) for p in scelti]
    # The benchmark's own database: the draft PDFs of earlier runs would be reused (or, left queued
    # by a run stopped early, rendered again): each run starts without them and renders the same.
    for documento in DocumentoPiano.objects.filter(piano_id__in=gia, versione__isnull=True):
        documento.file.delete(save=False)
        documento.delete()
    return lista


# --------------------------------------------------------------------------------------------
# Server processes
# --------------------------------------------------------------------------------------------


REDIS_URL = ""  # the Redis database this run reserved (riserva_redis)
CHIAVE_REDIS = "poa-carico:in-uso"


def riserva_redis() -> Callable[[], None]:
    """Reserve a Redis database (15 down to 8) for this run with a key set only if absent, so that two
    runs at once never share a Celery queue (a worker would take the other run's tasks, against its own
    database); return what releases it."""
    global REDIS_URL
    if OPZIONI.senza_redis:
        return lambda: None
    for numero in range(15, 7, -1):
        url = f"{OPZIONI.redis.rstrip('/')}/{numero}"
        client = redis.Redis.from_url(url)
        if client.set(CHIAVE_REDIS, os.getpid(), nx=True, ex=int(2 * OPZIONI.durata) + 900):
            REDIS_URL = url
            # A run killed before its end leaves tasks queued (PDFs): the next run's worker would
            # render them during the reads. Start from an empty queue and cache.
            client.flushdb()
            client.set(CHIAVE_REDIS, os.getpid(), ex=int(2 * OPZIONI.durata) + 900)

            def libera(client: redis.Redis = client) -> None:
                if client.get(CHIAVE_REDIS) == str(os.getpid()).encode():
                    client.flushdb()

            return libera
    raise SystemExit("Nessun database Redis libero (15…8): altre esecuzioni di carico.py in corso?")


def ambiente(porta: int) -> dict[str, str]:
    """Production settings (DEBUG=0) over plain HTTP on loopback."""
    amb = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-carico-solo-in-locale",
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": f"http://{HOST}:{porta}",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "POA_EMAIL_CONSOLE_CONSENTITA": "1",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"{HOST}:{porta}",
    }
    if OPZIONI.workers:
        amb["WEB_CONCURRENCY"] = str(OPZIONI.workers)
    if OPZIONI.threads:
        amb["GUNICORN_THREADS"] = str(OPZIONI.threads)
    amb.pop("CELERY_BROKER_URL", None)
    if not OPZIONI.senza_redis:
        amb["CELERY_BROKER_URL"] = REDIS_URL
        amb["CACHE_URL"] = REDIS_URL
        amb["CACHE_KEY_PREFIX"] = f"carico-{porta}"
    return amb


def avvia_servizi(porta: int) -> Servizi:
    amb = ambiente(porta)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=amb,
        check=True,
    )
    servizi = Servizi()
    servizi.log.write_bytes(b"")
    servizi.avvia([str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "config.wsgi:application"], amb)
    if not OPZIONI.senza_redis:
        # Background work yields the CPU to the pages, as docker-compose's cpu_shares (256 against
        # 1024) does. Linux's autogroups share the CPU between sessions first, and nice counts only
        # inside one: the worker, in a session of its own, gets its group's nice too (6: a weight of
        # 277 against 1024). Without this it took half the machine while rendering a PDF.
        servizi.avvia(
            [*("nice", "-n", str(NICE_CELERY)), str(VENV_BIN / "celery"), "-A", "config", "worker"]
            + ["--loglevel=WARNING", "--concurrency=1"],
            amb,
        )
        with contextlib.suppress(OSError):  # no autogroups (kernel option, sysctl): nice is enough
            Path(f"/proc/{servizi.processi[-1].pid}/autogroup").write_text(str(NICE_CELERY))
    try:
        attendi_gunicorn(servizi, f"http://{HOST}:{porta}")
    except BaseException:
        servizi.ferma()
        raise
    return servizi


def attendi_gunicorn(servizi: Servizi, base: str) -> None:
    """Bounded wait (120 s) for the login page to answer 200."""
    limite = time.monotonic() + 120
    while time.monotonic() < limite:
        if servizi.processi[0].poll() is not None:
            raise SystemExit(f"gunicorn non è partito: vedi {servizi.log}")
        try:
            stato = requests.get(f"{base}/accounts/login/", timeout=30).status_code
        except requests.RequestException:
            stato = 0
        if stato == 200:
            return
        if stato >= 500:
            raise SystemExit(f"La pagina di accesso risponde HTTP {stato}: vedi {servizi.log}")
        time.sleep(0.5)
    raise SystemExit(f"gunicorn non risponde dopo 120 s: vedi {servizi.log}")


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------


class Cliente:
    """One user at a browser: a session as ufficio di piano and one as the capofila comune."""

    def __init__(self, base: str, scena: Scena, numero: int) -> None:
        self.base, self.scena, self.numero = base, scena, numero
        self.ufficio = self._accedi(f"ufficio.{scena.sigla}")
        self.comune = self._accedi(f"comune.{scena.sigla}")
        self.esiti: list[Esito] = []
        self.file_xlsx: bytes = b""
        self.conteggio = 0
        self.chiede_pdf = False  # one of the PDF_AL_MINUTO clients that ask for their plan's PDF
        p = scena.piano
        self.letture: list[tuple[str, requests.Session, str]] = [
            ("pagina del piano", self.ufficio, f"/piani/{p}/"),
            ("piano.json", self.ufficio, f"/piani/{p}/piano.json"),
            ("cruscotto", self.ufficio, f"/piani/{p}/ricognizione/"),
            ("area ALER", self.ufficio, f"/piani/{p}/enti/{scena.aler}/"),
            ("area comune", self.comune, f"/piani/{p}/enti/{scena.capofila}/"),
        ]

    def _accedi(self, username: str) -> requests.Session:
        sessione = requests.Session()
        # A GET on a kept-alive connection the server has just closed is sent again once, as browsers do;
        # a POST never is.
        ripeti = Retry(total=1, connect=1, read=1, status=0, allowed_methods={"GET"}, raise_on_status=False)
        sessione.mount("http://", requests.adapters.HTTPAdapter(max_retries=ripeti))
        pagina = sessione.get(f"{self.base}/accounts/login/", timeout=TIMEOUT_RICHIESTA)
        dati = dict(campi_modulo(pagina.text, "username")) | {"username": username, "password": PASSWORD}
        risposta = sessione.post(
            f"{self.base}/accounts/login/", data=dati, allow_redirects=False, timeout=TIMEOUT_RICHIESTA
        )
        if risposta.status_code != 302 or "sessionid" not in sessione.cookies:
            raise SystemExit(f"Accesso non riuscito per {username}: HTTP {risposta.status_code}.")
        return sessione

    def _misura(
        self, tipo: str, funzione: Callable[[], requests.Response], atteso: int
    ) -> requests.Response | None:
        inizio = time.perf_counter()
        try:
            risposta = funzione()
        except requests.RequestException as eccezione:
            self.esiti.append(Esito(tipo, time.perf_counter() - inizio, type(eccezione).__name__))
            return None
        errore = "" if risposta.status_code == atteso else f"HTTP {risposta.status_code}"
        self.esiti.append(Esito(tipo, time.perf_counter() - inizio, errore))
        return risposta if not errore else None

    def riscalda(self) -> None:
        """Each of the client's pages once, unmeasured: the first reader of a revision computes the
        plan and renders the page's content, as happens once per change."""
        for tipo, sessione, percorso in self.letture:
            risposta = sessione.get(self.base + percorso, timeout=TIMEOUT_RICHIESTA)
            if risposta.status_code != 200:
                raise SystemExit(f"Riscaldamento: {tipo} ha risposto HTTP {risposta.status_code}.")

    def leggi(self) -> None:
        tipo, sessione, percorso = self.letture[self.conteggio % len(self.letture)]
        self._misura(tipo, lambda: sessione.get(self.base + percorso, timeout=TIMEOUT_RICHIESTA), 200)

    def salva_unita(self) -> None:
        s = self.scena
        if not s.unita:
            return self.leggi()
        # Clients on the same ambito edit different units: a stale form is (rightly) refused with 409.
        unita = s.unita[(self.numero * 7 + self.conteggio) % len(s.unita)]
        url = f"{self.base}/piani/{s.piano}/enti/{s.capofila}/unita/{unita}/"
        pagina = self._misura("modulo unità", lambda: self.comune.get(url, timeout=TIMEOUT_RICHIESTA), 200)
        if pagina is None:
            return None
        campi = [(k, v) for k, v in campi_modulo(pagina.text, "indirizzo") if k != "indirizzo"]
        campi.append(("indirizzo", f"Via del Carico {self.numero}-{self.conteggio}"))
        self._misura(
            "salvataggio unità",
            lambda: self.comune.post(
                url, data=campi, headers={"Referer": url}, allow_redirects=False, timeout=TIMEOUT_RICHIESTA
            ),
            302,
        )
        return None

    def prepara_file(self) -> None:
        """The capofila's own unit list as the app exports it: a valid file, re-uploaded unchanged."""
        s = self.scena
        risposta = self.comune.get(
            f"{self.base}/piani/{s.piano}/enti/{s.capofila}/unita.xlsx", timeout=TIMEOUT_RICHIESTA
        )
        if risposta.status_code != 200:
            raise SystemExit(f"Esportazione delle unità non riuscita: HTTP {risposta.status_code}.")
        self.file_xlsx = risposta.content

    def carica_file(self) -> None:
        s = self.scena
        url = f"{self.base}/piani/{s.piano}/enti/{s.capofila}/caricamenti/"
        token = self.comune.cookies.get("csrftoken", "")
        self._misura(
            "caricamento xlsx",
            lambda: self.comune.post(
                url,
                data={"csrfmiddlewaretoken": token},
                files={"file": ("unita.xlsx", self.file_xlsx)},
                headers={"Referer": url},
                allow_redirects=False,
                timeout=TIMEOUT_RICHIESTA,
            ),
            302,
        )

    def chiedi_pdf(self) -> None:
        url = f"{self.base}/piani/{self.scena.piano}/pdf/"
        token = self.ufficio.cookies.get("csrftoken", "")
        self._misura(
            "richiesta PDF",
            lambda: self.ufficio.post(
                url,
                data={"csrfmiddlewaretoken": token},
                headers={"Referer": url},
                allow_redirects=False,
                timeout=TIMEOUT_RICHIESTA,
            ),
            302,
        )

    def scritture_in_programma(self, inizio: float, durata: float) -> list[tuple[float, Callable[[], None]]]:
        """The mixed phase's writes of this client, (monotonic time, action) in time order: per minute
        of the phase three unit saves, one upload (not on Milano) and, for the clients that ask for it,
        a PDF request; evenly spaced and shifted by the client's number so that the clients' writes
        interleave."""
        sfasamento = (self.numero * 0.618) % 1.0  # the golden ratio spreads any number of clients
        azioni: list[tuple[int, Callable[[], None]]] = [(SALVATAGGI_AL_MINUTO, self.salva_unita)]
        if not self.scena.milano:
            azioni.append((CARICAMENTI_AL_MINUTO, self.carica_file))
        if self.chiede_pdf:
            azioni.append((1, self.chiedi_pdf))
        programma = []
        for al_minuto, azione in azioni:
            quante = max(1, round(al_minuto * durata / 60))
            programma += [(inizio + durata * (i + sfasamento) / quante, azione) for i in range(quante)]
        return sorted(programma, key=lambda voce: voce[0])

    def esegui(self, fine: float, *, scritture: bool) -> None:
        """Requests back to back until ``fine`` (monotonic), at most RICHIESTE_MAX_PER_CLIENTE: reads,
        and with ``scritture`` the writes in the programme when their time comes."""
        programma = self.scritture_in_programma(fine - OPZIONI.durata, OPZIONI.durata) if scritture else []
        for _ in range(RICHIESTE_MAX_PER_CLIENTE):
            if time.monotonic() >= fine:
                break
            self.conteggio += 1
            if OPZIONI.scritture_intense and scritture:
                self._passo_intenso()
            elif programma and programma[0][0] <= time.monotonic():
                programma.pop(0)[1]()
            else:
                self.leggi()

    def _passo_intenso(self) -> None:
        """The heavier mix: in every 20 requests two unit saves, an upload and a PDF request."""
        passo = self.conteggio % 20
        if passo in (3, 13):
            self.salva_unita()
        elif passo == 7 and not self.scena.milano:
            self.carica_file()
        elif passo == 17 and not self.scena.milano:
            self.chiedi_pdf()
        else:
            self.leggi()


# --------------------------------------------------------------------------------------------
# Phases and figures
# --------------------------------------------------------------------------------------------


def fase(nome: str, clienti: list[Cliente], servizi: Servizi, durata: float, *, scritture: bool) -> Fase:
    for c in clienti:
        c.esiti = []
    log = servizi.log
    gruppi = dict(zip(("gunicorn", "Celery"), (p.pid for p in servizi.processi), strict=False))
    cpu_prima = tempi_cpu(gruppi)
    inizio_log = log.stat().st_size
    inizio = time.monotonic()
    fine = inizio + durata
    fili = [threading.Thread(target=c.esegui, args=(fine,), kwargs={"scritture": scritture}) for c in clienti]
    for f in fili:
        f.start()
    for f in fili:
        f.join(timeout=durata + 2 * TIMEOUT_RICHIESTA)  # bounded: a request times out before this
    secondi = time.monotonic() - inizio
    cpu = {k: v - cpu_prima[k] for k, v in tempi_cpu(gruppi).items()}
    time.sleep(0.5)  # the last access lines reach the log
    server = tempi_server(log, inizio_log, log.stat().st_size)
    return Fase(nome, secondi, [e for c in clienti for e in c.esiti], server, cpu)


def main() -> int:
    print(f"Database: {OPZIONI.database} (scala {OPZIONI.scala:g})", flush=True)
    subprocess.run(
        [
            sys.executable,
            str(BASE_DIR / "benchmarks" / "regione.py"),
            *("--scala", str(OPZIONI.scala), "--database", OPZIONI.database, "--solo-genera"),
        ],
        check=True,
        env=os.environ,
    )
    lista = scene(OPZIONI.clienti, OPZIONI.milano)
    porta = porta_libera()
    libera_redis = riserva_redis()
    try:
        servizi = avvia_servizi(porta)
    except BaseException:
        libera_redis()
        raise
    try:
        configurazione = subprocess.run(
            [
                str(VENV_BIN / "gunicorn"),
                "-c",
                "gunicorn.conf.py",
                "--print-config",
                "config.wsgi:application",
            ],
            cwd=BASE_DIR,
            env=ambiente(porta),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        valori = {
            chiave.strip(): valore.strip()
            for chiave, valore in (r.split(" = ", 1) for r in configurazione.splitlines() if " = " in r)
        }
        print(
            f"gunicorn su {HOST}:{porta}: {valori['workers']} worker × {valori['threads']} thread "
            f"({valori['worker_class']}), DEBUG=0; "
            + (
                f"Celery + Redis ({REDIS_URL})"
                if not OPZIONI.senza_redis
                else "senza broker (PDF nella richiesta)"
            )
        )
        base = f"http://{HOST}:{porta}"
        clienti = [Cliente(base, s, i) for i, s in enumerate(lista)]
        for c in [c for c in clienti if not c.scena.milano][:PDF_AL_MINUTO]:
            c.chiede_pdf = True
        for c in clienti:
            if not c.scena.milano:
                c.prepara_file()
        print(
            f"{len(clienti)} client connessi ({OPZIONI.milano} sull'ambito di Milano); "
            f"{OPZIONI.durata:g} s per fase.",
            flush=True,
        )
        inizio = time.monotonic()
        fili = [threading.Thread(target=c.riscalda) for c in clienti]
        for f in fili:
            f.start()
        for f in fili:
            f.join(timeout=2 * TIMEOUT_RICHIESTA)
        print(
            f"Riscaldamento (non misurato): ogni client legge una volta le sue pagine, "
            f"{sum(len(c.letture) for c in clienti)} richieste in {time.monotonic() - inizio:.1f} s.",
            flush=True,
        )
        letture = fase("Letture", clienti, servizi, OPZIONI.durata, scritture=False)
        letture.stampa()
        mix = (
            "una scrittura ogni 5 richieste"
            if OPZIONI.scritture_intense
            else f"per client e minuto {SALVATAGGI_AL_MINUTO} salvataggi e {CARICAMENTI_AL_MINUTO} "
            f"caricamento; {PDF_AL_MINUTO} PDF al minuto in tutto"
        )
        miste = fase(f"Miste ({mix})", clienti, servizi, OPZIONI.durata, scritture=True)
        miste.stampa()
    finally:
        servizi.ferma()
        libera_redis()
    prestazioni, senza_errori = verdetti(letture, miste)
    if not senza_errori:
        print(f"Errori: vedi il log del server in {servizi.log}")
        return 1
    if OPZIONI.smoke:
        print("Prova rapida: gli obiettivi di tempo valgono a 20 client sulla regione intera.")
        return 0
    return 0 if prestazioni else 1


if __name__ == "__main__":
    sys.exit(main())
