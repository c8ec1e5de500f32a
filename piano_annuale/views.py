"""Pages and API of the plan. Every one of them reads the single computed result of ``sezioni``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render

from .controlli import CONTROLLI
from .models import PianoAnnuale
from .sezioni import EncoderPiano, calcola_piano


@login_required
def home(request: HttpRequest) -> HttpResponse:
    piani = PianoAnnuale.objects.dell_ufficio_di_piano(request.user).select_related("ambito")
    return render(request, "piano_annuale/home.html", {"piani": piani})


@login_required
def piano_detail(request: HttpRequest, pk: int) -> HttpResponse:
    piano = get_object_or_404(PianoAnnuale.objects.dell_ufficio_di_piano(request.user), pk=pk)
    calcolo = calcola_piano(piano)
    return render(
        request,
        "piano_annuale/piano_detail.html",
        {"piano": piano, "p": calcolo, "controlli": CONTROLLI},
    )


@login_required
def piano_json(request: HttpRequest, pk: int) -> JsonResponse:
    """The whole computed plan as JSON."""
    piano = get_object_or_404(PianoAnnuale.objects.dell_ufficio_di_piano(request.user), pk=pk)
    return JsonResponse(
        calcola_piano(piano).as_dict(),
        encoder=EncoderPiano,
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
