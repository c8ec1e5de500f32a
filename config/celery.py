"""Celery application. Without CELERY_BROKER_URL tasks run eagerly in-process (demo, tests).

Reliability settings (late acknowledgement, requeue on a lost worker, prefetch 1, time limits,
visibility timeout) are the CELERY_* block of ``config.settings``. celery beat runs the stale-job
sweep (``piano_annuale.pulisci_lavori``): start it as its own process (``celery -A config beat``, the
``beat`` service of docker-compose) or inside one worker (``celery -A config worker -B``).
"""

import os

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("poa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {
    "pulisci-lavori": {
        "task": "piano_annuale.pulisci_lavori",
        "schedule": float(getattr(settings, "POA_LAVORI", {}).get("SECONDI_PULIZIA", 60)),
        # A sweep that could not run in time is superseded by the next one.
        "options": {"expires": 50.0},
    }
}
