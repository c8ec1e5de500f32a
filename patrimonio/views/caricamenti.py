"""Spreadsheet uploads with their preview and confirmation, templates and exports."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from patrimonio import esportazione, importazione
from patrimonio.accesso import Operatore, utente_di
from patrimonio.importazione.job import (
    MESSAGGIO_NON_RIPROVABILE,
    STATI_ANNULLABILI,
    non_accodato,
    riprova_caricamento,
    riprovabile,
)
from patrimonio.tasks import analizza_caricamento_task, conferma_caricamento_task
from patrimonio.views.base import Area, carica_area, render_area
from piano_annuale.calcolo import piano_calcolato
from piano_annuale.catalogo import voce
from piano_annuale.lavori import accoda_dopo_commit
from piano_annuale.models import (
    Caricamento,
    PianoAnnuale,
    StatoCaricamento,
)
from piano_annuale.rendering import esportazione as esportazione_piano
from piano_annuale.rendering.tabelle import tabelle_del_piano

CARICAMENTI_IN_STORIA = 50
STATI_IN_CORSO = (StatoCaricamento.IN_LETTURA, StatoCaricamento.IN_SCRITTURA)


class CaricamentoForm(forms.Form):
    """The spreadsheet to upload. The ente is the page's: nothing posted can choose another."""

    file = forms.FileField(
        label="Foglio di calcolo da caricare",
        help_text="Excel (.xlsx, .xls), OpenDocument (.ods) o CSV, al massimo "
        f"{importazione.limite('DIMENSIONE_MASSIMA') // (1024 * 1024)} MB.",
        error_messages={"required": "Scegliere il file da caricare.", "empty": "Il file è vuoto."},
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            self.contenuto = importazione.contenuto_di(upload)
        except importazione.FileNonValido as errore:
            raise forms.ValidationError(str(errore)) from None
        return upload


def _scarica(file: esportazione.FileEsportato) -> HttpResponse:
    risposta = HttpResponse(file.contenuto, content_type=file.tipo_mime)
    risposta["Content-Disposition"] = f'attachment; filename="{file.nome}"'
    return risposta


def _chi_opera_per(area: Area) -> set[int]:
    """The users who act for the page's ente: an upload by anyone else (the ufficio di piano) is
    made on the ente's behalf, and the pages say so."""
    return set(Operatore.objects.filter(ente_id=area.ente.pk).values_list("user_id", flat=True))


def _caricamento(area: Area, pk: int) -> Caricamento:
    """An upload of the page's ente and plan; another ente's is a 404, whatever the link."""
    return get_object_or_404(
        Caricamento.objects.select_related("utente"), pk=pk, piano=area.piano, ente=area.ente
    )


@login_required
def caricamenti(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    """Templates to download, the upload form, and the ente's upload history."""
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    dati = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = CaricamentoForm(*dati)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        caricamento = importazione.crea_caricamento(
            piano=area.piano,
            ente=area.ente,
            utente=utente_di(request),
            nome_file=upload.name,
            contenuto=form.contenuto,
        )
        if importazione.in_background(form.contenuto, caricamento.nome_file):
            _accoda_lettura(caricamento.pk)
        else:
            importazione.analizza_caricamento(caricamento.pk, contenuto=form.contenuto)
        return redirect(area.url("caricamento", caricamento.pk))
    storia = Caricamento.objects.filter(piano=area.piano, ente=area.ente).select_related("utente")
    dell_ente = _chi_opera_per(area)
    storia_righe = list(storia[:CARICAMENTI_IN_STORIA])
    for c in storia_righe:
        c.per_conto = c.utente_id is not None and c.utente_id not in dell_ente  # type: ignore[attr-defined]
    return render_area(
        request,
        "caricamenti/elenco.html",
        area,
        form=form,
        storia=storia_righe,
        per_conto=request.user.pk not in dell_ente,
        formati=esportazione.FORMATI_MODELLO,
        piano_di_partenza=esportazione.piano_di_partenza(piano=area.piano, ente=area.ente),
        soglia=importazione.limite("RIGHE_IN_BACKGROUND"),
    )


def _accoda_lettura(pk: int) -> None:
    """Queue the reading of an upload; if the broker is unreachable the upload fails with a message."""
    accoda_dopo_commit(analizza_caricamento_task, pk, se_non_accodato=lambda: non_accodato(pk))


def _stato_caricamento(caricamento: Caricamento) -> dict[str, Any]:
    fermo = caricamento.stato in STATI_IN_CORSO and riprovabile(caricamento)
    return {
        "stato": caricamento.stato,
        "descrizione": caricamento.get_stato_display(),
        "progresso": caricamento.progresso,
        # A dead job is no longer «in corso» for the page: it stops polling and offers «Riprova».
        "in_corso": caricamento.stato in STATI_IN_CORSO and not fermo,
    }


@login_required
def caricamento(request: HttpRequest, piano: int, ente: int, caricamento: int) -> HttpResponse:
    """One upload: its progress, its preview (to confirm) or its errors, and its outcome."""
    area = carica_area(request, piano, ente)
    oggetto = _caricamento(area, caricamento)
    return render_area(
        request,
        "caricamenti/dettaglio.html",
        area,
        caricamento=oggetto,
        anteprima=oggetto.anteprima,
        stato=_stato_caricamento(oggetto),
        riprovabile=riprovabile(oggetto),
        annullabile=oggetto.stato in STATI_ANNULLABILI,
        errori_mostrati=oggetto.errori[:200],
        per_conto=oggetto.utente_id is not None and oggetto.utente_id not in _chi_opera_per(area),
    )


@login_required
def caricamento_stato(request: HttpRequest, piano: int, ente: int, caricamento: int) -> JsonResponse:
    """Progress of an upload read or written in the background, polled by its page."""
    area = carica_area(request, piano, ente)
    return JsonResponse(_stato_caricamento(_caricamento(area, caricamento)))


@login_required
@require_POST
def caricamento_conferma(request: HttpRequest, piano: int, ente: int, caricamento: int) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=True)
    oggetto = _caricamento(area, caricamento)
    if not importazione.prenota_conferma(oggetto):
        messages.error(request, "Questo caricamento non è in attesa di conferma: nulla è stato registrato.")
        return redirect(area.url("caricamento", oggetto.pk))
    if oggetto.righe > importazione.limite("RIGHE_IN_BACKGROUND"):
        utente_id = request.user.pk
        accoda_dopo_commit(
            conferma_caricamento_task,
            oggetto.pk,
            utente_id,
            se_non_accodato=lambda: non_accodato(oggetto.pk),
        )
    else:
        oggetto = importazione.conferma_caricamento(oggetto.pk, utente_id=request.user.pk)
        if oggetto.stato == StatoCaricamento.CONFERMATO:
            messages.success(request, oggetto.esito)
        else:
            messages.error(request, oggetto.esito)
    return redirect(area.url("caricamento", oggetto.pk))


@login_required
@require_POST
def caricamento_annulla(request: HttpRequest, piano: int, ente: int, caricamento: int) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=True)
    oggetto = _caricamento(area, caricamento)
    rifiuto = importazione.annulla_caricamento(oggetto)
    if rifiuto:
        messages.error(request, rifiuto)
        return redirect(area.url("caricamento", oggetto.pk))
    messages.success(request, f"Caricamento di «{oggetto.nome_file}» annullato: nulla è stato registrato.")
    return redirect(area.url("caricamenti"))


@login_required
@require_POST
def caricamento_riprova(request: HttpRequest, piano: int, ente: int, caricamento: int) -> HttpResponse:
    """Read the file again after a failure or an interrupted job (in the background)."""
    area = carica_area(request, piano, ente, per_modifica=True)
    oggetto = _caricamento(area, caricamento)
    with transaction.atomic():
        if not riprova_caricamento(oggetto):
            messages.error(request, MESSAGGIO_NON_RIPROVABILE)
            return redirect(area.url("caricamento", oggetto.pk))
        _accoda_lettura(oggetto.pk)
    messages.info(request, f"Lettura di «{oggetto.nome_file}» avviata di nuovo.")
    return redirect(area.url("caricamento", oggetto.pk))


@login_required
def caricamento_file(request: HttpRequest, piano: int, ente: int, caricamento: int) -> FileResponse:
    """The original file, as uploaded."""
    area = carica_area(request, piano, ente)
    oggetto = _caricamento(area, caricamento)
    if not oggetto.file:
        raise Http404("Il file non è più disponibile.")
    return FileResponse(oggetto.file.open("rb"), as_attachment=True, filename=oggetto.nome_file)


@login_required
def caricamento_errori(request: HttpRequest, piano: int, ente: int, caricamento: int) -> HttpResponse:
    """The upload's errors as CSV (values neutralised), to fix the file row by row."""
    area = carica_area(request, piano, ente)
    oggetto = _caricamento(area, caricamento)
    righe = [(e["foglio"], e["riga"], e["colonna"], e["valore"], e["messaggio"]) for e in oggetto.errori]
    nome = f"errori-{oggetto.pk}.csv"
    return _scarica(
        esportazione.FileEsportato(
            esportazione.scrivi_csv(("Foglio", "Riga", "Colonna", "Valore", "Errore"), righe), nome, "csv"
        )
    )


@login_required
def modello(request: HttpRequest, piano: int, ente: int, formato: str) -> HttpResponse:
    """The ente's template, prefilled with its data (for csv, ``?foglio=`` one of its sheets:
    ``turnover``, ``consistenza``, ``sat``, ``assegnazioni``; the units by default)."""
    area = carica_area(request, piano, ente)
    if formato not in esportazione.FORMATI_MODELLO:
        raise Http404("Formato non disponibile.")
    foglio = request.GET.get("foglio", "unita")
    if foglio not in esportazione.FOGLI_CSV:
        foglio = "unita"
    return _scarica(
        esportazione.modello_ente(piano=area.piano, ente=area.ente, formato=formato, foglio=foglio)
    )


@login_required
def unita_esporta(request: HttpRequest, piano: int, ente: int, formato: str) -> HttpResponse:
    """The ente's units with their state in the plan."""
    area = carica_area(request, piano, ente)
    if formato not in esportazione.FORMATI_ESPORTAZIONE:
        raise Http404("Formato non disponibile.")
    return _scarica(esportazione.unita_ente(piano=area.piano, ente=area.ente, formato=formato))


def _piano_dell_ufficio(request: HttpRequest, piano: int) -> PianoAnnuale:
    return get_object_or_404(
        PianoAnnuale.objects.dell_ufficio_di_piano(request.user).select_related("ambito"), pk=piano
    )


@login_required
def piano_esportazioni(request: HttpRequest, piano: int) -> HttpResponse:
    """The plan's tables to download (ufficio di piano), each beside the part of the plan it belongs to."""
    oggetto = _piano_dell_ufficio(request, piano)
    tabelle = [(voce(t.voce), t) for t in tabelle_del_piano(piano_calcolato(oggetto))]
    return render(
        request, "patrimonio/caricamenti/esportazioni_piano.html", {"piano": oggetto, "tabelle": tabelle}
    )


@login_required
def piano_esporta(request: HttpRequest, piano: int, formato: str, sezione: str = "") -> HttpResponse:
    """Every section as xlsx, or one section as csv, read from the computed plan."""
    oggetto = _piano_dell_ufficio(request, piano)
    calcolo = piano_calcolato(oggetto)
    if formato == "xlsx" and not sezione:
        return _scarica(esportazione_piano.piano_xlsx(calcolo))
    if formato == "csv" and sezione:
        try:
            return _scarica(esportazione_piano.tabella_csv(calcolo, sezione))
        except KeyError:
            raise Http404("Sezione sconosciuta.") from None
    raise Http404("Formato non disponibile.")
