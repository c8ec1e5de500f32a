"""Login throttling (django-axes): the lockout page, the client's address, and who may unlock whom.

django-axes counts failed logins by username and by IP address (``AXES_LOCKOUT_PARAMETERS``); after
``AXES_FAILURE_LIMIT`` failures the login, on the service's page and on the Django admin alike,
answers with ``risposta_blocco`` for ``AXES_COOLOFF_TIME``. The ufficio di piano unlocks the users of
its ambito (the access policy decides which: ``q_ambiti_dell_ufficio``), the platform administrator
anyone and any address. Each unlock is one transaction and is recorded in the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import ngettext

from patrimonio.accesso import q_ambiti_dell_ufficio
from patrimonio.models import Operatore
from piano_annuale.models import AzioneModifica
from piano_annuale.storico import VoceModifica, istantanea, registra_modifiche

ORIGINE_SBLOCCO = "sblocco dell'accesso"
# What the history keeps of a removed attempt (never the submitted form data).
CAMPI_STORICO = ["username", "ip_address", "failures_since_start", "attempt_time", "path_info"]


class SbloccoNonConsentito(Exception):
    """The user may not unlock this username or address."""


def durata_blocco() -> str:
    """«30 minuti», «1 minuto»: how long a lockout lasts, as the pages say it."""
    minuti = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return ngettext("%(n)d minuto", "%(n)d minuti", minuti) % {"n": minuti}


def messaggio_blocco() -> str:
    """The Italian message of the lockout page."""
    return (
        f"Troppi tentativi non riusciti: l'accesso con questo nome utente o da questo indirizzo è "
        f"bloccato per {durata_blocco()}. Riprovi più tardi oppure chieda all'ufficio di piano di "
        f"sbloccarlo."
    )


def risposta_blocco(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the lockout page (429), for the service's login and the admin's."""
    contesto = {"messaggio": messaggio_blocco(), "durata": durata_blocco()}
    return render(request, "registration/accesso_bloccato.html", contesto, status=429)


def indirizzo_client(request: HttpRequest) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the client's address.

    Behind ``POA_PROXY_FIDATI`` reverse proxies (each appending the address it saw to
    X-Forwarded-For) it is the entry that the outermost trusted proxy wrote; the entries before it
    come from the client and could be forged, so they are never read.
    """
    fidati = settings.POA_PROXY_FIDATI
    if fidati > 0:
        voci = [v.strip() for v in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if v.strip()]
        if len(voci) >= fidati:
            return voci[-fidati]
    return request.META.get("REMOTE_ADDR")


def _scadenza() -> datetime:
    """Attempts older than this no longer count (the cool-off has passed)."""
    return timezone.now() - settings.AXES_COOLOFF_TIME


def username_sbloccabili(user: User | AnonymousUser) -> QuerySet[Operatore, str] | None:
    """Usernames ``user`` may unlock: None means any (the platform administrator)."""
    if user.is_authenticated and user.is_superuser:
        return None
    return Operatore.objects.filter(q_ambiti_dell_ufficio(user)).values_list("user__username", flat=True)


def puo_sbloccare(user: User | AnonymousUser) -> bool:
    """Whether ``user`` sees the page of blocked logins: the ufficio di piano and the platform admin."""
    sbloccabili = username_sbloccabili(user)
    return sbloccabili is None or sbloccabili.exists()


@dataclass(frozen=True)
class Blocco:
    """Failed logins of one username or one address within the cool-off."""

    chiave: str
    tentativi: int
    ultimo: datetime
    bloccato: bool
    sblocca_fino: datetime

    @property
    def ultimo_testo(self) -> str:
        """«1° dicembre 2026, 14:05»: the last attempt, in local time, as Italians write it."""
        testo = formats.date_format(timezone.localtime(self.ultimo), "j F Y, H:i")
        return f"1°{testo[1:]}" if testo.startswith("1 ") else testo

    @property
    def fino_testo(self) -> str:
        """«14:35»: when the lockout ends, in local time."""
        return formats.time_format(timezone.localtime(self.sblocca_fino), "H:i")


def _blocchi(tentativi: QuerySet[AccessAttempt], campo: str) -> list[Blocco]:
    limite = settings.AXES_FAILURE_LIMIT
    righe = (
        tentativi.exclude(**{f"{campo}__isnull": True})
        .values(campo)
        .annotate(totale=Sum("failures_since_start"), ultimo=Max("attempt_time"))
        .order_by("-ultimo")
    )
    return [
        Blocco(
            chiave=str(r[campo]),
            tentativi=r["totale"],
            ultimo=r["ultimo"],
            bloccato=r["totale"] >= limite,
            sblocca_fino=r["ultimo"] + settings.AXES_COOLOFF_TIME,
        )
        for r in righe
    ]


def blocchi_visibili(user: User | AnonymousUser) -> tuple[list[Blocco], list[Blocco]]:
    """(by username, by address) the recent failures ``user`` may see; addresses only for the admin."""
    tentativi = AccessAttempt.objects.filter(attempt_time__gte=_scadenza())
    sbloccabili = username_sbloccabili(user)
    if sbloccabili is not None:
        return _blocchi(tentativi.filter(username__in=sbloccabili), "username"), []
    return _blocchi(tentativi, "username"), _blocchi(tentativi, "ip_address")


def sblocca(user: User, *, username: str = "", indirizzo: str = "", motivo: str = "") -> int:
    """Remove the failed attempts of ``username`` (or, for the admin, of ``indirizzo``) and record it.

    Returns how many failed attempts were forgiven (each row counts one username, address and
    browser: its ``failures_since_start``); raises ``SbloccoNonConsentito`` when the policy
    does not let ``user`` unlock them.
    """
    sbloccabili = username_sbloccabili(user)
    if username:
        if sbloccabili is not None and not sbloccabili.filter(user__username=username).exists():
            raise SbloccoNonConsentito(f"Non può sbloccare l'utente «{username}»: non è del suo ambito.")
        filtro = {"username": username}
    elif indirizzo:
        if sbloccabili is not None:
            raise SbloccoNonConsentito("Solo l'amministratore della piattaforma sblocca un indirizzo.")
        filtro = {"ip_address": indirizzo}
    else:
        raise SbloccoNonConsentito("Indicare l'utente o l'indirizzo da sbloccare.")
    with transaction.atomic():
        righe = list(AccessAttempt.objects.select_for_update().filter(**filtro).order_by("pk"))
        voci = [
            VoceModifica(
                modello=AccessAttempt,
                oggetto_id=riga.pk,
                azione=AzioneModifica.ELIMINAZIONE,
                prima=istantanea(riga, CAMPI_STORICO),
                descrizione=f"Tentativi di accesso non riusciti di «{riga.username}» da {riga.ip_address}",
            )
            for riga in righe
        ]
        AccessAttempt.objects.filter(pk__in=[r.pk for r in righe]).delete()
        registra_modifiche(utente=user, origine=ORIGINE_SBLOCCO, modifiche=voci, motivo=motivo)
    return sum(riga.failures_since_start for riga in righe)
