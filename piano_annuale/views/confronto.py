"""Two versions of the plan side by side (or a version and the plan as it is now): what changed,
section by section, and ALER's observations with the answers the ufficio di piano gave between them."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from piano_annuale.calcolo import piano_calcolato
from piano_annuale.iter import note_di_chiusura
from piano_annuale.models import VersionePiano
from piano_annuale.rendering.versioni import confronta, json_versione
from piano_annuale.views.iter import _piano_leggibile

CORRENTE = "corrente"


@login_required
def confronto_versioni(request: HttpRequest, pk: int) -> HttpResponse:
    """Two versions side by side (or a version and the plan as it is now): what changed, by section."""
    piano = _piano_leggibile(request, pk)
    versioni = list(VersionePiano.objects.filter(piano=piano).select_related("creata_da").order_by("numero"))
    scelte = [
        (
            str(v.pk),
            f"Versione {v.numero} – {v.get_tipo_display()} ({timezone.localtime(v.creata_il):%d/%m/%Y})",
        )
        for v in versioni
    ]
    scelte.append((CORRENTE, "Il piano com'è ora (dati attuali)"))
    per_id = {str(v.pk): v for v in versioni}
    predefinite = [s for s, _ in scelte]
    da = request.GET.get("da") or (predefinite[-2] if len(predefinite) >= 2 else CORRENTE)
    a = request.GET.get("a") or predefinite[-1]
    if da not in predefinite or a not in predefinite:
        raise Http404("Versione non trovata.")

    def dati_di(scelta: str) -> dict:
        if scelta == CORRENTE:
            return json.loads(json_versione(piano_calcolato(piano), note_di_chiusura(piano)))
        return per_id[scelta].dati

    dati_da, dati_a = dati_di(da), dati_di(a)
    sezioni = confronta(dati_da, dati_a) if da != a else []
    etichette = dict(scelte)
    return render(
        request,
        "piano_annuale/iter/confronto.html",
        {
            "piano": piano,
            "scelte": scelte,
            "da": da,
            "a": a,
            "etichetta_da": etichette[da],
            "etichetta_a": etichette[a],
            "sezioni": sezioni,
            "con_differenze": [s for s in sezioni if s.differenze],
            "stesse": da == a,
            "osservazioni": osservazioni_a_confronto(dati_da, dati_a),
        },
    )


def osservazioni_a_confronto(prima: dict, dopo: dict) -> list[dict]:
    """ALER's observations as the later of the two plans records them, each with its answer there
    and in the earlier one: what the ufficio di piano answered between the two."""

    def elenco(dati: dict) -> list[dict]:
        return list((dati.get("note_chiusura") or {}).get("osservazioni") or [])

    def chiave(o: dict) -> tuple:
        return (o.get("versione"), o.get("sezione"), o.get("testo"))

    risposte_prima = {chiave(o): o.get("risposta", "") for o in elenco(prima)}
    return [
        o
        | {
            "risposta_prima": risposte_prima.get(chiave(o), ""),
            "nuova": chiave(o) not in risposte_prima,
            "risposta_cambiata": risposte_prima.get(chiave(o), "") != o.get("risposta", ""),
        }
        for o in elenco(dopo)
    ]
