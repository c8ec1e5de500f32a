"""The code's shape holds: layers depend one way, no import cycle, no import hidden in a function or
behind TYPE_CHECKING to dodge one, no migration cycle between apps, no oversized module.

The layers, bottom to top (README, "Struttura del progetto"):

0. territory — ``ambito.models``
1. registry and access — ``patrimonio.models`` and ``patrimonio.accesso`` (the access policy is
   written over field paths, so the registry's QuerySets ask it without importing anything above)
2. plan-year record and declarations — ``piano_annuale.models`` and the small tables it is built
   from (the catalogue of sections, the workflow's transition table)
3. misure — ``misure.models`` and its value helpers
4. everything else: the computation, checks, renderings, workflow, services, views, admin, tasks,
   and the REST API (``api``: its token model and its views alike sit on top).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader

RADICE = Path(settings.BASE_DIR)
APPS = ("ambito", "patrimonio", "piano_annuale", "misure", "api", "config")
PROGETTO = ("ambito", "patrimonio", "piano_annuale", "misure", "api", "config")
RIGHE_MASSIME = 600

# (pattern on the dotted module name, layer): the first pattern that matches wins.
STRATI: list[tuple[str, int]] = [
    (r"^ambito\.models$", 0),
    (r"^ambito\.italiano$", 0),  # articles and dates: imports nothing of the project, so any layer may use it
    (r"^patrimonio\.(models|accesso)$", 1),
    (r"^piano_annuale\.(models(\..*)?|catalogo|transizioni)$", 2),
    (r"^misure\.(models|formati)$", 3),
    (r".*", 4),
]


def _moduli() -> dict[str, Path]:
    """Every project module (not migrations), by dotted name."""
    moduli = {}
    for app in APPS:
        for file in (RADICE / app).rglob("*.py"):
            parti = file.relative_to(RADICE).with_suffix("").parts
            if "migrations" in parti:
                continue
            nome = ".".join(parti[:-1] if parti[-1] == "__init__" else parti)
            moduli[nome] = file
    return moduli


MODULI = _moduli()


def _risolvi(modulo: str, nodo: ast.ImportFrom | ast.Import, file: Path) -> list[str]:
    """The project modules an import statement names (a package's ``from p import sub`` counts sub)."""
    if isinstance(nodo, ast.Import):
        nomi = [alias.name for alias in nodo.names]
    else:
        base = nodo.module or ""
        if nodo.level:
            pacchetto = modulo if file.name == "__init__.py" else modulo.rpartition(".")[0]
            for _ in range(nodo.level - 1):
                pacchetto = pacchetto.rpartition(".")[0]
            base = f"{pacchetto}.{base}" if base else pacchetto
        nomi = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULI else base for alias in nodo.names]
    risolti = []
    for nome in nomi:
        while nome and nome not in MODULI:
            nome = nome.rpartition(".")[0]
        if nome and nome.split(".")[0] in PROGETTO:
            risolti.append(nome)
    return risolti


def _analizza() -> tuple[dict[str, set[str]], list[str]]:
    """Module-level import edges, and the imports found inside functions or TYPE_CHECKING blocks."""
    archi: dict[str, set[str]] = defaultdict(set)
    nascosti: list[str] = []
    for modulo, file in MODULI.items():
        albero = ast.parse(file.read_text(encoding="utf-8"))
        for nodo in ast.walk(albero):
            if not isinstance(nodo, ast.Import | ast.ImportFrom):
                continue
            for destinazione in _risolvi(modulo, nodo, file):
                if destinazione != modulo:
                    archi[modulo].add(destinazione)
        for nodo in ast.walk(albero):
            interni: list[ast.stmt] = []
            if isinstance(nodo, ast.FunctionDef | ast.AsyncFunctionDef):
                interni = list(ast.walk(nodo))  # type: ignore[arg-type]
            elif isinstance(nodo, ast.If) and "TYPE_CHECKING" in ast.unparse(nodo.test):
                interni = [n for s in nodo.body for n in ast.walk(s)]  # type: ignore[misc]
            for interno in interni:
                if isinstance(interno, ast.Import | ast.ImportFrom) and _risolvi(modulo, interno, file):
                    nascosti.append(f"{file.relative_to(RADICE)}:{interno.lineno}: {ast.unparse(interno)}")
    return archi, sorted(set(nascosti))


ARCHI, NASCOSTI = _analizza()


def _strato(modulo: str) -> int:
    return next(strato for schema, strato in STRATI if re.match(schema, modulo))


def test_no_project_import_is_hidden_in_a_function_or_behind_type_checking() -> None:
    assert NASCOSTI == []


def test_lower_layers_never_import_higher_ones() -> None:
    violazioni = [
        f"{da} (strato {_strato(da)}) importa {a} (strato {_strato(a)})"
        for da, destinazioni in ARCHI.items()
        for a in destinazioni
        if _strato(a) > _strato(da)
    ]
    assert violazioni == []


def test_there_is_no_import_cycle_between_modules() -> None:
    # Iterative DFS: a back edge is a cycle; report it with its modules.
    colore: dict[str, int] = {}
    cicli: list[list[str]] = []

    def visita(partenza: str) -> None:
        pila = [(partenza, iter(sorted(ARCHI.get(partenza, ()))))]
        percorso = [partenza]
        colore[partenza] = 1
        while pila:
            nodo, figli = pila[-1]
            figlio = next(figli, None)
            if figlio is None:
                colore[nodo] = 2
                pila.pop()
                percorso.pop()
            elif colore.get(figlio, 0) == 1:
                cicli.append(percorso[percorso.index(figlio) :] + [figlio])
            elif colore.get(figlio, 0) == 0:
                colore[figlio] = 1
                percorso.append(figlio)
                pila.append((figlio, iter(sorted(ARCHI.get(figlio, ())))))

    for modulo in sorted(MODULI):
        if colore.get(modulo, 0) == 0:
            visita(modulo)
    assert cicli == []


@pytest.mark.django_db
def test_migrations_of_the_apps_depend_one_way() -> None:
    ordine = ["ambito", "patrimonio", "piano_annuale", "misure"]
    dipende: dict[str, set[str]] = defaultdict(set)
    for (app, _), nodo in MigrationLoader(connection).graph.node_map.items():
        for genitore in nodo.parents:
            if genitore.key[0] != app and genitore.key[0] in ordine and app in ordine:
                dipende[app].add(genitore.key[0])
    all_indietro = [
        f"{app} dipende da {genitore}"
        for app, genitori in dipende.items()
        for genitore in genitori
        if ordine.index(genitore) > ordine.index(app)
    ]
    assert all_indietro == []
    assert "patrimonio" in dipende["piano_annuale"]  # the graph was really read


def test_no_module_is_longer_than_the_limit() -> None:
    lunghi = {
        str(file.relative_to(RADICE)): righe
        for file in MODULI.values()
        if (righe := len(file.read_text(encoding="utf-8").splitlines())) > RIGHE_MASSIME
    }
    assert lunghi == {}


def test_the_checker_sees_an_import_cycle_and_a_hidden_import() -> None:
    """The tests above read real imports: a known edge exists, so an empty result is not a blind spot."""
    assert "patrimonio.accesso" in ARCHI["patrimonio.models"]
    assert _strato("piano_annuale.models.piano") == 2
    assert _strato("piano_annuale.calcolo") == 4
