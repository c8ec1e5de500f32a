"""The regional overview (issue 13): every ambito's plan at a glance, its exports and its map.

Only the regional observer and the platform administrator open it (``accesso.vede_la_regione``);
everyone else gets 403, by the page's address and by the exports' alike.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import urlencode

from ambito import italiano
from patrimonio.accesso import vede_la_regione
from patrimonio.esportazione import FileEsportato, Tabella, scrivi_csv, scrivi_xlsx
from piano_annuale.models import StatoPiano
from piano_annuale.panoramica import NESSUN_PIANO, RigaPanoramica, panoramica_regionale
from piano_annuale.panoramica_mappa import FIGURE, mappa_regionale
from piano_annuale.panoramica_tabella import COLONNE, Filtri, filtra, ordina, valori


def data_estesa(data: datetime.date) -> str:
    """«1° dicembre 2026», «31 dicembre 2026» (``ambito.italiano``, the one way dates are written)."""
    return italiano.data_estesa(data)


def cella(valore: object, campo: str = "") -> str:
    """A value of the table as the page prints it: Italian numbers and dates, a dash when missing."""
    if valore is None or valore == "":
        return "—"
    if campo == "anno":
        return str(valore)
    if isinstance(valore, datetime.date):
        return data_estesa(valore)
    if isinstance(valore, Decimal):
        return number_format(valore, use_l10n=True, force_grouping=True)
    if isinstance(valore, int):
        return number_format(valore, use_l10n=True, force_grouping=True)
    return str(valore)


def _righe(request: HttpRequest) -> tuple[Filtri, tuple[RigaPanoramica, ...], list[RigaPanoramica]]:
    if not vede_la_regione(request.user):
        raise PermissionDenied("La panoramica regionale è riservata all'osservatore regionale.")
    filtri = Filtri.da_richiesta(request.GET)
    tutte = panoramica_regionale()
    return filtri, tutte, ordina(filtra(tutte, filtri), filtri.ordina)


@login_required
def panoramica(request: HttpRequest) -> HttpResponse:
    """The table of every ambito, filtered and sorted by the query string, and the map."""
    filtri, tutte, righe = _righe(request)
    figura = request.GET.get("figura", "")
    mappa = mappa_regionale(righe, figura)
    intestazioni = []
    for colonna in COLONNE:
        attuale = filtri.ordina.removeprefix("-") == colonna.campo
        verso = "ascending" if attuale and not filtri.ordina.startswith("-") else "descending"
        prossimo = f"-{colonna.campo}" if attuale and verso == "ascending" else colonna.campo
        intestazioni.append(
            {
                "colonna": colonna,
                "url": "?" + urlencode(filtri.parametri(ordina=prossimo, figura=mappa.figura.codice)),
                "ordinata": verso if attuale else "",
            }
        )
    esporta = urlencode(filtri.parametri())
    return render(
        request,
        "piano_annuale/panoramica.html",
        {
            "filtri": filtri,
            "righe": [
                {
                    "riga": r,
                    "celle": [
                        (cella(v, c.campo), c.numerica) for v, c in zip(valori(r), COLONNE, strict=True)
                    ],
                }
                for r in righe
            ],
            "totale_ambiti": len(tutte),
            "intestazioni": intestazioni,
            "colonne": COLONNE,
            "province": sorted({r.provincia for r in tutte if r.provincia}),
            "stati": [(NESSUN_PIANO, "Nessun piano"), *StatoPiano.choices],
            "mappa": mappa,
            "figure": FIGURE,
            "url_csv": f"{reverse('piano_annuale:panoramica_esporta', args=['csv'])}?{esporta}",
            "url_xlsx": f"{reverse('piano_annuale:panoramica_esporta', args=['xlsx'])}?{esporta}",
        },
    )


@login_required
def panoramica_esporta(request: HttpRequest, formato: str) -> HttpResponse:
    """The rows the page shows (same filters and order) as csv or xlsx; the xlsx explains each column."""
    if formato not in ("csv", "xlsx"):
        raise Http404("Formato non previsto.")
    _, _, righe = _righe(request)
    intestazioni = tuple(c.intestazione for c in COLONNE)
    dati = tuple(valori(r) for r in righe)
    nome = f"panoramica-regionale-{datetime.date.today():%Y-%m-%d}.{formato}"
    if formato == "csv":
        file = FileEsportato(scrivi_csv(intestazioni, dati), nome, "csv")
    else:
        file = FileEsportato(
            scrivi_xlsx(
                [
                    Tabella("panoramica", "Panoramica regionale", intestazioni, dati),
                    Tabella(
                        "colonne",
                        "Significato delle colonne",
                        ("Colonna", "Significato"),
                        tuple((c.intestazione, c.significato) for c in COLONNE),
                    ),
                ]
            ),
            nome,
            "xlsx",
        )
    risposta = HttpResponse(file.contenuto, content_type=file.tipo_mime)
    risposta["Content-Disposition"] = f'attachment; filename="{file.nome}"'
    return risposta
