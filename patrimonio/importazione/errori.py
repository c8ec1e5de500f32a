"""What goes wrong: a file that cannot be read, data that changed, and a problem of one cell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class FileNonValido(ValueError):
    """The file as a whole cannot be read; the message says why, in Italian."""


class DatiCambiati(Exception):
    """The ente's data changed between the analysis and the confirmation."""


@dataclass(slots=True)
class Errore:
    """A problem of the file: where (sheet, row, column), the value found, and what to do."""

    riga: int | None
    colonna: str
    valore: str
    messaggio: str
    foglio: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "foglio": self.foglio,
            "riga": self.riga,
            "colonna": self.colonna,
            "valore": neutralizza(self.valore),
            "messaggio": self.messaggio,
        }


# Values a spreadsheet program would run as a formula: echoed and exported with a leading «'».
_INIZI_PERICOLOSI = ("=", "+", "-", "@", "\t", "\r")


def neutralizza(valore: Any) -> Any:
    """Prefix ``'`` to a text that starts with ``=``, ``+``, ``-`` or ``@`` (formula injection)."""
    if isinstance(valore, str) and valore.startswith(_INIZI_PERICOLOSI):
        return "'" + valore
    return valore
