"""The plan's PDF rendered in parts, in parallel processes, and joined into one file (pypdf).

WeasyPrint lays out one document on one core, and a large ambito's document (thousands of units in
Allegato B and section e, hundreds of anomalies) takes most of a minute. Every part of the document
but the cover starts with a forced page break (``piano.html``), so each part, and each lotto of the
long lists (``pdf_elenchi``), lays out alone exactly as in the whole document:

1. the parts are rendered at the same time by a bounded pool of processes (``PROCESSI``); each
   returns its PDF, its page sizes, where its headings and bookmarks fall, and its links;
2. the cover and index is rendered again with the page numbers now known (its own page count does
   not depend on them) and, at the same time, a «stamp» document of as many pages holding only the
   running header and «pagina N di M» (page counters that are right because the stamp document has
   every page of the joined one);
3. the parts are joined: stamps merged onto the pages, one outline built from every part's bookmarks
   (levels as WeasyPrint would nest them in a single document), the index's links pointed at the
   headings' pages. The joined file keeps the cover's catalogue: title, author, language and, for an
   approved plan, the PDF/A-3b metadata (XMP, output intent) and the JSON and CSV attachments.

Where processes cannot be started (a daemonic worker, as Celery's prefork children are) the same
parts are rendered one after the other in the calling process.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import weasyprint
import weasyprint.html
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.generic import Fit, NameObject, NumberObject
from weasyprint.css.counters import CounterStyle

from piano_annuale.calcolo import PianoCalcolato
from piano_annuale.rendering.esportazione import piano_csv
from piano_annuale.rendering.pdf_elenchi import in_lotti

logger = logging.getLogger(__name__)


class _SenzaAncoreAltrui(logging.Filter):
    """A part's index points at headings of other parts: WeasyPrint's warnings about them are
    expected (the join links them), so they are not logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        messaggio = str(record.msg)
        return not (messaggio.startswith("No anchor") or "undefined anchor" in messaggio)


logging.getLogger("weasyprint").addFilter(_SenzaAncoreAltrui())


def _foglio_ua_leggero() -> weasyprint.CSS:
    """WeasyPrint's user-agent stylesheet without the rules that give every element footnote and
    note pseudo-elements (the document has none) and markers only to list items: each such rule
    costs a computed style per element, about a seventh of a long table's layout."""
    ua = re.sub(r"^::(footnote|note)-[a-z]+ *\{[^}]*\}\n", "", weasyprint.html.UA, flags=re.MULTILINE)
    ua = ua.replace("\n::marker {", "\nli::marker {")
    # Its counter styles are WeasyPrint's own (``HTML._ua_counter_style``): parsed here into a
    # throwaway set, since redefining «decimal» in WeasyPrint's set is refused.
    return weasyprint.CSS(string=ua, counter_style=CounterStyle())


UA_LEGGERO = _foglio_ua_leggero()


class HTMLPiano(weasyprint.HTML):
    """An HTML document laid out with the lighter user-agent stylesheet."""

    def _ua_stylesheets(self, forms: bool = False) -> list[weasyprint.CSS]:
        return [UA_LEGGERO]


# Bounded: each process holds one part's layout (a few hundred MB for the largest lotti).
PROCESSI = max(1, min(int(os.environ.get("POA_PDF_PROCESSI", "0")) or os.cpu_count() or 1, 4))

PUNTI_PER_PIXEL = 0.75  # WeasyPrint measures in CSS pixels (1/96 in), PDF in points (1/72 in)


@dataclass(frozen=True)
class Allegato:
    """A file embedded in the approved PDF/A-3b, as plain data (``weasyprint.Attachment`` cannot
    be sent to another process)."""

    contenuto: bytes
    nome: str
    descrizione: str

    def weasyprint(self) -> weasyprint.Attachment:
        return weasyprint.Attachment(
            string=self.contenuto, name=self.nome, description=self.descrizione, relationship="Data"
        )


def dati_allegati(calcolo: PianoCalcolato, nome_base: str) -> list[Allegato]:
    """The computed plan as JSON and CSV, embedded in the approved PDF/A-3b."""
    json_ = calcolo.as_json(indent=2).encode()
    csv_ = piano_csv(calcolo).encode("utf-8-sig")  # BOM: spreadsheets then read UTF-8 correctly
    return [
        Allegato(
            json_,
            f"{nome_base}-piano-calcolato.json",
            "Il piano calcolato in formato JSON (tutte le sezioni, i totali e i controlli).",
        ),
        Allegato(
            csv_,
            f"{nome_base}-piano-calcolato.csv",
            "Il piano calcolato in formato CSV (separatore «;»): una riga per valore.",
        ),
    ]


def allegati_dati(calcolo: PianoCalcolato, nome_base: str) -> list[weasyprint.Attachment]:
    """The same attachments for ``pdf_da_html`` (the document as a single HTML)."""
    return [allegato.weasyprint() for allegato in dati_allegati(calcolo, nome_base)]


@dataclass(frozen=True)
class Statistiche:
    """CPU seconds of the last document's runs (for the benchmark's estimate on an idle machine)."""

    parti: tuple[float, ...]  # the parts, rendered at the same time
    finali: tuple[float, ...]  # the index and the stamps, at the same time
    unione: float  # the join, in the calling process


ultime_statistiche: Statistiche | None = None


@dataclass(frozen=True)
class Segnalibro:
    livello: int
    etichetta: str
    pagina: int  # index in the part (then in the joined file)
    x: float  # CSS px from the page's top-left
    y: float


@dataclass(frozen=True)
class ParteResa:
    """A part laid out and written: what the join needs of it."""

    pdf: bytes
    dimensioni: tuple[tuple[float, float], ...]  # each page's width and height in CSS px
    ancore: dict[str, tuple[int, float, float]]  # heading id: page, x, y
    segnalibri: tuple[Segnalibro, ...]
    collegamenti: tuple[tuple[int, str, tuple[float, float, float, float]], ...]  # page, anchor, x0 y0 x1 y1
    secondi: float = 0.0  # CPU time the part took (layout and writing), for the benchmark

    @property
    def pagine(self) -> int:
        return len(self.dimensioni)


def rendi_parte(html: str, base_url: str, pdf_a: bool) -> ParteResa:
    """Lay out and write one part (runs in a worker process: takes and returns plain data)."""
    inizio = time.process_time()
    documento = HTMLPiano(string=html, base_url=base_url).render()
    ancore: dict[str, tuple[int, float, float]] = {}
    segnalibri: list[Segnalibro] = []
    collegamenti: list[tuple[int, str, tuple[float, float, float, float]]] = []
    for n, pagina in enumerate(documento.pages):
        for nome, (x, y, *_) in pagina.anchors.items():  # WeasyPrint 70: the anchor's box, x0 y0 x1 y1
            ancore.setdefault(nome, (n, x, y))
        for livello, etichetta, (x, y), _stato in pagina.bookmarks:
            segnalibri.append(Segnalibro(livello, etichetta, n, x, y))
        for tipo, destinazione, rettangolo, _box in pagina.links:
            if tipo == "internal":
                collegamenti.append((n, destinazione, tuple(rettangolo)))
    # PDF/A-3b parts keep the approved file's content conforming (fonts, colours, annotations);
    # the metadata and attachments come with the cover, whose catalogue the joined file keeps.
    pdf = documento.write_pdf(pdf_variant="pdf/a-3b") if pdf_a else documento.write_pdf()
    return ParteResa(
        pdf=pdf,
        dimensioni=tuple((p.width, p.height) for p in documento.pages),
        ancore=ancore,
        segnalibri=tuple(segnalibri),
        collegamenti=tuple(collegamenti),
        secondi=time.process_time() - inizio,
    )


def _scrivi_copertina(html: str, base_url: str, pdf_a: bool, allegati: Sequence[Allegato]) -> ParteResa:
    """The cover and index with the attachments of an approved plan (embedded once, here)."""
    resa = rendi_parte(html, base_url, pdf_a=False)
    if not pdf_a:
        return resa
    pdf = HTMLPiano(string=html, base_url=base_url).write_pdf(
        pdf_variant="pdf/a-3b", attachments=[a.weasyprint() for a in allegati]
    )
    return ParteResa(pdf, resa.dimensioni, resa.ancore, resa.segnalibri, resa.collegamenti)


Lavoro = tuple[Callable[..., ParteResa], tuple[object, ...]]


def esegui(lavori: Sequence[Lavoro], pesi: Sequence[int] | None = None) -> list[ParteResa]:
    """Run the jobs in a pool of processes, heaviest first, and return their results in order;
    in this process, one after the other, when a pool cannot be used."""
    if PROCESSI == 1 or len(lavori) == 1 or multiprocessing.current_process().daemon:
        return [funzione(*argomenti) for funzione, argomenti in lavori]
    ordine = sorted(range(len(lavori)), key=lambda n: -(pesi[n] if pesi else 0))
    try:
        # fork: the workers start at once with Django and WeasyPrint already imported; they touch
        # no database connection (they get HTML and return bytes).
        contesto = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(PROCESSI, len(lavori)), mp_context=contesto) as pool:
            futuri = {n: pool.submit(lavori[n][0], *lavori[n][1]) for n in ordine}
            return [futuri[n].result() for n in range(len(lavori))]
    except (BrokenProcessPool, OSError) as errore:  # e.g. no memory left to fork
        logger.warning("PDF: processi non disponibili (%s), rendo le parti in sequenza", errore)
        return [funzione(*argomenti) for funzione, argomenti in lavori]


def html_timbri(
    orientamenti: Sequence[str], *, primo: int, totale: int, css: str, ambito: str, titolo: str, piede: str
) -> str:
    """Empty pages for the pages ``primo``… (from 1) of the joined file (``copertina``,
    ``verticale`` or ``allegato``: the page's size and margins), each with the running header and
    «pagina N di M» of the whole document's stylesheet. The numbers are written out (a string set
    on each page), so the stamps of a long document are made in several processes at once."""
    pagine = "".join(
        f'<div class="foglio {o}" style=\'string-set: numero "pagina {primo + n} di {totale}"\'></div>'
        for n, o in enumerate(orientamenti)
    )
    return (
        '<!doctype html><html lang="it"><head><meta charset="utf-8"><style>'
        + css
        + "@page { @top-left { content: "
        + _stringa_css(ambito)
        + "; } @top-right { content: "
        + _stringa_css(titolo)
        + "; } @bottom-left { content: "
        + _stringa_css(piede)
        + "; } @bottom-right { content: string(numero); } }"
        # The stamp only adds the header and footer: the page's rule is drawn by the part itself.
        + "@page { border-top-color: transparent; }"
        + ".foglio { break-before: page; height: 1px; } .copertina { page: copertina; }"
        + " .allegato { page: allegato; } .filigrana { display: none; }"
        + "</style></head><body>"
        + pagine
        + "</body></html>"
    )


def _stringa_css(testo: str) -> str:
    """A CSS string literal: quotes and backslashes escaped, no line breaks."""
    pulito = " ".join(testo.split()).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{pulito}"'


def orientamento(larghezza: float, altezza: float) -> str:
    return "allegato" if larghezza > altezza else "verticale"


def unisci(parti: Sequence[ParteResa], timbri: Sequence[ParteResa]) -> bytes:
    """Join the parts (the first is the cover, whose catalogue the file keeps): stamps, outline, links."""
    scrittore = PdfWriter(clone_from=io.BytesIO(parti[0].pdf))
    _togli_segnalibri(scrittore)
    inizi = _inizi(parti)
    for parte in parti[1:]:
        scrittore.append(PdfReader(io.BytesIO(parte.pdf)), import_outline=False)
    fogli_timbro = [foglio for t in timbri for foglio in PdfReader(io.BytesIO(t.pdf)).pages]
    for n in range(1, len(scrittore.pages)):  # the cover has no header or footer
        scrittore.pages[n].merge_page(fogli_timbro[n])
    _segnalibri(scrittore, parti, inizi)
    _collegamenti(scrittore, parti, inizi)
    uscita = io.BytesIO()
    scrittore.write(uscita)
    return uscita.getvalue()


def _togli_segnalibri(scrittore: PdfWriter) -> None:
    """The cover's own outline goes: the joined file's outline is built from every part."""
    radice = scrittore._root_object
    if "/Outlines" in radice:
        del radice["/Outlines"]
    scrittore._root_object[NameObject("/PageMode")] = NameObject("/UseOutlines")


def _destinazione(scrittore: PdfWriter, pagina: int, x: float, y: float) -> Fit:
    altezza = float(scrittore.pages[pagina].mediabox.height)
    return Fit.xyz(x * PUNTI_PER_PIXEL, altezza - y * PUNTI_PER_PIXEL, None)


def _segnalibri(scrittore: PdfWriter, parti: Sequence[ParteResa], inizi: Sequence[int]) -> None:
    """One outline, nested by level as WeasyPrint nests a single document's bookmarks."""
    pila: list[tuple[int, object]] = []  # (level, outline item) of the open ancestors
    for parte, inizio in zip(parti, inizi, strict=True):
        for s in parte.segnalibri:
            while pila and pila[-1][0] >= s.livello:
                pila.pop()
            genitore = pila[-1][1] if pila else None
            pagina = inizio + s.pagina
            voce = scrittore.add_outline_item(
                title=s.etichetta,
                page_number=pagina,
                parent=genitore,  # type: ignore[arg-type]
                fit=_destinazione(scrittore, pagina, s.x, s.y),
            )
            pila.append((s.livello, voce))


def _collegamenti(scrittore: PdfWriter, parti: Sequence[ParteResa], inizi: Sequence[int]) -> None:
    """The index's links to headings in other parts, as link annotations to their pages."""
    ancore = {
        nome: (inizio + pagina, x, y)
        for parte, inizio in zip(parti, inizi, strict=True)
        for nome, (pagina, x, y) in parte.ancore.items()
    }
    for parte, inizio in zip(parti, inizi, strict=True):
        for pagina, nome, (x0, y0, x1, y1) in parte.collegamenti:
            if nome not in ancore:
                continue
            n = inizio + pagina
            alto = float(scrittore.pages[n].mediabox.height)
            rettangolo = (
                x0 * PUNTI_PER_PIXEL,
                alto - y1 * PUNTI_PER_PIXEL,
                x1 * PUNTI_PER_PIXEL,
                alto - y0 * PUNTI_PER_PIXEL,
            )
            destinazione, dx, dy = ancore[nome]
            link = Link(
                rect=rettangolo,
                target_page_index=destinazione,
                fit=_destinazione(scrittore, destinazione, dx, dy),
            )
            link[NameObject("/F")] = NumberObject(4)  # printable, as PDF/A requires of annotations
            scrittore.add_annotation(page_number=n, annotation=link)


# --------------------------------------------------------------------------------------------
# The document's parts
# --------------------------------------------------------------------------------------------

# Rows of a lotto of Allegato B.1 or of the checks: about twenty pages, several lotti per process.
RIGHE_PER_LOTTO = 600
SEGNAPOSTO_PAGINA = "888"  # as wide as the real numbers: the index's first layout counts its pages


def parti_del_documento(contesto: dict[str, object], righe: int | None = None) -> list[dict[str, object]]:
    """What each part adds to the document's context (``pdf.contesto_documento``): which parts of
    ``piano.html`` it holds and, for the long lists, which lotto. The cover and index come first."""
    righe = righe or RIGHE_PER_LOTTO
    parti: list[dict[str, object]] = [{"parti": ("copertina",)}]
    parti += [{"parti": (nome,)} for nome in ("premessa", "parte_prima", "seguito", "allegato_a")]
    lotti_b = in_lotti(contesto["gruppi_b"], righe)  # type: ignore[arg-type]
    for n, lotto in enumerate(lotti_b):
        parti.append(
            {"parti": ("allegato_b",), "gruppi_b": lotto, "b_segue": n > 0, "b_ultimo": n == len(lotti_b) - 1}
        )
    lotti_b2 = in_lotti(contesto["gruppi_b2"], righe)  # type: ignore[arg-type]
    for n, lotto in enumerate(lotti_b2):
        parti.append(
            {
                "parti": ("allegato_b2",),
                "gruppi_b2": lotto,
                "b2_segue": n > 0,
                "b2_ultimo": n == len(lotti_b2) - 1,
            }
        )
    parti.append({"parti": ("sintesi",)})
    if contesto["con_controlli"]:
        for n, lotto in enumerate(in_lotti(contesto["gruppi_controlli"], righe)):  # type: ignore[arg-type]
            parti.append({"parti": ("controlli",), "gruppi_controlli": lotto, "controlli_segue": n > 0})
    return parti


def pdf_in_parti(
    contesto: dict[str, object],
    html_di: Callable[[dict[str, object]], str],
    *,
    base_url: str,
    css: str,
    pdf_a: bool,
    allegati: Sequence[Allegato],
) -> bytes:
    """The whole document: its parts rendered in parallel (``html_di(aggiunte)`` is the HTML of the
    document's context with ``aggiunte``), then the index with its page numbers, stamps and join."""
    aggiunte = parti_del_documento(contesto)
    indice: list[tuple[object, str | None]] = contesto["indice"]  # type: ignore[assignment]
    segnaposto = [(v, SEGNAPOSTO_PAGINA) for v, _ in indice]
    html = [html_di({**a, "in_parti": True}) for a in aggiunte[1:]]
    # Small neighbouring parts go to one process together (each part pays for its stylesheet, fonts
    # and writing): runs of at most a quarter of the whole with two processes, so both stay busy.
    corpo = aggiunte[1:]
    gruppi = accorpa(corpo, [len(h) for h in html], obiettivo=sum(map(len, html)) // (2 * PROCESSI))
    unite = [_unione([corpo[n] for n in gruppo]) for gruppo in gruppi]
    html = [
        html[gruppo[0]] if len(gruppo) == 1 else html_di({**unita, "in_parti": True})
        for gruppo, unita in zip(gruppi, unite, strict=True)
    ]
    html.insert(0, html_di({**aggiunte[0], "in_parti": True, "indice": segnaposto}))
    rese = esegui([(rendi_parte, (h, base_url, pdf_a)) for h in html], pesi=[len(h) for h in html])
    copertina = rese[0]
    for _ in range(3):  # the index's page count does not depend on its numbers: one round, as a rule
        inizi = _inizi(rese)
        numerato = [(v, str(_pagina_di(v, rese, inizi))) for v, _ in indice]
        html_copertina = html_di({**aggiunte[0], "in_parti": True, "indice": numerato})
        orientamenti = ["copertina"] + [orientamento(*d) for resa in rese for d in resa.dimensioni][1:]
        # The stamps in as many runs as processes, beside the cover.
        passo = -(-len(orientamenti) // PROCESSI)
        timbri = [
            html_timbri(
                orientamenti[primo : primo + passo],
                primo=primo + 1,
                totale=len(orientamenti),
                css=css,
                ambito=str(contesto["p"].piano.ambito),  # type: ignore[attr-defined]
                titolo=str(contesto["titolo_breve"]),
                piede=str(contesto["piede"]),
            )
            for primo in range(0, len(orientamenti), passo)
        ]
        copertina, *resa_timbri = esegui(
            [
                (_scrivi_copertina, (html_copertina, base_url, pdf_a, allegati)),
                *((rendi_parte, (t, base_url, False)) for t in timbri),
            ],
            pesi=[len(html_copertina), *map(len, timbri)],
        )
        if copertina.pagine == rese[0].pagine:
            break
        rese[0] = copertina
    inizio = time.process_time()
    pdf = unisci([copertina, *rese[1:]], resa_timbri)
    global ultime_statistiche  # read by the benchmark only
    ultime_statistiche = Statistiche(
        tuple(r.secondi for r in rese),
        (copertina.secondi, *(t.secondi for t in resa_timbri)),
        time.process_time() - inizio,
    )
    return pdf


def accorpa(aggiunte: Sequence[dict[str, object]], pesi: Sequence[int], *, obiettivo: int) -> list[list[int]]:
    """Runs of consecutive parts (their indices) whose HTML stays within ``obiettivo`` characters
    and that hold no two lotti of the same list (their context keys would clash)."""
    gruppi: list[list[int]] = []
    peso_ultimo = 0
    for n, (parte, peso) in enumerate(zip(aggiunte, pesi, strict=True)):
        if gruppi:
            chiavi = {k for m in gruppi[-1] for k in aggiunte[m] if k != "parti"}
            if peso_ultimo + peso <= obiettivo and not chiavi & (parte.keys() - {"parti"}):
                gruppi[-1].append(n)
                peso_ultimo += peso
                continue
        gruppi.append([n])
        peso_ultimo = peso
    return gruppi


def _unione(gruppo: Sequence[dict[str, object]]) -> dict[str, object]:
    """The context additions of a run of parts: their parts in order and their lotti."""
    unione: dict[str, object] = {}
    for aggiunta in gruppo:
        unione.update(aggiunta)
    unione["parti"] = tuple(nome for a in gruppo for nome in a["parti"])  # type: ignore[attr-defined]
    return unione


def _inizi(rese: Sequence[ParteResa]) -> list[int]:
    inizi, totale = [], 0
    for resa in rese:
        inizi.append(totale)
        totale += resa.pagine
    return inizi


def _pagina_di(voce: object, rese: Sequence[ParteResa], inizi: Sequence[int]) -> int | str:
    """The page (from 1) of the joined file where a heading of the index falls."""
    for resa, inizio in zip(rese, inizi, strict=True):
        if voce.id in resa.ancore:  # type: ignore[attr-defined]
            return inizio + resa.ancore[voce.id][0] + 1  # type: ignore[attr-defined]
    return ""
