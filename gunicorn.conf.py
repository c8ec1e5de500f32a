"""gunicorn's configuration for POA: workers and threads from the machine, overridable by env.

    gunicorn -c gunicorn.conf.py config.wsgi:application

- ``WEB_CONCURRENCY``: worker processes (default: 2 per CPU + 1, at least 3). The pages are Python
  (GIL-bound) with a few short queries each, so processes, not threads, are what use the cores; two
  per core keep a core busy while the other worker of the pair waits on PostgreSQL, and the extra one
  takes requests while another computes a plan after a write.
- ``GUNICORN_THREADS``: threads per worker (default 1, the ``sync`` worker; with more than one the
  ``gthread`` worker). Measured with ``benchmarks/carico.py`` (20 clients, 2 CPUs): 4 sync workers
  104 requests/s, 4 workers × 2 threads 66: two threads of one process take turns on its GIL, and the
  switching costs more than the overlap of their queries gains. PDFs and large uploads run in Celery,
  so no request holds a worker for long.
- ``GUNICORN_BIND`` (default ``0.0.0.0:8000``, the container's port), ``GUNICORN_TIMEOUT`` (default
  120 s: a large ambito's PDF can still render inside the request when no broker is configured),
  ``GUNICORN_MAX_REQUESTS`` (default 10000, each worker after a random 10000–15000: workers are
  recycled, bounding what a long-lived process accumulates, e.g. WeasyPrint's caches). A worker that
  exits takes a second or two to go (its interpreter frees its memory) while the others carry its
  share: at 1000 with 10 % jitter the five workers of a busy 2-CPU machine left together about once a
  minute and the load benchmark's reads waited up to 7 s; with recycling off, 0.36 s at most.

Command-line options (``--bind``, ``--workers``) override these, as usual with gunicorn.
"""

from __future__ import annotations

import multiprocessing
import os


def _intero(nome: str, predefinito: int, minimo: int = 1) -> int:
    """An integer environment variable; unset or empty means the default. A bad value stops the
    start-up with a message naming the variable (better than a silent fallback in production)."""
    valore = os.environ.get(nome, "").strip()
    if not valore:
        return predefinito
    try:
        numero = int(valore)
    except ValueError:
        raise SystemExit(f"{nome}={valore!r}: serve un numero intero.") from None
    if numero < minimo:
        raise SystemExit(f"{nome}={numero}: deve essere almeno {minimo}.")
    return numero


def _cpu() -> int:
    """The CPUs this process may run on (the container's share when it is pinned), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, multiprocessing.cpu_count())


bind = os.environ.get("GUNICORN_BIND", "").strip() or "0.0.0.0:8000"
workers = _intero("WEB_CONCURRENCY", 2 * _cpu() + 1)
threads = _intero("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _intero("GUNICORN_TIMEOUT", 120)
graceful_timeout = 30
keepalive = 5
max_requests = _intero("GUNICORN_MAX_REQUESTS", 10000, minimo=0)
# Wide, so that workers started together do not all leave together.
max_requests_jitter = max_requests // 2
# The application is imported once, in the master, before the workers fork: a worker recycled by
# max_requests starts in milliseconds instead of importing Django, DRF and WeasyPrint again (about a
# second of CPU each time, taken from the requests being served). Nothing connects at import time:
# database and Redis connections are opened by each worker on its first request.
preload_app = True
# The heartbeat file on tmpfs: a worker blocked on a slow disk is not taken for a dead one.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
