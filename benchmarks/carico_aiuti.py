"""Helpers of ``carico.py``: the server processes it starts, the POST forms of a page as a browser
would send them, percentiles, the server's own time per request read from gunicorn's access log, and a
phase's outcomes and figures."""

from __future__ import annotations

import html.parser
import math
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# The targets on this machine.
OBIETTIVO_LETTURE_P95 = 0.200
OBIETTIVO_LETTURE_RPS = 100.0
OBIETTIVO_MISTE_P95 = 0.300


@dataclass
class Servizi:
    """The processes a run starts (gunicorn, Celery), each in its own process group, with one log."""

    processi: list[subprocess.Popen[bytes]] = field(default_factory=list)
    log: Path = Path(tempfile.gettempdir()) / f"poa-carico-{os.getpid()}.log"

    def avvia(self, comando: list[str], amb: dict[str, str]) -> None:
        with open(self.log, "ab") as uscita:
            self.processi.append(
                subprocess.Popen(
                    comando,
                    cwd=BASE_DIR,
                    env=amb,
                    stdout=uscita,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def ferma(self) -> None:
        """Stop the processes this script started (their own process groups), politely then not."""
        for p in self.processi:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.processi:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)


class _Moduli(html.parser.HTMLParser):
    """The fields of every POST form of a page, as a browser would send them (checked boxes, selected
    options, textareas; no buttons nor files)."""

    def __init__(self) -> None:
        super().__init__()
        self.moduli: list[list[tuple[str, str]]] = []
        self._campi: list[tuple[str, str]] | None = None
        self._select: str | None = None
        self._select_valore: str | None = None
        self._textarea = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._campi = []
            self.moduli.append(self._campi)
            return
        if self._campi is None:
            return
        if tag == "option" and self._select is not None and ("selected" in a or self._select_valore is None):
            self._select_valore = a.get("value", "")  # the first option, unless one is selected
        if "name" not in a:
            return
        if tag == "input":
            tipo = a.get("type", "text").lower()
            if tipo in ("submit", "button", "file", "image", "reset"):
                return
            if tipo in ("checkbox", "radio") and "checked" not in a:
                return
            self._campi.append((a["name"], a.get("value", "on" if tipo == "checkbox" else "")))
        elif tag == "select":
            self._select, self._select_valore = a["name"], None
        elif tag == "textarea":
            self._textarea = True
            self._campi.append((a["name"], ""))

    def handle_data(self, data: str) -> None:
        if self._textarea and self._campi:
            nome, valore = self._campi[-1]
            self._campi[-1] = (nome, valore + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self._campi is not None:
            self._campi.append((self._select, self._select_valore or ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = False
        elif tag == "form":
            self._campi = None


def campi_modulo(pagina: str, con_campo: str) -> list[tuple[str, str]]:
    """The fields of the page's POST form that has a field named ``con_campo`` (not, e.g., the
    header's logout form)."""
    parser = _Moduli()
    parser.feed(pagina)
    for campi in parser.moduli:
        if any(nome == con_campo for nome, _ in campi):
            return campi
    raise SystemExit(f"Nessun modulo con il campo «{con_campo}» nella pagina.")


def percentile(valori: list[float], p: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``p`` % of the values at or below it."""
    ordinati = sorted(valori)
    return ordinati[max(0, math.ceil(p / 100 * len(ordinati)) - 1)]


RIGA_ACCESSO = re.compile(r'"(?:GET|POST) \S+ HTTP/[\d.]+" \d{3} \S+ (\d+)ms')


def tempi_server(log: Path, da: int, a: int) -> list[float]:
    """The server's own time of each request (gunicorn's access log, ``%(M)s``) logged between two
    offsets of the log: what the clients wait beyond it is queueing."""
    with open(log, "rb") as f:
        f.seek(da)
        testo = f.read(a - da).decode("utf-8", "replace")
    return [int(m.group(1)) / 1000 for m in RIGA_ACCESSO.finditer(testo)]


def tempi_cpu(gruppi: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far (user + system, from ``/proc``) by the processes of each process group in
    ``gruppi`` (name → group id), by every PostgreSQL process («PostgreSQL») and by this script's
    clients («client»: this process). Only ``client`` where there is no ``/proc``. A phase's figures
    are the difference of two readings: on one machine, what the server costs and what the load
    generator itself takes from it."""
    if not os.path.isdir("/proc"):
        return {"client": time.process_time()}
    tick = os.sysconf("SC_CLK_TCK")
    tempi = dict.fromkeys([*gruppi, "PostgreSQL"], 0.0)
    nome_di = {gruppo: nome for nome, gruppo in gruppi.items()}
    for voce in os.listdir("/proc"):
        if not voce.isdigit():
            continue
        try:
            stat = Path(f"/proc/{voce}/stat").read_text()
        except OSError:  # ended meanwhile
            continue
        comando, campi = stat[stat.find("(") + 1 : stat.rfind(")")], stat[stat.rfind(")") + 2 :].split()
        # After the command: state, ppid, pgrp, …; utime, stime, cutime, cstime from the 12th. The
        # children's times count the processes that ended and were reaped: PostgreSQL's backends
        # (closed after CONN_MAX_AGE) and gunicorn's recycled workers.
        secondi = sum(int(t) for t in campi[11:15]) / tick
        if int(campi[2]) in nome_di:
            tempi[nome_di[int(campi[2])]] += secondi
        elif comando == "postgres":
            tempi["PostgreSQL"] += secondi
    tempi["client"] = time.process_time()
    return tempi


def porta_libera(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` now, for the server the benchmark starts."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class Esito:
    tipo: str
    secondi: float
    errore: str  # empty when the answer was the expected one


@dataclass
class Fase:
    nome: str
    secondi: float
    esiti: list[Esito]
    server: list[float] = field(default_factory=list)  # the server's time per request (access log)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds in the phase (tempi_cpu)

    @property
    def errori(self) -> list[Esito]:
        return [e for e in self.esiti if e.errore]

    def p(self, quale: float) -> float:
        return percentile([e.secondi for e in self.esiti], quale) if self.esiti else float("nan")

    @property
    def al_secondo(self) -> float:
        return len(self.esiti) / self.secondi

    def stampa(self) -> None:
        print(
            f"{self.nome}: {len(self.esiti)} richieste in {self.secondi:.1f} s, {self.al_secondo:.1f} richieste/s, "
            f"p50 {self.p(50) * 1000:.0f} ms, p95 {self.p(95) * 1000:.0f} ms, p99 {self.p(99) * 1000:.0f} ms, "
            f"{len(self.errori)} errori"
        )
        if self.server:
            print(
                f"  nel server (log di accesso): p50 {percentile(self.server, 50) * 1000:.0f} ms, "
                f"p95 {percentile(self.server, 95) * 1000:.0f} ms; il resto è attesa in coda"
            )
        if self.cpu:
            core = ", ".join(f"{nome} {secondi / self.secondi:.2f}" for nome, secondi in self.cpu.items())
            print(f"  CPU usata (core, su {os.cpu_count()}): {core}", end="")
            if "gunicorn" in self.cpu and self.esiti:
                print(
                    f"; gunicorn {self.cpu['gunicorn'] / len(self.esiti) * 1000:.1f} ms per richiesta", end=""
                )
            print()
        per_tipo: dict[str, list[Esito]] = defaultdict(list)
        for e in self.esiti:
            per_tipo[e.tipo].append(e)
        for tipo, esiti in per_tipo.items():
            tempi = [e.secondi for e in esiti]
            errori = sorted({e.errore for e in esiti if e.errore})
            print(
                f"  {tipo:<20} {len(esiti):>6}  p50 {percentile(tempi, 50) * 1000:7.0f} ms  "
                f"p95 {percentile(tempi, 95) * 1000:7.0f} ms  max {max(tempi) * 1000:7.0f} ms  "
                f"errori {len(esiti) - len([e for e in esiti if not e.errore])}"
                + (f" ({', '.join(errori)})" if errori else "")
            )


def verdetti(letture: Fase, miste: Fase) -> tuple[bool, bool]:
    """Print the targets with PASS/FAIL; (latency and throughput targets met, no error)."""
    righe = [
        ("letture: p95 (ms)", letture.p(95) * 1000, OBIETTIVO_LETTURE_P95 * 1000, True),
        ("letture: richieste/s", letture.al_secondo, OBIETTIVO_LETTURE_RPS, False),
        ("miste: p95 (ms)", miste.p(95) * 1000, OBIETTIVO_MISTE_P95 * 1000, True),
    ]
    prestazioni = True
    print("Obiettivi:")
    for descrizione, valore, soglia, al_massimo in righe:
        riuscito = valore <= soglia if al_massimo else valore >= soglia
        prestazioni &= riuscito
        print(
            f"  {'PASS' if riuscito else 'FAIL'} {descrizione}: {valore:.1f} ({'≤' if al_massimo else '≥'} {soglia:g})"
        )
    errori = len(letture.errori) + len(miste.errori)
    print(f"  {'PASS' if not errori else 'FAIL'} errori: {errori} (= 0)")
    return prestazioni, not errori
