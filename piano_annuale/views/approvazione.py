"""«Registra l'approvazione»: the Assemblea's session as its verbale records it (date, number, place,
presences per comune with «Tutti presenti», quorum), the signed verbale uploaded once and kept while
the form is corrected, a summary to confirm, then the approval (``services.iter.approva_piano``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ambito.models import Comune
from patrimonio.accesso import utente_di
from piano_annuale.forms_iter import ApprovazioneForm
from piano_annuale.iter import conferma_mossa, data_estesa
from piano_annuale.models import PianoAnnuale, TipoVersione, VersionePiano
from piano_annuale.services.errori import ModificaNonConsentita, OperazioneNonValida
from piano_annuale.services.iter import PianoConErrori, approva_piano, verifica_approvazione
from piano_annuale.services.verbali import VerbaleCaricato, conserva_verbale, riprendi_verbale
from piano_annuale.transizioni import APPROVA, transizione
from piano_annuale.versioni_pdf import pdf_in_background
from piano_annuale.views.iter import (
    PDF_IN_PREPARAZIONE,
    _dopo_il_congelamento,
    _indirizzo_piano,
    _piano_dell_ufficio,
    _redirect_iter,
)


def _verbale_del_modulo(
    request: HttpRequest, form: ApprovazioneForm, piano: PianoAnnuale, precedente: VerbaleCaricato | None
) -> None:
    """Keep aside the verbale just uploaded (it replaces an earlier one), so that a form sent back
    with errors, or to be confirmed, does not ask for it again."""
    nuovo = form.cleaned_data.get("verbale") if "verbale" not in form.errors else None
    if not nuovo:
        return
    try:
        caricato = conserva_verbale(nuovo, piano_id=piano.pk, utente_id=utente_di(request).pk)
    except OperazioneNonValida as errore:
        form.add_error("verbale", str(errore))
        return
    if precedente is not None:
        precedente.scarta()
    form.imposta_caricato(caricato)


def _riepilogo(form: ApprovazioneForm) -> dict[str, object]:
    """What the summary before confirming says about the session."""
    dati = form.cleaned_data
    presenze = form.presenze()
    presenti = sum(p.presente for p in presenze.values()) if presenze else None
    quorum = dati.get("quorum") if presenze is not None else None
    return {
        "data_seduta": data_estesa(dati["data_seduta"]),
        "presenti": presenti,
        "comuni": len(form.comuni),
        "quorum": quorum,
        "assenti": [c for c in form.comuni if presenze and not presenze[c.pk].presente],
    }


@login_required
def approva_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the Assemblea's approval: the form, then a summary to confirm, then the approval."""
    piano = _piano_dell_ufficio(request, pk)
    if transizione(APPROVA, piano.stato) is None:
        messages.error(
            request,
            f"Il piano {piano.anno} è nello stato «{piano.get_stato_display()}»: l'approvazione si registra "
            "dopo la trasmissione all'Assemblea dei Sindaci.",
        )
        return _redirect_iter(piano)
    comuni = list(Comune.objects.dell_ambito(piano.ambito_id).order_by("nome"))
    if request.method != "POST":
        form = ApprovazioneForm(comuni=comuni)
        return render(request, "piano_annuale/iter/approva.html", {"piano": piano, "form": form})
    precedente = riprendi_verbale(
        request.POST.get("verbale_caricato", ""), piano_id=piano.pk, utente_id=utente_di(request).pk
    )
    form = ApprovazioneForm(request.POST, request.FILES, comuni=comuni, caricato=precedente)
    valido = form.is_valid()
    _verbale_del_modulo(request, form, piano, precedente)
    if valido and not form.errors and form.caricato is not None and "correggi" not in request.POST:
        dati = form.cleaned_data
        presenze = form.presenze()
        quorum = dati["quorum"] if presenze is not None else None
        try:
            verifica_approvazione(
                piano=piano,
                utente=utente_di(request),
                data_seduta=dati["data_seduta"],
                presenze=presenze,
                quorum=quorum,
                seduta_valida=dati["seduta_valida"],
            )
            if request.POST.get("conferma") != "1":
                return render(
                    request,
                    "piano_annuale/iter/approva_conferma.html",
                    {
                        "piano": piano,
                        "form": form,
                        "conferma": conferma_mossa(piano, APPROVA, ()),
                        "riepilogo": _riepilogo(form),
                    },
                )
            with form.caricato.apri() as file:
                approva_piano(
                    piano=piano,
                    utente=utente_di(request),
                    data_seduta=dati["data_seduta"],
                    numero_verbale=dati["numero_verbale"],
                    protocollo=dati["protocollo"],
                    luogo=dati["luogo"],
                    verbale=file,
                    presenze=presenze,
                    quorum=quorum,
                    seduta_valida=dati["seduta_valida"],
                    indirizzo_piano=_indirizzo_piano(request, piano),
                )
        except PianoConErrori as errore:
            form.add_error(None, str(errore).split("\n", 1)[0])
            for anomalia in errore.errori:
                form.add_error(None, f"{anomalia.codice} ({anomalia.sezione}): {anomalia.messaggio}")
        except (OperazioneNonValida, ModificaNonConsentita) as errore:
            form.add_error(None, str(errore))
        else:
            form.caricato.scarta()
            messages.success(
                request,
                f"Approvazione registrata: il piano {piano.anno} è approvato e la versione definitiva (PDF/A) "
                "è stata congelata." + PDF_IN_PREPARAZIONE * pdf_in_background(),
            )
            approvata = VersionePiano.objects.get(piano=piano, tipo=TipoVersione.APPROVATA)
            return _dopo_il_congelamento(piano, approvata)
    return render(request, "piano_annuale/iter/approva.html", {"piano": piano, "form": form}, status=200)
