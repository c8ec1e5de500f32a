"""The demographics tables of the exports: population per aggregazione territoriale, and surface and
density per comune, per aggregazione and for the ambito — all read from the computed plan
(``Demografia``), never summed here. The aggregazioni are named with the ambito's own word
(«AT 3», «sub-ambito 3», «distretto 3»).
"""

from __future__ import annotations

from typing import Any

from patrimonio.esportazione import Tabella
from piano_annuale.calcolo import PianoCalcolato
from piano_annuale.calcolo.tipi import Superficie
from piano_annuale.catalogo import voce

SENZA_SUPERFICIE = "superficie non registrata"


def tabelle_aggregazioni(p: PianoCalcolato) -> list[Tabella]:
    righe: list[tuple[Any, ...]] = []
    for g in p.demografia.aggregazioni:
        righe += [(g.etichetta, r.posizione, r.comune, r.abitanti) for r in g.righe]
        righe.append((g.etichetta, "", "Totale", g.totale))
    righe.append(("Totale Ambito", "", "", p.demografia.totale_abitanti))
    return [
        Tabella(
            "aggregazioni",
            voce("aggregazioni").nome,
            ("Aggregazione territoriale", "Posizione", "Comune", "Abitanti"),
            tuple(righe),
            "aggregazioni",
        )
    ]


def _nota(superficie: Superficie) -> str:
    mancano = len(superficie.comuni_senza_superficie)
    if not mancano:
        return ""
    comuni = "comune" if mancano == 1 else "comuni"
    return f"densità della parte nota: {mancano} {comuni} senza superficie"


def _totale(nome: str, superficie: Superficie, abitanti: int) -> tuple[Any, ...]:
    return (nome, superficie.superficie_kmq, abitanti, superficie.densita, _nota(superficie))


def tabelle_densita(p: PianoCalcolato) -> list[Tabella]:
    """Per comune (those without a surface say so), then per aggregazione and for the ambito; no
    rows at all when no comune has a surface."""
    d = p.demografia
    righe: list[tuple[Any, ...]] = []
    if d.superficie.superficie_kmq is not None:
        righe += [(r.comune, r.superficie_kmq, r.abitanti, r.densita, "") for r in d.densita]
        righe += [
            (nome, "", abitanti(p, nome), "", SENZA_SUPERFICIE)
            for nome in d.superficie.comuni_senza_superficie
        ]
        righe += [
            _totale(f"Totale {g.etichetta}", g.superficie, g.totale)
            for g in d.aggregazioni
            if len(d.aggregazioni) > 1
        ]
        righe.append(_totale("Totale Ambito", d.superficie, d.totale_abitanti))
    return [
        Tabella(
            "densita",
            voce("densita").nome,
            ("Comune o aggregazione", "Superficie (km²)", "Abitanti", "Abitanti per km²", "Nota"),
            tuple(righe),
            "densita",
        )
    ]


def abitanti(p: PianoCalcolato, comune: str) -> int | str:
    return next(
        (r.abitanti for r in p.demografia.classifica if r.comune == comune and r.abitanti is not None), ""
    )
