"""Steps 3 and 4: the enti (ALER, accredited operators, who manages which comune's units) and the
operators (invited in bulk; their and the enti's e-mail addresses)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import ngettext

from patrimonio.accesso import Operatore, utente_di
from patrimonio.models import EnteProprietario, TipoEnte

from .. import enti as servizi
from .. import inviti
from ..file import righe_del_file
from ..forms import AlerForm, InvitiForm, OperatoreAccreditatoForm
from ..normalizza import righe_incollate
from .base import ambito_dell_ufficio, esegui, pagina, ritorno, scelta_intera


def _indirizzi_cambiati(request: HttpRequest, cambiati: int | None) -> None:
    """The outcome of saving e-mail addresses (None: the service refused, its message is shown)."""
    if cambiati is not None:
        messages.success(
            request,
            ngettext("%(n)d indirizzo cambiato.", "%(n)d indirizzi cambiati.", cambiati) % {"n": cambiati},
        )


def indirizzo_invito(request: HttpRequest) -> inviti.IndirizzoInvito:
    """Absolute addresses of the set-password page, on the host the request came to."""

    def indirizzo(uid: str, token: str) -> str:
        return request.build_absolute_uri(reverse("insediamento:invito", args=[uid, token]))

    return indirizzo


@login_required
def enti(request: HttpRequest, pk: int) -> HttpResponse:
    ambito = ambito_dell_ufficio(request, pk)
    aler = AlerForm()
    operatore = OperatoreAccreditatoForm()
    status = 200
    if request.method == "POST":
        azione = request.POST.get("azione")
        status = 400
        utente = utente_di(request)
        if azione == "aler":
            aler = AlerForm(request.POST)
            if aler.is_valid():
                denominazione, _, uog = aler.cleaned_data["aler"].partition("|")
                ente = esegui(
                    request,
                    aler,
                    lambda: servizi.aggiungi_aler(
                        ambito=ambito, denominazione=denominazione, uog=uog, utente=utente
                    ),
                )
                if ente is not None:
                    messages.success(request, f"{ente} ({ente.uog}) aggiunta agli enti dell'ambito.")
                    return ritorno("enti", ambito, "enti-ambito")
        elif azione == "operatore":
            operatore = OperatoreAccreditatoForm(request.POST)
            if operatore.is_valid():
                ente = esegui(
                    request,
                    operatore,
                    lambda: servizi.aggiungi_operatore_accreditato(
                        ambito=ambito, denominazione=operatore.cleaned_data["denominazione"], utente=utente
                    ),
                )
                if ente is not None:
                    messages.success(request, f"«{ente}» aggiunto agli enti dell'ambito.")
                    return ritorno("enti", ambito, "enti-ambito")
        elif azione == "elimina":
            ente = get_object_or_404(
                EnteProprietario, pk=scelta_intera(request.POST.get("ente")), ambito=ambito
            )
            if esegui(request, None, lambda: servizi.elimina_ente(ente=ente, utente=utente) or True):
                messages.success(request, f"«{ente}» tolto dagli enti dell'ambito.")
            return ritorno("enti", ambito, "enti-ambito")
        elif azione == "gestori":
            cambiati = esegui(
                request,
                None,
                lambda: servizi.imposta_gestori(
                    ambito=ambito,
                    gestori={
                        e.pk: scelta_intera(request.POST.get(f"gestore_{e.pk}"))
                        for e in EnteProprietario.objects.filter(ambito=ambito, tipo=TipoEnte.COMUNE)
                    },
                    utente=utente,
                ),
            )
            if cambiati is not None:
                messages.success(request, "Enti gestori salvati.")
            return ritorno("enti", ambito, "gestori")
        else:
            status = 200
    tutti = list(EnteProprietario.objects.filter(ambito=ambito).select_related("comune", "gestore"))
    return pagina(
        request,
        ambito,
        "enti",
        {
            "aler": aler,
            "operatore": operatore,
            "enti_comunali": [e for e in tutti if e.tipo == TipoEnte.COMUNE],
            "altri_enti": [e for e in tutti if e.tipo != TipoEnte.COMUNE],
        },
        status=status,
    )


@login_required
def operatori(request: HttpRequest, pk: int) -> HttpResponse:
    ambito = ambito_dell_ufficio(request, pk)
    invito = InvitiForm()
    status = 200
    if request.method == "POST":
        azione = request.POST.get("azione")
        status = 400
        utente = utente_di(request)
        if azione == "invita":
            invito = InvitiForm(request.POST, request.FILES)
            if invito.is_valid():
                dati = invito.cleaned_data

                def invita() -> list[inviti.EsitoInvito]:
                    righe = (
                        righe_del_file(dati["file"], colonne=3)
                        if dati.get("file")
                        else righe_incollate(dati["elenco"], colonne=3)
                    )
                    return inviti.invita(
                        ambito=ambito,
                        inviti=inviti.inviti_da_righe(ambito, righe),
                        utente=utente,
                        indirizzo=indirizzo_invito(request),
                    )

                esiti = esegui(request, invito, invita)
                if esiti is not None:
                    nuovi = sum(1 for e in esiti if e.nuovo_utente)
                    messages.success(
                        request,
                        ngettext("%(n)d invito inviato", "%(n)d inviti inviati", len(esiti))
                        % {"n": len(esiti)}
                        + (
                            ngettext(
                                " (%(n)d persona aveva già un accesso e ha ricevuto il nuovo ruolo).",
                                " (%(n)d persone avevano già un accesso e hanno ricevuto il nuovo ruolo).",
                                len(esiti) - nuovi,
                            )
                            % {"n": len(esiti) - nuovi}
                            if len(esiti) > nuovi
                            else "."
                        ),
                    )
                    return ritorno("operatori", ambito, "operatori-ambito")
        elif azione == "operatore":
            # One form for the rows' buttons: «reinvia» or «revoca», valued with the membership.
            reinvio = "reinvia" in request.POST
            operatore = get_object_or_404(
                Operatore.objects.select_related("user", "ambito"),
                pk=scelta_intera(request.POST.get("reinvia" if reinvio else "revoca")),
                ambito=ambito,
            )
            nome = operatore.user.get_full_name() or operatore.user.get_username()
            if reinvio:
                if esegui(
                    request,
                    None,
                    lambda: (
                        inviti.reinvia(
                            operatore=operatore, utente=utente, indirizzo=indirizzo_invito(request)
                        )
                        or True
                    ),
                ):
                    messages.success(request, f"Invito inviato di nuovo a {operatore.user.email}.")
            elif esegui(request, None, lambda: inviti.revoca(operatore=operatore, utente=utente) or True):
                messages.success(
                    request,
                    f"{nome} non ha più il ruolo di {operatore.get_ruolo_display().lower()} nell'ambito.",
                )
            return ritorno("operatori", ambito, "operatori-ambito")
        elif azione == "email_operatori":
            cambiati = esegui(
                request,
                None,
                lambda: inviti.imposta_email_operatori(
                    ambito=ambito,
                    indirizzi={
                        o.pk: request.POST.get(f"email_{o.pk}", o.user.email)
                        for o in Operatore.objects.filter(ambito=ambito).select_related("user")
                    },
                    utente=utente,
                ),
            )
            _indirizzi_cambiati(request, cambiati)
            return ritorno("operatori", ambito, "operatori-ambito")
        elif azione == "email_enti":
            cambiati = esegui(
                request,
                None,
                lambda: servizi.imposta_email_enti(
                    ambito=ambito,
                    indirizzi={
                        e.pk: request.POST.get(f"email_ente_{e.pk}", e.email)
                        for e in EnteProprietario.objects.filter(ambito=ambito)
                    },
                    utente=utente,
                ),
            )
            _indirizzi_cambiati(request, cambiati)
            return ritorno("operatori", ambito, "indirizzi-enti")
        else:
            status = 200
    return pagina(
        request,
        ambito,
        "operatori",
        {
            "invito": invito,
            "operatori": list(
                Operatore.objects.filter(ambito=ambito)
                .select_related("user", "ente")
                .order_by("ruolo", "ente__denominazione", "user__last_name")
            ),
            "enti": list(EnteProprietario.objects.filter(ambito=ambito)),
            "giorni_invito": inviti.giorni_validita(),
        },
        status=status,
    )
