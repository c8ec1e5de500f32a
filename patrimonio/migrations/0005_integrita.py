"""Integrity across ambiti (issue 13): an ente of type comune lies in its comune's ambito, and a
unit's comune lies in its ente's ambito.

The triggers and their SQL are in ``ambito/integrita.py``. On PostgreSQL they are created here; on
SQLite after every ``migrate`` (a trigger that reads another table would break a later rebuild of
that table there). Stored rows that already break a rule stop the migration with their names.
"""

from django.db import migrations

from ambito.integrita import crea_trigger, elimina_trigger


def crea(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        crea_trigger(schema_editor.connection, app="patrimonio")


def elimina(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        elimina_trigger(schema_editor.connection, app="patrimonio")


class Migration(migrations.Migration):
    dependencies = [("patrimonio", "0004_appartenenze"), ("ambito", "0003_integrita")]

    operations = [migrations.RunPython(crea, elimina)]
