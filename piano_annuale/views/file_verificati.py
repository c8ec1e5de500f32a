"""Downloads of frozen files: the bytes that passed ``file_verificato``, or an Italian error page."""

from __future__ import annotations

import io

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from piano_annuale.models import PianoAnnuale
from piano_annuale.rendering.versioni import FileNonVerificato, file_verificato


def pagina_file_non_verificato(
    request: HttpRequest, errore: FileNonVerificato, *, piano: PianoAnnuale
) -> HttpResponse:
    """The error page of a file that is missing (410) or not the one recorded (409)."""
    return render(
        request,
        "piano_annuale/documento/file_non_verificato.html",
        {"piano": piano, "messaggio": errore.messaggio, "mancante": errore.status == 410},
        status=errore.status,
    )


def scarica_verificato(
    request: HttpRequest,
    campo: FieldFile,
    sha256_atteso: str,
    *,
    piano: PianoAnnuale,
    descrizione: str,
    nome_file: str,
) -> HttpResponseBase:
    """The PDF as an attachment named ``nome_file``, only if its SHA-256 is ``sha256_atteso``."""
    try:
        contenuto = file_verificato(campo, sha256_atteso, descrizione=descrizione)
    except FileNonVerificato as errore:
        return pagina_file_non_verificato(request, errore, piano=piano)
    return FileResponse(
        io.BytesIO(contenuto), as_attachment=True, filename=nome_file, content_type="application/pdf"
    )
