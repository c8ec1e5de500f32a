"""The map of the regional overview: Lombardy's comuni, each filled by its ambito's value of a chosen
figure, drawn as inline SVG from the ISTAT boundaries shipped with the project (``ambito.istat``).

Five classes of equal width between the lowest and the highest value of the ambiti shown, in a
colour-blind-safe sequential palette (ColorBrewer YlGnBu); comuni outside every ambito, and ambiti
without the figure or left out by the filters, in two greys. Each ambito's comuni are one ``<g>`` with
a ``<title>``; the SVG is ``role="img"`` with a label, and the table beside it is the accessible
alternative. No tiles, no script: the figure is chosen with a form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe

from ambito.istat import confini_comuni
from ambito.models import Comune
from piano_annuale.panoramica import RigaPanoramica


@dataclass(frozen=True)
class Figura:
    codice: str  # a field of ``RigaPanoramica``
    nome: str
    unita: str  # how a value is read: «unità per 1.000 abitanti», «%»
    decimali: int


FIGURE: tuple[Figura, ...] = (
    Figura(
        "disponibili_per_mille", "Unità disponibili nell'anno per 1.000 abitanti", "per 1.000 abitanti", 2
    ),
    Figura("tasso_risposta", "Risposte alla ricognizione", "%", 1),
    Figura("sap_per_mille", "Patrimonio SAP per 1.000 abitanti", "per 1.000 abitanti", 2),
    Figura("disponibili_sap", "Unità SAP disponibili nell'anno", "unità", 0),
    Figura("sat", "Unità per i servizi abitativi transitori (SAT)", "unità", 0),
)
PER_CODICE = {f.codice: f for f in FIGURE}

# ColorBrewer YlGnBu, 5 classes: sequential and safe for the common colour-vision deficiencies.
PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
GRIGIO_FUORI = "#9e9e9e"  # comuni outside every ambito
GRIGIO_SENZA_DATO = "#e0e0e0"  # ambiti without the figure, or left out by the filters
BORDO = "#ffffff"


@dataclass(frozen=True)
class Classe:
    colore: str
    etichetta: str  # «1,50–3,00»


@dataclass(frozen=True)
class Mappa:
    figura: Figura
    classi: tuple[Classe, ...]
    svg: SafeString  # empty when the boundaries are missing
    descrizione: str  # the SVG's label


def formato(valore: Decimal | int, decimali: int) -> str:
    """A value as Italian writes it: «1.234,5»."""
    return number_format(valore, decimal_pos=decimali, use_l10n=True, force_grouping=True)


def classi_uguali(valori: Sequence[Decimal], quante: int = len(PALETTE)) -> list[Decimal]:
    """The ``quante + 1`` bounds of equal-width classes from the lowest to the highest value."""
    minimo, massimo = min(valori), max(valori)
    passo = (massimo - minimo) / quante
    return [minimo + passo * i for i in range(quante)] + [massimo]


def classe_di(valore: Decimal, limiti: list[Decimal]) -> int:
    """The class of ``valore``: lower bound included, the last class includes its upper bound too."""
    for i in range(len(limiti) - 2, -1, -1):
        if valore >= limiti[i]:
            return i
    return 0


def mappa_regionale(righe: Sequence[RigaPanoramica], codice_figura: str) -> Mappa:
    """The map of ``righe`` (the ambiti the table shows) coloured by the figure ``codice_figura``
    (the first of ``FIGURE`` when unknown). One query: which ambito each comune belongs to."""
    figura = PER_CODICE.get(codice_figura, FIGURE[0])
    valori: dict[int, Decimal] = {}
    for riga in righe:
        valore = getattr(riga, figura.codice)
        if valore is not None:
            valori[riga.ambito_id] = Decimal(valore)
    classi: list[Classe] = []
    colori: dict[int, str] = {}
    if valori:
        limiti = classi_uguali(sorted(valori.values()))
        uniche = limiti[0] == limiti[-1]
        quante = 1 if uniche else len(PALETTE)
        for i in range(quante):
            basso, alto = limiti[i], limiti[-1] if uniche else limiti[i + 1]
            classi.append(
                Classe(
                    PALETTE[i if not uniche else 2],
                    f"{formato(basso, figura.decimali)}–{formato(alto, figura.decimali)}",
                )
            )
        for ambito_id, valore in valori.items():
            colori[ambito_id] = PALETTE[2] if uniche else PALETTE[classe_di(valore, limiti)]
    confini = confini_comuni()
    descrizione = (
        f"Mappa della Lombardia: i comuni colorati secondo il valore del proprio ambito per «{figura.nome}» "
        f"({figura.unita}). I dati sono nella tabella che segue."
    )
    if not confini.percorsi:
        return Mappa(figura, tuple(classi), mark_safe(""), descrizione)  # noqa: S308 - empty
    nomi = {r.ambito_id: r for r in righe}
    per_ambito: dict[int | None, list[str]] = {}
    for codice, ambito_id in Comune.objects.filter(ambito__isnull=False).values_list(
        "codice_istat", "ambito_id"
    ):
        if codice in confini.percorsi:
            per_ambito.setdefault(ambito_id, []).append(codice)
    assegnati = {c for codici in per_ambito.values() for c in codici}
    fuori = [c for c in confini.percorsi if c not in assegnati] + per_ambito.pop(None, [])
    parti = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{escape(confini.view_box)}" role="img" '
        f'aria-label="{escape(descrizione)}" class="mappa-regionale" preserveAspectRatio="xMidYMid meet">',
        _gruppo("Comuni non assegnati a un ambito", GRIGIO_FUORI, fuori, confini.percorsi),
    ]
    for chiave_ambito, codici in sorted(per_ambito.items(), key=lambda kv: kv[0] or 0):
        mostrata = nomi.get(chiave_ambito or 0)
        if mostrata is None:
            titolo, colore = "Ambito escluso dai filtri", GRIGIO_SENZA_DATO
        else:
            valore = valori.get(mostrata.ambito_id)
            testo = (
                "dato non disponibile"
                if valore is None
                else f"{formato(valore, figura.decimali)} {figura.unita}"
            )
            titolo, colore = f"{mostrata.ambito}: {testo}", colori.get(mostrata.ambito_id, GRIGIO_SENZA_DATO)
        parti.append(_gruppo(titolo, colore, codici, confini.percorsi))
    parti.append("</svg>")
    return Mappa(figura, tuple(classi), mark_safe("".join(parti)), descrizione)  # noqa: S308 - escaped above


def _gruppo(titolo: str, colore: str, codici: Sequence[str], percorsi: dict[str, str]) -> str:
    if not codici:
        return ""
    tracciati = "".join(f'<path d="{escape(percorsi[c])}"/>' for c in codici if c in percorsi)
    return (
        f'<g fill="{colore}" stroke="{BORDO}" stroke-width="2"><title>{escape(titolo)}</title>{tracciati}</g>'
    )
