"""Blocked logins: the ufficio di piano unlocks the users of its ambito, the platform admin anyone.

The page lists the usernames (and, for the admin, the addresses) with failed logins within the
cool-off, the locked ones first; «Sblocca» removes their failed attempts (``patrimonio.blocchi``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext

from patrimonio.accesso import utente_di
from patrimonio.blocchi import SbloccoNonConsentito, blocchi_visibili, durata_blocco, puo_sbloccare, sblocca

__all__ = ["accessi_bloccati"]


@login_required
def accessi_bloccati(request: HttpRequest) -> HttpResponse:
    """GET: the recent failed logins the user may unlock; POST: unlock one username or address."""
    utente = utente_di(request)
    if not puo_sbloccare(utente):
        raise PermissionDenied("Solo l'ufficio di piano e l'amministratore sbloccano gli accessi.")
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        indirizzo = request.POST.get("indirizzo", "").strip()
        try:
            tolti = sblocca(utente, username=username, indirizzo=indirizzo)
        except SbloccoNonConsentito as errore:
            messages.error(request, str(errore))
            return redirect("accessi_bloccati")
        chi = f"l'utente «{username}»" if username else f"l'indirizzo {indirizzo}"
        if tolti:
            messages.success(
                request,
                ngettext(
                    "Accesso sbloccato per %(chi)s: tolto %(n)d tentativo non riuscito.",
                    "Accesso sbloccato per %(chi)s: tolti %(n)d tentativi non riusciti.",
                    tolti,
                )
                % {"chi": chi, "n": tolti},
            )
        else:
            messages.info(request, f"Nessun tentativo non riuscito da sbloccare per {chi}.")
        return redirect("accessi_bloccati")
    per_utente, per_indirizzo = blocchi_visibili(utente)
    return render(
        request,
        "patrimonio/accessi_bloccati.html",
        {
            "per_utente": per_utente,
            "per_indirizzo": per_indirizzo,
            "amministratore": utente.is_superuser,
            "durata": durata_blocco(),
            "limite": settings.AXES_FAILURE_LIMIT,
        },
    )
