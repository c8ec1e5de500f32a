"""Set-based statements for any number of rows: the rows or ids travel as ONE JSON parameter.

An upload may write 100,000 rows. Django's ``bulk_create`` prepares every field of every object
in Python and splits the rows into batches under the parameter limit (166 units per ``INSERT`` on
SQLite); ``filter(pk__in=[…])`` sends one parameter per id. Here the database unpacks one JSON
text (SQLite ``json_each``, PostgreSQL ``jsonb_array_elements`` / ``unnest``), so a delete or an
update is one statement whatever the number of rows, an insert one per 10,000 rows, and the
per-row work is done in C.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Field, Model
from django.db.models.expressions import RawSQL


def tra(pks: Sequence[int]) -> RawSQL:
    """A set of ids as one query parameter, for ``filter(pk__in=tra(pks))``."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (list(pks),))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(list(pks)),))


def colonne(modello: type[Model]) -> tuple[str, ...]:
    """Every column of the model but its primary key, by attribute name (``comune_id``), in order."""
    return tuple(c.attname for c in modello._meta.concrete_fields if not c.primary_key)


def righe_complete(modello: type[Model], righe: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """Each row's values in the order of ``colonne``; a column a row does not give takes the
    field's default, as a new instance would (a field added to the model needs no change here)."""
    nomi = colonne(modello)
    predefiniti = {c.attname: c.get_default() for c in modello._meta.concrete_fields if not c.primary_key}
    return [[r[n] if n in r else predefiniti[n] for n in nomi] for r in righe]


def _colonna(campo: Field) -> str:
    """The column's quoted name."""
    assert campo.column is not None
    return connection.ops.quote_name(campo.column)


def _tabella(modello: type[Model]) -> str:
    return connection.ops.quote_name(modello._meta.db_table)


def _campo(modello: type[Model], nome: str) -> Field:
    campo = modello._meta.get_field(nome)
    assert isinstance(campo, Field) and campo.concrete
    return campo


def _estrai(campo: Field, indice: int) -> str:
    """The SQL that reads element ``indice`` of a row (a JSON array) as the column's type."""
    if connection.vendor != "postgresql":
        return f"json_extract(value, '$[{indice}]')"
    tipo = campo.db_type(connection)
    if tipo == "jsonb":
        return f"NULLIF(r -> {indice}, 'null'::jsonb)"  # JSON null is SQL NULL, as Django writes it
    return f"(r ->> {indice})::{tipo}"


# Rows per INSERT: the database parses the whole JSON parameter at once (SQLite builds a node per
# value), so 200,000 history rows in one statement cost ~400 MB; 10,000 cost ~20 MB and one
# statement more per 10,000 rows.
RIGHE_PER_INSERIMENTO = 10_000


def inserisci(
    modello: type[Model],
    campi: Sequence[str],
    righe: Iterable[Sequence[Any]],
    *,
    costanti: Mapping[str, Any] | None = None,
    ritorna: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert ``righe`` (values in the order of ``campi``, JSON-ready) with one ``INSERT … SELECT``
    per ``RIGHE_PER_INSERIMENTO`` rows, in their order; ``costanti`` are columns with the same value
    in every row (prepared as Django would), and a column neither gives takes the field's default.
    Return the ``ritorna`` columns of each inserted row, in the order the rows were given.

    ``righe`` may be a generator: only one block of rows is held at a time. The returned rows are
    put back in order by their first column, the primary key: one statement assigns its new keys in
    the order it inserts (ascending), and the SELECT feeds the rows in their given order. No model
    is instantiated and no signal sent, as with ``bulk_create``.
    """
    sql, parametri = _sql_inserimento(modello, campi, dict(costanti or {}), ritorna)
    restituite: list[tuple[Any, ...]] = []
    iteratore = iter(righe)
    with connection.cursor() as cursore:
        while blocco := list(islice(iteratore, RIGHE_PER_INSERIMENTO)):
            testo = json.dumps(blocco, separators=(",", ":"), cls=DjangoJSONEncoder)
            cursore.execute(sql, [*parametri, testo])
            if ritorna:
                inserite = sorted(tuple(r) for r in cursore.fetchall())
                if len(inserite) != len(blocco):
                    raise RuntimeError(f"Inserite {len(inserite)} righe su {len(blocco)}.")
                restituite += inserite
    return restituite


def _sql_inserimento(
    modello: type[Model], campi: Sequence[str], costanti: dict[str, Any], ritorna: Sequence[str]
) -> tuple[str, list[Any]]:
    """The ``INSERT … SELECT`` of ``inserisci`` and its parameters but the last (the rows)."""
    for campo in modello._meta.concrete_fields:  # columns nobody gives take their default
        if not campo.primary_key and campo.attname not in campi and campo.attname not in costanti:
            costanti[campo.attname] = campo.get_default()
    per_riga = [_campo(modello, nome) for nome in campi]
    fissi = [_campo(modello, nome) for nome in costanti]
    colonne = ", ".join(_colonna(c) for c in (*per_riga, *fissi))
    valori = [_estrai(c, i) for i, c in enumerate(per_riga)]
    parametri: list[Any] = []
    for campo, valore in zip(fissi, costanti.values(), strict=True):
        cast = f"::{campo.db_type(connection)}" if connection.vendor == "postgresql" else ""
        valori.append(f"%s{cast}")
        parametri.append(campo.get_db_prep_save(valore, connection))
    if connection.vendor == "postgresql":
        sorgente = "jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS e(r, n) ORDER BY n"
    else:
        sorgente = "json_each(%s) ORDER BY key"
    sql = f"INSERT INTO {_tabella(modello)} ({colonne}) SELECT {', '.join(valori)} FROM {sorgente}"
    if ritorna:
        sql += " RETURNING " + ", ".join(_colonna(_campo(modello, nome)) for nome in ritorna)
    return sql, parametri


def elimina(modello: type[Model], pks: Sequence[int], **uguali: Any) -> int:
    """``DELETE`` the rows of ``pks`` that also have the ``uguali`` column values, with one
    statement; return how many. Unlike ``QuerySet.delete()`` nothing is collected or cascaded: the
    caller has removed what points to the rows (the database refuses otherwise)."""
    insieme = tra(pks)
    condizioni = [f"{_colonna(_campo(modello, nome))} = %s" for nome in uguali]
    chiave = modello._meta.pk
    assert chiave is not None
    condizioni.append(f"{_colonna(chiave)} IN ({insieme.sql})")
    sql = f"DELETE FROM {_tabella(modello)} WHERE {' AND '.join(condizioni)}"
    with connection.cursor() as cursore:
        cursore.execute(sql, [*uguali.values(), *insieme.params])
        return cursore.rowcount
