"""The ente workspace (area dell'ente): what a comune or ALER declares for a plan's ricognizione.

Units and their state, turnover, consistenza, the choices h/i/i.b, SAT, last year's assignments,
and the answer itself ("nulla da dichiarare", submit; reopen by the ufficio di piano).

Access: every view loads the plan with ``PianoAnnuale.objects.compilabili_da`` and the ente with
``EnteProprietario.objects.visibili_a`` (reads) or ``modificabili_da`` (writes), so another ente's
page is a 404 whatever link the user followed. Writes go through the services, which refuse them
(``ModificaNonConsentita``, a 403) once the ente has answered or the plan has left the ricognizione.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, F, FilteredRelation, Q, Sum
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ambito.models import Comune
from piano_annuale.controlli import messaggio_vincolo
from piano_annuale.forms import AssegnazioniForm, ScelteForm
from piano_annuale.lettere import LetteraPrefettura, lettera_dell_ente
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    DestinazioneSAT,
    Modifica,
    PianoAnnuale,
    RispostaRicognizione,
    ScelteEnte,
    StatoPiano,
)
from piano_annuale.services import (
    ModificaNonConsentita,
    OperazioneNonValida,
    conferma_stati,
    dichiara_nulla,
    invia_risposta,
    motivo_blocco,
    riapri_risposta,
    salva_assegnazioni,
    salva_sat,
    salva_scelte,
)
from piano_annuale.sezioni import calcola_piano
from piano_annuale.storico import righe_storico

from .forms import ConsistenzaForm, ConteggiFormSet, StatoUnitaForm, UnitaForm, conteggi_iniziali
from .models import (
    ConsistenzaDichiarata,
    EnteProprietario,
    Stato,
    StatoUnita,
    TurnoverPrevisto,
    UnitaAbitativa,
)
from .services import elimina_unita, salva_consistenza, salva_turnover, salva_unita

UNITA_PER_PAGINA = 25
STATI = dict(Stato.choices)


@dataclass(frozen=True)
class Area:
    """The plan and ente a workspace page is about, and whether their data may change now."""

    piano: PianoAnnuale
    ente: EnteProprietario
    risposta: RispostaRicognizione | None
    motivo_blocco: str  # empty while the data may change
    ufficio_di_piano: bool  # the user follows the whole ambito (may reopen the answer)

    @property
    def modificabile(self) -> bool:
        return not self.motivo_blocco

    def url(self, nome: str, *altri: int) -> str:
        return reverse(f"patrimonio:{nome}", args=[self.piano.pk, self.ente.pk, *altri])


def carica_area(request: HttpRequest, piano_pk: int, ente_pk: int, *, per_modifica: bool = False) -> Area:
    """The plan and ente of the URL, as the user may reach them; 404 otherwise.

    With ``per_modifica`` the ente must be one the user may change, and a locked ente is refused
    with a 403 that says why (the services check again inside their transaction).
    """
    utente = request.user
    piano = get_object_or_404(
        PianoAnnuale.objects.compilabili_da(utente).select_related("ambito"), pk=piano_pk
    )
    enti = (
        EnteProprietario.objects.modificabili_da(utente)
        if per_modifica
        else EnteProprietario.objects.visibili_a(utente)
    )
    ente = get_object_or_404(enti.filter(ambito_id=piano.ambito_id).select_related("comune"), pk=ente_pk)
    risposta = (
        RispostaRicognizione.objects.filter(piano=piano, ente=ente)
        .select_related("ente", "aggiornata_da")
        .first()
    )
    area = Area(
        piano=piano,
        ente=ente,
        risposta=risposta,
        motivo_blocco=motivo_blocco(piano=piano, risposta=risposta),
        ufficio_di_piano=EnteProprietario.objects.dell_ufficio_di_piano(utente).filter(pk=ente.pk).exists(),
    )
    if per_modifica and not area.modificabile:
        raise ModificaNonConsentita(area.motivo_blocco)
    return area


def _pagina(request: HttpRequest, template: str, area: Area, **contesto: Any) -> HttpResponse:
    return render(request, f"patrimonio/{template}", {"area": area, **contesto})


def _esegui(form: BaseForm, scrittura: Callable[[], Any]) -> bool:
    """Run a service write; put a refusal of the database or of the service on the form."""
    try:
        scrittura()
    except IntegrityError as errore:  # e.g. two users saved the same ID regionale at once
        form.add_error(None, messaggio_vincolo(errore))
        return False
    except OperazioneNonValida as errore:
        form.add_error(None, str(errore))
        return False
    return True


# --------------------------------------------------------------------------------------------
# Overview and the answer
# --------------------------------------------------------------------------------------------


@login_required
def area_ente(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    area = carica_area(request, piano, ente)
    per_stato = {
        r["stato"]: r["numero"]
        for r in StatoUnita.objects.del_piano(area.piano)
        .filter(unita__ente=area.ente)
        .values("stato")
        .annotate(numero=Count("pk"))
        .order_by()
    }
    stati = [(STATI[s], per_stato.get(s, 0)) for s in Stato.values]
    filtro = {"piano": area.piano, "ente": area.ente}
    contesto = {
        "stati": stati,
        "unita_nel_piano": sum(per_stato.values()),
        "unita_registro": UnitaAbitativa.objects.filter(ente=area.ente).count(),
        "turnover": TurnoverPrevisto.objects.filter(**filtro).aggregate(n=Sum("numero"))["n"] or 0,
        "sat": DestinazioneSAT.objects.filter(**filtro).aggregate(n=Sum("numero"))["n"] or 0,
        "consistenza": ConsistenzaDichiarata.objects.filter(**filtro).first(),
        "scelte": ScelteEnte.objects.filter(**filtro).first(),
        "assegnazioni": AssegnazioniAnnoPrecedente.objects.filter(**filtro).first(),
        "da_confermare": _da_confermare(area),
        "lettera_prefettura": _lettera_prefettura(area),
    }
    if area.ufficio_di_piano:
        # The consistency checks name other enti's units too: only the ufficio di piano sees them.
        contesto["anomalie"] = [a for a in calcola_piano(area.piano).anomalie if a.ente_id == area.ente.pk]
    return _pagina(request, "area_ente.html", area, **contesto)


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
        f"Risposta inviata: {area.ente} non ha nulla da dichiarare per il piano {area.piano.anno}.",
    )


@login_required
@require_POST
def invia(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=True)
    return _azione_risposta(
        request,
        area,
        invia_risposta,
        "Risposta inviata all'ufficio di piano. I dati sono ora bloccati: per modificarli occorre "
        "chiedere all'ufficio di piano di riaprire la risposta.",
    )


@login_required
@require_POST
def riapri(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    area = carica_area(request, piano, ente)
    if not area.ufficio_di_piano:
        raise PermissionDenied("Solo l'ufficio di piano può riaprire una risposta inviata.")
    return _azione_risposta(
        request,
        area,
        riapri_risposta,
        f"Risposta di {area.ente} riaperta: l'ente può di nuovo modificare i dati e inviarli.",
    )


# --------------------------------------------------------------------------------------------
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
    return _pagina(
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
        da_confermare=_da_confermare(area),
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
    form = UnitaForm(dati, instance=istanza, ente=area.ente, piano=area.piano)
    form_stato = StatoUnitaForm(dati, instance=stato)
    if dati is not None and form.is_valid() & form_stato.is_valid():
        valori_unita = {campo: form.cleaned_data[campo] for campo in form.Meta.fields}
        salvata: list[UnitaAbitativa] = []
        if _esegui(
            form,
            lambda: salvata.append(
                salva_unita(
                    piano=area.piano,
                    ente=area.ente,
                    utente=request.user,
                    valori_unita=valori_unita,
                    valori_stato=form_stato.valori(),
                    unita=istanza if istanza.pk else None,
                )
            ),
        ):
            messages.success(request, f"Unità salvata: {salvata[0]}.")
            if "salva_e_nuova" in request.POST:
                return redirect(area.url("unita_nuova"))
            return redirect(area.url("unita_elenco"))
    return _pagina(request, "unita_modulo.html", area, form=form, form_stato=form_stato, unita=istanza)


@login_required
def unita_elimina(request: HttpRequest, piano: int, ente: int, unita: int) -> HttpResponse:
    """Confirm, then remove the unit from the plan (and from the registry if no other plan uses it)."""
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    istanza = _unita_dell_ente(request, area, unita)
    if request.method == "POST":
        descrizione = str(istanza)
        cancellata = elimina_unita(piano=area.piano, ente=area.ente, utente=request.user, unita=istanza)
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
    return _pagina(request, "unita_elimina.html", area, unita=istanza, altri_piani=altri_piani)


# --------------------------------------------------------------------------------------------
# Counts per comune, consistenza, choices, assignments
# --------------------------------------------------------------------------------------------


def _conteggi(
    request: HttpRequest,
    piano: int,
    ente: int,
    *,
    modello: type[TurnoverPrevisto] | type[DestinazioneSAT],
    salva: Callable[..., None],
    template: str,
    conferma: str,
) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    comuni = list(Comune.objects.dell_ambito(area.piano.ambito_id).order_by("nome").values_list("pk", "nome"))
    righe = (
        modello.objects.filter(piano=area.piano, ente=area.ente)
        .select_related("comune")
        .order_by("comune__nome")
    )
    iniziali = conteggi_iniziali(righe)
    if not iniziali and area.ente.is_comune:
        iniziali = [{"comune": area.ente.comune_id}]
    # A posted formset is read as posted: it replaces all the ente's rows, so the stored rows must
    # not act as "initial" values (an unchanged extra row would be taken for an empty one).
    if request.method == "POST":
        formset = ConteggiFormSet(request.POST, comuni=comuni, prefix="righe")
    else:
        formset = ConteggiFormSet(initial=iniziali, comuni=comuni, prefix="righe")
    if request.method == "POST" and formset.is_valid():
        numeri = formset.numeri()
        try:
            salva(piano=area.piano, ente=area.ente, utente=request.user, numeri=numeri)
        except (IntegrityError, OperazioneNonValida) as errore:
            testo = messaggio_vincolo(errore) if isinstance(errore, IntegrityError) else str(errore)
            messages.error(request, testo)
        else:
            messages.success(request, conferma)
            return redirect(request.path)
    return _pagina(request, template, area, formset=formset)


@login_required
def turnover(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    return _conteggi(
        request,
        piano,
        ente,
        modello=TurnoverPrevisto,
        salva=salva_turnover,
        template="turnover.html",
        conferma="Alloggi previsti per turn-over salvati.",
    )


@login_required
def sat(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    return _conteggi(
        request,
        piano,
        ente,
        modello=DestinazioneSAT,
        salva=salva_sat,
        template="sat.html",
        conferma="Unità destinate ai servizi abitativi transitori salvate.",
    )


def _modulo_unico(
    request: HttpRequest,
    area: Area,
    form: BaseForm,
    salva: Callable[..., Any],
    valori: Callable[[], Mapping[str, Any]],
    template: str,
    conferma: str,
) -> HttpResponse:
    """A one-form page: validate, save through the service, or show the errors."""
    if (
        request.method == "POST"
        and form.is_valid()
        and _esegui(
            form, lambda: salva(piano=area.piano, ente=area.ente, utente=request.user, valori=valori())
        )
    ):
        messages.success(request, conferma)
        return redirect(request.path)
    return _pagina(request, template, area, form=form)


@login_required
def consistenza(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    istanza = ConsistenzaDichiarata.objects.filter(piano=area.piano, ente=area.ente).first()
    iniziali = {} if istanza else {"fonte": f"ricognizione {area.piano.anno}"}
    form = ConsistenzaForm(
        request.POST if request.method == "POST" else None,
        instance=istanza or ConsistenzaDichiarata(piano=area.piano, ente=area.ente),
        initial=iniziali,
    )
    return _modulo_unico(
        request,
        area,
        form,
        salva_consistenza,
        lambda: {campo: form.cleaned_data[campo] for campo in ("sap", "sas", "fonte")},
        "consistenza.html",
        "Consistenza del patrimonio salvata.",
    )


@login_required
def scelte(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    istanza = ScelteEnte.objects.filter(piano=area.piano, ente=area.ente).first()
    form = ScelteForm(
        request.POST if request.method == "POST" else None,
        instance=istanza or ScelteEnte(piano=area.piano, ente=area.ente),
        ente=area.ente,
    )
    return _modulo_unico(
        request, area, form, salva_scelte, lambda: form.valori(), "scelte.html", "Scelte dell'ente salvate."
    )


@login_required
def assegnazioni(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    area = carica_area(request, piano, ente, per_modifica=request.method == "POST")
    istanza = AssegnazioniAnnoPrecedente.objects.filter(piano=area.piano, ente=area.ente).first()
    form = AssegnazioniForm(
        request.POST if request.method == "POST" else None,
        instance=istanza or AssegnazioniAnnoPrecedente(piano=area.piano, ente=area.ente),
    )
    return _modulo_unico(
        request,
        area,
        form,
        salva_assegnazioni,
        lambda: form.valori(),
        "assegnazioni.html",
        f"Assegnazioni del {area.piano.anno_precedente} salvate.",
    )


# --------------------------------------------------------------------------------------------
# Spreadsheet upload, templates and exports (issue 8). The engine is patrimonio.importazione;
# the files are written by patrimonio.esportazione. Same access rules as every page above.
# --------------------------------------------------------------------------------------------

from django import forms  # noqa: E402
from django.db import transaction  # noqa: E402
from django.http import FileResponse, Http404, JsonResponse  # noqa: E402

from . import esportazione, importazione  # noqa: E402
from .models import Caricamento, StatoCaricamento  # noqa: E402
from .tasks import analizza_caricamento_task, conferma_caricamento_task  # noqa: E402

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
            utente=request.user,
            nome_file=upload.name,
            contenuto=form.contenuto,
        )
        if importazione.in_background(form.contenuto, caricamento.nome_file):
            transaction.on_commit(lambda: analizza_caricamento_task.delay(caricamento.pk))
        else:
            importazione.analizza_caricamento(caricamento.pk, contenuto=form.contenuto)
        return redirect(area.url("caricamento", caricamento.pk))
    storia = Caricamento.objects.filter(piano=area.piano, ente=area.ente).select_related("utente")
    return _pagina(
        request,
        "caricamenti/elenco.html",
        area,
        form=form,
        storia=storia[:CARICAMENTI_IN_STORIA],
        formati=esportazione.FORMATI_MODELLO,
        piano_di_partenza=esportazione.piano_di_partenza(piano=area.piano, ente=area.ente),
        soglia=importazione.limite("RIGHE_IN_BACKGROUND"),
    )


def _stato_caricamento(caricamento: Caricamento) -> dict[str, Any]:
    return {
        "stato": caricamento.stato,
        "descrizione": caricamento.get_stato_display(),
        "progresso": caricamento.progresso,
        "in_corso": caricamento.stato in STATI_IN_CORSO,
    }


@login_required
def caricamento(request: HttpRequest, piano: int, ente: int, caricamento: int) -> HttpResponse:
    """One upload: its progress, its preview (to confirm) or its errors, and its outcome."""
    area = carica_area(request, piano, ente)
    oggetto = _caricamento(area, caricamento)
    return _pagina(
        request,
        "caricamenti/dettaglio.html",
        area,
        caricamento=oggetto,
        anteprima=oggetto.anteprima,
        stato=_stato_caricamento(oggetto),
        errori_mostrati=oggetto.errori[:200],
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
        transaction.on_commit(lambda: conferma_caricamento_task.delay(oggetto.pk, utente_id))
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
    if importazione.annulla_caricamento(oggetto):
        messages.success(
            request, f"Caricamento di «{oggetto.nome_file}» annullato: nulla è stato registrato."
        )
    return redirect(area.url("caricamenti"))


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
    """The ente's template, prefilled with its units (``?foglio=turnover`` for the csv of counts)."""
    area = carica_area(request, piano, ente)
    if formato not in esportazione.FORMATI_MODELLO:
        raise Http404("Formato non disponibile.")
    foglio = "turnover" if request.GET.get("foglio") == "turnover" else "unita"
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
    """The plan's sections and unit lists to download (ufficio di piano)."""
    oggetto = _piano_dell_ufficio(request, piano)
    tabelle = esportazione.tabelle_del_piano(calcola_piano(oggetto))
    return render(
        request, "patrimonio/caricamenti/esportazioni_piano.html", {"piano": oggetto, "tabelle": tabelle}
    )


@login_required
def piano_esporta(request: HttpRequest, piano: int, formato: str, sezione: str = "") -> HttpResponse:
    """Every section as xlsx, or one section as csv, read from the computed plan."""
    oggetto = _piano_dell_ufficio(request, piano)
    calcolo = calcola_piano(oggetto)
    if formato == "xlsx" and not sezione:
        return _scarica(esportazione.piano_xlsx(calcolo))
    if formato == "csv" and sezione:
        try:
            return _scarica(esportazione.tabella_csv(calcolo, sezione))
        except KeyError:
            raise Http404("Sezione sconosciuta.") from None
    raise Http404("Formato non disponibile.")


# --------------------------------------------------------------------------------------------
# Year over year and the audit (issue 6): the states carried over from last year's plan are
# confirmed unit by unit or all together; each unit's history shows every recorded change.
# --------------------------------------------------------------------------------------------


def _lettera_prefettura(area: Area) -> LetteraPrefettura | None:
    """The ente's letter to the Prefettura, once the plan is approved (R.R. 4/2017 art. 7 bis c. 2)."""
    if area.piano.stato != StatoPiano.APPROVATA:
        return None
    capofila = area.piano.ambito.comune_capofila
    return lettera_dell_ente(area.piano.pk, area.ente.pk, provincia=capofila.provincia if capofila else None)


def _da_confermare(area: Area) -> int:
    """How many of the ente's states in the plan were carried over and await confirmation."""
    return StatoUnita.objects.del_piano(area.piano).filter(unita__ente=area.ente, da_confermare=True).count()


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
    if conferma_stati(piano=area.piano, ente=area.ente, utente=request.user, unita=[istanza.pk]):
        messages.success(request, f"Stato confermato per {istanza}.")
    else:
        messages.info(request, f"Lo stato di {istanza} non era da confermare.")
    return _torna_all_elenco(request, area)


@login_required
@require_POST
def unita_conferma_tutte(request: HttpRequest, piano: int, ente: int) -> HttpResponse:
    """Confirm every state carried over from last year's plan at once."""
    area = carica_area(request, piano, ente, per_modifica=True)
    confermati = conferma_stati(piano=area.piano, ente=area.ente, utente=request.user)
    messages.success(
        request,
        f"Confermati gli stati di {confermati} unità." if confermati else "Nessuno stato da confermare.",
    )
    return _torna_all_elenco(request, area)


@login_required
def unita_storico(request: HttpRequest, piano: int, ente: int, unita: int) -> HttpResponse:
    """Every recorded change of the unit and of its states in each plan: who, when, before → after."""
    area = carica_area(request, piano, ente)
    istanza = _unita_dell_ente(request, area, unita)
    modifiche = Modifica.objects.dell_unita(istanza.pk).select_related("utente")
    pagina = Paginator(modifiche, 100).get_page(request.GET.get("pagina"))
    return _pagina(
        request,
        "unita_storico.html",
        area,
        unita=istanza,
        pagina=pagina,
        righe=righe_storico(pagina.object_list, nascosti={"unita_id"}),
    )
