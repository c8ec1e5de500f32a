"""The onboarding's refusals: one or more Italian messages, nothing written."""

from __future__ import annotations

from collections.abc import Iterable

from piano_annuale.services.errori import OperazioneNonValida

# Recorded in the history as where the changes come from.
ORIGINE = "insediamento dell'ambito"


class DatiNonValidi(OperazioneNonValida):
    """Some rows of a list cannot be used: every reason, each its own message; nothing is written."""

    def __init__(self, errori: Iterable[str]) -> None:
        self.errori = list(errori)
        super().__init__(" ".join(self.errori))


def riga(numero: int, testo: str) -> str:
    """A row's message, with the row's number as the user sees it in the list."""
    return f"Riga {numero}: {testo}"
