"""The figures declared on the regional platform and the consistenza per comune.

- The ufficio di piano uploads the platform's programming report (Allegato A layout, one row per
  ente) once for all enti: preview with the changes ente by ente, row errors, confirm or cancel.
  Only the ufficio di piano of the plan's ambito reaches these pages
  (``PianoAnnuale.objects.dell_ufficio_di_piano``): anyone else gets a 404.
- Each ente sees, beside what the plan computes from its data, the figures it declared on the
  platform, and corrects them in its workspace (``dichiarato``): check D01 links here.
- In its workspace an ente with units in several comuni may declare its consistenza per comune
  (``consistenza_comuni``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ambito.models import Comune
from patrimonio import importazione
from patrimonio.accesso import utente_di
from patrimonio.importazione.errori import DatiCambiati
from patrimonio.importazione.piattaforma_job import (
    ERRORI_IN_ANTEPRIMA,
    analizza_caricamento_piattaforma,
    annulla_caricamento_piattaforma,
    conferma_caricamento_piattaforma,
    crea_caricamento_piattaforma,
)
from patrimonio.views.base import carica_area, esegui, render_area
from piano_annuale.calcolo import piano_calcolato
from piano_annuale.calcolo.allegati import riga_allegato_a_di
from piano_annuale.calcolo.dati import DatiPiano
from piano_annuale.controlli.parte_prima import CAMPI_RIEPILOGO, CAMPI_RIEPILOGO_RIPETUTI
from piano_annuale.forms import aggiorna_versione
from piano_annuale.models import (
    CaricamentoPiattaforma,
    ConsistenzaDichiarata,
    PianoAnnuale,
    PianoQuerySet,
    RiepilogoDichiarato,
    StatoCaricamento,
)
from piano_annuale.services.consistenza import salva_consistenza_per_comune
from piano_annuale.services.errori import OperazioneNonValida
from piano_annuale.services.piattaforma import CAMPI_DICHIARATI, NON_NULLI, salva_dichiarato
from piano_annuale.services.versioni import CAMPO_VERSIONE, ModificaConcorrente, perimetro_dell_ente

CARICAMENTI_IN_STORIA = 20
PERCENTUALI = {"soglia_indigenti": 80, "forze_polizia": 100}


# --------------------------------------------------------------------------------------------
# The ufficio di piano's upload of the platform's report
# --------------------------------------------------------------------------------------------


class ReportForm(forms.Form):
    file = forms.FileField(
        label="Report della piattaforma regionale",
        help_text="Il report sintetico del modulo di programmazione (colonne dell'Allegato A, una riga per ente): "
        "Excel (.xlsx, .xls), OpenDocument (.ods) o CSV.",
        error_messages={"required": "Scegliere il file da caricare.", "empty": "Il file è vuoto."},
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            self.contenuto = importazione.contenuto_di(upload)
        except importazione.FileNonValido as errore:
            raise forms.ValidationError(str(errore)) from None
        return upload


def _piano_dell_ufficio(request: HttpRequest, piano: int) -> PianoAnnuale:
    return get_object_or_404(
        PianoAnnuale.objects.dell_ufficio_di_piano(request.user).select_related("ambito"), pk=piano
    )


def _caricamento(piano: PianoAnnuale, pk: int) -> CaricamentoPiattaforma:
    return get_object_or_404(
        CaricamentoPiattaforma.objects.select_related("utente", "piano__ambito"), pk=pk, piano=piano
    )


@login_required
def piattaforma(request: HttpRequest, piano: int) -> HttpResponse:
    """The upload form and the history of the plan's platform reports."""
    p = _piano_dell_ufficio(request, piano)
    dati = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = ReportForm(*dati)
    modificabile = p.stato in PianoQuerySet.STATI_MODIFICABILI
    if request.method == "POST" and modificabile and form.is_valid():
        try:
            caricamento = crea_caricamento_piattaforma(
                piano=p,
                utente=utente_di(request),
                nome_file=form.cleaned_data["file"].name,
                contenuto=form.contenuto,
            )
        except importazione.FileNonValido as errore:
            form.add_error("file", str(errore))
        else:
            analizza_caricamento_piattaforma(caricamento, form.contenuto)
            return redirect("patrimonio:piattaforma_caricamento", p.pk, caricamento.pk)
    storia = CaricamentoPiattaforma.objects.filter(piano=p).select_related("utente")[:CARICAMENTI_IN_STORIA]
    dichiarati = RiepilogoDichiarato.objects.filter(piano=p).count()
    return render(
        request,
        "patrimonio/piattaforma/elenco.html",
        {"piano": p, "form": form, "storia": storia, "modificabile": modificabile, "dichiarati": dichiarati},
    )


@login_required
def piattaforma_caricamento(request: HttpRequest, piano: int, caricamento: int) -> HttpResponse:
    p = _piano_dell_ufficio(request, piano)
    c = _caricamento(p, caricamento)
    return render(
        request,
        "patrimonio/piattaforma/dettaglio.html",
        {
            "piano": p,
            "caricamento": c,
            "anteprima": c.anteprima,
            "errori_mostrati": c.errori[:ERRORI_IN_ANTEPRIMA],
            "confermabile": c.stato == StatoCaricamento.ANTEPRIMA
            and p.stato in PianoQuerySet.STATI_MODIFICABILI,
        },
    )


@login_required
@require_POST
def piattaforma_conferma(request: HttpRequest, piano: int, caricamento: int) -> HttpResponse:
    p = _piano_dell_ufficio(request, piano)
    c = _caricamento(p, caricamento)
    try:
        conferma_caricamento_piattaforma(c, utente_di(request))
    except DatiCambiati as cambio:
        messages.warning(request, str(cambio))
    except OperazioneNonValida as errore:  # ModificaNonConsentita too: the plan has left the ricognizione
        messages.error(request, str(errore))
    else:
        messages.success(request, c.esito)
    return redirect("patrimonio:piattaforma_caricamento", p.pk, c.pk)


@login_required
@require_POST
def piattaforma_annulla(request: HttpRequest, piano: int, caricamento: int) -> HttpResponse:
    p = _piano_dell_ufficio(request, piano)
    c = _caricamento(p, caricamento)
    try:
        annulla_caricamento_piattaforma(c)
    except OperazioneNonValida as errore:
        messages.error(request, str(errore))
    return redirect("patrimonio:piattaforma_caricamento", p.pk, c.pk)


@login_required
def piattaforma_file(request: HttpRequest, piano: int, caricamento: int) -> FileResponse:
    p = _piano_dell_ufficio(request, piano)
    c = _caricamento(p, caricamento)
    return FileResponse(c.file.open("rb"), as_attachment=True, filename=c.nome_file)


# --------------------------------------------------------------------------------------------
# The ente's declared figures, beside what the plan computes
# --------------------------------------------------------------------------------------------

DESCRIZIONI = {
    campo: (descrizione, fonte, calcolato)
    for campo, descrizione, fonte, calcolato in CAMPI_RIEPILOGO + CAMPI_RIEPILOGO_RIPETUTI
}
ETICHETTE = {
    "sas": "U.I. per servizi abitativi sociali (SAS)",
    "sap": "U.I. per servizi abitativi pubblici (SAP)",
    "disponibili": "U.I. disponibili nell'anno",
    "libere_turnover": "U.I. libere e che si libereranno per turn-over",
    "carenza_manutentiva": "U.I. in carenza manutentiva assegnabili nello stato di fatto",
    "nuove_ristrutturate": "U.I. da nuova edificazione, ristrutturazione, recupero",
    "transitori": "U.I. per servizi abitativi transitori",
    "assegnate_anno_precedente": "U.I. assegnate l'anno precedente",
    "conferite_privati": "U.I. conferite da privati",
    "soglia_indigenti": "Soglia % eccedente il 20% per indigenti",
    "forze_polizia": "% U.I. per le Forze di Polizia",
}


class DichiaratoForm(forms.Form):
    """The figures the ente declared on the platform; those the platform may leave empty may stay empty."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for campo in CAMPI_DICHIARATI:
            self.fields[campo] = forms.IntegerField(
                label=ETICHETTE[campo],
                min_value=0,
                max_value=PERCENTUALI.get(campo),
                required=campo in NON_NULLI,
                error_messages={
                    "required": "Indicare il numero dichiarato (0 se nessuna).",
                    "invalid": "Indicare un numero intero.",
                    "min_value": "Il numero non può essere negativo.",
                    "max_value": "La percentuale va da 0 a %(limit_value)s.",
                },
            )
        self.fields[CAMPO_VERSIONE] = forms.CharField(widget=forms.HiddenInput, required=False)


def _riga_calcolata(piano: PianoAnnuale, ente_id: int) -> Any:
    """The ente's row of Allegato A as the plan computes it (also before the ente has answered)."""
    calcolo = piano_calcolato(piano)
    for riga in calcolo.allegato_a:
        if riga.ente.id == ente_id:
            return riga
    dati = DatiPiano.carica(piano)
    if ente_id not in dati.enti:
        return None
    return riga_allegato_a_di(dati, dati.enti[ente_id], calcolo.g, calcolo.j)


@login_required
def dichiarato(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    esistente = (
        RiepilogoDichiarato.objects.filter(piano=area.piano, ente=area.ente)
        .select_related("aggiornato_da")
        .first()
    )
    iniziali: dict[str, Any] = {c: getattr(esistente, c) for c in CAMPI_DICHIARATI} if esistente else {}
    iniziali[CAMPO_VERSIONE] = perimetro_dell_ente(
        RiepilogoDichiarato, area.piano.pk, area.ente.pk
    ).versione()
    form = DichiaratoForm(request.POST if request.method == "POST" else None, initial=iniziali)
    conflitto = False

    def scrivi() -> None:
        nonlocal conflitto
        try:
            salva_dichiarato(
                piano=area.piano,
                ente=area.ente,
                utente=utente_di(request),
                valori={c: form.cleaned_data[c] for c in CAMPI_DICHIARATI},
                versione=form.cleaned_data[CAMPO_VERSIONE],
            )
        except ModificaConcorrente as errore:
            conflitto = True
            aggiorna_versione(form, errore.versione)
            raise

    if request.method == "POST" and form.is_valid() and esegui(form, scrivi):
        messages.success(request, "Totali dichiarati in piattaforma salvati.")
        return redirect(area.url("dichiarato"))
    calcolata = _riga_calcolata(area.piano, area.ente.pk)
    righe = []
    for campo in CAMPI_DICHIARATI:
        descrizione, fonte, calcolato = DESCRIZIONI[campo]
        dichiarato_ora = getattr(esistente, campo) if esistente else None
        risulta = calcolato(calcolata) if calcolata is not None else None
        righe.append(
            {
                "campo": form[campo],
                "fonte": fonte,
                "risulta": risulta,
                "diverso": dichiarato_ora is not None and risulta is not None and dichiarato_ora != risulta,
            }
        )
    risposta = render_area(request, "dichiarato.html", area, form=form, righe=righe, esistente=esistente)
    if conflitto:
        risposta.status_code = 409
    return risposta


# --------------------------------------------------------------------------------------------
# The consistenza per comune
# --------------------------------------------------------------------------------------------


class ConsistenzaComuniForm(forms.Form):
    """SAP and SAS per comune of the ambito; a comune left empty has no row."""

    def __init__(self, *args: Any, comuni: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.comuni = comuni
        for pk, nome in comuni:
            for tipo in ("sap", "sas"):
                self.fields[f"{tipo}_{pk}"] = forms.IntegerField(
                    label=f"Alloggi {tipo.upper()} a {nome}",
                    min_value=0,
                    required=False,
                    error_messages={
                        "invalid": "Indicare un numero intero.",
                        "min_value": "Il numero non può essere negativo.",
                    },
                )
        self.fields[CAMPO_VERSIONE] = forms.CharField(widget=forms.HiddenInput, required=False)

    def numeri(self) -> dict[int, tuple[int, int]]:
        """comune id → (SAP, SAS) for the comuni with at least one number; the other counts as 0."""
        risultato = {}
        for pk, _ in self.comuni:
            sap, sas = self.cleaned_data.get(f"sap_{pk}"), self.cleaned_data.get(f"sas_{pk}")
            if sap is not None or sas is not None:
                risultato[pk] = (sap or 0, sas or 0)
        return risultato

    def righe(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(nome, self[f"sap_{pk}"], self[f"sas_{pk}"]) for pk, nome in self.comuni]


@login_required
def consistenza_comuni(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    comuni = list(Comune.objects.dell_ambito(area.piano.ambito_id).order_by("nome").values_list("pk", "nome"))
    esistenti = ConsistenzaDichiarata.objects.filter(piano=area.piano, ente=area.ente, comune__isnull=False)
    iniziali: dict[str, Any] = {}
    for c in esistenti:
        iniziali[f"sap_{c.comune_id}"], iniziali[f"sas_{c.comune_id}"] = c.sap, c.sas
    iniziali[CAMPO_VERSIONE] = perimetro_dell_ente(
        ConsistenzaDichiarata, area.piano.pk, area.ente.pk
    ).versione()
    form = ConsistenzaComuniForm(
        request.POST if request.method == "POST" else None, initial=iniziali, comuni=comuni
    )
    totale = ConsistenzaDichiarata.objects.filter(piano=area.piano, ente=area.ente, comune=None).first()
    conflitto = False

    def scrivi() -> None:
        nonlocal conflitto
        try:
            salva_consistenza_per_comune(
                piano=area.piano,
                ente=area.ente,
                utente=utente_di(request),
                numeri=form.numeri(),
                fonte=f"ricognizione {area.piano.anno}",
                versione=form.cleaned_data[CAMPO_VERSIONE],
            )
        except ModificaConcorrente as errore:
            conflitto = True
            aggiorna_versione(form, errore.versione)
            raise

    if request.method == "POST" and form.is_valid() and esegui(form, scrivi):
        messages.success(request, "Consistenza per comune salvata.")
        return redirect(area.url("consistenza_comuni"))
    somma = (sum(c.sap or 0 for c in esistenti), sum(c.sas or 0 for c in esistenti))
    risposta = render_area(
        request,
        "consistenza_comuni.html",
        area,
        form=form,
        totale=totale,
        somma=somma,
        dichiarati=len(esistenti),
    )
    if conflitto:
        risposta.status_code = 409
    return risposta
