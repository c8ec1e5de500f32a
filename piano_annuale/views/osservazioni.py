"""ALER's observations and parere, and the ufficio di piano's answers: written on the iter page or
on the plan page next to the section they concern (several at once), answered in the same place.

Who: ALER's operator of the plan's ambito observes (``puo_esprimere_il_parere`` on a plan it reads),
the ufficio di piano answers (``dell_ufficio_di_piano``); anyone else gets a 404. When is the
workflow's table, enforced by the services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from patrimonio.accesso import utente_di
from piano_annuale.forms_iter import OsservazioneForm, OsservazioniForm, ParereForm, RispostaForm
from piano_annuale.models import OsservazioneAler, PianoAnnuale
from piano_annuale.services.iter import (
    aggiungi_osservazione,
    aggiungi_osservazioni,
    elimina_osservazione,
    esprimi_parere,
    rispondi_osservazione,
)
from piano_annuale.views.iter import (
    _esegui_mossa,
    _indirizzo_piano,
    _piano_dell_ufficio,
    _piano_per_aler,
    _redirect_iter,
)

# The anchor of the observations on the plan page (``iter/_osservazioni_pagina.html``).
ANCORA_PAGINA = "osservazioni-aler"


def _ritorno(request: HttpRequest, piano: PianoAnnuale, ancora: str) -> HttpResponse:
    """Back where the form was: the plan page (``ritorno=pagina``) or the iter page."""
    nome = (
        "piano_annuale:piano_detail"
        if request.POST.get("ritorno") == "pagina"
        else "piano_annuale:iter_piano"
    )
    return redirect(reverse(nome, args=[piano.pk]) + f"#{ancora}")


@login_required
@require_POST
def osservazione_nuova(request: HttpRequest, pk: int) -> HttpResponse:
    piano = _piano_per_aler(request, pk)
    form = OsservazioneForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Osservazione non registrata: indicare la sezione e il testo.")
        return _redirect_iter(piano)
    _esegui_mossa(
        request,
        lambda: aggiungi_osservazione(
            piano=piano,
            utente=utente_di(request),
            sezione=form.cleaned_data["sezione"],
            testo=form.cleaned_data["testo"],
        ),
        "Osservazione registrata.",
    )
    return redirect(reverse("piano_annuale:iter_piano", args=[piano.pk]) + "#osservazioni")


@login_required
@require_POST
def osservazioni_pagina(request: HttpRequest, pk: int) -> HttpResponse:
    """The observations written on the plan page, one per section, all registered together."""
    piano = _piano_per_aler(request, pk)
    form = OsservazioniForm(request.POST)
    if not form.is_valid():
        for campo, errori in form.errors.items():
            messages.error(request, f"{form.fields[campo].label}: {' '.join(str(e) for e in errori)}")
        return redirect(reverse("piano_annuale:piano_detail", args=[piano.pk]) + f"#{ANCORA_PAGINA}")
    testi = form.testi()
    numero = len(testi)
    _esegui_mossa(
        request,
        lambda: aggiungi_osservazioni(piano=piano, utente=utente_di(request), testi=testi),
        ngettext("%(n)d osservazione registrata.", "%(n)d osservazioni registrate.", numero) % {"n": numero},
    )
    return redirect(reverse("piano_annuale:piano_detail", args=[piano.pk]) + f"#{ANCORA_PAGINA}")


@login_required
@require_POST
def osservazione_elimina(request: HttpRequest, pk: int, osservazione: int) -> HttpResponse:
    piano = _piano_per_aler(request, pk)
    oggetto = get_object_or_404(
        OsservazioneAler.objects.select_related("piano"), pk=osservazione, piano=piano
    )
    _esegui_mossa(
        request,
        lambda: elimina_osservazione(osservazione=oggetto, utente=utente_di(request)),
        "Osservazione ritirata.",
    )
    return _ritorno(
        request, piano, ANCORA_PAGINA if request.POST.get("ritorno") == "pagina" else "osservazioni"
    )


@login_required
@require_POST
def osservazione_risposta(request: HttpRequest, pk: int, osservazione: int) -> HttpResponse:
    piano = _piano_dell_ufficio(request, pk)
    oggetto = get_object_or_404(
        OsservazioneAler.objects.select_related("piano"), pk=osservazione, piano=piano
    )
    form = RispostaForm(request.POST, prefix=f"o{oggetto.pk}")
    if not form.is_valid():
        messages.error(request, "Risposta non registrata: scrivere il testo della risposta.")
    else:
        _esegui_mossa(
            request,
            lambda: rispondi_osservazione(
                osservazione=oggetto, utente=utente_di(request), risposta=form.cleaned_data["risposta"]
            ),
            "Risposta registrata: comparirà nelle note di chiusura della prossima versione del piano.",
        )
    return _ritorno(request, piano, f"osservazione-{oggetto.pk}")


@login_required
@require_POST
def parere_view(request: HttpRequest, pk: int) -> HttpResponse:
    piano = _piano_per_aler(request, pk)
    form = ParereForm(request.POST)
    if not form.is_valid():
        for campo, errori in form.errors.items():
            etichetta = form.fields[campo].label if campo in form.fields else "Parere"
            messages.error(request, f"{etichetta}: {' '.join(str(e) for e in errori)}")
        return redirect(reverse("piano_annuale:iter_piano", args=[piano.pk]) + "#parere")
    dati = form.cleaned_data
    _esegui_mossa(
        request,
        lambda: esprimi_parere(
            piano=piano,
            utente=utente_di(request),
            esito=dati["esito"],
            testo=dati["testo"],
            data=dati["data"],
            protocollo=dati["protocollo"],
            indirizzo_piano=_indirizzo_piano(request, piano),
        ),
        "Parere registrato e comunicato all'ufficio di piano.",
    )
    return _redirect_iter(piano)
