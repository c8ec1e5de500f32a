"""The ente workspace's home and its answer (nulla da dichiarare, submit, reopen); confirming
carried-over states and a unit's history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ambito.italiano import con_articolo, con_preposizione
from patrimonio.models import UnitaAbitativa
from patrimonio.views.base import STATI, Area, carica_area, da_confermare, render_area
from piano_annuale.calcolo import (
    SEGNAPOSTO_CSRF,
    Anomalia,
    chiave_attuale,
    con_csrf,
    dati_in_cache,
    piano_calcolato_con_chiave,
    testo_in_cache,
)
from piano_annuale.controlli.dell_ente import CORREZIONE_NELL_AREA, ControlliDellEnte, controlli_dell_ente
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    RiepilogoDichiarato,
    ScelteEnte,
    Stato,
    StatoPiano,
    StatoUnita,
    TurnoverPrevisto,
)
from piano_annuale.rendering.lettere import Lettera, lettere_dell_ente
from piano_annuale.services.ente import dichiara_nulla, invia_risposta, riapri_risposta
from piano_annuale.services.errori import OperazioneNonValida

# Overview and the answer
# --------------------------------------------------------------------------------------------


def controlli_dell_area(area: Area) -> tuple[ControlliDellEnte, str | None]:
    """The checks of the catalogue that concern the page's ente, as its reader may see them (only the
    ufficio di piano reads other enti's detail), and the key of the plan's computation."""
    calcolo, chiave = piano_calcolato_con_chiave(area.piano)
    inviata = area.risposta is not None and area.risposta.ha_risposto
    controlli = controlli_dell_ente(
        calcolo.anomalie, area.ente.pk, ufficio_di_piano=area.ufficio_di_piano, prima_dell_invio=not inviata
    )
    return controlli, chiave


# Part of the cached body's key: change it when _area_ente_contenuto.html or what it reads changes.
VERSIONE_CONTENUTO = 1


@login_required
def area_ente(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    area = carica_area(request, piano, ente)
    chiave = chiave_delle_cifre(area)

    def cifre() -> dict[str, object]:
        return dati_in_cache(chiave, lambda: _cifre_dell_ente(area))

    contenuto = con_csrf(request, contenuto_dell_area(area, chiave, cifre))
    return render_area(request, "area_ente.html", area, contenuto=contenuto)


def chiave_delle_cifre(area: Area) -> str | None:
    """The cache key of the ente's figures (None: not cached). They change only with a write, which
    changes the plan's revision and so the key. An approved plan's key is its frozen version while the
    registry may still change: no cache there."""
    chiave = chiave_attuale(area.piano)  # no query: carica_area read the plan with its key
    if chiave is None or area.piano.stato == StatoPiano.APPROVATA:
        return None
    return f"{chiave}:area{area.ente.pk}"


def contenuto_dell_area(area: Area, chiave_cifre: str | None, cifre: Callable[[], dict[str, object]]) -> str:
    """The page's body (figures, checks with their links, letters), rendered once per revision of the
    plan, kind of reader (only the ufficio di piano reads other enti's detail and reopens) and state of
    the answer and of the data (modifiable or not). It holds no request's data: its forms carry
    ``SEGNAPOSTO_CSRF`` (``con_csrf``)."""
    chiave = None
    if chiave_cifre is not None:
        r = area.risposta
        # The answer's state and sending time are in the revision too (the answer is a row of the
        # plan); naming them costs nothing and ties the «sent on» line to them whatever writes it.
        risposta = f"{r.stato}-{r.inviata_il.isoformat() if r.inviata_il else ''}" if r else "nessuna"
        lettore = "ufficio" if area.ufficio_di_piano else "ente"
        chiave = (
            f"{chiave_cifre}:contenuto{VERSIONE_CONTENUTO}:lettore-{lettore}"
            f":modificabile{int(area.modificabile)}:risposta-{risposta}"
        )

    def rendi() -> str:
        # Every reader of the workspace sees the ente's own checks, so problems surface before sending.
        controlli, _ = controlli_dell_area(area)
        return render_to_string(
            "patrimonio/_area_ente_contenuto.html",
            {
                "area": area,
                **cifre(),
                "lettere_approvazione": _lettere_approvazione(area),
                "regole": area.piano.regole_applicate().valori,
                "controlli": controlli,
                "anomalie": [collega(area, a) for a in controlli.tutte],
                "csrf_token": SEGNAPOSTO_CSRF,
            },
        )

    return testo_in_cache(chiave, rendi)


def _cifre_dell_ente(area: Area) -> dict[str, object]:
    """What the ente has declared in the plan: units per state, turnover, SAT and its rows."""
    per_stato = {
        r["stato"]: r["numero"]
        for r in StatoUnita.objects.del_piano(area.piano)
        .filter(unita__ente=area.ente)
        .values("stato")
        .annotate(numero=Count("pk"))
        .order_by()
    }
    filtro = {"piano": area.piano, "ente": area.ente}
    consistenze = list(ConsistenzaDichiarata.objects.filter(**filtro))
    return {
        "stati": [(STATI[s], per_stato.get(s, 0)) for s in Stato.values],
        "unita_nel_piano": sum(per_stato.values()),
        "unita_registro": UnitaAbitativa.objects.filter(ente=area.ente).count(),
        "turnover": TurnoverPrevisto.objects.filter(**filtro).aggregate(n=Sum("numero"))["n"] or 0,
        "sat": DestinazioneSAT.objects.filter(**filtro).aggregate(n=Sum("numero"))["n"] or 0,
        # The ente's total and, counted, its optional breakdown per comune: one query.
        "consistenza": next((c for c in consistenze if c.comune_id is None), None),
        "consistenze_per_comune": sum(c.comune_id is not None for c in consistenze),
        "dichiarato": RiepilogoDichiarato.objects.filter(**filtro).first(),
        "scelte": ScelteEnte.objects.filter(**filtro).first(),
        "assegnazioni": AssegnazioniAnnoPrecedente.objects.filter(**filtro).first(),
        "da_confermare": da_confermare(area),
    }


def _azione_risposta(
    request: HttpRequest, area: Area, azione: Callable[..., None], conferma: str
) -> HttpResponse:
    try:
        azione(piano=area.piano, ente=area.ente, utente=request.user)
    except OperazioneNonValida as errore:
        messages.error(request, str(errore))
    else:
        messages.success(request, conferma)
    return redirect(area.url("area_ente"))


@login_required
@require_POST
def nulla_da_dichiarare(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=True)
    return _azione_risposta(
        request,
        area,
        dichiara_nulla,
        f"Risposta inviata: {con_articolo(area.ente)} non ha nulla da dichiarare per il piano {area.piano.anno}.",
    )


@login_required
def invia(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    """«Invia la risposta»: a page that says what sending does and lists the ente's checks. Errors
    block the sending; warnings ask for a confirmation («Invia comunque»)."""
    area = carica_area(request, piano, ente, per_modifica=True)
    controlli, _ = controlli_dell_area(area)
    if request.method == "POST":
        if da_confermare(area):
            # States carried over from last year come first: the service refuses with its message.
            return _azione_risposta(request, area, invia_risposta, "")
        if controlli.bloccano:
            messages.error(
                request,
                ngettext(
                    "La risposta non è stata inviata: c'è %(n)d errore da correggere.",
                    "La risposta non è stata inviata: ci sono %(n)d errori da correggere.",
                    len(controlli.errori),
                )
                % {"n": len(controlli.errori)},
            )
        elif controlli.avvisi and request.POST.get("conferma_avvisi") != "1":
            messages.warning(
                request,
                "Per inviare la risposta con gli avvisi indicati, spuntare la conferma e premere «Invia comunque».",
            )
        else:
            return _azione_risposta(
                request,
                area,
                invia_risposta,
                "Risposta inviata all'ufficio di piano. I dati sono ora bloccati: per modificarli occorre "
                "chiedere all'ufficio di piano di riaprire la risposta.",
            )
    risposta = render_area(
        request,
        "invia.html",
        area,
        controlli=controlli,
        errori=[collega(area, a) for a in controlli.errori],
        avvisi=[collega(area, a) for a in controlli.avvisi],
    )
    if request.method == "POST":
        risposta.status_code = 409 if controlli.bloccano else 400
    return risposta


@dataclass(frozen=True)
class AnomaliaCollegata:
    """An anomaly with the workspace page that fixes it."""

    anomalia: Anomalia
    url: str
    testo_link: str


def collega(area: Area, a: Anomalia) -> AnomaliaCollegata:
    if a.unita_id:
        return AnomaliaCollegata(a, area.url("unita_modifica", a.unita_id), "Apri l'unità")
    nome, testo = CORREZIONE_NELL_AREA.get(
        a.codice, ("area_ente" if a.codice.startswith("R") else "unita_elenco", "Apri le unità")
    )
    return AnomaliaCollegata(a, area.url(nome), testo)


@login_required
def riapri(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    """«Riapri la risposta»: a page that says what reopening does (GET); the button on it reopens
    (POST). Only the ufficio di piano reopens."""
    area = carica_area(request, piano, ente)
    if not area.ufficio_di_piano:
        raise PermissionDenied("Solo l'ufficio di piano può riaprire una risposta inviata.")
    if request.method == "POST":
        return _azione_risposta(
            request,
            area,
            riapri_risposta,
            f"Risposta {con_preposizione(area.ente, 'di')} riaperta: l'ente può di nuovo modificare i dati "
            "e inviarli.",
        )
    return render_area(request, "riapri.html", area)


# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Year over year and the audit (issue 6): the states carried over from last year's plan are
# confirmed unit by unit or all together; each unit's history shows every recorded change.
# --------------------------------------------------------------------------------------------


def _lettere_approvazione(area: Area) -> list[Lettera]:
    """The ente's letters once the plan is approved: to the Prefettura (R.R. 4/2017 art. 7 bis c. 2)
    and, under R.R. 2/2025, to each comune's Polizia Locale (art. 7 ter)."""
    if area.piano.stato != StatoPiano.APPROVATA:
        return []
    capofila = area.piano.ambito.comune_capofila
    return lettere_dell_ente(area.piano.pk, area.ente.pk, provincia=capofila.provincia if capofila else None)
