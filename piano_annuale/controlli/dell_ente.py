"""The checks of the catalogue as one ente sees them: those that concern it, before and after it sends.

The ente's workspace and its «Invia la risposta» show the same anomalies the plan's page shows, filtered
to the ente (``Anomalia.ente_id``). Two adjustments: a check whose message names other enti's units
(U02, the same ID regionale on units of several enti) is shown to the ente without their detail, which
only the ufficio di piano reads; before the answer is sent, R01 («has not answered») is left out, since
sending is what resolves it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from piano_annuale.calcolo.tipi import Anomalia

from .base import ERRORE

# Checks whose message names other enti (and their units): the ente reads a message without them.
NOMINANO_ALTRI_ENTI = {
    "U02": (
        "Un ID regionale di un'unità di questo ente risulta attribuito anche a unità di altri enti, scritto in "
        "modo diverso: verificare l'ID regionale delle unità (l'ufficio di piano vede il dettaglio)."
    ),
}
# The page of the ente's workspace (``patrimonio`` URL name) that fixes each check's anomaly, and what
# the link says; an anomaly that names a unit opens the unit instead. Used by the workspace and by
# the plan's page, so both send the user to the same form.
CORREZIONE_NELL_AREA: dict[str, tuple[str, str]] = {
    "C01": ("consistenza", "Correggi la consistenza"),
    "C02": ("consistenza", "Dichiara la consistenza"),
    "C03": ("consistenza_comuni", "Correggi la consistenza per comune"),
    "D01": ("dichiarato", "Correggi i totali dichiarati"),
    "S01": ("sat", "Correggi le unità SAT"),
    "S02": ("sat", "Correggi le unità SAT"),
    "F01": ("scelte", "Correggi le scelte"),
    "Q01": ("scelte", "Correggi le scelte"),
    "Q02": ("scelte", "Correggi le scelte"),
    "Q03": ("scelte", "Correggi le scelte"),
    "Q04": ("scelte", "Correggi le scelte"),
    "T01": ("turnover", "Correggi il turn-over"),
}
# Checks that sending the answer resolves.
RISOLTI_DALL_INVIO = frozenset({"R01"})


@dataclass(frozen=True)
class ControlliDellEnte:
    errori: tuple[Anomalia, ...]
    avvisi: tuple[Anomalia, ...]

    @property
    def tutte(self) -> tuple[Anomalia, ...]:
        return self.errori + self.avvisi

    @property
    def bloccano(self) -> bool:
        return bool(self.errori)


def controlli_dell_ente(
    anomalie: Iterable[Anomalia], ente_id: int, *, ufficio_di_piano: bool, prima_dell_invio: bool
) -> ControlliDellEnte:
    """The anomalies of ``ente_id``, errors first; ``ufficio_di_piano``: the reader sees other enti's
    detail; ``prima_dell_invio``: the answer is not sent yet (R01 is left out)."""
    proprie = []
    for a in anomalie:
        if a.ente_id != ente_id or (prima_dell_invio and a.codice in RISOLTI_DALL_INVIO):
            continue
        if not ufficio_di_piano and a.codice in NOMINANO_ALTRI_ENTI:
            a = dataclasses.replace(a, messaggio=NOMINANO_ALTRI_ENTI[a.codice])
        proprie.append(a)
    return ControlliDellEnte(
        errori=tuple(a for a in proprie if a.gravita == ERRORE),
        avvisi=tuple(a for a in proprie if a.gravita != ERRORE),
    )
