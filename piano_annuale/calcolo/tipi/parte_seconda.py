"""Result types of Parte seconda (misure, avvisi, contributo di solidarietà, riqualificazione) and
Parte terza (altre progettualità).

As in Parte prima, every figure the plan prints is a field; the sums of a measure's «di cui» lines
and of its residual's uses are derived fields, set at construction (``field(init=False)``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from misure.models import Provenienza

from ..helpers import ZERO
from .parte_prima import Ente, imposta


@dataclass(frozen=True)
class VoceDiCui:
    """A «di cui» line of the paid resources: one source of funding, its amount and applications."""

    voce: str
    provenienza: str
    delibera: str | None
    residuo_di: tuple[str, ...]  # names of the measures whose residual financed it
    residuo_di_id: tuple[int, ...]
    importo: Decimal | None
    domande_approvate: int | None


@dataclass(frozen=True)
class VoceUtilizzo:
    """How part of a measure's residual is used."""

    voce: str
    misura_destinataria: str | None
    misura_destinataria_id: int | None
    importo: Decimal


@dataclass(frozen=True)
class MisuraCalcolata:
    """A measure as the plan prints it (letter a, b, …), with what the checks need to compare."""

    id: int
    misura_id: int
    codice: str
    lettera: str
    titolo: str
    riferimenti: str  # «DGR 6970/2022 e DGR 1001/2023»
    descrizione: str
    risorse_impegnate: Decimal | None
    risorse_erogate: Decimal | None
    risorse_residue: Decimal | None
    di_cui: tuple[VoceDiCui, ...]
    utilizzi_residuo: tuple[VoceUtilizzo, ...]
    domande_pervenute: int | None
    domande_approvate: int | None
    domande_respinte: int | None
    note: str
    rinnovo_previsto: bool

    # The sums the checks compare and the page prints, derived from the lines above.
    somma_di_cui: Decimal | None = field(init=False)  # None when no «di cui» line gives an amount
    domande_di_cui: int | None = field(init=False)  # None when no line gives its applications
    erogato_su_impegno: Decimal | None = field(init=False)
    erogato_da_residui: Decimal = field(init=False)
    somma_utilizzi: Decimal | None = field(init=False)  # None when the residual's use is not given

    def __post_init__(self) -> None:
        importi = [d.importo for d in self.di_cui if d.importo is not None]
        somma_di_cui = sum(importi, ZERO) if importi else None
        domande = [d.domande_approvate for d in self.domande_per_fonte]

        def per_provenienza(provenienza: str) -> Decimal:
            return sum(
                (d.importo for d in self.di_cui if d.importo is not None and d.provenienza == provenienza),
                ZERO,
            )

        imposta(
            self,
            somma_di_cui=somma_di_cui,
            domande_di_cui=sum(domande) if domande else None,
            # Paid out of the measure's own committed resources: its «impegno» lines, or all it paid
            # when no «di cui» line gives an amount.
            erogato_su_impegno=(
                self.risorse_erogate if somma_di_cui is None else per_provenienza(Provenienza.IMPEGNO)
            ),
            erogato_da_residui=per_provenienza(Provenienza.RESIDUO),
            somma_utilizzi=(
                sum((u.importo for u in self.utilizzi_residuo), ZERO) if self.utilizzi_residuo else None
            ),
        )

    @property
    def domande_per_fonte(self) -> tuple[VoceDiCui, ...]:
        """The «di cui» lines that give their approved applications (a selection, not a total)."""
        return tuple(d for d in self.di_cui if d.domande_approvate is not None)


@dataclass(frozen=True)
class AvvisoCalcolato:
    id: int
    titolo: str
    numero: str
    data: datetime.date | None
    delibera: str | None
    misure: tuple[str, ...]
    comuni: tuple[str, ...]  # the comuni of the ambito that joined, alphabetically
    comuni_aderenti: int
    comuni_totali: int
    note: str
    adesione: str = field(init=False)  # «39 su 48»

    def __post_init__(self) -> None:
        imposta(self, adesione=f"{self.comuni_aderenti} su {self.comuni_totali}")


@dataclass(frozen=True)
class RigaSolidarieta:
    ente: Ente
    comune: str  # the comune's name; the ente's name for ALER and operatori
    aggregazione: str
    riparto: Decimal
    residuo: Decimal
    totale: Decimal
    assegnazione: Decimal = field(init=False)  # the new allocation (riparto), as the PDF names it

    def __post_init__(self) -> None:
        imposta(self, assegnazione=self.riparto)


@dataclass(frozen=True)
class TotaleSolidarieta:
    riparto: Decimal
    residuo: Decimal
    totale: Decimal
    assegnazione: Decimal = field(init=False)  # the new allocation (riparto), as the PDF names it

    def __post_init__(self) -> None:
        imposta(self, assegnazione=self.riparto)


@dataclass(frozen=True)
class GruppoSolidarieta:
    numero: int | None  # the aggregazione's number; None for ALER, operatori, comuni without one
    denominazione: str
    righe: tuple[RigaSolidarieta, ...]
    totale: TotaleSolidarieta


@dataclass(frozen=True)
class VoceSintesiSolidarieta:
    codice: str  # "con_riparto", "solo_residuo", "senza_contributo"
    descrizione: str
    numero: int
    comuni: tuple[str, ...]


@dataclass(frozen=True)
class TabellaSolidarieta:
    """The contributo regionale di solidarietà split per aggregazione, with subtotals and summary."""

    anno_riparto: int | None
    delibera: str | None
    nota: str
    gruppi: tuple[GruppoSolidarieta, ...]
    totale: TotaleSolidarieta
    sintesi: tuple[VoceSintesiSolidarieta, ...]

    @property
    def righe(self) -> tuple[RigaSolidarieta, ...]:
        return tuple(r for g in self.gruppi for r in g.righe)

    def conteggio(self, codice: str) -> int:
        return next(v.numero for v in self.sintesi if v.codice == codice)


@dataclass(frozen=True)
class InterventoCalcolato:
    contesto: str
    ente: str | None
    titolo: str
    descrizione: str
    finanziamento: str
    importo: Decimal | None
    alloggi: int | None


@dataclass(frozen=True)
class ParteSeconda:
    misure: tuple[MisuraCalcolata, ...]
    avvisi: tuple[AvvisoCalcolato, ...]
    contributo_solidarieta: TabellaSolidarieta | None
    riqualificazione: tuple[InterventoCalcolato, ...]
    misure_in_rinnovo: tuple[str, ...]  # measures expected to be renewed in the plan's year

    @property
    def riqualificazione_per_contesto(self) -> tuple[tuple[str, tuple[InterventoCalcolato, ...]], ...]:
        """The renovation funds grouped by territorial context, in the order they were entered."""
        contesti: dict[str, list[InterventoCalcolato]] = {}
        for intervento in self.riqualificazione:
            contesti.setdefault(intervento.contesto, []).append(intervento)
        return tuple((contesto, tuple(voci)) for contesto, voci in contesti.items())


@dataclass(frozen=True)
class ProgettoCalcolato:
    titolo: str
    descrizione: str
    promotore: str | None
    partner: str
    periodo: str
    data_inizio: datetime.date | None
    data_fine: datetime.date | None
    costo: Decimal | None
    finanziamento: str


@dataclass(frozen=True)
class ParteTerza:
    progetti: tuple[ProgettoCalcolato, ...]
