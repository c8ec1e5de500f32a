"""The computed plan once per change: ``piano_calcolato(piano)`` is what every page, export, API
response and PDF reads.

- An approved plan is what was approved: it is rebuilt from its approved frozen version's JSON
  (``piano_da_json``), never from the live data, which the next year's plan keeps changing.
- Any other plan is computed by ``calcola_piano`` and kept in Django's cache under a key that changes
  with every write that can change it: the plan's ``revisione`` (bumped in the same transaction as
  each write, ``piano_annuale.revisione``), its rule set and the computation's version
  (``VERSIONE_CALCOLO``). A stale entry is never read again, it just expires.
- A miss computes once even when many requests arrive together: the first takes a lock key with
  ``cache.add`` and computes, the others poll the cache until the result appears (or the lock is gone).
- Inside a transaction of the application (a write in progress) nothing is read from or written to
  the cache: what that transaction sees may still be rolled back, and its revision number reused.
- The cache being unreachable (Redis down) is logged and the plan computed directly.

``json_del_piano`` gives the API's JSON text, cached beside the computation under the same key;
``impronta_del_piano`` a digest of that text, the key of what is rendered from the computation alone
(the plan page's sections): a write that changes no computed figure renders nothing again.

The entry holds the ``PianoCalcolato`` as JSON text (``as_json``, read back with ``piano_da_json``)
or pickled (``FORMATO``): ``benchmarks/cache_calcolo.py`` measures both.

In front of the shared cache each process keeps the computations and texts it read last in memory
(``MemoriaLocale``, bounded by ``POA_CACHE_LOCALE_MB``): every key here names a revision, so an entry
never changes and needs no invalidation across processes. A hit costs neither a round trip to Redis
nor unpickling (a Milano-sized plan: 21 ms a request).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import pickle
import sys
import threading
import time
from collections.abc import Callable
from typing import TypeVar, cast

from cachetools import LRUCache
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.template import Context, Template
from django.template.backends.utils import csrf_input
from django.utils.safestring import SafeString, mark_safe

from piano_annuale.models import PianoAnnuale, StatoPiano, TipoVersione, VersionePiano

from .piano import VERSIONE_CALCOLO, calcola_piano
from .serializzazione import piano_da_json
from .tipi import PianoCalcolato, json_indentato

T = TypeVar("T")

logger = logging.getLogger(__name__)

# How the entry is stored: "pickle" (Django's cache pickles the object) or "json" (the plan's JSON
# text, rebuilt with ``piano_da_json``). Part of the key, so a change never reads the other format.
FORMATO = "pickle"
# An entry outlives any plausible interval between two writes; a stale one is never asked for again.
DURATA = 7 * 24 * 3600
# The lock is released when the computation ends; its timeout only frees it if the process died.
DURATA_LUCCHETTO = 120
# How long a request waits for another one's computation before computing itself, and how often it looks.
ATTESA_MASSIMA = 30.0
PASSO = 0.02


def chiave(piano_id: int, revisione: int, regole_id: int | None) -> str:
    """The cache key of a plan's computation at a revision, under a rule set."""
    return f"poa:calcolo:{FORMATO}:v{VERSIONE_CALCOLO}:piano{piano_id}:r{revisione}:regole{regole_id or 0}"


def chiave_approvata(versione_id: int) -> str:
    """The cache key of an approved version rebuilt from its JSON."""
    return f"poa:calcolo:{FORMATO}:approvata{versione_id}"


def in_transazione() -> bool:
    """Whether a transaction of the application is open (the test case's own does not count)."""
    return any(not getattr(blocco, "_from_testcase", False) for blocco in connection.atomic_blocks)


def piano_calcolato(piano: PianoAnnuale) -> PianoCalcolato:
    """The plan's computation: an approved plan's frozen version, else the cached computation at the
    plan's current revision (read afresh: ``piano`` may predate a write, unless it was read with
    ``con_chiave`` in this request). One query on a hit, none for a plan read with ``con_chiave``."""
    return piano_calcolato_con_chiave(piano)[0]


def piano_calcolato_con_chiave(piano: PianoAnnuale) -> tuple[PianoCalcolato, str | None]:
    """``piano_calcolato`` and its cache key (``chiave_attuale``), in the same one query."""
    chiave, calcola = _fonte(piano)
    return (calcola() if chiave is None else _in_cache(chiave, calcola)), chiave


def json_del_piano(piano: PianoAnnuale) -> str:
    """The plan's JSON as the API serves it (``json_indentato``: ``EncoderPiano``'s text, indented),
    cached beside the plan: encoding a large plan costs more than reading it back."""
    chiave, calcola = _fonte(piano)
    if chiave is None or in_transazione():
        return json_indentato(calcola())
    try:
        testo = _leggi(f"{chiave}:json")
    except _SenzaCache:
        return json_indentato(calcola())
    if isinstance(testo, str):
        return testo
    testo = json_indentato(_in_cache(chiave, calcola))
    _scrivi(f"{chiave}:json", testo)
    return testo


def impronta_del_piano(piano: PianoAnnuale) -> str | None:
    """A digest of the computed plan's JSON, which holds every field of the computation (None while it
    cannot be cached). A text rendered from the computation alone is keyed by it, not by the revision:
    a write that changes nothing the plan computes (the address of a unit it does not list, a note)
    renders nothing again. Its cost on a new revision: writing the JSON, which piano.json serves."""
    chiave = chiave_attuale(piano)
    if chiave is None or in_transazione():
        return None

    def impronta() -> str:
        return hashlib.blake2b(json_del_piano(piano).encode(), digest_size=16).hexdigest()

    return testo_in_cache(f"{chiave}:impronta", impronta)


def chiave_attuale(piano: PianoAnnuale) -> str | None:
    """The cache key of the plan's computation now (None while it cannot be cached): what a text
    derived from the computation is keyed by. One query, none for a plan read with ``con_chiave``."""
    return _fonte(piano)[0]


def dati_in_cache(chiave: str | None, calcola: Callable[[], T]) -> T:
    """Figures derived from a plan's data (a page's counts), cached under ``chiave``, which must
    name the plan's computation (``chiave_attuale``: it changes with every write) and what else they
    depend on."""
    if chiave is None or in_transazione():
        return calcola()
    try:
        dati = _leggi(chiave)
    except _SenzaCache:
        return calcola()
    if dati is not None:
        return cast(T, dati)
    dati = calcola()
    try:
        cache.set(chiave, dati, timeout=DURATA)
    except Exception:
        logger.warning("Cache non raggiungibile: i dati della pagina non sono conservati.", exc_info=True)
    return dati


def testo_in_cache(chiave: str | None, rendi: Callable[[], str]) -> str:
    """A text derived from plans' computations (a rendered page fragment), cached under ``chiave``,
    which must name every computation it reads (``chiave_attuale``) and whatever else it depends on."""
    if chiave is None or in_transazione():
        return rendi()
    try:
        testo = _leggi(chiave)
    except _SenzaCache:
        return rendi()
    if isinstance(testo, str):
        return testo
    testo = rendi()
    _scrivi(chiave, testo)
    return testo


# A page's body rendered once for many readers carries this in place of its forms' CSRF token
# (``"csrf_token": SEGNAPOSTO_CSRF`` in its context); ``con_csrf`` puts each request's own back.
SEGNAPOSTO_CSRF = "poa-segnaposto-csrf"


@functools.cache
def _campo_segnaposto() -> str:
    """The CSRF field as ``{% csrf_token %}`` renders it with the placeholder."""
    return Template("{% csrf_token %}").render(Context({"csrf_token": SEGNAPOSTO_CSRF}))


def con_csrf(request: HttpRequest, testo: str) -> SafeString:
    """A cached body (escaped template output only) with the request's CSRF field in its forms; the
    CSRF cookie is set as a rendered ``{% csrf_token %}`` sets it. Only a template renders the
    placeholder's whole ``<input>``: data in the body is escaped, so nothing else is replaced."""
    return mark_safe(testo.replace(_campo_segnaposto(), csrf_input(request)))  # noqa: S308


ANNOTAZIONE = "versione_approvata_pk"


def con_chiave(piani: QuerySet[PianoAnnuale]) -> QuerySet[PianoAnnuale]:
    """``piani`` with their approved version's id annotated: a plan read from it at the start of a
    request gives its cache key (``chiave_attuale``, ``piano_calcolato``) without another query."""
    # No ordering: the model's default one would join and sort for a subquery that finds one row.
    approvata = (
        VersionePiano.objects.filter(piano=OuterRef("pk"), tipo=TipoVersione.APPROVATA)
        .order_by()
        .values("pk")
    )
    return piani.annotate(**{ANNOTAZIONE: Subquery(approvata[:1])})


def _fonte(piano: PianoAnnuale) -> tuple[str | None, Callable[[], PianoCalcolato]]:
    """The cache key of the plan's computation now and how to compute it (no key: not cached)."""
    if hasattr(piano, ANNOTAZIONE):
        # Read in this request with con_chiave: its revision is the one this request sees.
        revisione, stato, regole_id = piano.revisione, piano.stato, piano.regole_id
        versione_id = getattr(piano, ANNOTAZIONE)
    else:
        revisione, stato, regole_id, versione_id = (
            con_chiave(PianoAnnuale.objects.filter(pk=piano.pk))
            .values_list("revisione", "stato", "regole_id", ANNOTAZIONE)
            .get()
        )
    if stato == StatoPiano.APPROVATA and versione_id is not None:
        return chiave_approvata(versione_id), lambda: _da_versione(versione_id)
    if stato == StatoPiano.APPROVATA:
        # Approved but not frozen yet (the approval's own transaction, which freezes it next): there is
        # nothing else to read than the live data, and nothing to cache.
        return None, lambda: calcola_piano(piano)
    return chiave(piano.pk, revisione, regole_id), lambda: calcola_piano(piano)


def calcolo_in_cache(piano: PianoAnnuale, revisione: int, regole_id: int | None) -> PianoCalcolato:
    """The open plan's computation at ``revisione``: from the cache, or computed once and stored."""
    return _in_cache(chiave(piano.pk, revisione, regole_id), lambda: calcola_piano(piano))


def _da_versione(versione_id: int) -> PianoCalcolato:
    testo = VersionePiano.objects.values_list("dati_json", flat=True).get(pk=versione_id)
    return piano_da_json(testo)


def _codifica(calcolo: PianoCalcolato) -> object:
    return calcolo.as_json() if FORMATO == "json" else calcolo


def _decodifica(valore: object) -> PianoCalcolato:
    if isinstance(valore, str):
        return piano_da_json(valore)
    assert isinstance(valore, PianoCalcolato)
    return valore


def _leggi(chiave: str) -> object | None:
    locale = memoria_locale.leggi(chiave)
    if locale is not None:
        return locale
    try:
        valore = cache.get(chiave)
    except Exception:  # the cache is an optimisation: its failure must not fail the page
        logger.warning("Cache non raggiungibile: il piano è calcolato senza cache.", exc_info=True)
        raise _SenzaCache from None
    if valore is not None:
        memoria_locale.conserva(chiave, valore)
    return valore


def _scrivi(chiave: str, valore: PianoCalcolato | str) -> None:
    memoria_locale.conserva(chiave, valore)
    try:
        cache.set(chiave, _codifica(valore) if isinstance(valore, PianoCalcolato) else valore, timeout=DURATA)
    except Exception:
        logger.warning("Cache non raggiungibile: il piano calcolato non è conservato.", exc_info=True)


def _libera(lucchetto: str) -> None:
    try:
        cache.delete(lucchetto)
    except Exception:  # it expires by itself (DURATA_LUCCHETTO)
        logger.warning("Cache non raggiungibile: il blocco del calcolo scadrà da sé.", exc_info=True)


class MemoriaLocale:
    """This process's most recently used immutable entries (computations and rendered texts), bounded
    by their estimated size in memory. Thread-safe: gunicorn's gthread workers share it."""

    # A computation unpickled takes about five times its pickle (a Milano-sized plan: 378 KiB, 1.8 MiB).
    FATTORE_OGGETTI = 5

    def __init__(self, byte: int) -> None:
        self.massimo = byte
        # Each entry is (its weight, the value): the weight is measured once, before taking the lock.
        self._voci: LRUCache[str, tuple[int, object]] = LRUCache(
            maxsize=max(byte, 1), getsizeof=lambda v: v[0]
        )
        self._lucchetto = threading.Lock()

    @classmethod
    def peso(cls, valore: object) -> int:
        if isinstance(valore, str):
            return sys.getsizeof(valore)
        return cls.FATTORE_OGGETTI * len(pickle.dumps(valore, protocol=pickle.HIGHEST_PROTOCOL))

    def leggi(self, chiave: str) -> object | None:
        with self._lucchetto:
            voce = self._voci.get(chiave)
        return None if voce is None else voce[1]

    def conserva(self, chiave: str, valore: object) -> None:
        """Keep ``valore`` (a str or a ``PianoCalcolato``: immutable, safe to share between threads);
        one larger than the whole memory is simply not kept."""
        if not isinstance(valore, str | PianoCalcolato):
            return
        peso = self.peso(valore)  # outside the lock: pickling a large plan takes milliseconds
        if peso > self.massimo:
            return
        with self._lucchetto:
            self._voci[chiave] = (peso, valore)

    def svuota(self) -> None:
        with self._lucchetto:
            self._voci.clear()

    @property
    def byte(self) -> int:
        return int(self._voci.currsize)


memoria_locale = MemoriaLocale(settings.POA_CACHE_LOCALE_MB * 1024 * 1024)


def svuota_cache() -> None:
    """Empty the shared cache and this process's memory (tests, benchmarks measuring a miss)."""
    memoria_locale.svuota()
    cache.clear()


class _SenzaCache(Exception):
    """The cache cannot be reached: compute directly."""


def _in_cache(chiave: str, calcola: Callable[[], PianoCalcolato]) -> PianoCalcolato:
    """The value under ``chiave``, computed by ``calcola`` by one request at a time on a miss."""
    if in_transazione():
        return calcola()
    try:
        return _in_cache_condivisa(chiave, calcola)
    except _SenzaCache:
        return calcola()


def _in_cache_condivisa(chiave: str, calcola: Callable[[], PianoCalcolato]) -> PianoCalcolato:
    lucchetto = f"{chiave}:in-calcolo"
    scadenza = time.monotonic() + ATTESA_MASSIMA
    while True:
        valore = _leggi(chiave)
        if valore is not None:
            return _decodifica(valore)
        try:
            preso = cache.add(lucchetto, 1, timeout=DURATA_LUCCHETTO)
        except Exception:
            raise _SenzaCache from None
        if preso:
            try:
                # Another request may have stored it between our read and our lock.
                valore = _leggi(chiave)
                if valore is not None:
                    return _decodifica(valore)
                calcolo = calcola()
                _scrivi(chiave, calcolo)
                return calcolo
            finally:
                _libera(lucchetto)
        if time.monotonic() >= scadenza:
            # Waited long enough for another request: compute without storing, as if uncached.
            return calcola()
        time.sleep(PASSO)
