"""The ufficio di piano's ricognizione dashboard and its reminders."""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from ambito.models import AggregazioneTerritoriale
from patrimonio.models import EnteProprietario
from piano_annuale.calcolo import (
    RigaDisponibili,
    chiave_attuale,
    chiave_nome,
    con_chiave,
    piano_calcolato,
    testo_in_cache,
)
from piano_annuale.models import (
    RISPOSTE_DATE,
    PianoAnnuale,
    PianoQuerySet,
    RispostaRicognizione,
    StatoPiano,
    StatoRisposta,
)
from piano_annuale.services.promemoria import invia_promemoria

# --------------------------------------------------------------------------------------------
# Ricognizione dashboard of the ufficio di piano
# --------------------------------------------------------------------------------------------

# Part of the rendered table's cache key: change it when _cruscotto_tabella.html or what it reads changes.
VERSIONE_TABELLA = 1
# Where the page puts its «promemoria» form in the cached fragment: the form carries the request's CSRF
# token, so it is never cached. _cruscotto_tabella.html writes this comment once.
SEGNAPOSTO_PROMEMORIA = "<!-- promemoria -->"
# An aggregazione's number is a small integer (PositiveSmallIntegerField).
CIFRE_AGGREGAZIONE = 5


@dataclass(frozen=True)
class RispostaMostrata:
    """What the dashboard shows of an ente's answer."""

    stato: str
    aggiornata_il: datetime.datetime | None
    inviata_il: datetime.datetime | None
    autore: str  # who changed it last: full name, else username; "" when nobody did


# The columns of an answer the dashboard shows: they also make its cache key (``_impronta``).
COLONNE_RISPOSTA = (
    "ente_id",
    "stato",
    "aggiornata_il",
    "inviata_il",
    "aggiornata_da__first_name",
    "aggiornata_da__last_name",
    "aggiornata_da__username",
)
Colonne = tuple[
    int, str, datetime.datetime | None, datetime.datetime | None, str | None, str | None, str | None
]


@dataclass(frozen=True)
class RigaCruscotto:
    ente: EnteProprietario
    stato: str
    stato_descrizione: str
    risposta: RispostaMostrata | None
    disponibili: RigaDisponibili | None  # units available in the year (section g), by category
    errori: int
    avvisi: int

    @property
    def ha_risposto(self) -> bool:
        return self.stato in RISPOSTE_DATE


@login_required
def cruscotto(request: HttpRequest, pk: int) -> HttpResponse:
    """One row per ente: its answer, last change, units per category and anomalies.

    The table is rendered once per state of what it shows (``_tabella``): a request that finds it
    reads the plan with its access and the answers' shown columns, nothing else.
    """
    piano = get_object_or_404(
        con_chiave(PianoAnnuale.objects.dell_ufficio_di_piano(request.user).select_related("ambito")), pk=pk
    )
    aggregazione = request.GET.get("aggregazione", "")
    # A number of a few ASCII digits («²».isdigit() too); anything else shows the whole ambito.
    valida = aggregazione.isascii() and aggregazione.isdigit() and len(aggregazione) <= CIFRE_AGGREGAZIONE
    filtro_aggregazione = str(int(aggregazione)) if valida else ""
    filtro_stato = request.GET.get("stato", "")
    if filtro_stato not in StatoRisposta.values:
        filtro_stato = ""
    inizio, _, fine = _tabella(piano, filtro_aggregazione, filtro_stato).partition(SEGNAPOSTO_PROMEMORIA)
    return render(
        request,
        "piano_annuale/cruscotto.html",
        {
            "piano": piano,
            # Both halves of escaped template output, cut at a comment.
            "tabella_inizio": mark_safe(inizio),  # noqa: S308
            "tabella_fine": mark_safe(fine),  # noqa: S308
            "ricognizione_aperta": piano.stato in PianoQuerySet.STATI_MODIFICABILI,
        },
    )


def _tabella(piano: PianoAnnuale, filtro_aggregazione: str, filtro_stato: str) -> str:
    """The counts, the filters and the table of enti, cached under what they show:

    - the plan's computation (``chiave_attuale``, from the plan read with ``con_chiave``): its revision
      is bumped by every recorded write of the plan and of its ambito's registry (enti, comuni,
      aggregazioni: names, membership), so it covers the enti and the aggregazioni;
    - the answers' shown columns, read every time (one query): an ente's save that changes no value
      still moves its answer's last change (and may start it) without a recorded change, and a user's
      name is not recorded at all;
    - the plan's deadline, the filters, the language.

    An approved plan is not cached: its revision no longer moves while the registry still may.
    """
    risposte = list(
        RispostaRicognizione.objects.filter(piano=piano).order_by("ente_id").values_list(*COLONNE_RISPOSTA)
    )
    chiave = None if piano.stato == StatoPiano.APPROVATA else chiave_attuale(piano)
    if chiave is not None:
        chiave = (
            f"{chiave}:cruscotto{VERSIONE_TABELLA}:{get_language()}:scadenza{piano.scadenza_ricognizione}"
            f":aggregazione{filtro_aggregazione}:stato{filtro_stato}:risposte{_impronta(risposte)}"
        )
    return testo_in_cache(chiave, lambda: _rendi_tabella(piano, risposte, filtro_aggregazione, filtro_stato))


def _impronta(risposte: list[Colonne]) -> str:
    """A digest of the answers' shown columns (in the order of their ente)."""
    return hashlib.blake2b(repr(risposte).encode(), digest_size=16).hexdigest()


def _rendi_tabella(
    piano: PianoAnnuale, risposte: list[Colonne], filtro_aggregazione: str, filtro_stato: str
) -> SafeString:
    """Render the table: the computed plan and two small queries, whatever the size of the ambito.

    Rates and units are the computed plan's (ricognizione, section g): nothing is added up here but
    how many of the rows shown have answered.
    """
    calcolo = piano_calcolato(piano)
    per_ente = {
        ente_id: RispostaMostrata(
            stato=stato,
            aggiornata_il=aggiornata_il,
            inviata_il=inviata_il,
            # As User.get_full_name, else get_username.
            autore=f"{nome or ''} {cognome or ''}".strip() or (utente or ""),
        )
        for ente_id, stato, aggiornata_il, inviata_il, nome, cognome, utente in risposte
    }
    aggregazioni = list(AggregazioneTerritoriale.objects.filter(ambito=piano.ambito).select_related("ambito"))
    disponibili = calcolo.g.per_ente_id()
    errori = Counter(a.ente_id for a in calcolo.errori if a.ente_id)
    avvisi = Counter(a.ente_id for a in calcolo.avvisi if a.ente_id)
    stati = dict(StatoRisposta.choices)
    enti = EnteProprietario.objects.dell_ambito(piano.ambito).select_related("comune")
    if filtro_aggregazione:
        enti = enti.filter(comune__aggregazione__numero=int(filtro_aggregazione))
    righe = []
    for ente in enti:
        risposta = per_ente.get(ente.pk)
        stato = risposta.stato if risposta else StatoRisposta.NESSUNA
        if filtro_stato and stato != filtro_stato:
            continue
        righe.append(
            RigaCruscotto(
                ente=ente,
                stato=stato,
                stato_descrizione=stati[stato],
                risposta=risposta,
                disponibili=disponibili.get(ente.pk),
                errori=errori[ente.pk],
                avvisi=avvisi[ente.pk],
            )
        )
    # Comuni first, then ALER, then operatori accreditati, as the plan's tables.
    rango = {"comune": 0, "aler": 1, "operatore": 2}
    righe.sort(
        key=lambda r: (
            rango.get(r.ente.tipo, 3),
            chiave_nome(r.ente.comune.nome if r.ente.comune else r.ente.denominazione),
        )
    )
    hanno_risposto = sum(r.ha_risposto for r in righe)
    return render_to_string(
        "piano_annuale/_cruscotto_tabella.html",
        {
            "piano": piano,
            "p": calcolo,
            "righe": righe,
            "hanno_risposto": hanno_risposto,
            "per_stato": Counter(r.stato for r in righe),
            "aggregazioni": aggregazioni,
            "filtro_aggregazione": filtro_aggregazione,
            "filtro_stato": filtro_stato,
            "stati": StatoRisposta.choices,
        },
    )


@login_required
@require_POST
def promemoria(request: HttpRequest, pk: int) -> HttpResponse:
    """E-mail a reminder, with the deadline, to every ente that has not answered."""
    piano = get_object_or_404(
        PianoAnnuale.objects.dell_ufficio_di_piano(request.user).select_related("ambito"), pk=pk
    )
    if piano.stato not in PianoQuerySet.STATI_MODIFICABILI:
        messages.warning(request, "La ricognizione di questo piano è chiusa: nessun promemoria inviato.")
        return redirect("piano_annuale:cruscotto", pk=piano.pk)
    esito = invia_promemoria(
        piano=piano,
        indirizzo_area=lambda ente: request.build_absolute_uri(
            reverse("patrimonio:area_ente", args=[piano.pk, ente.pk])
        ),
    )
    if esito.enti:
        messages.success(
            request,
            f"Promemoria inviato a {len(esito.enti)} enti che non hanno ancora risposto "
            f"({esito.indirizzi} indirizzi e-mail).",
        )
    else:
        messages.info(
            request, "Nessun promemoria inviato: non ci sono enti senza risposta con un indirizzo e-mail."
        )
    if esito.senza_indirizzo:
        messages.warning(
            request,
            f"{len(esito.senza_indirizzo)} enti senza risposta non hanno alcun indirizzo e-mail registrato: "
            + ", ".join(esito.senza_indirizzo)
            + ".",
        )
    return redirect("piano_annuale:cruscotto", pk=piano.pk)
