"""The ente's units: list, add, edit, remove."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, FilteredRelation, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from patrimonio.accesso import utente_di
from patrimonio.forms import UNITA_VUOTA, StatoUnitaForm, UnitaForm, unita_vuota
from patrimonio.models import UnitaAbitativa
from patrimonio.views.base import (
    STATI,
    UNITA_PER_PAGINA,
    Area,
    carica_area,
    da_confermare,
    esegui,
    render_area,
)
from piano_annuale.forms import aggiorna_versione
from piano_annuale.models import (
    Modifica,
    Stato,
    StatoUnita,
)
from piano_annuale.services.ente import conferma_stati, elimina_unita, salva_unita
from piano_annuale.services.versioni import CAMPO_VERSIONE, ModificaConcorrente, perimetro_unita
from piano_annuale.storico import righe_storico

# Units
# --------------------------------------------------------------------------------------------


@login_required
def unita_elenco(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    """The ente's units with their state in the plan: searchable, filterable, paginated."""
    area = carica_area(request, piano, ente)
    unita = (
        UnitaAbitativa.objects.visibili_a(request.user)
        .filter(ente=area.ente)
        .annotate(nel_piano=FilteredRelation("stati", condition=Q(stati__piano=area.piano)))
        .annotate(
            stato_piano=F("nel_piano__stato"),
            programma_piano=F("nel_piano__programma"),
            da_confermare=F("nel_piano__da_confermare"),
        )
        .select_related("comune")
        .order_by("comune__nome", "id_regionale", "codice_ente", "pk")
    )
    cerca = request.GET.get("q", "").strip()[:100]
    if cerca:
        unita = unita.filter(
            Q(id_regionale__icontains=cerca)
            | Q(codice_ente__icontains=cerca)
            | Q(comune__nome__icontains=cerca)
            | Q(indirizzo__icontains=cerca)
        )
    stato = request.GET.get("stato", "")
    if stato == "nessuno":
        unita = unita.filter(stato_piano__isnull=True)
    elif stato == "da_confermare":
        unita = unita.filter(da_confermare=True)
    elif stato in STATI:
        unita = unita.filter(stato_piano=stato)
    else:
        stato = ""
    pagina = Paginator(unita, UNITA_PER_PAGINA).get_page(request.GET.get("pagina"))
    for u in pagina:
        u.descrizione_stato = STATI.get(u.stato_piano, "")
    return render_area(
        request,
        "unita_elenco.html",
        area,
        pagina=pagina,
        cerca=cerca,
        stato=stato,
        scelte_stato=[
            ("", "Tutte"),
            *Stato.choices,
            ("nessuno", "Senza stato nell'anno"),
            ("da_confermare", f"Stato ripreso dal {area.piano.anno_precedente}, da confermare"),
        ],
        da_confermare=da_confermare(area),
    )


def _unita_dell_ente(request: HttpRequest, area: Area, unita_pk: int) -> UnitaAbitativa:
    return get_object_or_404(
        UnitaAbitativa.objects.visibili_a(request.user).filter(ente=area.ente), pk=unita_pk
    )


@login_required
def unita_modulo(request: HttpRequest, piano: int, ente: int, unita: int | None = None) -> HttpResponse:
    """Add a unit (``unita`` None) or change one, with its state in the plan."""
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    istanza = _unita_dell_ente(request, area, unita) if unita is not None else UnitaAbitativa(ente=area.ente)
    stato = None
    if istanza.pk:
        stato = StatoUnita.objects.filter(piano=area.piano, unita=istanza).first()
    stato = stato or StatoUnita(piano=area.piano)
    dati = request.POST if request.method == "POST" else None
    # The version of the unit and its state as this page shows them: a stale save is refused.
    iniziali = (
        {CAMPO_VERSIONE: perimetro_unita(area.piano.pk, istanza.pk).versione()}
        if istanza.pk and dati is None
        else {}
    )
    form = UnitaForm(dati, instance=istanza, ente=area.ente, piano=area.piano, initial=iniziali)
    form_stato = StatoUnitaForm(dati, instance=stato, regole=area.piano.regole_applicate().valori)
    conflitto = False
    if dati is not None and form.is_valid() & form_stato.is_valid() and unita_vuota(form, form_stato):
        form.add_error(None, UNITA_VUOTA)
    elif dati is not None and form.is_valid() and form_stato.is_valid():
        valori_unita = {campo: form.cleaned_data[campo] for campo in form.Meta.fields}
        salvata: list[UnitaAbitativa] = []

        def salva() -> None:
            nonlocal conflitto
            try:
                salvata.append(
                    salva_unita(
                        piano=area.piano,
                        ente=area.ente,
                        utente=utente_di(request),
                        valori_unita=valori_unita,
                        valori_stato=form_stato.valori(),
                        unita=istanza if istanza.pk else None,
                        versione=form.cleaned_data[CAMPO_VERSIONE],
                    )
                )
            except ModificaConcorrente as errore:
                conflitto = True
                aggiorna_versione(form, errore.versione)
                raise

        if esegui(form, salva):
            messages.success(request, f"Unità salvata: {salvata[0]}.")
            if "salva_e_nuova" in request.POST:
                return redirect(area.url("unita_nuova"))
            return redirect(area.url("unita_elenco"))
    risposta = render_area(
        request, "unita_modulo.html", area, form=form, form_stato=form_stato, unita=istanza
    )
    if conflitto:
        risposta.status_code = 409  # Conflict: the unit changed after the form was loaded
    return risposta


@login_required
def unita_elimina(request: HttpRequest, piano: int, ente: int, unita: int) -> HttpResponse:
    """Confirm, then remove the unit from the plan (and from the registry if no other plan uses it)."""
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    istanza = _unita_dell_ente(request, area, unita)
    if request.method == "POST":
        descrizione = str(istanza)
        try:
            cancellata = elimina_unita(
                piano=area.piano,
                ente=area.ente,
                utente=utente_di(request),
                unita=istanza,
                versione=request.POST.get(CAMPO_VERSIONE, ""),
            )
        except ModificaConcorrente as errore:
            messages.error(request, str(errore))
            return redirect(request.path)
        if cancellata:
            messages.success(request, f"Unità eliminata: {descrizione}.")
        else:
            messages.success(
                request,
                f"{descrizione}: tolta dal piano {area.piano.anno}. Resta nel registro dell'ente perché "
                "è contata in altri piani.",
            )
        return redirect(area.url("unita_elenco"))
    altri_piani = StatoUnita.objects.filter(unita=istanza).exclude(piano=area.piano).count()
    return render_area(
        request,
        "unita_elimina.html",
        area,
        unita=istanza,
        altri_piani=altri_piani,
        versione=perimetro_unita(area.piano.pk, istanza.pk).versione(),
    )


# --------------------------------------------------------------------------------------------


def _torna_all_elenco(request: HttpRequest, area: Area) -> HttpResponse:
    # Back to the page of the list the user was on (its search and filter), never elsewhere.
    ritorno = request.POST.get("ritorno", "")
    if ritorno.startswith("?"):
        return redirect(area.url("unita_elenco") + ritorno)
    return redirect(area.url("unita_elenco"))


@login_required
@require_POST
def unita_conferma(request: HttpRequest, piano: int, ente: int, unita: int) -> HttpResponse:
    """Confirm one unit's state carried over from last year's plan."""
    area = carica_area(request, piano, ente, per_modifica=True)
    istanza = _unita_dell_ente(request, area, unita)
    if conferma_stati(piano=area.piano, ente=area.ente, utente=utente_di(request), unita=[istanza.pk]):
        messages.success(request, f"Stato confermato per {istanza}.")
    else:
        messages.info(request, f"Lo stato di {istanza} non era da confermare.")
    return _torna_all_elenco(request, area)


@login_required
@require_POST
def unita_conferma_tutte(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    """Confirm every state carried over from last year's plan at once."""
    area = carica_area(request, piano, ente, per_modifica=True)
    confermati = conferma_stati(piano=area.piano, ente=area.ente, utente=utente_di(request))
    messages.success(
        request,
        (
            ngettext(
                "Confermato lo stato di %(n)s unità.", "Confermati gli stati di %(n)s unità.", confermati
            )
            % {"n": confermati}
        )
        if confermati
        else "Nessuno stato da confermare.",
    )
    return _torna_all_elenco(request, area)


@login_required
def unita_storico(request: HttpRequest, piano: int, ente: int, unita: int) -> HttpResponse:
    """Every recorded change of the unit and of its states in each plan: who, when, before → after."""
    area = carica_area(request, piano, ente)
    istanza = _unita_dell_ente(request, area, unita)
    modifiche = Modifica.objects.dell_unita(istanza.pk).select_related("utente")
    pagina = Paginator(modifiche, 100).get_page(request.GET.get("pagina"))
    return render_area(
        request,
        "unita_storico.html",
        area,
        unita=istanza,
        pagina=pagina,
        righe=righe_storico(pagina.object_list, nascosti={"unita_id"}),
    )
