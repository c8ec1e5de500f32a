"""The whole computed plan, ``PianoCalcolato``, and its JSON encoder."""

from __future__ import annotations

import dataclasses
import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from .parte_prima import (
    AllegatoB,
    Anomalia,
    Demografia,
    InfoPiano,
    Ricognizione,
    RigaAllegatoA,
    RigaCategoria,
    RigaSoglia,
    SezioneA,
    SezioneC,
    SezioneE,
    SezioneG,
    SezioneIB,
    SezioneK,
    Sintesi,
    TabellaConteggi,
)
from .parte_seconda import ParteSeconda, ParteTerza
from .regole import CostiCarenza, InfoRegole, SezioneCBis, SezioneDBis


@dataclass(frozen=True)
class PianoCalcolato:
    versione: int
    piano: InfoPiano
    demografia: Demografia
    ricognizione: Ricognizione
    a: SezioneA
    b: TabellaConteggi
    c: SezioneC
    d: TabellaConteggi
    e: SezioneE
    f: TabellaConteggi
    g: SezioneG
    h: tuple[RigaSoglia, ...]
    i: tuple[RigaCategoria, ...]
    ib: SezioneIB
    j: TabellaConteggi
    k: SezioneK
    allegato_a: tuple[RigaAllegatoA, ...]
    allegato_b: AllegatoB
    sintesi: Sintesi
    anomalie: tuple[Anomalia, ...]
    # Parte seconda (misure) and terza (altre progettualità); None only in results built by hand.
    parte_seconda: ParteSeconda | None = None
    parte_terza: ParteTerza | None = None
    # The rules applied, and the parts that exist only under some rule sets (None where they do not):
    # d bis) per comune and c bis) per ente (R.R. 2/2025), the cost of works of b) (L.R. 18/2025).
    regole: InfoRegole | None = None
    dbis: SezioneDBis | None = None
    cbis: SezioneCBis | None = None
    costi_b: CostiCarenza | None = None

    @property
    def errori(self) -> tuple[Anomalia, ...]:
        return tuple(a for a in self.anomalie if a.gravita == "errore")

    @property
    def avvisi(self) -> tuple[Anomalia, ...]:
        return tuple(a for a in self.anomalie if a.gravita == "avviso")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def as_json(self, **kwargs: Any) -> str:
        return json.dumps(self.as_dict(), cls=EncoderPiano, ensure_ascii=False, **kwargs)


class EncoderPiano(json.JSONEncoder):
    """JSON for the computed plan: Decimals as strings (exact), dates as ISO 8601."""

    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return str(o)
        if isinstance(o, datetime.date):
            return o.isoformat()
        return super().default(o)


# Each result type's field names, in the order they are defined (read once per type).
_CAMPI: dict[type, tuple[str, ...]] = {}


def _per_orjson(o: Any) -> Any:
    """What orjson writes for the values it does not know (or is told not to write itself)."""
    if isinstance(o, Decimal):
        return str(o)
    campi = _CAMPI.get(type(o))
    if campi is None:
        if not dataclasses.is_dataclass(o):
            raise TypeError(f"{type(o).__name__} non si scrive in JSON")
        campi = _CAMPI[type(o)] = tuple(f.name for f in dataclasses.fields(o))
    return {nome: getattr(o, nome) for nome in campi}


def json_indentato(calcolo: PianoCalcolato) -> str:
    """The API's text of the plan: the same text as ``json.dumps(calcolo.as_dict(), cls=EncoderPiano,
    ensure_ascii=False, indent=2)``, written by orjson (a test proves them equal). Its dataclasses
    are handed back as dicts in their fields' order: orjson's own order is the attributes', where a
    total set after ``__init__`` comes last."""
    opzioni = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
    return orjson.dumps(calcolo, default=_per_orjson, option=opzioni).decode()
