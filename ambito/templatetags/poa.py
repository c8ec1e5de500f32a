"""The signed-in user's profile for the page frame: role, ambito, ente, and the navigation it gives.

The profile and the navigation ask the access policy (``patrimonio.accesso``) who the user is and
what their role gives; the navigation only *shows* the way: what a user may open is decided by the
querysets' access rules (``visibili_a``, ``modificabili_da``, ``dell_ufficio_di_piano``) in every view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import template
from django.http import HttpRequest
from django.urls import reverse

from ambito.models import Ambito
from patrimonio.accesso import (
    Operatore,
    appartenenze_di,
    appartenenze_in_uso,
    descrizione_profilo,
    ha_ruolo_regionale,
    usa_l_amministrazione,
)
from patrimonio.models import EnteProprietario
from piano_annuale.models import PianoAnnuale

register = template.Library()


@dataclass(frozen=True)
class VoceMenu:
    etichetta: str
    url: str
    attiva: bool


@dataclass(frozen=True)
class PianoPerMenu:
    """The latest plan of the ambito in use, as the menu's links name it."""

    pk: int
    anno: int


@dataclass(frozen=True)
class Profilo:
    autenticato: bool
    nome: str = ""
    ruolo: str = ""
    descrizione_ruolo: str = ""
    ambito: Ambito | None = None
    ente: EnteProprietario | None = None
    menu: tuple[VoceMenu, ...] = field(default_factory=tuple)
    # The ambiti the person may switch to from the header (more than one only for several memberships).
    ambiti: tuple[Ambito, ...] = field(default_factory=tuple)


# url names (namespace:name) that light up each menu entry.
SEZIONI_MENU = {
    "home": {"piano_annuale:home", "piano_annuale:piano_detail"},
    "ricognizione": {"piano_annuale:cruscotto", "patrimonio:"},  # the ufficio opens enti from there
    "area": {"patrimonio:"},  # every page of the ente workspace
    "insediamento": {"insediamento:"},  # the onboarding's steps and the platform's ambiti
    "regione": {"piano_annuale:panoramica"},  # the regional overview
}


def _attiva(request: HttpRequest, sezione: str) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    nome = f"{match.namespace}:{match.url_name}"
    return any(
        nome == voce or (voce.endswith(":") and nome.startswith(voce)) for voce in SEZIONI_MENU[sezione]
    )


def _ambiti(appartenenze: list[Operatore]) -> tuple[Ambito, ...]:
    ambiti: dict[int, Ambito] = {}
    for appartenenza in appartenenze:
        if appartenenza.ambito is not None:
            ambiti.setdefault(appartenenza.ambito.pk, appartenenza.ambito)
    return tuple(ambiti.values())


def profilo_di(request: HttpRequest) -> Profilo:
    """The profile of the request's user, computed once per request (two queries at most: the
    memberships, unless the access rules read them already, and the latest plan)."""
    memo = getattr(request, "_profilo_poa", None)
    if isinstance(memo, Profilo):
        return memo
    user = request.user
    if not user.is_authenticated:
        profilo = Profilo(autenticato=False)
    else:
        # The memberships the access rules read in this request; the ambito in use's latest plan (the
        # menu's links) with one short query.
        appartenenze = appartenenze_di(user)
        operatore = next(iter(appartenenze_in_uso(user, appartenenze)), None)
        piano = None
        if operatore is not None and operatore.ambito_id is not None:
            ultimo = (
                PianoAnnuale.objects.filter(ambito_id=operatore.ambito_id)
                .order_by("-anno")
                .values_list("pk", "anno")
                .first()
            )
            piano = PianoPerMenu(*ultimo) if ultimo else None
        menu = [VoceMenu("Piani annuali", reverse("piano_annuale:home"), _attiva(request, "home"))]
        if piano and operatore and operatore.segue_la_ricognizione:
            menu.append(
                VoceMenu(
                    f"Ricognizione {piano.anno}",
                    reverse("piano_annuale:cruscotto", args=[piano.pk]),
                    _attiva(request, "ricognizione"),
                )
            )
        if piano and operatore and operatore.ente_rappresentato_id:
            menu.append(
                VoceMenu(
                    f"Dati dell'ente {piano.anno}",
                    reverse("patrimonio:area_ente", args=[piano.pk, operatore.ente_rappresentato_id]),
                    _attiva(request, "area"),
                )
            )
        if operatore and operatore.segue_la_ricognizione and operatore.ambito_id is not None:
            menu.append(
                VoceMenu(
                    "Ambito e operatori",
                    reverse("insediamento:comuni", args=[operatore.ambito_id]),
                    _attiva(request, "insediamento"),
                )
            )
        if user.is_superuser:
            menu.append(
                VoceMenu(
                    "Ambiti della piattaforma",
                    reverse("insediamento:ambiti"),
                    _attiva(request, "insediamento"),
                )
            )
        # The regional overview: the regional observer and the platform administrator (as
        # ``accesso.vede_la_regione`` says, from the memberships already read).
        if user.is_superuser or ha_ruolo_regionale(appartenenze):
            menu.append(
                VoceMenu(
                    "Panoramica regionale", reverse("piano_annuale:panoramica"), _attiva(request, "regione")
                )
            )
        if usa_l_amministrazione(user):
            menu.append(VoceMenu("Amministrazione", reverse("admin:index"), False))
        descrizione = descrizione_profilo(user, operatore)
        profilo = Profilo(
            autenticato=True,
            nome=user.get_full_name() or user.get_username(),
            ruolo=operatore.ruolo if operatore else "",
            descrizione_ruolo=descrizione,
            ambito=operatore.ambito if operatore else None,
            ente=operatore.ente if operatore else None,
            menu=tuple(menu),
            ambiti=_ambiti(appartenenze),
        )
    # A per-request memo on the request object, an attribute HttpRequest does not declare.
    request._profilo_poa = profilo  # type: ignore[attr-defined]
    return profilo


@register.simple_tag(takes_context=True)
def profilo(context: dict[str, Any]) -> Profilo:
    request = context.get("request")
    if request is None:
        return Profilo(autenticato=False)
    return profilo_di(request)
