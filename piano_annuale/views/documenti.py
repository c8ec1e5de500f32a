"""The plan's PDF documents (request, progress, download) and its editable texts."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from piano_annuale.calcolo import piano_calcolato
from piano_annuale.models import (
    DocumentoPiano,
    PianoAnnuale,
    SezioneTesto,
    StatoDocumento,
    StatoPiano,
    TipoVersione,
    VersionePiano,
)
from piano_annuale.rendering.pdf import nome_file
from piano_annuale.rendering.testi import (
    SEGNAPOSTI,
    TestiNonValidi,
    html_sicuro,
    salva_testi,
    testi_del_piano,
    valori_segnaposti,
)
from piano_annuale.rendering.testi_importati import FORMATI, DocumentoNonValido, importa_documento
from piano_annuale.rendering.versioni import FILE_MANCANTE, FileNonVerificato
from piano_annuale.tasks import richiedi_pdf, riprova_pdf_versione
from piano_annuale.views.file_verificati import pagina_file_non_verificato, scarica_verificato

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# The plan as a PDF for the Assemblea dei Sindaci (rendered in the background)
# --------------------------------------------------------------------------------------------


def _documento_del_piano(request: HttpRequest, pk: int, documento_pk: int) -> DocumentoPiano:
    """A PDF of a plan the user may read (the Assemblea once the plan reaches it); 404 for anyone else."""
    return get_object_or_404(
        DocumentoPiano.objects.select_related("piano__ambito"),
        pk=documento_pk,
        piano_id=pk,
        piano__in=PianoAnnuale.objects.visibili_a(request.user),
    )


def _stato_documento(documento: DocumentoPiano) -> dict[str, object]:
    pronto = documento.stato == StatoDocumento.PRONTO
    return {
        "stato": documento.stato,
        "descrizione": documento.get_stato_display(),
        "progresso": documento.progresso,
        "errore": documento.errore,
        "scarica": (
            reverse("piano_annuale:documento_scarica", args=[documento.piano_id, documento.pk])
            if pronto
            else None
        ),
    }


@login_required
@require_POST
def piano_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for the plan's PDF: the existing file when the data are unchanged, else a new rendering.

    Rendering only reads the plan, so whoever may read it may ask for its PDF."""
    piano = get_object_or_404(PianoAnnuale.objects.visibili_a(request.user), pk=pk)
    approvata = VersionePiano.objects.filter(piano=piano, tipo=TipoVersione.APPROVATA).first()
    if approvata is not None:  # the approved PDF is the frozen one, never rendered again
        return redirect("piano_annuale:versione_pdf", pk=piano.pk, versione=approvata.pk)
    documento = richiedi_pdf(piano=piano, utente=request.user)
    return redirect("piano_annuale:documento_stato", pk=piano.pk, documento_pk=documento.pk)


@login_required
@require_POST
def versione_pdf_riprova(request: HttpRequest, pk: int, documento_pk: int) -> HttpResponse:
    """Render a frozen version's PDF again after a failure or an interrupted job (in the background)."""
    documento = _documento_del_piano(request, pk, documento_pk)
    if not riprova_pdf_versione(documento):
        messages.error(
            request, "Il PDF di questa versione non è fallito né interrotto: non c'è nulla da riprovare."
        )
    return redirect("piano_annuale:documento_stato", pk=pk, documento_pk=documento.pk)


@login_required
def documento_stato(request: HttpRequest, pk: int, documento_pk: int) -> HttpResponse:
    """Progress of a PDF, then its download link."""
    documento = _documento_del_piano(request, pk, documento_pk)
    return render(
        request,
        "piano_annuale/documento/stato.html",
        {
            "documento": documento,
            "piano": documento.piano,
            "stato": _stato_documento(documento),
            "in_attesa": documento.stato in (StatoDocumento.IN_CODA, StatoDocumento.IN_CORSO),
            "nome_file": nome_file(
                documento.piano.ambito.nome, documento.piano.anno, definitiva=documento.definitivo
            ),
        },
    )


@login_required
def documento_stato_json(request: HttpRequest, pk: int, documento_pk: int) -> JsonResponse:
    """The same progress as JSON, polled by the status page."""
    return JsonResponse(_stato_documento(_documento_del_piano(request, pk, documento_pk)))


@login_required
def documento_scarica(request: HttpRequest, pk: int, documento_pk: int) -> HttpResponseBase:
    """The PDF file, named for the reader: «POA-2025-Ambito-…-BOZZA.pdf».

    An approved PDF, and any PDF whose digest was recorded, is served only if its SHA-256 matches
    (else 409/410 and a log line); a draft without a recorded digest only if the file exists (410)."""
    documento = _documento_del_piano(request, pk, documento_pk)
    if documento.stato != StatoDocumento.PRONTO or not documento.file:
        raise Http404("Il PDF non è ancora pronto.")
    piano = documento.piano
    nome = nome_file(piano.ambito.nome, piano.anno, definitiva=documento.definitivo)
    descrizione = f"PDF {'approvato' if documento.definitivo else 'in bozza'} del piano {piano.anno}"
    if documento.definitivo or documento.sha256:
        return scarica_verificato(
            request, documento.file, documento.sha256, piano=piano, descrizione=descrizione, nome_file=nome
        )
    try:
        contenuto = documento.file.open("rb")
    except OSError as errore:
        logger.error("PDF del piano mancante: %s (%s): %s", descrizione, documento.file.name, errore)
        return pagina_file_non_verificato(
            request,
            FileNonVerificato(
                f"Il file «{descrizione}» non è più disponibile: richiedere di nuovo il PDF del piano.",
                status=FILE_MANCANTE,
            ),
            piano=piano,
        )
    return FileResponse(contenuto, as_attachment=True, filename=nome, content_type="application/pdf")


@login_required
def piano_testi(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan's narratives, written with the rich-text editor (or imported from a .docx/.odt) by
    the ufficio di piano until the plan is approved; placeholders show the plan's figures."""
    piano = get_object_or_404(
        PianoAnnuale.objects.dell_ufficio_di_piano(request.user).select_related("ambito"), pk=pk
    )
    modificabile = piano.stato != StatoPiano.APPROVATA  # the approved plan's PDF is final
    testi = testi_del_piano(piano)
    scritti: dict[str, str] | None = None  # what was posted, shown again when it is refused
    if request.method == "POST":
        if not modificabile:
            return HttpResponseForbidden("Il piano è approvato: i testi non sono più modificabili.")
        try:
            if "importa" in request.POST:
                sezione = request.POST.get("sezione", "")
                documento = request.FILES.get("documento")
                if sezione not in SezioneTesto.values:
                    raise TestiNonValidi("Scegliere la parte del piano in cui importare il testo.")
                if documento is None:
                    raise TestiNonValidi("Scegliere il file .docx o .odt da importare.")
                html = importa_documento(documento, documento.name or "")
                salva_testi(piano=piano, testi={**testi, sezione: html}, utente=request.user)
                messages.success(
                    request,
                    f"Testo importato da «{documento.name}» in «{SezioneTesto(sezione).label}»: "
                    "controllarlo qui sotto.",
                )
            else:
                scritti = {sezione: request.POST.get(sezione, "") for sezione in SezioneTesto.values}
                salva_testi(piano=piano, testi=scritti, utente=request.user)
                messages.success(request, "Testi del piano salvati.")
            return redirect("piano_annuale:piano_testi", pk=piano.pk)
        except (TestiNonValidi, DocumentoNonValido) as errore:
            messages.error(request, str(errore))
    calcolo = piano_calcolato(piano)
    propri = set(piano.testi.exclude(testo="").values_list("sezione", flat=True))
    sezioni = [
        {
            "codice": sezione,
            "titolo": titolo,
            # The editor edits HTML: a Markdown text (a default) is shown converted.
            "testo": scritti[sezione] if scritti is not None else html_sicuro(testi[sezione]),
            "anteprima": html_sicuro(testi[sezione], calcolo),
            "predefinito": sezione not in propri,
            "facoltativo": not testi[sezione].strip(),
        }
        for sezione, titolo in SezioneTesto.choices
    ]
    valori = valori_segnaposti(calcolo)
    segnaposti = [(nome, s.descrizione, valori[nome]) for nome, s in SEGNAPOSTI.items()]
    return render(
        request,
        "piano_annuale/documento/testi.html",
        {
            "piano": piano,
            "sezioni": sezioni,
            "modificabile": modificabile,
            "segnaposti": segnaposti,
            "formati": ", ".join(FORMATI.values()),
        },
        status=400 if scritti is not None else 200,
    )
