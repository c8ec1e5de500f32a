"""The header's ambito picker: a person with memberships in several ambiti works in one at a time."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ambito.models import Ambito
from patrimonio.ambito_in_uso import scegli_ambito

__all__ = ["cambia_ambito"]


@login_required
@require_POST
def cambia_ambito(request: HttpRequest) -> HttpResponse:
    """Switch the ambito in use to one where the user holds a membership (403 for any other)."""
    try:
        ambito_id = int(request.POST.get("ambito", ""))
    except ValueError:
        raise PermissionDenied("Ambito non valido.") from None
    if not scegli_ambito(request, ambito_id):
        raise PermissionDenied("Non ha un ruolo in questo ambito.")
    nome = Ambito.objects.filter(pk=ambito_id).values_list("nome", flat=True).first()
    messages.success(request, f"Ora sta lavorando nell'ambito «{nome}».")
    # The page the person came from may belong to the ambito just left: start from the home page.
    return redirect("piano_annuale:home")
