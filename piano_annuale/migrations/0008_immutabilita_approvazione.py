"""An approved plan is what was approved: the database refuses to change it, whoever writes.

- the Assemblea's approval (``Approvazione``) and its presences cannot be updated nor deleted;
- an approved plan's row (``PianoAnnuale`` with ``stato = 'approvata'``) cannot be updated (its
  state included) nor deleted; reaching ``approvata`` is an update of a plan not yet approved, so
  the approval itself is allowed;
- the move that approved the plan (``PassaggioDiStato`` to ``approvata``) cannot be updated nor
  deleted.

Inserting is always allowed, so a restore (``ripristina``) into an empty database writes these rows.
On PostgreSQL the triggers hold only if the application's role owns no tables (it cannot then
``ALTER TABLE … DISABLE TRIGGER``, ``TRUNCATE`` nor set ``session_replication_role``): see
``concedi_privilegi`` and ``docker/postgres-init``. On SQLite a later migration that rebuilds one
of these tables must create its triggers again (``test_immutabilita_approvazione`` checks them).
"""

from django.db import migrations

MESSAGGI = {
    "approvazione": "L'approvazione dell'Assemblea dei Sindaci non può essere modificata né eliminata.",
    "presenzaassemblea": "Le presenze della seduta che ha approvato il piano non possono essere modificate né eliminate.",
    "pianoannuale": "Un piano approvato non può essere modificato né eliminato.",
    "passaggiodistato": "Il passaggio che ha approvato il piano non può essere modificato né eliminato.",
}
# Which rows of each table are immutable: every row, or the ones the condition on OLD selects.
CONDIZIONI = {
    "approvazione": None,
    "presenzaassemblea": None,
    "pianoannuale": "OLD.stato = 'approvata'",
    "passaggiodistato": "OLD.a = 'approvata'",
}


def _tabella(modello: str) -> str:
    return f"piano_annuale_{modello}"


def _sql(testo: str) -> str:
    return testo.replace("'", "''")


def _sqlite_crea() -> list[str]:
    istruzioni = []
    for modello, messaggio in MESSAGGI.items():
        tabella, condizione = _tabella(modello), CONDIZIONI[modello]
        quando = f" WHEN {condizione}" if condizione else ""
        for evento in ("update", "delete"):
            istruzioni.append(
                f"CREATE TRIGGER {tabella}_immutabile_{evento} BEFORE {evento.upper()} ON {tabella}{quando}"
                f" BEGIN SELECT RAISE(ABORT, '{_sql(messaggio)}'); END"
            )
    return istruzioni


def _sqlite_elimina() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {_tabella(modello)}_immutabile_{evento}"
        for modello in MESSAGGI
        for evento in ("update", "delete")
    ]


def _postgresql_crea() -> list[str]:
    istruzioni = []
    for modello, messaggio in MESSAGGI.items():
        tabella, condizione = _tabella(modello), CONDIZIONI[modello]
        quando = f" WHEN ({condizione})" if condizione else ""
        istruzioni += [
            f"""CREATE OR REPLACE FUNCTION {tabella}_immutabile() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{_sql(messaggio)} (id %)', OLD.id USING ERRCODE = 'restrict_violation';
            END
            $$""",
            f"""CREATE TRIGGER {tabella}_immutabile BEFORE UPDATE OR DELETE ON {tabella}
            FOR EACH ROW{quando} EXECUTE FUNCTION {tabella}_immutabile()""",
        ]
    return istruzioni


def _postgresql_elimina() -> list[str]:
    istruzioni = []
    for modello in MESSAGGI:
        tabella = _tabella(modello)
        istruzioni += [
            f"DROP TRIGGER IF EXISTS {tabella}_immutabile ON {tabella}",
            f"DROP FUNCTION IF EXISTS {tabella}_immutabile()",
        ]
    return istruzioni


def _esegui(schema_editor, istruzioni_per_database) -> None:
    istruzioni = istruzioni_per_database.get(schema_editor.connection.vendor)
    if istruzioni is None:
        raise RuntimeError(
            f"Nessun trigger di immutabilità dell'approvazione per il database {schema_editor.connection.vendor}."
        )
    for istruzione in istruzioni:
        schema_editor.execute(istruzione, params=None)


def crea_trigger(apps, schema_editor) -> None:
    _esegui(schema_editor, {"sqlite": _sqlite_crea(), "postgresql": _postgresql_crea()})


def elimina_trigger(apps, schema_editor) -> None:
    _esegui(schema_editor, {"sqlite": _sqlite_elimina(), "postgresql": _postgresql_elimina()})


class Migration(migrations.Migration):
    dependencies = [("piano_annuale", "0007_revisione_dei_dati")]

    operations = [migrations.RunPython(crea_trigger, elimina_trigger)]
