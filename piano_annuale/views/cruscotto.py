"""The ufficio di piano's ricognizione dashboard and its reminders."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ambito.models import AggregazioneTerritoriale
from patrimonio.models import EnteProprietario
from piano_annuale.calcolo import RigaDisponibili, chiave_nome, piano_calcolato
from piano_annuale.models import (
    RISPOSTE_DATE,
    PianoAnnuale,
    PianoQuerySet,
    RispostaRicognizione,
    StatoRisposta,
)
from piano_annuale.services.promemoria import invia_promemoria

# --------------------------------------------------------------------------------------------
# Ricognizione dashboard of the ufficio di piano
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RigaCruscotto:
    ente: EnteProprietario
    stato: str
    stato_descrizione: str
    risposta: RispostaRicognizione | None
    disponibili: RigaDisponibili | None  # units available in the year (section g), by category
    errori: int
    avvisi: int

    @property
    def ha_risposto(self) -> bool:
        return self.stato in RISPOSTE_DATE


@login_required
def cruscotto(request: HttpRequest, pk: int) -> HttpResponse:
    """One row per ente: its answer, last change, units per category and anomalies.

    Reads the computed plan and three small queries: a fixed number whatever the size of the ambito.
    Rates and units are the computed plan's (ricognizione, section g): nothing is added up here but
    how many of the rows shown have answered.
    """
    piano = get_object_or_404(
        PianoAnnuale.objects.dell_ufficio_di_piano(request.user).select_related("ambito"), pk=pk
    )
    calcolo = piano_calcolato(piano)
    risposte = {
        r.ente_id: r for r in RispostaRicognizione.objects.filter(piano=piano).select_related("aggiornata_da")
    }
    aggregazioni = list(AggregazioneTerritoriale.objects.filter(ambito=piano.ambito).select_related("ambito"))
    disponibili = calcolo.g.per_ente_id()
    errori = Counter(a.ente_id for a in calcolo.errori if a.ente_id)
    avvisi = Counter(a.ente_id for a in calcolo.avvisi if a.ente_id)
    stati = dict(StatoRisposta.choices)

    filtro_aggregazione = request.GET.get("aggregazione", "")
    filtro_stato = request.GET.get("stato", "")
    if filtro_stato not in stati:
        filtro_stato = ""
    enti = EnteProprietario.objects.dell_ambito(piano.ambito).select_related("comune")
    if filtro_aggregazione.isdigit():
        enti = enti.filter(comune__aggregazione__numero=int(filtro_aggregazione))
    else:
        filtro_aggregazione = ""
    righe = []
    for ente in enti:
        risposta = risposte.get(ente.pk)
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
    return render(
        request,
        "piano_annuale/cruscotto.html",
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
            "ricognizione_aperta": piano.stato in PianoQuerySet.STATI_MODIFICABILI,
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
