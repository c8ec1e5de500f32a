"""Steps 1 and 2: the comuni (search, pasted list, capofila, ente strumentale) and the aggregazioni
(the word, the names, where each comune lies, by hand or from a file)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import ngettext

from ambito import istat
from ambito.models import AggregazioneTerritoriale, Ambito, Comune
from patrimonio.accesso import utente_di

from .. import aggregazioni as servizi_aggregazioni
from .. import territorio as servizi
from ..file import righe_del_file
from ..forms import (
    CapofilaForm,
    CercaComuniForm,
    ElencoComuniForm,
    FileForm,
    NuovaAggregazioneForm,
    TermineForm,
)
from .base import ambito_dell_ufficio, esegui, pagina, ritorno, scelta_intera


@dataclass(frozen=True)
class Trovato:
    """A search result: the ISTAT comune and where it stands (in this ambito, in another, free)."""

    comune: istat.ComuneIstat
    ambito: Ambito | None
    in_questo: bool


def _risultati(ambito: Ambito, testo: str) -> list[Trovato]:
    trovati = istat.cerca_comuni(testo, limite=20) if testo.strip() else []
    registrati = {
        c.codice_istat: c
        for c in Comune.objects.select_related("ambito").filter(
            codice_istat__in=[t.codice_istat for t in trovati]
        )
    }
    risultati = []
    for t in trovati:
        registrato = registrati.get(t.codice_istat)
        altro = registrato.ambito if registrato is not None else None
        risultati.append(Trovato(t, altro, altro is not None and altro.pk == ambito.pk))
    return risultati


def _comuni_dell_ambito(ambito: Ambito) -> list[Comune]:
    return list(
        Comune.objects.filter(ambito=ambito)
        .con_popolazione(istat.DATA_POPOLAZIONE)
        .select_related("aggregazione")
        .order_by("nome")
    )


@login_required
def comuni(request: HttpRequest, pk: int) -> HttpResponse:
    ambito = ambito_dell_ufficio(request, pk)
    cerca = CercaComuniForm(request.GET or None)
    testo = cerca.cleaned_data["q"] if cerca.is_valid() else ""
    elenco = ElencoComuniForm()
    capofila = CapofilaForm(ambito=ambito)
    status = 200
    if request.method == "POST":
        azione = request.POST.get("azione")
        status = 400
        if azione == "aggiungi":
            codice = request.POST.get("codice", "")
            fatti = esegui(
                request,
                None,
                lambda: servizi.aggiungi_comuni(ambito=ambito, codici=[codice], utente=utente_di(request)),
            )
            if fatti:
                messages.success(request, f"Il Comune di {fatti[0].nome} fa ora parte dell'ambito.")
                return redirect(request.get_full_path())
        elif azione == "elenco":
            elenco = ElencoComuniForm(request.POST)
            if elenco.is_valid():
                risolti = servizi.risolvi_comuni(elenco.cleaned_data["elenco"].splitlines())
                for errore in risolti.errori:
                    elenco.add_error("elenco", errore)
                if not risolti.errori:
                    codici = [c.codice_istat for c in risolti.comuni]
                    fatti = esegui(
                        request,
                        elenco,
                        lambda: servizi.aggiungi_comuni(
                            ambito=ambito, codici=codici, utente=utente_di(request)
                        ),
                    )
                    if fatti is not None:
                        messages.success(
                            request,
                            ngettext(
                                "%(n)d comune fa ora parte dell'ambito.",
                                "%(n)d comuni fanno ora parte dell'ambito.",
                                len(fatti),
                            )
                            % {"n": len(fatti)},
                        )
                        return ritorno("comuni", ambito, "comuni-ambito")
        elif azione == "togli":
            comune = get_object_or_404(Comune, pk=scelta_intera(request.POST.get("comune")), ambito=ambito)
            if esegui(
                request,
                None,
                lambda: servizi.togli_comune(ambito=ambito, comune=comune, utente=utente_di(request)) or True,
            ):
                messages.success(request, f"Il Comune di {comune.nome} non fa più parte dell'ambito.")
            return ritorno("comuni", ambito, "comuni-ambito")
        elif azione == "capofila":
            capofila = CapofilaForm(request.POST, ambito=ambito)
            if capofila.is_valid():
                fatto = esegui(
                    request,
                    capofila,
                    lambda: servizi.imposta_capofila(
                        ambito=ambito,
                        capofila=capofila.cleaned_data["comune_capofila"],
                        ente_strumentale=capofila.cleaned_data["ente_strumentale"],
                        utente=utente_di(request),
                    ),
                )
                if fatto is not None:
                    messages.success(request, "Comune capofila ed ente strumentale salvati.")
                    return ritorno("comuni", ambito, "capofila")
        else:
            status = 200
    return pagina(
        request,
        ambito,
        "comuni",
        {
            "cerca": cerca,
            "testo": testo,
            "risultati": _risultati(ambito, testo),
            "elenco": elenco,
            "capofila": capofila,
            "comuni": _comuni_dell_ambito(ambito),
            "data_popolazione": istat.DATA_POPOLAZIONE,
            "fonte_popolazione": istat.FONTE_POPOLAZIONE,
            "fonte_superficie": istat.FONTE_SUPERFICIE,
        },
        status=status,
    )


@login_required
def aggregazioni(request: HttpRequest, pk: int) -> HttpResponse:
    ambito = ambito_dell_ufficio(request, pk)
    termine = TermineForm(initial={"termine_aggregazioni": ambito.termine_aggregazioni})
    nuova = NuovaAggregazioneForm()
    file = FileForm(
        etichetta="File dei comuni e delle aggregazioni",
        aiuto="Due colonne: comune (nome o codice ISTAT) e aggregazione (numero o nome; un nome nuovo crea l'aggregazione).",
    )
    status = 200
    if request.method == "POST":
        azione = request.POST.get("azione")
        status = 400
        if azione == "termine":
            termine = TermineForm(request.POST)
            salvato = termine.is_valid() and (
                esegui(
                    request,
                    termine,
                    lambda: servizi_aggregazioni.imposta_termine(
                        ambito=ambito,
                        termine=termine.cleaned_data["termine_aggregazioni"],
                        utente=utente_di(request),
                    ),
                )
                is not None
            )
            if salvato:
                messages.success(request, "Parola per le aggregazioni salvata.")
                return ritorno("aggregazioni", ambito)
        elif azione == "nuova":
            nuova = NuovaAggregazioneForm(request.POST)
            if nuova.is_valid():
                creata = esegui(
                    request,
                    nuova,
                    lambda: servizi_aggregazioni.aggiungi_aggregazione(
                        ambito=ambito,
                        denominazione=nuova.cleaned_data["denominazione"],
                        utente=utente_di(request),
                    ),
                )
                if creata is not None:
                    messages.success(request, f"Aggregazione «{creata}» aggiunta.")
                    return ritorno("aggregazioni", ambito, "aggregazioni-ambito")
        elif azione == "elimina":
            aggregazione = get_object_or_404(
                AggregazioneTerritoriale, pk=scelta_intera(request.POST.get("aggregazione")), ambito=ambito
            )
            if esegui(
                request,
                None,
                lambda: (
                    servizi_aggregazioni.elimina_aggregazione(
                        aggregazione=aggregazione, utente=utente_di(request)
                    )
                    or True
                ),
            ):
                messages.success(
                    request, f"Aggregazione «{aggregazione}» eliminata: i suoi comuni sono da collocare."
                )
            return ritorno("aggregazioni", ambito, "aggregazioni-ambito")
        elif azione == "rinomina":
            nomi = {
                a.pk: request.POST.get(f"denominazione_{a.pk}", a.denominazione)
                for a in AggregazioneTerritoriale.objects.filter(ambito=ambito)
            }
            if esegui(
                request,
                None,
                lambda: (
                    servizi_aggregazioni.rinomina_aggregazioni(
                        ambito=ambito, denominazioni=nomi, utente=utente_di(request)
                    )
                    or True
                ),
            ):
                messages.success(request, "Nomi delle aggregazioni salvati.")
            return ritorno("aggregazioni", ambito, "aggregazioni-ambito")
        elif azione == "colloca":
            spostati = esegui(
                request,
                None,
                lambda: servizi_aggregazioni.colloca_comuni(
                    ambito=ambito,
                    collocazione={
                        c.pk: scelta_intera(request.POST.get(f"aggregazione_{c.pk}"))
                        for c in Comune.objects.filter(ambito=ambito)
                    },
                    utente=utente_di(request),
                ),
            )
            if spostati is not None:
                messages.success(
                    request,
                    ngettext("%(n)d comune collocato.", "%(n)d comuni collocati.", spostati)
                    % {"n": spostati},
                )
            return ritorno("aggregazioni", ambito, "collocazione")
        elif azione == "file":
            file = FileForm(
                request.POST,
                request.FILES,
                etichetta=str(file.fields["file"].label or "File"),
                aiuto="",
            )
            if file.is_valid():
                collocati = esegui(
                    request,
                    file,
                    lambda: servizi_aggregazioni.colloca_da_righe(
                        ambito=ambito,
                        righe=righe_del_file(file.cleaned_data["file"], colonne=2),
                        utente=utente_di(request),
                    ),
                )
                if collocati is not None:
                    messages.success(
                        request,
                        ngettext(
                            "Il file ha collocato %(n)d comune.",
                            "Il file ha collocato %(n)d comuni.",
                            collocati,
                        )
                        % {"n": collocati},
                    )
                    return ritorno("aggregazioni", ambito, "collocazione")
        else:
            status = 200
    return pagina(
        request,
        ambito,
        "aggregazioni",
        {
            "termine": termine,
            "nuova": nuova,
            "file": file,
            "aggregazioni": list(AggregazioneTerritoriale.objects.filter(ambito=ambito)),
            "comuni": _comuni_dell_ambito(ambito),
        },
        status=status,
    )
