"""Indexes the plan's heavy reads need (issue 17): the units whose ID regionale normalisation would
change, where the duplicate-ID check starts (a partial index, a handful of rows per ente)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("patrimonio", "0001_initial")]

    operations = [
        migrations.AddIndex(
            model_name="unitaabitativa",
            index=models.Index(
                condition=models.Q(("id_regionale__regex", "[^0-9A-Z]|^0")),
                fields=["ente"],
                name="unita_id_irregolare",
            ),
        ),
    ]
