"""The whole computed plan, ``PianoCalcolato``, and its JSON encoder."""

from __future__ import annotations

import dataclasses
import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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
