"""«I miei token di accesso»: the signed-in user creates, names, lists and revokes personal API tokens.

The secret appears once, on the page that answers the creation (never stored, never redirected to);
afterwards only its first characters are shown. Every token acts with its owner's memberships only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from patrimonio.accesso import utente_di
from piano_annuale.services.errori import OperazioneNonValida

from .credenziali import crea_token, revoca_token
from .forms import TokenForm
from .models import TokenPersonale


@never_cache
@login_required
def token_elenco(request: HttpRequest) -> HttpResponse:
    """GET: the user's tokens and the form; POST: create one and show its secret, once."""
    utente = utente_di(request)
    segreto = ""
    creato = None
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            creato, segreto = crea_token(
                utente=utente,
                nome=form.cleaned_data["nome"],
                sola_lettura=form.cleaned_data["sola_lettura"],
                scadenza=form.scadenza(),
            )
        except OperazioneNonValida as errore:
            form.add_error(None, str(errore))
        else:
            form = TokenForm()
    token = list(TokenPersonale.objects.di(utente.pk).order_by("-creato_il", "-pk"))
    risposta = render(
        request,
        "api/token.html",
        {"form": form, "token": token, "segreto": segreto, "creato": creato},
        status=400 if request.method == "POST" and not creato else 200,
    )
    return risposta


@login_required
@require_POST
def token_revoca(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens (another user's is a 404)."""
    utente = utente_di(request)
    try:
        token = revoca_token(utente=utente, token_id=pk)
    except TokenPersonale.DoesNotExist:
        raise Http404("Token non trovato.") from None
    except OperazioneNonValida as errore:
        messages.info(request, str(errore))
    else:
        messages.success(request, f"Token «{token.nome}» revocato: da ora non è più accettato.")
    return redirect("api:token")
