"""Result types of Parte prima (demographics, ricognizione, sections a–k), of the annexes and of the
checks: immutable rows and totals, built once by the computation and read by every rendering.

A value that the page or the PDF prints is a field, never a ``@property``, so the plan's JSON, its
frozen versions and the PDF/A attachment carry it. A field derived from the others is declared with
``field(init=False)`` and set at construction, so the result rebuilt from JSON derives it again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from patrimonio.models import TipoEnte

from ..helpers import chiave_nome


def imposta(istanza: object, **valori: Any) -> None:
    """Set the derived fields of a frozen dataclass, from its ``__post_init__``."""
    for nome, valore in valori.items():
        object.__setattr__(istanza, nome, valore)


@dataclass(frozen=True)
class Ente:
    id: int
    denominazione: str
    tipo: str
    comune: str | None
    comune_id: int | None

    @property
    def is_comune(self) -> bool:
        return self.tipo == TipoEnte.COMUNE


@dataclass(frozen=True)
class InfoPiano:
    id: int
    anno: int
    ambito: str
    comune_capofila: str | None
    ente_strumentale: str
    stato: str
    stato_descrizione: str
    data_popolazione: datetime.date
    anno_precedente: int = field(init=False)  # the year of section k's assignments
    # The triennale the plan belongs to (L.R. 16/2016 art. 21), when recorded.
    triennio_inizio: int | None = None
    triennio_fine: int | None = None

    def __post_init__(self) -> None:
        imposta(self, anno_precedente=self.anno - 1)


@dataclass(frozen=True)
class RigaPopolazione:
    posizione: int
    comune_id: int
    comune: str
    codice_istat: str
    abitanti: int | None
    famiglie: int | None


@dataclass(frozen=True)
class Superficie:
    """Surface and density of a set of comuni (an aggregazione, the ambito), computed from the
    comuni's own surfaces, never typed. Where some comuni have no surface recorded, the density is
    that of the known part (the comuni with both surface and population) and ``parziale`` says so."""

    superficie_kmq: Decimal | None  # the sum of the known surfaces; None when none is known
    abitanti: int  # the inhabitants of the comuni with both surface and population known
    densita: Decimal | None  # inhabitants per km² over those comuni, one decimal
    comuni_senza_superficie: tuple[str, ...] = ()
    parziale: bool = field(init=False)

    def __post_init__(self) -> None:
        imposta(self, parziale=bool(self.comuni_senza_superficie))


SUPERFICIE_IGNOTA = Superficie(None, 0, None)


@dataclass(frozen=True)
class GruppoAggregazione:
    numero: int | None
    denominazione: str
    righe: tuple[RigaPopolazione, ...]
    totale: int
    superficie: Superficie = SUPERFICIE_IGNOTA
    termine: str = "AT"  # the ambito's word for its aggregazioni («AT», «sub-ambito», «distretto»)
    sigla: str = field(init=False)  # «AT 3»; empty for the comuni outside every aggregazione
    etichetta: str = field(init=False)  # «AT 3 – Centro Sud», or the denominazione alone

    def __post_init__(self) -> None:
        sigla = f"{self.termine} {self.numero}" if self.numero else ""
        etichetta = (
            (f"{sigla} – {self.denominazione}" if self.denominazione else sigla)
            if sigla
            else self.denominazione
        )
        imposta(self, sigla=sigla, etichetta=etichetta)


@dataclass(frozen=True)
class RigaDensita:
    comune: str
    superficie_kmq: Decimal
    abitanti: int
    densita: Decimal  # inhabitants per km², one decimal


@dataclass(frozen=True)
class Demografia:
    data_riferimento: datetime.date
    numero_comuni: int
    totale_abitanti: int
    classifica: tuple[RigaPopolazione, ...]
    aggregazioni: tuple[GruppoAggregazione, ...]
    densita: tuple[RigaDensita, ...]
    comuni_senza_sap: tuple[str, ...]
    abitanti_comuni_senza_sap: int
    quota_popolazione_senza_sap: Decimal | None
    comuni_senza_dato: tuple[str, ...]
    superficie: Superficie = SUPERFICIE_IGNOTA  # of the whole ambito
    termine_aggregazioni: str = "AT"
    # The sources of the population counted (``Popolazione.fonte`` at the plan's date), each once.
    fonti_popolazione: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gestione:
    gestore: Ente
    comuni: tuple[str, ...]


@dataclass(frozen=True)
class Ricognizione:
    comuni_totali: int
    comuni_rispondenti: int
    tasso_risposta: Decimal | None
    comuni_proprietari: int
    proprietari_rispondenti: int
    tasso_risposta_proprietari: Decimal | None
    non_rispondenti: int
    non_rispondenti_patrimonio_zero: tuple[str, ...]
    non_rispondenti_solo_aler: tuple[str, ...]
    non_rispondenti_proprietari: tuple[str, ...]
    non_rispondenti_altri: tuple[str, ...]
    altri_enti: tuple[tuple[str, str], ...]  # (ente, stato della risposta) for ALER and operatori
    gestioni: tuple[Gestione, ...]


@dataclass(frozen=True)
class RigaConsistenza:
    ente: Ente
    totale: int
    sap: int
    sas: int


@dataclass(frozen=True)
class SezioneA:
    righe: tuple[RigaConsistenza, ...]
    totale: int
    sap: int
    sas: int
    non_comunicata: tuple[Ente, ...]
    patrimonio_zero: tuple[Ente, ...]


@dataclass(frozen=True)
class RigaConteggio:
    ente: Ente
    comune: str
    numero: int


@dataclass(frozen=True)
class TabellaConteggi:
    righe: tuple[RigaConteggio, ...]
    totale: int


@dataclass(frozen=True)
class RigaProgramma:
    ente: Ente
    comune: str
    programma: str
    numero: int


@dataclass(frozen=True)
class SezioneC:
    righe: tuple[RigaProgramma, ...]
    per_comune: tuple[RigaConteggio, ...]
    totale: int


@dataclass(frozen=True)
class UnitaElencata:
    ente: Ente
    comune: str
    id_regionale: str | None
    codice_ente: str
    stato: str
    stato_origine: str
    programma: str


@dataclass(frozen=True)
class SezioneE:
    libere: tuple[UnitaElencata, ...]
    libere_per_comune: tuple[RigaConteggio, ...]
    turnover: tuple[RigaConteggio, ...]
    totale_libere: int
    totale_turnover: int
    totale: int = field(init=False)

    def __post_init__(self) -> None:
        imposta(self, totale=self.totale_libere + self.totale_turnover)

    @property
    def tabella_turnover(self) -> TabellaConteggi:
        """The turnover counts shaped like the other per-ente tables (b, d, f, j)."""
        return TabellaConteggi(righe=self.turnover, totale=self.totale_turnover)


@dataclass(frozen=True)
class RigaDisponibili:
    """Units assignable in the year for an ente in a comune (section g); ``liberi`` = e (free + turnover)."""

    ente: Ente | None
    comune: str | None
    libere: int
    turnover: int
    liberi: int
    ristrutturazione: int
    nuova_edificazione: int
    carenza: int
    conferite: int
    totale: int
    nuove_ristrutturate: int = field(init=False)  # c + d, one column of the dashboard and of TAB 1

    def __post_init__(self) -> None:
        imposta(self, nuove_ristrutturate=self.ristrutturazione + self.nuova_edificazione)


@dataclass(frozen=True)
class SezioneG:
    righe: tuple[RigaDisponibili, ...]
    per_ente: tuple[RigaDisponibili, ...]
    totale: RigaDisponibili

    def per_ente_id(self) -> dict[int, RigaDisponibili]:
        """Each ente's row of ``per_ente``, by the ente's id."""
        return {r.ente.id: r for r in self.per_ente if r.ente is not None}


@dataclass(frozen=True)
class RigaSoglia:
    ente: Ente
    eccedenza: int
    soglia_complessiva: int


@dataclass(frozen=True)
class RigaCategoria:
    ente: Ente
    categoria: str
    motivazione: str


@dataclass(frozen=True)
class RigaForzePolizia:
    ente: Ente
    percentuale: int
    disponibili: int
    unita: int


@dataclass(frozen=True)
class SezioneIB:
    righe: tuple[RigaForzePolizia, ...]
    totale_unita: int


@dataclass(frozen=True)
class RigaAssegnazioni:
    ente: Ente
    totale: int
    mobilita: int
    in_deroga: int


@dataclass(frozen=True)
class SezioneK:
    righe: tuple[RigaAssegnazioni, ...]
    totale: int
    mobilita: int
    in_deroga: int


@dataclass(frozen=True)
class RigaAllegatoA:
    ente: Ente
    sas: int | None
    sap: int | None
    disponibili: int
    libere_turnover: int
    carenza: int
    nuove_ristrutturate: int
    transitori: int
    assegnate_anno_precedente: int
    conferite: int
    categoria: str
    soglia_indigenti: int
    forze_polizia: int
    # Since R.R. 2/2025: the 7 ter quota (Polizia Locale) and the c bis) threshold.
    polizia_locale: int = 0
    soglia_c_bis: int = 0
    # The ente answered «nulla da dichiarare»: no consistenza is due, so none is «not communicated».
    nulla_da_dichiarare: bool = False


@dataclass(frozen=True)
class GruppoLotto:
    programma: str
    unita: tuple[UnitaElencata, ...]
    totale: int


@dataclass(frozen=True)
class AllegatoB:
    unita: tuple[UnitaElencata, ...]  # free and carenza units (sections b, e)
    lotti: tuple[GruppoLotto, ...]  # units in renovation programmes (section c)
    totale_lotti: int


@dataclass(frozen=True)
class RigaSintesiDisponibili:
    gruppo: str
    numero_comuni: int
    liberi: int
    ristrutturazione: int
    carenza: int
    conferite: int
    totale: int


@dataclass(frozen=True)
class QuoteSintesiDisponibili:
    gruppo: str
    liberi: Decimal | None
    ristrutturazione: Decimal | None
    carenza: Decimal | None
    conferite: Decimal | None
    totale: Decimal | None


@dataclass(frozen=True)
class RigaSintesiPatrimonio:
    gruppo: str
    numero_comuni: int
    sap: int
    sas: int
    totale: int


@dataclass(frozen=True)
class QuoteSintesiPatrimonio:
    gruppo: str
    sap: Decimal | None
    sas: Decimal | None
    totale: Decimal | None


@dataclass(frozen=True)
class Sintesi:
    """The two summary tables the Assemblea dei Sindaci receives (TAB 1 and TAB 2 of the verbale)."""

    disponibili: tuple[RigaSintesiDisponibili, ...]
    quote_disponibili: tuple[QuoteSintesiDisponibili, ...]
    patrimonio: tuple[RigaSintesiPatrimonio, ...]
    quote_patrimonio: tuple[QuoteSintesiPatrimonio, ...]


@dataclass(frozen=True)
class Anomalia:
    codice: str
    gravita: str  # "errore" blocks sending to ALER and approval; "avviso" does not
    messaggio: str
    sezione: str
    ente_id: int | None = None
    comune_id: int | None = None
    unita_id: int | None = None


# The order of the plan's tables.


def ordina_enti(ente: Ente) -> tuple[int, str]:
    """Comuni first, then ALER, then operatori accreditati; alphabetically within each."""
    rango: dict[str, int] = {TipoEnte.COMUNE: 0, TipoEnte.ALER: 1, TipoEnte.OPERATORE: 2}
    return rango.get(ente.tipo, 3), chiave_nome(ente.comune or ente.denominazione)


def ordina_righe(righe: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(sorted(righe, key=lambda r: (ordina_enti(r.ente), chiave_nome(r.comune))))
