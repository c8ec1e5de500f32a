"""The letters at approval, as PDF and as editable DOCX: each ente's to the Prefettura (art. 7 bis)
and, under R.R. 2/2025, each ente's to a comune's Polizia Locale (art. 7 ter).

Who: whoever reads the approved plan reads the letters of the enti they may see
(``EnteProprietario.objects.visibili_a``): all for the ufficio di piano, their own ente's for a
comune's or ALER's operator, none for the Assemblea. Anyone else gets a 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from patrimonio.models import EnteProprietario
from piano_annuale.models import Approvazione, PianoAnnuale
from piano_annuale.rendering.lettere import (
    QUOTA_7BIS,
    QUOTA_7TER,
    Lettera,
    lettere_approvazione,
    pdf_lettera,
    versione_approvata,
)
from piano_annuale.rendering.lettere_docx import docx_lettera

TIPO_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def lettere_leggibili(request: HttpRequest, piano: PianoAnnuale) -> list[Lettera]:
    """The approved plan's letters the user may download."""
    versione = versione_approvata(piano.pk)
    approvazione = Approvazione.objects.filter(piano=piano).first()
    if versione is None or approvazione is None:
        return []
    capofila = piano.ambito.comune_capofila
    enti = set(
        EnteProprietario.objects.visibili_a(request.user)
        .filter(ambito_id=piano.ambito_id)
        .values_list("pk", flat=True)
    )
    return [
        lettera
        for lettera in lettere_approvazione(
            versione, approvazione, provincia=capofila.provincia if capofila else None
        )
        if lettera.ente_id in enti
    ]


def _scarica(
    request: HttpRequest, pk: int, chiave: tuple[str, int, int | None], formato: str
) -> HttpResponse:
    piano = get_object_or_404(PianoAnnuale.objects.visibili_a(request.user).select_related("ambito"), pk=pk)
    lettera = next(
        (x for x in lettere_leggibili(request, piano) if (x.quota, x.ente_id, x.comune_id) == chiave), None
    )
    if lettera is None:
        raise Http404("Nessuna lettera per questo ente.")
    if formato == "docx":
        risposta = HttpResponse(docx_lettera(lettera), content_type=TIPO_DOCX)
    else:
        risposta = HttpResponse(pdf_lettera(lettera), content_type="application/pdf")
    risposta["Content-Disposition"] = f'attachment; filename="{lettera.nome_file(formato)}"'
    return risposta


@login_required
def lettera_prefettura(request: HttpRequest, pk: int, ente: int, formato: str = "pdf") -> HttpResponse:
    """The letter of one ente to the Prefettura (art. 7 bis c. 2), from the approved version."""
    return _scarica(request, pk, (QUOTA_7BIS, ente, None), formato)


@login_required
def lettera_polizia_locale(
    request: HttpRequest, pk: int, ente: int, comune: int, formato: str = "pdf"
) -> HttpResponse:
    """The letter of one ente to a comune's Comando di Polizia Locale (art. 7 ter), approved version."""
    return _scarica(request, pk, (QUOTA_7TER, ente, comune), formato)
