"""Integrity across ambiti (issue 13): a comune's aggregazione belongs to the comune's ambito.

The triggers and their SQL are in ``ambito/integrita.py``. On PostgreSQL they are created here; on
SQLite after every ``migrate`` (a trigger that reads another table would break a later rebuild of
that table there). Stored rows that already break the rule stop the migration with their names.
"""

from django.db import migrations

from ambito.integrita import crea_trigger, elimina_trigger


def crea(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        crea_trigger(schema_editor.connection, app="ambito")


def elimina(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        elimina_trigger(schema_editor.connection, app="ambito")


class Migration(migrations.Migration):
    dependencies = [("ambito", "0002_insediamento")]

    operations = [migrations.RunPython(crea, elimina)]
