"""The ente's counts and choices: turnover, SAT, consistenza, the choices the plan's rules provide (h, i, i.b or d bis, c bis), assignments (k)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.db.models import Model
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from ambito.models import Comune
from patrimonio.forms import ConsistenzaForm, ConteggiFormSet, conteggi_iniziali
from patrimonio.views.base import Area, carica_area, esegui, render_area
from piano_annuale.controlli import messaggio_vincolo
from piano_annuale.forms import AssegnazioniForm, ScelteForm, aggiorna_versione
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    ScelteEnte,
    TurnoverPrevisto,
)
from piano_annuale.services.ente import (
    salva_assegnazioni,
    salva_consistenza,
    salva_sat,
    salva_scelte,
    salva_turnover,
)
from piano_annuale.services.errori import OperazioneNonValida
from piano_annuale.services.versioni import CAMPO_VERSIONE, ModificaConcorrente, perimetro_dell_ente

# Counts per comune, consistenza, choices, assignments
# --------------------------------------------------------------------------------------------


def _conteggi(
    request: HttpRequest,
    piano: int,
    ente: int,
    *,
    modello: type[TurnoverPrevisto] | type[DestinazioneSAT],
    salva: Callable[..., None],
    template: str,
    conferma: str,
) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    comuni = list(Comune.objects.dell_ambito(area.piano.ambito_id).order_by("nome").values_list("pk", "nome"))
    righe = (
        modello.objects.filter(piano=area.piano, ente=area.ente)
        .select_related("comune")
        .order_by("comune__nome")
    )
    iniziali = conteggi_iniziali(righe)
    if not iniziali and area.ente.is_comune:
        iniziali = [{"comune": area.ente.comune_id}]
    # A posted formset is read as posted: it replaces all the ente's rows, so the stored rows must
    # not act as "initial" values (an unchanged extra row would be taken for an empty one).
    if request.method == "POST":
        formset = ConteggiFormSet(request.POST, comuni=comuni, prefix="righe")
        versione = request.POST.get(CAMPO_VERSIONE, "")[:80]
    else:
        formset = ConteggiFormSet(initial=iniziali, comuni=comuni, prefix="righe")
        # The version of the table as this page shows it: a stale save is refused.
        versione = perimetro_dell_ente(modello, area.piano.pk, area.ente.pk).versione()
    stato = 200
    if request.method == "POST" and formset.is_valid():
        numeri = formset.numeri()
        try:
            salva(piano=area.piano, ente=area.ente, utente=request.user, numeri=numeri, versione=versione)
        except ModificaConcorrente as errore:
            # The user's rows stay in the table; it now carries the current version.
            messages.error(request, str(errore))
            versione, stato = errore.versione, 409
        except (IntegrityError, OperazioneNonValida) as errore:
            testo = messaggio_vincolo(errore) if isinstance(errore, IntegrityError) else str(errore)
            messages.error(request, testo)
        else:
            messages.success(request, conferma)
            return redirect(request.path)
    risposta = render_area(request, template, area, formset=formset, versione=versione)
    risposta.status_code = stato
    return risposta


@login_required
def turnover(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    return _conteggi(
        request,
        piano,
        ente,
        modello=TurnoverPrevisto,
        salva=salva_turnover,
        template="turnover.html",
        conferma="Alloggi previsti per turn-over salvati.",
    )


@login_required
def sat(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    return _conteggi(
        request,
        piano,
        ente,
        modello=DestinazioneSAT,
        salva=salva_sat,
        template="sat.html",
        conferma="Unità destinate ai servizi abitativi transitori salvate.",
    )


def _versione(request: HttpRequest, area: Area, modello: type[Model]) -> dict[str, str]:
    """The initial version of a one-row form on a GET: the row as the page shows it."""
    if request.method == "POST":
        return {}
    return {CAMPO_VERSIONE: perimetro_dell_ente(modello, area.piano.pk, area.ente.pk).versione()}


def _modulo_unico(
    request: HttpRequest,
    area: Area,
    form: BaseForm,
    salva: Callable[..., Any],
    valori: Callable[[], Mapping[str, Any]],
    template: str,
    conferma: str,
) -> HttpResponse:
    """A one-form page: validate, save through the service (refused if the row changed since the
    form was loaded), or show the errors with the user's input."""
    conflitto = False

    def scrivi() -> None:
        nonlocal conflitto
        try:
            salva(
                piano=area.piano,
                ente=area.ente,
                utente=request.user,
                valori=valori(),
                versione=form.cleaned_data[CAMPO_VERSIONE],
            )
        except ModificaConcorrente as errore:
            conflitto = True
            aggiorna_versione(form, errore.versione)
            raise

    if request.method == "POST" and form.is_valid() and esegui(form, scrivi):
        messages.success(request, conferma)
        return redirect(request.path)
    risposta = render_area(request, template, area, form=form)
    if conflitto:
        risposta.status_code = 409  # Conflict: the row changed after the form was loaded
    return risposta


@login_required
def consistenza(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    istanza = ConsistenzaDichiarata.objects.filter(piano=area.piano, ente=area.ente, comune=None).first()
    iniziali = {} if istanza else {"fonte": f"ricognizione {area.piano.anno}"}
    form = ConsistenzaForm(
        request.POST if request.method == "POST" else None,
        instance=istanza or ConsistenzaDichiarata(piano=area.piano, ente=area.ente),
        initial=iniziali | _versione(request, area, ConsistenzaDichiarata),
    )
    return _modulo_unico(
        request,
        area,
        form,
        salva_consistenza,
        lambda: {campo: form.cleaned_data[campo] for campo in ("sap", "sas", "fonte")},
        "consistenza.html",
        "Consistenza del patrimonio salvata.",
    )


@login_required
def scelte(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    istanza = ScelteEnte.objects.filter(piano=area.piano, ente=area.ente).first()
    form = ScelteForm(
        request.POST if request.method == "POST" else None,
        instance=istanza or ScelteEnte(piano=area.piano, ente=area.ente),
        ente=area.ente,
        regole=area.piano.regole_applicate().valori,
        con_versione=True,
        initial=_versione(request, area, ScelteEnte),
    )
    return _modulo_unico(
        request, area, form, salva_scelte, lambda: form.valori(), "scelte.html", "Scelte dell'ente salvate."
    )


@login_required
def assegnazioni(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    istanza = AssegnazioniAnnoPrecedente.objects.filter(piano=area.piano, ente=area.ente).first()
    form = AssegnazioniForm(
        request.POST if request.method == "POST" else None,
        instance=istanza or AssegnazioniAnnoPrecedente(piano=area.piano, ente=area.ente),
        initial=_versione(request, area, AssegnazioniAnnoPrecedente),
    )
    return _modulo_unico(
        request,
        area,
        form,
        salva_assegnazioni,
        lambda: form.valori(),
        "assegnazioni.html",
        f"Assegnazioni del {area.piano.anno_precedente} salvate.",
    )


# --------------------------------------------------------------------------------------------
