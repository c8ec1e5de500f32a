"""The plan's charts as SVG, drawn on the server with pygal from the computed plan only.

Each function takes the ``PianoCalcolato`` (never the database) and returns an SVG string meant to
be inlined in the PDF's HTML, or ``""`` when there is nothing to draw. Charts are kept small and
without scripts: WeasyPrint lays out every SVG element, so fewer elements render faster.

Each chart carries its text alternative as the SVG's own ``<title>`` (the figures it draws, in
words): the tagged PDF gives it to the chart's Figure element as /Alt, for screen readers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pygal
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

from piano_annuale.calcolo import PianoCalcolato
from piano_annuale.templatetags.piano import numero

BLU = "#0066CC"  # the PA's primary blue (Designers Italia)
ARANCIO = "#D1711A"  # a warm counterpart that stays distinct in greyscale print
GRIGIO = "#5C6F82"

NOMI_GRUPPI = {"COMUNI": "Comuni", "ALER": "ALER", "OPERATORI ACCREDITATI": "Operatori accreditati"}

# Enti shown one by one in the patrimonio chart; the others are summed in one bar.
ENTI_NEL_GRAFICO = 8

STILE = Style(
    font_family="Titillium Web",
    background="white",
    plot_background="white",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#c5c7c9",
    opacity="1",
    opacity_hover="1",
    colors=(BLU, ARANCIO, GRIGIO),
    label_font_size=12,
    major_label_font_size=12,
    value_font_size=12,
    legend_font_size=13,
    title_font_size=14,
    guide_stroke_color="#d9dadb",
    major_guide_stroke_color="#d9dadb",
    guide_stroke_dasharray="0",
    major_guide_stroke_dasharray="0",
)

OPZIONI = {
    "style": STILE,
    "js": (),  # no tooltips script: the chart is printed
    "disable_xml_declaration": True,  # inlined in HTML
    "explicit_size": True,
    "print_values": True,
    # A figure space keeps the value clear of the bar's end (plain spaces are collapsed in SVG).
    "value_formatter": lambda v: f"\u2007{numero(int(v))}" if v else "",
    "margin": 6,
    "spacing": 8,
    "truncate_label": -1,  # never cut an ente's or an aggregazione's name
    "truncate_legend": -1,
}

# pygal stamps a generation date and a random id (used by its CSS) in every chart: drop the date and
# name the chart, so the same plan always yields the same SVG (and the same PDF).
_COMMENTI = re.compile(r"<!--.*?-->", re.DOTALL)
_ID_CASUALE = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# pygal titles every chart «Pygal»: the chart's own text alternative takes its place.
_TITOLO_PYGAL = "<title>Pygal</title>"


def testo_alternativo(titolo: str, etichette: Sequence[str], valori: Sequence[int], unita: str) -> str:
    """The chart in words: «Titolo: Cremona 1.234 alloggi; Soresina 56 alloggi.»"""
    voci = "; ".join(f"{e} {numero(v)} {unita}" for e, v in zip(etichette, valori, strict=True))
    return f"{titolo}: {voci}."


def _svg(grafico: pygal.graph.graph.Graph, nome: str, alternativo: str) -> SafeString:
    svg = _COMMENTI.sub("", grafico.render(is_unicode=True))
    svg = _ID_CASUALE.sub(f"grafico-{nome}", svg)
    svg = svg.replace(_TITOLO_PYGAL, f"<title>{escape(alternativo)}</title>", 1)
    return mark_safe(svg)  # noqa: S308 - pygal escapes every label it writes, the title is escaped


def _barre_orizzontali(
    nome: str, etichette: Sequence[str], valori: Sequence[int], serie: str, altezza: int, titolo: str
) -> SafeString:
    grafico = pygal.HorizontalBar(
        width=640,
        height=altezza,
        show_legend=False,
        show_x_guides=False,
        show_y_guides=False,
        show_x_labels=False,  # the value axis: the values are printed at the end of each bar
        range=(0, max(valori) * 1.14),  # room for the value after the longest bar
        print_values_position="top",
        css=("file://style.css", "file://graph.css", "inline:.text-overlay text.value{text-anchor:start}"),
        **OPZIONI,
    )
    # pygal draws the first label at the bottom: reverse so the list reads top to bottom.
    grafico.x_labels = list(reversed(etichette))
    grafico.add(serie, list(reversed(valori)))
    return _svg(grafico, nome, testo_alternativo(titolo, etichette, valori, serie.lower()))


def popolazione_per_aggregazione(p: PianoCalcolato) -> SafeString:
    """Residents per aggregazione territoriale, as the demographics section lists them."""
    gruppi = [g for g in p.demografia.aggregazioni if g.totale]
    if len(gruppi) < 2:  # one bar says nothing the table does not
        return mark_safe("")
    etichette = [g.etichetta for g in gruppi]
    return _barre_orizzontali(
        "popolazione",
        etichette,
        [g.totale for g in gruppi],
        "Abitanti",
        altezza=70 + 34 * len(gruppi),
        titolo="Grafico a barre degli abitanti per aggregazione territoriale",
    )


def patrimonio_per_ente(p: PianoCalcolato) -> SafeString:
    """Housing units per ente proprietario (section a): the largest enti, then the others together."""
    righe = sorted(p.a.righe, key=lambda r: -r.totale)
    if not righe:
        return mark_safe("")
    primi, altri = righe[:ENTI_NEL_GRAFICO], righe[ENTI_NEL_GRAFICO:]
    etichette = [r.ente.denominazione for r in primi]
    valori = [r.totale for r in primi]
    if len(altri) == 1:
        etichette.append(altri[0].ente.denominazione)
        valori.append(altri[0].totale)
    elif altri:
        etichette.append(f"Altri {len(altri)} enti")
        valori.append(sum(r.totale for r in altri))
    return _barre_orizzontali(
        "patrimonio",
        etichette,
        valori,
        "Alloggi",
        altezza=70 + 34 * len(valori),
        titolo="Grafico a barre degli alloggi per ente proprietario",
    )


def disponibili_per_categoria(p: PianoCalcolato) -> SafeString:
    """Units available in the year by category, comuni vs ALER (TAB 1 of the Assemblea's summary)."""
    gruppi = [r for r in p.sintesi.disponibili if r.gruppo != "AMBITO" and r.totale]
    if not gruppi:
        return mark_safe("")
    categorie = [
        ("Liberi e turn-over", "liberi"),
        ("Ristrutturazione e nuova edificazione", "ristrutturazione"),
        ("Carenza manutentiva", "carenza"),
        ("Conferiti da privati", "conferite"),
    ]
    # A category nobody has would only add an empty slot.
    categorie = [(nome, campo) for nome, campo in categorie if any(getattr(r, campo) for r in gruppi)]
    grafico = pygal.Bar(
        width=640,
        height=270,
        legend_at_bottom=True,
        legend_at_bottom_columns=len(gruppi),
        show_x_guides=False,
        print_values_position="top",
        # Above a vertical bar the value is centred: no leading space.
        **{**OPZIONI, "value_formatter": lambda v: numero(int(v)) if v else ""},
    )
    grafico.x_labels = [nome for nome, _ in categorie]
    for r in gruppi:
        grafico.add(NOMI_GRUPPI.get(r.gruppo, r.gruppo), [getattr(r, campo) for _, campo in categorie])
    parti = [
        testo_alternativo(
            NOMI_GRUPPI.get(r.gruppo, r.gruppo),
            [nome.lower() for nome, _ in categorie],
            [getattr(r, campo) for _, campo in categorie],
            "unità",
        )
        for r in gruppi
    ]
    alternativo = "Grafico a barre delle unità disponibili nell'anno per provenienza. " + " ".join(parti)
    return _svg(grafico, "disponibili", alternativo)
