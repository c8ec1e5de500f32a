"""The platform administrator's page (superusers only): the ambiti, a new ambito, the invitation of
its first ufficio di piano user; and the page where an invited person sets their password."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy

from ambito.models import Ambito
from patrimonio.accesso import Operatore, Ruolo, utente_di

from .. import inviti
from .. import territorio as servizi
from ..forms import InvitoForm, NuovoAmbitoForm
from .base import esegui
from .enti import indirizzo_invito


def _solo_amministratore(request: HttpRequest) -> None:
    if not (request.user.is_authenticated and request.user.is_superuser):
        raise PermissionDenied("Pagina riservata all'amministratore della piattaforma.")


def _pagina_ambiti(
    request: HttpRequest,
    *,
    nuovo: NuovoAmbitoForm | None = None,
    invito: tuple[int, InvitoForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    ambiti = list(
        Ambito.objects.annotate(
            numero_comuni=Count("comuni", distinct=True),
            numero_piani=Count("piani", distinct=True),
            numero_uffici=Count(
                "operatori", filter=Q(operatori__ruolo=Ruolo.UFFICIO_DI_PIANO), distinct=True
            ),
        ).order_by("nome")
    )
    uffici: dict[int, list[Operatore]] = {}
    for operatore in Operatore.objects.filter(ruolo=Ruolo.UFFICIO_DI_PIANO).select_related("user"):
        if operatore.ambito_id is not None:
            uffici.setdefault(operatore.ambito_id, []).append(operatore)
    righe = [
        {
            "ambito": a,
            "uffici": uffici.get(a.pk, []),
            "invito": invito[1] if invito and invito[0] == a.pk else InvitoForm(prefix=f"invito-{a.pk}"),
            "aperto": bool(invito and invito[0] == a.pk),
        }
        for a in ambiti
    ]
    return render(
        request,
        "ambito/insediamento/piattaforma.html",
        {"righe": righe, "nuovo": nuovo or NuovoAmbitoForm()},
        status=status,
    )


@login_required
def ambiti(request: HttpRequest) -> HttpResponse:
    """Every ambito of the deployment, and a new one."""
    _solo_amministratore(request)
    if request.method == "POST":
        nuovo = NuovoAmbitoForm(request.POST)
        if nuovo.is_valid():
            ambito = esegui(
                request,
                nuovo,
                lambda: servizi.crea_ambito(nome=nuovo.cleaned_data["nome"], utente=utente_di(request)),
            )
            if ambito is not None:
                messages.success(
                    request, f"Ambito «{ambito}» creato: invitare ora il primo utente dell'ufficio di piano."
                )
                return redirect(reverse("insediamento:ambiti") + f"#ambito-{ambito.pk}")
        return _pagina_ambiti(request, nuovo=nuovo, status=400)
    return _pagina_ambiti(request)


@login_required
def invita_ufficio(request: HttpRequest, pk: int) -> HttpResponse:
    """Invite the first ufficio di piano user of an ambito (POST)."""
    _solo_amministratore(request)
    ambito = get_object_or_404(Ambito, pk=pk)
    if request.method != "POST":
        return redirect(reverse("insediamento:ambiti") + f"#ambito-{ambito.pk}")
    form = InvitoForm(request.POST, prefix=f"invito-{ambito.pk}")
    if form.is_valid():
        esiti = esegui(
            request,
            form,
            lambda: inviti.invita(
                ambito=ambito,
                inviti=[
                    inviti.Invito(
                        Ruolo.UFFICIO_DI_PIANO, None, form.cleaned_data["nome"], form.cleaned_data["email"]
                    )
                ],
                utente=utente_di(request),
                indirizzo=indirizzo_invito(request),
            ),
        )
        if esiti:
            esito = esiti[0]
            if esito.nuovo_utente:
                testo = f"Invito inviato a {esito.user.email}: il collegamento vale {inviti.giorni_validita()} giorni."
            else:
                testo = f"{esito.user.email} aveva già un accesso: ha ricevuto il ruolo di ufficio di piano dell'ambito."
            messages.success(request, testo)
            return redirect(reverse("insediamento:ambiti") + f"#ambito-{ambito.pk}")
    return _pagina_ambiti(request, invito=(ambito.pk, form), status=400)


@login_required
def inizio(request: HttpRequest) -> HttpResponse:
    """The onboarding of the ambito the ufficio di piano is working in (the platform administrator:
    the list of ambiti)."""
    if request.user.is_superuser:
        return redirect("insediamento:ambiti")
    ufficio = Operatore.objects.di(request.user).con_ruolo(Ruolo.UFFICIO_DI_PIANO).first()
    if ufficio is None or ufficio.ambito_id is None:
        raise PermissionDenied("Le pagine dell'insediamento sono riservate all'ufficio di piano dell'ambito.")
    return redirect("insediamento:comuni", ufficio.ambito_id)


class ImpostaPassword(PasswordResetConfirmView):
    """The invited person chooses their password (the link expires and works once), then is in."""

    token_generator = inviti.generatore_inviti
    template_name = "ambito/insediamento/imposta_password.html"
    reset_url_token = "imposta-password"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("piano_annuale:home")

    def form_valid(self, form: Any) -> HttpResponse:
        risposta = super().form_valid(form)
        messages.success(self.request, "Password impostata: benvenuto nel servizio.")
        return risposta
