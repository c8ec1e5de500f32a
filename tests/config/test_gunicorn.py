"""gunicorn.conf.py: workers and threads from the machine, overridden by the environment."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def leggi(monkeypatch: pytest.MonkeyPatch, **ambiente: str) -> dict[str, Any]:
    for nome in (
        "WEB_CONCURRENCY",
        "GUNICORN_THREADS",
        "GUNICORN_BIND",
        "GUNICORN_TIMEOUT",
        "GUNICORN_MAX_REQUESTS",
    ):
        monkeypatch.delenv(nome, raising=False)
    for nome, valore in ambiente.items():
        monkeypatch.setenv(nome, valore)
    return runpy.run_path(str(CONF))


def test_defaults_follow_the_cpus(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2})
    conf = leggi(monkeypatch)
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (7, 1, "sync")
    assert (conf["bind"], conf["timeout"], conf["max_requests"], conf["max_requests_jitter"]) == (
        "0.0.0.0:8000",
        120,
        10000,
        5000,
    )
    assert conf["accesslog"] == "-"


def test_one_cpu_gets_three_workers(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert leggi(monkeypatch)["workers"] == 3


def test_environment_overrides(monkeypatch):
    conf = leggi(monkeypatch, WEB_CONCURRENCY="3", GUNICORN_THREADS="2", GUNICORN_BIND="127.0.0.1:9000")
    assert (conf["workers"], conf["threads"], conf["worker_class"], conf["bind"]) == (
        3,
        2,
        "gthread",
        "127.0.0.1:9000",
    )


def test_empty_variable_means_default(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert leggi(monkeypatch, WEB_CONCURRENCY="")["workers"] == 5


@pytest.mark.parametrize(
    ("valore", "messaggio"),
    [
        ("tanti", "WEB_CONCURRENCY='tanti': serve un numero intero."),
        ("0", "WEB_CONCURRENCY=0: deve essere almeno 1."),
    ],
)
def test_a_bad_value_stops_the_start_with_its_name(monkeypatch, valore, messaggio):
    with pytest.raises(SystemExit) as uscita:
        leggi(monkeypatch, WEB_CONCURRENCY=valore)
    assert str(uscita.value) == messaggio


def test_the_application_is_preloaded_with_its_views_and_its_import_connects_to_nothing():
    """preload_app imports the application in the master before forking, with the URLconf and the
    views (the workers do not import them on their first request): an import that opened a database
    or Redis connection would share one socket among the workers. With both unreachable the import
    still succeeds."""
    assert runpy.run_path(str(CONF))["preload_app"] is True
    ambiente = {
        **os.environ,
        "DATABASE_URL": "postgres://nessuno@127.0.0.1:1/nessuno",
        "CACHE_URL": "redis://127.0.0.1:1/0",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    }
    esito = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, config.wsgi; print(all(m in sys.modules for m in "
            "('piano_annuale.views.piano', 'rest_framework.views', 'weasyprint')), 'importata')",
        ],
        cwd=CONF.parent,
        env=ambiente,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert esito.returncode == 0, esito.stderr[-2000:]
    assert esito.stdout.strip().endswith("True importata")
