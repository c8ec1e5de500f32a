"""Pages and API of the plan. Every one of them reads the single computed result of ``sezioni``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ambito.models import AggregazioneTerritoriale, Comune, Operatore, Ruolo
from patrimonio.models import EnteProprietario

from .controlli import CONTROLLI
from .documento import markdown_sicuro, nome_file, richiedi_pdf, salva_testi, testi_del_piano
from .forms_iter import ApprovazioneForm, MotivoForm, OsservazioneForm, ParereForm, RispostaForm
from .iter import e_operatore_aler, note_di_chiusura, quadro_iter
from .lettere import LetteraPrefettura, lettere_prefettura, pdf_lettera, versione_approvata
from .models import (
    RISPOSTE_DATE,
    Approvazione,
    DocumentoPiano,
    Modifica,
    OsservazioneAler,
    ParereAler,
    PassaggioDiStato,
    PianoAnnuale,
    PianoQuerySet,
    RispostaRicognizione,
    SezioneTesto,
    StatoDocumento,
    StatoPiano,
    StatoRisposta,
    TipoVersione,
    VersionePiano,
)
from .services import (
    EsitoNuovoPiano,
    ModificaNonConsentita,
    OperazioneNonValida,
    PianoConErrori,
    aggiungi_osservazione,
    approva_piano,
    chiudi_ricognizione,
    crea_piano_anno_successivo,
    elimina_osservazione,
    esprimi_parere,
    invia_ad_aler,
    invia_promemoria,
    riporta_in_bozza,
    rispondi_osservazione,
    trasmetti_all_assemblea,
)
from .sezioni import EncoderPiano, PianoCalcolato, RigaDisponibili, calcola_piano, chiave_nome, percentuale
from .storico import righe_storico
from .versioni import confronta, json_versione, totali_sezioni


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The plans the user reaches, each with the links the access rules give: read the plan
    (``visibili_a``), follow its ricognizione (``dell_ufficio_di_piano``), fill in their ente's data
    (``compilabili_da`` and the ente of ``EnteProprietario.objects.visibili_a``)."""
    utente = request.user
    leggibili = set(PianoAnnuale.objects.visibili_a(utente).values_list("pk", flat=True))
    compilabili = set(PianoAnnuale.objects.compilabili_da(utente).values_list("pk", flat=True))
    gestiti = set(PianoAnnuale.objects.dell_ufficio_di_piano(utente).values_list("pk", flat=True))
    piani = (
        PianoAnnuale.objects.filter(pk__in=leggibili | compilabili)
        .select_related("ambito")
        .order_by("ambito__nome", "-anno")
    )
    operatore = Operatore.objects.di(utente).select_related("ente").first()
    # A comune's or ALER's operator fills in their own ente; the ufficio di piano opens enti from
    # the ricognizione dashboard instead.
    ente = operatore.ente if operatore is not None and operatore.ruolo in (Ruolo.COMUNE, Ruolo.ALER) else None
    voci = [
        {
            "piano": piano,
            "leggibile": piano.pk in leggibili,
            "ricognizione": piano.pk in gestiti,
            "ente": ente if ente and piano.pk in compilabili and ente.ambito_id == piano.ambito_id else None,
        }
        for piano in piani
    ]
    return render(request, "piano_annuale/home.html", {"voci": voci, "operatore": operatore})


@login_required
def piano_detail(request: HttpRequest, pk: int) -> HttpResponse:
    piano = get_object_or_404(PianoAnnuale.objects.visibili_a(request.user), pk=pk)
    calcolo = calcola_piano(piano)
    # Links to the object at fault only for who can open it: the ufficio di piano of the ambito.
    correggibile = PianoAnnuale.objects.dell_ufficio_di_piano(request.user).filter(pk=pk).exists()
    return render(
        request,
        "piano_annuale/piano_detail.html",
        {
            "piano": piano,
            "p": calcolo,
            "controlli": CONTROLLI,
            "correggibile": correggibile,
            "quadro": quadro_iter(piano, request.user, errori=calcolo.errori, ufficio_di_piano=correggibile),
            **_anno_precedente(request, piano, calcolo),
        },
    )


def _anno_precedente(request: HttpRequest, piano: PianoAnnuale, calcolo: PianoCalcolato) -> dict[str, object]:
    """Each section's total beside last year's: from last year's approved version when there is one
    (the numbers the Assemblea approved), else from last year's plan computed now."""
    precedente = (
        PianoAnnuale.objects.visibili_a(request.user)
        .filter(ambito_id=piano.ambito_id, anno=piano.anno - 1)
        .first()
    )
    if precedente is None:
        return {"precedente": None, "totali": {}, "confronto_anni": []}
    approvata = VersionePiano.objects.filter(piano=precedente, tipo=TipoVersione.APPROVATA).first()
    dati_precedenti = approvata.dati if approvata else calcola_piano(precedente).as_dict()
    confronto = totali_sezioni(calcolo.as_dict(), dati_precedenti)
    return {
        "precedente": precedente,
        "precedente_approvato": approvata is not None,
        "totali": {t.chiave: t for t in confronto},
        "confronto_anni": confronto,
    }


@login_required
def piano_json(request: HttpRequest, pk: int) -> JsonResponse:
    """The whole computed plan as JSON."""
    piano = get_object_or_404(PianoAnnuale.objects.visibili_a(request.user), pk=pk)
    return JsonResponse(
        calcola_piano(piano).as_dict(),
        encoder=EncoderPiano,
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )


# --------------------------------------------------------------------------------------------
# Ricognizione dashboard of the ufficio di piano
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RigaCruscotto:
    ente: EnteProprietario
    stato: str
    stato_descrizione: str
    risposta: RispostaRicognizione | None
    disponibili: RigaDisponibili | None  # units available in the year (section g), by category
    errori: int
    avvisi: int

    @property
    def ha_risposto(self) -> bool:
        return self.stato in RISPOSTE_DATE


@login_required
def cruscotto(request: HttpRequest, pk: int) -> HttpResponse:
    """One row per ente: its answer, last change, units per category and anomalies.

    Reads the computed plan and three small queries: a fixed number whatever the size of the ambito.
    """
    piano = get_object_or_404(
        PianoAnnuale.objects.dell_ufficio_di_piano(request.user).select_related("ambito"), pk=pk
    )
    calcolo = calcola_piano(piano)
    risposte = {
        r.ente_id: r for r in RispostaRicognizione.objects.filter(piano=piano).select_related("aggiornata_da")
    }
    aggregazioni = list(AggregazioneTerritoriale.objects.filter(ambito=piano.ambito))
    disponibili = {r.ente.id: r for r in calcolo.g.per_ente}
    errori = Counter(a.ente_id for a in calcolo.errori if a.ente_id)
    avvisi = Counter(a.ente_id for a in calcolo.avvisi if a.ente_id)
    stati = dict(StatoRisposta.choices)

    filtro_aggregazione = request.GET.get("aggregazione", "")
    filtro_stato = request.GET.get("stato", "")
    if filtro_stato not in stati:
        filtro_stato = ""
    enti = EnteProprietario.objects.dell_ambito(piano.ambito).select_related("comune")
    if filtro_aggregazione.isdigit():
        enti = enti.filter(comune__aggregazione__numero=int(filtro_aggregazione))
    else:
        filtro_aggregazione = ""
    righe = []
    for ente in enti:
        risposta = risposte.get(ente.pk)
        stato = risposta.stato if risposta else StatoRisposta.NESSUNA
        if filtro_stato and stato != filtro_stato:
            continue
        righe.append(
            RigaCruscotto(
                ente=ente,
                stato=stato,
                stato_descrizione=stati[stato],
                risposta=risposta,
                disponibili=disponibili.get(ente.pk),
                errori=errori[ente.pk],
                avvisi=avvisi[ente.pk],
            )
        )
    # Comuni first, then ALER, then operatori accreditati, as the plan's tables.
    rango = {"comune": 0, "aler": 1, "operatore": 2}
    righe.sort(
        key=lambda r: (
            rango.get(r.ente.tipo, 3),
            chiave_nome(r.ente.comune.nome if r.ente.comune else r.ente.denominazione),
        )
    )
    hanno_risposto = sum(r.ha_risposto for r in righe)
    return render(
        request,
        "piano_annuale/cruscotto.html",
        {
            "piano": piano,
            "p": calcolo,
            "righe": righe,
            "hanno_risposto": hanno_risposto,
            "tasso": percentuale(hanno_risposto, len(righe), 1),
            "per_stato": Counter(r.stato for r in righe),
            "aggregazioni": aggregazioni,
            "filtro_aggregazione": filtro_aggregazione,
            "filtro_stato": filtro_stato,
            "stati": StatoRisposta.choices,
            "ricognizione_aperta": piano.stato in PianoQuerySet.STATI_MODIFICABILI,
        },
    )


@login_required
@require_POST
def promemoria(request: HttpRequest, pk: int) -> HttpResponse:
    """E-mail a reminder, with the deadline, to every ente that has not answered."""
    piano = get_object_or_404(
        PianoAnnuale.objects.dell_ufficio_di_piano(request.user).select_related("ambito"), pk=pk
    )
    if piano.stato not in PianoQuerySet.STATI_MODIFICABILI:
        messages.warning(request, "La ricognizione di questo piano è chiusa: nessun promemoria inviato.")
        return redirect("piano_annuale:cruscotto", pk=piano.pk)
    esito = invia_promemoria(
        piano=piano,
        indirizzo_area=lambda ente: request.build_absolute_uri(
            reverse("patrimonio:area_ente", args=[piano.pk, ente.pk])
        ),
    )
    if esito.enti:
        messages.success(
            request,
            f"Promemoria inviato a {len(esito.enti)} enti che non hanno ancora risposto "
            f"({esito.indirizzi} indirizzi e-mail).",
        )
    else:
        messages.info(
            request, "Nessun promemoria inviato: non ci sono enti senza risposta con un indirizzo e-mail."
        )
    if esito.senza_indirizzo:
        messages.warning(
            request,
            f"{len(esito.senza_indirizzo)} enti senza risposta non hanno alcun indirizzo e-mail registrato: "
            + ", ".join(esito.senza_indirizzo)
            + ".",
        )
    return redirect("piano_annuale:cruscotto", pk=piano.pk)


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
def documento_scarica(request: HttpRequest, pk: int, documento_pk: int) -> FileResponse:
    """The PDF file, named for the reader: «POA-2025-Ambito-…-BOZZA.pdf»."""
    documento = _documento_del_piano(request, pk, documento_pk)
    if documento.stato != StatoDocumento.PRONTO or not documento.file:
        raise Http404("Il PDF non è ancora pronto.")
    piano = documento.piano
    return FileResponse(
        documento.file.open("rb"),
        as_attachment=True,
        filename=nome_file(piano.ambito.nome, piano.anno, definitiva=documento.definitivo),
        content_type="application/pdf",
    )


@login_required
def piano_testi(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan's narratives (Markdown), edited by the ufficio di piano until the plan is approved."""
    piano = get_object_or_404(
        PianoAnnuale.objects.dell_ufficio_di_piano(request.user).select_related("ambito"), pk=pk
    )
    modificabile = piano.stato != StatoPiano.APPROVATA  # the approved plan's PDF is final
    testi = testi_del_piano(piano)
    if request.method == "POST":
        if not modificabile:
            return HttpResponseForbidden("Il piano è approvato: i testi non sono più modificabili.")
        salva_testi(
            piano=piano,
            testi={sezione: request.POST.get(sezione, "") for sezione in SezioneTesto.values},
            utente=request.user,
        )
        messages.success(request, "Testi del piano salvati.")
        return redirect("piano_annuale:piano_testi", pk=piano.pk)
    propri = set(piano.testi.exclude(testo="").values_list("sezione", flat=True))
    sezioni = [
        {
            "codice": sezione,
            "titolo": titolo,
            "testo": testi[sezione],
            "anteprima": markdown_sicuro(testi[sezione]),
            "predefinito": sezione not in propri,
        }
        for sezione, titolo in SezioneTesto.choices
    ]
    return render(
        request,
        "piano_annuale/documento/testi.html",
        {"piano": piano, "sezioni": sezioni, "modificabile": modificabile},
    )


# --------------------------------------------------------------------------------------------
# The plan's workflow (issue 6): moves, ALER's observations and parere, approval, versions,
# letters to the Prefettura, history, the plan of the following year.
#
# Who: the ufficio di piano moves the plan (``dell_ufficio_di_piano``: anyone else gets a 404,
# ALER included); ALER's operator observes and gives the parere on a plan it may read
# (``visibili_a`` and ``e_operatore_aler``); whoever reads the plan reads its versions. When a
# move is possible is the services' business: their refusals are shown as messages.
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
    if not e_operatore_aler(request.user, piano):
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


def _redirect_iter(piano: PianoAnnuale) -> HttpResponse:
    return redirect("piano_annuale:iter_piano", pk=piano.pk)


@login_required
def iter_piano(request: HttpRequest, pk: int) -> HttpResponse:
    """The workflow page: steps, moves, ALER's observations and parere, approval, versions."""
    piano = _piano_leggibile(request, pk)
    ufficio = PianoAnnuale.objects.dell_ufficio_di_piano(request.user).filter(pk=pk).exists()
    calcolo = calcola_piano(piano)
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
    return render(
        request,
        "piano_annuale/iter/iter.html",
        {
            "piano": piano,
            "quadro": quadro,
            "passaggi": PassaggioDiStato.objects.filter(piano=piano).select_related("utente"),
            "versioni": VersionePiano.objects.filter(piano=piano).select_related("creata_da"),
            "osservazioni": [
                (o, RispostaForm(initial={"risposta": o.risposta}, prefix=f"o{o.pk}")) for o in osservazioni
            ],
            "pareri": ParereAler.objects.filter(piano=piano).select_related("versione", "espresso_da"),
            "approvazione": approvazione,
            "presenze": presenze,
            "presenti": sum(p.presente for p in presenze),
            "lettere": _lettere_leggibili(request, piano) if approvazione else [],
            "form_motivo": MotivoForm(),
            "form_osservazione": OsservazioneForm() if quadro.aler else None,
            "form_parere": ParereForm() if quadro.aler else None,
            "successivo": PianoAnnuale.objects.filter(ambito_id=piano.ambito_id, anno=piano.anno + 1).first(),
        },
    )


@login_required
@require_POST
def chiudi_ricognizione_view(request: HttpRequest, pk: int) -> HttpResponse:
    piano = _piano_dell_ufficio(request, pk)
    _esegui_mossa(
        request,
        lambda: chiudi_ricognizione(
            piano=piano, utente=request.user, indirizzo_piano=_indirizzo_piano(request, piano)
        ),
        f"Ricognizione chiusa: il piano {piano.anno} è in bozza.",
    )
    return _redirect_iter(piano)


@login_required
@require_POST
def invia_aler_view(request: HttpRequest, pk: int) -> HttpResponse:
    piano = _piano_dell_ufficio(request, pk)
    _esegui_mossa(
        request,
        lambda: invia_ad_aler(
            piano=piano, utente=request.user, indirizzo_piano=_indirizzo_piano(request, piano)
        ),
        f"Piano {piano.anno} inviato ad ALER per il parere: la versione inviata è stata congelata.",
    )
    return _redirect_iter(piano)


@login_required
@require_POST
def trasmetti_view(request: HttpRequest, pk: int) -> HttpResponse:
    piano = _piano_dell_ufficio(request, pk)
    _esegui_mossa(
        request,
        lambda: trasmetti_all_assemblea(
            piano=piano, utente=request.user, indirizzo_piano=_indirizzo_piano(request, piano)
        ),
        f"Piano {piano.anno} trasmesso all'Assemblea dei Sindaci.",
    )
    return _redirect_iter(piano)


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
            utente=request.user,
            motivo=form.cleaned_data["motivo"],
            indirizzo_piano=_indirizzo_piano(request, piano),
        ),
        f"Il piano {piano.anno} è tornato in bozza.",
    )
    return _redirect_iter(piano)


@login_required
def approva_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the Assemblea's approval: session, verbale (upload) and, optionally, presences."""
    piano = _piano_dell_ufficio(request, pk)
    if piano.stato != StatoPiano.TRASMESSA_ASSEMBLEA:
        messages.error(
            request,
            f"Il piano {piano.anno} è nello stato «{piano.get_stato_display()}»: l'approvazione si registra "
            "dopo la trasmissione all'Assemblea dei Sindaci.",
        )
        return _redirect_iter(piano)
    comuni = list(Comune.objects.dell_ambito(piano.ambito_id).order_by("nome"))
    form = ApprovazioneForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        comuni=comuni,
    )
    if request.method == "POST" and form.is_valid():
        dati = form.cleaned_data
        presenze = form.presenze()
        try:
            approva_piano(
                piano=piano,
                utente=request.user,
                data_seduta=dati["data_seduta"],
                numero_verbale=dati["numero_verbale"],
                protocollo=dati["protocollo"],
                luogo=dati["luogo"],
                verbale=dati["verbale"],
                presenze=presenze,
                quorum=dati["quorum"] if presenze is not None else None,
                seduta_valida=dati["seduta_valida"],
                indirizzo_piano=_indirizzo_piano(request, piano),
            )
        except PianoConErrori as errore:
            form.add_error(None, str(errore).split("\n", 1)[0])
            for anomalia in errore.errori:
                form.add_error(None, f"{anomalia.codice} ({anomalia.sezione}): {anomalia.messaggio}")
        except OperazioneNonValida as errore:
            form.add_error(None, str(errore))
        else:
            messages.success(
                request,
                f"Approvazione registrata: il piano {piano.anno} è approvato e la versione definitiva (PDF/A) "
                "è stata congelata.",
            )
            return _redirect_iter(piano)
    return render(request, "piano_annuale/iter/approva.html", {"piano": piano, "form": form})


@login_required
@require_POST
def osservazione_nuova(request: HttpRequest, pk: int) -> HttpResponse:
    piano = _piano_per_aler(request, pk)
    form = OsservazioneForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Osservazione non registrata: indicare la sezione e il testo.")
        return _redirect_iter(piano)
    _esegui_mossa(
        request,
        lambda: aggiungi_osservazione(
            piano=piano,
            utente=request.user,
            sezione=form.cleaned_data["sezione"],
            testo=form.cleaned_data["testo"],
        ),
        "Osservazione registrata.",
    )
    return redirect(reverse("piano_annuale:iter_piano", args=[piano.pk]) + "#osservazioni")


@login_required
@require_POST
def osservazione_elimina(request: HttpRequest, pk: int, osservazione: int) -> HttpResponse:
    piano = _piano_per_aler(request, pk)
    oggetto = get_object_or_404(
        OsservazioneAler.objects.select_related("piano"), pk=osservazione, piano=piano
    )
    _esegui_mossa(
        request,
        lambda: elimina_osservazione(osservazione=oggetto, utente=request.user),
        "Osservazione ritirata.",
    )
    return redirect(reverse("piano_annuale:iter_piano", args=[piano.pk]) + "#osservazioni")


@login_required
@require_POST
def osservazione_risposta(request: HttpRequest, pk: int, osservazione: int) -> HttpResponse:
    piano = _piano_dell_ufficio(request, pk)
    oggetto = get_object_or_404(
        OsservazioneAler.objects.select_related("piano"), pk=osservazione, piano=piano
    )
    form = RispostaForm(request.POST, prefix=f"o{oggetto.pk}")
    if not form.is_valid():
        messages.error(request, "Risposta non registrata: scrivere il testo della risposta.")
    else:
        _esegui_mossa(
            request,
            lambda: rispondi_osservazione(
                osservazione=oggetto, utente=request.user, risposta=form.cleaned_data["risposta"]
            ),
            "Risposta registrata: comparirà nelle note di chiusura della prossima versione del piano.",
        )
    return redirect(reverse("piano_annuale:iter_piano", args=[piano.pk]) + f"#osservazione-{oggetto.pk}")


@login_required
@require_POST
def parere_view(request: HttpRequest, pk: int) -> HttpResponse:
    piano = _piano_per_aler(request, pk)
    form = ParereForm(request.POST)
    if not form.is_valid():
        for campo, errori in form.errors.items():
            etichetta = form.fields[campo].label if campo in form.fields else "Parere"
            messages.error(request, f"{etichetta}: {' '.join(errori)}")
        return redirect(reverse("piano_annuale:iter_piano", args=[piano.pk]) + "#parere")
    dati = form.cleaned_data
    _esegui_mossa(
        request,
        lambda: esprimi_parere(
            piano=piano,
            utente=request.user,
            esito=dati["esito"],
            testo=dati["testo"],
            data=dati["data"],
            protocollo=dati["protocollo"],
            indirizzo_piano=_indirizzo_piano(request, piano),
        ),
        "Parere registrato e comunicato all'ufficio di piano.",
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
def versione_pdf(request: HttpRequest, pk: int, versione: int) -> FileResponse:
    v = _versione(request, pk, versione)
    base = nome_file(v.piano.ambito.nome, v.piano.anno, definitiva=v.tipo == TipoVersione.APPROVATA)
    return FileResponse(
        v.pdf.open("rb"),
        as_attachment=True,
        filename=base.replace(".pdf", f"-versione-{v.numero}.pdf"),
        content_type="application/pdf",
    )


@login_required
def versione_json(request: HttpRequest, pk: int, versione: int) -> HttpResponse:
    """The frozen JSON, byte for byte as hashed: ``sha256sum`` of the download gives ``dati_sha256``."""
    v = _versione(request, pk, versione)
    risposta = HttpResponse(v.dati_json.encode(), content_type="application/json; charset=utf-8")
    risposta["Content-Disposition"] = f'attachment; filename="POA-{v.piano.anno}-versione-{v.numero}.json"'
    return risposta


CORRENTE = "corrente"


@login_required
def confronto_versioni(request: HttpRequest, pk: int) -> HttpResponse:
    """Two versions side by side (or a version and the plan as it is now): what changed, by section."""
    piano = _piano_leggibile(request, pk)
    versioni = list(VersionePiano.objects.filter(piano=piano).select_related("creata_da").order_by("numero"))
    scelte = [
        (
            str(v.pk),
            f"Versione {v.numero} – {v.get_tipo_display()} ({timezone.localtime(v.creata_il):%d/%m/%Y})",
        )
        for v in versioni
    ]
    scelte.append((CORRENTE, "Il piano com'è ora (dati attuali)"))
    per_id = {str(v.pk): v for v in versioni}
    predefinite = [s for s, _ in scelte]
    da = request.GET.get("da") or (predefinite[-2] if len(predefinite) >= 2 else CORRENTE)
    a = request.GET.get("a") or predefinite[-1]
    if da not in predefinite or a not in predefinite:
        raise Http404("Versione non trovata.")

    def dati_di(scelta: str) -> dict:
        if scelta == CORRENTE:
            return json.loads(json_versione(calcola_piano(piano), note_di_chiusura(piano)))
        return per_id[scelta].dati

    sezioni = confronta(dati_di(da), dati_di(a)) if da != a else []
    etichette = dict(scelte)
    return render(
        request,
        "piano_annuale/iter/confronto.html",
        {
            "piano": piano,
            "scelte": scelte,
            "da": da,
            "a": a,
            "etichetta_da": etichette[da],
            "etichetta_a": etichette[a],
            "sezioni": sezioni,
            "con_differenze": [s for s in sezioni if s.differenze],
            "stesse": da == a,
        },
    )


@login_required
def verbale_scarica(request: HttpRequest, pk: int) -> FileResponse:
    piano = _piano_leggibile(request, pk)
    approvazione = get_object_or_404(Approvazione, piano=piano)
    return FileResponse(
        approvazione.verbale.open("rb"),
        as_attachment=True,
        filename=f"POA-{piano.anno}-verbale-assemblea-{approvazione.data_seduta:%Y-%m-%d}.pdf",
        content_type="application/pdf",
    )


# -- letters to the Prefettura ----------------------------------------------------------------


def _lettere_leggibili(request: HttpRequest, piano: PianoAnnuale) -> list[LetteraPrefettura]:
    """The approved plan's letters the user may download: all for the ufficio di piano, their own
    ente's for a comune's or ALER's operator, none for the Assemblea."""
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
        for lettera in lettere_prefettura(
            versione, approvazione, provincia=capofila.provincia if capofila else None
        )
        if lettera.ente_id in enti
    ]


@login_required
def lettera_prefettura(request: HttpRequest, pk: int, ente: int) -> HttpResponse:
    """The PDF letter of one ente to the Prefettura (art. 7 bis c. 2), from the approved version."""
    piano = _piano_leggibile(request, pk)
    lettera = next((x for x in _lettere_leggibili(request, piano) if x.ente_id == ente), None)
    if lettera is None:
        raise Http404("Nessuna lettera per questo ente.")
    risposta = HttpResponse(pdf_lettera(lettera), content_type="application/pdf")
    risposta["Content-Disposition"] = f'attachment; filename="{lettera.nome_file}"'
    return risposta


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
@require_POST
def nuovo_anno(request: HttpRequest, pk: int) -> HttpResponse:
    """«Nuovo piano per l'anno N+1»: open next year's ricognizione from this plan."""
    piano = _piano_dell_ufficio(request, pk)
    esito: list[EsitoNuovoPiano] = []
    if _esegui_mossa(
        request,
        lambda: esito.append(
            crea_piano_anno_successivo(
                piano=piano,
                utente=request.user,
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
