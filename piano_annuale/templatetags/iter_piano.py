"""Template tags of the plan's workflow outside its own pages: ALER's observations beside the sections
of the plan page, the notice on the home page that a parere is awaited, and dates as Italians write
them («1° dicembre 2026»)."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import timezone

from patrimonio.accesso import Ruolo, ha_ruolo
from piano_annuale import catalogo
from piano_annuale.calcolo import piano_calcolato
from piano_annuale.forms_iter import OsservazioniForm, RispostaForm
from piano_annuale.iter import data_estesa, puo_esprimere_il_parere, ultima_versione_inviata
from piano_annuale.models import OsservazioneAler, PianoAnnuale, SezionePiano, StatoPiano
from piano_annuale.transizioni import ESPRIMI_PARERE, stati_di_partenza

register = template.Library()


@register.filter
def data_lunga(valore: datetime.date | datetime.datetime | None) -> str:
    """«14 febbraio 2025», «1° dicembre 2026» (a moment is read in local time)."""
    if valore is None:
        return ""
    if isinstance(valore, datetime.datetime):
        valore = timezone.localtime(valore).date()
    return data_estesa(valore)


# The observable parts the plan page does not print (the narratives are read in the PDF).
FUORI_PAGINA = {"premessa", "contesto"}


def _ancora(sezione: str) -> str:
    """The id of the section on the plan page; none for the plan as a whole and for the parts the
    page does not print, whose blocks stay in the observations' panel."""
    if sezione == catalogo.GENERALE[0] or sezione in FUORI_PAGINA:
        return ""
    return catalogo.voce(sezione).ancora


@register.inclusion_tag("piano_annuale/iter/_osservazioni_pagina.html", takes_context=True)
def osservazioni_sul_piano(context: template.Context, piano: PianoAnnuale) -> dict[str, Any]:
    """ALER's observations on the plan page, one block per section (``iter.js`` moves each block
    beside its section): ALER writes several at once while its parere is due, the ufficio di piano
    answers each in the same place. Nothing for the other readers."""
    user = context["request"].user
    # As ``PianoAnnuale.objects.dell_ufficio_di_piano``, from the request's roles (read once).
    ufficio = ha_ruolo(user, piano.ambito_id, Ruolo.UFFICIO_DI_PIANO)
    aler = puo_esprimere_il_parere(user, piano)
    scrive = aler and piano.stato in stati_di_partenza(ESPRIMI_PARERE)
    if not (ufficio or aler):
        return {"visibile": False}
    osservazioni = list(
        OsservazioneAler.objects.filter(piano=piano)
        .select_related("versione", "autore", "risposta_di")
        .order_by("versione__numero", "creata_il", "pk")
    )
    if not scrive and not osservazioni:
        return {"visibile": False}
    calcolo = piano_calcolato(piano)
    form = OsservazioniForm() if scrive else None
    inviata = ultima_versione_inviata(piano) if scrive else None
    risponde = ufficio and piano.stato != StatoPiano.APPROVATA
    blocchi = []
    for valore, etichetta in SezionePiano.choices:
        if valore != catalogo.GENERALE[0] and not catalogo.presente(catalogo.voce(valore), calcolo):
            continue
        della_sezione = [
            (o, RispostaForm(initial={"risposta": o.risposta}, prefix=f"o{o.pk}") if risponde else None)
            for o in osservazioni
            if o.sezione == valore
        ]
        if not della_sezione and not scrive:
            continue
        blocchi.append(
            {
                "sezione": valore,
                "etichetta": etichetta,
                "ancora": _ancora(valore),
                "osservazioni": della_sezione,
                "campo": form.campo(valore) if form else None,
            }
        )
    return {
        "visibile": True,
        "piano": piano,
        "blocchi": blocchi,
        "scrive": scrive,
        "ufficio": ufficio,
        "risponde": risponde,
        "versione": inviata,
        "senza_risposta": sum(1 for o in osservazioni if not o.risposta),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("piano_annuale/iter/_pareri_attesi.html", takes_context=True)
def pareri_attesi(context: template.Context) -> dict[str, Any]:
    """For ALER's operator: the plans sent to it whose parere it has still to give."""
    user = context["request"].user
    piani = [
        p
        for p in PianoAnnuale.objects.visibili_a(user)
        .filter(stato__in=stati_di_partenza(ESPRIMI_PARERE))
        .select_related("ambito")
        .order_by("ambito__nome", "anno")
        if puo_esprimere_il_parere(user, p)
    ]
    attesi = []
    for piano in piani:
        inviata = ultima_versione_inviata(piano)
        attesi.append(
            {
                "piano": piano,
                "inviata_il": inviata.creata_il if inviata else None,
                "osservazioni": OsservazioneAler.objects.filter(piano=piano, versione=inviata).count()
                if inviata
                else 0,
            }
        )
    return {"attesi": attesi}
