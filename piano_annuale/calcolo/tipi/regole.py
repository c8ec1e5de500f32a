"""Result types of the parts that depend on the rule set: which rules apply, the d bis) quotas per
comune (art. 7 bis and 7 ter), the c bis) thresholds per ente and the cost of works of section b)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from .parte_prima import Ente


@dataclass(frozen=True)
class InfoRegole:
    """The rule set the plan is computed under, as the plan page and the normative section say it."""

    codice: str
    nome: str
    riferimenti: str
    in_vigore_dal: datetime.date
    scelte_dall_ufficio: bool  # chosen with a reason, rather than those in force on 1 January
    motivo: str
    quota_per: str  # "ente" (art. 7 bis until R.R. 2/2025) or "comune" (lett. d bis)
    quota_massimo: int
    con_7ter: bool
    arrotondamento: str
    destinatario_7bis: str
    destinatario_7ter: str
    interpretazione: str
    c_bis_massimo: int | None
    costo_lavori: str  # "non_previsto", "facoltativo" or "obbligatorio"
    aggiornamento_triennale: str  # "obbligatorio" or "facoltativo"


@dataclass(frozen=True)
class RigaQuotaEnte:
    """The d bis) units of one ente proprietario in one comune."""

    ente: Ente
    disponibili: int
    unita_7bis: int
    unita_7ter: int


@dataclass(frozen=True)
class RigaQuotaComune:
    """One comune's d bis) percentage, split into the 7 bis and 7 ter quotas, and their units."""

    comune: str
    comune_id: int
    ente_id: int  # the comune's own ente, which declares the percentages
    percentuale_7bis: int
    percentuale_7ter: int
    percentuale_totale: int
    disponibili: int
    unita_7bis: int
    unita_7ter: int
    enti: tuple[RigaQuotaEnte, ...]


@dataclass(frozen=True)
class TotaleQuotaEnte:
    """The d bis) units each ente proprietario assigns, summed over the comuni: what its letters say."""

    ente: Ente
    disponibili: int
    unita_7bis: int
    unita_7ter: int


@dataclass(frozen=True)
class SezioneDBis:
    righe: tuple[RigaQuotaComune, ...]
    per_ente: tuple[TotaleQuotaEnte, ...]
    totale_7bis: int
    totale_7ter: int


@dataclass(frozen=True)
class RigaCBis:
    """An ente's c bis) threshold for the categories of art. 14, as the plan «recepisce» it."""

    ente: Ente
    soglia: int
    categorie: tuple[str, ...]
    disponibili: int
    unita_massime: int  # the threshold's units, rounded down: «fino al» means not above it


@dataclass(frozen=True)
class SezioneCBis:
    righe: tuple[RigaCBis, ...]
    totale_unita_massime: int


@dataclass(frozen=True)
class UnitaCarenza:
    """A unit of section b) with the estimated cost of its works (L.R. 18/2025 art. 13)."""

    unita_id: int
    ente: Ente
    comune: str
    id_regionale: str | None
    codice_ente: str
    costo: Decimal | None
    lavori: str


@dataclass(frozen=True)
class CostiCarenza:
    unita: tuple[UnitaCarenza, ...]
    totale: Decimal  # of the units whose cost is stated
    senza_costo: int
