"""Integrity across ambiti, enforced by the database (issue 13): triggers on SQLite and PostgreSQL.

- a comune's aggregazione belongs to the comune's ambito;
- an ente of type comune lies in its comune's ambito;
- a unit's comune lies in its ente's ambito (which is the ambito of the ente's plans).

Each rule is checked on every write that could break it, from either side: the row itself (insert,
or update of the columns involved) and the rows it points to (a comune, an aggregazione or an ente
that changes ambito). The models' ``clean`` says the same in Italian before the database has to.

Where they are created. On PostgreSQL by the migrations ``ambito/0003_integrita`` and
``patrimonio/0005_integrita``. On SQLite a trigger that reads another table breaks any later
migration that rebuilds that table (SQLite checks every trigger when the rebuilt copy is renamed,
while the original is gone: «error in trigger …: no such table»), and Django rebuilds a table for
most schema changes there; so on SQLite they are dropped before ``migrate`` and created again after
it (``ambito.apps``), every time. ``test_integrita_ambiti`` checks they exist on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

COMUNE = "ambito_comune"
AGGREGAZIONE = "ambito_aggregazioneterritoriale"
ENTE = "patrimonio_enteproprietario"
UNITA = "patrimonio_unitaabitativa"

MESSAGGIO_AGGREGAZIONE = "L'aggregazione territoriale di un comune deve appartenere all'ambito del comune."
MESSAGGIO_ENTE = "Un ente di tipo comune deve appartenere all'ambito del suo comune."
MESSAGGIO_UNITA = "Un'unità abitativa deve trovarsi in un comune dell'ambito del suo ente proprietario."


@dataclass(frozen=True)
class Regola:
    """One check: on ``tabella``, when a row is inserted (``inserimento``) or ``colonne`` change,
    ``violata`` (an SQL condition on NEW and OLD, the same on both databases) must be false."""

    nome: str
    tabella: str
    colonne: tuple[str, ...]
    inserimento: bool
    violata: str
    messaggio: str
    app: str  # the app whose migration creates it on PostgreSQL


def _ambito_di(tabella: str, chiave: str) -> str:
    return f"(SELECT ambito_id FROM {tabella} WHERE id = NEW.{chiave})"


REGOLE: tuple[Regola, ...] = (
    Regola(
        "integrita_comune_aggregazione",
        COMUNE,
        ("ambito_id", "aggregazione_id"),
        True,
        f"NEW.aggregazione_id IS NOT NULL AND NEW.ambito_id IS DISTINCT FROM {_ambito_di(AGGREGAZIONE, 'aggregazione_id')}",
        MESSAGGIO_AGGREGAZIONE,
        "ambito",
    ),
    Regola(
        "integrita_aggregazione_comuni",
        AGGREGAZIONE,
        ("ambito_id",),
        False,
        f"OLD.ambito_id IS DISTINCT FROM NEW.ambito_id AND EXISTS (SELECT 1 FROM {COMUNE} c "
        "WHERE c.aggregazione_id = NEW.id AND c.ambito_id IS DISTINCT FROM NEW.ambito_id)",
        MESSAGGIO_AGGREGAZIONE,
        "ambito",
    ),
    Regola(
        "integrita_ente_comune",
        ENTE,
        ("ambito_id", "comune_id"),
        True,
        f"NEW.comune_id IS NOT NULL AND NEW.ambito_id IS DISTINCT FROM {_ambito_di(COMUNE, 'comune_id')}",
        MESSAGGIO_ENTE,
        "patrimonio",
    ),
    Regola(
        "integrita_comune_ente",
        COMUNE,
        ("ambito_id",),
        False,
        f"OLD.ambito_id IS DISTINCT FROM NEW.ambito_id AND EXISTS (SELECT 1 FROM {ENTE} e "
        "WHERE e.comune_id = NEW.id AND e.ambito_id IS DISTINCT FROM NEW.ambito_id)",
        MESSAGGIO_ENTE,
        "patrimonio",
    ),
    Regola(
        "integrita_unita_comune",
        UNITA,
        ("ente_id", "comune_id"),
        True,
        f"{_ambito_di(COMUNE, 'comune_id')} IS DISTINCT FROM {_ambito_di(ENTE, 'ente_id')}",
        MESSAGGIO_UNITA,
        "patrimonio",
    ),
    Regola(
        "integrita_comune_unita",
        COMUNE,
        ("ambito_id",),
        False,
        f"OLD.ambito_id IS DISTINCT FROM NEW.ambito_id AND EXISTS (SELECT 1 FROM {UNITA} u "
        f"JOIN {ENTE} e ON e.id = u.ente_id WHERE u.comune_id = NEW.id "
        "AND e.ambito_id IS DISTINCT FROM NEW.ambito_id)",
        MESSAGGIO_UNITA,
        "patrimonio",
    ),
    Regola(
        "integrita_ente_unita",
        ENTE,
        ("ambito_id",),
        False,
        f"OLD.ambito_id IS DISTINCT FROM NEW.ambito_id AND EXISTS (SELECT 1 FROM {UNITA} u "
        f"JOIN {COMUNE} c ON c.id = u.comune_id WHERE u.ente_id = NEW.id "
        "AND c.ambito_id IS DISTINCT FROM NEW.ambito_id)",
        MESSAGGIO_UNITA,
        "patrimonio",
    ),
)

# The rows already stored that break a rule (checked before the triggers are created).
VIOLAZIONI = {
    MESSAGGIO_AGGREGAZIONE: f"SELECT c.nome FROM {COMUNE} c JOIN {AGGREGAZIONE} a ON a.id = c.aggregazione_id "
    "WHERE c.ambito_id IS NULL OR c.ambito_id <> a.ambito_id",
    MESSAGGIO_ENTE: f"SELECT e.denominazione FROM {ENTE} e JOIN {COMUNE} c ON c.id = e.comune_id "
    "WHERE c.ambito_id IS NULL OR c.ambito_id <> e.ambito_id",
    MESSAGGIO_UNITA: f"SELECT e.denominazione || ' – ' || c.nome FROM {UNITA} u "
    f"JOIN {ENTE} e ON e.id = u.ente_id JOIN {COMUNE} c ON c.id = u.comune_id "
    "WHERE c.ambito_id IS NULL OR c.ambito_id <> e.ambito_id",
}


def _sql(testo: str) -> str:
    return testo.replace("'", "''")


def _eventi(regola: Regola, vendor: str) -> list[tuple[str, str]]:
    """(suffix, event clause) of the triggers that enforce ``regola``."""
    colonne = ", ".join(regola.colonne)
    if vendor == "postgresql":
        evento = ("INSERT OR " if regola.inserimento else "") + f"UPDATE OF {colonne}"
        return [("", evento)]
    eventi = [("_modifica", f"UPDATE OF {colonne}")]
    return [("_inserimento", "INSERT"), *eventi] if regola.inserimento else eventi


def _crea(regola: Regola, vendor: str) -> list[str]:
    if vendor == "sqlite":
        # SQLite has no IS DISTINCT FROM before 3.39: IS NOT is the same null-safe comparison.
        condizione = regola.violata.replace("IS DISTINCT FROM", "IS NOT")
        return [
            f"CREATE TRIGGER IF NOT EXISTS {regola.nome}{suffisso} BEFORE {evento} ON {regola.tabella} "
            f"WHEN {condizione} BEGIN SELECT RAISE(ABORT, '{_sql(regola.messaggio)}'); END"
            for suffisso, evento in _eventi(regola, vendor)
        ]
    condizione = regola.violata
    # OLD is null on INSERT: the rules checked on insert never read it.
    assert not (regola.inserimento and "OLD." in condizione)
    ((_, evento),) = _eventi(regola, vendor)
    return [
        f"""CREATE OR REPLACE FUNCTION {regola.nome}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {condizione} THEN
                RAISE EXCEPTION '{_sql(regola.messaggio)} (id %)', NEW.id
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END
        $$""",
        f"DROP TRIGGER IF EXISTS {regola.nome} ON {regola.tabella}",
        f"CREATE TRIGGER {regola.nome} BEFORE {evento} ON {regola.tabella} "
        f"FOR EACH ROW EXECUTE FUNCTION {regola.nome}()",
    ]


def _elimina(regola: Regola, vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {regola.nome}{suffisso}" for suffisso, _ in _eventi(regola, vendor)]
    return [
        f"DROP TRIGGER IF EXISTS {regola.nome} ON {regola.tabella}",
        f"DROP FUNCTION IF EXISTS {regola.nome}()",
    ]


def nomi_trigger(vendor: str) -> set[str]:
    """The names of every integrity trigger on ``vendor`` (for the tests)."""
    return {f"{r.nome}{suffisso}" for r in REGOLE for suffisso, _ in _eventi(r, vendor)}


def _regole(app: str | None) -> list[Regola]:
    return [r for r in REGOLE if app is None or r.app == app]


def _tabelle(connessione: BaseDatabaseWrapper) -> set[str]:
    with connessione.cursor() as cursore:
        return set(connessione.introspection.table_names(cursore))


def violazioni(connessione: BaseDatabaseWrapper) -> list[str]:
    """The stored rows that break a rule, as «message: row, row, …» (at most ten rows each)."""
    if not {COMUNE, AGGREGAZIONE, ENTE, UNITA} <= _tabelle(connessione):
        return []
    trovate = []
    with connessione.cursor() as cursore:
        for messaggio, query in VIOLAZIONI.items():
            cursore.execute(f"{query} ORDER BY 1 LIMIT 10")
            righe = [str(r[0]) for r in cursore.fetchall()]
            if righe:
                trovate.append(f"{messaggio} Righe che non lo rispettano: {', '.join(righe)}.")
    return trovate


def crea_trigger(connessione: BaseDatabaseWrapper, app: str | None = None) -> None:
    """Create the triggers (of ``app``'s rules, or all); refuse if stored rows already break one."""
    trovate = violazioni(connessione)
    if trovate:
        raise RuntimeError(" ".join(trovate))
    with connessione.cursor() as cursore:
        for regola in _regole(app):
            for istruzione in _crea(regola, connessione.vendor):
                cursore.execute(istruzione)


def elimina_trigger(connessione: BaseDatabaseWrapper, app: str | None = None) -> None:
    with connessione.cursor() as cursore:
        for regola in _regole(app):
            for istruzione in _elimina(regola, connessione.vendor):
                cursore.execute(istruzione)


def prima_di_migrate(connessione: BaseDatabaseWrapper) -> None:
    """SQLite: drop the triggers, so that migrations may rebuild the tables they read."""
    if connessione.vendor == "sqlite":
        elimina_trigger(connessione)


def dopo_migrate(connessione: BaseDatabaseWrapper) -> None:
    """SQLite: create the triggers again once every table they read exists (in its final shape)."""
    if connessione.vendor == "sqlite" and {COMUNE, AGGREGAZIONE, ENTE, UNITA} <= _tabelle(connessione):
        crea_trigger(connessione)
