"""The day a move of the plan really happened (the transmission to the Assemblea recorded later).

A nullable column without a default: SQLite adds it with ``ALTER TABLE … ADD COLUMN``, without
rebuilding ``piano_annuale_passaggiodistato`` and so without dropping its immutability triggers (0008).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("piano_annuale", "0014_consistenza_per_comune")]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AddField(
            model_name="passaggiodistato",
            name="avvenuto_il",
            field=models.DateField(
                blank=True,
                help_text="Il giorno in cui il passaggio è avvenuto, se registrato in un giorno successivo.",
                null=True,
                verbose_name="data effettiva",
            ),
        ),
    ]
