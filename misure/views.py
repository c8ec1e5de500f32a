"""The ufficio di piano's workspace for Parte seconda (misure) and Parte terza (altre progettualità).

Every page starts from ``PianoAnnuale.objects.dell_ufficio_di_piano(request.user)``: whoever is not
the ufficio di piano of the plan's ambito gets a 404, as if the plan did not exist. Rows are always
looked up within the plan, so a URL cannot reach another plan's rows. Changes are accepted while the
plan is a draft (ricognizione or bozza); afterwards the pages are read-only and a POST is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.forms import BaseModelFormSet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from piano_annuale.calcolo import piano_calcolato
from piano_annuale.controlli import messaggio_vincolo
from piano_annuale.models import PianoAnnuale, StatoPiano
from piano_annuale.storico import Scrittura

from .forms import (
    AvvisoForm,
    InterventiFormSetFactory,
    MisuraPianoForm,
    ProgettualitaFormSetFactory,
    QuoteErogateFormSet,
    QuoteSolidarietaFormSetFactory,
    RipartoSolidarietaForm,
    UtilizziResiduoFormSet,
)
from .models import (
    Avviso,
    Delibera,
    MisuraPiano,
    QuotaErogata,
    QuotaSolidarieta,
    RipartoSolidarieta,
    UtilizzoResiduo,
)

# The draft goes to ALER with its Parte seconda: from then on it changes only through a new draft.
STATI_MODIFICABILI = (StatoPiano.RICOGNIZIONE, StatoPiano.BOZZA)


def _piano(request: HttpRequest, piano_pk: int) -> PianoAnnuale:
    """The plan, if ``request.user`` is its ufficio di piano; 404 otherwise."""
    return get_object_or_404(
        PianoAnnuale.objects.dell_ufficio_di_piano(request.user).select_related("ambito"), pk=piano_pk
    )


def modificabile(piano: PianoAnnuale) -> bool:
    return piano.stato in STATI_MODIFICABILI


def _verifica_modificabile(piano: PianoAnnuale) -> None:
    if not modificabile(piano):
        raise PermissionDenied(
            f"Il piano {piano.anno} è nello stato «{piano.get_stato_display()}»: le misure e le "
            "progettualità non sono più modificabili."
        )


def _blocca(piano: PianoAnnuale) -> None:
    """Inside the write's transaction: lock the plan's row, as the workflow's moves do, and check its
    state again, so that no change commits after «Invia ad ALER» has frozen the version."""
    _verifica_modificabile(PianoAnnuale.objects.select_for_update().only("anno", "stato").get(pk=piano.pk))


def _contesto(piano: PianoAnnuale, **altro: Any) -> dict[str, Any]:
    return {"piano": piano, "modificabile": modificabile(piano), **altro}


def _scrittura(request: HttpRequest, piano: PianoAnnuale) -> Scrittura:
    """The history of a change made on these pages: by the user, in this plan (origin: a form)."""
    return Scrittura(utente=request.user, origine="", piano=piano.pk)


def _salva(request: HttpRequest, piano: PianoAnnuale, scrivi: Any, *osservate: QuerySet) -> bool:
    """Run ``scrivi`` in one transaction, with what it changes in ``osservate`` (every row it may
    touch) recorded in the history; a row the database refuses becomes an Italian message."""
    try:
        with transaction.atomic(), _scrittura(request, piano) as scrittura:
            _blocca(piano)
            for righe in osservate:
                scrittura.osserva(righe)
            scrivi()
    except IntegrityError as errore:
        messages.error(request, f"I dati non sono stati salvati: {messaggio_vincolo(errore)}")
        return False
    return True


def _elimina(request: HttpRequest, piano: PianoAnnuale, istanza: MisuraPiano | Avviso) -> None:
    """Delete a row of the plan, and what goes with it, recording all of it in the history."""
    with transaction.atomic(), _scrittura(request, piano) as scrittura:
        _blocca(piano)
        scrittura.elimina([istanza])


@login_required
def panoramica(request: HttpRequest, piano_pk: int) -> HttpResponse:
    """Parte seconda and terza of a plan as they will be printed, the checks that concern them, and
    the links to change each part. Every figure comes from the computed plan, as in the PDF."""
    piano = _piano(request, piano_pk)
    calcolo = piano_calcolato(piano)
    anomalie = [a for a in calcolo.anomalie if a.codice.startswith("M")]
    return render(
        request,
        "misure/panoramica.html",
        _contesto(
            piano,
            p=calcolo,
            ps=calcolo.parte_seconda,
            pt=calcolo.parte_terza,
            anomalie=anomalie,
        ),
    )


@login_required
def misura(request: HttpRequest, piano_pk: int, pk: int | None = None) -> HttpResponse:
    """A measure of the plan: its figures, its «di cui» lines and the uses of its residual."""
    piano = _piano(request, piano_pk)
    istanza = get_object_or_404(MisuraPiano, piano=piano, pk=pk) if pk else MisuraPiano(piano=piano)
    dati = request.POST if request.method == "POST" else None
    if dati is not None:
        _verifica_modificabile(piano)
    form = MisuraPianoForm(dati, instance=istanza, piano=piano)
    quote = QuoteErogateFormSet(dati, instance=istanza, prefix="quote")
    utilizzi = UtilizziResiduoFormSet(dati, instance=istanza, prefix="utilizzi")
    if dati is not None and form.is_valid() and quote.is_valid() and utilizzi.is_valid():

        def scrivi() -> None:
            salvata = form.save()
            quote.instance = utilizzi.instance = salvata
            quote.save()
            utilizzi.save()

        osservate = (
            MisuraPiano.objects.filter(piano=piano).select_related("misura", "piano"),
            QuotaErogata.objects.filter(misura_piano__piano=piano),
            UtilizzoResiduo.objects.filter(misura_piano__piano=piano),
            Delibera.objects.all(),  # a DGR typed for the first time is added to the list
        )
        if _salva(request, piano, scrivi, *osservate):
            messages.success(request, f"«{form.instance.misura}» salvata.")
            return redirect("misure:panoramica", piano_pk=piano.pk)
    return render(
        request,
        "misure/misura_form.html",
        _contesto(piano, form=form, quote=quote, utilizzi=utilizzi, istanza=istanza),
    )


@login_required
@require_POST
def elimina_misura(request: HttpRequest, piano_pk: int, pk: int) -> HttpResponse:
    piano = _piano(request, piano_pk)
    _verifica_modificabile(piano)
    istanza = get_object_or_404(MisuraPiano.objects.select_related("misura"), piano=piano, pk=pk)
    _elimina(request, piano, istanza)
    messages.success(request, f"«{istanza.misura}» tolta dal piano.")
    return redirect("misure:panoramica", piano_pk=piano.pk)


@login_required
def solidarieta(request: HttpRequest, piano_pk: int) -> HttpResponse:
    """The contributo regionale di solidarietà: the riparto and one row per ente."""
    piano = _piano(request, piano_pk)
    riparto = RipartoSolidarieta.objects.filter(piano=piano).first() or RipartoSolidarieta(
        piano=piano, anno_riparto=piano.anno - 1
    )
    dati = request.POST if request.method == "POST" else None
    if dati is not None:
        _verifica_modificabile(piano)
    form = RipartoSolidarietaForm(dati, instance=riparto, prefix="riparto")
    righe = QuoteSolidarietaFormSetFactory(dati, piano=piano, prefix="righe")
    if dati is not None and form.is_valid() and righe.is_valid():

        def scrivi() -> None:
            form.save()
            righe.save()

        osservate = (
            RipartoSolidarieta.objects.filter(piano=piano),
            QuotaSolidarieta.objects.filter(piano=piano).select_related("ente"),
            Delibera.objects.all(),
        )
        if _salva(request, piano, scrivi, *osservate):
            messages.success(request, "Contributo regionale di solidarietà salvato.")
            return redirect("misure:panoramica", piano_pk=piano.pk)
    return render(request, "misure/solidarieta_form.html", _contesto(piano, form=form, righe=righe))


@login_required
def avviso(request: HttpRequest, piano_pk: int, pk: int | None = None) -> HttpResponse:
    piano = _piano(request, piano_pk)
    istanza = get_object_or_404(Avviso, piano=piano, pk=pk) if pk else Avviso(piano=piano)
    dati = request.POST if request.method == "POST" else None
    if dati is not None:
        _verifica_modificabile(piano)
    form = AvvisoForm(dati, instance=istanza, piano=piano)
    osservate = (Avviso.objects.filter(piano=piano), Delibera.objects.all())
    if dati is not None and form.is_valid() and _salva(request, piano, form.save, *osservate):
        messages.success(request, f"Avviso «{form.instance.titolo}» salvato.")
        return redirect("misure:panoramica", piano_pk=piano.pk)
    return render(request, "misure/avviso_form.html", _contesto(piano, form=form, istanza=istanza))


@login_required
@require_POST
def elimina_avviso(request: HttpRequest, piano_pk: int, pk: int) -> HttpResponse:
    piano = _piano(request, piano_pk)
    _verifica_modificabile(piano)
    istanza = get_object_or_404(Avviso, piano=piano, pk=pk)
    _elimina(request, piano, istanza)
    messages.success(request, f"Avviso «{istanza.titolo}» eliminato.")
    return redirect("misure:panoramica", piano_pk=piano.pk)


# Each list: its formset, title and description.
ELENCHI: dict[str, tuple[Callable[..., BaseModelFormSet[Any, Any]], str, str]] = {
    "riqualificazione": (
        InterventiFormSetFactory,
        "Accesso ai fondi per la riqualificazione dei contesti abitativi pubblici",
        "Interventi per ente: che cosa, con quali fondi, quanti alloggi.",
    ),
    "progettualita": (
        ProgettualitaFormSetFactory,
        "Parte terza – Altre progettualità di sostegno al disagio abitativo",
        "Titolo, descrizione, soggetti coinvolti, periodo, costo e finanziamento di ciascuna progettualità.",
    ),
}


@login_required
def elenco(request: HttpRequest, piano_pk: int, nome: str) -> HttpResponse:
    """The renovation funds or the projects of part three: one formset per list."""
    piano = _piano(request, piano_pk)
    fabbrica, titolo, descrizione = ELENCHI[nome]
    dati = request.POST if request.method == "POST" else None
    if dati is not None:
        _verifica_modificabile(piano)
    formset = fabbrica(dati, piano=piano, prefix=nome)
    assert formset.model is not None  # set by modelformset_factory
    osservate = formset.model._default_manager.filter(piano=piano)
    if dati is not None and formset.is_valid() and _salva(request, piano, formset.save, osservate):
        messages.success(request, f"{titolo}: modifiche salvate.")
        return redirect("misure:panoramica", piano_pk=piano.pk)
    return render(
        request,
        "misure/elenco_form.html",
        _contesto(piano, formset=formset, titolo=titolo, descrizione=descrizione),
    )
