"""The computed plan rebuilt from its JSON: ``piano_da_json(dati) -> PianoCalcolato``.

The JSON is what ``EncoderPiano`` writes (``PianoCalcolato.as_json``, the plan's JSON view, the frozen
versions): Decimals as strings, dates in ISO 8601, tuples as lists. The result types say what each
value is, so the rebuilding follows their annotations; the derived fields (``field(init=False)``) are
not read but derived again, so a JSON written before such a field existed rebuilds too. Keys that are
not fields of the result types (a frozen version's ``note_chiusura``) are ignored.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import types
import typing
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from .tipi import PianoCalcolato

T = TypeVar("T")


def piano_da_json(dati: dict[str, Any] | str) -> PianoCalcolato:
    """The ``PianoCalcolato`` whose JSON is ``dati`` (the parsed document, or its text)."""
    if isinstance(dati, str):
        dati = json.loads(dati)
    return da_json(PianoCalcolato, dati)


def da_json(tipo: type[T], dati: Any) -> T:
    """Any result type (a section, a row) from its JSON, parsed."""
    risultato: T = _da_json(tipo, dati)
    return risultato


@cache
def _campi(tipo: type) -> tuple[tuple[str, Any], ...]:
    """The fields a result type is built from, with their resolved annotations."""
    annotazioni = typing.get_type_hints(tipo)
    return tuple((f.name, annotazioni[f.name]) for f in dataclasses.fields(tipo) if f.init)


def _da_json(tipo: Any, valore: Any) -> Any:
    """``valore`` read from JSON, as the annotation ``tipo`` says."""
    if valore is None:
        return None
    origine = typing.get_origin(tipo)
    if origine in (typing.Union, types.UnionType):
        # The result types only use «X | None»: None was handled above.
        (interno,) = (t for t in typing.get_args(tipo) if t is not type(None))
        return _da_json(interno, valore)
    if origine is tuple:
        argomenti = typing.get_args(tipo)
        if len(argomenti) == 2 and argomenti[1] is Ellipsis:
            return tuple(_da_json(argomenti[0], v) for v in valore)
        return tuple(_da_json(t, v) for t, v in zip(argomenti, valore, strict=True))
    if isinstance(tipo, type) and dataclasses.is_dataclass(tipo):
        return tipo(**{nome: _da_json(t, valore[nome]) for nome, t in _campi(tipo) if nome in valore})
    if tipo is Decimal:
        return Decimal(valore)
    if tipo is datetime.date:
        return datetime.date.fromisoformat(valore)
    if tipo in (int, str, bool):
        if not isinstance(valore, tipo):
            raise TypeError(f"{valore!r} non è un {tipo.__name__}")
        return valore
    raise TypeError(f"tipo non previsto nel piano calcolato: {tipo!r}")
