"""The ente workspace (area dell'ente): what a comune or ALER declares for a plan's ricognizione.

Units and their state, turnover, consistenza, the choices h/i/i.b, SAT, last year's assignments,
and the answer itself ("nulla da dichiarare", submit; reopen by the ufficio di piano).

Access: every view loads the plan with ``PianoAnnuale.objects.compilabili_da`` and the ente with
``EnteProprietario.objects.visibili_a`` (reads) or ``modificabili_da`` (writes), so another ente's
page is a 404 whatever link the user followed. Writes go through the services, which refuse them
(``ModificaNonConsentita``, a 403) once the ente has answered or the plan has left the ricognizione.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError
from django.db.models import FilteredRelation, Q
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from patrimonio.accesso import Ruolo, ha_ruolo
from patrimonio.models import EnteProprietario
from piano_annuale.calcolo import con_chiave
from piano_annuale.controlli import messaggio_vincolo
from piano_annuale.models import (
    PianoAnnuale,
    RispostaRicognizione,
    Stato,
    StatoUnita,
)
from piano_annuale.services.ente import motivo_blocco
from piano_annuale.services.errori import ModificaNonConsentita, OperazioneNonValida

UNITA_PER_PAGINA = 25
STATI = dict(Stato.choices)


@dataclass(frozen=True)
class Area:
    """The plan and ente a workspace page is about, and whether their data may change now."""

    piano: PianoAnnuale
    ente: EnteProprietario
    risposta: RispostaRicognizione | None
    motivo_blocco: str  # empty while the data may change
    ufficio_di_piano: bool  # the user follows the whole ambito (may reopen the answer)

    @property
    def modificabile(self) -> bool:
        return not self.motivo_blocco

    def url(self, nome: str, *altri: int) -> str:
        return reverse(f"patrimonio:{nome}", args=[self.piano.pk, self.ente.pk, *altri])


def carica_area(request: HttpRequest, piano_pk: int, ente_pk: int, *, per_modifica: bool = False) -> Area:
    """The plan and ente of the URL, as the user may reach them; 404 otherwise.

    With ``per_modifica`` the ente must be one the user may change, and a locked ente is refused
    with a 403 that says why (the services check again inside their transaction).
    """
    utente = request.user
    # Read with its computation's cache key (``con_chiave``): the checks and the cached page need no
    # other query. The key is the revision at the start of the request: a view that writes and then
    # reads the computation in the same request reads the plan again.
    piano = get_object_or_404(
        con_chiave(PianoAnnuale.objects.compilabili_da(utente).select_related("ambito")), pk=piano_pk
    )
    enti = (
        EnteProprietario.objects.modificabili_da(utente)
        if per_modifica
        else EnteProprietario.objects.visibili_a(utente)
    )
    # One query: the ente, its answer to this plan (if any) with who last changed it.
    ente = get_object_or_404(
        enti.filter(ambito_id=piano.ambito_id)
        .annotate(risposta_al_piano=FilteredRelation("risposte", condition=Q(risposte__piano_id=piano.pk)))
        .select_related("comune", "risposta_al_piano", "risposta_al_piano__aggiornata_da"),
        pk=ente_pk,
    )
    # No answer yet: the joined row is absent and so is the attribute.
    risposta: RispostaRicognizione | None = getattr(ente, "risposta_al_piano", None)
    if risposta is not None:
        risposta.ente = ente  # what motivo_blocco and the pages name, without another query
    area = Area(
        piano=piano,
        ente=ente,
        risposta=risposta,
        motivo_blocco=motivo_blocco(piano=piano, risposta=risposta),
        # The ente is of the plan's ambito: whether the user is its ufficio di piano is the policy's
        # rule for that ambito (in a web request, from the memberships already read: no query).
        ufficio_di_piano=ha_ruolo(utente, piano.ambito_id, Ruolo.UFFICIO_DI_PIANO),
    )
    if per_modifica and not area.modificabile:
        raise ModificaNonConsentita(area.motivo_blocco)
    return area


def render_area(request: HttpRequest, template: str, area: Area, **contesto: Any) -> HttpResponse:
    return render(request, f"patrimonio/{template}", {"area": area, **contesto})


def esegui(form: BaseForm, scrittura: Callable[[], Any]) -> bool:
    """Run a service write; put a refusal of the database or of the service on the form."""
    try:
        scrittura()
    except IntegrityError as errore:  # e.g. two users saved the same ID regionale at once
        form.add_error(None, messaggio_vincolo(errore))
        return False
    except OperazioneNonValida as errore:
        form.add_error(None, str(errore))
        return False
    return True


# --------------------------------------------------------------------------------------------


def da_confermare(area: Area) -> int:
    """How many of the ente's states in the plan were carried over and await confirmation."""
    return StatoUnita.objects.del_piano(area.piano).filter(unita__ente=area.ente, da_confermare=True).count()
