"""The plan's workflow pages: moves, ALER's observations and parere, approval, versions,
history and the next year's plan. The letters at approval are ``views.lettere``'s (listed here),
the rules the plan follows ``views.regole``'s (their forms shown here, through ``pagina_iter``)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ambito.forms import ModuloPOA
from patrimonio.accesso import utente_di
from patrimonio.models import EnteProprietario
from piano_annuale.calcolo import (
    piano_calcolato,
)
from piano_annuale.forms_iter import (
    DataEffettivaForm,
    InvioAlerForm,
    MotivoForm,
    OsservazioneForm,
    ParereForm,
    RispostaForm,
    TrasmissioneForm,
)
from piano_annuale.forms_regole import ScelteRegoleForm, TriennioForm
from piano_annuale.iter import (
    Conferma,
    conferma_mossa,
    conferma_nuovo_anno,
    data_estesa,
    puo_esprimere_il_parere,
    quadro_iter,
)
from piano_annuale.models import (
    Approvazione,
    Modifica,
    OsservazioneAler,
    ParereAler,
    PassaggioDiStato,
    PianoAnnuale,
    PianoQuerySet,
    StatoDocumento,
    StatoPiano,
    TipoVersione,
    VersionePiano,
)
from piano_annuale.rendering.pdf import nome_file
from piano_annuale.services.anno_successivo import EsitoNuovoPiano, crea_piano_anno_successivo
from piano_annuale.services.errori import ModificaNonConsentita, OperazioneNonValida
from piano_annuale.services.iter import (
    PianoConErrori,
    chiudi_ricognizione,
    invia_ad_aler,
    riporta_in_bozza,
    trasmetti_all_assemblea,
)
from piano_annuale.storico import righe_storico
from piano_annuale.transizioni import INVIA_ALER, TRASMETTI
from piano_annuale.versioni_pdf import pdf_in_background
from piano_annuale.views.file_verificati import scarica_verificato
from piano_annuale.views.lettere import lettere_leggibili

# --------------------------------------------------------------------------------------------
# The plan's workflow (issue 6): moves, ALER's observations and parere, approval, versions,
# history, the plan of the following year.
#
# Who: the ufficio di piano moves the plan (``dell_ufficio_di_piano``: anyone else gets a 404,
# ALER included); ALER's operator observes and gives the parere on a plan it may read
# (``visibili_a`` and ``puo_esprimere_il_parere``); whoever reads the plan reads its versions. When
# a move is possible is the workflow's table (``transizioni``), which the services enforce: their
# refusals are shown as messages.
# --------------------------------------------------------------------------------------------

STORICO_PER_PAGINA = 50


def _piano_dell_ufficio(request: HttpRequest, pk: int) -> PianoAnnuale:
    return get_object_or_404(
        PianoAnnuale.objects.dell_ufficio_di_piano(request.user).select_related("ambito"), pk=pk
    )


def _piano_leggibile(request: HttpRequest, pk: int) -> PianoAnnuale:
    return get_object_or_404(PianoAnnuale.objects.visibili_a(request.user).select_related("ambito"), pk=pk)


def _piano_per_aler(request: HttpRequest, pk: int) -> PianoAnnuale:
    """A plan the user reads as ALER's operator of its ambito; 404 for anyone else."""
    piano = _piano_leggibile(request, pk)
    if not puo_esprimere_il_parere(request.user, piano):
        raise Http404("Solo l'operatore ALER dell'ambito esprime il parere.")
    return piano


def _indirizzo_piano(request: HttpRequest, piano: PianoAnnuale) -> str:
    return request.build_absolute_uri(reverse("piano_annuale:piano_detail", args=[piano.pk]))


def _esegui_mossa(request: HttpRequest, scrittura: Callable[[], object], conferma: str) -> bool:
    """Run a service; its refusal (an Italian message) becomes an error message on the page."""
    try:
        scrittura()
    except PianoConErrori as errore:
        messages.error(request, str(errore).split("\n", 1)[0])
        for anomalia in errore.errori:
            messages.error(request, f"{anomalia.codice} ({anomalia.sezione}): {anomalia.messaggio}")
        return False
    except (OperazioneNonValida, ModificaNonConsentita) as errore:
        messages.error(request, str(errore))
        return False
    messages.success(request, conferma)
    return True


PDF_IN_PREPARAZIONE = (
    " Il PDF della versione si sta preparando: l'avanzamento è nell'elenco delle versioni congelate."
)


def _redirect_iter(piano: PianoAnnuale) -> HttpResponse:
    return redirect("piano_annuale:iter_piano", pk=piano.pk)


@login_required
def iter_piano(request: HttpRequest, pk: int) -> HttpResponse:
    """The workflow page: steps, moves, ALER's observations and parere, approval, versions."""
    return pagina_iter(request, _piano_leggibile(request, pk))


def pagina_iter(
    request: HttpRequest,
    piano: PianoAnnuale,
    *,
    form_regole: ScelteRegoleForm | None = None,
    form_triennio: TriennioForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The workflow page of a plan the user reads; a refused form of the rules comes back bound."""
    ufficio = PianoAnnuale.objects.dell_ufficio_di_piano(request.user).filter(pk=piano.pk).exists()
    calcolo = piano_calcolato(piano)
    quadro = quadro_iter(piano, request.user, errori=calcolo.errori, ufficio_di_piano=ufficio)
    osservazioni = list(
        OsservazioneAler.objects.filter(piano=piano)
        .select_related("versione", "autore", "risposta_di")
        .order_by("-versione__numero", "creata_il", "pk")
    )
    approvazione = (
        Approvazione.objects.filter(piano=piano).select_related("registrata_da").first()
        if piano.stato == StatoPiano.APPROVATA
        else None
    )
    presenze = list(approvazione.presenze.select_related("comune")) if approvazione else []
    # The ufficio di piano records the triennale until the plan is approved, and chooses the rules
    # while the figures may still change (before the draft goes to ALER).
    triennio_modificabile = ufficio and piano.stato != StatoPiano.APPROVATA
    regole_modificabili = ufficio and piano.stato in PianoQuerySet.STATI_MODIFICABILI
    return render(
        request,
        "piano_annuale/iter/iter.html",
        {
            "piano": piano,
            "quadro": quadro,
            "passaggi": PassaggioDiStato.objects.filter(piano=piano).select_related("utente"),
            "versioni": VersionePiano.objects.filter(piano=piano)
            .select_related("creata_da")
            .prefetch_related("documenti"),
            "osservazioni": [
                (o, RispostaForm(initial={"risposta": o.risposta}, prefix=f"o{o.pk}")) for o in osservazioni
            ],
            "pareri": ParereAler.objects.filter(piano=piano).select_related("versione", "espresso_da"),
            "approvazione": approvazione,
            "presenze": presenze,
            "presenti": sum(p.presente for p in presenze),
            "lettere": lettere_leggibili(request, piano) if approvazione else [],
            "regole": calcolo.regole,
            "form_regole": (form_regole or ScelteRegoleForm(piano=piano)) if regole_modificabili else None,
            "form_triennio": (form_triennio or TriennioForm(piano=piano)) if triennio_modificabile else None,
            "form_motivo": MotivoForm(),
            "form_osservazione": OsservazioneForm(auto_id="id_osservazione_%s") if quadro.aler else None,
            "form_parere": ParereForm() if quadro.aler else None,
            "successivo": PianoAnnuale.objects.filter(ambito_id=piano.ambito_id, anno=piano.anno + 1).first(),
        },
        status=status,
    )


@login_required
@require_POST
def chiudi_ricognizione_view(request: HttpRequest, pk: int) -> HttpResponse:
    piano = _piano_dell_ufficio(request, pk)
    _esegui_mossa(
        request,
        lambda: chiudi_ricognizione(
            piano=piano, utente=utente_di(request), indirizzo_piano=_indirizzo_piano(request, piano)
        ),
        f"Ricognizione chiusa: il piano {piano.anno} è in bozza.",
    )
    return _redirect_iter(piano)


def pagina_conferma(
    request: HttpRequest,
    piano: PianoAnnuale,
    conferma: Conferma,
    *,
    azione: str,
    form: ModuloPOA | None = None,
    status: int = 200,
) -> HttpResponse:
    """The confirmation page of a step: what it will do, its button (posting to ``azione``) or why
    it cannot be made now. Without JavaScript it is the page the step's button leads to; with it,
    the same page (``iter.js`` disables the button and says the step is running once pressed)."""
    return render(
        request,
        "piano_annuale/iter/conferma.html",
        {"piano": piano, "conferma": conferma, "azione": azione, "form": form},
        status=status,
    )


def _dopo_il_congelamento(piano: PianoAnnuale, versione: VersionePiano) -> HttpResponse:
    """After a step that froze a version: its PDF's progress while a worker renders it, else the iter page."""
    if pdf_in_background():
        return redirect("piano_annuale:avanzamento_versione", pk=piano.pk, versione=versione.pk)
    return _redirect_iter(piano)


def _data_effettiva(
    request: HttpRequest, piano: PianoAnnuale, codice: str, classe: type[DataEffettivaForm]
) -> tuple[DataEffettivaForm | None, HttpResponse | None]:
    """The effective day posted with a confirmed step (None when the form does not send it: today),
    or the confirmation page again with the form's error."""
    if "data" not in request.POST:
        return None, None
    form = classe(request.POST)
    if form.is_valid():
        return form, None
    conferma = conferma_mossa(piano, codice, piano_calcolato(piano).errori)
    azione = reverse(f"piano_annuale:{codice}", args=[piano.pk])
    return None, pagina_conferma(request, piano, conferma, azione=azione, form=form, status=400)


def _del_giorno(data: datetime.date | None) -> str:
    return f" (in data {data_estesa(data)})" if data and data != timezone.localdate() else ""


@login_required
def invia_aler_view(request: HttpRequest, pk: int) -> HttpResponse:
    """«Invia ad ALER»: GET asks for confirmation, saying what will happen; POST sends."""
    piano = _piano_dell_ufficio(request, pk)
    if request.method != "POST":
        conferma = conferma_mossa(piano, INVIA_ALER, piano_calcolato(piano).errori)
        return pagina_conferma(
            request,
            piano,
            conferma,
            azione=reverse("piano_annuale:invia_aler", args=[pk]),
            form=InvioAlerForm(),
        )
    form, rifiuto = _data_effettiva(request, piano, INVIA_ALER, InvioAlerForm)
    if rifiuto is not None:
        return rifiuto
    data = form.cleaned_data["data"] if form else None
    inviata: list[VersionePiano] = []
    if _esegui_mossa(
        request,
        lambda: inviata.append(
            invia_ad_aler(
                piano=piano,
                utente=utente_di(request),
                indirizzo_piano=_indirizzo_piano(request, piano),
                data=data,
            )
        ),
        f"Piano {piano.anno} inviato ad ALER per il parere{_del_giorno(data)}: la versione inviata è stata "
        "congelata." + PDF_IN_PREPARAZIONE * pdf_in_background(),
    ):
        return _dopo_il_congelamento(piano, inviata[0])
    return _redirect_iter(piano)


@login_required
def trasmetti_view(request: HttpRequest, pk: int) -> HttpResponse:
    """«Trasmetti all'Assemblea»: GET asks for confirmation and the day of the transmission; POST
    transmits (the day defaults to today when the form does not send it)."""
    piano = _piano_dell_ufficio(request, pk)
    if request.method != "POST":
        conferma = conferma_mossa(piano, TRASMETTI, piano_calcolato(piano).errori)
        azione = reverse("piano_annuale:trasmetti", args=[pk])
        return pagina_conferma(request, piano, conferma, azione=azione, form=TrasmissioneForm())
    form, rifiuto = _data_effettiva(request, piano, TRASMETTI, TrasmissioneForm)
    if rifiuto is not None:
        return rifiuto
    data = form.cleaned_data["data"] if form else None
    _esegui_mossa(
        request,
        lambda: trasmetti_all_assemblea(
            piano=piano,
            utente=utente_di(request),
            indirizzo_piano=_indirizzo_piano(request, piano),
            data=data,
        ),
        f"Piano {piano.anno} trasmesso all'Assemblea dei Sindaci{_del_giorno(data)}.",
    )
    return _redirect_iter(piano)


@login_required
def avanzamento_versione(request: HttpRequest, pk: int, versione: int) -> HttpResponse:
    """The frozen version's PDF being rendered: its progress (``iter.js`` polls the document's
    ``stato.json``; without JavaScript the page refreshes itself), then its links."""
    v = _versione(request, pk, versione)
    documento = v.documenti.first()
    in_corso = (
        not v.pdf
        and documento is not None
        and documento.stato in (StatoDocumento.IN_CODA, StatoDocumento.IN_CORSO)
    )
    return render(
        request,
        "piano_annuale/iter/avanzamento.html",
        {"piano": v.piano, "versione": v, "documento": documento, "in_corso": in_corso},
    )


@login_required
@require_POST
def riporta_in_bozza_view(request: HttpRequest, pk: int) -> HttpResponse:
    piano = _piano_dell_ufficio(request, pk)
    form = MotivoForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Indicare il motivo per cui il piano torna in bozza.")
        return _redirect_iter(piano)
    _esegui_mossa(
        request,
        lambda: riporta_in_bozza(
            piano=piano,
            utente=utente_di(request),
            motivo=form.cleaned_data["motivo"],
            indirizzo_piano=_indirizzo_piano(request, piano),
        ),
        f"Il piano {piano.anno} è tornato in bozza.",
    )
    return _redirect_iter(piano)


# -- versions ---------------------------------------------------------------------------------


def _versione(request: HttpRequest, pk: int, versione: int) -> VersionePiano:
    return get_object_or_404(
        VersionePiano.objects.visibili_a(request.user).select_related("piano__ambito"),
        pk=versione,
        piano_id=pk,
    )


@login_required
def versione_pdf(request: HttpRequest, pk: int, versione: int) -> HttpResponseBase:
    """The frozen PDF, only if its SHA-256 is the recorded one (else 409/410 and a log line)."""
    v = _versione(request, pk, versione)
    in_preparazione = None if v.pdf else v.documenti.first()
    if in_preparazione is not None:  # rendered in the background: its progress, then its download
        return redirect("piano_annuale:documento_stato", pk=v.piano_id, documento_pk=in_preparazione.pk)
    base = nome_file(v.piano.ambito.nome, v.piano.anno, definitiva=v.tipo == TipoVersione.APPROVATA)
    return scarica_verificato(
        request,
        v.pdf,
        v.pdf_sha256,
        piano=v.piano,
        descrizione=f"PDF della versione {v.numero} del piano {v.piano.anno}",
        nome_file=base.replace(".pdf", f"-versione-{v.numero}.pdf"),
    )


@login_required
def versione_json(request: HttpRequest, pk: int, versione: int) -> HttpResponse:
    """The frozen JSON, byte for byte as hashed: ``sha256sum`` of the download gives ``dati_sha256``."""
    v = _versione(request, pk, versione)
    risposta = HttpResponse(v.dati_json.encode(), content_type="application/json; charset=utf-8")
    risposta["Content-Disposition"] = f'attachment; filename="POA-{v.piano.anno}-versione-{v.numero}.json"'
    return risposta


@login_required
def verbale_scarica(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The signed verbale, only if its SHA-256 is the recorded one (else 409/410 and a log line)."""
    piano = _piano_leggibile(request, pk)
    approvazione = get_object_or_404(Approvazione, piano=piano)
    return scarica_verificato(
        request,
        approvazione.verbale,
        approvazione.verbale_sha256,
        piano=piano,
        descrizione=f"verbale dell'Assemblea dei Sindaci del piano {piano.anno}",
        nome_file=f"POA-{piano.anno}-verbale-assemblea-{approvazione.data_seduta:%Y-%m-%d}.pdf",
    )


# -- history and the following year -----------------------------------------------------------


@login_required
def storico_piano(request: HttpRequest, pk: int) -> HttpResponse:
    """Every recorded change of the plan's data: who, when, field by field before and after."""
    piano = _piano_dell_ufficio(request, pk)
    modifiche = Modifica.objects.del_piano(piano).select_related("utente")
    tabelle = sorted(set(modifiche.values_list("modello", flat=True).order_by()))
    tabella = request.GET.get("tabella", "")
    if tabella in tabelle:
        modifiche = modifiche.filter(modello=tabella)
    else:
        tabella = ""
    pagina = Paginator(modifiche, STORICO_PER_PAGINA).get_page(request.GET.get("pagina"))
    return render(
        request,
        "piano_annuale/iter/storico.html",
        {
            "piano": piano,
            "pagina": pagina,
            "righe": righe_storico(pagina.object_list, nascosti={"piano_id"}),
            "tabelle": [(t, _nome_tabella(t)) for t in tabelle],
            "tabella": tabella,
        },
    )


def _nome_tabella(etichetta: str) -> str:
    try:
        nome = str(apps.get_model(etichetta)._meta.verbose_name)
    except (LookupError, ValueError):
        return etichetta
    return nome[:1].upper() + nome[1:]


@login_required
def nuovo_anno(request: HttpRequest, pk: int) -> HttpResponse:
    """«Nuovo piano per l'anno N+1»: GET asks for confirmation; POST opens next year's ricognizione."""
    piano = _piano_dell_ufficio(request, pk)
    if request.method != "POST":
        if PianoAnnuale.objects.filter(ambito_id=piano.ambito_id, anno=piano.anno + 1).exists():
            messages.info(request, f"Il piano {piano.anno + 1} è già stato creato.")
            return _redirect_iter(piano)
        enti = EnteProprietario.objects.filter(ambito_id=piano.ambito_id).count()
        return pagina_conferma(
            request,
            piano,
            conferma_nuovo_anno(piano, enti),
            azione=reverse("piano_annuale:nuovo_anno", args=[pk]),
        )
    esito: list[EsitoNuovoPiano] = []
    if _esegui_mossa(
        request,
        lambda: esito.append(
            crea_piano_anno_successivo(
                piano=piano,
                utente=utente_di(request),
                indirizzo_area=lambda nuovo, ente: request.build_absolute_uri(
                    reverse("patrimonio:area_ente", args=[nuovo.pk, ente.pk])
                ),
            )
        ),
        f"Piano {piano.anno + 1} creato.",
    ):
        fatto = esito[0]
        messages.info(
            request,
            f"Ripresi dal piano {piano.anno}: {fatto.stati} stati delle unità (da confermare da ciascun ente), "
            f"{fatto.testi} testi, {fatto.scelte} scelte degli enti, {fatto.consistenze} consistenze. "
            f"Inviate {fatto.messaggi} richieste di conferma agli enti.",
        )
        if not fatto.data_popolazione_aggiornata:
            messages.warning(
                request,
                f"La popolazione al 1° gennaio {piano.anno} non è ancora registrata: il piano {piano.anno + 1} "
                f"usa per ora quella al {fatto.piano.data_popolazione:%d/%m/%Y}.",
            )
        return redirect("piano_annuale:cruscotto", pk=fatto.piano.pk)
    return _redirect_iter(piano)
