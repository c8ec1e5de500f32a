"""The plan as a PDF for the Assemblea dei Sindaci (WeasyPrint).

The document reads only the computed plan (``PianoCalcolato``), the plan's narratives and its
header; it never queries or recomputes a figure. A draft carries a «BOZZA» watermark on every page;
an approved plan is a tagged PDF/A-3a declaring PDF/UA-1 (``pdf_accessibile``) with the computed
plan attached as JSON and CSV. Its outline (the
numbered headings and the index) follows ``piano_annuale.catalogo``.

``chiave_documento`` hashes everything the file depends on: ``piano_annuale.tasks.richiedi_pdf``
uses it so the same data renders once.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from ambito import italiano
from patrimonio.models import TipoEnte
from piano_annuale.calcolo import EncoderPiano, PianoCalcolato, chiave_nome, piano_calcolato
from piano_annuale.catalogo import CATALOGO, Voce, presente, voce
from piano_annuale.iter import NoteChiusura, note_di_chiusura
from piano_annuale.models import (
    Approvazione,
    DocumentoPiano,
    PianoAnnuale,
    Stato,
    StatoDocumento,
    StatoPiano,
)
from piano_annuale.rendering import grafici
from piano_annuale.rendering.pdf_accessibile import VARIANTE, dichiara_pdf_ua, pdf_accessibile
from piano_annuale.rendering.pdf_elenchi import (
    gruppi_allegato_b,
    gruppi_controlli,
    gruppi_libere,
    gruppi_lotti,
)
from piano_annuale.rendering.pdf_parti import Allegato, dati_allegati, pdf_in_parti
from piano_annuale.rendering.testi import html_sicuro, testi_del_piano

# Bump whenever the templates, the stylesheet or the fonts change what the PDF looks like, so
# documents cached under the old layout are rendered again.
# 2: Note di chiusura with parere, observations and approval; 3: headings from the catalogue;
# 4: rendered in parts, long lists grouped with subtotals; 5: tagged (PDF/UA-1 + PDF/A-3a) when approved,
# table headers with their scope, charts with a text alternative.
VERSIONE_MODELLO = 5
VERSIONE_WEASYPRINT = version("weasyprint")  # a new renderer may lay pages out differently

# Inlined into the document, never served to browsers: it lives with the PDF templates.
CSS_PDF = Path(__file__).resolve().parent.parent / "templates" / "piano_annuale" / "documento" / "pdf.css"
# The stylesheet's relative font URLs resolve against the project's static folder.
CARTELLA_STATICI = Path(settings.BASE_DIR) / "static"

# A document still queued or running after this long is considered lost (worker restarted).
ATTESA_MASSIMA = datetime.timedelta(minutes=15)

# The plan section an ALER unit of Allegato B is counted in, as the annex prints it.
STATI_UNITA: dict[str, str] = {
    Stato.LIBERA: f"{voce('e').lettera} libera",
    Stato.CARENZA_MANUTENTIVA: f"{voce('b').lettera} carenza",
}

TITOLO = "Piano annuale dell'offerta dei servizi abitativi pubblici e sociali"

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
        # An optional narrative left unwritten is empty: leaving it out keeps earlier documents' keys.
        "testi": {sezione: testo for sezione, testo in testi.items() if testo},
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
        prima: SafeString | str
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
# Chapters of Parte seconda printed only when it holds something (the document then says so once).
SOLO_CON_PARTE_SECONDA = ("avvisi", "solidarieta", "riqualificazione")


def _titolo(v: Voce, capitolo: int, paragrafo: int) -> Titolo:
    if v.livello == 1:
        return Titolo(v.chiave, 1, "", v.titolo, v.etichetta)
    if v.livello == 2:
        return Titolo(v.chiave, 2, str(capitolo), v.titolo)
    return Titolo(v.chiave, 3, v.lettera or f"{capitolo}.{paragrafo}", v.titolo)


def _stampata(
    v: Voce, p: PianoCalcolato, seconda: Any, *, con_controlli: bool, scritti: Collection[str]
) -> bool:
    """Whether the document prints the part: the plan's rules have it (``catalogo.presente``), an
    optional narrative was written, the controls only in a draft with anomalies."""
    if not presente(v, p) or (v.facoltativo and v.chiave not in scritti):
        return False
    if v.chiave == "controlli":
        return con_controlli
    return not (v.chiave in SOLO_CON_PARTE_SECONDA and seconda is None)


def struttura(p: PianoCalcolato, *, con_controlli: bool, scritti: Collection[str] = ()) -> dict[str, Titolo]:
    """Every heading of the document in the catalogue's order, numbered once here for the text and
    the index. Parte seconda and terza add a heading per measure and per project when the computed
    plan has them; the controls close a draft that has anomalies (``con_controlli``); an optional
    narrative is a chapter when written (``scritti``: the narratives with a text)."""
    seconda = _parte_presente(p, "parte_seconda", ELENCHI_PARTE_SECONDA)
    terza = _parte_presente(p, "parte_terza", ("progetti",))
    voci: list[Titolo] = []
    capitolo = paragrafo = 0
    for v in CATALOGO:
        if not _stampata(v, p, seconda, con_controlli=con_controlli, scritti=scritti):
            continue
        if v.livello == 2:
            capitolo, paragrafo = capitolo + 1, 0
        elif v.livello == 3:
            paragrafo += 1
        voci.append(_titolo(v, capitolo, paragrafo))
        if v.chiave == "misure" and seconda is not None:
            for m in seconda.misure:
                titolo = f"{m.titolo} ({m.riferimenti})" if m.riferimenti else m.titolo
                voci.append(Titolo(f"misura_{m.id}", 3, f"{m.lettera})", titolo))
        if v.chiave == "progettualita" and terza is not None:
            for n, progetto in enumerate(terza.progetti, start=1):
                voci.append(Titolo(f"progetto_{n}", 3, f"{capitolo}.{n}", progetto.titolo))
    return {v.id: v for v in voci}


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
    return italiano.data_estesa(data)  # the one way dates are written


def _a_coppie(righe: tuple[Any, ...]) -> list[tuple[Any, Any]]:
    """Split a long ranking in two halves printed side by side: one page instead of two."""
    meta = (len(righe) + 1) // 2
    sinistra, destra = righe[:meta], righe[meta:]
    return [(s, destra[n] if n < len(destra) else None) for n, s in enumerate(sinistra)]


def _g_per_ente(calcolo: PianoCalcolato) -> list[dict[str, Any]]:
    """Section g printed ente by ente, with a subtotal for the enti that have units in several comuni."""
    righe_per_ente: dict[int, list[Any]] = {}
    for riga in calcolo.g.righe:
        if riga.ente is not None:
            righe_per_ente.setdefault(riga.ente.id, []).append(riga)
    return [
        {"ente": totale, "righe": righe_per_ente[totale.ente.id]}
        for totale in calcolo.g.per_ente
        if totale.ente is not None and totale.ente.id in righe_per_ente
    ]


def unita_allegato_b(calcolo: PianoCalcolato) -> list[tuple[Any, str, Any]]:
    """Allegato B's free and carenza units, each with its section and, for a carenza unit under rules
    with the cost of works, the line of section b) stating it (matched by ente, ID and code)."""
    costi = {
        (u.ente.id, u.id_regionale, u.codice_ente): u
        for u in (calcolo.costi_b.unita if calcolo.costi_b else ())
    }
    return [
        (
            u,
            STATI_UNITA.get(u.stato, u.stato),
            costi.get((u.ente.id, u.id_regionale, u.codice_ente))
            if u.stato == Stato.CARENZA_MANUTENTIVA
            else None,
        )
        for u in calcolo.allegato_b.unita
    ]


def _libere_in_allegato(calcolo: PianoCalcolato) -> list[tuple[str, int]]:
    """ALER's free units per ALER: section e counts them and refers to Allegato B, which lists them."""
    libere: dict[str, int] = {}
    for unita in calcolo.e.libere:
        if unita.ente.tipo == TipoEnte.ALER:
            libere[unita.ente.denominazione] = libere.get(unita.ente.denominazione, 0) + 1
    return list(libere.items())


def parti_delle_regole(calcolo: PianoCalcolato) -> dict[str, Any]:
    """What the parts that depend on the rule set print beyond the computed figures: the units
    available to the d bis) quotas, and which columns Allegato A has."""
    regole = calcolo.regole
    return {
        "dbis_disponibili": sum(r.disponibili for r in calcolo.dbis.righe) if calcolo.dbis else 0,
        "con_7ter": bool(regole and regole.con_7ter),
        "con_c_bis": bool(regole and regole.c_bis_massimo is not None),
    }


# The document's parts in order (piano.html): each but the cover starts with a forced page break.
PARTI = (
    "copertina",
    "premessa",
    "parte_prima",
    "seguito",
    "allegato_a",
    "allegato_b",
    "allegato_b2",
    "sintesi",
    "controlli",
)


def piede(*, definitiva: bool, approvato_il: datetime.date | None) -> str:
    """The running footer on the left: the document's state."""
    if not definitiva:
        return "BOZZA – documento non approvato"
    if approvato_il is None:
        return "Approvato dall'Assemblea dei Sindaci"
    return f"Approvato dall'Assemblea dei Sindaci il {approvato_il:%d/%m/%Y}"


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
    scritti = {sezione for sezione, testo in testi.items() if testo.strip()}
    titoli = struttura(calcolo, con_controlli=con_controlli, scritti=scritti)
    sintesi = calcolo.sintesi
    seconda = _parte_presente(calcolo, "parte_seconda", ELENCHI_PARTE_SECONDA)
    terza = _parte_presente(calcolo, "parte_terza", ("progetti",))
    libere_elencate = [u for u in calcolo.e.libere if u.ente.tipo != TipoEnte.ALER]
    unita_b = unita_allegato_b(calcolo)
    return {
        "p": calcolo,
        "t": titoli,
        "indice": [(v, None) for v in titoli.values()],  # page numbers from target-counter()
        "testi": {sezione: html_sicuro(testo, calcolo) for sezione, testo in testi.items()},
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
            "regole": data_italiana(calcolo.regole.in_vigore_dal) if calcolo.regole else "",
        },
        **parti_delle_regole(calcolo),
        "g_per_ente": _g_per_ente(calcolo),
        "libere_elencate": libere_elencate,
        "gruppi_libere": gruppi_libere(libere_elencate),
        "libere_in_allegato": _libere_in_allegato(calcolo),
        "unita_b": unita_b,
        "gruppi_b": gruppi_allegato_b(unita_b),
        "b_segue": False,  # a later lotto of B.1 (rendering.pdf_parti)
        "b_ultimo": True,  # B.1's total follows
        "gruppi_b2": gruppi_lotti(calcolo),
        "b2_segue": False,
        "b2_ultimo": True,
        "gruppi_controlli": gruppi_controlli(calcolo) if con_controlli else [],
        "controlli_segue": False,
        "parti": PARTI,
        "in_parti": False,
        "piede": piede(definitiva=definitiva, approvato_il=approvato_il),
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


def pdf_documento(
    calcolo: PianoCalcolato,
    testi: dict[str, str],
    *,
    definitiva: bool,
    approvato_il: datetime.date | None,
    note: NoteChiusura | None = None,
    allegati: list[Allegato] | None = None,
) -> bytes:
    """The document's PDF. A draft: its parts rendered in parallel and joined (``pdf_parti``),
    the same pages as ``pdf_da_html(html_documento(...))`` in a fraction of the time for a large
    ambito. The approved plan, the one published: tagged PDF/UA-1 and PDF/A-3a in one pass
    (``pdf_accessibile``: the join would drop the tags)."""
    with translation.override("it"):
        contesto = contesto_documento(
            calcolo, testi, definitiva=definitiva, approvato_il=approvato_il, note=note
        )
        if definitiva:
            html = render_to_string("piano_annuale/documento/piano.html", contesto)
            return pdf_accessibile(html, base_url=base_url(), allegati=allegati or [])

        def html_di(aggiunte: dict[str, object]) -> str:
            return render_to_string("piano_annuale/documento/piano.html", {**contesto, **aggiunte})

        return pdf_in_parti(
            contesto,
            html_di,
            base_url=base_url(),
            css=str(contesto["css"]),
            pdf_a=definitiva,
            allegati=allegati or [],
        )


def base_url() -> str:
    """Where the HTML's relative URLs (the fonts) point: the project's static folder."""
    return CARTELLA_STATICI.as_uri() + "/"


def pdf_da_html(html: str, *, definitiva: bool, allegati: list[weasyprint.Attachment] | None = None) -> bytes:
    """Lay out the HTML with WeasyPrint: a plain PDF for drafts, tagged PDF/A-3a and PDF/UA-1 with
    attachments when approved (as ``pdf_documento``)."""
    documento = weasyprint.HTML(string=html, base_url=base_url())
    if definitiva:
        return documento.write_pdf(pdf_variant=VARIANTE, attachments=allegati or [], finisher=dichiara_pdf_ua)
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
    calcolo = calcolo if calcolo is not None else piano_calcolato(piano)
    note = note if note is not None else note_di_chiusura(piano)
    testi = testi_del_piano(piano)
    definitiva = definitivo(piano) and not forza_bozza
    approvato_il = data_approvazione(piano) if definitiva else None
    chiave = chiave_documento(calcolo, testi, definitiva=definitiva, approvato_il=approvato_il, note=note)
    segnala(10)
    allegati = None
    if definitiva:
        nome_base = nome_file(calcolo.piano.ambito, calcolo.piano.anno, definitiva=True).removesuffix(".pdf")
        allegati = dati_allegati(calcolo, nome_base)
    contenuto = pdf_documento(
        calcolo, testi, definitiva=definitiva, approvato_il=approvato_il, note=note, allegati=allegati
    )
    return PdfGenerato(contenuto=contenuto, chiave=chiave, definitivo=definitiva)


# --------------------------------------------------------------------------------------------
# Cached documents
# --------------------------------------------------------------------------------------------


def _file_presente(documento: DocumentoPiano) -> bool:
    nome = documento.file.name
    return bool(documento.file) and nome is not None and documento.file.storage.exists(nome)


def da_generare(documento: DocumentoPiano) -> bool:
    """Whether a document with the right key still has to be rendered (again)."""
    if documento.stato == StatoDocumento.PRONTO:
        return not _file_presente(documento)
    if documento.stato == StatoDocumento.ERRORE:
        return True
    # Queued or running: leave it alone unless it has been waiting for too long.
    return documento.creato_il < timezone.now() - ATTESA_MASSIMA


def chiave_attuale(piano: PianoAnnuale) -> tuple[str, bool]:
    """The key of the PDF ``piano`` would have now, and whether it would be the definitive one."""
    calcolo = piano_calcolato(piano)
    definitiva = definitivo(piano)
    chiave = chiave_documento(
        calcolo,
        testi_del_piano(piano),
        definitiva=definitiva,
        approvato_il=data_approvazione(piano) if definitiva else None,
        note=note_di_chiusura(piano),
    )
    return chiave, definitiva


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
