"""The PDF's long lists grouped for reading and cut into lotti for parallel rendering.

Allegato B.1 lists ALER's units comune by comune, section e) the comuni's free units ente by ente,
the checks annex its anomalies by check: each group has a heading row and a subtotal, and the rows
lose the column the heading states (fewer cells: WeasyPrint's time grows with the cells it lays out).
A lotto is a run of whole groups of at most ``righe`` rows (a larger group is cut, its heading
repeated with «(segue)» and its subtotal printed where it ends): each lotto is rendered by its own
process (``pdf_parti``) and starts a new page.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from piano_annuale.calcolo import PianoCalcolato, chiave_nome


@dataclass(frozen=True)
class Gruppo:
    """A group of rows under a heading, with its count (and, for Allegato B, the cost of works)."""

    titolo: str
    righe: tuple[Any, ...]
    totale: int  # rows of the whole group, also when this piece holds only part of them
    costo: Decimal | None = None  # Allegato B: the stated costs of the group's carenza units
    segue: bool = False  # continues a group begun in the previous lotto
    chiude: bool = True  # the group ends here: its subtotal is printed after these rows


def raggruppa(
    righe: Iterable[Any], chiave: Callable[[Any], Hashable], titolo: Callable[[Any], str]
) -> list[Gruppo]:
    """Rows grouped by ``chiave``, the groups in the order of their first row (stable)."""
    gruppi: dict[Hashable, list[Any]] = {}
    for riga in righe:
        gruppi.setdefault(chiave(riga), []).append(riga)
    return [Gruppo(titolo(membri[0]), tuple(membri), len(membri)) for membri in gruppi.values()]


def gruppi_allegato_b(unita_b: Sequence[tuple[Any, str, Any]]) -> list[Gruppo]:
    """Allegato B.1's units (``pdf.unita_allegato_b``) by comune in alphabetical order, each group
    with its count and the sum of the costs stated for its units."""
    ordinate = sorted(unita_b, key=lambda r: chiave_nome(r[0].comune))  # stable: keeps the plan's order
    gruppi = raggruppa(ordinate, lambda r: r[0].comune, lambda r: r[0].comune)
    return [replace(g, costo=_somma_costi(g.righe)) for g in gruppi]


def _somma_costi(righe: Iterable[tuple[Any, str, Any]]) -> Decimal | None:
    costi = [c.costo for _, _, c in righe if c is not None and c.costo is not None]
    return sum(costi, Decimal(0)) if costi else None


def gruppi_lotti(calcolo: PianoCalcolato) -> list[Gruppo]:
    """Allegato B.2's units by renovation or new-building lotto, as the computed plan groups them."""
    return [Gruppo(lotto.programma, tuple(lotto.unita), lotto.totale) for lotto in calcolo.allegato_b.lotti]


def gruppi_libere(libere: Sequence[Any]) -> list[Gruppo]:
    """Section e)'s free units of the comuni and other enti, by ente and comune (the heading names
    both when the units lie outside the ente's own comune)."""

    def titolo(u: Any) -> str:
        ente = u.ente.denominazione
        return ente if u.comune and u.comune in ente else f"{ente} – comune di {u.comune}"

    ordinate = sorted(libere, key=lambda u: (chiave_nome(u.ente.denominazione), chiave_nome(u.comune)))
    return raggruppa(ordinate, lambda u: (u.ente.denominazione, u.comune), titolo)


def gruppi_controlli(calcolo: PianoCalcolato) -> list[Gruppo]:
    """The anomalies by check (code, severity, section), in the order the checks found them."""
    return raggruppa(
        calcolo.anomalie,
        lambda a: (a.codice, a.gravita, a.sezione),
        lambda a: f"{a.codice} · {a.gravita} · sezione {a.sezione}",
    )


def in_lotti(gruppi: Sequence[Gruppo], righe: int) -> list[list[Gruppo]]:
    """Whole groups in runs of at most ``righe`` rows; a longer group is cut across runs."""
    lotti: list[list[Gruppo]] = [[]]
    spazio = righe
    for gruppo in gruppi:
        resto = gruppo.righe
        segue = False
        while resto:
            if spazio <= 0 or (not segue and len(resto) > spazio and spazio < righe // 4 and lotti[-1]):
                # A full run, or a group that would start with only a few rows at its end.
                lotti.append([])
                spazio = righe
            pezzo, resto = resto[:spazio], resto[spazio:]
            lotti[-1].append(replace(gruppo, righe=pezzo, segue=segue, chiude=not resto))
            spazio -= len(pezzo)
            segue = True
    return [lotto for lotto in lotti if lotto] or [[]]
