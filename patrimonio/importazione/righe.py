"""The rows a file says and the analysis of what it would change (what the preview shows and
``registra`` writes)."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from patrimonio.models import EnteProprietario, TipoServizio
from piano_annuale.models import PianoAnnuale, Stato

from .contesto import Contesto, StatoEsistente
from .errori import Errore

# Plain strings: an Enum attribute costs a descriptor call in the loops over every row.
RISTRUTTURAZIONE = str(Stato.RISTRUTTURAZIONE.value)
CARENZA = str(Stato.CARENZA_MANUTENTIVA.value)
# A unit's state in the plan as the import compares and writes it:
# (stato, programma, stato_origine, note, costo_lavori, note_lavori).
ValoriStato = tuple[str, str, str, str, Decimal | None, str]
SAP, SAS = str(TipoServizio.SAP.value), str(TipoServizio.SAS.value)


@dataclass(slots=True)
class RigaUnita:
    """A valid unit row, as the database will hold it. ``None`` in an optional field: keep."""

    foglio: str
    riga: int
    layout: str
    id_regionale: str | None
    codice_ente: str | None
    comune_id: int
    tipo: str | None
    indirizzo: str | None
    stato: str | None  # None: no state in the plan
    programma: str | None
    stato_origine: str | None  # the platform's text, when the state was written that way
    note: str | None
    pk: int | None = None  # the existing unit it is (set while matching)
    riferimento: int | None = None  # the internal id written in the file, if any
    # Section b)'s cost of works (rules with it only): ``costo_nel_file`` tells an empty cell
    # (no cost) from a file without the column (keep).
    costo_lavori: Decimal | None = None
    costo_nel_file: bool = False
    note_lavori: str | None = None


@dataclass(slots=True)
class RigaTurnover:
    foglio: str
    riga: int
    comune_id: int
    numero: int


@dataclass(slots=True)
class Modifica:
    """An existing unit whose registry fields or state in the plan change."""

    pk: int
    riga: RigaUnita
    campi: dict[str, Any]
    stato_prima: StatoEsistente | None
    stato_dopo: ValoriStato | None


@dataclass(slots=True)
class CambioDichiarato:
    """One row of a declaration sheet (consistenza, SAT, assignments) that changes what the ente
    declared: created (``prima`` None), changed, or removed (``dopo`` None). ``comune_id`` None is
    the whole ente; ``pk`` the row it changes or removes."""

    comune_id: int | None
    voce: str  # «Cremona», «intero ente»: what the preview names the row by
    prima: dict[str, Any] | None
    dopo: dict[str, Any] | None
    pk: int | None = None


@dataclass
class FoglioDichiarato:
    """A declaration sheet found in the file: its kind (``dichiarazioni.TIPI``), its name as
    written, and what it changes (empty: the ente's data are already those of the sheet)."""

    tipo: str
    foglio: str
    cambi: list[CambioDichiarato] = field(default_factory=list)


@dataclass
class Analisi:
    """Everything an upload would change, or why it cannot: the preview and what ``registra`` writes."""

    piano: PianoAnnuale
    ente: EnteProprietario
    nome_file: str
    formato: str = ""
    layout: list[str] = field(default_factory=list)
    righe: int = 0
    errori: list[Errore] = field(default_factory=list)
    avvisi: list[str] = field(default_factory=list)
    nuove: list[RigaUnita] = field(default_factory=list)
    modifiche: list[Modifica] = field(default_factory=list)
    # Units of the ente the file no longer lists: their state in the plan is removed …
    tolte_dal_piano: list[int] = field(default_factory=list)
    # … and, for a full list (our template), those no other plan counts leave the registry too.
    cancellate: list[int] = field(default_factory=list)
    invariate: int = 0
    turnover_presente: bool = False
    turnover_nuovi: list[RigaTurnover] = field(default_factory=list)
    turnover_modificati: list[tuple[int, RigaTurnover, int]] = field(default_factory=list)  # pk, riga, prima
    turnover_tolti: list[tuple[int, int, int]] = field(default_factory=list)  # pk, comune, prima
    sezioni_prima: Counter[str] = field(default_factory=Counter)
    sezioni_dopo: Counter[str] = field(default_factory=Counter)
    # The «Scelte» sheet: present in the file; the fields that change (header, before, after, as
    # written) and the values ``salva_scelte`` will save, when something changes.
    scelte_presenti: bool = False
    scelte_cambi: list[tuple[str, Any, Any]] = field(default_factory=list)
    scelte_dopo: dict[str, Any] | None = None
    # The sheets of consistenza (a), SAT (j) and assignments (k), each when present in the file.
    dichiarati: list[FoglioDichiarato] = field(default_factory=list)
    # The carried-over states («da confermare») of the units the file lists unchanged: confirmed.
    da_confermare: list[int] = field(default_factory=list)  # StatoUnita pks
    timbro: str = ""
    contesto: Contesto | None = None

    @property
    def valida(self) -> bool:
        return not self.errori

    @property
    def rimosse(self) -> list[int]:
        """Units removed from the plan or the registry (each once)."""
        return sorted(set(self.tolte_dal_piano) | set(self.cancellate))

    @property
    def ci_sono_modifiche(self) -> bool:
        return bool(
            self.nuove
            or self.modifiche
            or self.rimosse
            or self.turnover_nuovi
            or self.turnover_modificati
            or self.turnover_tolti
            or self.scelte_cambi
            or self.da_confermare
            or any(f.cambi for f in self.dichiarati)
        )

    @property
    def impronta(self) -> str:
        """A digest of exactly what would be written: the preview a user confirms must be it."""
        h = hashlib.sha256()
        h.update(repr((self.ente.pk, self.piano.pk)).encode())
        for r in self.nuove:
            h.update(
                repr(
                    (r.id_regionale, r.codice_ente, r.comune_id, r.tipo, r.indirizzo, r.stato)
                    + (r.programma, r.stato_origine, r.note, r.costo_lavori, r.note_lavori)
                ).encode()
            )
        for m in self.modifiche:
            h.update(repr((m.pk, sorted(m.campi.items()), m.stato_dopo)).encode())
        h.update(repr((self.tolte_dal_piano, self.cancellate)).encode())
        h.update(
            repr(
                (
                    [(t.comune_id, t.numero) for t in self.turnover_nuovi],
                    [(pk, t.numero) for pk, t, _ in self.turnover_modificati],
                    [pk for pk, _, _ in self.turnover_tolti],
                )
            ).encode()
        )
        if self.scelte_dopo is not None:
            h.update(repr(sorted(self.scelte_dopo.items())).encode())
        h.update(repr(self.da_confermare).encode())
        for f in self.dichiarati:
            h.update(repr((f.tipo, [(c.comune_id, c.pk, c.prima, c.dopo) for c in f.cambi])).encode())
        return h.hexdigest()
