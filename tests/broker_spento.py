"""A fixture for the jobs' tests: Celery publishes to a broker on a closed port, not eagerly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from config.celery import app as celery_app

BROKER_SPENTO = "redis://127.0.0.1:1/0"


def _senza_connessioni() -> None:
    """Connections and producers are pooled per broker: drop them, the next publication opens anew."""
    celery_app.__dict__["_pool"] = None
    celery_app.amqp.__dict__["_producer_pool"] = None


@pytest.fixture
def broker_spento(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every publication is refused (connection refused on port 1), as with the broker down."""
    # Celery reads the broker from the environment before its configuration (CI exports one).
    monkeypatch.setenv("CELERY_BROKER_URL", BROKER_SPENTO)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = BROKER_SPENTO
    prima = {"task_always_eager": celery_app.conf.task_always_eager, "broker_url": celery_app.conf.broker_url}
    celery_app.conf.update(task_always_eager=False, broker_url=BROKER_SPENTO)
    _senza_connessioni()
    yield
    celery_app.conf.update(prima)
    _senza_connessioni()
