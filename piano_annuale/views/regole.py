"""The rules a plan follows, set by the ufficio di piano on the plan's workflow page: the rule set
chosen with a reason, and the triennale the plan belongs to.

Who: only the ufficio di piano of the plan's ambito (``dell_ufficio_di_piano``); anyone else gets a
404 and nothing changes. When: until the plan is approved (the services refuse later changes).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from patrimonio.accesso import utente_di
from piano_annuale.forms_regole import ScelteRegoleForm, TriennioForm
from piano_annuale.models import PianoAnnuale
from piano_annuale.services.errori import ModificaNonConsentita, OperazioneNonValida
from piano_annuale.services.regole import registra_triennio, scegli_regole
from piano_annuale.views.iter import pagina_iter


def _piano_dell_ufficio(request: HttpRequest, pk: int) -> PianoAnnuale:
    return get_object_or_404(
        PianoAnnuale.objects.dell_ufficio_di_piano(request.user).select_related("ambito"), pk=pk
    )


def _ritorno(piano: PianoAnnuale) -> HttpResponse:
    return redirect(reverse("piano_annuale:iter_piano", args=[piano.pk]) + "#regole")


@login_required
@require_POST
def scegli_regole_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply another rule set to the plan, with the reason; the plan is recomputed under it."""
    piano = _piano_dell_ufficio(request, pk)
    form = ScelteRegoleForm(request.POST, piano=piano)
    if form.is_valid():
        try:
            piano = scegli_regole(
                piano=piano,
                regole=form.cleaned_data["regole"],
                motivo=form.cleaned_data["motivo"],
                utente=utente_di(request),
            )
        except ModificaNonConsentita as errore:
            messages.error(request, str(errore))
            return _ritorno(piano)
        except OperazioneNonValida as errore:
            form.add_error(None, str(errore))
        else:
            messages.success(request, f"Il piano {piano.anno} applica ora le regole «{piano.regole}».")
            return _ritorno(piano)
    return pagina_iter(request, piano, form_regole=form, status=400)


@login_required
@require_POST
def triennio_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the triennale the plan belongs to (first and last year), or none."""
    piano = _piano_dell_ufficio(request, pk)
    form = TriennioForm(request.POST, piano=piano)
    if form.is_valid():
        try:
            piano = registra_triennio(
                piano=piano,
                inizio=form.cleaned_data["triennio_inizio"],
                fine=form.cleaned_data["triennio_fine"],
                utente=utente_di(request),
            )
        except ModificaNonConsentita as errore:
            messages.error(request, str(errore))
            return _ritorno(piano)
        except OperazioneNonValida as errore:
            form.add_error(None, str(errore))
        else:
            if piano.triennio_inizio is None:
                messages.success(request, "Il piano non indica più il piano triennale di riferimento.")
            else:
                messages.success(
                    request, f"Piano triennale di riferimento: {piano.triennio_inizio}–{piano.triennio_fine}."
                )
            return _ritorno(piano)
    return pagina_iter(request, piano, form_triennio=form, status=400)
