"""Step 5: the first plan (year, population date, ricognizione deadline; the dates stay editable while
the plan is in ricognizione) and the population, replaceable from a per-comune file."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import ngettext

from patrimonio.accesso import utente_di
from piano_annuale.models import PianoAnnuale, StatoPiano

from .. import piano as servizi
from ..file import righe_del_file
from ..forms import DatePianoForm, PopolazioneForm, PrimoPianoForm
from .base import ambito_dell_ufficio, esegui, pagina


@login_required
def piano(request: HttpRequest, pk: int) -> HttpResponse:
    ambito = ambito_dell_ufficio(request, pk)
    piani = list(PianoAnnuale.objects.filter(ambito=ambito).order_by("-anno"))
    in_ricognizione = next((p for p in piani if p.stato == StatoPiano.RICOGNIZIONE), None)
    primo = PrimoPianoForm()
    date = (
        DatePianoForm(
            initial={
                "data_popolazione": in_ricognizione.data_popolazione,
                "scadenza_ricognizione": in_ricognizione.scadenza_ricognizione,
            }
        )
        if in_ricognizione
        else None
    )
    popolazione = PopolazioneForm()
    status = 200
    if request.method == "POST":
        azione = request.POST.get("azione")
        status = 400
        utente = utente_di(request)
        if azione == "apri":
            primo = PrimoPianoForm(request.POST)
            if primo.is_valid():
                nuovo = esegui(
                    request,
                    primo,
                    lambda: servizi.apri_primo_piano(
                        ambito=ambito,
                        anno=primo.cleaned_data["anno"],
                        data_popolazione=primo.cleaned_data["data_popolazione"],
                        scadenza_ricognizione=primo.cleaned_data["scadenza_ricognizione"],
                        utente=utente,
                    ),
                )
                if nuovo is not None:
                    messages.success(
                        request, f"Il piano {nuovo.anno} è aperto: la ricognizione può cominciare."
                    )
                    return redirect(reverse("insediamento:piano", args=[ambito.pk]))
        elif azione == "date" and in_ricognizione is not None:
            date = DatePianoForm(request.POST)
            if date.is_valid():
                aggiornato = esegui(
                    request,
                    date,
                    lambda: servizi.aggiorna_date(
                        piano=in_ricognizione,
                        data_popolazione=date.cleaned_data["data_popolazione"],
                        scadenza_ricognizione=date.cleaned_data["scadenza_ricognizione"],
                        utente=utente,
                    ),
                )
                if aggiornato is not None:
                    messages.success(request, f"Date del piano {aggiornato.anno} salvate.")
                    return redirect(reverse("insediamento:piano", args=[ambito.pk]) + "#date")
        elif azione == "popolazione":
            popolazione = PopolazioneForm(request.POST, request.FILES)
            if popolazione.is_valid():
                dati = popolazione.cleaned_data
                caricati = esegui(
                    request,
                    popolazione,
                    lambda: servizi.carica_popolazione(
                        ambito=ambito,
                        righe=righe_del_file(dati["file"], colonne=3),
                        data=dati["data_riferimento"],
                        fonte=dati["fonte"],
                        utente=utente,
                    ),
                )
                if caricati is not None:
                    messages.success(
                        request,
                        ngettext(
                            "Popolazione al %(data)s caricata per %(n)d comune.",
                            "Popolazione al %(data)s caricata per %(n)d comuni.",
                            caricati,
                        )
                        % {"n": caricati, "data": dati["data_riferimento"].strftime("%d/%m/%Y")},
                    )
                    return redirect(reverse("insediamento:piano", args=[ambito.pk]) + "#popolazione")
        else:
            status = 200
    return pagina(
        request,
        ambito,
        "piano",
        {
            "piani": piani,
            "in_ricognizione": in_ricognizione,
            "fonti": servizi.fonti_della_popolazione(in_ricognizione) if in_ricognizione else [],
            "primo": primo,
            "date": date,
            "popolazione": popolazione,
        },
        status=status,
    )
