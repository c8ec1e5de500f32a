"""The plan as a PDF for the Assemblea dei Sindaci (WeasyPrint), and its cached documents.

The document reads only the computed plan (``PianoCalcolato``), the plan's narratives and its
header; it never queries or recomputes a figure. A draft carries a «BOZZA» watermark on every page;
an approved plan is a PDF/A-3b with the computed plan attached as JSON and CSV.

``richiedi_pdf`` keys each document by a hash of everything its file depends on, so the same data
renders once: a later request with the same key gets the same ``DocumentoPiano`` back.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import markdown
import nh3
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import dateformat, timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from patrimonio.models import TipoEnte
from piano_annuale.models import Stato

from . import grafici
from .calcolo import EncoderPiano, PianoCalcolato, calcola_piano, chiave_nome
from .iter import NoteChiusura, note_di_chiusura
from .models import (
    Approvazione,
    DocumentoPiano,
    PianoAnnuale,
    SezioneTesto,
    StatoDocumento,
    StatoPiano,
    TestoPiano,
)
from .testi_predefiniti import testo_predefinito

if TYPE_CHECKING:
    import weasyprint

# Bump whenever the templates, the stylesheet or the fonts change what the PDF looks like, so
# documents cached under the old layout are rendered again.
VERSIONE_MODELLO = 2  # 2: Note di chiusura with parere, observations and approval
VERSIONE_WEASYPRINT = version("weasyprint")  # a new renderer may lay pages out differently

# Inlined into the document, never served to browsers: it lives with the PDF templates.
CSS_PDF = Path(__file__).resolve().parent / "templates" / "piano_annuale" / "documento" / "pdf.css"
# The stylesheet's relative font URLs resolve against the project's static folder.
CARTELLA_STATICI = Path(settings.BASE_DIR) / "static"

# WeasyPrint logs every rendering step at INFO (even on import): noise in the worker's and the
# commands' output. It is imported only where a PDF is made, which also keeps web processes light.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# A document still queued or running after this long is considered lost (worker restarted).
ATTESA_MASSIMA = datetime.timedelta(minutes=15)

# The plan section an ALER unit of Allegato B is counted in, as the annex prints it.
STATI_UNITA = {Stato.LIBERA: "e) libera", Stato.CARENZA_MANUTENTIVA: "b) carenza"}

TITOLO = "Piano annuale dell'offerta dei servizi abitativi pubblici e sociali"

# Markdown of the narratives: what the ufficio di piano may use; everything else is stripped.
ETICHETTE_AMMESSE = {
    "p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "blockquote",
    "h1", "h2", "h3", "h4", "a", "code", "hr",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


# --------------------------------------------------------------------------------------------
# What the document depends on
# --------------------------------------------------------------------------------------------


def definitivo(piano: PianoAnnuale) -> bool:
    """An approved plan gets the definitive PDF (PDF/A-3b, no watermark); anything else is a draft."""
    return piano.stato == StatoPiano.APPROVATA


def data_approvazione(piano: PianoAnnuale) -> datetime.date | None:
    """The date of the Assemblea dei Sindaci's session that approved the plan; None for a draft,
    and for a plan marked approved without a recorded approval (e.g. loaded from a file)."""
    if piano.stato != StatoPiano.APPROVATA:
        return None
    return Approvazione.objects.filter(piano_id=piano.pk).values_list("data_seduta", flat=True).first()


def testi_del_piano(piano: PianoAnnuale) -> dict[str, str]:
    """Markdown of every narrative section: the plan's own text, else the project's default."""
    propri = {t.sezione: t.testo for t in piano.testi.all() if t.testo.strip()}
    return {sezione: propri.get(sezione) or testo_predefinito(sezione) for sezione in SezioneTesto.values}


def salva_testi(*, piano: PianoAnnuale, testi: dict[str, str], utente: Any) -> None:
    """Store the narratives the ufficio di piano wrote. A section left empty, or equal to the
    project's default, goes back to the default: only texts actually written are kept."""
    attuali = testi_del_piano(piano)
    with transaction.atomic():
        for sezione in SezioneTesto.values:
            testo = testi.get(sezione, "").replace("\r\n", "\n").strip()
            if not testo or testo == testo_predefinito(sezione).strip():
                TestoPiano.objects.filter(piano=piano, sezione=sezione).delete()
            elif testo != attuali[sezione].strip():
                TestoPiano.objects.update_or_create(
                    piano=piano, sezione=sezione, defaults={"testo": testo, "aggiornato_da": utente}
                )


def chiave_documento(
    calcolo: PianoCalcolato,
    testi: dict[str, str],
    *,
    definitiva: bool,
    approvato_il: datetime.date | None,
    note: NoteChiusura | None = None,
) -> str:
    """SHA-256 of everything the PDF depends on: the computed plan, the narratives, the variant
    (draft or approved, with its date), ALER's parere and the approval printed in the Note di
    chiusura, the template version and the renderer's version."""
    materiale = {
        "versione_modello": VERSIONE_MODELLO,
        "weasyprint": VERSIONE_WEASYPRINT,
        "definitivo": definitiva,
        "approvato_il": approvato_il,
        "testi": testi,
        "piano": calcolo.as_dict(),
    }
    if note is not None and (note.parere or note.osservazioni or note.approvazione or note.pareri_precedenti):
        # Only when there is something to print: documents without it keep their earlier key.
        materiale["note_chiusura"] = note.as_dict()
    testo = json.dumps(materiale, cls=EncoderPiano, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(testo.encode()).hexdigest()


def nome_file(ambito: str, anno: int, *, definitiva: bool) -> str:
    """«POA-2025-Ambito-Sociale-Territoriale-Cremonese-BOZZA.pdf»: ASCII only, safe in any mail client."""
    ascii_ = unicodedata.normalize("NFKD", ambito).encode("ascii", "ignore").decode("ascii")
    parole = re.sub(r"[^A-Za-z0-9]+", "-", ascii_).strip("-")
    return f"POA-{anno}-{parole}-{'APPROVATO' if definitiva else 'BOZZA'}.pdf"


# --------------------------------------------------------------------------------------------
# The outline: numbers and titles of the headings, shared by the headings and the index
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Titolo:
    id: str
    livello: int  # 1 part or annex, 2 chapter, 3 section
    numero: str
    testo: str
    etichetta: str = ""  # «Parte prima», «Allegato A»: printed above a part's title

    @property
    def completo(self) -> str:
        """The title as the index and the bookmarks show it."""
        if self.etichetta:
            return f"{self.etichetta} – {self.testo}"
        return f"{self.numero} {self.testo}".strip()

    @property
    def html(self) -> SafeString:
        """The heading, with the id the index links to and the label of its bookmark."""
        if self.etichetta:
            prima = format_html('<span class="etichetta">{}</span>', self.etichetta)
        elif self.numero:
            prima = format_html('<span class="numero">{}</span>', self.numero)
        else:
            prima = ""
        return format_html(
            '<h{0} id="{1}" data-segnalibro="{2}">{3}{4}</h{0}>',
            self.livello,
            self.id,
            self.completo,
            prima,
            self.testo,
        )


# Parte seconda is printed when any of these lists of ``ParteSeconda`` holds something.
ELENCHI_PARTE_SECONDA = ("misure", "avvisi", "contributo_solidarieta", "riqualificazione")

SEZIONI_SERVIZI = (
    ("a", "a)", "Consistenza del patrimonio abitativo pubblico e sociale"),
    ("b", "b)", "Unità SAP in carenza manutentiva assegnabili nello stato di fatto"),
    ("c", "c)", "Unità SAP in piani e programmi di ristrutturazione, recupero e riqualificazione"),
    ("d", "d)", "Unità SAP di nuova edificazione"),
    ("e", "e)", "Unità SAP già libere e che si libereranno per turn-over"),
    ("f", "f)", "Unità conferite da soggetti privati e destinate ai SAP"),
    ("g", "g)", "Unità SAP assegnabili nell'anno"),
    ("h", "h)", "Soglia per i nuclei in condizione di indigenza eccedente il 20%"),
    ("i", "i)", "Categorie aggiuntive di particolare rilevanza sociale"),
    ("ib", "i.b)", "Quota per le Forze di Polizia e il Corpo nazionale dei Vigili del Fuoco"),
    ("j", "j)", "Unità destinate ai servizi abitativi transitori"),
    ("k", "k)", "Unità SAP assegnate nell'anno precedente"),
)


def struttura(p: PianoCalcolato, *, con_controlli: bool) -> dict[str, Titolo]:
    """Every heading of the document in order, numbered once here for the text and the index.

    Parte seconda and terza add a heading per measure and per project when the computed plan has them.
    """
    voci: list[Titolo] = []
    capitolo = 0

    def parte(id_: str, etichetta: str, testo: str) -> None:
        voci.append(Titolo(id_, 1, "", testo, etichetta))

    def cap(id_: str, testo: str) -> None:
        nonlocal capitolo
        capitolo += 1
        voci.append(Titolo(id_, 2, str(capitolo), testo))

    def par(id_: str, numero: str, testo: str) -> None:
        voci.append(Titolo(id_, 3, numero, testo))

    cap("premessa", "Premessa")
    cap("normativa", "Il sistema regionale dei servizi abitativi")
    parte("parte_prima", "Parte prima", "Ricognizione dell'offerta abitativa pubblica e sociale")
    cap("contesto", "Analisi del contesto")
    cap("anagrafe", "Dati anagrafici")
    par("popolazione", f"{capitolo}.1", "Popolazione residente per comune")
    par("aggregazioni", f"{capitolo}.2", "Popolazione per aggregazione territoriale")
    par("densita", f"{capitolo}.3", "Superficie e densità abitativa")
    par("senza_sap", f"{capitolo}.4", "Comuni senza alloggi SAP di proprietà")
    cap("ricognizione", "Esito della ricognizione")
    cap("servizi", "Dati dei servizi abitativi")
    for id_, lettera, testo in SEZIONI_SERVIZI:
        par(id_, lettera, testo)

    parte("parte_seconda", "Parte seconda", "Il supporto all'abitare")
    cap("misure", "Misure per l'accesso e il mantenimento dell'abitazione")
    seconda = _parte_presente(p, "parte_seconda", ELENCHI_PARTE_SECONDA)
    if seconda is not None:
        for m in seconda.misure:
            titolo = f"{m.titolo} ({m.riferimenti})" if m.riferimenti else m.titolo
            par(f"misura_{m.id}", f"{m.lettera})", titolo)
        cap("avvisi", "Avvisi pubblici")
        cap("solidarieta", "Riparto del contributo regionale di solidarietà")
        cap("riqualificazione", "Accesso ai fondi per la riqualificazione dei contesti abitativi pubblici")

    parte("parte_terza", "Parte terza", "Altre progettualità di sostegno all'abitare")
    cap("progettualita", "Progettualità attive nell'Ambito")
    terza = _parte_presente(p, "parte_terza", ("progetti",))
    if terza is not None:
        for n, progetto in enumerate(terza.progetti, start=1):
            par(f"progetto_{n}", f"{capitolo}.{n}", progetto.titolo)

    voci.append(Titolo("note", 1, "", "Note di chiusura"))
    parte("allegato_a", "Allegato A", "Report per ente proprietario")
    parte("allegato_b", "Allegato B", "Dettaglio delle unità di proprietà ALER (sezioni b, c, e)")
    parte("sintesi", "Sintesi", "Tabelle di sintesi per l'Assemblea dei Sindaci")
    if con_controlli:
        parte("controlli", "Bozza", "Esito dei controlli di coerenza")
    return {v.id: v for v in voci}


# --------------------------------------------------------------------------------------------
# Narratives
# --------------------------------------------------------------------------------------------


def markdown_sicuro(testo: str) -> SafeString:
    """Markdown to HTML, sanitised: the text comes from users and goes into an official document."""
    html = markdown.markdown(testo, extensions=["sane_lists", "tables"], output_format="html")
    return mark_safe(nh3.clean(html, tags=ETICHETTE_AMMESSE, attributes={"a": {"href"}}))  # noqa: S308


# --------------------------------------------------------------------------------------------
# Parte seconda and terza
# --------------------------------------------------------------------------------------------


def _parte_presente(p: PianoCalcolato, nome: str, elenchi: tuple[str, ...]) -> Any:
    """``p.<nome>`` when the computed plan has it and it holds something, else None.

    Parte seconda and terza come from the misure app: the document prints them when the plan has
    something recorded and says there is nothing otherwise.
    """
    parte = getattr(p, nome, None)
    if not parte:
        return None
    if any(getattr(parte, elenco, None) for elenco in elenchi):
        return parte
    return None


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


ETICHETTE_GRUPPI = {"COMUNI": "Comuni", "ALER": "ALER", "OPERATORI ACCREDITATI": "Operatori accreditati"}


def _etichetta_gruppo(gruppo: str) -> str:
    return "Totale Ambito" if gruppo == "AMBITO" else ETICHETTE_GRUPPI.get(gruppo, gruppo)


def data_italiana(data: datetime.date | None) -> str:
    """«1° gennaio 2024», «14 febbraio 2025»: the ordinal for the first of the month, as Italians write."""
    if data is None:
        return ""
    testo = dateformat.format(data, "j F Y").lower()  # Django capitalises Italian month names
    return f"1°{testo[1:]}" if data.day == 1 else testo


def _a_coppie(righe: tuple[Any, ...]) -> list[tuple[Any, Any]]:
    """Split a long ranking in two halves printed side by side: one page instead of two."""
    meta = (len(righe) + 1) // 2
    sinistra, destra = righe[:meta], righe[meta:]
    return [(s, destra[n] if n < len(destra) else None) for n, s in enumerate(sinistra)]


def contesto_documento(
    calcolo: PianoCalcolato,
    testi: dict[str, str],
    *,
    definitiva: bool,
    approvato_il: datetime.date | None,
    note: NoteChiusura | None = None,
) -> dict[str, Any]:
    """Everything the templates read: the computed plan and what is derived from it for printing,
    and the Note di chiusura's parere, observations and approval (``iter.note_di_chiusura``)."""
    info = calcolo.piano
    con_controlli = not definitiva and bool(calcolo.anomalie)
    titoli = struttura(calcolo, con_controlli=con_controlli)
    sintesi = calcolo.sintesi
    seconda = _parte_presente(calcolo, "parte_seconda", ELENCHI_PARTE_SECONDA)
    terza = _parte_presente(calcolo, "parte_terza", ("progetti",))
    # Section g printed ente by ente, with a subtotal for the enti that have units in several comuni.
    righe_per_ente: dict[int, list[Any]] = {}
    for riga in calcolo.g.righe:
        righe_per_ente.setdefault(riga.ente.id, []).append(riga)
    g_per_ente = [
        {"ente": totale, "righe": righe_per_ente[totale.ente.id]}
        for totale in calcolo.g.per_ente
        if totale.ente.id in righe_per_ente
    ]
    # Section e lists the free units; ALER's are listed in Allegato B, where e) refers to them.
    libere_in_allegato: dict[str, int] = {}
    for unita in calcolo.e.libere:
        if unita.ente.tipo == TipoEnte.ALER:
            libere_in_allegato[unita.ente.denominazione] = (
                libere_in_allegato.get(unita.ente.denominazione, 0) + 1
            )
    return {
        "p": calcolo,
        "t": titoli,
        "indice": list(titoli.values()),
        "testi": {sezione: markdown_sicuro(testo) for sezione, testo in testi.items()},
        "grafici": {
            "popolazione": grafici.popolazione_per_aggregazione(calcolo),
            "patrimonio": grafici.patrimonio_per_ente(calcolo),
            "disponibili": grafici.disponibili_per_categoria(calcolo),
        },
        "classifica": _a_coppie(calcolo.demografia.classifica),
        "comuni_alfabetici": sorted((r.comune for r in calcolo.demografia.classifica), key=chiave_nome),
        "date": {
            "popolazione": data_italiana(calcolo.demografia.data_riferimento),
            "approvazione": data_italiana(approvato_il),
        },
        "g_per_ente": g_per_ente,
        "libere_elencate": [u for u in calcolo.e.libere if u.ente.tipo != TipoEnte.ALER],
        "libere_in_allegato": list(libere_in_allegato.items()),
        "unita_b": [(u, STATI_UNITA.get(u.stato, u.stato)) for u in calcolo.allegato_b.unita],
        "tab1": [(_etichetta_gruppo(r.gruppo), r) for r in sintesi.disponibili],
        "tab1_quote": [(_etichetta_gruppo(q.gruppo), q) for q in sintesi.quote_disponibili],
        "tab2": [(_etichetta_gruppo(r.gruppo), r) for r in sintesi.patrimonio],
        "tab2_quote": [(_etichetta_gruppo(q.gruppo), q) for q in sintesi.quote_patrimonio],
        "con_conferite": any(r.conferite for r in sintesi.disponibili),
        "definitivo": definitiva,
        "approvato_il": approvato_il,
        "con_controlli": con_controlli,
        "parte_seconda": seconda,
        "parte_terza": terza,
        # Each measure and project with its heading from the outline.
        "misure": [(titoli[f"misura_{m.id}"], m) for m in seconda.misure] if seconda else [],
        "progetti": (
            [(titoli[f"progetto_{n}"], pr) for n, pr in enumerate(terza.progetti, start=1)] if terza else []
        ),
        # ALER's parere (with its observations and the answers) and the approval: the workflow's
        # records, read by the caller with ``note_di_chiusura`` and part of the document's key.
        "parere_aler": note.parere if note else None,
        "osservazioni": note.osservazioni if note else (),
        "osservazioni_piu_versioni": note.piu_versioni if note else False,
        "pareri_precedenti": note.pareri_precedenti if note else (),
        "approvazione": note.approvazione if note else None,
        "titolo": TITOLO,
        "titolo_breve": f"Piano annuale dell'offerta abitativa {info.anno}",
        "descrizione": (
            f"{TITOLO} {info.anno} dell'{info.ambito} "
            "(L.R. 8 luglio 2016, n. 16; R.R. 4 agosto 2017, n. 4, art. 4)"
        ),
        "css": mark_safe(CSS_PDF.read_text(encoding="utf-8")),  # noqa: S308 - our own file
    }


def html_documento(
    calcolo: PianoCalcolato,
    testi: dict[str, str],
    *,
    definitiva: bool,
    approvato_il: datetime.date | None,
    note: NoteChiusura | None = None,
) -> str:
    """The document's HTML, ready for WeasyPrint (resolve its URLs against ``base_url()``)."""
    with translation.override("it"):  # dates and numbers in Italian, whatever the caller's locale
        contesto = contesto_documento(
            calcolo, testi, definitiva=definitiva, approvato_il=approvato_il, note=note
        )
        return render_to_string("piano_annuale/documento/piano.html", contesto)


def base_url() -> str:
    """Where the HTML's relative URLs (the fonts) point: the project's static folder."""
    return CARTELLA_STATICI.as_uri() + "/"


def allegati_dati(calcolo: PianoCalcolato, nome_base: str) -> list[weasyprint.Attachment]:
    """The computed plan as JSON and CSV, embedded in the approved PDF/A-3b."""
    import weasyprint

    json_ = calcolo.as_json(indent=2).encode()
    csv_ = piano_csv(calcolo).encode("utf-8-sig")  # BOM: spreadsheets then read UTF-8 correctly
    return [
        weasyprint.Attachment(
            string=json_,
            name=f"{nome_base}-piano-calcolato.json",
            description="Il piano calcolato in formato JSON (tutte le sezioni, i totali e i controlli).",
            relationship="Data",
        ),
        weasyprint.Attachment(
            string=csv_,
            name=f"{nome_base}-piano-calcolato.csv",
            description="Il piano calcolato in formato CSV (separatore «;»): una riga per valore.",
            relationship="Data",
        ),
    ]


def pdf_da_html(html: str, *, definitiva: bool, allegati: list[weasyprint.Attachment] | None = None) -> bytes:
    """Lay out the HTML with WeasyPrint: a plain PDF for drafts, PDF/A-3b with attachments when approved."""
    import weasyprint

    documento = weasyprint.HTML(string=html, base_url=base_url())
    if definitiva:
        return documento.write_pdf(pdf_variant="pdf/a-3b", attachments=allegati or [])
    return documento.write_pdf()


Avanzamento = Callable[[int], None]


@dataclass(frozen=True)
class PdfGenerato:
    contenuto: bytes
    chiave: str  # the content key the file was made from (see ``chiave_documento``)
    definitivo: bool


def genera_pdf(
    piano: PianoAnnuale,
    *,
    forza_bozza: bool = False,
    avanzamento: Avanzamento | None = None,
    calcolo: PianoCalcolato | None = None,
    note: NoteChiusura | None = None,
) -> PdfGenerato:
    """Compute the plan and render its PDF, synchronously.

    The variant follows the plan's state (approved: definitive); ``forza_bozza`` makes a draft of
    any plan. ``avanzamento`` is told the percentage reached after each step. A caller that has
    already computed the plan and read its Note di chiusura (a frozen version) passes them.
    """
    segnala = avanzamento or (lambda _: None)
    calcolo = calcolo if calcolo is not None else calcola_piano(piano)
    note = note if note is not None else note_di_chiusura(piano)
    testi = testi_del_piano(piano)
    definitiva = definitivo(piano) and not forza_bozza
    approvato_il = data_approvazione(piano) if definitiva else None
    chiave = chiave_documento(calcolo, testi, definitiva=definitiva, approvato_il=approvato_il, note=note)
    segnala(10)
    html = html_documento(calcolo, testi, definitiva=definitiva, approvato_il=approvato_il, note=note)
    segnala(40)
    allegati = None
    if definitiva:
        nome_base = nome_file(calcolo.piano.ambito, calcolo.piano.anno, definitiva=True).removesuffix(".pdf")
        allegati = allegati_dati(calcolo, nome_base)
    contenuto = pdf_da_html(html, definitiva=definitiva, allegati=allegati)
    return PdfGenerato(contenuto=contenuto, chiave=chiave, definitivo=definitiva)


# --------------------------------------------------------------------------------------------
# The computed plan as CSV
# --------------------------------------------------------------------------------------------


def _valore_csv(valore: Any) -> str:
    if valore is None:
        return ""
    if isinstance(valore, bool):
        return "sì" if valore else "no"
    if isinstance(valore, Decimal):
        return str(valore).replace(".", ",")  # Italian spreadsheets read a decimal comma
    if isinstance(valore, datetime.date):
        return valore.isoformat()
    return str(valore)


def _righe_csv(valore: Any, sezione: str, ente: str, comune: str, voce: list[str]) -> Iterator[list[str]]:
    if isinstance(valore, dict):
        if isinstance(valore.get("ente"), dict):
            ente = valore["ente"]["denominazione"]
        if isinstance(valore.get("comune"), str) and "ente" in valore:
            comune = valore["comune"]
        for chiave, figlio in valore.items():
            if chiave == "ente" and isinstance(figlio, dict):
                continue
            if chiave == "comune" and "ente" in valore:
                continue
            yield from _righe_csv(figlio, sezione, ente, comune, [*voce, chiave])
    elif isinstance(valore, list | tuple):
        for n, figlio in enumerate(valore, start=1):
            yield from _righe_csv(figlio, sezione, ente, comune, [*voce, str(n)])
    else:
        yield [sezione, ente, comune, ".".join(voce), _valore_csv(valore)]


def piano_csv(calcolo: PianoCalcolato) -> str:
    """Every value of the computed plan, one per row: sezione; ente; comune; voce; valore."""
    uscita = io.StringIO()
    scrittore = csv.writer(uscita, delimiter=";", lineterminator="\r\n")
    scrittore.writerow(["sezione", "ente", "comune", "voce", "valore"])
    for sezione, valore in calcolo.as_dict().items():
        scrittore.writerows(_righe_csv(valore, sezione, "", "", []))
    return uscita.getvalue()


# --------------------------------------------------------------------------------------------
# Cached documents
# --------------------------------------------------------------------------------------------


def _file_presente(documento: DocumentoPiano) -> bool:
    return bool(documento.file) and documento.file.storage.exists(documento.file.name)


def da_generare(documento: DocumentoPiano) -> bool:
    """Whether a document with the right key still has to be rendered (again)."""
    if documento.stato == StatoDocumento.PRONTO:
        return not _file_presente(documento)
    if documento.stato == StatoDocumento.ERRORE:
        return True
    # Queued or running: leave it alone unless it has been waiting for too long.
    return documento.creato_il < timezone.now() - ATTESA_MASSIMA


def richiedi_pdf(*, piano: PianoAnnuale, utente: Any) -> DocumentoPiano:
    """The PDF document of ``piano`` for its current data: reused when one with the same key exists,
    otherwise created and queued for the background task (after the transaction commits)."""
    from .tasks import genera_documento  # the task module imports this one

    calcolo = calcola_piano(piano)
    testi = testi_del_piano(piano)
    definitiva = definitivo(piano)
    chiave = chiave_documento(
        calcolo,
        testi,
        definitiva=definitiva,
        approvato_il=data_approvazione(piano) if definitiva else None,
        note=note_di_chiusura(piano),
    )
    richiedente = utente if getattr(utente, "is_authenticated", False) else None
    with transaction.atomic():
        documento, creato = DocumentoPiano.objects.select_for_update().get_or_create(
            chiave=chiave,
            defaults={"piano": piano, "definitivo": definitiva, "richiesto_da": richiedente},
        )
        if not creato:
            if not da_generare(documento):
                return documento
            # A new request for a failed or lost rendering: start again from the queue.
            documento.stato = StatoDocumento.IN_CODA
            documento.progresso = 0
            documento.errore = ""
            documento.richiesto_da = richiedente
            documento.creato_il = timezone.now()
            documento.completato_il = None
            documento.save()
        documento_id = documento.pk
        transaction.on_commit(lambda: genera_documento.delay(documento_id))
    return documento


# --------------------------------------------------------------------------------------------
# Demo
# --------------------------------------------------------------------------------------------

AMBITO_DEMO = "Ambito Sociale Territoriale Cremonese"
ANNO_DEMO = 2025


def scrivi_pdf_demo(destinazione: Path | None = None) -> Path:
    """Write the draft PDF of the demo plan (Cremonese 2025) and return its path.

    For the ``demo`` command: the plan must already be loaded (``fixtures/cremonese_2025.json``).
    """
    destinazione = destinazione or Path(settings.BASE_DIR) / "var" / f"POA-{ANNO_DEMO}-bozza.pdf"
    piano = PianoAnnuale.objects.get(ambito__nome=AMBITO_DEMO, anno=ANNO_DEMO)
    generato = genera_pdf(piano, forza_bozza=True)
    destinazione.parent.mkdir(parents=True, exist_ok=True)
    destinazione.write_bytes(generato.contenuto)
    return destinazione
