"""Pages and API of the plan. Every one of them reads the single computed result of ``sezioni``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ambito.models import AggregazioneTerritoriale, Operatore, Ruolo
from patrimonio.models import EnteProprietario

from .controlli import CONTROLLI
from .documento import markdown_sicuro, nome_file, richiedi_pdf, salva_testi, testi_del_piano
from .models import (
    RISPOSTE_DATE,
    DocumentoPiano,
    PianoAnnuale,
    PianoQuerySet,
    RispostaRicognizione,
    SezioneTesto,
    StatoDocumento,
    StatoPiano,
    StatoRisposta,
)
from .services import invia_promemoria
from .sezioni import EncoderPiano, RigaDisponibili, calcola_piano, chiave_nome, percentuale


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
        {"piano": piano, "p": calcolo, "controlli": CONTROLLI, "correggibile": correggibile},
    )


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
