"""The plan's home and page, and its JSON: each reads the single computed result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.db.models import Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import ngettext

from patrimonio.accesso import Ruolo, operatore_di, ruoli_nell_ambito
from piano_annuale.calcolo import (
    SEGNAPOSTO_CSRF,
    Anomalia,
    PianoCalcolato,
    chiave_attuale,
    con_chiave,
    con_csrf,
    impronta_del_piano,
    json_del_piano,
    piano_calcolato,
    testo_in_cache,
)
from piano_annuale.catalogo import VOCI, presente
from piano_annuale.controlli import CONTROLLI
from piano_annuale.controlli.dell_ente import CORREZIONE_NELL_AREA
from piano_annuale.iter import quadro_iter
from piano_annuale.models import (
    PianoAnnuale,
    TipoVersione,
    VersionePiano,
)
from piano_annuale.rendering.pdf import unita_allegato_b
from piano_annuale.rendering.versioni import totali_sezioni

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The plans the user reaches, each with the links the access rules give: read the plan
    (``visibili_a``), follow its ricognizione (``dell_ufficio_di_piano``), fill in their ente's data
    (``compilabili_da`` and the ente of ``EnteProprietario.objects.visibili_a``)."""
    utente = request.user
    leggibili = set(PianoAnnuale.objects.visibili_a(utente).values_list("pk", flat=True))
    compilabili = set(PianoAnnuale.objects.compilabili_da(utente).values_list("pk", flat=True))
    gestiti = set(PianoAnnuale.objects.dell_ufficio_di_piano(utente).values_list("pk", flat=True))
    piani = (
        PianoAnnuale.objects.filter(pk__in=leggibili | compilabili)
        .select_related("ambito")
        .order_by("ambito__nome", "-anno")
    )
    operatore = operatore_di(utente)
    # A comune's or ALER's operator fills in their own ente; the ufficio di piano opens enti from
    # the ricognizione dashboard instead.
    ente = operatore.ente if operatore is not None and operatore.ente_rappresentato_id else None
    voci = [
        {
            "piano": piano,
            "leggibile": piano.pk in leggibili,
            "ricognizione": piano.pk in gestiti,
            "ente": ente if ente and piano.pk in compilabili and ente.ambito_id == piano.ambito_id else None,
        }
        for piano in piani
    ]
    return render(request, "piano_annuale/home.html", {"voci": voci, "operatore": operatore})


# The parts the page prints, in its order: the checks first (what to fix), then the plan as the
# catalogue orders it. Parte seconda and terza are the misure app's templates. The parts of some rule
# sets only (cost of works of b, c bis, d bis, i.b) are printed when the plan has them (``presente``).
PARTI_DELLA_PAGINA = (
    "controlli",
    "anagrafe",
    "ricognizione",
    *("a", "b", "costi_b", "c", "cbis", "d", "dbis", "e", "f", "g", "h", "i", "ib", "j", "k"),
    "parte_seconda",
    "parte_terza",
    "allegato_a",
    "allegato_b",
    "sintesi",
)


# Part of the rendered content's cache key: change it when _contenuto.html or what it reads changes.
# 2: content beside a sticky index, the checks collapsed by severity with a link for each, none for
# the Assemblea; 3: D01 opens the declared figures, Allegato A's «Nulla da dichiarare», the
# population's source.
VERSIONE_PAGINA = 3


class Lettore:
    """The kinds of reader the page's content is rendered for (part of its cache key)."""

    UFFICIO = "ufficio"  # the ufficio di piano of the ambito: the checks, each with the data to correct
    ASSEMBLEA = "assemblea"  # a mayor of the Assemblea only: the plan, without the working checks
    ALTRI = "altri"  # enti, ALER, observers: the checks, without links


def tipo_di_lettore(ruoli: frozenset[str]) -> str:
    """The kind of reader a person with ``ruoli`` in the plan's ambito is."""
    if Ruolo.UFFICIO_DI_PIANO in ruoli:
        return Lettore.UFFICIO
    if ruoli == {Ruolo.ASSEMBLEA}:
        return Lettore.ASSEMBLEA
    return Lettore.ALTRI


def _con_il_precedente(user: User | AnonymousUser, pk: int) -> tuple[PianoAnnuale, PianoAnnuale | None]:
    """The plan ``pk`` and its ambito's plan of the year before, each if ``user`` reads it, with one
    query (404 without the first)."""
    scelto = PianoAnnuale.objects.filter(pk=pk).order_by()
    anno = Subquery(scelto.values("anno"))
    piani = {
        p.anno: p
        for p in con_chiave(PianoAnnuale.objects.visibili_a(user))
        .filter(ambito_id=Subquery(scelto.values("ambito_id")), anno__gte=anno - 1, anno__lte=anno)
        .order_by()  # two rows into a dict: the model's ordering would join the ambito to sort them
    }
    piano = next((p for p in piani.values() if p.pk == pk), None)
    if piano is None:
        raise Http404("Piano non trovato.")
    return piano, piani.get(piano.anno - 1)


@login_required
def piano_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan page. Its body (workflow panel, sections, annexes, checks, ALER's observations) is
    rendered once per revision of the plan (and of last year's, which it compares) and per set of
    roles of the reader in the ambito, which decide everything it shows: the next step, the links
    to correct, the observations' forms. A hit costs one query: the plan and last year's (the roles
    come from the memberships the request read)."""
    user = request.user
    piano, precedente = _con_il_precedente(user, pk)
    ruoli = ruoli_nell_ambito(user, piano.ambito_id)
    # Links to the object at fault only for who can open it: the ufficio di piano of the ambito (as
    # ``PianoAnnuale.objects.dell_ufficio_di_piano``; superusers hold every role).
    correggibile = Ruolo.UFFICIO_DI_PIANO in ruoli
    chiavi = [chiave_attuale(piano), *([chiave_attuale(precedente)] if precedente else [])]
    chiave = None
    if None not in chiavi:
        chiave = (
            f"{':'.join(map(str, chiavi))}:pagina-intera{VERSIONE_PAGINA}:ruoli-{'+'.join(sorted(ruoli))}"
        )

    def rendi() -> str:
        calcolo = piano_calcolato(piano)
        lettore = tipo_di_lettore(ruoli)
        con_controlli = lettore != Lettore.ASSEMBLEA
        parti = [v for v in PARTI_DELLA_PAGINA if con_controlli or v != "controlli"]
        return render_to_string(
            "piano_annuale/pagina/_pagina.html",
            {
                "request": request,  # the observations' tag reads its user
                "csrf_token": SEGNAPOSTO_CSRF,
                "piano": piano,
                "p": calcolo,
                "correggibile": correggibile,
                "quadro": quadro_iter(piano, user, errori=calcolo.errori, ufficio_di_piano=correggibile),
                "indice": [VOCI[voce] for voce in parti if presente(VOCI[voce], calcolo)],
                "precedente": precedente,
                "con_controlli": con_controlli,
                "contenuto": _contenuto(piano, calcolo, precedente, lettore=lettore),
            },
        )

    corpo = con_csrf(request, testo_in_cache(chiave, rendi))
    return render(
        request,
        "piano_annuale/piano_detail.html",
        {
            "piano": piano,
            "correggibile": correggibile,
            "corpo": corpo,
        },
    )


@dataclass(frozen=True)
class Correzione:
    """Where an anomaly is corrected: the page and what the link says."""

    url: str
    etichetta: str


@dataclass(frozen=True)
class GruppoAnomalie:
    """The anomalies of one severity, as the page lists them in a <details>."""

    gravita: str
    titolo: str  # «3 errori», «1 avviso»
    nota: str
    righe: tuple[tuple[Anomalia, Correzione | None], ...]


# The Parte seconda checks about the contributo di solidarietà: its split is one form.
CONTROLLI_SOLIDARIETA = frozenset({"M10", "M11", "M12", "M13"})


def correzione(a: Anomalia, calcolo: PianoCalcolato, piano_pk: int) -> Correzione | None:
    """The form that corrects ``a``: the unit, the ente's data, or Parte seconda's measure, avviso or
    contributo di solidarietà (the misure app's forms), found from what the message names."""
    if a.ente_id and a.unita_id:
        return Correzione(
            reverse("patrimonio:unita_modifica", args=[piano_pk, a.ente_id, a.unita_id]), "Apri l'unità"
        )
    if a.ente_id:
        # The workspace's page that fixes the check (D01: the ente's declared platform figures).
        nome, _ = CORREZIONE_NELL_AREA.get(a.codice, ("area_ente", ""))
        return Correzione(reverse(f"patrimonio:{nome}", args=[piano_pk, a.ente_id]), "Apri i dati dell'ente")
    seconda = calcolo.parte_seconda
    if not a.codice.startswith("M") or seconda is None:
        return None
    if a.codice in CONTROLLI_SOLIDARIETA:
        return Correzione(reverse("misure:solidarieta", args=[piano_pk]), "Apri il riparto della solidarietà")
    for avviso in seconda.avvisi:
        if f"«{avviso.titolo}»" in a.messaggio:
            return Correzione(reverse("misure:avviso", args=[piano_pk, avviso.id]), "Apri l'avviso")
    for misura in seconda.misure:
        if a.messaggio.startswith(f"{misura.titolo}:") or f"«{misura.titolo}»" in a.messaggio:
            return Correzione(reverse("misure:misura", args=[piano_pk, misura.id]), "Apri la misura")
    return Correzione(reverse("misure:panoramica", args=[piano_pk]), "Apri le misure")


def gruppi_anomalie(
    calcolo: PianoCalcolato, piano_pk: int, *, con_collegamenti: bool
) -> list[GruppoAnomalie]:
    gruppi = []
    for gravita, anomalie in (("errore", calcolo.errori), ("avviso", calcolo.avvisi)):
        if not anomalie:
            continue
        n = len(anomalie)
        if gravita == "errore":
            titolo = ngettext("%(n)d errore", "%(n)d errori", n) % {"n": n}
            nota = ngettext(
                "blocca l'invio ad ALER e l'approvazione", "bloccano l'invio ad ALER e l'approvazione", n
            )
        else:
            titolo = ngettext("%(n)d avviso", "%(n)d avvisi", n) % {"n": n}
            nota = ngettext("da verificare, non blocca il piano", "da verificare, non bloccano il piano", n)
        righe = tuple((a, correzione(a, calcolo, piano_pk) if con_collegamenti else None) for a in anomalie)
        gruppi.append(GruppoAnomalie(gravita, titolo, nota, righe))
    return gruppi


def _contenuto(
    piano: PianoAnnuale,
    calcolo: PianoCalcolato,
    precedente: PianoAnnuale | None,
    *,
    lettore: str,
) -> SafeString:
    """The sections, annexes and checks of the page, rendered once per content of the computed plan
    (``impronta_del_piano``: a write that changes no figure, such as the address of a unit the plan
    does not list, renders nothing again), per revision of last year's plan (the comparison) and per
    kind of reader: they hold no user's data, form or nonce, and read nothing but the computation,
    last year's totals and the plan's id (the links). Rendering them is most of the page's cost (a
    large ambito's tables)."""
    impronta = impronta_del_piano(piano)
    chiave = None
    if impronta is not None:
        chiave = f"poa:pagina{VERSIONE_PAGINA}:piano{piano.pk}:contenuto-{impronta}:lettore-{lettore}"
        if precedente is not None:
            chiave_precedente = chiave_attuale(precedente)
            chiave = None if chiave_precedente is None else f"{chiave}:precedente-{chiave_precedente}"
    correggibile = lettore == Lettore.UFFICIO

    def rendi() -> str:
        return render_to_string(
            "piano_annuale/pagina/_contenuto.html",
            {
                "piano": piano,
                "p": calcolo,
                "c": VOCI,
                "con_ib": presente(VOCI["ib"], calcolo),
                "unita_b": unita_allegato_b(calcolo),  # with the cost of works where the rules state it
                "controlli": CONTROLLI,
                "con_controlli": lettore != Lettore.ASSEMBLEA,
                "gruppi_anomalie": gruppi_anomalie(calcolo, piano.pk, con_collegamenti=correggibile),
                "correggibile": correggibile,
                **_anno_precedente(precedente, calcolo),
            },
        )

    # The fragment is made of escaped template output only.
    return mark_safe(testo_in_cache(chiave, rendi))  # noqa: S308


def _anno_precedente(precedente: PianoAnnuale | None, calcolo: PianoCalcolato) -> dict[str, object]:
    """Each section's total beside last year's: from last year's approved version when there is one
    (the numbers the Assemblea approved), else from last year's plan computed now."""
    if precedente is None:
        return {"precedente": None, "totali": {}, "confronto_anni": []}
    approvata = VersionePiano.objects.filter(piano=precedente, tipo=TipoVersione.APPROVATA).first()
    dati_precedenti = approvata.dati if approvata else piano_calcolato(precedente).as_dict()
    confronto = totali_sezioni(calcolo.as_dict(), dati_precedenti)
    return {
        "precedente": precedente,
        "precedente_approvato": approvata is not None,
        "totali": {t.chiave: t for t in confronto},
        "confronto_anni": confronto,
    }


@login_required
def piano_json(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole computed plan as JSON."""
    piano = get_object_or_404(con_chiave(PianoAnnuale.objects.visibili_a(request.user)), pk=pk)
    # The text is cached with the computation: encoding a large plan costs more than reading it.
    return HttpResponse(json_del_piano(piano), content_type="application/json")
