"""What every onboarding page shares: who may open it, the step indicator, running a service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ambito.models import AggregazioneTerritoriale, Ambito, Comune
from patrimonio.accesso import RUOLI_CON_ENTE, Operatore, Ruolo, ha_ruolo
from patrimonio.importazione.errori import FileNonValido
from patrimonio.models import EnteProprietario, TipoEnte
from piano_annuale.models import PianoAnnuale
from piano_annuale.services.errori import OperazioneNonValida

from ..errori import DatiNonValidi

T = TypeVar("T")


def ambito_dell_ufficio(request: HttpRequest, pk: int) -> Ambito:
    """The ambito being onboarded, for its ufficio di piano (in the ambito in use) and the platform
    administrator: any other role gets 403, the ufficio di piano of another ambito 404."""
    user = request.user
    if not ha_ruolo(user, pk, Ruolo.UFFICIO_DI_PIANO):
        if Operatore.objects.di(user).con_ruolo(Ruolo.UFFICIO_DI_PIANO).exists():
            raise Http404("Ambito non trovato.")
        raise PermissionDenied("Le pagine dell'insediamento sono riservate all'ufficio di piano dell'ambito.")
    return get_object_or_404(Ambito.objects.select_related("comune_capofila"), pk=pk)


@dataclass(frozen=True)
class Passo:
    codice: str
    etichetta: str
    url: str
    fatto: bool
    corrente: bool


PASSI = (
    ("comuni", "Comuni"),
    ("aggregazioni", "Aggregazioni"),
    ("enti", "Enti"),
    ("operatori", "Operatori"),
    ("piano", "Primo piano"),
)


def _fatti(ambito: Ambito) -> dict[str, bool]:
    """Which steps the data already complete (the state of the onboarding is the data itself)."""
    comuni = Comune.objects.filter(ambito=ambito)
    return {
        "comuni": comuni.exists() and ambito.comune_capofila_id is not None,
        "aggregazioni": AggregazioneTerritoriale.objects.filter(ambito=ambito).exists()
        and not comuni.filter(aggregazione__isnull=True).exists(),
        "enti": EnteProprietario.objects.filter(ambito=ambito).exclude(tipo=TipoEnte.COMUNE).exists(),
        "operatori": Operatore.objects.filter(ambito=ambito, ruolo__in=RUOLI_CON_ENTE).exists(),
        "piano": PianoAnnuale.objects.filter(ambito=ambito).exists(),
    }


def passi(ambito: Ambito, corrente: str) -> list[Passo]:
    fatti = _fatti(ambito)
    return [
        Passo(
            codice,
            etichetta,
            reverse(f"insediamento:{codice}", args=[ambito.pk]),
            fatti[codice],
            codice == corrente,
        )
        for codice, etichetta in PASSI
    ]


def pagina(
    request: HttpRequest,
    ambito: Ambito,
    corrente: str,
    contesto: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    elenco = passi(ambito, corrente)
    numero = next(i for i, p in enumerate(elenco) if p.corrente)
    return render(
        request,
        f"ambito/insediamento/{corrente}.html",
        {
            "ambito": ambito,
            "passi": elenco,
            "passo": elenco[numero],
            "numero_passo": numero + 1,
            "precedente": elenco[numero - 1] if numero > 0 else None,
            "successivo": elenco[numero + 1] if numero + 1 < len(elenco) else None,
            **contesto,
        },
        status=status,
    )


def esegui(request: HttpRequest, form: forms.Form | None, servizio: Callable[[], T]) -> T | None:
    """Run a service; its refusal becomes the form's error (or a message), and None is returned."""
    try:
        return servizio()
    except (DatiNonValidi, OperazioneNonValida, FileNonValido) as errore:
        errori = errore.errori if isinstance(errore, DatiNonValidi) else [str(errore)]
        for testo in errori:
            if form is not None:
                form.add_error(None, testo)
            else:
                messages.error(request, testo)
        return None


def scelta_intera(valore: str | None) -> int | None:
    """A select's value as an id ("" → None); a value that is not a number is refused."""
    if not valore:
        return None
    if not valore.isdigit():
        raise OperazioneNonValida("Valore non valido.")
    return int(valore)


def ritorno(nome: str, ambito: Ambito, ancora: str = "") -> HttpResponse:
    """Back to an onboarding step of ``ambito`` after a POST, at the part of the page it changed."""
    return redirect(reverse(f"insediamento:{nome}", args=[ambito.pk]) + (f"#{ancora}" if ancora else ""))
