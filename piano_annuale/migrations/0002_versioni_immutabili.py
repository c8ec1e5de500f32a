
from django.db import migrations, models

# A frozen version of the plan never changes: the database itself refuses any UPDATE or DELETE of
# its rows, whoever writes (the application, the admin, a shell, a script).
MESSAGGIO = "Una versione congelata del piano non può essere modificata né eliminata."
TABELLA = "piano_annuale_versionepiano"

SQLITE_CREA = [
    f"""CREATE TRIGGER {TABELLA}_immutabile_update BEFORE UPDATE ON {TABELLA}
    BEGIN SELECT RAISE(ABORT, '{MESSAGGIO.replace("'", "''")}'); END""",
    f"""CREATE TRIGGER {TABELLA}_immutabile_delete BEFORE DELETE ON {TABELLA}
    BEGIN SELECT RAISE(ABORT, '{MESSAGGIO.replace("'", "''")}'); END""",
]
SQLITE_ELIMINA = [
    f"DROP TRIGGER IF EXISTS {TABELLA}_immutabile_update",
    f"DROP TRIGGER IF EXISTS {TABELLA}_immutabile_delete",
]
POSTGRESQL_CREA = [
    f"""CREATE OR REPLACE FUNCTION {TABELLA}_immutabile() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGGIO.replace("'", "''")} (versione id %)', OLD.id
            USING ERRCODE = 'restrict_violation';
    END
    $$""",
    f"""CREATE TRIGGER {TABELLA}_immutabile BEFORE UPDATE OR DELETE ON {TABELLA}
    FOR EACH ROW EXECUTE FUNCTION {TABELLA}_immutabile()""",
]
POSTGRESQL_ELIMINA = [
    f"DROP TRIGGER IF EXISTS {TABELLA}_immutabile ON {TABELLA}",
    f"DROP FUNCTION IF EXISTS {TABELLA}_immutabile()",
]


def _esegui(schema_editor, istruzioni_per_database):
    istruzioni = istruzioni_per_database.get(schema_editor.connection.vendor)
    if istruzioni is None:
        raise RuntimeError(
            f"Nessun trigger di immutabilità delle versioni per il database {schema_editor.connection.vendor}."
        )
    for istruzione in istruzioni:
        schema_editor.execute(istruzione, params=None)


def crea_trigger(apps, schema_editor):
    _esegui(schema_editor, {"sqlite": SQLITE_CREA, "postgresql": POSTGRESQL_CREA})


def elimina_trigger(apps, schema_editor):
    _esegui(schema_editor, {"sqlite": SQLITE_ELIMINA, "postgresql": POSTGRESQL_ELIMINA})


class Migration(migrations.Migration):

    dependencies = [
        ("piano_annuale", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(crea_trigger, elimina_trigger),
    ]
